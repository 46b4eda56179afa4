/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every file shipped in policies/ must load without a single diagnostic:
 * the examples are what policy authors copy. schema.json is not a policy,
 * but must be valid JSON (checked with the same strict scanner).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-pos.h"
#include "macro.h"
#include "seccomp-redirect.h"
#include "tests.h"

static const char *policies_dir(char *buf, size_t size) {
        const char *root = getenv("SRD_SOURCE_ROOT");

        snprintf(buf, size, "%s/policies", root ? root : "../..");
        return buf;
}

static char *read_all(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t cap = 0, len = 0;

        if (!f)
                return NULL;
        for (;;) {
                if (len == cap) {
                        char *b = realloc(buf, cap ? cap * 2 : 65536);

                        if (!b)
                                break;
                        buf = b;
                        cap = cap ? cap * 2 : 65536;
                }
                size_t k = fread(buf + len, 1, cap - len, f);
                if (k == 0)
                        break;
                len += k;
        }
        fclose(f);
        *ret_len = len;
        return buf;
}

static void print_diags(const SrdDiagList *d) {
        for (size_t i = 0; i < d->n; i++) {
                char *s = srd_diag_format(&d->items[i]);

                printf("# %s\n", s ? s : "(oom)");
                free(s);
        }
}

TEST(every_policy_loads_clean) {
        char dir[4096];
        struct dirent **names;
        unsigned n_policies = 0;
        bool have_demo = false;
        int n;

        n = scandir(policies_dir(dir, sizeof dir), &names, NULL, alphasort);
        if (n < 0)
                TEST_FAIL_("cannot list %s: %s", dir, strerror(errno));
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                size_t l = strlen(name);
                char path[8192];

                if (l > 5 && streq(name + l - 5, ".json") && !streq(name, "schema.json")) {
                        SrdDiagList d = {};
                        SrdPolicy *p = NULL;
                        int r;

                        snprintf(path, sizeof path, "%s/%s", dir, name);
                        r = srd_policy_load_file(path, &p, &d);
                        if (r < 0 || d.n > 0) {
                                printf("# %s: %s\n", name, strerror(-r));
                                print_diags(&d);
                                test_failed_ = 1;
                        } else {
                                /* The policy's name is the file's, as the daemon will require for clarity.
                                 */
                                if (strncmp(srd_policy_name(p), name, l - 5) != 0 ||
                                    strlen(srd_policy_name(p)) != l - 5) {
                                        printf("# %s: policy name \"%s\" differs from the file name\n", name,
                                               srd_policy_name(p));
                                        test_failed_ = 1;
                                }
                                printf("# %s: %zu rules\n", name, srd_policy_n_rules(p));
                                n_policies++;
                                have_demo = have_demo || streq(name, "demo.json");
                        }
                        srd_diag_list_clear(&d);
                        srd_policy_unref(p);
                }
                free(names[i]);
        }
        free(names);
        ASSERT_TRUE(have_demo);
        ASSERT_TRUE(n_policies >= 3);
}

TEST(schema_is_valid_json) {
        char dir[4096], path[8192];
        SrdJsonPos *pos = NULL;
        SrdDiagList d = {};
        size_t len = 0;
        char *buf;
        int r;

        snprintf(path, sizeof path, "%s/schema.json", policies_dir(dir, sizeof dir));
        buf = read_all(path, &len);
        if (!buf)
                TEST_FAIL_("cannot read %s", path);
        r = srd_json_pos_scan(buf, len, "schema.json", &pos, &d);
        print_diags(&d);
        ASSERT_EQ(r, 0);
        ASSERT_EQ(d.n, 0);

        /* The parts tools rely on. */
        uint32_t id = srd_json_pos_find(pos, "[\"$schema\"]");
        ASSERT_NE(id, SRD_JSON_NONE);
        const SrdJsonNode *node = srd_json_pos_node(pos, id);
        ASSERT_EQ(node->type, SRD_JSON_STRING);
        ASSERT_TRUE(strncmp(buf + node->start, "\"https://json-schema.org/draft/2020-12/schema\"",
                            node->end - node->start) == 0);
        ASSERT_NE(srd_json_pos_find(pos, "properties.rules"), SRD_JSON_NONE);
        ASSERT_NE(srd_json_pos_find(pos, "[\"$defs\"].rule.properties.action"), SRD_JSON_NONE);
        srd_json_pos_free(pos);
        free(buf);
}

TEST(demo_is_the_issue_policy) {
        /* The demo must stay exactly the policy in the issue: spot-check the parts people quote. */
        char dir[4096], path[8192];
        size_t len = 0;
        char *buf;

        snprintf(path, sizeof path, "%s/demo.json", policies_dir(dir, sizeof dir));
        buf = read_all(path, &len);
        if (!buf)
                TEST_FAIL_("cannot read %s", path);
        buf[len - 1] = '\0';
        ASSERT_NOT_NULL(strstr(buf, "\"to\": \"/sandbox/secrets/{suffix}\""));
        ASSERT_NOT_NULL(strstr(buf, "\"args\": [ { \"index\": 2, \"op\": \"SCMP_CMP_MASKED_EQ\", \"value\": "
                                    "3, \"valueTwo\": 0 } ]"));
        ASSERT_NOT_NULL(strstr(
                buf,
                "\"action\": \"redirect\", \"set\": [ { \"index\": 2, \"value\": 0, \"mask\": 3 } ] }"));
        free(buf);
}

TESTS_MAIN
