/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `reload`: have the daemon reload its policies, and say how that went. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "ctl.h"
#include "macro.h"

int verb_reload(int argc, char *argv[]) {
        static const struct option options[] = {
                {"control", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {}};
        const char *path = CONTROL_SOCKET;
        _cleanup_free_ char *buf = NULL;
        json_object *root, *reload, *v;
        size_t len;
        int c, r, ret;

        optind = 1;
        while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        path = optarg;
                        break;
                case 'h':
                        printf("reload [--control PATH]\n");
                        return EXIT_SUCCESS;
                default:
                        return CTL_EXIT_USAGE;
                }
        if (optind < argc) {
                fprintf(stderr, "reload: unexpected argument \"%s\".\n", argv[optind]);
                return CTL_EXIT_USAGE;
        }

        r = ctl_control_request(path, "reload", &buf, &len);
        if (r < 0) {
                fprintf(stderr, "reload: cannot talk to seccomp-redirectd at %s: %s\n", path, strerror(-r));
                return EXIT_FAILURE;
        }

        /* An older daemon answers {"error":"unknown command"}: that is a failure too. */
        root = json_tokener_parse(buf);
        if (!root || !json_object_object_get_ex(root, "reload", &reload) ||
            !json_object_is_type(reload, json_type_object) || !json_object_object_get_ex(reload, "ok", &v)) {
                fprintf(stderr, "reload: the daemon did not say how the reload went: %.*s\n",
                        (int) strcspn(buf, "\n"), buf);
                json_object_put(root);
                return EXIT_FAILURE;
        }
        if (json_object_get_boolean(v)) {
                json_object *n = NULL;

                (void) json_object_object_get_ex(reload, "policies", &n);
                printf("Reloaded %" PRIu64 " policies.\n", n ? json_object_get_uint64(n) : 0);
                ret = EXIT_SUCCESS;
        } else {
                json_object *e = NULL;

                (void) json_object_object_get_ex(reload, "error", &e);
                fprintf(stderr, "Reload failed, the policies loaded before stay in force: %s\n",
                        e ? json_object_get_string(e) : "unknown error");
                ret = EXIT_FAILURE;
        }
        json_object_put(root);
        return ret;
}
