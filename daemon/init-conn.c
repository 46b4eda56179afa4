/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One connection on the init socket (--init-dir): seccomp-redirect-init,
 * running inside a container, hands over the listener of the filter it
 * installed. The peer is untrusted (it shares its container with the
 * workload), so it chooses nothing: the token it presents was written by the
 * host side (seccomp-redirect-oci) into DIR/tokens, names the container and
 * the policy, and is removed on first use. The listener is taken with
 * pidfd_getfd() from the process the kernel says is connected, never
 * received from it. Protocol: init/init-proto.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "container.h"
#include "init-proto.h"
#include "log.h"
#include "manager.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* How often the listener slot is looked at once the init announced it. */
#define INIT_POLL_USEC (1U * 1000U)

typedef enum InitState {
        INIT_WANT_HELLO,
        INIT_WANT_LISTENER,
        INIT_TAKING, /* polling the announced fd slot */
} InitState;

struct InitConn {
        Manager *manager;
        LIST_FIELDS(InitConn, conns);

        int fd;
        int pidfd; /* the peer, as the kernel knows it */
        pid_t peer_pid;
        InitState state;
        char buf[SRI_LINE_MAX];
        size_t len;

        char id[SRI_ID_MAX + 1];
        char policy[SRI_POLICY_MAX + 1];
        SriSource source;
        int slot; /* the fd number the init announced */

        sd_event_source *io_source;
        sd_event_source *timer_source; /* the whole handoff's deadline */
        sd_event_source *poll_source;
};

InitConn *init_conn_free(InitConn *c) {
        if (!c)
                return NULL;
        if (c->manager) {
                LIST_REMOVE(conns, c->manager->init_conns, c);
                c->manager->n_init_conns--;
        }
        sd_event_source_disable_unref(c->io_source);
        sd_event_source_disable_unref(c->timer_source);
        sd_event_source_disable_unref(c->poll_source);
        safe_close(c->fd);
        safe_close(c->pidfd);
        free(c);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(InitConn *, init_conn_free);

/* Tell the init why (it prints it), log, count, and drop the connection. */
static int init_conn_refuse(InitConn *c, const char *reason) {
        char line[256];
        int n;

        n = snprintf(line, sizeof(line), "ERROR %s\n", reason);
        if (n > 0)
                (void) send(c->fd, line, MIN((size_t) n, sizeof(line) - 1), MSG_DONTWAIT | MSG_NOSIGNAL);
        manager_count_refused(c->manager);
        if (manager_agent_log_allowed(c->manager)) {
                LogFields f = {.container_id = c->id[0] ? c->id : NULL, .action = "refuse"};

                log_full(LOG_ERR, 0, &f, "Refusing init handoff from pid %d%s%s: %s", (int) c->peer_pid,
                         c->id[0] ? " for container " : "", c->id, reason);
        }
        init_conn_free(c);
        return 0;
}

static int init_conn_send(InitConn *c, const char *s) {
        size_t n = strlen(s);
        ssize_t k;

        /* A few bytes into an empty socket buffer: anything short of all is a broken peer. */
        k = send(c->fd, s, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0)
                return negative_errno();
        return (size_t) k == n ? 0 : -EAGAIN;
}

/*
 * Spend the token: read DIR/tokens/<token> and remove it. Only a regular
 * file of ours counts; removal is what makes it single-use, so a token whose
 * removal fails is not honoured.
 */
static int init_conn_spend_token(InitConn *c, const char *token) {
        Manager *m = c->manager;
        _cleanup_close_ int fd = -EBADF;
        char buf[SRI_TOKEN_FILE_MAX + 1];
        struct stat st;
        ssize_t n;

        fd = openat(m->init_tokens_fd, token, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0)
                return -EPERM;
        n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return negative_errno();
        if (unlinkat(m->init_tokens_fd, token, 0) < 0)
                return negative_errno();
        return sri_parse_token_file(buf, (size_t) n, c->id, c->policy, &c->source);
}

static int init_conn_hello(InitConn *c, const char *line, size_t len) {
        Manager *m = c->manager;
        char token[SRI_TOKEN_LEN + 1], reason[192];
        _cleanup_free_ int *nrs = NULL;
        _cleanup_free_ char *out = NULL;
        SrdPolicy *p;
        size_t n_nrs = 0, size;
        int r;

        if (sri_parse_hello(line, len, token) < 0)
                return init_conn_refuse(c, "malformed hello");
        r = init_conn_spend_token(c, token);
        if (r == -ENOENT)
                return init_conn_refuse(c, "unknown or already used token");
        if (r < 0) {
                (void) snprintf(reason, sizeof(reason), "bad token file: %s", strerror(-r));
                return init_conn_refuse(c, reason);
        }
        /* The operator's wrapper configuration is the runtime's configuration, like
         * listenerMetadata; an annotation comes from whoever creates the container.
         * --policy-from says which of them may choose. */
        if (!(m->policy_sources &
              (1U << (c->source == SRI_SOURCE_ANNOTATION ? SRD_POLICY_SOURCE_ANNOTATION
                                                         : SRD_POLICY_SOURCE_METADATA)))) {
                (void) snprintf(reason, sizeof(reason),
                                "its policy was chosen by the %s, a source not allowed to choose one (see "
                                "--policy-from)",
                                c->source == SRI_SOURCE_ANNOTATION ? "annotation seccomp-redirect.policy"
                                                                   : "wrapper's configuration (metadata)");
                return init_conn_refuse(c, reason);
        }
        p = policy_set_get(m->policies, c->policy);
        if (!p) {
                (void) snprintf(reason, sizeof(reason), "unknown policy \"%s\"", c->policy);
                return init_conn_refuse(c, reason);
        }
        r = srd_policy_syscalls(p, &nrs, &n_nrs);
        if (r < 0)
                return init_conn_refuse(c, "cannot list the policy's syscalls");
        size = 16 + 6 * n_nrs;
        out = malloc(size);
        if (!out || sri_format_syscalls(nrs, n_nrs, out, size) < 0)
                return init_conn_refuse(c, "cannot format the syscall list");
        r = init_conn_send(c, out);
        if (r < 0)
                return init_conn_refuse(c, "cannot send the syscall list");
        c->state = INIT_WANT_LISTENER;
        return 0;
}

/* Is fd a seccomp listener? Its ioctl answers ENOENT for an id that is not pending. */
static bool is_listener(int fd) {
        uint64_t id = 0;

        return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT;
}

static int init_conn_try_take(InitConn *c) {
        Manager *m = c->manager;
        Container *container;
        ContainerRecord record;
        char reason[192];
        int fd, r;

        fd = (int) syscall(SYS_pidfd_getfd, c->pidfd, c->slot, 0);
        if (fd < 0) {
                if (errno == EBADF)
                        return 0; /* not loaded yet */
                (void) snprintf(reason, sizeof(reason), "cannot take fd %d from the init: %s", c->slot,
                                strerror(errno));
                return init_conn_refuse(c, reason);
        }
        if (!is_listener(fd)) {
                safe_close(fd);
                return 0; /* something else is there: wait for the filter, until the deadline */
        }

        record = (ContainerRecord){.id = c->id, .policy = c->policy, .pid = c->peer_pid};
        r = container_new_from_record(m, fd, &record, &container);
        if (r < 0) {
                (void) snprintf(reason, sizeof(reason), "cannot supervise the listener: %s", strerror(-r));
                return init_conn_refuse(c, reason);
        }
        m->handoffs_accepted++;
        LogFields f = container_log_fields(container);
        log_full(LOG_INFO, 0, &f,
                 "Container %s pid %d handed over its listener by seccomp-redirect-init: policy "
                 "\"%s\", redirect %s.",
                 container->id, (int) container->pid, container->policy_name,
                 srd_redirect_support_to_string(srd_listener_redirect_support(container->listener)) ?: "?");
        manager_update_status(m);
        /* The init's wait ends here; should the OK be lost, it fails closed. */
        (void) init_conn_send(c, "OK\n");
        init_conn_free(c);
        return 1;
}

static int init_conn_on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        InitConn *c = userdata;
        int r;

        r = init_conn_try_take(c);
        if (r != 0)
                return 0; /* taken or refused: c is gone */
        (void) sd_event_source_set_time_relative(s, INIT_POLL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int init_conn_listener(InitConn *c, const char *line, size_t len) {
        int r;

        if (sri_parse_listener(line, len, &c->slot) < 0)
                return init_conn_refuse(c, "malformed LISTENER line");
        c->state = INIT_TAKING;
        /* Nothing more may come: the init is loading its filter now. */
        (void) sd_event_source_set_enabled(c->io_source, SD_EVENT_OFF);
        r = sd_event_add_time_relative(c->manager->event, &c->poll_source, CLOCK_MONOTONIC, 0, 0,
                                       init_conn_on_poll, c);
        if (r < 0)
                return init_conn_refuse(c, "cannot arm the poll timer");
        (void) sd_event_source_set_description(c->poll_source, "init-conn-poll");
        return 0;
}

static int init_conn_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        InitConn *c = userdata;
        char *nl;
        size_t l;
        ssize_t n;

        n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                return init_conn_refuse(c, "read failed");
        }
        if (n == 0)
                return init_conn_refuse(c, "connection closed before the handoff");
        c->len += (size_t) n;

        nl = memchr(c->buf, '\n', c->len);
        if (!nl) {
                if (c->len == sizeof(c->buf))
                        return init_conn_refuse(c, "line too long");
                return 0;
        }
        l = (size_t) (nl - c->buf);
        /* One line per step, nothing ahead of the daemon's answer: a peer that
         * pipelines or sends extra bytes is not an init. */
        if (l + 1 != c->len)
                return init_conn_refuse(c, "unexpected bytes after a line");
        c->len = 0;
        if (c->state == INIT_WANT_HELLO)
                return init_conn_hello(c, c->buf, l);
        return init_conn_listener(c, c->buf, l);
}

static int init_conn_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        InitConn *c = userdata;

        return init_conn_refuse(c, c->state == INIT_TAKING
                                           ? "no seccomp listener at the announced fd in time"
                                           : "no complete handoff in time (--handoff-timeout)");
}

static int init_conn_new(Manager *m, int fd) {
        _cleanup_(init_conn_freep) InitConn *c = NULL;
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        int r;

        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        c->pidfd = -EBADF;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return negative_errno();
        c->peer_pid = cred.pid;
        /* The peer itself, not whatever has its pid by the time we look (kernel >= 6.5). */
        len = sizeof(c->pidfd);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &c->pidfd, &len) < 0)
                return negative_errno();

        r = sd_event_add_io(m->event, &c->io_source, c->fd, EPOLLIN, init_conn_on_io, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->io_source, "init-conn");
        r = sd_event_add_time_relative(m->event, &c->timer_source, CLOCK_MONOTONIC, m->handoff_timeout_usec,
                                       0, init_conn_on_timeout, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->timer_source, "init-conn-timeout");

        /* At the limit the oldest goes, as on the agent socket, but one that
         * has not shown a token before one that has: anybody in any container
         * can open connections, only an init past its hello holds a token, and
         * a flood of empty connections must not push it out. */
        while (m->n_init_conns >= m->max_agent_conns && m->init_conns) {
                InitConn *victim = NULL;

                LIST_FOREACH(conns, i, m->init_conns)
                if (!victim || victim->state != INIT_WANT_HELLO || i->state == INIT_WANT_HELLO)
                        victim = i; /* the list is newest first: the last match is the oldest */
                (void) init_conn_refuse(victim, "too many init connections in progress (--max-connections)");
        }
        c->manager = m;
        LIST_PREPEND(conns, m->init_conns, c);
        m->n_init_conns++;
        TAKE_PTR(c);
        return 0;
}

/* EPOLLIN on the init socket. Any uid may connect: the token is the credential. */
int init_conn_accept(Manager *m) {
        for (unsigned i = 0; i < 16; i++) {
                int fd, r;

                fd = accept4(m->init_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(errno, "Failed to accept init connection: %m");
                        return 0;
                }
                r = init_conn_new(m, fd);
                if (r < 0) {
                        manager_count_refused(m);
                        log_error_errno(r, "Failed to set up init connection: %m");
                }
        }
        return 0;
}
