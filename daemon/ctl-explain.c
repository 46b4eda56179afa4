/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `explain`: run one made-up syscall through a policy, the same
 * srd_policy_evaluate() the daemon uses, and say which rule decides it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "macro.h"
#include "resolve.h"

typedef struct Constant {
        const char *name;
        int64_t value;
} Constant;

#define C(x) \
        { #x, (int64_t) (x) }
/* What policy authors write in strace output and in C: flags, dirfds, socket arguments, modes. */
static const Constant constants[] = {
        C(O_RDONLY),
        C(O_WRONLY),
        C(O_RDWR),
        C(O_ACCMODE),
        C(O_CREAT),
        C(O_EXCL),
        C(O_NOCTTY),
        C(O_TRUNC),
        C(O_APPEND),
        C(O_NONBLOCK),
        C(O_NDELAY),
        C(O_DSYNC),
        C(O_SYNC),
        C(O_RSYNC),
        C(O_ASYNC),
        C(O_DIRECT),
        C(O_LARGEFILE),
        C(O_DIRECTORY),
        C(O_NOFOLLOW),
        C(O_NOATIME),
        C(O_CLOEXEC),
        C(O_PATH),
        C(O_TMPFILE),
        C(AT_FDCWD),
        C(AT_SYMLINK_NOFOLLOW),
        C(AT_REMOVEDIR),
        C(AT_SYMLINK_FOLLOW),
        C(AT_NO_AUTOMOUNT),
        C(AT_EMPTY_PATH),
        C(AT_EACCESS),
        C(F_OK),
        C(R_OK),
        C(W_OK),
        C(X_OK),
        C(AF_UNSPEC),
        C(AF_UNIX),
        C(AF_LOCAL),
        C(AF_INET),
        C(AF_INET6),
        C(AF_NETLINK),
        C(AF_PACKET),
        C(AF_BLUETOOTH),
        C(AF_ALG),
        C(AF_VSOCK),
        C(AF_KEY),
        C(AF_APPLETALK),
        C(AF_X25),
        C(AF_AX25),
        C(AF_IPX),
        C(AF_CAN),
        C(AF_TIPC),
        C(AF_RDS),
        C(AF_XDP),
        C(AF_MPLS),
        C(AF_BRIDGE),
        C(SOCK_STREAM),
        C(SOCK_DGRAM),
        C(SOCK_RAW),
        C(SOCK_RDM),
        C(SOCK_SEQPACKET),
        C(SOCK_DCCP),
        C(SOCK_PACKET),
        C(SOCK_NONBLOCK),
        C(SOCK_CLOEXEC),
        C(S_IRWXU),
        C(S_IRUSR),
        C(S_IWUSR),
        C(S_IXUSR),
        C(S_IRWXG),
        C(S_IRGRP),
        C(S_IWGRP),
        C(S_IXGRP),
        C(S_IRWXO),
        C(S_IROTH),
        C(S_IWOTH),
        C(S_IXOTH),
        C(S_ISUID),
        C(S_ISGID),
        C(S_ISVTX),
        C(S_IFREG),
        C(S_IFCHR),
        C(S_IFBLK),
        C(S_IFIFO),
        C(S_IFSOCK),
};
#undef C

static int parse_one(const char *s, size_t len, uint64_t *ret) {
        char buf[64], *end;

        while (len > 0 && (*s == ' ' || *s == '\t'))
                s++, len--;
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                len--;
        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;

        for (size_t i = 0; i < ELEMENTSOF(constants); i++)
                if (streq(buf, constants[i].name)) {
                        /* Registers hold ints sign-extended: AT_FDCWD is 0xffffffffffffff9c. */
                        *ret = (uint64_t) constants[i].value;
                        return 0;
                }

        errno = 0;
        if (buf[0] == '-') {
                long long v = strtoll(buf, &end, 0);

                if (errno != 0 || *end)
                        return -EINVAL;
                *ret = (uint64_t) v;
        } else {
                unsigned long long v = strtoull(buf, &end, 0); /* 0x.., 0755 octal, decimal */

                if (errno != 0 || *end || end == buf)
                        return -EINVAL;
                *ret = (uint64_t) v;
        }
        return 0;
}

int ctl_parse_scalar(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        for (;;) {
                const char *bar = strchr(s, '|');
                size_t len = bar ? (size_t) (bar - s) : strlen(s);
                uint64_t part;
                int r;

                r = parse_one(s, len, &part);
                if (r < 0)
                        return r;
                v |= part;
                if (!bar)
                        break;
                s = bar + 1;
        }
        *ret = v;
        return 0;
}

static const char *errno_name(int error) {
        return srd_errno_to_string(error) ?: "?";
}

char *ctl_describe_verdict(const SrdPolicy *p, const SrdVerdict *v) {
        char buf[2 * SRD_PATH_MAX + 512];
        size_t n = 0;

#define APPEND(...) n += (size_t) snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, __VA_ARGS__)
        switch (v->action) {
        case SRD_ACTION_ERRNO:
                APPEND("errno %s", errno_name(v->error));
                break;
        case SRD_ACTION_REDIRECT: {
                const char *sep = " ";

                APPEND("redirect");
                for (unsigned i = 0; i < SRD_MAX_PATHS; i++)
                        if (v->path_mask & (1U << i)) {
                                APPEND("%s%s%s", sep, i == 0 ? "to " : "and ", v->to[i]);
                                sep = " ";
                        }
                sep = v->path_mask ? ", " : " ";
                for (unsigned i = 0; i < SRD_ARGS; i++)
                        if (v->args_mask & (1U << i)) {
                                APPEND("%sset arg%u=0x%" PRIx64, sep, i, v->args[i]);
                                sep = ", ";
                        }
                break;
        }
        default:
                APPEND("%s", srd_action_to_string(v->action) ?: "?");
        }
        if (v->log)
                APPEND(" (logged)");
#undef APPEND
        (void) p;
        return strdup(buf);
}

typedef struct Explain {
        const char *syscall;
        int nr;
        SrdSyscall sc;
        char paths[SRD_MAX_PATHS][SRD_PATH_MAX + 1];
        const char *given_paths[SRD_MAX_PATHS];
        const char *shown[SRD_ARGS]; /* the user's tokens, in order, for the echo */
        bool shown_is_path[SRD_ARGS];
        size_t n_shown;
        pid_t pid; /* --pid: resolve paths as this process would; 0: take them as written */
} Explain;

/*
 * --pid: path k as the daemon takes it from that process (a container's):
 * walked in its view (its cwd, its root), links followed, the last
 * component as the call treats it. Where that differs from what was
 * written, say so; where the kernel would fail the call, say that a
 * continue gets its errno.
 */
static int explain_lexical(Explain *e, unsigned k, const char *cwd, const char *p);

static int explain_resolve(Explain *e, const SrdSyscallInfo *info, unsigned k, const char *cwd,
                           const char *p) {
        int final = srd_path_arg_final(&info->paths[k], e->sc.args, 0), r;

        r = final < 0 ? final
                      : resolve_task_path(e->pid, AT_FDCWD, p, (ResolveFinal) final, 0, e->paths[k],
                                          sizeof(e->paths[k]));
        if (r == 0 && e->paths[k][0] == '/') {
                char lexical[SRD_PATH_MAX + 1];

                if (srd_path_join(cwd ?: "/", p, lexical, sizeof(lexical)) < 0 ||
                    !streq(lexical, e->paths[k]))
                        fprintf(stderr,
                                "explain: note: \"%s\" resolves to \"%s\" for pid %d; rules judge that.\n",
                                p, e->paths[k], (int) e->pid);
                return 0;
        }
        if (r == 0) {
                fprintf(stderr,
                        "explain: note: \"%s\" names %s, which has no path; path conditions do not "
                        "match it.\n",
                        p, e->paths[k]);
                return -ENOENT;
        }
        if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP || r == -ENAMETOOLONG)
                fprintf(stderr,
                        "explain: note: \"%s\" fails for that process (%s): rules see the name it looks "
                        "for, and a continue is answered with %s.\n",
                        p, strerror(-r), errno_name(-r));
        else
                fprintf(stderr,
                        "explain: note: \"%s\" cannot be walked for that process (%s); matched as "
                        "written.\n",
                        p, strerror(-r));
        return explain_lexical(e, k, cwd, p);
}

/* Without --pid: the path as written is taken to be the real one (a rule
 * judges the resolved path; what it resolves to depends on the container). */
static int explain_lexical(Explain *e, unsigned k, const char *cwd, const char *p) {
        int r = srd_path_join(cwd ?: "/", p, e->paths[k], sizeof(e->paths[k]));

        if (r < 0) {
                fprintf(stderr, "explain: path \"%s\": %s; path conditions do not match it.\n", p,
                        strerror(-r));
                return r;
        }
        return 0;
}

static int path_index_of_arg(const SrdSyscallInfo *info, int arg, bool dirfd) {
        for (unsigned k = 0; info && k < info->n_paths; k++)
                if ((dirfd ? info->paths[k].dirfd_arg : info->paths[k].arg) == arg)
                        return (int) k;
        return -1;
}

static bool looks_like_scalar(const char *s) {
        uint64_t v;

        return ctl_parse_scalar(s, &v) >= 0;
}

/* Map the user's tokens onto argument registers; see seccomp-redirectctl(1). */
static int explain_map_args(Explain *e, char **tokens, size_t n_tokens) {
        const SrdSyscallInfo *info = srd_syscall_info(e->nr);
        bool dirfd_relative[SRD_MAX_PATHS] = {};
        _cleanup_free_ char *cwd = NULL;
        size_t t = 0;
        int r;

        /* Unless told otherwise, *at syscalls are relative to the cwd, as from a shell. */
        for (unsigned k = 0; info && k < info->n_paths; k++)
                if (info->paths[k].dirfd_arg >= 0)
                        e->sc.args[info->paths[k].dirfd_arg] = (uint64_t) (int64_t) AT_FDCWD;

        for (int a = 0; a < SRD_ARGS && t < n_tokens; a++) {
                int k = path_index_of_arg(info, a, false);
                uint64_t v;

                if (k >= 0) {
                        e->given_paths[k] = tokens[t];
                        e->shown_is_path[e->n_shown] = true;
                        e->shown[e->n_shown++] = tokens[t++];
                        continue;
                }

                k = path_index_of_arg(info, a, true);
                if (k >= 0 && !looks_like_scalar(tokens[t]))
                        continue; /* only the path given: the dirfd is AT_FDCWD */

                if (ctl_parse_scalar(tokens[t], &v) < 0) {
                        fprintf(stderr,
                                "explain: argument %d of %s: \"%s\" is neither a number nor a known "
                                "constant.\n",
                                a, e->syscall, tokens[t]);
                        return -EINVAL;
                }
                e->sc.args[a] = v;
                if (k >= 0 && (int64_t) v != AT_FDCWD)
                        dirfd_relative[k] = true;
                e->shown[e->n_shown++] = tokens[t++];
        }
        if (t < n_tokens) {
                fprintf(stderr, "explain: too many arguments for %s: \"%s\" is left over.\n", e->syscall,
                        tokens[t]);
                return -EINVAL;
        }

        cwd = getcwd(NULL, 0);
        for (unsigned k = 0; info && k < info->n_paths; k++) {
                const char *p = e->given_paths[k];

                if (!p)
                        continue;
                if (p[0] != '/' && dirfd_relative[k]) {
                        /* We cannot know what a made-up fd points to. */
                        fprintf(stderr,
                                "explain: note: \"%s\" is relative to a directory fd; "
                                "path conditions do not match it.\n",
                                p);
                        continue;
                }
                r = e->pid > 0 ? explain_resolve(e, info, k, cwd, p) : explain_lexical(e, k, cwd, p);
                if (r < 0)
                        continue;
                e->sc.paths[k] = e->paths[k];
        }
        return 0;
}

static void explain_echo(const Explain *e, FILE *f) {
        fprintf(f, "%s(", e->syscall);
        for (size_t i = 0; i < e->n_shown; i++)
                fprintf(f, e->shown_is_path[i] ? "%s\"%s\"" : "%s%s", i > 0 ? ", " : "", e->shown[i]);
        fprintf(f, ")");
}

static int explain_print_json(const Explain *e, const SrdPolicy *p, const SrdVerdict *v, int eval_error) {
        json_object *o = json_object_new_object(), *a;
        SrdAction fb_action;
        int fb_error;

        json_object_object_add(o, "syscall", json_object_new_string(e->syscall));
        json_object_object_add(o, "nr", json_object_new_int(e->nr));
        a = json_object_new_array();
        for (int i = 0; i < SRD_ARGS; i++)
                json_object_array_add(a, json_object_new_uint64(e->sc.args[i]));
        json_object_object_add(o, "args", a);
        a = json_object_new_array();
        for (int i = 0; i < SRD_MAX_PATHS; i++)
                if (e->given_paths[i])
                        json_object_array_add(a, e->sc.paths[i] ? json_object_new_string(e->sc.paths[i])
                                                                : NULL);
        json_object_object_add(o, "paths", a);
        a = json_object_new_array();
        for (int i = 0; i < SRD_MAX_PATHS; i++)
                if (e->given_paths[i])
                        json_object_array_add(a, json_object_new_string(e->given_paths[i]));
        json_object_object_add(o, "written", a);
        json_object_object_add(o, "rule", json_object_new_int(v->rule));
        json_object_object_add(
                o, "ruleName",
                v->rule >= 0 ? json_object_new_string(srd_policy_rule_name(p, (size_t) v->rule) ?: "")
                             : NULL);
        json_object_object_add(o, "action", json_object_new_string(srd_action_to_string(v->action) ?: "?"));
        if (v->action == SRD_ACTION_ERRNO)
                json_object_object_add(o, "errno", json_object_new_string(errno_name(v->error)));
        if (v->action == SRD_ACTION_REDIRECT) {
                const SrdSyscallInfo *info = srd_syscall_info(e->nr);
                unsigned n_paths = info ? info->n_paths : 0;

                /* One entry per path argument, null where it stays as it is. */
                for (unsigned i = 0; i < SRD_MAX_PATHS; i++)
                        if (v->path_mask & (1U << i))
                                n_paths = MAX(n_paths, i + 1);
                a = json_object_new_array();
                for (unsigned i = 0; i < n_paths; i++)
                        json_object_array_add(a, v->path_mask & (1U << i) ? json_object_new_string(v->to[i])
                                                                          : NULL);
                json_object_object_add(o, "to", a);
                a = json_object_new_array();
                for (unsigned i = 0; i < SRD_ARGS; i++)
                        if (v->args_mask & (1U << i)) {
                                json_object *s = json_object_new_object();

                                json_object_object_add(s, "index", json_object_new_int((int) i));
                                json_object_object_add(s, "value", json_object_new_uint64(v->args[i]));
                                json_object_array_add(a, s);
                        }
                json_object_object_add(o, "set", a);
        }
        json_object_object_add(o, "log", json_object_new_boolean(v->log));
        if (eval_error < 0)
                json_object_object_add(o, "error", json_object_new_string(errno_name(-eval_error)));

        srd_policy_redirect_fallback(p, &fb_action, &fb_error);
        a = json_object_new_object();
        json_object_object_add(a, "action", json_object_new_string(srd_action_to_string(fb_action) ?: "?"));
        if (fb_action == SRD_ACTION_ERRNO)
                json_object_object_add(a, "errno", json_object_new_string(errno_name(fb_error)));
        json_object_object_add(o, "redirectFallback", a);

        /* What the daemon answers when it cannot read or place this call's
         * paths: pathError where a path rule names it, else the rules
         * decide without the path (null). */
        if (srd_policy_has_path_rule(p, e->nr)) {
                srd_policy_path_error(p, &fb_action, &fb_error);
                a = json_object_new_object();
                json_object_object_add(a, "action",
                                       json_object_new_string(srd_action_to_string(fb_action) ?: "?"));
                if (fb_action == SRD_ACTION_ERRNO)
                        json_object_object_add(a, "errno", json_object_new_string(errno_name(fb_error)));
        } else
                a = NULL;
        json_object_object_add(o, "pathError", a);

        printf("%s\n",
               json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return 0;
}

int verb_explain(int argc, char *argv[]) {
        enum { ARG_PID = 0x100 };
        static const struct option options[] = {{"policy", required_argument, NULL, 'p'},
                                                {"json", no_argument, NULL, 'j'},
                                                {"pid", required_argument, NULL, ARG_PID},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        SrdPolicy *p = NULL;
        const char *policy_path = NULL;
        bool json = false;
        Explain e = {};
        SrdVerdict v = {};
        int c, r;

        /* '+': stop at the syscall name, so "-100" stays an argument. */
        optind = 1;
        while ((c = getopt_long(argc, argv, "+p:jh", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        policy_path = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case ARG_PID: {
                        char *end;
                        long pid;

                        errno = 0;
                        pid = strtol(optarg, &end, 10);
                        if (errno || end == optarg || *end || pid <= 0 || pid > INT32_MAX) {
                                fprintf(stderr, "explain: --pid: expected a process id, got \"%s\".\n",
                                        optarg);
                                return CTL_EXIT_USAGE;
                        }
                        e.pid = (pid_t) pid;
                        break;
                }
                case 'h':
                        printf("explain --policy FILE [--json] [--pid PID] SYSCALL [ARG...]\n\n"
                               "--pid PID resolves path arguments as that process would (its working\n"
                               "directory, its root, symbolic links): what the daemon's rules judge.\n");
                        return EXIT_SUCCESS;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (!policy_path || optind >= argc) {
                fprintf(stderr,
                        "explain: usage: explain --policy FILE [--json] [--pid PID] SYSCALL [ARG...]\n");
                return CTL_EXIT_USAGE;
        }

        e.syscall = argv[optind];
        e.nr = srd_syscall_resolve(e.syscall);
        if (e.nr < 0) {
                fprintf(stderr, "explain: unknown syscall \"%s\".\n", e.syscall);
                return CTL_EXIT_USAGE;
        }
        e.sc.nr = e.nr;

        r = explain_map_args(&e, argv + optind + 1, (size_t) (argc - optind - 1));
        if (r < 0)
                return CTL_EXIT_USAGE;

        if (ctl_load_policy(policy_path, &p) < 0)
                return EXIT_FAILURE;

        r = srd_policy_evaluate(p, &e.sc, &v);
        if (json)
                explain_print_json(&e, p, &v, r);
        else {
                explain_echo(&e, stdout);
                if (v.rule >= 0) {
                        const char *name = srd_policy_rule_name(p, (size_t) v.rule) ?: "?";
                        char where[32];

                        (void) snprintf(where, sizeof(where), "rules[%d]", v.rule);
                        printf(" -> rule \"%s\"", name);
                        if (!streq(name, where))
                                printf(" (%s)", where);
                } else
                        printf(" -> default action");

                if (r < 0)
                        /* The task's doing, so never redirectFallback: the listener denies. */
                        printf(": redirect target invalid (%s): errno %s\n", strerror(-r),
                               errno_name(r == -ENAMETOOLONG ? ENAMETOOLONG : EACCES));
                else {
                        _cleanup_free_ char *what = ctl_describe_verdict(p, &v);

                        printf(": %s\n", what ?: "?");
                }
        }

        srd_policy_unref(p);
        return EXIT_SUCCESS;
}
