/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "notify.h"

/* How long an fd for the store waits for room in the receiver's queue, at most: 1 s. */
#define NOTIFY_FD_TRIES 10U
#define NOTIFY_FD_WAIT_MSEC 100

static int notify_vsend(int pass_fd, const char *format, va_list ap) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov;
        struct msghdr mh = {};
        const char *path = getenv("NOTIFY_SOCKET");
        char msg[1024];
        socklen_t salen;
        size_t len;
        int fd, r;

        if (!path || !path[0])
                return 0;
        len = strlen(path);
        if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
                return -EINVAL;
        memcpy(sa.sun_path, path, len);
        if (path[0] == '@')
                sa.sun_path[0] = 0; /* abstract namespace */
        salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));

        r = vsnprintf(msg, sizeof(msg), format, ap);
        if (r < 0 || (size_t) r >= sizeof(msg))
                return -EINVAL;
        iov = (struct iovec){.iov_base = msg, .iov_len = (size_t) r};
        mh = (struct msghdr){.msg_name = &sa, .msg_namelen = salen, .msg_iov = &iov, .msg_iovlen = 1};
        if (pass_fd >= 0) {
                struct cmsghdr *cm;

                mh.msg_control = control.buf;
                mh.msg_controllen = sizeof(control.buf);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
        }

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* The receiver learns our pid from SO_PASSCRED on its side; nothing else to attach. */
        if (pass_fd < 0) {
                r = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 1;
                safe_close(fd);
                return r;
        }

        /*
         * An fd for the store must not be dropped: that container would not
         * survive the next restart. Connected, the socket polls writable
         * once the receiver's queue has room; wait for that, briefly.
         */
        if (connect(fd, (struct sockaddr *) &sa, salen) < 0) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        mh.msg_name = NULL;
        mh.msg_namelen = 0;
        for (unsigned i = 0;; i++) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};

                if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
                        r = 1;
                        break;
                }
                r = -errno;
                if (r != -EAGAIN || i >= NOTIFY_FD_TRIES)
                        break;
                (void) poll(&pfd, 1, NOTIFY_FD_WAIT_MSEC);
        }
        safe_close(fd);
        return r;
}

int notify_send(const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = notify_vsend(-EBADF, format, ap);
        va_end(ap);
        return r;
}

int notify_send_fd(int fd, const char *format, ...) {
        va_list ap;
        int r;

        if (fd < 0)
                return -EBADF;
        va_start(ap, format);
        r = notify_vsend(fd, format, ap);
        va_end(ap);
        return r;
}

bool notify_available(void) {
        const char *path = getenv("NOTIFY_SOCKET");

        return path && (path[0] == '/' || path[0] == '@');
}
