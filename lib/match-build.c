/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Matching one syscall against a policy: the first rule in file order that
 * matches decides, no match takes defaultAction.
 *
 * Trying every rule in order costs O(rules) per notification; policies with
 * thousands of path rules are expected, so srd_matcher_build() builds an
 * index once and srd_policy_evaluate() only looks at rules that can match:
 *
 *   - per syscall number (a dense array) the rules naming it;
 *   - exact paths in one hash table keyed by (syscall, path): one probe;
 *   - prefixes and globs in one radix trie (path-compressed byte trie) per
 *     syscall over their keys: the prefix, or the literal head of a glob
 *     (the part before the first wildcard; a glob can only match paths
 *     starting with it). Each node lists, in rule order, the prefix and
 *     glob rules whose key ends there. Walking the trie along the path
 *     visits exactly the keys that are prefixes of the path: prefix rules
 *     there match, glob rules there are candidates. A walk is O(path
 *     length) however many rules there are;
 *   - the rules without a path condition in one list.
 *
 * Every list is sorted by rule index, so the smallest index that fully
 * matches (its glob, its args conditions) wins: each list is scanned only
 * while its entries are smaller than the best match found so far, and stops
 * at its first full match. Nothing is allocated per decision.
 *
 * With 10,000 rules the index no longer fits in the CPU's caches, and cache
 * misses, not instructions, make a large policy slower than a small one. So
 * each trie node is one compact record in a single arena (header, label,
 * the children's first bytes, their offsets, then its rules), and each rule
 * in a list is compiled into the record: its verdict, args conditions,
 * glob tail, "to" and "set". A walk touches about one cache line per node,
 * an exact lookup one slot and one record, and deciding never reads the
 * SrdRule array (except to re-check the other path of a two-path syscall).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "match-internal.h"
#include "seccomp-redirect.h"
#include "syscall-args.h"

#define new0(t) ((t *) calloc(1, sizeof(t)))
#define new0_array(t, n) ((t *) calloc((n), sizeof(t)))
#define ALIGN4(x) (((x) + 3) & ~(size_t) 3)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

_public_ SrdMatcher *srd_matcher_free(SrdMatcher *m) {
        if (!m)
                return NULL;
        free(m->sys);
        free(m->arena);
        free(m->exact);
        free(m->pending);
        free(m);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(SrdMatcher *, srd_matcher_free);

/* ------------------------------------------------------------------------ */
/* Building.                                                                 */

typedef struct NrRule {
        int nr;
        uint32_t rule;
} NrRule;

typedef struct Entry {
        const char *key;
        uint32_t len;
        SrdPathKind kind;
        uint32_t rule;
} Entry;

/* One distinct key and its entries [lo, hi). */
typedef struct Key {
        const char *s;
        uint32_t len;
        uint32_t lo, hi;
} Key;

static int nr_rule_compare(const void *a, const void *b) {
        const NrRule *x = a, *y = b;

        if (x->nr != y->nr)
                return x->nr < y->nr ? -1 : 1;
        if (x->rule != y->rule)
                return x->rule < y->rule ? -1 : 1;
        return 0;
}

static int key_compare(const char *a, uint32_t la, const char *b, uint32_t lb) {
        int c = memcmp(a, b, MIN(la, lb));

        if (c != 0)
                return c;
        return la < lb ? -1 : la > lb ? 1 : 0;
}

static int entry_compare(const void *a, const void *b) {
        const Entry *x = a, *y = b;
        int c = key_compare(x->key, x->len, y->key, y->len);

        if (c != 0)
                return c;
        /* rule order inside a key keeps every list sorted */
        return x->rule < y->rule ? -1 : x->rule > y->rule ? 1 : 0;
}

/* Zeroed room for size bytes; returns its offset (pointers into the arena
 * do not survive this call). */
static int arena_alloc(SrdMatcher *m, size_t size, uint32_t *ret_offset) {
        size_t offset = m->n_arena, want = offset + ALIGN4(size);

        if (want > m->allocated_arena) {
                size_t n = MAX(want, m->allocated_arena * 2);
                uint8_t *a;

                if (n >= NONE)
                        return -ENOMEM;
                a = realloc(m->arena, n);
                if (!a)
                        return -ENOMEM;
                m->arena = a;
                m->allocated_arena = n;
        }
        memset(m->arena + offset, 0, want - offset);
        m->n_arena = want;
        *ret_offset = (uint32_t) offset;
        return 0;
}


static size_t compiled_size(const SrdRule *r) {
        size_t size = sizeof(CompiledRule) + r->n_args * sizeof(PackedCond) + r->n_set * sizeof(PackedSet);

        if (r->path_kind == SRD_PATH_GLOB)
                size += strlen(r->path) - glob_head_len(r->path) + 1;
        if (r->to)
                size += strlen(r->to) + 1;
        return ALIGN4(size);
}

/* Write rule at dst, which has compiled_size(r) zeroed bytes. */
/* Where an argument named by its role sits on nr; the loader made sure it does. */
static uint32_t resolve_index(int nr, const char *role, unsigned index) {
        int k;

        if (!role)
                return index;
        k = srd_syscall_arg_index(nr, role);
        return k < 0 ? NONE : (uint32_t) k;
}

/* Every argument a rule names by role exists on nr; note whether one is in openat2's open_how. */
static int check_roles(const SrdRule *r, int nr, bool *how) {
        for (size_t i = 0; i < r->n_args; i++) {
                uint32_t k = resolve_index(nr, r->args[i].role, r->args[i].index);

                if (k >= SRD_ARG_EXT_MAX)
                        return -EINVAL;
                if (k >= SRD_ARGS)
                        *how = true;
        }
        for (size_t i = 0; i < r->n_set; i++)
                if (resolve_index(nr, r->set[i].role, r->set[i].index) >= SRD_ARGS)
                        return -EINVAL;
        return 0;
}

static void compile_rule(const SrdPolicy *p, int nr, uint32_t rule, uint8_t *dst) {
        const SrdRule *r = &p->rules[rule];
        CompiledRule *c = (CompiledRule *) dst;
        PackedCond *conds = (PackedCond *) (c + 1);
        PackedSet *sets = (PackedSet *) (conds + r->n_args);
        char *str = (char *) (sets + r->n_set);

        *c = (CompiledRule) {
                .rule = rule,
                .size = (uint32_t) compiled_size(r),
                .action = (uint8_t) r->action,
                .kind = (uint8_t) r->path_kind,
                .log = r->log,
                .check = r->path_kind == SRD_PATH_GLOB || r->n_args > 0,
                .n_args = (uint16_t) r->n_args,
                .n_set = (uint16_t) r->n_set,
                .error = r->action == SRD_ACTION_ERRNO ? r->error : 0,
                .to_len = r->to ? (uint32_t) strlen(r->to) : NO_TO,
        };
        for (size_t i = 0; i < r->n_args; i++) {
                conds[i] = (PackedCond) { .index = resolve_index(nr, r->args[i].role, r->args[i].index),
                                          .op = (uint32_t) r->args[i].op };
                pack64(conds[i].value, r->args[i].value);
                pack64(conds[i].value_two, r->args[i].value_two);
        }
        for (size_t i = 0; i < r->n_set; i++) {
                sets[i] = (PackedSet) { .index = resolve_index(nr, r->set[i].role, r->set[i].index) };
                pack64(sets[i].value, r->set[i].value);
                pack64(sets[i].mask, r->set[i].mask);
        }
        if (r->path_kind == SRD_PATH_PREFIX)
                c->key_len = (uint32_t) strlen(r->path);
        else if (r->path_kind == SRD_PATH_GLOB) {
                c->key_len = glob_head_len(r->path);
                c->glob_len = (uint32_t) strlen(r->path + c->key_len);
                memcpy(str, r->path + c->key_len, c->glob_len + 1);
                str += c->glob_len + 1;
        }
        if (r->to)
                memcpy(str, r->to, c->to_len + 1);
}


static SrdPathKind list_kind(int list) {
        return list == LIST_PREFIX ? SRD_PATH_PREFIX : SRD_PATH_GLOB;
}


/* Write the record for one (syscall, exact path) with its rules entries[lo, hi). */
static int exact_add(SrdMatcher *m, const SrdPolicy *p, int nr, const Entry *entries, size_t lo, size_t hi) {
        size_t bytes = 0, list_at = ALIGN4(4 + (size_t) entries[lo].len + 1);
        uint32_t record;
        uint8_t *rec, *list;
        int r;

        for (size_t e = lo; e < hi; e++)
                bytes += compiled_size(&p->rules[entries[e].rule]);
        r = arena_alloc(m, list_at + sizeof(ListHeader) + bytes, &record);
        if (r < 0)
                return r;
        rec = m->arena + record;
        *(uint32_t *) rec = entries[lo].len;
        memcpy(rec + 4, entries[lo].key, entries[lo].len);
        list = rec + list_at;
        *(ListHeader *) list = (ListHeader) { .n = (uint32_t) (hi - lo), .size = (uint32_t) bytes };
        list += sizeof(ListHeader);
        for (size_t e = lo; e < hi; e++) {
                compile_rule(p, nr, entries[e].rule, list);
                list += ((CompiledRule *) list)->size;
        }

        if (m->n_pending == m->allocated_pending) {
                size_t n = MAX((size_t) 64, m->allocated_pending * 2);
                ExactSlot *a = realloc(m->pending, n * sizeof(ExactSlot));

                if (!a)
                        return -ENOMEM;
                m->pending = a;
                m->allocated_pending = n;
        }
        m->pending[m->n_pending++] = (ExactSlot) {
                .hash = path_hash(entries[lo].key, entries[lo].len, nr),
                .nr = (uint32_t) nr,
                .record = record,
        };
        return 0;
}

static int exact_table_build(SrdMatcher *m) {
        size_t size = 16;

        if (m->n_pending == 0)
                return 0;
        while (size < 2 * m->n_pending)
                size *= 2;
        m->exact = new0_array(ExactSlot, size);
        if (!m->exact)
                return -ENOMEM;
        m->exact_mask = size - 1;
        for (size_t i = 0; i < size; i++)
                m->exact[i].record = NONE;
        for (size_t i = 0; i < m->n_pending; i++) {
                size_t j = m->pending[i].hash & m->exact_mask;

                while (m->exact[j].record != NONE)
                        j = (j + 1) & m->exact_mask;
                m->exact[j] = m->pending[i];
        }
        m->pending = mfree(m->pending);
        m->n_pending = m->allocated_pending = 0;
        return 0;
}

/*
 * Write the node for keys[lo, hi), which all share their first depth bytes,
 * then its children, depth first. Every node ends a key or branches, so
 * there are at most 2 * keys nodes.
 */
static int trie_build(SrdMatcher *m, const SrdPolicy *p, int nr, const Entry *entries, const Key *keys, uint32_t lo,
                      uint32_t hi, uint32_t depth, uint32_t *ret_offset) {
        uint32_t lcp = keys[lo].len, i = lo, n_groups = 0, n_list[_LIST_MAX] = {}, offset;
        size_t size, children_at, list_bytes[_LIST_MAX] = {};
        uint16_t lists = 0;
        uint8_t *rec;
        int r;

        if (hi - lo > 1) {
                /* sorted: the common prefix of all is that of the first and last */
                const Key *a = &keys[lo], *b = &keys[hi - 1];

                lcp = depth;
                while (lcp < a->len && lcp < b->len && a->s[lcp] == b->s[lcp])
                        lcp++;
        }

        if (keys[lo].len == lcp) {
                for (uint32_t e = keys[lo].lo; e < keys[lo].hi; e++)
                        for (int l = 0; l < _LIST_MAX; l++)
                                if (entries[e].kind == list_kind(l)) {
                                        n_list[l]++;
                                        list_bytes[l] += compiled_size(&p->rules[entries[e].rule]);
                                }
                i++;
        }
        for (uint32_t j = i; j < hi; j++)
                if (j == i || keys[j].s[lcp] != keys[j - 1].s[lcp])
                        n_groups++;

        children_at = ALIGN4(sizeof(NodeHeader) + (lcp - depth) + n_groups);
        size = children_at + 4 * (size_t) n_groups;
        for (int l = 0; l < _LIST_MAX; l++)
                if (n_list[l] > 0) {
                        size += sizeof(ListHeader) + list_bytes[l];
                        lists |= (uint16_t) (1U << l);
                }
        r = arena_alloc(m, size, &offset);
        if (r < 0)
                return r;

        rec = m->arena + offset;
        *(NodeHeader *) rec = (NodeHeader) {
                .label_len = lcp - depth,
                .n_children = (uint16_t) n_groups,
                .lists = lists,
        };
        memcpy(rec + sizeof(NodeHeader), keys[lo].s + depth, lcp - depth);
        {
                uint8_t *child_byte = rec + sizeof(NodeHeader) + (lcp - depth);
                uint8_t *list = rec + children_at + 4 * (size_t) n_groups;

                for (uint32_t j = i, k = 0; j < hi; j++)
                        if (j == i || keys[j].s[lcp] != keys[j - 1].s[lcp])
                                child_byte[k++] = (uint8_t) keys[j].s[lcp];

                for (int l = 0; l < _LIST_MAX; l++) {
                        if (n_list[l] == 0)
                                continue;
                        *(ListHeader *) list =
                                (ListHeader) { .n = n_list[l], .size = (uint32_t) list_bytes[l] };
                        list += sizeof(ListHeader);
                        for (uint32_t e = keys[lo].lo; e < keys[lo].hi; e++)
                                if (entries[e].kind == list_kind(l)) {
                                        compile_rule(p, nr, entries[e].rule, list);
                                        list += ((CompiledRule *) list)->size;
                                }
                }
        }

        for (uint32_t j = i, k = 0; j < hi; k++) {
                uint32_t g = j + 1, child;

                while (g < hi && keys[g].s[lcp] == keys[j].s[lcp])
                        g++;
                r = trie_build(m, p, nr, entries, keys, j, g, lcp, &child);
                if (r < 0)
                        return r;
                /* the arena may have moved */
                ((uint32_t *) (m->arena + offset + children_at))[k] = child;
                j = g;
        }

        *ret_offset = offset;
        return 0;
}

/* Index the rules of one syscall: pairs[0, n) all have the same nr. */
static int sys_build(SrdMatcher *m, const SrdPolicy *p, int nr, const NrRule *pairs, size_t n,
                     SysIndex *ret) {
        _cleanup_free_ Entry *entries = NULL, *exact = NULL;
        _cleanup_free_ Key *keys = NULL;
        size_t n_entries = 0, n_exact = 0, n_keys = 0, n_nopath = 0, nopath_bytes = 0, total;
        int r;

        *ret = (SysIndex) { .root = NONE, .nopath = NONE };

        entries = new0_array(Entry, n);
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const SrdRule *rule = &p->rules[pairs[i].rule];

                r = check_roles(rule, nr, &ret->how);
                if (r < 0)
                        return r;
                if (rule->path_kind == SRD_PATH_NONE) {
                        n_nopath++;
                        nopath_bytes += compiled_size(rule);
                        continue;
                }
                entries[n_entries++] = (Entry) {
                        .key = rule->path,
                        .len = rule->path_kind == SRD_PATH_GLOB ? glob_head_len(rule->path)
                                                                : (uint32_t) strlen(rule->path),
                        .kind = rule->path_kind,
                        .rule = pairs[i].rule,
                };
        }

        if (n_nopath > 0) {
                uint8_t *list;

                r = arena_alloc(m, sizeof(ListHeader) + nopath_bytes, &ret->nopath);
                if (r < 0)
                        return r;
                list = m->arena + ret->nopath;
                *(ListHeader *) list =
                        (ListHeader) { .n = (uint32_t) n_nopath, .size = (uint32_t) nopath_bytes };
                list += sizeof(ListHeader);
                for (size_t i = 0; i < n; i++)
                        if (p->rules[pairs[i].rule].path_kind == SRD_PATH_NONE) {
                                compile_rule(p, nr, pairs[i].rule, list);
                                list += ((CompiledRule *) list)->size;
                        }
        }
        if (n_entries == 0)
                return 0;

        qsort(entries, n_entries, sizeof(Entry), entry_compare);

        /* Exact paths go to the hash table, the trie keeps the rest; both
         * subsequences stay sorted by key, then rule. */
        exact = new0_array(Entry, n_entries);
        if (!exact)
                return -ENOMEM;
        total = n_entries;
        n_entries = 0;
        for (size_t i = 0; i < total; i++) {
                if (entries[i].kind == SRD_PATH_EXACT)
                        exact[n_exact++] = entries[i];
                else
                        entries[n_entries++] = entries[i];
        }
        for (size_t i = 0, j; i < n_exact; i = j) {
                for (j = i + 1; j < n_exact && key_compare(exact[j].key, exact[j].len, exact[i].key,
                                                           exact[i].len) == 0;
                     j++)
                        ;
                r = exact_add(m, p, nr, exact, i, j);
                if (r < 0)
                        return r;
                ret->exact = true;
        }
        if (n_entries == 0)
                return 0;

        keys = new0_array(Key, n_entries);
        if (!keys)
                return -ENOMEM;
        for (size_t i = 0; i < n_entries; i++) {
                if (n_keys > 0 && key_compare(keys[n_keys - 1].s, keys[n_keys - 1].len, entries[i].key,
                                              entries[i].len) == 0) {
                        keys[n_keys - 1].hi++;
                        continue;
                }
                keys[n_keys++] = (Key) {
                        .s = entries[i].key,
                        .len = entries[i].len,
                        .lo = (uint32_t) i,
                        .hi = (uint32_t) i + 1,
                };
        }

        return trie_build(m, p, nr, entries, keys, 0, (uint32_t) n_keys, 0, &ret->root);
}

_public_ int srd_matcher_build(SrdPolicy *p) {
        _cleanup_(srd_matcher_freep) SrdMatcher *m = NULL;
        _cleanup_free_ NrRule *pairs = NULL;
        size_t n_pairs = 0, n_all = 0;
        int max_nr = -1, r;

        if (!p || (p->n_rules > 0 && !p->rules) || p->n_rules >= NONE)
                return -EINVAL;

        m = new0(SrdMatcher);
        if (!m)
                return -ENOMEM;

        for (size_t i = 0; i < p->n_rules; i++) {
                const SrdRule *rule = &p->rules[i];

                if (rule->path_kind < SRD_PATH_NONE || rule->path_kind >= _SRD_PATH_KIND_MAX)
                        return -EINVAL;
                if (rule->path_kind != SRD_PATH_NONE && (!rule->path || strlen(rule->path) >= NONE))
                        return -EINVAL;
                if ((rule->n_syscalls > 0 && !rule->syscalls) || (rule->n_args > 0 && !rule->args) ||
                    (rule->n_set > 0 && !rule->set) || rule->n_args > UINT16_MAX || rule->n_set > UINT16_MAX)
                        return -EINVAL;
                if (rule->action < 0 || rule->action >= _SRD_ACTION_MAX)
                        return -EINVAL;
                n_all += rule->n_syscalls;
        }

        pairs = new0_array(NrRule, MAX(n_all, (size_t) 1));
        if (!pairs)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_rules; i++)
                for (size_t j = 0; j < p->rules[i].n_syscalls; j++) {
                        int nr = p->rules[i].syscalls[j];

                        if (nr < 0 || nr > INDEX_NR_MAX)
                                continue;
                        pairs[n_pairs++] = (NrRule) { .nr = nr, .rule = (uint32_t) i };
                        max_nr = MAX(max_nr, nr);
                }
        qsort(pairs, n_pairs, sizeof(NrRule), nr_rule_compare);

        m->n_sys = (size_t) (max_nr + 1);
        m->sys = new0_array(SysIndex, MAX(m->n_sys, (size_t) 1));
        if (!m->sys)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_sys; i++)
                m->sys[i] = (SysIndex) { .root = NONE, .nopath = NONE };

        for (size_t i = 0, k = 0; i < n_pairs; i = k) {
                size_t n_unique = 0;

                /* drop a rule naming the same syscall twice */
                for (k = i; k < n_pairs && pairs[k].nr == pairs[i].nr; k++)
                        if (n_unique == 0 || pairs[i + n_unique - 1].rule != pairs[k].rule)
                                pairs[i + n_unique++] = pairs[k];

                r = sys_build(m, p, pairs[i].nr, pairs + i, n_unique, &m->sys[pairs[i].nr]);
                if (r < 0)
                        return r;
        }
        r = exact_table_build(m);
        if (r < 0)
                return r;

        srd_matcher_free(p->matcher);
        p->matcher = TAKE_PTR(m);
        return 0;
}
