/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The in-memory policy, shared by the loader (policy.c) and the matcher
 * (match.c). The loader fills rules[] in file order and then calls
 * srd_matcher_build(); after that the policy is read-only apart from hits[].
 */

#include <stdint.h>

#include "seccomp-redirect.h"

typedef enum SrdPathKind {
        SRD_PATH_NONE,          /* the rule has no path condition */
        SRD_PATH_EXACT,
        SRD_PATH_PREFIX,        /* string prefix: "/etc/secrets/" matches "/etc/secrets/db" */
        SRD_PATH_GLOB,
        _SRD_PATH_KIND_MAX,
        _SRD_PATH_KIND_INVALID = -EINVAL,
} SrdPathKind;

/* The OCI / libseccomp comparators, SCMP_CMP_* order. */
typedef enum SrdCmp {
        SRD_CMP_NE = 1,
        SRD_CMP_LT,
        SRD_CMP_LE,
        SRD_CMP_EQ,
        SRD_CMP_GE,
        SRD_CMP_GT,
        SRD_CMP_MASKED_EQ,
        _SRD_CMP_MAX,
        _SRD_CMP_INVALID = -EINVAL,
} SrdCmp;

typedef struct SrdArgCond {
        unsigned index;         /* 0..5, when role is NULL */
        SrdCmp op;
        uint64_t value;
        uint64_t value_two;     /* MASKED_EQ: (arg & value) == value_two */
        const char *role;       /* "flags": the index differs per syscall (static, from syscall-args.c) */
} SrdArgCond;

typedef struct SrdArgSet {
        unsigned index;         /* when role is NULL */
        uint64_t value;
        uint64_t mask;          /* new = (old & ~mask) | (value & mask) */
        const char *role;       /* as in SrdArgCond */
} SrdArgSet;

typedef struct SrdRule {
        char *name;             /* never NULL: "rules[N]" when the file has none */
        int *syscalls;          /* native numbers, resolved at load */
        const char **groups;    /* per syscall: the "@group" that named it (static), NULL when named directly */
        size_t n_syscalls;

        SrdPathKind path_kind;
        char *path;             /* normalized for EXACT; as written for PREFIX and GLOB */

        SrdArgCond *args;
        size_t n_args;

        SrdAction action;
        int error;              /* SRD_ACTION_ERRNO: positive errno */
        bool log;

        /* SRD_ACTION_REDIRECT */
        char *to;               /* template, may contain {path} and {suffix}; NULL: only "set" */
        bool to_is_static;      /* no placeholders: validated at load */
        SrdArgSet *set;
        size_t n_set;

        unsigned line, column;  /* where the rule's object starts */
} SrdRule;

typedef struct SrdMatcher SrdMatcher;

struct SrdPolicy {
        unsigned n_ref;
        char *name;
        char *file;

        SrdAction default_action;
        int default_error;      /* when default_action == SRD_ACTION_ERRNO */

        SrdAction fallback_action; /* redirectFallback: CONTINUE, ERRNO or KILL */
        int fallback_error;

        SrdAction path_error_action; /* pathError: ERRNO or KILL, never one that lets the call run */
        int path_error_error;

        SrdRule *rules;
        size_t n_rules;

        bool *path_rule_nrs;    /* [0..POLICY_NR_MAX]: some rule with a path condition names it */

        uint64_t *hits;         /* n_rules + 1 counters; hits[n_rules] = default action */

        SrdMatcher *matcher;

        SrdDiagList warnings;   /* what loads but is likely not meant (policy-warnings.c) */
};

/* Native syscall numbers stay below this on every architecture. */
#define POLICY_NR_MAX 4095

/* Build the lookup index over p->rules (called once by the loader). */
int srd_matcher_build(SrdPolicy *p);
SrdMatcher *srd_matcher_free(SrdMatcher *m);

/*
 * srd_policy_evaluate() without the redirect targets: action, rule, error,
 * log and the unchanged args, in a few hundred bytes. 1 when the verdict is
 * a redirect by a rule, whose targets and "set"s take srd_policy_evaluate();
 * 0 otherwise; -EINVAL for bad arguments.
 */
int policy_evaluate_lean(const SrdPolicy *p, const SrdSyscall *sc, SrdEventVerdict *ret);

/* Fill p->path_rule_nrs (called once by the loader). */
int policy_index_path_rules(SrdPolicy *p);

/* Render a redirect template for one matched path; 0, -ENAMETOOLONG, -EINVAL. */
int srd_template_render(const SrdRule *r, const char *path, char *ret, size_t size);
/* Check a rendered or static redirect target: absolute, no "..", bounded. */
int srd_redirect_target_validate(const char *target);
