/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Deciding one syscall with the index match-build.c made: the rules
 * that can match, smallest index first; see there for the layout.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "match-internal.h"
#include "seccomp-redirect.h"
#include "syscall-args.h"


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

/* args: the registers, then openat2's open_how fields (SRD_ARG_HOW_*). */
static bool args_hold(const CompiledRule *r, const uint64_t *args) {
        const PackedCond *conds = compiled_args(r);

        for (size_t i = 0; i < r->n_args; i++)
                if (conds[i].index >= SRD_ARG_EXT_MAX ||
                    !cmp_holds(conds[i].op, args[conds[i].index], unpack64(conds[i].value),
                               unpack64(conds[i].value_two)))
                        return false;
        return true;
}

typedef struct Eval {
        const SrdMatcher *m;
        const SrdSyscall *sc;
        uint64_t args[SRD_ARG_EXT_MAX]; /* sc->args, then sc->how */
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
                        if (!args_hold(c, e->args))
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

/*
 * {id}: the container's id, used as one path component. It is taken as it
 * is or not at all: an id with a character outside [A-Za-z0-9_.-], longer
 * than SRD_ID_MAX, empty, "." or "..", or no id, fails the render (the
 * call is denied). Mapping such characters to '_' would give two
 * containers one file.
 */
static bool id_ok(const char *id) {
        size_t n;

        if (!id)
                return false;
        n = strlen(id);
        if (n == 0 || n > SRD_ID_MAX || streq(id, ".") || streq(id, ".."))
                return false;
        return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* Render to for path; suffix_at: where {suffix} starts in path, SIZE_MAX when not allowed. */
static int render(const char *to, const char *path, size_t suffix_at, const char *id, char *ret, size_t size) {
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
                } else if (strncmp(t, "{id}", 4) == 0) {
                        if (!id_ok(id))
                                return -EINVAL;
                        piece = id;
                        l = strlen(id);
                        t += 4;
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
                k = render(to, sc->paths[0], SIZE_MAX, sc->id, v->to[0], sizeof(v->to[0]));
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
                k = render(to, sc->paths[i], suffix_at, sc->id, v->to[i], sizeof(v->to[i]));
                if (k < 0)
                        return k;
                v->path_mask |= 1U << i;
        }
        return 0;
}

/*
 * Which rule decides sc, into e (e->best NULL: none), and the verdict's
 * action, rule, error and log. Nothing about redirect targets: those are
 * for the callers that have room for them.
 */
/* Inlined into both callers: a call here costs a fifth of a whole decision. */
static inline __attribute__((always_inline)) void evaluate_rule(Eval *e, const SrdPolicy *p,
                                                                const SrdSyscall *sc, SrdAction *ret_action,
                                                                int *ret_rule, int *ret_error, bool *ret_log) {
        *e = (Eval){.m = p->matcher, .sc = sc, .best_rule = NONE, .best_path = -1};
        *ret_log = false;
        memcpy(e->args, sc->args, sizeof(sc->args));
        memcpy(e->args + SRD_ARGS, sc->how, sizeof(sc->how));

        if (sc->nr >= 0 && (size_t) sc->nr < e->m->n_sys) {
                const SysIndex *s = &e->m->sys[sc->nr];

                /* A rule compares open_how's fields, and they are not known: nothing can be decided. */
                if (s->how && !sc->how_read) {
                        srd_policy_path_error(p, ret_action, ret_error);
                        *ret_rule = SRD_RULE_PATH_ERROR;
                        return;
                }

                for (e->path = 0; e->path < SRD_MAX_PATHS; e->path++) {
                        const char *path = sc->paths[e->path];
                        size_t len;

                        if (!path || (s->root == NONE && !s->exact))
                                continue;
                        len = strlen(path);
                        if (s->exact) {
                                const uint8_t *list = exact_lookup(e->m, sc->nr, path, len);

                                if (list)
                                        (void) consider(e, list, NULL);
                        }
                        if (s->root != NONE)
                                walk(e, s->root, path, len);
                }
                if (s->nopath != NONE) {
                        e->path = -1;
                        (void) consider(e, e->m->arena + s->nopath, NULL);
                }
        }

        if (!e->best) {
                *ret_action = p->default_action;
                *ret_rule = -1;
                *ret_error = p->default_action == SRD_ACTION_ERRNO ? p->default_error : 0;
                return;
        }

        *ret_action = (SrdAction) e->best->action;
        *ret_rule = (int) e->best->rule;
        *ret_error = e->best->error;
        *ret_log = e->best->log;
}

_public_ int srd_policy_evaluate(const SrdPolicy *p, const SrdSyscall *sc, SrdVerdict *ret) {
        Eval e;

        if (!p || !sc || !ret || !p->matcher)
                return -EINVAL;

        /* The verdict carries two PATH_MAX buffers: only the fields in use are
         * written, clearing 8 KiB per decision would cost more than deciding. */
        ret->path_mask = 0;
        ret->args_mask = 0;
        ret->to[0][0] = ret->to[1][0] = '\0';
        memcpy(ret->args, sc->args, sizeof(ret->args));

        evaluate_rule(&e, p, sc, &ret->action, &ret->rule, &ret->error, &ret->log);
        if (!e.best || ret->action != SRD_ACTION_REDIRECT)
                return 0;
        return verdict_redirect(p, e.best, sc, e.best_path, ret);
}

int policy_evaluate_lean(const SrdPolicy *p, const SrdSyscall *sc, SrdEventVerdict *ret) {
        Eval e;

        if (!p || !sc || !ret || !p->matcher)
                return -EINVAL;

        ret->path_mask = 0;
        ret->args_mask = 0;
        memcpy(ret->args, sc->args, sizeof(ret->args));
        evaluate_rule(&e, p, sc, &ret->action, &ret->rule, &ret->error, &ret->log);
        /* A redirect's targets and "set"s take srd_policy_evaluate(). */
        return e.best && ret->action == SRD_ACTION_REDIRECT;
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
        return render(r->to, path, suffix_at, NULL, ret, size);
}
