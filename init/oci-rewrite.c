/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON edits of seccomp-redirect-oci: put seccomp-redirect-init in
 * front of a bundle's process (config.json) or an exec'd one (the
 * --process file), the way docker --init and podman --init do: the init
 * and the daemon's init socket are bind-mounted read-only, process.args
 * gets the init as prefix and process.env the token. Files are replaced
 * atomically (rename), so the runtime never reads half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "macro.h"
#include "oci-rewrite.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(json_object *, json_object_put);

static int write_json_atomic(const char *path, json_object *root) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *s;
        struct stat st;
        size_t n;

        if (asprintf(&tmp, "%s.srd-tmp-%d", path, (int) getpid()) < 0)
                return -ENOMEM;
        /* Same mode as the file it replaces: runtimes and shims read it back. */
        if (stat(path, &st) < 0)
                return negative_errno();
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, st.st_mode & 07777);
        if (fd < 0)
                return negative_errno();
        s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        n = strlen(s);
        while (n > 0) {
                ssize_t k = write(fd, s, n);

                if (k < 0) {
                        int r = negative_errno();
                        (void) unlink(tmp);
                        return r;
                }
                s += k;
                n -= (size_t) k;
        }
        if (fsync(fd) < 0 || rename(tmp, path) < 0) {
                int r = negative_errno();
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

static int load(const char *path, json_object **ret) {
        json_object *o = json_object_from_file(path);

        if (!o)
                return -EINVAL;
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EINVAL;
        }
        *ret = o;
        return 0;
}

/* Drop an earlier prefix of ours (a retried create), so the init is never in front of itself. */
static void strip_prefix(json_object *args) {
        size_t n = json_object_array_length(args);
        const char *a0;

        if (n == 0)
                return;
        a0 = json_object_get_string(json_object_array_get_idx(args, 0));
        if (!a0 || !streq(a0, OCI_INIT_DEST))
                return;
        for (size_t i = 1; i < n; i++) {
                const char *a = json_object_get_string(json_object_array_get_idx(args, i));

                if (a && streq(a, "--")) {
                        (void) json_object_array_del_idx(args, 0, i + 1);
                        return;
                }
        }
}

/* process.args and process.env of a Process object (config.json's or an exec's). */
static int rewrite_process(json_object *process, const char *token) {
        static const char *const prefix[] = {OCI_INIT_DEST, "--socket", OCI_SOCKET_DEST, "--"};
        json_object *args, *env, *new_args;
        _cleanup_free_ char *var = NULL;
        size_t n;

        if (!json_object_object_get_ex(process, "args", &args) ||
            !json_object_is_type(args, json_type_array) || json_object_array_length(args) == 0)
                return -EINVAL; /* nothing to run: the runtime will say so; we add nothing */
        strip_prefix(args);

        new_args = json_object_new_array();
        if (!new_args)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(prefix); i++)
                json_object_array_add(new_args, json_object_new_string(prefix[i]));
        n = json_object_array_length(args);
        for (size_t i = 0; i < n; i++)
                json_object_array_add(new_args, json_object_get(json_object_array_get_idx(args, i)));
        json_object_object_add(process, "args", new_args);

        if (!json_object_object_get_ex(process, "env", &env) || !json_object_is_type(env, json_type_array)) {
                env = json_object_new_array();
                if (!env)
                        return -ENOMEM;
                json_object_object_add(process, "env", env);
        }
        /* One token only: an earlier one (retried create) goes. */
        for (size_t i = json_object_array_length(env); i > 0; i--) {
                const char *e = json_object_get_string(json_object_array_get_idx(env, i - 1));

                if (e && strncmp(e, OCI_TOKEN_ENV "=", strlen(OCI_TOKEN_ENV) + 1) == 0)
                        (void) json_object_array_del_idx(env, i - 1, 1);
        }
        if (asprintf(&var, "%s=%s", OCI_TOKEN_ENV, token) < 0)
                return -ENOMEM;
        json_object_array_add(env, json_object_new_string(var));
        return 0;
}

static json_object *bind_mount(const char *dest, const char *source) {
        json_object *m = json_object_new_object(), *opts = json_object_new_array();
        static const char *const o[] = {"bind", "ro", "nosuid", "nodev"};

        if (!m || !opts) {
                json_object_put(m);
                json_object_put(opts);
                return NULL;
        }
        json_object_object_add(m, "destination", json_object_new_string(dest));
        json_object_object_add(m, "type", json_object_new_string("bind"));
        json_object_object_add(m, "source", json_object_new_string(source));
        for (size_t i = 0; i < ELEMENTSOF(o); i++)
                json_object_array_add(opts, json_object_new_string(o[i]));
        json_object_object_add(m, "options", opts);
        return m;
}

int oci_rewrite_config(const char *path, const OciRewrite *w) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        json_object *process, *mounts, *annotations;
        int r;

        r = load(path, &root);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(root, "process", &process) ||
            !json_object_is_type(process, json_type_object))
                return -EINVAL;
        r = rewrite_process(process, w->token);
        if (r < 0)
                return r;

        if (!json_object_object_get_ex(root, "mounts", &mounts) ||
            !json_object_is_type(mounts, json_type_array)) {
                mounts = json_object_new_array();
                if (!mounts)
                        return -ENOMEM;
                json_object_object_add(root, "mounts", mounts);
        }
        /* Ours from an earlier rewrite go first: mounted twice is harmless, but noise. */
        for (size_t i = json_object_array_length(mounts); i > 0; i--) {
                json_object *m = json_object_array_get_idx(mounts, i - 1), *d;

                if (json_object_object_get_ex(m, "destination", &d) && json_object_get_string(d) &&
                    (streq(json_object_get_string(d), OCI_INIT_DEST) ||
                     streq(json_object_get_string(d), OCI_SOCKET_DEST)))
                        (void) json_object_array_del_idx(mounts, i - 1, 1);
        }
        json_object_array_add(mounts, bind_mount(OCI_INIT_DEST, w->init_path));
        json_object_array_add(mounts, bind_mount(OCI_SOCKET_DEST, w->socket_path));

        /* What exec looks up later (runtime state or this file): the policy and where it came from. */
        if (!json_object_object_get_ex(root, "annotations", &annotations) ||
            !json_object_is_type(annotations, json_type_object)) {
                annotations = json_object_new_object();
                if (!annotations)
                        return -ENOMEM;
                json_object_object_add(root, "annotations", annotations);
        }
        json_object_object_add(annotations, OCI_ANNOTATION_BOUND, json_object_new_string(w->policy));
        json_object_object_add(annotations, OCI_ANNOTATION_BOUND_SOURCE, json_object_new_string(w->source));

        return write_json_atomic(path, root);
}

int oci_rewrite_process_file(const char *path, const OciRewrite *w) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        int r;

        r = load(path, &root);
        if (r < 0)
                return r;
        r = rewrite_process(root, w->token);
        if (r < 0)
                return r;
        return write_json_atomic(path, root);
}

/* annotations[key] of a JSON file's top level (config.json, runtime state); NULL: none. */
static char *annotation_of(json_object *root, const char *key) {
        json_object *a, *v;

        if (!json_object_object_get_ex(root, "annotations", &a) ||
            !json_object_is_type(a, json_type_object) || !json_object_object_get_ex(a, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return strdup(json_object_get_string(v));
}

int oci_annotation_from_file(const char *path, const char *key, char **ret) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        int r;

        r = load(path, &root);
        if (r < 0)
                return r;
        *ret = annotation_of(root, key);
        return 0;
}

int oci_state_lookup(const char *json, const char *key, char **ret_value, char **ret_bundle) {
        _cleanup_(json_object_putp) json_object *root = json_tokener_parse(json);
        json_object *b;

        if (!root || !json_object_is_type(root, json_type_object))
                return -EINVAL;
        *ret_value = annotation_of(root, key);
        *ret_bundle = json_object_object_get_ex(root, "bundle", &b) && json_object_get_string(b)
                              ? strdup(json_object_get_string(b))
                              : NULL;
        return 0;
}
