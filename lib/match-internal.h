/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The matcher's index, shared by the builder (match-build.c) and the
 * evaluator (match.c): one arena of records, laid out as described in
 * match-build.c.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "policy-internal.h"

#define ALIGN4(x) (((x) + 3) & ~(size_t) 3)

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
        bool how;        /* some rule compares a field of openat2's struct open_how */
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

static inline uint32_t glob_head_len(const char *glob) {
        return (uint32_t) strcspn(glob, "*?[\\");
}

static inline void pack64(uint32_t dst[2], uint64_t v) {
        dst[0] = (uint32_t) v;
        dst[1] = (uint32_t) (v >> 32);
}

static inline uint64_t unpack64(const uint32_t v[2]) {
        return (uint64_t) v[0] | (uint64_t) v[1] << 32;
}

static inline const PackedCond *compiled_args(const CompiledRule *c) {
        return (const PackedCond *) (c + 1);
}

static inline const PackedSet *compiled_set(const CompiledRule *c) {
        return (const PackedSet *) (compiled_args(c) + c->n_args);
}

static inline const char *compiled_glob(const CompiledRule *c) {
        return (const char *) (compiled_set(c) + c->n_set);
}

static inline const char *compiled_to(const CompiledRule *c) {
        if (c->to_len == NO_TO)
                return NULL;
        return compiled_glob(c) + (c->kind == SRD_PATH_GLOB ? c->glob_len + 1 : 0);
}

static inline uint64_t rotl64(uint64_t x, unsigned r) {
        return (x << r) | (x >> (64 - r));
}

/* Eight bytes at a time: paths are hashed on every decision. */
static inline uint64_t path_hash(const char *s, size_t len, int nr) {
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
