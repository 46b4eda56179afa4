/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag-internal.h"
#include "macro.h"
#include "seccomp-redirect.h"

static void diag_done(SrdDiag *d) {
        free(d->file);
        free(d->where);
        free(d->message);
}

_public_ void srd_diag_list_clear(SrdDiagList *l) {
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                diag_done(&l->items[i]);
        free(l->items);
        l->items = NULL;
        l->n = 0;
}

_public_ char *srd_diag_format(const SrdDiag *d) {
        char *s = NULL;
        char pos[64] = "";
        int r;

        if (!d)
                return NULL;

        /* A position without a file still reads naturally: "12:9: where: msg". */
        if (d->line > 0 && d->column > 0)
                (void) snprintf(pos, sizeof pos, "%u:%u", d->line, d->column);
        else if (d->line > 0)
                (void) snprintf(pos, sizeof pos, "%u", d->line);

        r = asprintf(&s, "%s%s%s%s%s%s%s", d->file ? d->file : "", d->file && pos[0] ? ":" : "", pos,
                     d->file || pos[0] ? ": " : "", d->where ? d->where : "", d->where ? ": " : "",
                     d->message ? d->message : "error");
        if (r < 0)
                return NULL;
        return s;
}

bool srd_diag_full(const SrdDiagList *l) {
        return l && l->n > SRD_DIAG_MAX;
}

static int diag_push(SrdDiagList *l, const char *file, unsigned line, unsigned column, const char *where,
                     char *message) {
        _cleanup_free_ char *m = message, *f = NULL, *w = NULL;
        SrdDiag *items;

        if (file) {
                f = strdup(file);
                if (!f)
                        return -ENOMEM;
        }
        if (where) {
                w = strdup(where);
                if (!w)
                        return -ENOMEM;
        }
        items = reallocarray(l->items, l->n + 1, sizeof(SrdDiag));
        if (!items)
                return -ENOMEM;
        l->items = items;
        l->items[l->n++] = (SrdDiag){
                .file = TAKE_PTR(f),
                .line = line,
                .column = column,
                .where = TAKE_PTR(w),
                .message = TAKE_PTR(m),
        };
        return 0;
}

int srd_diag_appendv(SrdDiagList *l, const char *file, unsigned line, unsigned column, const char *where,
                     const char *format, va_list ap) {
        char *m = NULL;

        if (!l || l->n > SRD_DIAG_MAX)
                return 0;

        if (l->n == SRD_DIAG_MAX) {
                m = strdup("too many errors, not showing the rest");
                if (!m)
                        return -ENOMEM;
                return diag_push(l, file, 0, 0, NULL, m);
        }

        if (vasprintf(&m, format, ap) < 0)
                return -ENOMEM;
        return diag_push(l, file, line, column, where, m);
}

int srd_diag_append(SrdDiagList *l, const char *file, unsigned line, unsigned column, const char *where,
                    const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = srd_diag_appendv(l, file, line, column, where, format, ap);
        va_end(ap);
        return r;
}

char *srd_quote(const char *s, size_t len, size_t max) {
        size_t n = MIN(len, max);
        /* Worst case: every byte becomes \xNN, plus quotes, "..." and NUL. */
        char *buf = malloc(n * 4 + 8), *p;

        if (!buf)
                return NULL;
        p = buf;
        *p++ = '"';
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c == '"' || c == '\\') {
                        *p++ = '\\';
                        *p++ = (char) c;
                } else if (c < 0x20 || c >= 0x7f)
                        p += sprintf(p, "\\x%02x", c);
                else
                        *p++ = (char) c;
        }
        *p++ = '"';
        if (len > max)
                p = stpcpy(p, "...");
        *p = '\0';
        return buf;
}

unsigned srd_edit_distance(const char *a, const char *b, unsigned limit) {
        /* Only short words are compared: anything longer is no typo of a key. */
        enum { N = 65 };
        unsigned d[3][N];
        size_t la = strlen(a), lb = strlen(b);
        unsigned *prev2 = d[0], *prev = d[1], *cur = d[2];

        if (la >= N || lb >= N)
                return limit + 1;
        if ((la > lb ? la - lb : lb - la) > limit)
                return limit + 1;

        for (size_t j = 0; j <= lb; j++)
                prev[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned row_min;

                cur[0] = (unsigned) i;
                row_min = cur[0];
                for (size_t j = 1; j <= lb; j++) {
                        int ca = tolower((unsigned char) a[i - 1]), cb = tolower((unsigned char) b[j - 1]);
                        unsigned cost = ca != cb, v;

                        v = MIN(prev[j] + 1, cur[j - 1] + 1);
                        v = MIN(v, prev[j - 1] + cost);
                        /* Swapped neighbours count as one edit: "aciton" -> "action". */
                        if (i > 1 && j > 1 && ca == tolower((unsigned char) b[j - 2]) &&
                            tolower((unsigned char) a[i - 2]) == cb)
                                v = MIN(v, prev2[j - 2] + 1);
                        cur[j] = v;
                        row_min = MIN(row_min, v);
                }
                if (row_min > limit)
                        return limit + 1;

                unsigned *t = prev2;
                prev2 = prev;
                prev = cur;
                cur = t;
        }
        return MIN(prev[lb], limit + 1);
}

const char *srd_suggest(const char *word, const char *const *candidates, size_t n) {
        const char *best = NULL;
        unsigned best_d = UINT_MAX;

        if (!word || !word[0])
                return NULL;

        for (size_t i = 0; i < n; i++) {
                size_t lw = strlen(word), lc = strlen(candidates[i]);
                /* Allow about one typo per three letters, at most three. */
                unsigned limit = (unsigned) MIN(MAX(MIN(lw, lc) / 3, (size_t) 1), (size_t) 3);
                unsigned dist = srd_edit_distance(word, candidates[i], limit);

                if (dist <= limit && dist < best_d) {
                        best = candidates[i];
                        best_d = dist;
                }
        }
        return best;
}
