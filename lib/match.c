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
#include "policy-internal.h"
#include "seccomp-redirect.h"

#define new0(t) ((t *) calloc(1, sizeof(t)))
#define new0_array(t, n) ((t *) calloc((n), sizeof(t)))
#define ALIGN4(x) (((x) + 3) & ~(size_t) 3)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

#define NONE UINT32_MAX
/* Numbers beyond this are not native syscalls (x32 ones have bit 30 set):
 * a native listener never sees them, so they are not indexed. */
#define INDEX_NR_MAX 4095

enum {
        LIST_PREFIX,
        LIST_GLOB,
        _LIST_MAX,
};

/*
 * A trie node in the arena, 4-byte aligned:
 *   NodeHeader
 *   char     label[label_len]        the bytes this node adds to its parent's
 *   uint8_t  child_byte[n_children]  first label byte of each child
 *   (padding to 4)
 *   uint32_t child[n_children]       arena offsets of the children
 *   per list i set in lists, in LIST_* order: ListHeader, then n compiled
 *   rules in rule order
 * A list without a trie (rules without path condition) has the same form.
 */
typedef struct NodeHeader {
        uint32_t label_len;
        uint16_t n_children; /* at most 255: keys are C strings */
        uint16_t lists;      /* bit i: list i follows */
} NodeHeader;

/*
 * A rule as the index stores it, 4-byte aligned, followed by
 *   PackedCond args[n_args], PackedSet set[n_set],
 *   the glob after its literal head (glob_len bytes and a NUL),
 *   the "to" template (to_len bytes and a NUL, when there is one),
 *   padding to 4.
 * 64-bit values are kept as two halves: the arena only guarantees 4-byte
 * alignment.
 */
typedef struct CompiledRule {
        uint32_t rule;
        uint32_t size; /* of the whole entry, a multiple of 4 */
        uint8_t action;
        uint8_t kind;
        uint8_t log;
        uint8_t check; /* something beyond the key must hold: a glob, args conditions */
        uint16_t n_args, n_set;
        int32_t error;
        uint32_t key_len;  /* prefix: its length ({suffix} starts there); glob: its literal head's */
        uint32_t glob_len; /* the glob tail's length */
        uint32_t to_len;   /* NO_TO: no "to" */
} CompiledRule;

#define NO_TO UINT32_MAX

typedef struct PackedCond {
        uint32_t index, op;
        uint32_t value[2], value_two[2];
} PackedCond;

typedef struct PackedSet {
        uint32_t index, unused;
        uint32_t value[2], mask[2];
} PackedSet;

typedef struct ListHeader {
        uint32_t n;
        uint32_t size; /* of the compiled rules that follow */
} ListHeader;

typedef struct SysIndex {
        uint32_t root;   /* NONE: no prefix or glob rule for this syscall */
        uint32_t nopath; /* NONE: no rule without path condition */
        bool exact;      /* some exact rule names this syscall */
} SysIndex;

/*
 * The exact paths: open addressing, linear probing, at most half full.
 * record: arena offset of uint32_t len, the path (len bytes and a NUL),
 * padding to 4, then the list of exact rules for this (syscall, path).
 */
typedef struct ExactSlot {
        uint64_t hash;
        uint32_t nr;
        uint32_t record; /* NONE: empty slot */
} ExactSlot;

struct SrdMatcher {
        SysIndex *sys; /* by syscall number */
        size_t n_sys;

        uint8_t *arena;
        size_t n_arena, allocated_arena;

        ExactSlot *exact; /* NULL when there are no exact rules */
        size_t exact_mask;
        ExactSlot *pending; /* while building: the slots to insert */
        size_t n_pending, allocated_pending;
};

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

static uint32_t glob_head_len(const char *glob) {
        return (uint32_t) strcspn(glob, "*?[\\");
}

static void pack64(uint32_t dst[2], uint64_t v) {
        dst[0] = (uint32_t) v;
        dst[1] = (uint32_t) (v >> 32);
}

static uint64_t unpack64(const uint32_t v[2]) {
        return (uint64_t) v[0] | (uint64_t) v[1] << 32;
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
static void compile_rule(const SrdPolicy *p, uint32_t rule, uint8_t *dst) {
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
                conds[i] = (PackedCond) { .index = r->args[i].index, .op = (uint32_t) r->args[i].op };
                pack64(conds[i].value, r->args[i].value);
                pack64(conds[i].value_two, r->args[i].value_two);
        }
        for (size_t i = 0; i < r->n_set; i++) {
                sets[i] = (PackedSet) { .index = r->set[i].index };
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

static const PackedCond *compiled_args(const CompiledRule *c) {
        return (const PackedCond *) (c + 1);
}

static const PackedSet *compiled_set(const CompiledRule *c) {
        return (const PackedSet *) (compiled_args(c) + c->n_args);
}

static const char *compiled_glob(const CompiledRule *c) {
        return (const char *) (compiled_set(c) + c->n_set);
}

static const char *compiled_to(const CompiledRule *c) {
        if (c->to_len == NO_TO)
                return NULL;
        return compiled_glob(c) + (c->kind == SRD_PATH_GLOB ? c->glob_len + 1 : 0);
}

static SrdPathKind list_kind(int list) {
        return list == LIST_PREFIX ? SRD_PATH_PREFIX : SRD_PATH_GLOB;
}

static uint64_t rotl64(uint64_t x, unsigned r) {
        return (x << r) | (x >> (64 - r));
}

/* Eight bytes at a time: paths are hashed on every decision. */
static uint64_t path_hash(const char *s, size_t len, int nr) {
        const uint64_t k = UINT64_C(0x517cc1b727220a95);
        uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t) (uint32_t) nr << 32) ^ len;

        for (; len >= 8; s += 8, len -= 8) {
                uint64_t w;

                memcpy(&w, s, 8);
                h = (rotl64(h, 5) ^ w) * k;
        }
        if (len > 0) {
                uint64_t w = 0;

                memcpy(&w, s, len);
                h = (rotl64(h, 5) ^ w) * k;
        }
        h ^= h >> 29;
        h *= UINT64_C(0xbf58476d1ce4e5b9);
        return h ^ (h >> 32);
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
                compile_rule(p, entries[e].rule, list);
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
static int trie_build(SrdMatcher *m, const SrdPolicy *p, const Entry *entries, const Key *keys, uint32_t lo,
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
                                        compile_rule(p, entries[e].rule, list);
                                        list += ((CompiledRule *) list)->size;
                                }
                }
        }

        for (uint32_t j = i, k = 0; j < hi; k++) {
                uint32_t g = j + 1, child;

                while (g < hi && keys[g].s[lcp] == keys[j].s[lcp])
                        g++;
                r = trie_build(m, p, entries, keys, j, g, lcp, &child);
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
                                compile_rule(p, pairs[i].rule, list);
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

        return trie_build(m, p, entries, keys, 0, (uint32_t) n_keys, 0, &ret->root);
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

/* ------------------------------------------------------------------------ */
/* Evaluating.                                                              */

/* The OCI / libseccomp comparators, unsigned 64-bit like the kernel's. */
static bool cmp_holds(uint32_t op, uint64_t a, uint64_t value, uint64_t value_two) {
        switch (op) {
        case SRD_CMP_NE:
                return a != value;
        case SRD_CMP_LT:
                return a < value;
        case SRD_CMP_LE:
                return a <= value;
        case SRD_CMP_EQ:
                return a == value;
        case SRD_CMP_GE:
                return a >= value;
        case SRD_CMP_GT:
                return a > value;
        case SRD_CMP_MASKED_EQ:
                return (a & value) == value_two;
        default:
                return false;
        }
}

static bool args_hold(const CompiledRule *r, const uint64_t *args) {
        const PackedCond *conds = compiled_args(r);

        for (size_t i = 0; i < r->n_args; i++)
                if (conds[i].index >= SRD_ARGS ||
                    !cmp_holds(conds[i].op, args[conds[i].index], unpack64(conds[i].value),
                               unpack64(conds[i].value_two)))
                        return false;
        return true;
}

typedef struct Eval {
        const SrdMatcher *m;
        const SrdSyscall *sc;
        const CompiledRule *best; /* smallest fully matching rule so far */
        uint32_t best_rule;       /* its index, NONE: none yet */
        int best_path;            /* the path argument it matched, -1: no path condition */
        int path;                 /* the path argument being walked */
} Eval;

static const uint8_t *list_end(const uint8_t *list) {
        return list + sizeof(ListHeader) + ((const ListHeader *) list)->size;
}

/* Scans the list at list; returns what follows it.
 * glob_path: NULL for lists whose path condition already holds. */
static const uint8_t *consider(Eval *e, const uint8_t *list, const char *glob_path) {
        const ListHeader *h = (const ListHeader *) list;
        const uint8_t *p = list + sizeof(ListHeader);

        for (uint32_t i = 0; i < h->n; i++) {
                const CompiledRule *c = (const CompiledRule *) p;

                /* sorted: the rest is larger still */
                if (c->rule >= e->best_rule)
                        break;
                p += c->size;
                if (c->check) {
                        /* the trie walk already matched the literal head */
                        if (glob_path && !srd_glob_match(compiled_glob(c), glob_path + c->key_len))
                                continue;
                        if (!args_hold(c, e->sc->args))
                                continue;
                }
                e->best = c;
                e->best_rule = c->rule;
                e->best_path = e->path;
                break;
        }
        return list_end(list);
}

static void walk(Eval *e, uint32_t offset, const char *path, size_t len) {
        const uint8_t *arena = e->m->arena;
        size_t pos = 0;

        for (;;) {
                const uint8_t *rec = arena + offset;
                const NodeHeader *h = (const NodeHeader *) rec;
                const uint8_t *label = rec + sizeof(NodeHeader), *child_byte, *c;
                const uint32_t *child;

                if (len - pos < h->label_len || memcmp(path + pos, label, h->label_len) != 0)
                        return;
                pos += h->label_len;

                child_byte = label + h->label_len;
                child = (const uint32_t *) (rec + ALIGN4(sizeof(NodeHeader) + h->label_len + h->n_children));
                if (h->lists) {
                        const uint8_t *list = (const uint8_t *) (child + h->n_children);

                        if (h->lists & (1U << LIST_PREFIX))
                                list = consider(e, list, NULL);
                        if (h->lists & (1U << LIST_GLOB))
                                (void) consider(e, list, path);
                }
                if (pos == len || h->n_children == 0)
                        return;

                c = memchr(child_byte, (unsigned char) path[pos], h->n_children);
                if (!c)
                        return;
                offset = child[c - child_byte];
        }
}

/* The list of exact rules for (nr, path), NULL when there is none. */
static const uint8_t *exact_lookup(const SrdMatcher *m, int nr, const char *path, size_t len) {
        uint64_t h = path_hash(path, len, nr);

        for (size_t i = h & m->exact_mask;; i = (i + 1) & m->exact_mask) {
                const ExactSlot *s = &m->exact[i];
                const uint8_t *rec;

                /* at most half full: an empty slot ends every probe */
                if (s->record == NONE)
                        return NULL;
                if (s->hash != h || s->nr != (uint32_t) nr)
                        continue;
                rec = m->arena + s->record;
                if (*(const uint32_t *) rec == len && memcmp(rec + 4, path, len) == 0)
                        return rec + ALIGN4(4 + len + 1);
        }
}

static bool rule_path_matches(const SrdRule *r, const char *path) {
        if (!path)
                return false;
        switch (r->path_kind) {
        case SRD_PATH_EXACT:
                return streq(r->path, path);
        case SRD_PATH_PREFIX:
                return strncmp(r->path, path, strlen(r->path)) == 0;
        case SRD_PATH_GLOB:
                return srd_glob_match(r->path, path);
        default:
                return false;
        }
}

/* Render to for path; suffix_at: where {suffix} starts in path, SIZE_MAX when not allowed. */
static int render(const char *to, const char *path, size_t suffix_at, char *ret, size_t size) {
        char buf[SRD_PATH_MAX + 1];
        size_t len = 0;
        int r;

        for (const char *t = to; *t;) {
                const char *piece;
                size_t l;

                if (strncmp(t, "{path}", 6) == 0) {
                        if (!path)
                                return -EINVAL;
                        piece = path;
                        l = strlen(path);
                        t += 6;
                } else if (strncmp(t, "{suffix}", 8) == 0) {
                        if (!path || suffix_at == SIZE_MAX)
                                return -EINVAL;
                        piece = path + suffix_at;
                        l = strlen(piece);
                        t += 8;
                } else {
                        /* copy up to the next placeholder candidate in one go */
                        piece = t;
                        l = 1 + strcspn(t + 1, "{");
                        t += l;
                }

                if (l > SRD_PATH_MAX - len)
                        return -ENAMETOOLONG;
                memcpy(buf + len, piece, l);
                len += l;
        }
        buf[len] = '\0';

        r = srd_redirect_target_validate(buf);
        if (r < 0)
                return r;
        /* collapse the "//" and "/./" that placeholders tend to produce */
        return srd_path_normalize(buf, ret, size);
}

static int verdict_redirect(const SrdPolicy *p, const CompiledRule *c, const SrdSyscall *sc, int best_path,
                            SrdVerdict *v) {
        size_t suffix_at = c->kind == SRD_PATH_PREFIX ? c->key_len : SIZE_MAX;
        const PackedSet *sets = compiled_set(c);
        const char *to = compiled_to(c);
        int k;

        for (size_t i = 0; i < c->n_set; i++) {
                uint64_t value = unpack64(sets[i].value), mask = unpack64(sets[i].mask);
                unsigned idx = sets[i].index;

                if (idx >= SRD_ARGS)
                        return -EINVAL;
                v->args[idx] = (v->args[idx] & ~mask) | (value & mask);
                v->args_mask |= UINT32_C(1) << idx;
        }

        if (!to)
                return 0;

        if (c->kind == SRD_PATH_NONE) {
                const SrdSyscallInfo *info = srd_syscall_info(sc->nr);

                /* nothing to rewrite on a syscall without a path argument */
                if (!info || info->n_paths == 0)
                        return 0;
                k = render(to, sc->paths[0], SIZE_MAX, v->to[0], sizeof(v->to[0]));
                if (k < 0)
                        return k;
                v->path_mask |= 1U;
                return 0;
        }

        for (int i = 0; i < SRD_MAX_PATHS; i++) {
                /* the walk that found the rule matched that path; the other
                 * one (rename, link) is checked against the rule itself */
                if (!sc->paths[i] ||
                    (i != best_path && !rule_path_matches(&p->rules[c->rule], sc->paths[i])))
                        continue;
                k = render(to, sc->paths[i], suffix_at, v->to[i], sizeof(v->to[i]));
                if (k < 0)
                        return k;
                v->path_mask |= 1U << i;
        }
        return 0;
}

_public_ int srd_policy_evaluate(const SrdPolicy *p, const SrdSyscall *sc, SrdVerdict *ret) {
        Eval e = { .m = p ? p->matcher : NULL, .sc = sc, .best_rule = NONE, .best_path = -1 };

        if (!p || !sc || !ret || !e.m)
                return -EINVAL;

        /* The verdict carries two PATH_MAX buffers: only the fields in use are
         * written, clearing 8 KiB per decision would cost more than deciding. */
        ret->path_mask = 0;
        ret->args_mask = 0;
        ret->to[0][0] = ret->to[1][0] = '\0';
        memcpy(ret->args, sc->args, sizeof(ret->args));
        ret->log = false;

        if (sc->nr >= 0 && (size_t) sc->nr < e.m->n_sys) {
                const SysIndex *s = &e.m->sys[sc->nr];

                for (e.path = 0; e.path < SRD_MAX_PATHS; e.path++) {
                        const char *path = sc->paths[e.path];
                        size_t len;

                        if (!path || (s->root == NONE && !s->exact))
                                continue;
                        len = strlen(path);
                        if (s->exact) {
                                const uint8_t *list = exact_lookup(e.m, sc->nr, path, len);

                                if (list)
                                        (void) consider(&e, list, NULL);
                        }
                        if (s->root != NONE)
                                walk(&e, s->root, path, len);
                }
                if (s->nopath != NONE) {
                        e.path = -1;
                        (void) consider(&e, e.m->arena + s->nopath, NULL);
                }
        }

        if (!e.best) {
                ret->action = p->default_action;
                ret->rule = -1;
                ret->error = p->default_action == SRD_ACTION_ERRNO ? p->default_error : 0;
                return 0;
        }

        ret->action = (SrdAction) e.best->action;
        ret->rule = (int) e.best->rule;
        ret->error = e.best->error;
        ret->log = e.best->log;
        if (ret->action != SRD_ACTION_REDIRECT)
                return 0;
        return verdict_redirect(p, e.best, sc, e.best_path, ret);
}

/* ------------------------------------------------------------------------ */
/* Redirect targets.                                                        */

_public_ int srd_redirect_target_validate(const char *target) {
        size_t len;

        if (!target || target[0] != '/')
                return -EINVAL;
        len = strnlen(target, SRD_PATH_MAX + 1);
        if (len > SRD_PATH_MAX)
                return -ENAMETOOLONG;

        /* ".." would let a template climb out of the directory it names */
        for (const char *s = target; *s;) {
                const char *e;

                while (*s == '/')
                        s++;
                e = strchrnul(s, '/');
                if (e - s == 2 && s[0] == '.' && s[1] == '.')
                        return -EINVAL;
                s = e;
        }
        return 0;
}

_public_ int srd_template_render(const SrdRule *r, const char *path, char *ret, size_t size) {
        size_t suffix_at = SIZE_MAX;

        if (!r || !r->to || !ret || size == 0)
                return -EINVAL;

        if (path && r->path_kind == SRD_PATH_PREFIX && r->path) {
                size_t l = strlen(r->path);

                /* {suffix} only means something for a path under the prefix */
                if (strncmp(path, r->path, l) == 0)
                        suffix_at = l;
        }
        return render(r->to, path, suffix_at, ret, size);
}
