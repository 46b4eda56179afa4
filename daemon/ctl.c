/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* seccomp-redirectctl: check, explain, status, reload, metrics, run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "macro.h"

static void help(void) {
        printf("%s COMMAND ...\n\n"
               "Check and try seccomp-redirectd policies, query the daemon, supervise one command.\n\n"
               "Commands:\n"
               "  check [--strict] FILE|DIR|-...       Validate policy files, or a directory as the daemon\n"
               "                                       loads it\n"
               "  explain --policy FILE [--json] [--pid PID] [--id ID] SYSCALL [ARG...]\n"
               "                                       Show which rule decides a syscall and what it does\n"
               "  explain --groups                     List the syscall groups rules may name\n"
               "  status [--control PATH] [--json]     Containers, policies and hit counts of the daemon\n"
               "  reload [--control PATH]              Reload the daemon's policies, say how it went\n"
               "  metrics [--control PATH]             The daemon's counters in OpenMetrics text\n"
               "  run --policy FILE [--] CMD [ARG...]  Run CMD under the policy, without the daemon\n\n"
               "Options:\n"
               "  -h --help                            Show this help\n"
               "     --version                         Show the version\n\n"
               "See seccomp-redirectctl(1).\n",
               program_invocation_short_name);
}

int ctl_load_policy(const char *path, SrdPolicy **ret) {
        SrdDiagList diag = {};
        int r;

        r = srd_policy_load_file(path, ret, &diag);
        for (size_t i = 0; i < diag.n; i++) {
                _cleanup_free_ char *line = srd_diag_format(&diag.items[i]);

                fprintf(stderr, "%s\n", line ?: "out of memory");
        }
        if (r < 0 && diag.n == 0)
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
        srd_diag_list_clear(&diag);
        return r;
}

int main(int argc, char *argv[]) {
        static const struct {
                const char *name;
                int (*func)(int argc, char *argv[]);
        } verbs[] = {
                {"check", verb_check},
                {"explain", verb_explain},
                {"status", verb_status},
                {"run", verb_run},
                {"reload", verb_reload},
                {"metrics", verb_metrics},
        };

        if (argc < 2) {
                help();
                return CTL_EXIT_USAGE;
        }
        if (streq(argv[1], "-h") || streq(argv[1], "--help") || streq(argv[1], "help")) {
                help();
                return EXIT_SUCCESS;
        }
        if (streq(argv[1], "--version")) {
                printf("seccomp-redirectctl %s\n", PACKAGE_VERSION);
                return EXIT_SUCCESS;
        }

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[1], verbs[i].name))
                        return verbs[i].func(argc - 1, argv + 1);

        fprintf(stderr, "Unknown command \"%s\"; see --help.\n", argv[1]);
        return CTL_EXIT_USAGE;
}
