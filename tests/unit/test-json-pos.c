/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <time.h>

#include "json-pos.h"
#include "seccomp-redirect.h"
#include "tests.h"

/* Scan text; return the formatted diagnostics joined by '\n' ("" when none). */
static char *scan_diags(const char *text, int *ret_r) {
        SrdJsonPos *p = NULL;
        SrdDiagList d = {};
        char *out = strdup("");

        *ret_r = srd_json_pos_scan(text, strlen(text), "t.json", &p, &d);
        for (size_t i = 0; i < d.n; i++) {
                char *s = srd_diag_format(&d.items[i]), *t = NULL;

                if (asprintf(&t, "%s%s%s", out, i > 0 ? "\n" : "", s) < 0)
                        abort();
                free(out);
                free(s);
                out = t;
        }
        srd_diag_list_clear(&d);
        srd_json_pos_free(p);
        return out;
}

TEST(positions) {
        const char *text = "{\n  \"version\": 1,\n  \"rules\": [\n    { \"action\": \"redirct\" },\n"
                           "    [true, null, -1.5e3]\n  ]\n}\n";
        SrdJsonPos *p = NULL;
        const SrdJsonNode *n;
        uint32_t id;

        ASSERT_EQ(srd_json_pos_scan(text, strlen(text), "t.json", &p, NULL), 0);
        ASSERT_EQ(srd_json_pos_n_nodes(p), 9);

        n = srd_json_pos_node(p, 0);
        ASSERT_EQ(n->type, SRD_JSON_OBJECT);
        ASSERT_EQ(n->line, 1);
        ASSERT_EQ(n->column, 1);
        ASSERT_EQ(n->n_children, 2);
        ASSERT_EQ(n->parent, SRD_JSON_NONE);

        id = srd_json_pos_find(p, "version");
        n = srd_json_pos_node(p, id);
        ASSERT_EQ(n->type, SRD_JSON_NUMBER);
        ASSERT_EQ(n->line, 2);
        ASSERT_EQ(n->column, 14);
        ASSERT_EQ(n->key_line, 2);
        ASSERT_EQ(n->key_column, 3);
        ASSERT_EQ(n->end - n->start, 1);

        id = srd_json_pos_find(p, "rules[0].action");
        n = srd_json_pos_node(p, id);
        ASSERT_EQ(n->type, SRD_JSON_STRING);
        ASSERT_EQ(n->line, 4);
        ASSERT_EQ(n->column, 17);
        ASSERT_EQ(n->key_column, 7);
        ASSERT_EQ(memcmp(text + n->start, "\"redirct\"", 9), 0);
        ASSERT_EQ(n->end - n->start, 9);

        id = srd_json_pos_find(p, "rules[1][2]");
        n = srd_json_pos_node(p, id);
        ASSERT_EQ(n->type, SRD_JSON_NUMBER);
        ASSERT_EQ(n->line, 5);
        ASSERT_EQ(n->column, 18);
        ASSERT_EQ(n->end - n->start, 6);
        ASSERT_EQ(n->key_line, 0);
        ASSERT_EQ(n->index, 2);

        ASSERT_EQ(srd_json_pos_element(p, srd_json_pos_member(p, 0, "rules"), 1),
                  srd_json_pos_find(p, "rules[1]"));
        ASSERT_EQ(srd_json_pos_find(p, ""), 0);
        ASSERT_EQ(srd_json_pos_find(p, "rules[2]"), SRD_JSON_NONE);
        ASSERT_EQ(srd_json_pos_find(p, "rules.x"), SRD_JSON_NONE);
        ASSERT_EQ(srd_json_pos_find(p, "version[0]"), SRD_JSON_NONE);
        ASSERT_EQ(srd_json_pos_find(p, "nope"), SRD_JSON_NONE);
        ASSERT_EQ(srd_json_pos_find(p, ".version"), SRD_JSON_NONE);
        ASSERT_EQ(srd_json_pos_find(p, "rules[x]"), SRD_JSON_NONE);
        ASSERT_EQ(srd_json_pos_member(p, 0, "rule"), SRD_JSON_NONE);
        ASSERT_EQ(srd_json_pos_element(p, 0, 0), SRD_JSON_NONE);
        ASSERT_NULL(srd_json_pos_node(p, 9));
        srd_json_pos_free(p);
}

TEST(paths_roundtrip) {
        const char *text =
                "{\"a\":[1,{\"b\":2},[3]],\"x y\":{\"c\":1},\"q\\\"\\\\\\u00e9\":1,\"\":2,\"k.l\":[[]]}";
        static const char *const expected[] = {
                "",       "a",         "a[0]",         "a[1]",        "a[1].b",
                "a[2]",   "a[2][0]",   "[\"x y\"]",    "[\"x y\"].c", "[\"q\\\"\\\\\\xc3\\xa9\"]",
                "[\"\"]", "[\"k.l\"]", "[\"k.l\"][0]",
        };
        SrdJsonPos *p = NULL;

        ASSERT_EQ(srd_json_pos_scan(text, strlen(text), NULL, &p, NULL), 0);
        ASSERT_EQ(srd_json_pos_n_nodes(p), ELEMENTSOF(expected));
        for (uint32_t i = 0; i < ELEMENTSOF(expected); i++) {
                char *path = srd_json_pos_path(p, i);

                ASSERT_STREQ(path, expected[i]);
                ASSERT_EQ(srd_json_pos_find(p, path), i);
                free(path);
        }
        /* Decoded member names. */
        uint32_t id = srd_json_pos_find(p, "[\"q\\\"\\\\\\xc3\\xa9\"]");
        ASSERT_EQ(srd_json_pos_node(p, id)->key_len, 5);
        ASSERT_EQ(memcmp(srd_json_pos_key(p, id), "q\"\\\xc3\xa9", 5), 0);
        srd_json_pos_free(p);
}

TEST(path_helpers) {
        char *s;

        s = srd_json_path_member(NULL, "rules", 5);
        ASSERT_STREQ(s, "rules");
        free(s);
        s = srd_json_path_member("rules[2]", "action", 6);
        ASSERT_STREQ(s, "rules[2].action");
        free(s);
        s = srd_json_path_member("", "a b", 3);
        ASSERT_STREQ(s, "[\"a b\"]");
        free(s);
        s = srd_json_path_element("rules", 10);
        ASSERT_STREQ(s, "rules[10]");
        free(s);
        s = srd_json_path_element(NULL, 0);
        ASSERT_STREQ(s, "[0]");
        free(s);
}

TEST(offset_to_line_col) {
        const char *t = "ab\ncd\n\nx";
        unsigned line, col;

        srd_json_offset_to_line_col(t, strlen(t), 0, &line, &col);
        ASSERT_EQ(line, 1);
        ASSERT_EQ(col, 1);
        srd_json_offset_to_line_col(t, strlen(t), 4, &line, &col);
        ASSERT_EQ(line, 2);
        ASSERT_EQ(col, 2);
        srd_json_offset_to_line_col(t, strlen(t), 7, &line, &col);
        ASSERT_EQ(line, 4);
        ASSERT_EQ(col, 1);
        srd_json_offset_to_line_col(t, strlen(t), 100, &line, &col);
        ASSERT_EQ(line, 4);
        ASSERT_EQ(col, 2);
}

TEST(duplicates) {
        const char *text = "{\"a\": {\"x\": 1},\n \"b\": 2,\n \"a\": [5]}";
        SrdJsonPos *p = NULL;
        SrdDiagList d = {};
        char *s;

        ASSERT_EQ(srd_json_pos_scan(text, strlen(text), "d.json", &p, &d), 1);
        ASSERT_EQ(d.n, 1);
        s = srd_diag_format(&d.items[0]);
        ASSERT_STREQ(s, "d.json:3:2: a: duplicate key \"a\" (first at 1:2); keys must be unique");
        free(s);
        /* Like json-c, the last one wins. */
        ASSERT_EQ(srd_json_pos_node(p, srd_json_pos_find(p, "a"))->type, SRD_JSON_ARRAY);
        ASSERT_EQ(srd_json_pos_node(p, srd_json_pos_find(p, "a"))->line, 3);
        ASSERT_EQ(srd_json_pos_find(p, "a[0]") != SRD_JSON_NONE, true);
        srd_diag_list_clear(&d);
        srd_json_pos_free(p);
}

static const struct {
        const char *text;
        const char *diag;
} syntax_errors[] = {
        {"", "t.json:1:1: empty document, expected a JSON value"},
        {"  \n ", "t.json:2:2: empty document, expected a JSON value"},
        {"{", "t.json:1:2: unexpected end of input, expected a member name in double quotes"},
        {"{\"a\"", "t.json:1:5: unexpected end of input, expected ':' after the member name"},
        {"{\"a\" 1}", "t.json:1:6: unexpected '1', expected ':' after the member name"},
        {"{\"a\":}", "t.json:1:6: unexpected '}', expected a value"},
        {"{\"a\":1,}", "t.json:1:7: trailing comma before '}'"},
        {"[1,\n 2,\n]", "t.json:2:3: trailing comma before ']'"},
        {"{\"a\":1 \"b\":2}", "t.json:1:8: unexpected '\"', expected ',' or '}'"},
        {"[1 2]", "t.json:1:4: unexpected '2', expected ',' or ']'"},
        {"{a:1}", "t.json:1:2: unexpected 'a', expected a member name in double quotes"},
        {"{\n  // note\n}",
         "t.json:2:3: comments are not allowed in JSON (expected a member name in double quotes)"},
        {"['a']", "t.json:1:2: strings take double quotes in JSON, not single quotes"},
        {"[tru]", "t.json:1:2: unexpected 't', expected a value"},
        {"[nul", "t.json:1:2: unexpected 'n', expected a value"},
        {"[True]", "t.json:1:2: unexpected 'T', expected a value"},
        {"\"abc", "t.json:1:1: unterminated string"},
        {"[\"a\\", "t.json:1:2: unterminated string"},
        {"[\"a\nb\"]", "t.json:1:4: control character 0x0a in string (escape it, e.g. \\n)"},
        {"[\"\\q\"]", "t.json:1:3: invalid escape '\\q' in string"},
        {"[\"\\u12G4\"]", "t.json:1:3: invalid \\u escape: expected four hex digits"},
        {"[\"\\u00\"]", "t.json:1:3: invalid \\u escape: expected four hex digits"},
        {"[\"a\\u0000\"]", "t.json:1:4: \\u0000 is not allowed in strings"},
        {"[\"\\ud800\"]", "t.json:1:3: unpaired UTF-16 surrogate \\ud800"},
        {"[\"\\ud800\\u0041\"]", "t.json:1:3: unpaired UTF-16 surrogate \\ud800"},
        {"[\"\\udc00\"]", "t.json:1:3: unpaired UTF-16 surrogate \\udc00"},
        {"[\"\xff\"]", "t.json:1:3: invalid UTF-8 in string"},
        {"[\"\xc0\xaf\"]", "t.json:1:3: invalid UTF-8 in string"},
        {"[\"\xed\xa0\x80\"]", "t.json:1:3: invalid UTF-8 in string"},
        {"[\"\xe2\x82\"]", "t.json:1:3: invalid UTF-8 in string"},
        {"[01]", "t.json:1:2: numbers may not have leading zeros"},
        {"[-]", "t.json:1:2: invalid number"},
        {"[1.]", "t.json:1:2: invalid number: expected digits after '.'"},
        {"[1e]", "t.json:1:2: invalid number: expected digits in the exponent"},
        {"[+1]", "t.json:1:2: unexpected '+', expected a value"},
        {"[.5]", "t.json:1:2: unexpected '.', expected a value"},
        {"[NaN]", "t.json:1:2: unexpected 'N', expected a value"},
        {"{} {}", "t.json:1:4: unexpected content after the end of the document"},
        {"{}\n\x01", "t.json:2:1: unexpected content after the end of the document"},
        {"\xef\xbb\xbf{}", "t.json:1:1: the file starts with a UTF-8 byte order mark; save it without one"},
        {"[\x01]", "t.json:1:2: unexpected byte 0x01, expected a value"},
        {"{\"a\":1,\"a\":2,\"a\":3}",
         "t.json:1:8: a: duplicate key \"a\" (first at 1:2); keys must be unique\n"
         "t.json:1:14: a: duplicate key \"a\" (first at 1:8); keys must be unique"},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
         "t.json:1:33: nesting deeper than 32 levels"},
};

TEST(syntax_errors) {
        for (size_t i = 0; i < ELEMENTSOF(syntax_errors); i++) {
                int r;
                char *got = scan_diags(syntax_errors[i].text, &r);

                if (!streq(got, syntax_errors[i].diag) || (r >= 0) != (strstr(got, "duplicate") != NULL)) {
                        printf("# case %zu: r=%d\n#   got:      %s\n#   expected: %s\n", i, r, got,
                               syntax_errors[i].diag);
                        test_failed_ = 1;
                }
                free(got);
        }
}

TEST(valid_documents) {
        static const char *const ok[] = {
                "{}",
                "[]",
                "0",
                "-0",
                "1.5e-3",
                "\"\"",
                "true",
                "null",
                " \t\r\n{ \"a\" : [ ] } \n",
                "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"]",
                "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]",
                "[18446744073709551616, -1E+2, 0.0]",
                "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        };

        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                int r;
                char *got = scan_diags(ok[i], &r);

                if (r != 0 || got[0]) {
                        printf("# case %zu: r=%d %s\n", i, r, got);
                        test_failed_ = 1;
                }
                free(got);
        }
}

TEST(embedded_nul) {
        SrdJsonPos *p = NULL;
        SrdDiagList d = {};

        ASSERT_ERROR(srd_json_pos_scan("{}\0", 3, "n", &p, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        ASSERT_STREQ(d.items[0].message, "unexpected content after the end of the document");
        srd_diag_list_clear(&d);
        ASSERT_ERROR(srd_json_pos_scan("[\"a\0\"]", 6, "n", &p, &d), EINVAL);
        ASSERT_STREQ(d.items[0].message, "control character 0x00 in string (escape it, e.g. \\n)");
        srd_diag_list_clear(&d);
        ASSERT_NULL(p);
}

TEST(linear_time) {
        /* Many members and many elements: a quadratic lookup or copy would take minutes here. */
        size_t n = 200000, len = 0;
        char *buf = malloc(n * 24 + 16);
        SrdJsonPos *p = NULL;
        clock_t t0 = clock();

        ASSERT_NOT_NULL(buf);
        buf[len++] = '{';
        for (size_t i = 0; i < n; i++)
                len += (size_t) sprintf(buf + len, "%s\"k%zu\":[%zu]", i ? "," : "", i, i);
        buf[len++] = '}';
        ASSERT_EQ(srd_json_pos_scan(buf, len, NULL, &p, NULL), 0);
        ASSERT_EQ(srd_json_pos_n_nodes(p), 2 * n + 1);
        for (size_t i = 0; i < n; i += 997) {
                char key[32];

                snprintf(key, sizeof key, "k%zu", i);
                uint32_t id = srd_json_pos_member(p, 0, key);
                ASSERT_NE(id, SRD_JSON_NONE);
                ASSERT_EQ(srd_json_pos_node(p, srd_json_pos_element(p, id, 0))->type, SRD_JSON_NUMBER);
        }
        srd_json_pos_free(p);
        free(buf);
        ASSERT_TRUE((double) (clock() - t0) / CLOCKS_PER_SEC < 5.0);
}

TEST(limits) {
        SrdDiagList d = {};
        SrdJsonPos *p = NULL;
        size_t n = SRD_JSON_MAX_NODES + 10, len = 0;
        char *buf = malloc(n * 2 + 2);

        /* Too many values. */
        ASSERT_NOT_NULL(buf);
        buf[len++] = '[';
        for (size_t i = 0; i < n; i++) {
                buf[len++] = '0';
                buf[len++] = ',';
        }
        buf[len - 1] = ']';
        ASSERT_ERROR(srd_json_pos_scan(buf, len, "big", &p, &d), EINVAL);
        ASSERT_EQ(d.n, 1);
        ASSERT_STREQ(d.items[0].message, "too many JSON values (more than 1048576)");
        srd_diag_list_clear(&d);
        free(buf);

        /* Too many bytes. */
        ASSERT_ERROR(srd_json_pos_scan("", (size_t) SRD_JSON_MAX_SIZE + 1, "huge", &p, &d), EINVAL);
        ASSERT_STREQ(d.items[0].message, "file too large (16777217 bytes, at most 16777216)");
        srd_diag_list_clear(&d);
        ASSERT_NULL(p);
}

TESTS_MAIN
