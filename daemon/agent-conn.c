/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One connection on the agent socket: an OCI runtime handing over the
 * seccomp listener of one container process. Read without blocking, give
 * up after a timeout, and turn a complete handoff into a Container.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "container.h"
#include "log.h"
#include "manager.h"

/* A runtime sends everything at once and closes; a peer still silent after
 * this long is broken or hostile and must not hold a slot forever. */
#define AGENT_CONN_TIMEOUT_USEC (5U * 1000U * 1000U)

/*
 * runc (1.1.x) sends the payload and the fd but never closes its end: it
 * keeps the connection open until it exits, and the handoff reader waits
 * for EOF. So once data has arrived and the peer has been quiet for this
 * long, we shut our reading side down, which turns "no more data" into EOF
 * and lets the reader parse what it has (a cut-off payload then fails as
 * truncated). Runtimes that close (crun, our tests) never get here.
 */

/* Connections accepted per wake-up, so that a flood cannot starve containers. */
#define AGENT_ACCEPT_BUDGET 16

struct AgentConn {
        Manager *manager;
        LIST_FIELDS(AgentConn, conns);

        int fd;
        pid_t peer_pid;
        uid_t peer_uid;
        SrdHandoffReader *reader;
        sd_event_source *io_source;
        sd_event_source *timer_source;
};

AgentConn *agent_conn_free(AgentConn *c) {
        if (!c)
                return NULL;

        if (c->manager)
                LIST_REMOVE(conns, c->manager->agent_conns, c);
        sd_event_source_disable_unref(c->io_source);
        sd_event_source_disable_unref(c->timer_source);
        srd_handoff_reader_free(c->reader);
        safe_close(c->fd);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(AgentConn *, agent_conn_free);

static int agent_conn_refuse(AgentConn *c, const SrdHandoff *h, const char *reason) {
        LogFields f = {
                .container_id = h ? h->container_id : NULL,
                .action = "refuse",
        };

        if (h)
                log_full(LOG_ERR, 0, &f, "Refusing handoff from pid %d (uid %u) for container %s pid %d: %s",
                         (int) c->peer_pid, (unsigned) c->peer_uid, h->container_id ?: "?", (int) h->pid,
                         reason);
        else
                log_full(LOG_ERR, 0, &f, "Refusing handoff from pid %d (uid %u): %s", (int) c->peer_pid,
                         (unsigned) c->peer_uid, reason);
        manager_count_refused(c->manager);
        return 0;
}

/* The handoff is complete: pick its policy and adopt its listener. */
static int agent_conn_take(AgentConn *c, SrdHandoff *h) {
        Manager *m = c->manager;
        const char *policy;
        Container *container;
        ContainerRecord record;
        char reason[256];
        int fd, r;

        r = srd_handoff_get_policy(h, &policy);
        if (r == -EBADMSG)
                /* A typo must not silently get the default policy. */
                return agent_conn_refuse(c, h,
                                         "it names a policy that is not a valid policy name (listenerMetadata "
                                         "\"policy=NAME\" or annotation seccomp-redirect.policy)");
        if (r < 0)
                policy = m->default_policy;
        if (!policy)
                return agent_conn_refuse(
                        c, h,
                        "it names no policy (listenerMetadata \"policy=NAME\" or annotation "
                        "seccomp-redirect.policy) and there is no --default-policy");
        if (!policy_set_get(m->policies, policy)) {
                (void) snprintf(reason, sizeof(reason), "unknown policy \"%s\"", policy);
                return agent_conn_refuse(c, h, reason);
        }

        fd = srd_handoff_listener_fd(h);
        if (fd < 0) {
                (void) snprintf(reason, sizeof(reason), "no seccomp listener fd in the handoff (%s)",
                                strerror(-fd));
                return agent_conn_refuse(c, h, reason);
        }
        if (h->n_fds > 1)
                log_warning("Handoff for container %s pid %d carries %zu fds, using \"seccompFd\" and "
                            "closing the rest.",
                            h->container_id ?: "?", (int) h->pid, h->n_fds);

        /* The handoff keeps (and closes) its own fds; we keep a copy. */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                (void) snprintf(reason, sizeof(reason), "cannot duplicate the listener fd: %s",
                                strerror(errno));
                return agent_conn_refuse(c, h, reason);
        }

        record = (ContainerRecord){
                .id = h->container_id,
                .policy = policy,
                .pid = h->pid,
        };
        r = container_new_from_record(m, fd, &record, &container);
        if (r == -ENOTTY || r == -EBADF || r == -EINVAL)
                return agent_conn_refuse(c, h, "the fd is not a seccomp listener");
        if (r < 0) {
                (void) snprintf(reason, sizeof(reason), "cannot supervise the listener: %s", strerror(-r));
                return agent_conn_refuse(c, h, reason);
        }

        m->handoffs_accepted++;
        LogFields f = container_log_fields(container);
        log_full(LOG_INFO, 0, &f, "Container %s pid %d handed over by pid %d: policy \"%s\", redirect %s.",
                 container->id, (int) container->pid, (int) c->peer_pid, container->policy_name,
                 srd_redirect_support_to_string(srd_listener_redirect_support(container->listener)) ?: "?");
        manager_update_status(m);
        return 0;
}

static int agent_conn_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        AgentConn *c = userdata;
        SrdHandoff *h = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = srd_handoff_reader_feed(c->reader, &h, &error);
        if (r == 0)
                return 0; /* more to come; the reader ends at the object's closing brace or at EOF */
        if (r < 0) {
                char reason[512];

                (void) snprintf(reason, sizeof(reason), "bad handoff: %s", error ?: strerror(-r));
                (void) agent_conn_refuse(c, NULL, reason);
        } else {
                (void) agent_conn_take(c, h);
                srd_handoff_free(h);
        }

        agent_conn_free(c);
        return 0;
}

static int agent_conn_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        AgentConn *c = userdata;

        (void) agent_conn_refuse(c, NULL, "no complete handoff within 5s, dropping the connection");
        agent_conn_free(c);
        return 0;
}

static int agent_conn_new(Manager *m, int fd, const struct ucred *cred) {
        _cleanup_(agent_conn_freep) AgentConn *c = NULL;
        char description[64];
        int r;

        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        c->peer_pid = cred->pid;
        c->peer_uid = cred->uid;

        r = srd_handoff_reader_new(c->fd, &c->reader);
        if (r < 0)
                return r;

        r = sd_event_add_io(m->event, &c->io_source, c->fd, EPOLLIN, agent_conn_on_io, c);
        if (r < 0)
                return r;
        (void) snprintf(description, sizeof(description), "agent-conn-%d", (int) cred->pid);
        (void) sd_event_source_set_description(c->io_source, description);

        r = sd_event_add_time_relative(m->event, &c->timer_source, CLOCK_MONOTONIC, AGENT_CONN_TIMEOUT_USEC,
                                       0, agent_conn_on_timeout, c);
        if (r < 0)
                return r;
        (void) snprintf(description, sizeof(description), "agent-conn-timeout-%d", (int) cred->pid);
        (void) sd_event_source_set_description(c->timer_source, description);

        c->manager = m;
        LIST_PREPEND(conns, m->agent_conns, c);
        TAKE_PTR(c);
        return 0;
}

/* EPOLLIN on the listening agent socket. */
int agent_conn_accept(Manager *m) {
        for (unsigned i = 0; i < AGENT_ACCEPT_BUDGET; i++) {
                struct ucred cred = {};
                socklen_t len = sizeof(cred);
                int fd, r;

                fd = accept4(m->agent_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        /* ECONNABORTED and friends: that peer's problem, not ours. */
                        log_warning_errno(errno, "Failed to accept agent connection: %m");
                        return 0;
                }

                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                        log_warning_errno(errno, "Failed to get agent peer credentials, refusing: %m");
                        safe_close(fd);
                        manager_count_refused(m);
                        continue;
                }
                if (!manager_uid_allowed(m, cred.uid)) {
                        log_error("Refusing agent connection from pid %d uid %u: uid not allowed (see "
                                  "--allow-uid).",
                                  (int) cred.pid, (unsigned) cred.uid);
                        safe_close(fd);
                        manager_count_refused(m);
                        continue;
                }

                r = agent_conn_new(m, fd, &cred);
                if (r < 0) {
                        log_error_errno(r, "Failed to set up agent connection from pid %d: %m",
                                        (int) cred.pid);
                        manager_count_refused(m);
                }
        }
        return 0;
}
