/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's rootfs from its OCI bundle: config.json's root.path,
 * relative to the bundle unless absolute. The handoff names the bundle
 * (state.bundle); what is in it was written by the runtime, but read here
 * as untrusted bytes all the same (tests/fuzz/fuzz-bundle.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-util.h"
#include "macro.h"
#include "seccomp-redirect.h"

/* config.json is a few KiB; hooks and annotations can make it larger. */
#define BUNDLE_CONFIG_MAX (4U * 1024U * 1024U)

_public_ int srd_bundle_root_path(const char *buf, size_t len, char **ret) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_unrefp) json_object *o = NULL;
        json_object *root, *path;
        const char *s;
        size_t n;

        if (!buf || !ret || len > BUNDLE_CONFIG_MAX)
                return -EINVAL;
        tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, buf, (int) len);
        if (json_tokener_get_error(tok) == json_tokener_continue)
                o = json_tokener_parse_ex(tok, "", 1);
        if (json_tokener_get_error(tok) != json_tokener_success || !json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if (!json_object_object_get_ex(o, "root", &root) || !json_object_is_type(root, json_type_object) ||
            !json_object_object_get_ex(root, "path", &path) || !json_object_is_type(path, json_type_string))
                return -ENOENT;
        s = json_object_get_string(path);
        n = (size_t) json_object_get_string_len(path);
        /* An embedded NUL would name another directory than the one written. */
        if (n == 0 || n >= PATH_MAX || strlen(s) != n)
                return -EBADMSG;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

_public_ int srd_bundle_open_rootfs(const char *bundle, int *ret_fd) {
        _cleanup_close_ int dir = -EBADF, cfg = -EBADF;
        _cleanup_free_ char *buf = NULL, *path = NULL;
        struct stat st;
        size_t got = 0;
        int fd, r;

        if (!bundle || bundle[0] != '/' || !ret_fd)
                return -EINVAL;
        dir = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return negative_errno();
        cfg = openat(dir, "config.json", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (cfg < 0)
                return negative_errno();
        if (fstat(cfg, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        if ((uint64_t) st.st_size > BUNDLE_CONFIG_MAX)
                return -EFBIG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (got < (size_t) st.st_size) {
                ssize_t k = read(cfg, buf + got, (size_t) st.st_size - got);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        r = srd_bundle_root_path(buf, got, &path);
        if (r < 0)
                return r;
        fd = openat(dir, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}
