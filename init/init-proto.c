/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for the init socket and the token files. The daemon reads the
 * init's lines from a container, so every byte is checked: fixed keywords,
 * decimal numbers without signs or leading zeros, no trailing bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "init-proto.h"

bool sri_token_valid(const char *s, size_t len) {
        if (len != SRI_TOKEN_LEN)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

bool sri_name_valid(const char *s, size_t len, size_t max) {
        if (len == 0 || len > max || s[0] == '.' || s[0] == '-')
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-' || c == '+'))
                        return false;
        }
        return true;
}

/* A decimal number in [0, max], no sign, no leading zero; *pos advanced. */
static int parse_uint(const char *s, size_t len, size_t *pos, unsigned long max, unsigned long *ret) {
        unsigned long v = 0;
        size_t start = *pos;

        while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
                v = v * 10 + (unsigned long) (s[*pos] - '0');
                if (v > max)
                        return -ERANGE;
                (*pos)++;
        }
        if (*pos == start || (s[start] == '0' && *pos - start > 1))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int sri_parse_hello(const char *line, size_t len, char ret_token[SRI_TOKEN_LEN + 1]) {
        size_t k = strlen(SRI_HELLO);

        if (len != k + SRI_TOKEN_LEN || memcmp(line, SRI_HELLO, k) != 0 ||
            !sri_token_valid(line + k, SRI_TOKEN_LEN))
                return -EBADMSG;
        memcpy(ret_token, line + k, SRI_TOKEN_LEN);
        ret_token[SRI_TOKEN_LEN] = 0;
        return 0;
}

int sri_parse_listener(const char *line, size_t len, int *ret_fd) {
        static const char kw[] = "LISTENER ";
        size_t pos = sizeof(kw) - 1;
        unsigned long v;
        int r;

        if (len <= pos || memcmp(line, kw, pos) != 0)
                return -EBADMSG;
        r = parse_uint(line, len, &pos, 1U << 20, &v);
        if (r < 0)
                return -EBADMSG;
        if (pos != len)
                return -EBADMSG;
        *ret_fd = (int) v;
        return 0;
}

int sri_parse_syscalls(const char *line, size_t len, int *ret_nrs, size_t max, size_t *ret_n) {
        static const char kw[] = "SYSCALLS";
        size_t pos = sizeof(kw) - 1, n = 0;

        if (len < pos || memcmp(line, kw, pos) != 0)
                return -EBADMSG;
        while (pos < len) {
                unsigned long v;
                int r;

                if (line[pos] != ' ')
                        return -EBADMSG;
                pos++;
                r = parse_uint(line, len, &pos, 4095, &v);
                if (r < 0)
                        return -EBADMSG;
                if (n >= max)
                        return -E2BIG;
                ret_nrs[n++] = (int) v;
        }
        *ret_n = n;
        return 0;
}

int sri_format_syscalls(const int *nrs, size_t n, char *buf, size_t size) {
        size_t pos;
        int k;

        k = snprintf(buf, size, "SYSCALLS");
        if (k < 0 || (size_t) k >= size)
                return -ENOBUFS;
        pos = (size_t) k;
        for (size_t i = 0; i < n; i++) {
                if (nrs[i] < 0 || nrs[i] > 4095)
                        return -ERANGE;
                k = snprintf(buf + pos, size - pos, " %d", nrs[i]);
                if (k < 0 || (size_t) k >= size - pos)
                        return -ENOBUFS;
                pos += (size_t) k;
        }
        if (pos + 2 > size)
                return -ENOBUFS;
        buf[pos++] = '\n';
        buf[pos] = 0;
        return 0;
}

int sri_parse_token_file(const char *buf, size_t len, char ret_id[SRI_ID_MAX + 1],
                         char ret_policy[SRI_POLICY_MAX + 1], SriSource *ret_source) {
        bool have_id = false, have_policy = false, have_source = false;

        *ret_source = SRI_SOURCE_OPERATOR;
        size_t pos = 0;

        if (len > SRI_TOKEN_FILE_MAX)
                return -EBADMSG;
        while (pos < len) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                const char *line = buf + pos, *eq;
                size_t l;

                if (!nl)
                        return -EBADMSG; /* every line ends with '\n': no torn file */
                l = (size_t) (nl - line);
                pos += l + 1;
                eq = memchr(line, '=', l);
                if (!eq)
                        return -EBADMSG;
                if ((size_t) (eq - line) == strlen("container") && memcmp(line, "container", 9) == 0) {
                        size_t vl = l - 10;

                        if (have_id || !sri_name_valid(eq + 1, vl, SRI_ID_MAX))
                                return -EBADMSG;
                        memcpy(ret_id, eq + 1, vl);
                        ret_id[vl] = 0;
                        have_id = true;
                } else if ((size_t) (eq - line) == strlen("policy") && memcmp(line, "policy", 6) == 0) {
                        size_t vl = l - 7;

                        if (have_policy || !sri_name_valid(eq + 1, vl, SRI_POLICY_MAX))
                                return -EBADMSG;
                        memcpy(ret_policy, eq + 1, vl);
                        ret_policy[vl] = 0;
                        have_policy = true;
                } else if ((size_t) (eq - line) == strlen("source") && memcmp(line, "source", 6) == 0) {
                        size_t vl = l - 7;

                        if (have_source)
                                return -EBADMSG;
                        if (vl == 8 && memcmp(eq + 1, "operator", 8) == 0)
                                *ret_source = SRI_SOURCE_OPERATOR;
                        else if (vl == 10 && memcmp(eq + 1, "annotation", 10) == 0)
                                *ret_source = SRI_SOURCE_ANNOTATION;
                        else
                                return -EBADMSG;
                        have_source = true;
                } else
                        return -EBADMSG;
        }
        return have_id && have_policy ? 0 : -EBADMSG;
}
