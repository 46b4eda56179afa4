/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "config.h"
#include "log.h"
#include "manager.h"

#define EXIT_USAGE 2

typedef struct Args {
        ManagerConfig config;
        uid_t allow_uids[64];
} Args;

/* "65536", "64K", "1M", "1G": 4 KiB to 1 GiB. */
static int parse_size(const char *s, size_t *ret) {
        unsigned long long v, mul = 1;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || s[0] == '-')
                return -EINVAL;
        if (streq(end, "K") || streq(end, "k"))
                mul = 1024;
        else if (streq(end, "M"))
                mul = 1024 * 1024;
        else if (streq(end, "G"))
                mul = 1024 * 1024 * 1024;
        else if (*end)
                return -EINVAL;
        if (v > (1ULL << 30) / mul || v * mul < 4096)
                return -ERANGE;
        *ret = (size_t) (v * mul);
        return 0;
}

/* "5", "5s", "500ms": 100ms to 300s. */
static int parse_timeout(const char *s, uint64_t *ret) {
        unsigned long long v, mul = 1000000;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || s[0] == '-')
                return -EINVAL;
        if (streq(end, "ms"))
                mul = 1000;
        else if (*end && !streq(end, "s"))
                return -EINVAL;
        if (v > 300ULL * 1000000ULL / mul || v * mul < 100000)
                return -ERANGE;
        *ret = v * mul;
        return 0;
}

/* "metadata,annotation", "metadata", "none". */
static int parse_policy_sources(const char *s, unsigned *ret) {
        _cleanup_free_ char *copy = strdup(s);
        char *saveptr = NULL;
        unsigned sources = 0;

        if (!copy)
                return -ENOMEM;
        if (streq(s, "none")) {
                *ret = 0;
                return 0;
        }
        for (char *w = strtok_r(copy, ",", &saveptr); w; w = strtok_r(NULL, ",", &saveptr)) {
                SrdPolicySource src = srd_policy_source_from_string(w);

                if (src < 0)
                        return -EINVAL;
                sources |= 1U << src;
        }
        if (sources == 0)
                return -EINVAL;
        *ret = sources;
        return 0;
}

static void help(void) {
        printf("%s [OPTIONS]\n\n"
               "Answer seccomp user notifications of container processes from JSON policies.\n\n"
               "  -h --help                   Show this help\n"
               "     --version                Show the version\n"
               "     --listen PATH            Agent socket when not socket-activated (created 0600)\n"
               "     --policy-dir DIR         Policy directory (default %s)\n"
               "     --default-policy NAME    Policy for handoffs that name none\n"
               "     --policy-from SOURCES    Who may name a policy: metadata, annotation, both\n"
               "                              (comma-separated) or none (default metadata)\n"
               "     --control PATH           Control socket (default %s;\n"
               "                              none with --listen; \"none\" disables)\n"
               "     --allow-uid UID[,UID]    Peers allowed besides root\n"
               "     --init-dir DIR           Serve seccomp-redirect-init: DIR/init.sock and DIR/tokens\n"
               "     --state-dir DIR          Records that let a restart keep every container, with\n"
               "                              systemd's fd store (default $RUNTIME_DIRECTORY, else\n"
               "                              %s; \"none\" disables)\n"
               "     --arena-size BYTES       Redirect arena generation size (default 1M; K, M, G suffixes)\n"
               "     --max-connections N      Agent connections in progress at once (default %u)\n"
               "     --max-handoff-size BYTES Largest handoff payload (default 1M, at most 4M)\n"
               "     --max-handoff-memory BYTES\n"
               "                              Bytes all handoffs in progress may hold (default 16M)\n"
               "     --handoff-timeout TIME   Time a connection has for its handoff (default 5s; s, ms)\n"
               "     --log-target TARGET      auto, journal or stderr\n"
               "     --log-level LEVEL        debug, info, notice, warning or err\n\n"
               "See seccomp-redirectd(8).\n",
               program_invocation_short_name, POLICY_DIR, CONTROL_SOCKET, STATE_DIR_DEFAULT,
               AGENT_MAX_CONNS_DEFAULT);
}

static int parse_uids(const char *s, Args *a) {
        _cleanup_free_ char *copy = strdup(s);
        char *saveptr = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, ",", &saveptr); w; w = strtok_r(NULL, ",", &saveptr)) {
                char *end;
                unsigned long u;

                errno = 0;
                u = strtoul(w, &end, 10);
                if (errno != 0 || end == w || *end || u >= (uid_t) -1 || w[0] == '-')
                        return -EINVAL;
                if (a->config.n_allow_uids >= ELEMENTSOF(a->allow_uids))
                        return -E2BIG;
                a->allow_uids[a->config.n_allow_uids++] = (uid_t) u;
        }
        return 0;
}

/* 1: go on, 0: exit 0 (--help), <0: usage error (already reported). */
static int parse_argv(int argc, char *argv[], Args *a) {
        enum {
                ARG_VERSION = 0x100,
                ARG_LISTEN,
                ARG_POLICY_DIR,
                ARG_DEFAULT_POLICY,
                ARG_CONTROL,
                ARG_ALLOW_UID,
                ARG_ARENA_SIZE,
                ARG_LOG_TARGET,
                ARG_LOG_LEVEL,
                ARG_POLICY_FROM,
                ARG_MAX_CONNECTIONS,
                ARG_MAX_HANDOFF_SIZE,
                ARG_MAX_HANDOFF_MEMORY,
                ARG_HANDOFF_TIMEOUT,
                ARG_UNSAFE_PLAIN_CONTINUE,
                ARG_INIT_DIR,
                ARG_STATE_DIR,
                ARG_UNSAFE_FORGET_IN_FLIGHT,
                ARG_UNSAFE_TRUST_IN_FLIGHT,
                ARG_UNSAFE_TEST_ANSWER_DELAY,
        };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {"listen", required_argument, NULL, ARG_LISTEN},
                {"policy-dir", required_argument, NULL, ARG_POLICY_DIR},
                {"default-policy", required_argument, NULL, ARG_DEFAULT_POLICY},
                {"control", required_argument, NULL, ARG_CONTROL},
                {"allow-uid", required_argument, NULL, ARG_ALLOW_UID},
                {"arena-size", required_argument, NULL, ARG_ARENA_SIZE},
                {"log-target", required_argument, NULL, ARG_LOG_TARGET},
                {"log-level", required_argument, NULL, ARG_LOG_LEVEL},
                {"policy-from", required_argument, NULL, ARG_POLICY_FROM},
                {"max-connections", required_argument, NULL, ARG_MAX_CONNECTIONS},
                {"max-handoff-size", required_argument, NULL, ARG_MAX_HANDOFF_SIZE},
                {"max-handoff-memory", required_argument, NULL, ARG_MAX_HANDOFF_MEMORY},
                {"handoff-timeout", required_argument, NULL, ARG_HANDOFF_TIMEOUT},
                {"init-dir", required_argument, NULL, ARG_INIT_DIR},
                {"state-dir", required_argument, NULL, ARG_STATE_DIR},
                /* The tests' negative control and their window for a kill mid-answer. */
                {"unsafe-forget-in-flight", no_argument, NULL, ARG_UNSAFE_FORGET_IN_FLIGHT},
                {"unsafe-trust-in-flight", no_argument, NULL, ARG_UNSAFE_TRUST_IN_FLIGHT},
                {"unsafe-test-answer-delay", required_argument, NULL, ARG_UNSAFE_TEST_ANSWER_DELAY},
                /* Not in --help: the tests' negative control. */
                {"unsafe-plain-continue", no_argument, NULL, ARG_UNSAFE_PLAIN_CONTINUE},
                {}};
        bool control_set = false;
        int c, r;

        a->config.policy_dir = POLICY_DIR;
        a->config.control_path = CONTROL_SOCKET;
        a->config.allow_uids = a->allow_uids;
        a->config.policy_sources = POLICY_SOURCES_DEFAULT;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("seccomp-redirectd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_LISTEN:
                        if (optarg[0] != '/') {
                                fprintf(stderr, "--listen: %s is not an absolute path.\n", optarg);
                                return -EINVAL;
                        }
                        a->config.listen_path = optarg;
                        break;
                case ARG_POLICY_DIR:
                        a->config.policy_dir = optarg;
                        break;
                case ARG_DEFAULT_POLICY:
                        a->config.default_policy = optarg[0] ? optarg : NULL;
                        break;
                case ARG_CONTROL:
                        control_set = true;
                        if (optarg[0] == 0 || streq(optarg, "none"))
                                a->config.control_path = NULL;
                        else if (optarg[0] != '/') {
                                fprintf(stderr, "--control: %s is not an absolute path.\n", optarg);
                                return -EINVAL;
                        } else
                                a->config.control_path = optarg;
                        break;
                case ARG_ALLOW_UID:
                        r = parse_uids(optarg, a);
                        if (r < 0) {
                                fprintf(stderr, "--allow-uid: invalid uid list \"%s\".\n", optarg);
                                return r;
                        }
                        break;
                case ARG_INIT_DIR:
                        if (optarg[0] != '/') {
                                fprintf(stderr, "--init-dir: %s is not an absolute path.\n", optarg);
                                return -EINVAL;
                        }
                        a->config.init_dir = optarg;
                        break;
                case ARG_UNSAFE_PLAIN_CONTINUE:
                        a->config.plain_continue = true;
                        break;
                case ARG_STATE_DIR:
                        if (optarg[0] != '/' && !streq(optarg, "none")) {
                                fprintf(stderr, "--state-dir: %s is not an absolute path.\n", optarg);
                                return -EINVAL;
                        }
                        a->config.state_dir = optarg;
                        break;
                case ARG_UNSAFE_FORGET_IN_FLIGHT:
                        a->config.forget_in_flight = true;
                        break;
                case ARG_UNSAFE_TRUST_IN_FLIGHT:
                        a->config.trust_in_flight = true;
                        break;
                case ARG_UNSAFE_TEST_ANSWER_DELAY: {
                        char *end;

                        errno = 0;
                        a->config.answer_delay_usec = strtoull(optarg, &end, 10) * 1000U;
                        if (errno != 0 || end == optarg || *end) {
                                fprintf(stderr, "--unsafe-test-answer-delay: expected milliseconds.\n");
                                return -EINVAL;
                        }
                        break;
                }
                case ARG_ARENA_SIZE:
                        r = parse_size(optarg, &a->config.arena_size);
                        if (r < 0) {
                                fprintf(stderr,
                                        "--arena-size: expected a size from 4K to 1G (bytes, or K/M/G), got "
                                        "\"%s\".\n",
                                        optarg);
                                return r;
                        }
                        break;
                case ARG_POLICY_FROM:
                        r = parse_policy_sources(optarg, &a->config.policy_sources);
                        if (r < 0) {
                                fprintf(stderr,
                                        "--policy-from: expected metadata, annotation (comma-separated) or "
                                        "none, got \"%s\".\n",
                                        optarg);
                                return r;
                        }
                        break;
                case ARG_MAX_CONNECTIONS: {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || optarg[0] == '-' || v < 1 || v > 65536) {
                                fprintf(stderr, "--max-connections: expected 1 to 65536, got \"%s\".\n",
                                        optarg);
                                return -EINVAL;
                        }
                        a->config.max_agent_conns = v;
                        break;
                }
                case ARG_MAX_HANDOFF_SIZE:
                        r = parse_size(optarg, &a->config.max_handoff_size);
                        if (r >= 0 && a->config.max_handoff_size > SRD_HANDOFF_MAX_SIZE)
                                r = -ERANGE;
                        if (r < 0) {
                                fprintf(stderr,
                                        "--max-handoff-size: expected a size from 4K to 4M (bytes, or K/M), "
                                        "got "
                                        "\"%s\".\n",
                                        optarg);
                                return r;
                        }
                        break;
                case ARG_MAX_HANDOFF_MEMORY:
                        r = parse_size(optarg, &a->config.max_handoff_memory);
                        if (r < 0) {
                                fprintf(stderr,
                                        "--max-handoff-memory: expected a size from 4K to 1G (bytes, or "
                                        "K/M/G), "
                                        "got \"%s\".\n",
                                        optarg);
                                return r;
                        }
                        break;
                case ARG_HANDOFF_TIMEOUT:
                        r = parse_timeout(optarg, &a->config.handoff_timeout_usec);
                        if (r < 0) {
                                fprintf(stderr,
                                        "--handoff-timeout: expected 100ms to 300s (a number, s or ms), got "
                                        "\"%s\".\n",
                                        optarg);
                                return r;
                        }
                        break;
                case ARG_LOG_TARGET: {
                        LogTarget t = log_target_from_string(optarg);

                        if (t < 0) {
                                fprintf(stderr,
                                        "--log-target: expected auto, journal or stderr, got \"%s\".\n",
                                        optarg);
                                return -EINVAL;
                        }
                        log_set_target(t);
                        break;
                }
                case ARG_LOG_LEVEL:
                        r = log_level_from_string(optarg);
                        if (r < 0) {
                                fprintf(stderr,
                                        "--log-level: expected debug, info, notice, warning or err, got "
                                        "\"%s\".\n",
                                        optarg);
                                return r;
                        }
                        log_set_max_level(r);
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (optind < argc) {
                fprintf(stderr, "Unexpected argument \"%s\"; see --help.\n", argv[optind]);
                return -EINVAL;
        }
        /* A daemon on its own agent socket leaves the system's control socket alone. */
        if (a->config.listen_path && !control_set)
                a->config.control_path = NULL;
        {
                size_t size = a->config.max_handoff_size ?: AGENT_MAX_HANDOFF_SIZE_DEFAULT;
                size_t memory = a->config.max_handoff_memory ?: AGENT_MAX_HANDOFF_MEMORY_DEFAULT;

                if (memory < size) {
                        fprintf(stderr,
                                "--max-handoff-memory (%zu bytes) is below --max-handoff-size (%zu bytes): "
                                "no handoff of the largest size could get through.\n",
                                memory, size);
                        return -EINVAL;
                }
        }
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        Args args = {};
        sigset_t ss;
        int r;

        r = parse_argv(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
        /* Now, not at the first message: a missing journal is said at startup. */
        (void) log_to_journal();

        /* sd-event takes these through a signalfd, which only sees blocked signals. */
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m"), EXIT_FAILURE;
        /* Peers that hang up are handled where we write; never die of it. */
        (void) signal(SIGPIPE, SIG_IGN);
        /* One malloc arena for all: the per-container workers hardly
         * allocate, and an arena per thread would keep memory of containers
         * long gone. */
        (void) mallopt(M_ARENA_MAX, 1);
        /* A fixed threshold: handoff buffers of 128 KiB and more are mmap()ed and
         * go back to the system when freed. The default threshold grows with
         * every large block freed, after which such buffers stay in the heap
         * and the daemon keeps its peak size long after a flood. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);

        r = manager_new(&args.config, &m);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate the manager: %m"), EXIT_FAILURE;

        r = manager_startup(m, &args.config);
        if (r == -EINVAL)
                return EXIT_USAGE;
        if (r < 0)
                return EXIT_FAILURE;

        /* Sockets are bound and policies loaded: from here on only the essentials. */
        r = drop_capabilities();
        if (r < 0)
                return EXIT_FAILURE;

        r = manager_run(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

#ifdef SRD_DELIBERATE_LEAK
/* The negative control of tools/test-valgrind (-Dnegative_controls=true builds
 * seccomp-redirectd-leaky with this): one block lost, one fd left open and
 * one use of uninitialised memory at startup, which its check must all
 * report. Volatile, so the compiler cannot drop them. */
static void *volatile deliberate_leak;
#endif

int main(int argc, char *argv[]) {
#ifdef SRD_DELIBERATE_LEAK
        deliberate_leak = malloc(64);
        deliberate_leak = NULL;
        (void) open("/dev/null", O_RDONLY | O_CLOEXEC);
        {
                /* And a branch on bytes never written: memcheck's error. */
                char *u = malloc(8);

                if (u && u[3] == 'x')
                        deliberate_leak = u;
                free(u);
                deliberate_leak = NULL;
        }
#endif
        return run(argc, argv);
}
