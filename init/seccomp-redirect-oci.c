/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seccomp-redirect-oci: an OCI runtime wrapper (like
 * nvidia-container-runtime) that puts seccomp-redirect-init in front of the
 * processes of containers that have a policy, then execs the real runtime
 * (runc or crun) with the same arguments. create/run rewrite the bundle's
 * config.json, exec its --process file (or, without one, inserts the init
 * into its command line); everything else, and every container without a
 * policy, passes through untouched.
 *
 * The policy comes from the operator: the policy= key of the wrapper's
 * configuration (one configuration per runtime handler: the file is looked
 * up by the name the wrapper was called as), or the annotation
 * seccomp-redirect.policy when the daemon's --policy-from allows
 * annotations. The wrapper writes it, with the container id, into a
 * single-use token file only root can write; the init presents the token,
 * never a policy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "init-proto.h"
#include "macro.h"
#include "oci-rewrite.h"

#define CONFIG_DIR "/etc/seccomp-redirectd"

typedef struct Config {
        char runtime[4096];
        char init[4096];
        char init_dir[4096];
        char policy[SRI_POLICY_MAX + 1]; /* "" none */
} Config;

static const char *prog = "seccomp-redirect-oci";

_printf_(1, 2) static void say(const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static int copy_value(char *dst, size_t size, const char *v) {
        if (strlen(v) >= size)
                return -ENAMETOOLONG;
        strcpy(dst, v);
        return 0;
}

/* KEY=VALUE lines, '#' comments; the operator's file, read as root. */
static int config_load(const char *path, Config *c) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        unsigned lineno = 0;
        FILE *f;
        int r = 0;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        while (getline(&line, &size, f) >= 0) {
                char *k = line, *v, *end;

                lineno++;
                k += strspn(k, " \t");
                end = k + strcspn(k, "\r\n");
                *end = 0;
                if (*k == 0 || *k == '#')
                        continue;
                v = strchr(k, '=');
                if (!v) {
                        say("%s:%u: expected KEY=VALUE", path, lineno);
                        r = -EINVAL;
                        break;
                }
                *v++ = 0;
                k[strcspn(k, " \t")] = 0;
                v += strspn(v, " \t");
                while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                        *--end = 0;
                if (streq(k, "runtime"))
                        r = copy_value(c->runtime, sizeof(c->runtime), v);
                else if (streq(k, "init"))
                        r = copy_value(c->init, sizeof(c->init), v);
                else if (streq(k, "init-dir"))
                        r = copy_value(c->init_dir, sizeof(c->init_dir), v);
                else if (streq(k, "policy")) {
                        if (*v && !sri_name_valid(v, strlen(v), SRI_POLICY_MAX)) {
                                say("%s:%u: \"%s\" is not a policy name", path, lineno, v);
                                r = -EINVAL;
                        } else
                                r = copy_value(c->policy, sizeof(c->policy), v);
                } else {
                        say("%s:%u: unknown key \"%s\"", path, lineno, k);
                        r = -EINVAL;
                }
                if (r < 0)
                        break;
        }
        fclose(f);
        return r;
}

/*
 * $SECCOMP_REDIRECT_OCI_CONFIG, else CONFIG_DIR/oci/<name called as>.conf
 * (one per runtime handler: a symlink runc-web -> seccomp-redirect-oci reads
 * oci/runc-web.conf), else CONFIG_DIR/oci.conf, else the defaults.
 */
static int config_find(const char *argv0, Config *c) {
        const char *env = getenv("SECCOMP_REDIRECT_OCI_CONFIG");
        const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
        char path[4096];
        int r;

        *c = (Config){};
        (void) copy_value(c->runtime, sizeof(c->runtime), "/usr/sbin/runc");
        (void) copy_value(c->init, sizeof(c->init), LIBEXECDIR "/seccomp-redirectd/seccomp-redirect-init");
        (void) copy_value(c->init_dir, sizeof(c->init_dir), INIT_DIR);

        if (env && *env)
                return config_load(env, c);
        (void) snprintf(path, sizeof(path), "%s/oci/%s.conf", CONFIG_DIR, base);
        r = config_load(path, c);
        if (r != -ENOENT)
                return r;
        r = config_load(CONFIG_DIR "/oci.conf", c);
        return r == -ENOENT ? 0 : r;
}

/* Global options of runc and crun that take a value (as a separate argument). */
static bool global_takes_value(const char *a) {
        static const char *const v[] = {"--log",      "--log-format",     "--root",     "--criu",
                                        "--rootless", "--cgroup-manager", "--log-level"};

        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                if (streq(a, v[i]))
                        return true;
        return false;
}

static bool sub_takes_value(const char *a) {
        static const char *const v[] = {"-b",
                                        "--bundle",
                                        "--console-socket",
                                        "--pid-file",
                                        "--preserve-fds",
                                        "-f",
                                        "--config",
                                        "--cwd",
                                        "-e",
                                        "--env",
                                        "-u",
                                        "--user",
                                        "-g",
                                        "--additional-gids",
                                        "-p",
                                        "--process",
                                        "--process-label",
                                        "--apparmor",
                                        "-c",
                                        "--cap",
                                        "--cgroup",
                                        "--criu",
                                        "--image-path",
                                        "--work-path",
                                        "--parent-path"};

        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                if (streq(a, v[i]))
                        return true;
        return false;
}

/* The value of option name (long or short) in args[from, to), "--name=value" too. */
static const char *sub_option(char **args, int from, int to, const char *lng, const char *shrt) {
        const char *found = NULL;
        size_t l = strlen(lng);

        for (int i = from; i < to; i++) {
                if ((streq(args[i], lng) || (shrt && streq(args[i], shrt))) && i + 1 < to)
                        found = args[i + 1];
                else if (strncmp(args[i], lng, l) == 0 && args[i][l] == '=')
                        found = args[i] + l + 1;
        }
        return found;
}

/* Index of the first positional argument of a subcommand (its container id), -1 when none. */
static int first_positional(char **args, int from, int argc) {
        for (int i = from; i < argc; i++) {
                if (streq(args[i], "--"))
                        return i + 1 < argc ? i + 1 : -1;
                if (args[i][0] != '-')
                        return i;
                if (!strchr(args[i], '=') && sub_takes_value(args[i]))
                        i++;
        }
        return -1;
}

static int make_token(char ret[SRI_TOKEN_LEN + 1]) {
        uint8_t b[SRI_TOKEN_LEN / 2];

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -EIO;
        for (size_t i = 0; i < sizeof(b); i++)
                (void) snprintf(ret + 2 * i, 3, "%02x", b[i]);
        return 0;
}

/* DIR/tokens/<token>, 0600, complete before it has its name: the daemon never reads half of one. */
static int write_token(const Config *c, const char *token, const char *id, const char *policy,
                       const char *source) {
        char path[4096 + 64], tmp[4096 + 80], content[SRI_TOKEN_FILE_MAX];
        _cleanup_close_ int fd = -EBADF;
        int n;

        n = snprintf(content, sizeof(content), "container=%s\npolicy=%s\nsource=%s\n", id, policy, source);
        if (n < 0 || (size_t) n >= sizeof(content))
                return -ENAMETOOLONG;
        (void) snprintf(path, sizeof(path), "%s/tokens/%s", c->init_dir, token);
        (void) snprintf(tmp, sizeof(tmp), "%s/tokens/.%s.tmp", c->init_dir, token);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        if (write(fd, content, (size_t) n) != n || fsync(fd) < 0 || rename(tmp, path) < 0) {
                int r = negative_errno();
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

/* Tokens never presented (a create never started, an exec that failed) go with their container. */
static void remove_tokens_of(const Config *c, const char *id) {
        char dir[4096 + 16];
        struct dirent *de;
        DIR *d;

        (void) snprintf(dir, sizeof(dir), "%s/tokens", c->init_dir);
        d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char buf[SRI_TOKEN_FILE_MAX + 1], tid[SRI_ID_MAX + 1], tpol[SRI_POLICY_MAX + 1];
                _cleanup_close_ int fd = -EBADF;
                SriSource src;
                ssize_t n;

                if (!sri_token_valid(de->d_name, strlen(de->d_name)))
                        continue;
                fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        continue;
                n = read(fd, buf, sizeof(buf));
                if (n > 0 && sri_parse_token_file(buf, (size_t) n, tid, tpol, &src) >= 0 && streq(tid, id))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}

/* Which policy a new container gets, and who chose it; *ret_policy NULL: none. */
static int policy_for_bundle(const Config *c, const char *config_path, char **ret_policy,
                             const char **ret_source) {
        _cleanup_free_ char *a = NULL;
        int r;

        r = oci_annotation_from_file(config_path, OCI_ANNOTATION_POLICY, &a);
        if (r < 0) {
                say("cannot read %s: %s", config_path, strerror(-r));
                return r;
        }
        if (a) {
                if (!sri_name_valid(a, strlen(a), SRI_POLICY_MAX)) {
                        say("annotation %s=\"%s\" is not a policy name", OCI_ANNOTATION_POLICY, a);
                        return -EINVAL;
                }
                *ret_policy = TAKE_PTR(a);
                *ret_source = "annotation";
                return 0;
        }
        *ret_policy = c->policy[0] ? strdup(c->policy) : NULL;
        *ret_source = "operator";
        return 0;
}

/* `RUNTIME [globals] state ID`, its stdout. */
static int runtime_state(const Config *c, char **argv, int sub, const char *id, char **ret) {
        _cleanup_free_ char **args = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;
        int p[2], status, n = 0;
        pid_t pid;

        args = calloc((size_t) sub + 4, sizeof(char *));
        if (!args)
                return -ENOMEM;
        args[n++] = (char *) c->runtime;
        for (int i = 1; i < sub; i++)
                args[n++] = argv[i];
        args[n++] = (char *) "state";
        args[n++] = (char *) id;
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                (void) dup2(p[1], STDOUT_FILENO);
                execv(c->runtime, args);
                _exit(127);
        }
        (void) close(p[1]);
        for (;;) {
                ssize_t k;

                if (len + 4096 + 1 > size) {
                        char *nb = realloc(buf, size = size ? 2 * size : 16384);
                        if (!nb) {
                                (void) close(p[0]);
                                (void) waitpid(pid, NULL, 0);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
                k = read(p[0], buf + len, 4096);
                if (k <= 0)
                        break;
                len += (size_t) k;
        }
        (void) close(p[0]);
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !buf)
                return -ESRCH;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* The policy create bound to the container: from the runtime's state, else its bundle. */
static int policy_for_running(const Config *c, char **argv, int sub, const char *id, char **ret_policy,
                              const char **ret_source) {
        _cleanup_free_ char *state = NULL, *bundle = NULL, *policy = NULL, *source = NULL, *cfg = NULL;
        int r;

        r = runtime_state(c, argv, sub, id, &state);
        if (r < 0)
                return r;
        r = oci_state_lookup(state, OCI_ANNOTATION_BOUND, &policy, &bundle);
        if (r < 0)
                return r;
        free(bundle);
        bundle = NULL;
        r = oci_state_lookup(state, OCI_ANNOTATION_BOUND_SOURCE, &source, &bundle);
        if (r < 0)
                return r;
        if (!policy && bundle) {
                if (asprintf(&cfg, "%s/config.json", bundle) < 0)
                        return -ENOMEM;
                (void) oci_annotation_from_file(cfg, OCI_ANNOTATION_BOUND, &policy);
                (void) oci_annotation_from_file(cfg, OCI_ANNOTATION_BOUND_SOURCE, &source);
        }
        if (policy && !sri_name_valid(policy, strlen(policy), SRI_POLICY_MAX))
                return -EINVAL;
        *ret_policy = TAKE_PTR(policy);
        *ret_source = source && streq(source, "annotation") ? "annotation" : "operator";
        return 0;
}

_Noreturn static void exec_runtime(const Config *c, char **argv) {
        argv[0] = (char *) c->runtime;
        execv(c->runtime, argv);
        say("cannot execute the runtime %s: %m", c->runtime);
        _exit(127);
}

static int prepare(const Config *c, const char *id, const char *policy, const char *source, OciRewrite *w,
                   char token[SRI_TOKEN_LEN + 1], char socket_path[4096 + 16]) {
        int r;

        if (!sri_name_valid(id, strlen(id), SRI_ID_MAX)) {
                say("container id \"%s\" cannot be bound to a policy", id);
                return -EINVAL;
        }
        r = make_token(token);
        if (r < 0)
                return r;
        (void) snprintf(socket_path, 4096 + 16, "%s/init.sock", c->init_dir);
        *w = (OciRewrite){.init_path = c->init,
                          .socket_path = socket_path,
                          .token = token,
                          .policy = policy,
                          .source = source};
        r = write_token(c, token, id, policy, source);
        if (r < 0)
                say("cannot write a token into %s/tokens (is seccomp-redirectd running with --init-dir "
                    "%s?): %s",
                    c->init_dir, c->init_dir, strerror(-r));
        return r;
}

static int do_create(const Config *c, char **argv, int argc, int sub) {
        char token[SRI_TOKEN_LEN + 1], socket_path[4096 + 16];
        _cleanup_free_ char *config_path = NULL, *policy = NULL;
        const char *bundle, *cfg, *source = "operator", *id;
        OciRewrite w;
        int pos, r;

        pos = first_positional(argv, sub + 1, argc);
        if (pos < 0)
                return 0; /* no id: let the runtime complain */
        id = argv[pos];
        bundle = sub_option(argv, sub + 1, pos, "--bundle", "-b") ?: ".";
        cfg = sub_option(argv, sub + 1, pos, "--config", "-f");
        if (cfg && cfg[0] == '/')
                config_path = strdup(cfg);
        else if (asprintf(&config_path, "%s/%s", bundle, cfg ?: "config.json") < 0)
                config_path = NULL;
        if (!config_path)
                return -ENOMEM;

        r = policy_for_bundle(c, config_path, &policy, &source);
        if (r < 0)
                return r;
        if (!policy) {
                _cleanup_free_ char *bound = NULL, *bound_source = NULL;

                /* exec believes these two (they name the policy and who chose it): on a
                 * container the wrapper did not rewrite they come from its creator, who
                 * could pass off a policy of their choosing as the operator's. */
                (void) oci_annotation_from_file(config_path, OCI_ANNOTATION_BOUND, &bound);
                (void) oci_annotation_from_file(config_path, OCI_ANNOTATION_BOUND_SOURCE, &bound_source);
                if (bound || bound_source) {
                        say("the annotations %s and %s are the wrapper's own, refusing a container that "
                            "sets them",
                            OCI_ANNOTATION_BOUND, OCI_ANNOTATION_BOUND_SOURCE);
                        return -EPERM;
                }
                return 0; /* not ours: untouched */
        }
        r = prepare(c, id, policy, source, &w, token, socket_path);
        if (r < 0)
                return r;
        r = oci_rewrite_config(config_path, &w);
        if (r < 0)
                say("cannot rewrite %s: %s", config_path, strerror(-r));
        return r;
}

/* exec: the --process file, or the command line (ID CMD...) with the init in front. */
static int do_exec(const Config *c, char ***argvp, int *argcp, int sub) {
        char token[SRI_TOKEN_LEN + 1], socket_path[4096 + 16];
        _cleanup_free_ char *policy = NULL, *env = NULL;
        char **argv = *argvp, **nargv;
        int argc = *argcp, pos, n = 0, r;
        const char *source = "operator", *process;
        OciRewrite w;

        pos = first_positional(argv, sub + 1, argc);
        if (pos < 0)
                return 0;
        /* Not knowing whether the container has a policy is not knowing that it
         * has none: without the runtime's state the exec does not happen. */
        r = policy_for_running(c, argv, sub, argv[pos], &policy, &source);
        if (r < 0) {
                say("cannot find the policy of container %s%s: %s", argv[pos],
                    r == -ESRCH ? " (the runtime's state command failed)" : "", strerror(-r));
                return r;
        }
        if (!policy)
                return 0;
        r = prepare(c, argv[pos], policy, source, &w, token, socket_path);
        if (r < 0)
                return r;

        process = sub_option(argv, sub + 1, pos, "--process", "-p");
        if (process) {
                r = oci_rewrite_process_file(process, &w);
                if (r < 0)
                        say("cannot rewrite %s: %s", process, strerror(-r));
                return r;
        }
        if (pos + 1 >= argc)
                return 0;
        if (asprintf(&env, "%s=%s", OCI_TOKEN_ENV, token) < 0)
                return -ENOMEM;
        nargv = calloc((size_t) argc + 8, sizeof(char *));
        if (!nargv)
                return -ENOMEM;
        for (int i = 0; i <= sub; i++)
                nargv[n++] = argv[i];
        nargv[n++] = (char *) "--env";
        nargv[n++] = TAKE_PTR(env);
        for (int i = sub + 1; i <= pos; i++)
                nargv[n++] = argv[i];
        nargv[n++] = (char *) OCI_INIT_DEST;
        nargv[n++] = (char *) "--socket";
        nargv[n++] = (char *) OCI_SOCKET_DEST;
        nargv[n++] = (char *) "--";
        for (int i = pos + 1; i < argc; i++)
                nargv[n++] = argv[i];
        *argvp = nargv;
        *argcp = n;
        return 0;
}

int main(int argc, char *argv[]) {
        Config c;
        int sub, r;

        r = config_find(argv[0], &c);
        if (r < 0) {
                say("bad configuration: %s", strerror(-r));
                return 1;
        }
        for (sub = 1; sub < argc; sub++) {
                if (argv[sub][0] != '-')
                        break;
                if (!strchr(argv[sub], '=') && global_takes_value(argv[sub]))
                        sub++;
        }
        if (sub >= argc)
                exec_runtime(&c, argv);

        if (streq(argv[sub], "create") || streq(argv[sub], "run"))
                r = do_create(&c, argv, argc, sub);
        else if (streq(argv[sub], "exec"))
                r = do_exec(&c, &argv, &argc, sub);
        else {
                if (streq(argv[sub], "delete")) {
                        int pos = first_positional(argv, sub + 1, argc);

                        if (pos > 0)
                                remove_tokens_of(&c, argv[pos]);
                }
                r = 0;
        }
        /* A container that has a policy never runs without it. */
        if (r < 0)
                return 1;
        exec_runtime(&c, argv);
}
