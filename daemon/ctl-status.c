/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `status`: ask the daemon's control socket and print what it says. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "ctl.h"
#include "macro.h"

/* Far more than 1000 containers' worth; a bound so a confused peer cannot eat memory. */
#define STATUS_MAX (64U * 1024U * 1024U)

int ctl_control_request(const char *path, const char *command, char **ret, size_t *ret_len) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, size = 0;
        struct timeval tv = {.tv_sec = 10};

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path));

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (send(fd, command, strlen(command), MSG_NOSIGNAL) != (ssize_t) strlen(command) ||
            send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
                return -errno;

        for (;;) {
                ssize_t n;

                if (len + 1 >= size) {
                        char *p;

                        if (size >= STATUS_MAX)
                                return -EMSGSIZE;
                        size = size ? size * 2 : 16384;
                        p = realloc(buf, size);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = recv(fd, buf + len, size - len - 1, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static const char *str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return "";
        return json_object_get_string(v);
}

static uint64_t num(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !v)
                return 0;
        return json_object_get_uint64(v);
}

static json_object *arr(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

/* "answered: continue 120, errno 3, kill 0, redirect 0; rules: no-forbidden 3, defaultAction 120" */
static void status_print_counts(json_object *c) {
        json_object *answers = NULL, *rules = arr(c, "rules");
        bool first = true;

        printf("Container %s pid %" PRIu64 ": answered", str(c, "id"), num(c, "pid"));
        if (json_object_object_get_ex(c, "answers", &answers) &&
            json_object_is_type(answers, json_type_object)) {
                json_object_object_foreach(answers, k, v) {
                        printf("%s %s %" PRIu64, first ? "" : ",", k, json_object_get_uint64(v));
                        first = false;
                }
        }
        printf("; rules hit:");
        for (size_t j = 0; rules && j < json_object_array_length(rules); j++) {
                json_object *r = json_object_array_get_idx(rules, j);

                printf("%s %s %" PRIu64, j > 0 ? "," : "", str(r, "name"), num(r, "hits"));
        }
        printf("%s\n", rules && json_object_array_length(rules) > 0 ? "" : " none");
}

static void status_print_table(json_object *root) {
        json_object *policies = arr(root, "policies"), *containers = arr(root, "containers"), *reload;
        size_t n_containers = containers ? json_object_array_length(containers) : 0;

        printf("seccomp-redirectd %s\n", str(root, "version"));
        if (json_object_object_get_ex(root, "reload", &reload) && reload) {
                json_object *ok;

                if (json_object_object_get_ex(reload, "ok", &ok) && !json_object_get_boolean(ok))
                        printf("Last reload FAILED: %s\n", str(reload, "error"));
        }
        printf("Handoffs refused: %" PRIu64 "\n\n", num(root, "handoffsRefused"));

        printf("%-24s %10s %-24s %-20s %13s %10s %9s %5s %8s\n", "CONTAINER", "PID", "POLICY", "REDIRECT",
               "NOTIFICATIONS", "REDIRECTS", "FALLBACKS", "PINS", "BUSY");
        for (size_t i = 0; i < n_containers; i++) {
                json_object *c = json_object_array_get_idx(containers, i);

                uint64_t busy_ms = num(c, "busyMs");
                char busy[32] = "-";

                /* Only what a person should look at: one notification for a second or more. */
                if (busy_ms >= 1000)
                        (void) snprintf(busy, sizeof(busy), "%" PRIu64 "s", busy_ms / 1000);
                printf("%-24s %10" PRIu64 " %-24s %-20s %13" PRIu64 " %10" PRIu64 " %9" PRIu64 " %5" PRIu64
                       " %8s\n",
                       str(c, "id"), num(c, "pid"), str(c, "policy"), str(c, "redirect"),
                       num(c, "notifications"), num(c, "redirects"), num(c, "redirectFallbacks"),
                       num(c, "pins"), busy);
        }
        printf("%zu container processes.\n", n_containers);
        for (size_t i = 0; i < n_containers; i++) {
                json_object *c = json_object_array_get_idx(containers, i);

                json_object *last = NULL, *fc = NULL;

                if (json_object_object_get_ex(c, "failClosed", &fc) && json_object_get_boolean(fc))
                        printf("Container %s pid %" PRIu64
                               ": FAILING CLOSED: its policy \"%s\" was missing after a restart; every "
                               "call it notifies is denied until a reload brings it back.\n",
                               str(c, "id"), num(c, "pid"), str(c, "policy"));
                if (streq(str(c, "pathRules"), "advisory"))
                        printf("Container %s pid %" PRIu64
                               ": path rules are advisory (redirect %s): the task "
                               "can change a path after its check.\n",
                               str(c, "id"), num(c, "pid"), str(c, "redirect"));
                status_print_counts(c);
                /* The path as written, and what the rules judged where that differs. */
                if (json_object_object_get_ex(c, "lastDecision", &last) && last) {
                        const char *w = str(last, "written"), *res = str(last, "resolved");

                        printf("Container %s pid %" PRIu64 ": last not continued: %s(\"%s\"", str(c, "id"),
                               num(c, "pid"), str(last, "syscall"), w[0] ? w : res);
                        if (res[0] && !streq(res, w))
                                printf(" = \"%s\"", res);
                        printf(") -> %s: %s\n", str(last, "rule"), str(last, "answer"));
                }
        }

        for (size_t i = 0; policies && i < json_object_array_length(policies); i++) {
                json_object *p = json_object_array_get_idx(policies, i), *rules = arr(p, "rules");

                printf("\nPolicy \"%s\" (%s)\n", str(p, "name"), str(p, "file"));
                printf("  %-40s %12s\n", "RULE", "HITS");
                for (size_t j = 0; rules && j < json_object_array_length(rules); j++) {
                        json_object *r = json_object_array_get_idx(rules, j);

                        printf("  %-40s %12" PRIu64 "\n", str(r, "name"), num(r, "hits"));
                }
                printf("  %-40s %12" PRIu64 "\n", "(defaultAction)", num(p, "defaultHits"));
                printf("  %-40s %12" PRIu64 "\n", "(pathError)", num(p, "pathErrorHits"));
        }
}

int verb_status(int argc, char *argv[]) {
        static const struct option options[] = {{"control", required_argument, NULL, 'c'},
                                                {"json", no_argument, NULL, 'j'},
                                                {"help", no_argument, NULL, 'h'},
                                                {}};
        const char *path = CONTROL_SOCKET;
        _cleanup_free_ char *buf = NULL;
        json_object *root;
        bool json = false;
        size_t len;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "c:jh", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        path = optarg;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        printf("status [--control PATH] [--json]\n");
                        return EXIT_SUCCESS;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (optind < argc) {
                fprintf(stderr, "status: unexpected argument \"%s\".\n", argv[optind]);
                return CTL_EXIT_USAGE;
        }

        r = ctl_control_request(path, "status", &buf, &len);
        if (r < 0) {
                fprintf(stderr, "status: cannot talk to seccomp-redirectd at %s: %s\n", path, strerror(-r));
                return EXIT_FAILURE;
        }

        root = json_tokener_parse(buf);
        if (!root || !json_object_is_type(root, json_type_object)) {
                fprintf(stderr, "status: the daemon sent something that is not a JSON object.\n");
                json_object_put(root);
                return EXIT_FAILURE;
        }
        if (json)
                printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
        else
                status_print_table(root);
        json_object_put(root);
        return EXIT_SUCCESS;
}
