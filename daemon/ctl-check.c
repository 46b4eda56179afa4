/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `check`: load policies as the daemon would and say what is wrong, and
 * what is legal but likely not meant (warnings; --strict makes them fatal).
 * A directory is loaded exactly as the daemon loads its policy directory;
 * "-" (and any non-regular file, such as /dev/stdin or a pipe) is read as a
 * stream.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "macro.h"

static void print_diags(const SrdDiagList *l) {
        for (size_t i = 0; l && i < l->n; i++) {
                _cleanup_free_ char *line = srd_diag_format(&l->items[i]);

                fprintf(stderr, "%s\n", line ?: "out of memory");
        }
}

/* "1 rule", "2 rules" */
static const char *plural(size_t n, const char *one, const char *many) {
        return n == 1 ? one : many;
}

/* The whole stream, at most the loader's limit plus one byte (so that "too large" is still said). */
static int read_stream(int fd, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                ssize_t k;

                if (len == cap) {
                        char *b;

                        if (cap > (size_t) 16 * 1024 * 1024)
                                break;
                        cap = MAX(cap * 2, (size_t) 65536);
                        b = realloc(buf, cap);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                k = read(fd, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int check_policy(SrdPolicy *p, const char *name, bool strict) {
        const SrdDiagList *w = srd_policy_warnings(p);
        size_t n_rules = srd_policy_n_rules(p), n_warnings = w ? w->n : 0;

        print_diags(w);
        printf("%s: %s (policy \"%s\", %zu %s", name, n_warnings > 0 && strict ? "failed" : "ok",
               srd_policy_name(p), n_rules, plural(n_rules, "rule", "rules"));
        if (n_warnings > 0)
                printf(", %zu %s", n_warnings, plural(n_warnings, "warning", "warnings"));
        printf(")\n");
        return n_warnings > 0 && strict ? -EINVAL : 0;
}

static int check_dir(const char *dir, bool strict) {
        SrdDiagList diag = {};
        SrdPolicy **policies = NULL;
        size_t n = 0;
        int r, ret = 0;

        r = srd_policy_dir_load(dir, &policies, &n, &diag);
        print_diags(&diag);
        srd_diag_list_clear(&diag);
        if (r < 0) {
                printf("%s: failed (the daemon would refuse this directory and keep its policies)\n", dir);
                return r;
        }
        for (size_t i = 0; i < n; i++)
                if (check_policy(policies[i], srd_policy_file(policies[i]), strict) < 0)
                        ret = -EINVAL;
        printf("%s: %s (%zu %s)\n", dir, ret < 0 ? "failed" : "ok", n, plural(n, "policy", "policies"));
        srd_policy_array_free(policies, n);
        return ret;
}

static int check_stream(const char *path, bool strict) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        const char *name = streq(path, "-") ? "<stdin>" : path;
        SrdDiagList diag = {};
        SrdPolicy *p = NULL;
        size_t len = 0;
        int r;

        if (!streq(path, "-")) {
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0) {
                        fprintf(stderr, "%s: cannot read policy: %m\n", path);
                        return -errno;
                }
        }
        r = read_stream(fd >= 0 ? fd : STDIN_FILENO, &buf, &len);
        if (r < 0) {
                fprintf(stderr, "%s: cannot read policy: %s\n", name, strerror(-r));
                return r;
        }
        r = srd_policy_load_buffer(buf, len, name, &p, &diag);
        print_diags(&diag);
        srd_diag_list_clear(&diag);
        if (r < 0)
                return r;
        r = check_policy(p, name, strict);
        srd_policy_unref(p);
        return r;
}

static int check_one(const char *path, bool strict) {
        SrdDiagList diag = {};
        SrdPolicy *p = NULL;
        struct stat st;
        int r;

        if (streq(path, "-"))
                return check_stream(path, strict);
        if (stat(path, &st) >= 0 && S_ISDIR(st.st_mode))
                return check_dir(path, strict);
        /* /dev/stdin, a pipe, <(...): the daemon would not read these, but they are fine to check. */
        if (stat(path, &st) >= 0 && !S_ISREG(st.st_mode))
                return check_stream(path, strict);

        r = srd_policy_load_file(path, &p, &diag);
        print_diags(&diag);
        if (r < 0 && diag.n == 0)
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
        srd_diag_list_clear(&diag);
        if (r < 0)
                return r;
        r = check_policy(p, path, strict);
        srd_policy_unref(p);
        return r;
}

int verb_check(int argc, char *argv[]) {
        static const struct option options[] = {
                {"strict", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {}};
        bool strict = false;
        int c, ret = EXIT_SUCCESS;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+sh", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        strict = true;
                        break;
                case 'h':
                        printf("check [--strict] FILE|DIR|-...\n");
                        return EXIT_SUCCESS;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (optind >= argc) {
                fprintf(stderr, "check: no policy file given.\n");
                return CTL_EXIT_USAGE;
        }
        for (int i = optind; i < argc; i++)
                if (check_one(argv[i], strict) < 0)
                        ret = EXIT_FAILURE;
        return ret;
}
