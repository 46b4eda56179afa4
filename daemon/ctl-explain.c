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
#include "diag-internal.h"
#include "resolve.h"
#include "symbols.h"
#include "syscall-groups.h"

/* Numbers and constants joined with '|', as policy files write them (lib/symbols.c). */
int ctl_parse_scalar(const char *s, uint64_t *ret) {
        return srd_value_parse(s, ret, NULL, NULL);
}

static const char *errno_name(int error) {
        return srd_errno_to_string(error) ?: "?";
}

void ctl_verdict_view(const SrdVerdict *v, SrdEventVerdict *ret) {
        *ret = (SrdEventVerdict){
                .action = v->action,
                .rule = v->rule,
                .error = v->error,
                .log = v->log,
                .path_mask = v->path_mask,
                .to = {v->to[0], v->to[1]},
                .args_mask = v->args_mask,
        };
        memcpy(ret->args, v->args, sizeof(ret->args));
}

char *ctl_describe_verdict(const SrdPolicy *p, const SrdEventVerdict *v) {
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
                        const char *bad = tokens[t], *hint;
                        size_t bad_len = 0;

                        (void) srd_value_parse(tokens[t], &v, &bad, &bad_len);
                        hint = srd_symbol_suggest(bad, bad_len);
                        fprintf(stderr,
                                "explain: argument %d of %s: \"%s\" is neither a number nor a known "
                                "constant%s%s%s.\n",
                                a, e->syscall, tokens[t], hint ? " (did you mean \"" : "", hint ?: "",
                                hint ? "\"?)" : "");
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

/* openat2's struct open_how is given by its flags, which rules naming "flags" compare. */
static void explain_open_how(Explain *e) {
        const SrdSyscallInfo *info = srd_syscall_info(e->nr);

        for (unsigned k = 0; info && k < info->n_paths; k++)
                if (info->paths[k].how_arg >= 0 && info->paths[k].how_arg < SRD_ARGS) {
                        e->sc.how[0] = e->sc.args[info->paths[k].how_arg];
                        e->sc.how_read = true;
                }
}

static void explain_echo(const Explain *e, FILE *f) {
        fprintf(f, "%s(", e->syscall);
        for (size_t i = 0; i < e->n_shown; i++)
                fprintf(f, e->shown_is_path[i] ? "%s\"%s\"" : "%s%s", i > 0 ? ", " : "", e->shown[i]);
        fprintf(f, ")");
}

/* --json: where the path and open_how arguments are, and what run does here. */
static void explain_json_under_run(json_object *o, const Explain *e, const CtlUnderRun *u, const SrdVerdict *v) {
        const SrdSyscallInfo *info = srd_syscall_info(e->nr);
        json_object *a = json_object_new_array(), *how = NULL, *r = json_object_new_object();

        for (unsigned k = 0; info && k < info->n_paths; k++) {
                json_object_array_add(a, json_object_new_int(info->paths[k].arg));
                if (info->paths[k].how_arg >= 0)
                        how = json_object_new_int(info->paths[k].how_arg);
        }
        json_object_object_add(o, "pathArgs", a);
        json_object_object_add(o, "howArg", how);

        json_object_object_add(r, "notified", json_object_new_boolean(u->notified));
        json_object_object_add(r, "action", json_object_new_string(srd_action_to_string(u->action) ?: "?"));
        if (u->action == SRD_ACTION_ERRNO)
                json_object_object_add(r, "errno", json_object_new_string(errno_name(u->error)));
        if (u->notified && v->action == SRD_ACTION_REDIRECT)
                json_object_object_add(r, "kernelRedirect",
                                       json_object_new_string(srd_redirect_support_to_string(u->kernel) ?: "?"));
        json_object_object_add(r, "why", u->why ? json_object_new_string(u->why) : NULL);
        json_object_object_add(o, "underRun", r);
}

static int explain_print_json(const Explain *e, const SrdPolicy *p, const SrdVerdict *v, int eval_error,
                              const CtlUnderRun *u) {
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
        json_object_object_add(o, "group",
                               v->rule >= 0 && srd_policy_rule_group(p, (size_t) v->rule, e->nr)
                                       ? json_object_new_string(srd_policy_rule_group(p, (size_t) v->rule, e->nr))
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

        explain_json_under_run(o, e, u, v);

        printf("%s\n",
               json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return 0;
}

/* explain --groups: the syscall groups a rule's "names" may use, with the members this system has. */
static int explain_list_groups(void) {
        const SrdSyscallGroup *g;
        size_t n;

        g = srd_syscall_groups(&n);
        for (size_t i = 0; i < n; i++) {
                printf("%s: %s\n ", g[i].name, g[i].description);
                for (const char *const *m = g[i].members; *m; m++)
                        if (srd_syscall_resolve(*m) >= 0)
                                printf(" %s", *m);
                printf("\n");
        }
        return EXIT_SUCCESS;
}

/* "unknown syscall" with the closest native name. */
static void explain_unknown_syscall(const char *name) {
        const char *names[1024];
        size_t n = 0;
        const char *hint;

        for (int nr = 0; nr < 1024; nr++) {
                const char *s = srd_syscall_name(nr);

                if (s)
                        names[n++] = s;
        }
        hint = name[0] == '@' ? srd_syscall_group_suggest(name) : srd_suggest(name, names, n);
        if (name[0] == '@')
                fprintf(stderr, "explain: \"%s\" is a syscall group: explain takes one syscall (see explain --groups).\n",
                        name);
        else if (hint)
                fprintf(stderr, "explain: unknown syscall \"%s\" (did you mean \"%s\"?).\n", name, hint);
        else
                fprintf(stderr, "explain: unknown syscall \"%s\".\n", name);
}

/* " via @file-write" when a group brought the syscall into the deciding rule. */
static void explain_print_group(const SrdPolicy *p, const SrdVerdict *v, int nr) {
        const char *g = v->rule >= 0 ? srd_policy_rule_group(p, (size_t) v->rule, nr) : NULL;

        if (g)
                printf(" via %s", g);
}

/* run knows no container id: with --id, a target with {id} that renders here fails there. */
static int explain_eval_under_run(const SrdPolicy *p, const Explain *e, int eval_error) {
        SrdSyscall sc = e->sc;
        SrdVerdict v;

        if (!sc.id || eval_error < 0)
                return eval_error;
        sc.id = NULL;
        return srd_policy_evaluate(p, &sc, &v);
}

/* The line under the verdict when run, on this machine, does something else with the call. */
static void explain_print_under_run(const CtlUnderRun *u) {
        if (!u->why)
                return;
        if (u->action == SRD_ACTION_ERRNO)
                printf("  under run here: errno %s: %s\n", errno_name(u->error), u->why);
        else
                printf("  under run here: %s: %s\n", srd_action_to_string(u->action) ?: "?", u->why);
}

int verb_explain(int argc, char *argv[]) {
        enum { ARG_PID = 0x100 };
        static const struct option options[] = {{"policy", required_argument, NULL, 'p'},
                                                {"json", no_argument, NULL, 'j'},
                                                {"groups", no_argument, NULL, 'g'},
                                                {"id", required_argument, NULL, 'i'},
                                                {"pid", required_argument, NULL, ARG_PID},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        SrdPolicy *p = NULL;
        const char *policy_path = NULL;
        bool json = false;
        Explain e = {};
        SrdVerdict v = {};
        CtlUnderRun u;
        int c, r;

        /* '+': stop at the syscall name, so "-100" stays an argument. */
        optind = 1;
        while ((c = getopt_long(argc, argv, "+p:jh", options, NULL)) >= 0)
                switch (c) {
                case 'i':
                        /* {id} in redirect targets: the container id the call would come from. */
                        e.sc.id = optarg;
                        break;
                case 'p':
                        policy_path = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'g':
                        return explain_list_groups();
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
                        printf("explain --policy FILE [--json] [--pid PID] [--id ID] SYSCALL [ARG...]\n"
                               "explain --groups\n\n"
                               "--pid PID resolves path arguments as that process would (its working\n"
                               "directory, its root, symbolic links): what the daemon's rules judge.\n"
                               "--id ID is the container id {id} in redirect targets stands for.\n");
                        return EXIT_SUCCESS;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (!policy_path || optind >= argc) {
                fprintf(stderr,
                        "explain: usage: explain --policy FILE [--json] [--pid PID] [--id ID] SYSCALL [ARG...]\n");
                return CTL_EXIT_USAGE;
        }

        e.syscall = argv[optind];
        e.nr = srd_syscall_resolve(e.syscall);
        if (e.nr < 0) {
                explain_unknown_syscall(e.syscall);
                return CTL_EXIT_USAGE;
        }
        e.sc.nr = e.nr;

        r = explain_map_args(&e, argv + optind + 1, (size_t) (argc - optind - 1));
        if (r < 0)
                return CTL_EXIT_USAGE;
        explain_open_how(&e);

        if (ctl_load_policy(policy_path, &p) < 0)
                return EXIT_FAILURE;

        r = srd_policy_evaluate(p, &e.sc, &v);
        ctl_under_run(p, e.nr, &v, explain_eval_under_run(p, &e, r), r >= 0 && e.sc.id, &u);
        if (json)
                explain_print_json(&e, p, &v, r, &u);
        else {
                explain_echo(&e, stdout);
                if (v.rule >= 0) {
                        const char *name = srd_policy_rule_name(p, (size_t) v.rule) ?: "?";
                        char where[32];

                        (void) snprintf(where, sizeof(where), "rules[%d]", v.rule);
                        printf(" -> rule \"%s\"", name);
                        if (!streq(name, where))
                                printf(" (%s)", where);
                        explain_print_group(p, &v, e.nr);
                } else
                        printf(" -> default action");

                if (r < 0)
                        /* The task's doing, so never redirectFallback: the listener denies. */
                        printf(": redirect target invalid (%s): errno %s\n", strerror(-r),
                               errno_name(r == -ENAMETOOLONG ? ENAMETOOLONG : EACCES));
                else {
                        _cleanup_free_ char *what = NULL;
                        SrdEventVerdict view;

                        ctl_verdict_view(&v, &view);
                        what = ctl_describe_verdict(p, &view);

                        printf(": %s\n", what ?: "?");
                }
                explain_print_under_run(&u);
        }

        srd_policy_unref(p);
        return EXIT_SUCCESS;
}
