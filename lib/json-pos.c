/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag-internal.h"
#include "json-pos.h"
#include "macro.h"

struct SrdJsonPos {
        SrdJsonNode *nodes;
        size_t n_nodes, cap_nodes;

        char *keys; /* decoded member names, back to back */
        size_t n_keys, cap_keys;

        uint32_t *slots; /* hash of (parent, key or index) -> node id + 1; 0 = empty */
        size_t cap_slots;
};

typedef struct Scanner {
        const char *buf;
        size_t len, pos;
        unsigned line;
        size_t line_start;
        const char *file;
        SrdDiagList *diag;
        SrdJsonPos *out;
        int n_duplicates;
        bool failed; /* a syntax error was reported */
        /* The member name of the value about to be scanned: set on its node
         * as soon as it exists, so that a duplicate key inside it is
         * reported under its full path ("rules[0].action"). */
        bool pending_key;
        uint32_t pending_key_off, pending_key_len;
        unsigned pending_key_line, pending_key_column;
} Scanner;

SrdJsonPos *srd_json_pos_free(SrdJsonPos *p) {
        if (!p)
                return NULL;
        free(p->nodes);
        free(p->keys);
        free(p->slots);
        free(p);
        return NULL;
}

static uint64_t hash_bytes(uint64_t h, const void *data, size_t n) {
        const unsigned char *b = data;

        /* FNV-1a: simple, and the keys are short. */
        for (size_t i = 0; i < n; i++) {
                h ^= b[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

static uint64_t hash_child(uint32_t parent, bool member, const char *key, size_t key_len, uint32_t index) {
        uint64_t h = hash_bytes(UINT64_C(0xcbf29ce484222325), &parent, sizeof parent);

        h = member ? hash_bytes(h ^ 0x6b, key, key_len) : hash_bytes(h ^ 0x69, &index, sizeof index);

        /* FNV's low bits are weak for short inputs, and the table uses exactly those: mix them. */
        h ^= h >> 33;
        h *= UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 33;
        return h;
}

static uint64_t hash_node(const SrdJsonPos *p, const SrdJsonNode *n) {
        bool member = p->nodes[n->parent].type == SRD_JSON_OBJECT;

        return hash_child(n->parent, member, p->keys + n->key, n->key_len, n->index);
}

/* Put id into the table; returns the id it displaced (same parent and key), or SRD_JSON_NONE. */
static uint32_t slots_put(SrdJsonPos *p, uint32_t id) {
        const SrdJsonNode *n = &p->nodes[id];
        bool member = p->nodes[n->parent].type == SRD_JSON_OBJECT;
        size_t mask = p->cap_slots - 1;

        for (size_t i = hash_node(p, n) & mask;; i = (i + 1) & mask) {
                uint32_t other;
                const SrdJsonNode *o;

                if (p->slots[i] == 0) {
                        p->slots[i] = id + 1;
                        return SRD_JSON_NONE;
                }
                other = p->slots[i] - 1;
                o = &p->nodes[other];
                if (o->parent != n->parent)
                        continue;
                if (member ? o->key_len == n->key_len &&
                                     memcmp(p->keys + o->key, p->keys + n->key, n->key_len) == 0
                           : o->index == n->index) {
                        p->slots[i] = id + 1;
                        return other;
                }
        }
}

static int slots_grow(SrdJsonPos *p) {
        size_t cap = p->cap_slots ? p->cap_slots * 2 : 64;
        uint32_t *old = p->slots;
        size_t old_cap = p->cap_slots;

        p->slots = calloc(cap, sizeof(uint32_t));
        if (!p->slots) {
                p->slots = old;
                return -ENOMEM;
        }
        p->cap_slots = cap;
        for (size_t i = 0; i < old_cap; i++)
                if (old[i] != 0)
                        (void) slots_put(p, old[i] - 1);
        free(old);
        return 0;
}

static uint32_t lookup(const SrdJsonPos *p, uint32_t parent, bool member, const char *key, size_t key_len,
                       uint32_t index) {
        size_t mask;

        if (!p || parent >= p->n_nodes || p->cap_slots == 0)
                return SRD_JSON_NONE;
        if (p->nodes[parent].type != (member ? SRD_JSON_OBJECT : SRD_JSON_ARRAY))
                return SRD_JSON_NONE;

        mask = p->cap_slots - 1;
        for (size_t i = hash_child(parent, member, key, key_len, index) & mask;; i = (i + 1) & mask) {
                const SrdJsonNode *o;

                if (p->slots[i] == 0)
                        return SRD_JSON_NONE;
                o = &p->nodes[p->slots[i] - 1];
                if (o->parent != parent)
                        continue;
                if (member ? o->key_len == key_len && memcmp(p->keys + o->key, key, key_len) == 0
                           : o->index == index)
                        return p->slots[i] - 1;
        }
}

uint32_t srd_json_pos_member(const SrdJsonPos *p, uint32_t parent, const char *key) {
        return key ? lookup(p, parent, true, key, strlen(key), 0) : SRD_JSON_NONE;
}

uint32_t srd_json_pos_element(const SrdJsonPos *p, uint32_t parent, size_t i) {
        if (i >= UINT32_MAX)
                return SRD_JSON_NONE;
        return lookup(p, parent, false, NULL, 0, (uint32_t) i);
}

size_t srd_json_pos_n_nodes(const SrdJsonPos *p) {
        return p ? p->n_nodes : 0;
}

const SrdJsonNode *srd_json_pos_node(const SrdJsonPos *p, uint32_t id) {
        if (!p || id >= p->n_nodes)
                return NULL;
        return &p->nodes[id];
}

const char *srd_json_pos_key(const SrdJsonPos *p, uint32_t id) {
        if (!p || id >= p->n_nodes)
                return NULL;
        return p->keys + p->nodes[id].key;
}

void srd_json_offset_to_line_col(const char *buf, size_t len, size_t offset, unsigned *ret_line,
                                 unsigned *ret_column) {
        unsigned line = 1;
        size_t start = 0;

        offset = MIN(offset, len);
        for (size_t i = 0; i < offset; i++)
                if (buf[i] == '\n') {
                        line++;
                        start = i + 1;
                }
        *ret_line = line;
        *ret_column = (unsigned) (offset - start + 1);
}

/* ------------------------------------------------------------------------ */
/* Paths.                                                                   */

static bool key_is_simple(const char *key, size_t len) {
        if (len == 0 || len > 64)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = key[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                        return false;
        }
        return true;
}

char *srd_json_path_member(const char *parent, const char *key, size_t key_len) {
        _cleanup_free_ char *q = NULL;
        char *s = NULL;

        if (!parent)
                parent = "";
        if (key_is_simple(key, key_len)) {
                if (asprintf(&s, "%s%s%.*s", parent, parent[0] ? "." : "", (int) key_len, key) < 0)
                        return NULL;
                return s;
        }
        q = srd_quote(key, key_len, 64);
        if (!q)
                return NULL;
        if (asprintf(&s, "%s[%s]", parent, q) < 0)
                return NULL;
        return s;
}

char *srd_json_path_element(const char *parent, size_t i) {
        char *s = NULL;

        if (asprintf(&s, "%s[%zu]", parent ? parent : "", i) < 0)
                return NULL;
        return s;
}

char *srd_json_pos_path(const SrdJsonPos *p, uint32_t id) {
        uint32_t chain[SRD_JSON_MAX_DEPTH + 2];
        size_t n = 0;
        char *s;

        if (!p || id >= p->n_nodes)
                return NULL;
        for (uint32_t i = id; i != 0 && n < ELEMENTSOF(chain); i = p->nodes[i].parent)
                chain[n++] = i;

        s = strdup("");
        while (s && n > 0) {
                const SrdJsonNode *c = &p->nodes[chain[--n]];
                char *t;

                if (p->nodes[c->parent].type == SRD_JSON_OBJECT)
                        t = srd_json_path_member(s, p->keys + c->key, c->key_len);
                else
                        t = srd_json_path_element(s, c->index);
                free(s);
                s = t;
        }
        return s;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

uint32_t srd_json_pos_find(const SrdJsonPos *p, const char *path) {
        uint32_t cur = 0;
        const char *s = path;

        if (!p || !path || p->n_nodes == 0)
                return SRD_JSON_NONE;

        while (*s) {
                if (*s == '[' && s[1] == '"') {
                        /* ["quoted"]: undo srd_quote()'s escapes. */
                        _cleanup_free_ char *k = malloc(strlen(s) + 1);
                        size_t n = 0;

                        if (!k)
                                return SRD_JSON_NONE;
                        for (s += 2; *s && *s != '"'; s++) {
                                if (*s != '\\') {
                                        k[n++] = *s;
                                        continue;
                                }
                                s++;
                                if (*s == 'x' && unhex(s[1]) >= 0 && unhex(s[2]) >= 0) {
                                        k[n++] = (char) (unhex(s[1]) * 16 + unhex(s[2]));
                                        s += 2;
                                } else if (*s == '"' || *s == '\\')
                                        k[n++] = *s;
                                else
                                        return SRD_JSON_NONE;
                        }
                        if (s[0] != '"' || s[1] != ']')
                                return SRD_JSON_NONE;
                        s += 2;
                        cur = lookup(p, cur, true, k, n, 0);
                } else if (*s == '[') {
                        char *end;
                        unsigned long long i;

                        if (s[1] < '0' || s[1] > '9')
                                return SRD_JSON_NONE;
                        errno = 0;
                        i = strtoull(s + 1, &end, 10);
                        if (errno != 0 || *end != ']' || i >= UINT32_MAX)
                                return SRD_JSON_NONE;
                        s = end + 1;
                        cur = lookup(p, cur, false, NULL, 0, (uint32_t) i);
                } else {
                        size_t n;

                        if (*s == '.') {
                                if (s == path)
                                        return SRD_JSON_NONE;
                                s++;
                        } else if (s != path)
                                return SRD_JSON_NONE;
                        n = strcspn(s, ".[");
                        if (n == 0)
                                return SRD_JSON_NONE;
                        cur = lookup(p, cur, true, s, n, 0);
                        s += n;
                }
                if (cur == SRD_JSON_NONE)
                        return SRD_JSON_NONE;
        }
        return cur;
}

/* ------------------------------------------------------------------------ */
/* The scanner.                                                             */

static int fail_at(Scanner *s, size_t offset, const char *format, ...) _printf_(3, 4);
static int fail_at(Scanner *s, size_t offset, const char *format, ...) {
        unsigned line, column;
        va_list ap;
        int r;

        /* Strings cannot span lines, so the error is on the current line unless it is before it. */
        if (offset >= s->line_start) {
                line = s->line;
                column = (unsigned) (offset - s->line_start + 1);
        } else
                srd_json_offset_to_line_col(s->buf, s->len, offset, &line, &column);

        s->failed = true;
        va_start(ap, format);
        r = srd_diag_appendv(s->diag, s->file, line, column, NULL, format, ap);
        va_end(ap);
        return r < 0 ? r : -EINVAL;
}

/* How to show one input byte in a message. */
static const char *byte_repr(char c, char buf[static 16]) {
        unsigned char u = (unsigned char) c;

        if (u > 0x20 && u < 0x7f && u != '\'')
                (void) snprintf(buf, 16, "'%c'", c);
        else
                (void) snprintf(buf, 16, "byte 0x%02x", u);
        return buf;
}

static int fail_unexpected(Scanner *s, const char *expected) {
        char b[16];

        if (s->pos >= s->len)
                return fail_at(s, s->pos, "unexpected end of input, expected %s", expected);
        if (s->buf[s->pos] == '/')
                return fail_at(s, s->pos, "comments are not allowed in JSON (expected %s)", expected);
        if (s->buf[s->pos] == '\'')
                return fail_at(s, s->pos, "strings take double quotes in JSON, not single quotes");
        return fail_at(s, s->pos, "unexpected %s, expected %s", byte_repr(s->buf[s->pos], b), expected);
}

static void skip_space(Scanner *s) {
        while (s->pos < s->len) {
                char c = s->buf[s->pos];

                if (c == '\n') {
                        s->line++;
                        s->line_start = s->pos + 1;
                } else if (c != ' ' && c != '\t' && c != '\r')
                        break;
                s->pos++;
        }
}

static int node_add(Scanner *s, uint32_t parent, SrdJsonType type, uint32_t *ret_id) {
        SrdJsonPos *p = s->out;
        SrdJsonNode *n;

        if (p->n_nodes >= SRD_JSON_MAX_NODES)
                return fail_at(s, s->pos, "too many JSON values (more than %u)", SRD_JSON_MAX_NODES);
        if (p->n_nodes == p->cap_nodes) {
                size_t cap = p->cap_nodes ? p->cap_nodes * 2 : 64;
                SrdJsonNode *nodes = reallocarray(p->nodes, cap, sizeof(SrdJsonNode));

                if (!nodes)
                        return -ENOMEM;
                p->nodes = nodes;
                p->cap_nodes = cap;
        }
        n = &p->nodes[p->n_nodes];
        *n = (SrdJsonNode){
                .parent = parent,
                .type = (uint8_t) type,
                .line = s->line,
                .column = (uint32_t) (s->pos - s->line_start + 1),
                .start = (uint32_t) s->pos,
        };
        if (parent != SRD_JSON_NONE)
                n->index = p->nodes[parent].n_children++;
        *ret_id = (uint32_t) p->n_nodes++;
        return 0;
}

static int key_append(SrdJsonPos *p, const char *data, size_t n) {
        if (p->n_keys + n > p->cap_keys) {
                size_t cap = MAX(p->cap_keys * 2, p->n_keys + n + 64);
                char *k = realloc(p->keys, cap);

                if (!k)
                        return -ENOMEM;
                p->keys = k;
                p->cap_keys = cap;
        }
        memcpy(p->keys + p->n_keys, data, n);
        p->n_keys += n;
        return 0;
}

static size_t utf8_encode(uint32_t cp, char out[static 4]) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* Length of a valid UTF-8 sequence at b (n bytes available), 0 when invalid. */
static size_t utf8_valid(const unsigned char *b, size_t n) {
        if (b[0] < 0x80)
                return 1;
        if (b[0] >= 0xc2 && b[0] <= 0xdf)
                return n >= 2 && (b[1] & 0xc0) == 0x80 ? 2 : 0;
        if (b[0] >= 0xe0 && b[0] <= 0xef) {
                if (n < 3 || (b[1] & 0xc0) != 0x80 || (b[2] & 0xc0) != 0x80)
                        return 0;
                if (b[0] == 0xe0 && b[1] < 0xa0) /* overlong */
                        return 0;
                if (b[0] == 0xed && b[1] >= 0xa0) /* UTF-16 surrogate */
                        return 0;
                return 3;
        }
        if (b[0] >= 0xf0 && b[0] <= 0xf4) {
                if (n < 4 || (b[1] & 0xc0) != 0x80 || (b[2] & 0xc0) != 0x80 || (b[3] & 0xc0) != 0x80)
                        return 0;
                if (b[0] == 0xf0 && b[1] < 0x90) /* overlong */
                        return 0;
                if (b[0] == 0xf4 && b[1] >= 0x90) /* beyond U+10FFFF */
                        return 0;
                return 4;
        }
        return 0;
}

static int read_hex4(Scanner *s, size_t at, uint32_t *ret) {
        uint32_t v = 0;

        for (size_t i = 0; i < 4; i++) {
                int d = at + i < s->len ? unhex(s->buf[at + i]) : -1;

                if (d < 0)
                        return fail_at(s, at - 2, "invalid \\u escape: expected four hex digits");
                v = v * 16 + (uint32_t) d;
        }
        *ret = v;
        return 0;
}

/*
 * A string at s->pos (the opening quote). With key set, the decoded bytes
 * are appended to the key arena. Strings may not contain NUL: the policy
 * code reads them as C strings, and json-c would cut member names there.
 */
static int scan_string(Scanner *s, bool key) {
        size_t start = s->pos;
        int r;

        s->pos++;
        for (;;) {
                unsigned char c;
                char enc[4];

                if (s->pos >= s->len)
                        return fail_at(s, start, "unterminated string");
                c = (unsigned char) s->buf[s->pos];
                if (c == '"') {
                        s->pos++;
                        return 0;
                }
                if (c < 0x20)
                        return fail_at(s, s->pos, "control character 0x%02x in string (escape it, e.g. \\n)",
                                       c);
                if (c >= 0x80) {
                        size_t n = utf8_valid((const unsigned char *) s->buf + s->pos, s->len - s->pos);

                        if (n == 0)
                                return fail_at(s, s->pos, "invalid UTF-8 in string");
                        if (key) {
                                r = key_append(s->out, s->buf + s->pos, n);
                                if (r < 0)
                                        return r;
                        }
                        s->pos += n;
                        continue;
                }
                if (c != '\\') {
                        if (key) {
                                r = key_append(s->out, s->buf + s->pos, 1);
                                if (r < 0)
                                        return r;
                        }
                        s->pos++;
                        continue;
                }

                /* An escape. */
                size_t esc = s->pos;
                size_t n = 1;
                char e = esc + 1 < s->len ? s->buf[esc + 1] : '\0';
                uint32_t cp;

                switch (e) {
                case '"':
                case '\\':
                case '/':
                        enc[0] = e;
                        break;
                case 'b':
                        enc[0] = '\b';
                        break;
                case 'f':
                        enc[0] = '\f';
                        break;
                case 'n':
                        enc[0] = '\n';
                        break;
                case 'r':
                        enc[0] = '\r';
                        break;
                case 't':
                        enc[0] = '\t';
                        break;
                case 'u':
                        r = read_hex4(s, esc + 2, &cp);
                        if (r < 0)
                                return r;
                        s->pos = esc + 6;
                        if (cp == 0)
                                return fail_at(s, esc, "\\u0000 is not allowed in strings");
                        if (cp >= 0xdc00 && cp <= 0xdfff)
                                return fail_at(s, esc, "unpaired UTF-16 surrogate \\u%04x", (unsigned) cp);
                        if (cp >= 0xd800 && cp <= 0xdbff) {
                                uint32_t lo;

                                if (s->pos + 1 >= s->len || s->buf[s->pos] != '\\' ||
                                    s->buf[s->pos + 1] != 'u')
                                        return fail_at(s, esc, "unpaired UTF-16 surrogate \\u%04x",
                                                       (unsigned) cp);
                                r = read_hex4(s, s->pos + 2, &lo);
                                if (r < 0)
                                        return r;
                                if (lo < 0xdc00 || lo > 0xdfff)
                                        return fail_at(s, esc, "unpaired UTF-16 surrogate \\u%04x",
                                                       (unsigned) cp);
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                s->pos += 6;
                        }
                        n = utf8_encode(cp, enc);
                        if (key) {
                                r = key_append(s->out, enc, n);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                default:
                        if (esc + 1 >= s->len)
                                return fail_at(s, start, "unterminated string");
                        return fail_at(s, esc, "invalid escape '\\%c' in string", e);
                }
                if (key) {
                        r = key_append(s->out, enc, n);
                        if (r < 0)
                                return r;
                }
                s->pos = esc + 2;
        }
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static int scan_number(Scanner *s) {
        size_t start = s->pos;

        if (s->pos < s->len && s->buf[s->pos] == '-')
                s->pos++;
        if (s->pos >= s->len || !is_digit(s->buf[s->pos]))
                return fail_at(s, start, "invalid number");
        if (s->buf[s->pos] == '0' && s->pos + 1 < s->len && is_digit(s->buf[s->pos + 1]))
                return fail_at(s, start, "numbers may not have leading zeros");
        while (s->pos < s->len && is_digit(s->buf[s->pos]))
                s->pos++;
        if (s->pos < s->len && s->buf[s->pos] == '.') {
                s->pos++;
                if (s->pos >= s->len || !is_digit(s->buf[s->pos]))
                        return fail_at(s, start, "invalid number: expected digits after '.'");
                while (s->pos < s->len && is_digit(s->buf[s->pos]))
                        s->pos++;
        }
        if (s->pos < s->len && (s->buf[s->pos] == 'e' || s->buf[s->pos] == 'E')) {
                s->pos++;
                if (s->pos < s->len && (s->buf[s->pos] == '+' || s->buf[s->pos] == '-'))
                        s->pos++;
                if (s->pos >= s->len || !is_digit(s->buf[s->pos]))
                        return fail_at(s, start, "invalid number: expected digits in the exponent");
                while (s->pos < s->len && is_digit(s->buf[s->pos]))
                        s->pos++;
        }
        return 0;
}

static int scan_literal(Scanner *s, const char *word) {
        size_t n = strlen(word);

        if (s->len - s->pos < n || memcmp(s->buf + s->pos, word, n) != 0)
                return fail_unexpected(s, "a value");
        s->pos += n;
        return 0;
}

static int scan_value(Scanner *s, uint32_t parent, unsigned depth, uint32_t *ret_id);

static int scan_object(Scanner *s, uint32_t id, unsigned depth) {
        int r;

        s->pos++; /* '{' */
        skip_space(s);
        if (s->pos < s->len && s->buf[s->pos] == '}') {
                s->pos++;
                return 0;
        }
        for (;;) {
                size_t key_start = s->pos, key_off, key_len;
                unsigned key_line = s->line, key_column;
                uint32_t child, prev;
                SrdJsonNode *n;

                if (s->pos >= s->len || s->buf[s->pos] != '"')
                        return fail_unexpected(s, "a member name in double quotes");
                key_column = (unsigned) (key_start - s->line_start + 1);
                key_off = s->out->n_keys;
                r = scan_string(s, true);
                if (r < 0)
                        return r;
                key_len = s->out->n_keys - key_off;

                skip_space(s);
                if (s->pos >= s->len || s->buf[s->pos] != ':')
                        return fail_unexpected(s, "':' after the member name");
                s->pos++;
                skip_space(s);

                s->pending_key = true;
                s->pending_key_off = (uint32_t) key_off;
                s->pending_key_len = (uint32_t) key_len;
                s->pending_key_line = key_line;
                s->pending_key_column = key_column;
                r = scan_value(s, id, depth + 1, &child);
                s->pending_key = false;
                if (r < 0)
                        return r;
                n = &s->out->nodes[child];
                n->key = (uint32_t) key_off;
                n->key_len = (uint32_t) key_len;
                n->key_line = key_line;
                n->key_column = key_column;

                /* json-c keeps the last of duplicate keys: so do the positions. */
                prev = slots_put(s->out, child);
                if (prev != SRD_JSON_NONE) {
                        const SrdJsonNode *pn = &s->out->nodes[prev];
                        _cleanup_free_ char *path = srd_json_pos_path(s->out, child);
                        _cleanup_free_ char *q = srd_quote(s->out->keys + n->key, n->key_len, 64);

                        if (!path || !q)
                                return -ENOMEM;
                        s->n_duplicates++;
                        r = srd_diag_append(s->diag, s->file, key_line, key_column, path,
                                            "duplicate key %s (first at %u:%u); keys must be unique", q,
                                            pn->key_line, pn->key_column);
                        if (r < 0)
                                return r;
                }

                skip_space(s);
                if (s->pos < s->len && s->buf[s->pos] == ',') {
                        size_t comma = s->pos;

                        s->pos++;
                        skip_space(s);
                        if (s->pos < s->len && s->buf[s->pos] == '}')
                                return fail_at(s, comma, "trailing comma before '}'");
                        continue;
                }
                if (s->pos < s->len && s->buf[s->pos] == '}') {
                        s->pos++;
                        return 0;
                }
                return fail_unexpected(s, "',' or '}'");
        }
}

static int scan_array(Scanner *s, uint32_t id, unsigned depth) {
        int r;

        s->pos++; /* '[' */
        skip_space(s);
        if (s->pos < s->len && s->buf[s->pos] == ']') {
                s->pos++;
                return 0;
        }
        for (;;) {
                uint32_t child;

                r = scan_value(s, id, depth + 1, &child);
                if (r < 0)
                        return r;
                (void) slots_put(s->out, child);

                skip_space(s);
                if (s->pos < s->len && s->buf[s->pos] == ',') {
                        size_t comma = s->pos;

                        s->pos++;
                        skip_space(s);
                        if (s->pos < s->len && s->buf[s->pos] == ']')
                                return fail_at(s, comma, "trailing comma before ']'");
                        continue;
                }
                if (s->pos < s->len && s->buf[s->pos] == ']') {
                        s->pos++;
                        return 0;
                }
                return fail_unexpected(s, "',' or ']'");
        }
}

static int scan_value(Scanner *s, uint32_t parent, unsigned depth, uint32_t *ret_id) {
        SrdJsonType type;
        uint32_t id = SRD_JSON_NONE;
        char c;
        int r;

        if (s->pos >= s->len)
                return fail_unexpected(s, "a value");
        c = s->buf[s->pos];
        switch (c) {
        case '{':
                type = SRD_JSON_OBJECT;
                break;
        case '[':
                type = SRD_JSON_ARRAY;
                break;
        case '"':
                type = SRD_JSON_STRING;
                break;
        case 't':
        case 'f':
                type = SRD_JSON_BOOLEAN;
                break;
        case 'n':
                type = SRD_JSON_NULL;
                break;
        default:
                if (c != '-' && !is_digit(c))
                        return fail_unexpected(s, "a value");
                type = SRD_JSON_NUMBER;
        }

        if (depth >= SRD_JSON_MAX_DEPTH && (type == SRD_JSON_OBJECT || type == SRD_JSON_ARRAY))
                return fail_at(s, s->pos, "nesting deeper than %u levels", SRD_JSON_MAX_DEPTH);

        /* Grow the table before adding, so slots_put() never runs out of room. */
        if ((s->out->n_nodes + 1) * 2 > s->out->cap_slots) {
                r = slots_grow(s->out);
                if (r < 0)
                        return r;
        }
        r = node_add(s, parent, type, &id);
        if (r < 0)
                return r;
        if (s->pending_key) {
                SrdJsonNode *n = &s->out->nodes[id];

                n->key = s->pending_key_off;
                n->key_len = s->pending_key_len;
                n->key_line = s->pending_key_line;
                n->key_column = s->pending_key_column;
                s->pending_key = false;
        }

        switch (type) {
        case SRD_JSON_OBJECT:
                r = scan_object(s, id, depth);
                break;
        case SRD_JSON_ARRAY:
                r = scan_array(s, id, depth);
                break;
        case SRD_JSON_STRING:
                r = scan_string(s, false);
                break;
        case SRD_JSON_BOOLEAN:
                r = scan_literal(s, c == 't' ? "true" : "false");
                break;
        case SRD_JSON_NULL:
                r = scan_literal(s, "null");
                break;
        default:
                r = scan_number(s);
        }
        if (r < 0)
                return r;

        s->out->nodes[id].end = (uint32_t) s->pos;
        *ret_id = id;
        return 0;
}

int srd_json_pos_scan(const char *buf, size_t len, const char *file, SrdJsonPos **ret, SrdDiagList *diag) {
        _cleanup_(srd_json_pos_freep) SrdJsonPos *p = NULL;
        Scanner s = {
                .buf = buf,
                .len = len,
                .line = 1,
                .file = file,
                .diag = diag,
        };
        uint32_t root;
        int r;

        if (!buf && len > 0)
                return -EINVAL;
        if (len > SRD_JSON_MAX_SIZE) {
                r = srd_diag_append(diag, file, 0, 0, NULL, "file too large (%zu bytes, at most %u)", len,
                                    SRD_JSON_MAX_SIZE);
                return r < 0 ? r : -EINVAL;
        }

        p = calloc(1, sizeof(SrdJsonPos));
        if (!p)
                return -ENOMEM;
        /* Never NULL, so "keys + offset" is valid even for a document without member names. */
        p->cap_keys = 64;
        p->keys = malloc(p->cap_keys);
        if (!p->keys)
                return -ENOMEM;
        s.out = p;

        if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
                return fail_at(&s, 0, "the file starts with a UTF-8 byte order mark; save it without one");

        skip_space(&s);
        if (s.pos >= len)
                return fail_at(&s, s.pos, "empty document, expected a JSON value");

        r = scan_value(&s, SRD_JSON_NONE, 0, &root);
        if (r < 0)
                return r;

        skip_space(&s);
        if (s.pos < len)
                return fail_at(&s, s.pos, "unexpected content after the end of the document");

        *ret = TAKE_PTR(p);
        return s.n_duplicates;
}
