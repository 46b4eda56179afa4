/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * json-c builds values but forgets where they came from. This is a small,
 * strict RFC 8259 scanner that runs over the same bytes first and records,
 * for every value, where it and (for object members) its key start, so a
 * diagnostic can say "web.json:12:9: rules[2].action". It also reports what
 * json-c would silently accept: duplicate keys (json-c keeps the last one),
 * NUL characters in strings, unpaired surrogates.
 *
 * The input is untrusted: recursion is bounded by SRD_JSON_MAX_DEPTH, the
 * number of values by SRD_JSON_MAX_NODES, and all work is linear in the
 * input (member lookups go through one hash table keyed by parent + key).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "seccomp-redirect.h"

#define SRD_JSON_MAX_DEPTH 32U
#define SRD_JSON_MAX_NODES (1U << 20)
#define SRD_JSON_MAX_SIZE (16U << 20)
#define SRD_JSON_NONE UINT32_MAX

typedef enum SrdJsonType {
        SRD_JSON_NULL,
        SRD_JSON_BOOLEAN,
        SRD_JSON_NUMBER,
        SRD_JSON_STRING,
        SRD_JSON_ARRAY,
        SRD_JSON_OBJECT,
        _SRD_JSON_TYPE_MAX,
        _SRD_JSON_TYPE_INVALID = -EINVAL,
} SrdJsonType;

typedef struct SrdJsonNode {
        uint32_t parent; /* SRD_JSON_NONE for the root */
        uint32_t index; /* position among the parent's members or elements */
        uint32_t key; /* object members: offset of the decoded name in the key arena */
        uint32_t key_len;
        uint32_t n_children;
        uint32_t line, column; /* first byte of the value, 1-based */
        uint32_t key_line, key_column; /* opening quote of the member name; 0 when not a member */
        uint32_t start, end; /* the value's bytes: buf[start, end) */
        uint8_t type; /* SrdJsonType */
} SrdJsonNode;

typedef struct SrdJsonPos SrdJsonPos;

/*
 * Scan buf. On a syntax error one diagnostic (file:line:col) is appended to
 * diag (after those for duplicate keys met before it) and -EINVAL returned. Otherwise *ret is set and the
 * number of duplicate keys found (each reported in diag) is returned: the positions then describe the last
 * of the duplicates, as json-c keeps that one. -ENOMEM on allocation failure.
 */
int srd_json_pos_scan(const char *buf, size_t len, const char *file, SrdJsonPos **ret, SrdDiagList *diag);
SrdJsonPos *srd_json_pos_free(SrdJsonPos *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(SrdJsonPos *, srd_json_pos_free);

size_t srd_json_pos_n_nodes(const SrdJsonPos *p);
/* NULL when id is out of range. The root is node 0. */
const SrdJsonNode *srd_json_pos_node(const SrdJsonPos *p, uint32_t id);
/* The decoded member name of a node (not NUL-terminated: see key_len). */
const char *srd_json_pos_key(const SrdJsonPos *p, uint32_t id);
/* Child lookup: node id, or SRD_JSON_NONE when absent. */
uint32_t srd_json_pos_member(const SrdJsonPos *p, uint32_t parent, const char *key);
uint32_t srd_json_pos_element(const SrdJsonPos *p, uint32_t parent, size_t i);
/* Node of a path as rendered below ("rules[2].action", "" = root), or SRD_JSON_NONE. */
uint32_t srd_json_pos_find(const SrdJsonPos *p, const char *path);
/* Render the path of a node; malloc'd, NULL on OOM. */
char *srd_json_pos_path(const SrdJsonPos *p, uint32_t id);

/*
 * Path rendering, shared with the policy validator so both spell paths the
 * same way: members as ".key" (no dot at the root), elements as "[N]"; keys
 * outside [A-Za-z0-9_-] or longer than 64 bytes as ["quoted"]. parent NULL or
 * "" is the root. malloc'd, NULL on OOM.
 */
char *srd_json_path_member(const char *parent, const char *key, size_t key_len);
char *srd_json_path_element(const char *parent, size_t i);

/* 1-based line and byte column of offset in buf (offset may be len). */
void srd_json_offset_to_line_col(const char *buf, size_t len, size_t offset, unsigned *ret_line,
                                 unsigned *ret_column);
