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

/* Connections accepted per wake-up, so that a flood cannot starve containers. */
#define AGENT_ACCEPT_BUDGET 16

/*
 * Memory of the agent socket is bounded three ways (all options, see
 * seccomp-redirectd(8)): at most max_agent_conns connections, each holding
 * at most max_handoff_size bytes, all together at most max_handoff_memory,
 * and each gone after handoff_timeout_usec whatever it sent. A connection
 * holds only its raw bytes until the payload is complete (the reader parses
 * once, at the end), so the sum of srd_handoff_reader_allocated() is what
 * the handoffs cost. When the sum would pass the total, the largest
 * connection goes first: a runtime's handoff is a few KiB, a connection that
 * piles up megabytes is not one.
 */

struct AgentConn {
        Manager *manager;
        LIST_FIELDS(AgentConn, conns);

        int fd;
        pid_t peer_pid;
        uid_t peer_uid;
        uint64_t since_usec;
        size_t allocated; /* what the reader held after the last feed, counted in the manager */
        SrdHandoffReader *reader;
        sd_event_source *io_source;
        sd_event_source *timer_source;
};

AgentConn *agent_conn_free(AgentConn *c) {
        if (!c)
                return NULL;

        if (c->manager) {
                LIST_REMOVE(conns, c->manager->agent_conns, c);
                c->manager->n_agent_conns--;
                c->manager->agent_bytes -= c->allocated;
        }
        sd_event_source_disable_unref(c->io_source);
        sd_event_source_disable_unref(c->timer_source);
        srd_handoff_reader_free(c->reader);
        safe_close(c->fd);
        /* Large buffers are mmap()ed (see main.c) and gone with free(); what a
         * payload's parse left in the heap is given back shortly. */
        if (c->manager)
                manager_schedule_trim(c->manager);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(AgentConn *, agent_conn_free);

static int agent_conn_refuse(AgentConn *c, const SrdHandoff *h, const char *reason) {
        LogFields f = {
                .container_id = h ? h->container_id : NULL,
                .action = "refuse",
        };

        manager_count_refused(c->manager);
        /* A flood of bad connections must not flood the journal; the count stays exact. */
        if (!manager_agent_log_allowed(c->manager))
                return 0;
        if (h)
                log_full(LOG_ERR, 0, &f, "Refusing handoff from pid %d (uid %u) for container %s pid %d: %s",
                         (int) c->peer_pid, (unsigned) c->peer_uid, h->container_id ?: "?", (int) h->pid,
                         reason);
        else
                log_full(LOG_ERR, 0, &f, "Refusing handoff from pid %d (uid %u): %s", (int) c->peer_pid,
                         (unsigned) c->peer_uid, reason);
        return 0;
}

/*
 * Which policy: the first allowed source (--policy-from) that names one,
 * metadata before annotation, else --default-policy. A source that is not
 * allowed but names a policy anyway refuses the handoff: whoever wrote it
 * expected that policy, and silently giving it another one (the default)
 * hides the mistake or the attempt.
 */
static int agent_conn_pick_policy(AgentConn *c, const SrdHandoff *h, const char **ret) {
        Manager *m = c->manager;
        const char *policy = NULL;
        char reason[256];

        for (SrdPolicySource s = 0; s < _SRD_POLICY_SOURCE_MAX; s++) {
                const char *name = NULL;
                bool allowed = m->policy_sources & (1U << s);
                int r;

                r = srd_handoff_get_policy_from(h, s, &name);
                if (r == -ENOENT)
                        continue;
                if (!allowed) {
                        (void) snprintf(
                                reason, sizeof(reason),
                                "it names a policy in the %s (%s), a source not allowed to choose one "
                                "(see --policy-from)",
                                srd_policy_source_to_string(s),
                                s == SRD_POLICY_SOURCE_METADATA ? "listenerMetadata \"policy=NAME\""
                                                                : "annotation seccomp-redirect.policy");
                        return agent_conn_refuse(c, h, reason), -EPERM;
                }
                if (r < 0) {
                        /* A typo must not silently get the default policy. */
                        (void) snprintf(reason, sizeof(reason),
                                        "it names a policy that is not a valid policy name (%s)",
                                        s == SRD_POLICY_SOURCE_METADATA
                                                ? "listenerMetadata \"policy=NAME\""
                                                : "annotation seccomp-redirect.policy");
                        return agent_conn_refuse(c, h, reason), -EINVAL;
                }
                if (!policy)
                        policy = name; /* metadata wins when both are allowed */
        }
        if (!policy)
                policy = m->default_policy;
        if (!policy)
                return agent_conn_refuse(c, h,
                                         "it names no policy its runtime may choose (see --policy-from) and "
                                         "there is no --default-policy"),
                       -ENOENT;
        *ret = policy;
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

        r = agent_conn_pick_policy(c, h, &policy);
        if (r < 0)
                return 0; /* refused and logged */
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
                .bundle = h->bundle,
        };
        r = container_new_from_record(m, fd, &record, &container);
        if (r == -ENOTTY || r == -EBADF || r == -EINVAL)
                return agent_conn_refuse(c, h, "the fd is not a seccomp listener");
        if (r == -EXDEV)
                return agent_conn_refuse(c, h, "the container's root is not inside its bundle's rootfs");
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

/* The connection other than keep holding the most memory, if it holds more than keep. */
static AgentConn *agent_conn_largest_other(Manager *m, AgentConn *keep) {
        AgentConn *largest = NULL;

        LIST_FOREACH(conns, i, m->agent_conns)
        if (i != keep && i->allocated > keep->allocated && (!largest || i->allocated > largest->allocated))
                largest = i;
        return largest;
}

/*
 * How much c may hold after this read: its own limit, and whatever of the
 * total the others leave. Before c's buffer has to grow into memory that is
 * not there, connections larger than c are dropped (largest first), so that
 * a small handoff gets through while hogs hold the budget.
 */
static size_t agent_conn_allowance(AgentConn *c) {
        Manager *m = c->manager;
        /* Room for c's next doubling, the way the reader grows. */
        size_t want = MIN(MAX(2 * c->allocated, (size_t) 4096), m->max_handoff_size + 1);

        for (;;) {
                size_t others = m->agent_bytes - c->allocated;
                AgentConn *hog;
                char reason[256];

                if (m->max_handoff_memory >= others + want)
                        break;
                hog = agent_conn_largest_other(m, c);
                if (!hog)
                        break;
                (void) snprintf(
                        reason, sizeof(reason),
                        "%zu bytes buffered and not yet a complete handoff while handoffs in progress "
                        "hold %zu bytes of at most %zu (--max-handoff-memory): dropping the largest",
                        hog->allocated, m->agent_bytes, m->max_handoff_memory);
                (void) agent_conn_refuse(hog, NULL, reason);
                agent_conn_free(hog);
        }

        return MIN(m->max_handoff_size,
                   m->max_handoff_memory - MIN(m->max_handoff_memory, m->agent_bytes - c->allocated));
}

static int agent_conn_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        AgentConn *c = userdata;
        Manager *m = c->manager;
        SrdHandoff *h = NULL;
        _cleanup_free_ char *error = NULL;
        size_t allowance;
        int r;

        allowance = agent_conn_allowance(c);
        if (allowance == 0)
                r = -ENOBUFS;
        else {
                (void) srd_handoff_reader_set_max_size(c->reader, allowance);
                r = srd_handoff_reader_feed(c->reader, &h, &error);
                m->agent_bytes -= c->allocated;
                c->allocated = srd_handoff_reader_allocated(c->reader);
                m->agent_bytes += c->allocated;
        }
        if (r == 0)
                return 0; /* more to come; the reader ends at the object's closing brace or at EOF */
        if (r < 0) {
                char reason[512];

                if ((r == -EMSGSIZE && allowance < m->max_handoff_size) || r == -ENOBUFS)
                        (void) snprintf(
                                reason, sizeof(reason),
                                "handoffs in progress hold %zu bytes, the most allowed in total is %zu "
                                "(--max-handoff-memory), dropping the connection",
                                m->agent_bytes, m->max_handoff_memory);
                else if (r == -EMSGSIZE)
                        (void) snprintf(
                                reason, sizeof(reason),
                                "bad handoff: the payload is larger than %zu bytes (--max-handoff-size)",
                                m->max_handoff_size);
                else
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
        char reason[128];

        (void) snprintf(reason, sizeof(reason),
                        "no complete handoff within %.1fs (--handoff-timeout), dropping the connection",
                        (double) c->manager->handoff_timeout_usec / 1e6);
        (void) agent_conn_refuse(c, NULL, reason);
        agent_conn_free(c);
        return 0;
}

/* At the connection limit: the oldest one goes. Connections with data are
 * read before new ones are accepted (see manager.c), so the oldest is one
 * that has been slow all along, not a runtime's handoff waiting its turn. */
static void agent_conn_make_room(Manager *m) {
        while (m->n_agent_conns >= m->max_agent_conns && m->agent_conns) {
                AgentConn *oldest = m->agent_conns;
                char reason[192];

                while (oldest->conns_next)
                        oldest = oldest->conns_next;
                (void) snprintf(reason, sizeof(reason),
                                "%zu connections in progress, the most allowed is %zu (--max-connections): "
                                "dropping the oldest, open for %.1fs",
                                m->n_agent_conns, m->max_agent_conns,
                                (double) (now_monotonic_usec() - oldest->since_usec) / 1e6);
                (void) agent_conn_refuse(oldest, NULL, reason);
                agent_conn_free(oldest);
        }
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
        c->since_usec = now_monotonic_usec();

        r = srd_handoff_reader_new(c->fd, &c->reader);
        if (r < 0)
                return r;

        r = sd_event_add_io(m->event, &c->io_source, c->fd, EPOLLIN, agent_conn_on_io, c);
        if (r < 0)
                return r;
        (void) snprintf(description, sizeof(description), "agent-conn-%d", (int) cred->pid);
        (void) sd_event_source_set_description(c->io_source, description);

        r = sd_event_add_time_relative(m->event, &c->timer_source, CLOCK_MONOTONIC, m->handoff_timeout_usec,
                                       0, agent_conn_on_timeout, c);
        if (r < 0)
                return r;
        (void) snprintf(description, sizeof(description), "agent-conn-timeout-%d", (int) cred->pid);
        (void) sd_event_source_set_description(c->timer_source, description);

        agent_conn_make_room(m);
        c->manager = m;
        LIST_PREPEND(conns, m->agent_conns, c);
        m->n_agent_conns++;
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
