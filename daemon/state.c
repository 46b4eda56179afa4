/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container state file's format (state.h). Pure: no files, no logs,
 * so that the fuzzer takes it as it is.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

void container_state_done(ContainerState *s) {
        free(s->id);
        free(s->policy);
        free(s->root);
        *s = (ContainerState){.slot = STATE_NO_SLOT};
}

bool state_key_valid(const char *s, size_t len) {
        if (len != STATE_KEY_LEN)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* As the handoff parser takes them: the name may end up in paths and logs. */
bool state_policy_name_valid(const char *s, size_t len) {
        if (len == 0 || len > STATE_POLICY_MAX)
                return false;
        if (s[0] == '.' && (len == 1 || (len == 2 && s[1] == '.')))
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

static bool plain_byte(unsigned char c) {
        return c > 0x20 && c < 0x7f && c != '%';
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1; /* lower case too: one spelling per byte, so format(parse(x)) == x */
}

/* Decode v[0..len) into a malloc'd string of at most max bytes, no NUL inside. */
static int decode(const char *v, size_t len, size_t max, char **ret) {
        char *out, *p;

        out = p = malloc(len + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) v[i];

                if (c == '%') {
                        int hi, lo;

                        if (len - i < 3 || (hi = hex_value(v[i + 1])) < 0 || (lo = hex_value(v[i + 2])) < 0)
                                goto bad;
                        c = (unsigned char) (hi << 4 | lo);
                        /* Encoded only what has to be: a second spelling of the same bytes is refused. */
                        if (c == 0 || plain_byte(c))
                                goto bad;
                        i += 2;
                } else if (!plain_byte(c))
                        goto bad;
                *p++ = (char) c;
                if ((size_t) (p - out) > max)
                        goto bad;
        }
        *p = 0;
        *ret = out;
        return 0;
bad:
        free(out);
        return -EBADMSG;
}

/* Decimal, no sign, no leading zero, at most max. */
static int parse_number(const char *v, size_t len, uint64_t max, uint64_t *ret) {
        uint64_t x = 0;

        if (len == 0 || len > 20 || (v[0] == '0' && len > 1))
                return -EBADMSG;
        for (size_t i = 0; i < len; i++) {
                unsigned d;

                if (v[i] < '0' || v[i] > '9')
                        return -EBADMSG;
                d = (unsigned) (v[i] - '0');
                if (x > (UINT64_MAX - d) / 10)
                        return -EBADMSG;
                x = x * 10 + d;
        }
        if (x > max)
                return -EBADMSG;
        *ret = x;
        return 0;
}

enum {
        FIELD_VERSION,
        FIELD_ID,
        FIELD_POLICY,
        FIELD_PID,
        FIELD_STARTTIME,
        FIELD_SLOT,
        FIELD_ROOT,
        _FIELD_MAX,
};

static const char *const field_names[_FIELD_MAX] = {
        [FIELD_VERSION] = "version",     [FIELD_ID] = "id",
        [FIELD_POLICY] = "policy",       [FIELD_PID] = "pid",
        [FIELD_STARTTIME] = "starttime", [FIELD_SLOT] = "slot",
        [FIELD_ROOT] = "root",
};

int container_state_parse(const char *buf, size_t len, ContainerState *ret) {
        ContainerState s = {.slot = STATE_NO_SLOT};
        unsigned seen = 0;
        int last = -1;
        uint64_t x;
        size_t pos = 0;
        int r = -EBADMSG;

        if (!buf || !ret || len > STATE_MAX_SIZE || len == 0 || buf[len - 1] != '\n')
                return -EBADMSG;

        while (pos < len) {
                const char *l = buf + pos, *nl = memchr(l, '\n', len - pos), *eq, *v;
                size_t ll = (size_t) (nl - l), vl;
                int f;

                pos += ll + 1;
                eq = memchr(l, '=', ll);
                if (!eq)
                        goto fail;
                for (f = 0; f < _FIELD_MAX; f++)
                        if ((size_t) (eq - l) == strlen(field_names[f]) &&
                            memcmp(l, field_names[f], (size_t) (eq - l)) == 0)
                                break;
                /* In the order the format writes them, each once: one spelling per
                 * state, and the version first, so that a later format is refused
                 * before anything of it is read. */
                if (f == _FIELD_MAX || f <= last)
                        goto fail;
                last = f;
                seen |= 1U << f;
                v = eq + 1;
                vl = ll - (size_t) (v - l);

                switch (f) {
                case FIELD_VERSION:
                        if (parse_number(v, vl, UINT32_MAX, &x) < 0 || x != STATE_VERSION)
                                goto fail;
                        break;
                case FIELD_ID:
                        r = decode(v, vl, STATE_ID_MAX, &s.id);
                        if (r < 0)
                                goto fail;
                        if (!s.id[0])
                                goto bad;
                        break;
                case FIELD_POLICY:
                        if (!state_policy_name_valid(v, vl))
                                goto fail;
                        s.policy = strndup(v, vl);
                        if (!s.policy) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        break;
                case FIELD_PID:
                        if (parse_number(v, vl, INT_MAX, &x) < 0 || x == 0)
                                goto fail;
                        s.pid = (pid_t) x;
                        break;
                case FIELD_STARTTIME:
                        if (parse_number(v, vl, UINT64_MAX, &s.starttime) < 0)
                                goto fail;
                        break;
                case FIELD_SLOT:
                        if (parse_number(v, vl, STATE_SLOT_MAX - 1, &x) < 0)
                                goto fail;
                        s.slot = (uint32_t) x;
                        break;
                case FIELD_ROOT:
                        r = decode(v, vl, STATE_ROOT_MAX, &s.root);
                        if (r < 0)
                                goto fail;
                        if (s.root[0] != '/')
                                goto bad;
                        break;
                }
                r = -EBADMSG;
        }

        if ((seen | (1U << FIELD_ROOT) | (1U << FIELD_SLOT)) != (1U << _FIELD_MAX) - 1)
                goto fail;
        *ret = s;
        return 0;
bad:
        r = -EBADMSG;
fail:
        container_state_done(&s);
        return r;
}

static int encode(FILE *f, const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (plain_byte(*p) ? fputc(*p, f) == EOF : fprintf(f, "%%%02X", *p) < 0)
                        return -ENOMEM;
        return 0;
}

int container_state_format(const ContainerState *s, char **ret, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!s || !ret || !ret_len || !s->id || !s->id[0] || strlen(s->id) > STATE_ID_MAX || !s->policy ||
            !state_policy_name_valid(s->policy, strlen(s->policy)) || s->pid <= 0 ||
            (s->root && (s->root[0] != '/' || strlen(s->root) > STATE_ROOT_MAX)) ||
            (s->slot != STATE_NO_SLOT && s->slot >= STATE_SLOT_MAX))
                return -EINVAL;

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        r = fprintf(f, "version=%d\nid=", STATE_VERSION) < 0 ? -ENOMEM : 0;
        if (r >= 0)
                r = encode(f, s->id);
        if (r >= 0 && fprintf(f, "\npolicy=%s\npid=%d\nstarttime=%llu\n", s->policy, (int) s->pid,
                              (unsigned long long) s->starttime) < 0)
                r = -ENOMEM;
        if (r >= 0 && s->slot != STATE_NO_SLOT && fprintf(f, "slot=%u\n", (unsigned) s->slot) < 0)
                r = -ENOMEM;
        if (r >= 0 && s->root) {
                if (fputs("root=", f) == EOF)
                        r = -ENOMEM;
                if (r >= 0)
                        r = encode(f, s->root);
                if (r >= 0 && fputc('\n', f) == EOF)
                        r = -ENOMEM;
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}
