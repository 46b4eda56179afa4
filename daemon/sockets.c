/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's two listening sockets: taken from systemd or bound at a
 * path, one daemon per path (a lock beside it), never replacing a socket
 * somebody listens on, never removing one this daemon did not make.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "manager.h"
#include "state.h"

/* How long a daemon with sockets from systemd waits for their locks: 2 s. */
#define SOCKET_LOCK_WAIT_TRIES 40U
#define SOCKET_LOCK_WAIT_USEC (50U * 1000U)

/*
 * One daemon per socket path: an flock on PATH.lock, beside the socket, taken
 * before the socket is looked at and held until exit. The lock file holds
 * the owner's pid, for the message the next one prints. It is never removed:
 * removing a lock file races with the next taker.
 */
static int socket_lock(const char *path, bool required, int *ret_fd) {
        _cleanup_free_ char *lock_path = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        char pid[32] = "", *slash;
        ssize_t n;

        if (asprintf(&lock_path, "%s.lock", path) < 0)
                return log_oom();

        /* Create the parent (e.g. /run/seccomp-redirectd) when run by hand. */
        dir = strdup(path);
        if (!dir)
                return log_oom();
        slash = strrchr(dir, '/');
        if (required && slash && slash != dir) {
                *slash = 0;
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(errno, "Failed to create %s: %m", dir);
        }
        fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                if (required)
                        return log_error_errno(errno, "Failed to open the lock file %s: %m", lock_path);
                /* A socket from systemd in a directory we cannot write to: systemd keeps it to one of us. */
                log_warning_errno(errno,
                                  "Not locking %s (%s: %m); another daemon started by hand on it would "
                                  "not be noticed.",
                                  path, lock_path);
                *ret_fd = -EBADF;
                return 0;
        }
        /* With sockets from systemd, the holder may be a daemon started by hand
         * that is just finding out the path is taken (its probe is what
         * started us): give it a moment to leave. */
        for (unsigned i = 0; !required && i < SOCKET_LOCK_WAIT_TRIES; i++) {
                if (flock(fd, LOCK_EX | LOCK_NB) >= 0 || errno != EWOULDBLOCK)
                        break;
                (void) usleep(SOCKET_LOCK_WAIT_USEC);
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return log_error_errno(errno, "Failed to lock %s: %m", lock_path);
                n = pread(fd, pid, sizeof(pid) - 1, 0);
                pid[MAX(n, (ssize_t) 0)] = 0;
                pid[strcspn(pid, "\n")] = 0;
                return log_error_errno(
                        EADDRINUSE,
                        "Another seccomp-redirectd (pid %s) serves %s: it holds %s. Not starting "
                        "a second daemon on the same socket.",
                        pid[0] ? pid : "unknown", path, lock_path);
        }
        n = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t) n, 0) != n)
                log_debug_errno(errno, "Failed to write our pid to %s: %m", lock_path);

        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Is anybody accepting connections on path? A probe connect: refused means a
 * socket left by a process that is gone. (On a systemd socket unit's path the
 * probe starts the service; that service then refuses the empty connection.) */
static int socket_is_live(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;

        memcpy(sa.sun_path, path, strlen(path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) >= 0 || errno == EAGAIN || errno == EINPROGRESS)
                return 1;
        if (errno == ECONNREFUSED)
                return 0;
        return -errno;
}

/* Called with path's lock held. */
static int make_listen_socket(const char *path, int *ret_fd, dev_t *ret_dev, ino_t *ret_ino) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        mode_t old_umask;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return log_error_errno(ENAMETOOLONG, "Socket path %s is too long.", path);
        memcpy(sa.sun_path, path, strlen(path));

        /* Only a socket nobody listens on is replaced (one a crashed daemon left);
         * we hold the lock, so no daemon of ours is binding it right now. */
        if (lstat(path, &st) >= 0) {
                if (!S_ISSOCK(st.st_mode))
                        return log_error_errno(
                                EEXIST, "%s exists and is not a socket, refusing to replace it.", path);
                r = socket_is_live(path);
                if (r > 0)
                        return log_error_errno(
                                EADDRINUSE,
                                "Something listens on %s (a seccomp-redirectd without the lock, "
                                "or a systemd socket unit): not replacing it.",
                                path);
                if (r < 0)
                        return log_error_errno(r, "Cannot tell whether %s is in use (%m), not replacing it.",
                                               path);
                log_info("Replacing %s, a socket nobody listens on.", path);
                if (unlink(path) < 0 && errno != ENOENT)
                        return log_error_errno(errno, "Failed to remove the stale socket %s: %m", path);
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create socket: %m");

        /* Born 0600: no window in which others could connect. */
        old_umask = umask(0177);
        r = bind(fd, (struct sockaddr *) &sa, sizeof(sa));
        umask(old_umask);
        if (r < 0)
                return log_error_errno(errno, "Failed to bind %s: %m", path);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Failed to listen on %s: %m", path);
        /* What we made, so that exit removes it only if it is still ours. */
        if (stat(path, &st) < 0)
                return log_error_errno(errno, "Failed to stat %s: %m", path);

        *ret_dev = st.st_dev;
        *ret_ino = st.st_ino;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The path a socket from systemd is bound to, for its lock; NULL when it has none. */
static char *socket_path_of(int fd) {
        struct sockaddr_un sa = {};
        socklen_t len = sizeof(sa);

        if (getsockname(fd, (struct sockaddr *) &sa, &len) < 0 || sa.sun_family != AF_UNIX ||
            len <= offsetof(struct sockaddr_un, sun_path) || sa.sun_path[0] != '/')
                return NULL;
        return strndup(sa.sun_path, len - offsetof(struct sockaddr_un, sun_path));
}

int manager_adopt_sockets(Manager *m, const char *listen_path, const char *control_path) {
        char **names = NULL;
        int n, r;

        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to get sockets from systemd: %m");

        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                const char *name = names && names[i] ? names[i] : "";

                /* A listener from the fd store, not a socket: manager_restore_containers() takes it. */
                if (strncmp(name, STATE_FDNAME_PREFIX, strlen(STATE_FDNAME_PREFIX)) == 0)
                        (void) manager_keep_stored_fd(m, fd, name);
                else if (streq(name, "control") && m->control_fd < 0 && control_path)
                        m->control_fd = fd;
                else if (!listen_path && m->agent_fd < 0 &&
                         (streq(name, "agent") || sd_is_socket(fd, AF_UNIX, SOCK_STREAM, 1) > 0))
                        m->agent_fd = fd;
                else {
                        log_warning("Ignoring socket \"%s\" (fd %d) passed by systemd.", name, fd);
                        safe_close(fd);
                }
        }
        for (int i = 0; names && i < n; i++)
                free(names[i]);
        free(names);

        /* Every lock first, then the sockets: a second daemon gives up before touching any path. */
        if (listen_path)
                r = socket_lock(listen_path, true, &m->agent_lock_fd);
        else if (m->agent_fd >= 0) {
                _cleanup_free_ char *p = socket_path_of(m->agent_fd);

                r = p ? socket_lock(p, false, &m->agent_lock_fd) : 0;
        } else
                r = 0;
        if (r < 0)
                return r;
        if (control_path && m->control_fd < 0)
                r = socket_lock(control_path, true, &m->control_lock_fd);
        else if (m->control_fd >= 0) {
                _cleanup_free_ char *p = socket_path_of(m->control_fd);

                r = p ? socket_lock(p, false, &m->control_lock_fd) : 0;
        }
        if (r < 0)
                return r;

        if (listen_path) {
                r = make_listen_socket(listen_path, &m->agent_fd, &m->agent_dev, &m->agent_ino);
                if (r < 0)
                        return r;
                m->agent_path = strdup(listen_path);
                if (!m->agent_path)
                        return log_oom();
        }
        if (m->agent_fd < 0)
                return log_error_errno(
                        EINVAL,
                        "No agent socket: pass --listen PATH or start via seccomp-redirectd.socket.");

        if (control_path && m->control_fd < 0) {
                r = make_listen_socket(control_path, &m->control_fd, &m->control_dev, &m->control_ino);
                if (r < 0)
                        return r;
                m->control_path = strdup(control_path);
                if (!m->control_path)
                        return log_oom();
        }

        /* Sockets from systemd come blocking; one slow accept must not stall the loop. */
        if (fcntl(m->agent_fd, F_SETFL, fcntl(m->agent_fd, F_GETFL) | O_NONBLOCK) < 0 ||
            (m->control_fd >= 0 &&
             fcntl(m->control_fd, F_SETFL, fcntl(m->control_fd, F_GETFL) | O_NONBLOCK) < 0))
                return log_error_errno(errno, "Failed to make sockets non-blocking: %m");

        return 0;
}

/*
 * --init-dir DIR: DIR/init.sock for seccomp-redirect-init, and DIR/tokens,
 * where seccomp-redirect-oci leaves one file per container process it
 * starts. The socket is bind-mounted into containers, so it is open to
 * every uid (0666): what a peer may do is decided by the token it presents,
 * and tokens can only be made by whoever may write DIR/tokens (0700, ours).
 */
int manager_bind_init_socket(Manager *m, const char *dir) {
        _cleanup_free_ char *path = NULL, *tokens = NULL;
        struct stat st;
        int r;

        if (asprintf(&path, "%s/init.sock", dir) < 0 || asprintf(&tokens, "%s/tokens", dir) < 0)
                return log_oom();
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", dir);
        if (mkdir(tokens, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", tokens);
        m->init_tokens_fd = open(tokens, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (m->init_tokens_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", tokens);
        if (fstat(m->init_tokens_fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat %s: %m", tokens);
        /* Whoever can write there can make tokens, that is: choose policies. */
        if (st.st_uid != geteuid() || (st.st_mode & 0077) != 0)
                return log_error_errno(EPERM, "%s must be owned by us and mode 0700, refusing to use it.",
                                       tokens);

        r = socket_lock(path, true, &m->init_lock_fd);
        if (r < 0)
                return r;
        r = make_listen_socket(path, &m->init_fd, &m->init_dev, &m->init_ino);
        if (r < 0)
                return r;
        if (chmod(path, 0666) < 0)
                return log_error_errno(errno, "Failed to open %s to every uid: %m", path);
        m->init_path = TAKE_PTR(path);
        return 0;
}

/* Remove a socket we bound, unless someone replaced it since (then it is theirs). */
static void unlink_if_ours(const char *path, dev_t dev, ino_t ino) {
        struct stat st;

        if (!path)
                return;
        if (lstat(path, &st) < 0 || st.st_dev != dev || st.st_ino != ino) {
                log_warning("%s is no longer the socket this daemon bound: leaving it alone.", path);
                return;
        }
        (void) unlink(path);
}

void manager_release_sockets(Manager *m) {
        m->agent_fd = safe_close(m->agent_fd);
        m->control_fd = safe_close(m->control_fd);
        /* Only what we bound ourselves, and still under the lock; systemd owns the activated paths. */
        unlink_if_ours(m->agent_path, m->agent_dev, m->agent_ino);
        unlink_if_ours(m->control_path, m->control_dev, m->control_ino);
        m->init_fd = safe_close(m->init_fd);
        unlink_if_ours(m->init_path, m->init_dev, m->init_ino);
        m->init_lock_fd = safe_close(m->init_lock_fd);
        m->init_tokens_fd = safe_close(m->init_tokens_fd);
        free(m->init_path);
        m->init_path = NULL;
        m->agent_lock_fd = safe_close(m->agent_lock_fd);
        m->control_lock_fd = safe_close(m->control_lock_fd);
        free(m->agent_path);
        free(m->control_path);
        m->agent_path = m->control_path = NULL;
}
