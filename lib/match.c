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
 *   - for those with a path condition, one radix trie (path-compressed byte
 *     trie) over their keys: the exact path, the prefix, or the literal head
 *     of a glob (the part before the first wildcard; a glob can only match
 *     paths starting with it). Each node lists, in rule order, the exact,
 *     prefix and glob rules whose key ends there. Walking the trie along the
 *     path visits exactly the keys that are prefixes of the path: prefix
 *     rules there match, glob rules there are candidates, exact rules match
 *     at the node where the path ends. A walk costs one memcmp per node and
 *     a memchr over the children's first bytes, i.e. O(path length) however
 *     many rules there are;
 *   - the rules without a path condition in one list.
 *
 * Every list is sorted by rule index, so the smallest index that fully
 * matches (its glob, its args conditions) wins: each list is scanned only
 * while its entries are smaller than the best match found so far, and stops
 * at its first full match. Nothing is allocated per decision.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy-internal.h"
#include "seccomp-redirect.h"

#define new0(t) ((t *) calloc(1, sizeof(t)))
#define new0_array(t, n) ((t *) calloc((n), sizeof(t)))

#define NO_NODE UINT32_MAX
/* Numbers beyond this are not native syscalls (x32 ones have bit 30 set):
 * a native listener never sees them, so they are not indexed. */
#define INDEX_NR_MAX 4095

enum {
        LIST_EXACT,
        LIST_PREFIX,
        LIST_GLOB,
        _LIST_MAX,
};

typedef struct IdList {
        uint32_t offset; /* into SrdMatcher.ids */
        uint32_t n;
} IdList;

typedef struct TrieNode {
        const char *key; /* one key running through this node: the label is key[start, end) */
        uint32_t start, end;
        uint32_t first_child, n_children; /* children are nodes[first_child, +n_children) */
        IdList lists[_LIST_MAX];          /* rules whose key ends exactly here */
} TrieNode;

typedef struct SysIndex {
        uint32_t root; /* NO_NODE: no rule for this syscall has a path condition */
        IdList nopath;
} SysIndex;

struct SrdMatcher {
        SysIndex *sys; /* by syscall number */
        size_t n_sys;

        TrieNode *nodes;
        uint8_t *child_byte; /* parallel to nodes: first byte of each node's label */
        size_t n_nodes, allocated_nodes;

        uint32_t *ids; /* all rule lists, back to back */
        size_t n_ids, allocated_ids;

        uint32_t *glob_head; /* per rule: length of the glob's literal head */
};

_public_ SrdMatcher *srd_matcher_free(SrdMatcher *m) {
        if (!m)
                return NULL;
        free(m->sys);
        free(m->nodes);
        free(m->child_byte);
        free(m->ids);
        free(m->glob_head);
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

static int ids_reserve(SrdMatcher *m, size_t more) {
        size_t want = m->n_ids + more;
        uint32_t *n;

        if (want <= m->allocated_ids)
                return 0;
        want = MAX(want, m->allocated_ids * 2);
        if (want > UINT32_MAX)
                return -ENOMEM;
        n = realloc(m->ids, want * sizeof(uint32_t));
        if (!n)
                return -ENOMEM;
        m->ids = n;
        m->allocated_ids = want;
        return 0;
}

static int nodes_reserve(SrdMatcher *m, size_t more) {
        size_t want = m->n_nodes + more;
        TrieNode *n;
        uint8_t *b;

        if (want <= m->allocated_nodes)
                return 0;
        want = MAX(want, m->allocated_nodes * 2);
        if (want >= NO_NODE)
                return -ENOMEM;
        n = realloc(m->nodes, want * sizeof(TrieNode));
        if (!n)
                return -ENOMEM;
        m->nodes = n;
        b = realloc(m->child_byte, want);
        if (!b)
                return -ENOMEM;
        m->child_byte = b;
        m->allocated_nodes = want;
        return 0;
}

/* Appends a list; room was reserved by the caller. */
static IdList list_append(SrdMatcher *m, const uint32_t *rules, size_t n) {
        IdList l = { .offset = (uint32_t) m->n_ids, .n = (uint32_t) n };

        memcpy(m->ids + m->n_ids, rules, n * sizeof(uint32_t));
        m->n_ids += n;
        return l;
}

static void node_attach(SrdMatcher *m, TrieNode *node, const Entry *entries, const Key *k) {
        for (int list = 0; list < _LIST_MAX; list++) {
                static const SrdPathKind kinds[_LIST_MAX] = {
                        [LIST_EXACT] = SRD_PATH_EXACT,
                        [LIST_PREFIX] = SRD_PATH_PREFIX,
                        [LIST_GLOB] = SRD_PATH_GLOB,
                };

                node->lists[list] = (IdList) { .offset = (uint32_t) m->n_ids };
                for (uint32_t e = k->lo; e < k->hi; e++)
                        if (entries[e].kind == kinds[list]) {
                                m->ids[m->n_ids++] = entries[e].rule;
                                node->lists[list].n++;
                        }
        }
}

/*
 * Fill node idx from keys[lo, hi), which all share their first depth bytes.
 * Node storage and id room are reserved up front (at most 2 * keys nodes:
 * every node ends a key or branches), so pointers stay valid throughout.
 */
static void trie_build(SrdMatcher *m, const Entry *entries, const Key *keys, uint32_t lo, uint32_t hi,
                       uint32_t depth, uint32_t idx) {
        TrieNode *node = &m->nodes[idx];
        uint32_t lcp = keys[lo].len, i = lo, n_groups = 0, child;

        if (hi - lo > 1) {
                /* sorted: the common prefix of all is that of the first and last */
                const Key *a = &keys[lo], *b = &keys[hi - 1];

                lcp = depth;
                while (lcp < a->len && lcp < b->len && a->s[lcp] == b->s[lcp])
                        lcp++;
        }

        *node = (TrieNode) { .key = keys[lo].s, .start = depth, .end = lcp };
        m->child_byte[idx] = depth < lcp ? (uint8_t) keys[lo].s[depth] : 0;

        if (keys[lo].len == lcp) {
                node_attach(m, node, entries, &keys[lo]);
                i++;
        }

        for (uint32_t j = i; j < hi; j++)
                if (j == i || keys[j].s[lcp] != keys[j - 1].s[lcp])
                        n_groups++;
        if (n_groups == 0)
                return;

        child = (uint32_t) m->n_nodes;
        m->n_nodes += n_groups;
        node->first_child = child;
        node->n_children = n_groups;

        for (uint32_t j = i; j < hi;) {
                uint32_t g = j + 1;

                while (g < hi && keys[g].s[lcp] == keys[j].s[lcp])
                        g++;
                trie_build(m, entries, keys, j, g, lcp, child++);
                j = g;
        }
}

static uint32_t glob_head_len(const char *glob) {
        return (uint32_t) strcspn(glob, "*?[\\");
}

/* Index the rules of one syscall: pairs[0, n) all have the same nr. */
static int sys_build(SrdMatcher *m, const SrdPolicy *p, const NrRule *pairs, size_t n, SysIndex *ret) {
        _cleanup_free_ Entry *entries = NULL;
        _cleanup_free_ Key *keys = NULL;
        _cleanup_free_ uint32_t *nopath = NULL;
        size_t n_entries = 0, n_keys = 0, n_nopath = 0;
        int r;

        entries = new0_array(Entry, n);
        nopath = new0_array(uint32_t, n);
        if (!entries || !nopath)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                const SrdRule *rule = &p->rules[pairs[i].rule];

                if (rule->path_kind == SRD_PATH_NONE)
                        nopath[n_nopath++] = pairs[i].rule;
                else
                        entries[n_entries++] = (Entry) {
                                .key = rule->path,
                                .len = rule->path_kind == SRD_PATH_GLOB ? m->glob_head[pairs[i].rule]
                                                                        : (uint32_t) strlen(rule->path),
                                .kind = rule->path_kind,
                                .rule = pairs[i].rule,
                        };
        }

        r = ids_reserve(m, n);
        if (r < 0)
                return r;
        *ret = (SysIndex) { .root = NO_NODE, .nopath = list_append(m, nopath, n_nopath) };
        if (n_entries == 0)
                return 0;

        qsort(entries, n_entries, sizeof(Entry), entry_compare);
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

        r = nodes_reserve(m, 2 * n_keys + 1);
        if (r < 0)
                return r;
        ret->root = (uint32_t) m->n_nodes++;
        trie_build(m, entries, keys, 0, (uint32_t) n_keys, 0, ret->root);
        return 0;
}

_public_ int srd_matcher_build(SrdPolicy *p) {
        _cleanup_(srd_matcher_freep) SrdMatcher *m = NULL;
        _cleanup_free_ NrRule *pairs = NULL;
        size_t n_pairs = 0, n_all = 0;
        int max_nr = -1, r;

        if (!p || (p->n_rules > 0 && !p->rules) || p->n_rules >= UINT32_MAX)
                return -EINVAL;

        m = new0(SrdMatcher);
        if (!m)
                return -ENOMEM;
        m->glob_head = new0_array(uint32_t, MAX(p->n_rules, (size_t) 1));
        if (!m->glob_head)
                return -ENOMEM;

        for (size_t i = 0; i < p->n_rules; i++) {
                const SrdRule *rule = &p->rules[i];

                if (rule->path_kind < SRD_PATH_NONE || rule->path_kind >= _SRD_PATH_KIND_MAX)
                        return -EINVAL;
                if (rule->path_kind != SRD_PATH_NONE && !rule->path)
                        return -EINVAL;
                if (rule->n_syscalls > 0 && !rule->syscalls)
                        return -EINVAL;
                if (rule->path_kind == SRD_PATH_GLOB)
                        m->glob_head[i] = glob_head_len(rule->path);
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
                m->sys[i] = (SysIndex) { .root = NO_NODE };

        for (size_t i = 0, k = 0; i < n_pairs; i = k) {
                size_t n_unique = 0;

                /* drop a rule naming the same syscall twice */
                for (k = i; k < n_pairs && pairs[k].nr == pairs[i].nr; k++)
                        if (n_unique == 0 || pairs[i + n_unique - 1].rule != pairs[k].rule)
                                pairs[i + n_unique++] = pairs[k];

                r = sys_build(m, p, pairs + i, n_unique, &m->sys[pairs[i].nr]);
                if (r < 0)
                        return r;
        }

        srd_matcher_free(p->matcher);
        p->matcher = TAKE_PTR(m);
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Evaluating.                                                              */

static bool args_hold(const SrdRule *r, const uint64_t *args) {
        for (size_t i = 0; i < r->n_args; i++) {
                const SrdArgCond *c = &r->args[i];
                uint64_t a;

                if (c->index >= SRD_ARGS)
                        return false;
                a = args[c->index];
                switch (c->op) {
                case SRD_CMP_NE:
                        if (!(a != c->value))
                                return false;
                        break;
                case SRD_CMP_LT:
                        if (!(a < c->value))
                                return false;
                        break;
                case SRD_CMP_LE:
                        if (!(a <= c->value))
                                return false;
                        break;
                case SRD_CMP_EQ:
                        if (!(a == c->value))
                                return false;
                        break;
                case SRD_CMP_GE:
                        if (!(a >= c->value))
                                return false;
                        break;
                case SRD_CMP_GT:
                        if (!(a > c->value))
                                return false;
                        break;
                case SRD_CMP_MASKED_EQ:
                        if ((a & c->value) != c->value_two)
                                return false;
                        break;
                default:
                        return false;
                }
        }
        return true;
}

typedef struct Eval {
        const SrdPolicy *p;
        const SrdMatcher *m;
        const SrdSyscall *sc;
        uint32_t best; /* smallest fully matching rule so far, UINT32_MAX: none */
} Eval;

/* glob_path: NULL for lists whose path condition already holds. */
static void consider(Eval *e, IdList l, const char *glob_path) {
        const uint32_t *ids = e->m->ids + l.offset;

        for (uint32_t i = 0; i < l.n && ids[i] < e->best; i++) {
                const SrdRule *r = &e->p->rules[ids[i]];

                if (glob_path) {
                        /* the trie walk already matched the literal head */
                        uint32_t h = e->m->glob_head[ids[i]];

                        if (!srd_glob_match(r->path + h, glob_path + h))
                                continue;
                }
                if (!args_hold(r, e->sc->args))
                        continue;
                e->best = ids[i];
                return;
        }
}

static void walk(Eval *e, uint32_t idx, const char *path) {
        const SrdMatcher *m = e->m;
        size_t len = strlen(path), pos = 0;

        for (;;) {
                const TrieNode *n = &m->nodes[idx];
                size_t l = n->end - n->start;
                const uint8_t *c;

                if (len - pos < l || memcmp(path + pos, n->key + n->start, l) != 0)
                        return;
                pos += l;

                if (n->lists[LIST_PREFIX].n > 0)
                        consider(e, n->lists[LIST_PREFIX], NULL);
                if (n->lists[LIST_GLOB].n > 0)
                        consider(e, n->lists[LIST_GLOB], path);
                if (pos == len) {
                        if (n->lists[LIST_EXACT].n > 0)
                                consider(e, n->lists[LIST_EXACT], NULL);
                        return;
                }

                if (n->n_children == 0)
                        return;
                c = memchr(m->child_byte + n->first_child, (unsigned char) path[pos], n->n_children);
                if (!c)
                        return;
                idx = (uint32_t) (c - m->child_byte);
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

static int verdict_redirect(const SrdRule *r, const SrdSyscall *sc, SrdVerdict *v) {
        int r2;

        for (size_t i = 0; i < r->n_set; i++) {
                const SrdArgSet *s = &r->set[i];

                if (s->index >= SRD_ARGS)
                        return -EINVAL;
                v->args[s->index] = (v->args[s->index] & ~s->mask) | (s->value & s->mask);
                v->args_mask |= UINT32_C(1) << s->index;
        }

        if (!r->to)
                return 0;

        if (r->path_kind == SRD_PATH_NONE) {
                const SrdSyscallInfo *info = srd_syscall_info(sc->nr);

                /* nothing to rewrite on a syscall without a path argument */
                if (!info || info->n_paths == 0)
                        return 0;
                r2 = srd_template_render(r, sc->paths[0], v->to[0], sizeof(v->to[0]));
                if (r2 < 0)
                        return r2;
                v->path_mask |= 1U;
                return 0;
        }

        for (size_t i = 0; i < SRD_MAX_PATHS; i++) {
                if (!rule_path_matches(r, sc->paths[i]))
                        continue;
                r2 = srd_template_render(r, sc->paths[i], v->to[i], sizeof(v->to[i]));
                if (r2 < 0)
                        return r2;
                v->path_mask |= 1U << i;
        }
        return 0;
}

_public_ int srd_policy_evaluate(const SrdPolicy *p, const SrdSyscall *sc, SrdVerdict *ret) {
        Eval e = { .p = p, .m = p ? p->matcher : NULL, .sc = sc, .best = UINT32_MAX };
        const SrdRule *r;

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

                if (s->root != NO_NODE)
                        for (size_t i = 0; i < SRD_MAX_PATHS; i++)
                                if (sc->paths[i])
                                        walk(&e, s->root, sc->paths[i]);
                if (s->nopath.n > 0)
                        consider(&e, s->nopath, NULL);
        }

        if (e.best == UINT32_MAX) {
                ret->action = p->default_action;
                ret->rule = -1;
                ret->error = p->default_action == SRD_ACTION_ERRNO ? p->default_error : 0;
                return 0;
        }

        r = &p->rules[e.best];
        ret->action = r->action;
        ret->rule = (int) e.best;
        ret->error = r->action == SRD_ACTION_ERRNO ? r->error : 0;
        ret->log = r->log;
        if (r->action != SRD_ACTION_REDIRECT)
                return 0;
        return verdict_redirect(r, sc, ret);
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
        char buf[SRD_PATH_MAX + 1];
        size_t len = 0;
        int r2;

        if (!r || !r->to || !ret || size == 0)
                return -EINVAL;

        for (const char *t = r->to; *t;) {
                const char *piece;
                size_t l;

                if (strncmp(t, "{path}", 6) == 0) {
                        if (!path)
                                return -EINVAL;
                        piece = path;
                        l = strlen(path);
                        t += 6;
                } else if (strncmp(t, "{suffix}", 8) == 0) {
                        size_t pl;

                        if (!path || r->path_kind != SRD_PATH_PREFIX || !r->path)
                                return -EINVAL;
                        pl = strlen(r->path);
                        if (strncmp(path, r->path, pl) != 0)
                                return -EINVAL;
                        piece = path + pl;
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

        r2 = srd_redirect_target_validate(buf);
        if (r2 < 0)
                return r2;
        /* collapse the "//" and "/./" that placeholders tend to produce */
        return srd_path_normalize(buf, ret, size);
}
