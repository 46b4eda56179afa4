/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `metrics`: the daemon's counters as OpenMetrics text, or the older Prometheus text format. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "macro.h"

static bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * node_exporter's textfile collector reads the Prometheus text format
 * (0.0.4), not OpenMetrics: there a counter's TYPE and HELP name the
 * sample itself ("x_total"), and neither "# UNIT" nor "# EOF" exist.
 * Everything else is the same text.
 */
static void print_prometheus(char *text) {
        char counter[256] = "";

        for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
                end = strchr(line, '\n');
                if (end)
                        *end = 0;
                if (streq(line, "# EOF") || startswith(line, "# UNIT "))
                        continue;
                if (startswith(line, "# TYPE ")) {
                        const char *name = line + 7, *type = strchr(name, ' ');

                        counter[0] = 0;
                        if (type && streq(type + 1, "counter") &&
                            (size_t) (type - name) < sizeof(counter) - 8) {
                                (void) snprintf(counter, sizeof(counter), "%.*s", (int) (type - name), name);
                                printf("# TYPE %s_total counter\n", counter);
                                continue;
                        }
                } else if (counter[0] && startswith(line, "# HELP ") && startswith(line + 7, counter) &&
                           line[7 + strlen(counter)] == ' ') {
                        printf("# HELP %s_total%s\n", counter, line + 7 + strlen(counter));
                        continue;
                }
                printf("%s\n", line);
        }
}

int verb_metrics(int argc, char *argv[]) {
        static const struct option options[] = {{"control", required_argument, NULL, 'c'},
                                                {"format", required_argument, NULL, 'f'},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        const char *path = CONTROL_SOCKET;
        _cleanup_free_ char *buf = NULL;
        bool prometheus = false;
        size_t len;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "c:f:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        path = optarg;
                        break;
                case 'f':
                        if (streq(optarg, "prometheus"))
                                prometheus = true;
                        else if (streq(optarg, "openmetrics"))
                                prometheus = false;
                        else {
                                fprintf(stderr,
                                        "metrics: --format: expected openmetrics or prometheus, got "
                                        "\"%s\".\n",
                                        optarg);
                                return CTL_EXIT_USAGE;
                        }
                        break;
                case 'h':
                        printf("metrics [--control PATH] [--format openmetrics|prometheus]\n");
                        return EXIT_SUCCESS;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (optind < argc) {
                fprintf(stderr, "metrics: unexpected argument \"%s\".\n", argv[optind]);
                return CTL_EXIT_USAGE;
        }

        r = ctl_control_request(path, "metrics", &buf, &len);
        if (r < 0) {
                fprintf(stderr, "metrics: cannot talk to seccomp-redirectd at %s: %s\n", path, strerror(-r));
                return EXIT_FAILURE;
        }
        /* Cut short (or an older daemon's "unknown command"): print nothing rather than half. */
        if (len < 6 || !streq(buf + len - 6, "# EOF\n") || strlen(buf) != len) {
                fprintf(stderr, "metrics: the daemon's answer is not complete OpenMetrics text.\n");
                return EXIT_FAILURE;
        }
        if (prometheus)
                print_prometheus(buf);
        else
                fputs(buf, stdout);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
