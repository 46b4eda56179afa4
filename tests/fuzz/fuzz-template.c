/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The redirect template expander. The template is the policy's, the path
 * it fills in is the task's: input "template\0path". The policy redirects
 * openat of anything under /in/ to the template; the matcher renders it
 * with the task's path.
 *
 * Invariants: a policy with the template either loads or says why; an
 * evaluation either redirects to an absolute, normalized target of at
 * most PATH_MAX - 1 bytes with no ".." in it, or fails with -EINVAL or
 * -ENAMETOOLONG (which the listener turns into a deny); a template without
 * placeholders renders to itself, normalized.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "seccomp-redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX 4096

/* The template as a JSON string: escape what JSON needs escaped. */
static bool json_escape(const char *s, char *ret, size_t size) {
        size_t n = 0;

        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (n + 7 >= size)
                        return false;
                if (c == '"' || c == '\\')
                        n += (size_t) snprintf(ret + n, size - n, "\\%c", c);
                else if (c < 0x20 || c >= 0x7f)
                        n += (size_t) snprintf(ret + n, size - n, "\\u%04x", c);
                else
                        ret[n++] = (char) c;
        }
        ret[n] = '\0';
        return true;
}

static bool ascii(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s >= 0x80)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char tmpl[MAX], path[MAX], esc[6 * MAX + 8], json[6 * MAX + 512], want[MAX];
        const char *nul;
        SrdDiagList d = {};
        SrdPolicy *p = NULL;
        SrdVerdict *v;
        SrdSyscall sc = {.nr = SYS_openat};
        size_t lt, lp;
        int r, n;

        nul = memchr(data, 0, size);
        if (!nul)
                return 0;
        lt = (size_t) ((const uint8_t *) nul - data);
        lp = size - lt - 1;
        if (lt >= MAX || lp >= MAX)
                return 0;
        memcpy(tmpl, data, lt);
        tmpl[lt] = '\0';
        memcpy(path, nul + 1, lp);
        path[lp] = '\0';
        if (!json_escape(tmpl, esc, sizeof(esc)))
                return 0;

        n = snprintf(json, sizeof(json),
                     "{ \"version\": 1, \"name\": \"t\", \"defaultAction\": \"continue\", \"rules\": [\n"
                     "  { \"name\": \"r\", \"names\": [\"openat\"], \"path\": { \"prefix\": \"/in/\" },\n"
                     "    \"action\": \"redirect\", \"to\": \"%s\" } ] }\n",
                     esc);
        if (n < 0 || (size_t) n >= sizeof(json))
                return 0;
        r = srd_policy_load_buffer(json, (size_t) n, "fuzz.json", &p, &d);
        if ((r == 0) != (p != NULL) || (r < 0 && d.n == 0))
                abort();
        srd_diag_list_clear(&d);
        if (!p)
                return 0;

        v = calloc(1, sizeof(*v));
        if (!v)
                abort();
        sc.paths[0] = path;
        r = srd_policy_evaluate(p, &sc, v);
        if (r < 0) {
                if (r != -EINVAL && r != -ENAMETOOLONG)
                        abort();
        } else if (v->action == SRD_ACTION_REDIRECT && (v->path_mask & 1)) {
                const char *t = v->to[0];

                if (t[0] != '/' || strlen(t) > SRD_PATH_MAX || strstr(t, "/../") ||
                    (strlen(t) >= 3 && strcmp(t + strlen(t) - 3, "/..") == 0) ||
                    srd_path_normalize(t, want, sizeof(want)) < 0 || strcmp(want, t) != 0)
                        abort();
                /* \u00XX above 0x7f is a character, not the byte: compare ASCII only. */
                if (!strchr(tmpl, '{') && ascii(tmpl) &&
                    (srd_path_normalize(tmpl, want, sizeof(want)) < 0 || strcmp(want, t) != 0))
                        abort();
        }
        free(v);
        srd_policy_unref(p);
        return 0;
}
