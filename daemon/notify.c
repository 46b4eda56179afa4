/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "notify.h"

int notify_send(const char *format, ...) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        const char *path = getenv("NOTIFY_SOCKET");
        char msg[1024];
        socklen_t salen;
        size_t len;
        va_list ap;
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

        va_start(ap, format);
        r = vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);
        if (r < 0)
                return -EINVAL;

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* The receiver learns our pid from SO_PASSCRED on its side; nothing else to attach. */
        r = sendto(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *) &sa, salen) < 0
                    ? -errno
                    : 1;
        safe_close(fd);
        return r;
}
