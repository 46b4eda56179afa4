/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Helpers for building the diagnostics a policy author reads: appending to
 * an SrdDiagList, quoting untrusted strings for messages, and "did you mean"
 * suggestions by edit distance.
 */

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"
#include "seccomp-redirect.h"

/* A broken policy may produce thousands of errors; nobody reads past this. */
#define SRD_DIAG_MAX 50

/*
 * Append one diagnostic. l may be NULL (nothing recorded). After
 * SRD_DIAG_MAX entries one last "too many errors" entry is added and the
 * rest are dropped. Returns 0 or -ENOMEM.
 */
int srd_diag_append(SrdDiagList *l, const char *file, unsigned line, unsigned column, const char *where,
                    const char *format, ...) _printf_(6, 7);
int srd_diag_appendv(SrdDiagList *l, const char *file, unsigned line, unsigned column, const char *where,
                     const char *format, va_list ap) _printf_(6, 0);
/* True when further diagnostics would be dropped (callers may skip costly work). */
bool srd_diag_full(const SrdDiagList *l);

/*
 * Quote s (len bytes) for a message: surrounding double quotes, '"' and '\'
 * escaped, control and non-ASCII bytes as \xNN, cut after max bytes with
 * "...". malloc'd, NULL on OOM.
 */
char *srd_quote(const char *s, size_t len, size_t max);

/* Case-insensitive optimal string alignment distance, capped at limit + 1. */
unsigned srd_edit_distance(const char *a, const char *b, unsigned limit);
/* The candidate closest to word when it is close enough to be a likely typo, else NULL. */
const char *srd_suggest(const char *word, const char *const *candidates, size_t n);

/* Closest errno name / action name to a misspelt one (errno-names.c). */
const char *srd_errno_suggest(const char *s);
const char *srd_action_suggest(const char *s);
