/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's rootfs from its OCI bundle: config.json's root.path,
 * relative to the bundle unless absolute; and what its seccomp profile
 * lets run that no path rule could judge. The handoff names the bundle
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
#include "pathless-calls.h"
#include "seccomp-redirect.h"

/* config.json is a few KiB; hooks and annotations can make it larger. */
#define BUNDLE_CONFIG_MAX (4U * 1024U * 1024U)

/* config.json's bytes as a JSON object, in *ret. */
static int parse_config(const char *buf, size_t len, json_object **ret) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_unrefp) json_object *o = NULL;

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
        *ret = TAKE_PTR(o);
        return 0;
}

_public_ int srd_bundle_root_path(const char *buf, size_t len, char **ret) {
        _cleanup_(json_object_unrefp) json_object *o = NULL;
        json_object *root, *path;
        const char *s;
        size_t n;
        int r;

        if (!ret)
                return -EINVAL;
        r = parse_config(buf, len, &o);
        if (r < 0)
                return r;
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

/* config.json of the bundle at the absolute path bundle: its bytes (NUL-terminated) and the bundle's fd. */
static int read_config(const char *bundle, int *ret_dir, char **ret_buf, size_t *ret_len) {
        _cleanup_close_ int dir = -EBADF, cfg = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t got = 0;

        if (!bundle || bundle[0] != '/')
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
        buf[got] = '\0';
        if (ret_dir)
                *ret_dir = TAKE_FD(dir);
        *ret_buf = TAKE_PTR(buf);
        *ret_len = got;
        return 0;
}

_public_ int srd_bundle_open_rootfs(const char *bundle, int *ret_fd) {
        _cleanup_close_ int dir = -EBADF;
        _cleanup_free_ char *buf = NULL, *path = NULL;
        size_t len;
        int fd, r;

        if (!ret_fd)
                return -EINVAL;
        r = read_config(bundle, &dir, &buf, &len);
        if (r < 0)
                return r;
        r = srd_bundle_root_path(buf, len, &path);
        if (r < 0)
                return r;
        fd = openat(dir, path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret_fd = fd;
        return 0;
}

/* Whether an OCI seccomp action lets the call run without the daemon seeing it. */
static bool action_runs_unseen(const char *action) {
        return streq(action, "SCMP_ACT_ALLOW") || streq(action, "SCMP_ACT_LOG");
}

/*
 * What the profile does with name: 1 when some call of it may run unseen
 * (an entry naming it allows it, whatever its args; or none refuses it
 * unconditionally and the default allows), 0 when not, -EBADMSG when an
 * entry is malformed.
 */
static int profile_runs_unseen(json_object *syscalls, const char *default_action, const char *name) {
        bool refused = false;
        size_t n = syscalls ? json_object_array_length(syscalls) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(syscalls, i), *names, *action, *args;
                bool names_it = false;
                size_t k;

                if (!json_object_is_type(e, json_type_object) ||
                    !json_object_object_get_ex(e, "names", &names) ||
                    !json_object_is_type(names, json_type_array) ||
                    !json_object_object_get_ex(e, "action", &action) ||
                    !json_object_is_type(action, json_type_string))
                        return -EBADMSG;
                k = json_object_array_length(names);
                for (size_t j = 0; j < k && !names_it; j++) {
                        json_object *s = json_object_array_get_idx(names, j);

                        if (!json_object_is_type(s, json_type_string))
                                return -EBADMSG;
                        names_it = streq(json_object_get_string(s), name);
                }
                if (!names_it)
                        continue;
                if (action_runs_unseen(json_object_get_string(action)))
                        return 1;
                /* An entry with argument conditions refuses only some calls. */
                if (!json_object_object_get_ex(e, "args", &args) || !args ||
                    (json_object_is_type(args, json_type_array) && json_object_array_length(args) == 0))
                        refused = true;
        }
        return !refused && action_runs_unseen(default_action);
}

_public_ int srd_bundle_profile_unjudged(const char *buf, size_t len, char **ret) {
        _cleanup_(json_object_unrefp) json_object *o = NULL;
        _cleanup_free_ char *list = NULL;
        json_object *linux_, *seccomp, *def, *syscalls = NULL;
        size_t used = 0;
        int r;

        if (!ret)
                return -EINVAL;
        r = parse_config(buf, len, &o);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(o, "linux", &linux_) ||
            !json_object_is_type(linux_, json_type_object) ||
            !json_object_object_get_ex(linux_, "seccomp", &seccomp) || !seccomp)
                return -ENOENT;
        if (!json_object_is_type(seccomp, json_type_object) ||
            !json_object_object_get_ex(seccomp, "defaultAction", &def) ||
            !json_object_is_type(def, json_type_string))
                return -EBADMSG;
        if (json_object_object_get_ex(seccomp, "syscalls", &syscalls) && syscalls &&
            !json_object_is_type(syscalls, json_type_array))
                return -EBADMSG;

        for (size_t i = 0; i < ELEMENTSOF(pathless_calls); i++) {
                const char *name = pathless_calls[i].name;
                size_t n = strlen(name);
                char *b;

                r = profile_runs_unseen(syscalls, json_object_get_string(def), name);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                b = realloc(list, used + n + 3);
                if (!b)
                        return -ENOMEM;
                list = b;
                if (used > 0) {
                        memcpy(list + used, ", ", 2);
                        used += 2;
                }
                memcpy(list + used, name, n + 1);
                used += n;
        }
        *ret = TAKE_PTR(list);
        return 0;
}

_public_ int srd_bundle_unjudged(const char *bundle, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r;

        if (!ret)
                return -EINVAL;
        r = read_config(bundle, NULL, &buf, &len);
        if (r < 0)
                return r;
        return srd_bundle_profile_unjudged(buf, len, ret);
}
