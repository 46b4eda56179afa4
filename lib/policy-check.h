/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/*
 * The validating reader under the policy loader: walks json-c values with
 * their json-pos nodes and dotted paths, and reports every problem with
 * file, line, column and key (the Loader collects them; validation goes on
 * after an error). lib/policy.c builds the policy with it.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag-internal.h"
#include "json-pos.h"
#include "macro.h"
#include "policy-internal.h"
#include "seccomp-redirect.h"

#define NAME_MAX_LEN 64
#define ERRNO_MAX 4095

typedef struct Loader {
        const char *file;
        const char *buf;
        size_t len;
        SrdDiagList *diag;
        const SrdJsonPos *pos;
        SrdPolicy *policy;
        unsigned n_errors;
        int error; /* -ENOMEM once an allocation failed */
        char **syscall_names; /* did-you-mean candidates, loaded on first use */
        size_t n_syscall_names;
} Loader;

/* One JSON value under validation: its json-c object, scanner node and path. */
typedef struct Val {
        json_object *o;
        uint32_t node;
        char *where; /* owned; NULL for the root */
} Val;

void val_done(Val *v);

void fail_at(Loader *L, unsigned line, unsigned column, const char *where, const char *format, ...) _printf_(5, 6);

/* An error about a value: points at the value itself. */
#define fail(L, v, ...) \
        do { \
                const SrdJsonNode *n_ = srd_json_pos_node((L)->pos, (v)->node); \
                fail_at((L), n_ ? n_->line : 0, n_ ? n_->column : 0, (v)->where, __VA_ARGS__); \
        } while (0)

/* An error about a key (unknown, misplaced): points at the key. */
#define fail_key(L, v, ...) \
        do { \
                const SrdJsonNode *n_ = srd_json_pos_node((L)->pos, (v)->node); \
                fail_at((L), n_ ? n_->key_line : 0, n_ ? n_->key_column : 0, (v)->where, __VA_ARGS__); \
        } while (0)

const char *type_name(json_object *o);
char *quoted(Loader *L, const char *s);
char *did_you_mean(const char *suggestion);
bool member(Loader *L, const Val *obj, const char *key, Val *ret);
void element(Loader *L, const Val *arr, size_t i, Val *ret);
bool expect_type(Loader *L, const Val *v, json_type t, const char *what);
void check_keys(Loader *L, const Val *obj, const char *const *allowed, size_t n);
bool misspelt(const Val *obj, const char *key, const char *const *allowed, size_t n);
bool require(Loader *L, const Val *obj, const char *key, const char *const *allowed, size_t n, Val *ret);
bool get_u64(Loader *L, const Val *v, uint64_t *ret);
bool get_arg_index(Loader *L, const Val *v, unsigned *ret);
bool get_string(Loader *L, const Val *v, const char *what, const char **ret);
bool identifier_ok(const char *s);
bool get_identifier(Loader *L, const Val *v, const char *what, const char **ret);
bool get_errno(Loader *L, const Val *v, int *ret);
bool get_action(Loader *L, const Val *v, SrdAction *ret);
bool get_plain_action(Loader *L, const Val *v, const char *role, SrdAction *ret);
void action_errno(Loader *L, const Val *obj, const char *key, bool have_action, SrdAction action,
                  const char *action_key, int default_error, int *ret);
int load_syscall_names(Loader *L);
/* A rule's "args" and "set" (policy-args.c); r->syscalls must be known. */
void parse_args(Loader *L, const Val *rule, SrdRule *r);
void parse_set(Loader *L, const Val *set, SrdRule *r);
/* Warnings (policy-warnings.c): kept with the policy, see srd_policy_warnings(). */
void warn_at(Loader *L, unsigned line, unsigned column, const char *where, const char *format, ...) _printf_(5, 6);
void warn_glob(Loader *L, const Val *v, const char *glob);
void warn_shadowed(Loader *L, const Val *rules);
void warn_default(Loader *L, const Val *def);
void warn_pathless(Loader *L, const Val *rules);
/* The policy's "pathError" (policy-path-error.c). */
void parse_path_error(Loader *L, const Val *root);
