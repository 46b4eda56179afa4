/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The position scanner over arbitrary bytes. Beyond "does not crash", it
 * checks the invariants the policy loader relies on: every node's path
 * renders and finds the node again, positions lie inside the input, and
 * whatever the scanner accepts json-c (strict) accepts too, so the loader
 * never falls back to json-c's vaguer errors.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag-internal.h"
#include "json-pos.h"
#include "seccomp-redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *buf = (const char *) data;
        SrdJsonPos *p = NULL;
        SrdDiagList d = {};
        int r;

        if (size > 1 << 20)
                return 0;

        r = srd_json_pos_scan(buf, size, "fuzz.json", &p, &d);
        if (r < 0) {
                /* A syntax error: it comes last (after duplicate keys seen before it), with a position,
                 * unless the duplicates already filled the list. */
                if (r != -EINVAL || d.n < 1 || p)
                        abort();
                if (d.n <= SRD_DIAG_MAX && d.items[d.n - 1].line == 0)
                        abort();
                srd_diag_list_clear(&d);
                return 0;
        }
        /* One diagnostic per duplicate key, up to the cap. */
        if (d.n != ((size_t) r > SRD_DIAG_MAX ? SRD_DIAG_MAX + 1 : (size_t) r))
                abort();
        srd_diag_list_clear(&d);

        for (uint32_t id = 0; id < srd_json_pos_n_nodes(p); id++) {
                const SrdJsonNode *n = srd_json_pos_node(p, id);
                char *path;

                if (n->start >= size || n->end > size || n->end <= n->start || n->line == 0 ||
                    n->column == 0)
                        abort();
                path = srd_json_pos_path(p, id);
                if (!path)
                        abort();
                /* Long keys are shortened in paths, and a duplicate key's first value is shadowed. */
                if (r == 0 && !strstr(path, "\"...") && srd_json_pos_find(p, path) != id)
                        abort();
                free(path);
        }

        if (r == 0 && srd_json_pos_n_nodes(p) > 0 &&
            (srd_json_pos_node(p, 0)->type == SRD_JSON_OBJECT ||
             srd_json_pos_node(p, 0)->type == SRD_JSON_ARRAY)) {
                json_tokener *tok = json_tokener_new_ex(SRD_JSON_MAX_DEPTH + 1);
                json_object *o;

                if (!tok)
                        abort();
                json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
                o = json_tokener_parse_ex(tok, buf, (int) size);
                if (!o)
                        abort();
                json_object_put(o);
                json_tokener_free(tok);
        }
        srd_json_pos_free(p);
        return 0;
}
