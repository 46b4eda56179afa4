/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's only way to say anything. Messages go to the journal with
 * structured fields when journald is reachable, else to stderr. lib/ never
 * logs; everything a user reads about a container comes through here.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "macro.h"

/* Longest message or journal field we format; longer ones are cut. */
#define SRD_LOG_FIELD_MAX 4352

typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_STDERR,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

const char *log_target_to_string(LogTarget t);
LogTarget log_target_from_string(const char *s);
/* "debug" ... "err" <-> LOG_DEBUG ... LOG_ERR; -EINVAL when unknown. */
int log_level_from_string(const char *s);

void log_set_target(LogTarget t);
void log_set_max_level(int level);
int log_get_max_level(void);
bool log_to_journal(void);

/* Structured fields of one container event; NULL members are left out. */
typedef struct LogFields {
        const char *container_id;
        const char *policy;
        const char *rule;
        const char *syscall;
        const char *path;
        const char *action;
} LogFields;

/*
 * Log one message. error is a negative or positive errno (0 for none) and
 * is what %m expands to. Returns -abs(error), or 0 when error is 0, so that
 * callers can log and return in one step.
 */
int log_full(int level, int error, const LogFields *fields, const char *format, ...) _printf_(4, 5);

#define log_debug(...) log_full(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full(LOG_DEBUG, (e), NULL, __VA_ARGS__)
#define log_info_errno(e, ...) log_full(LOG_INFO, (e), NULL, __VA_ARGS__)
#define log_notice_errno(e, ...) log_full(LOG_NOTICE, (e), NULL, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full(LOG_WARNING, (e), NULL, __VA_ARGS__)
#define log_error_errno(e, ...) log_full(LOG_ERR, (e), NULL, __VA_ARGS__)
#define log_oom() log_full(LOG_ERR, ENOMEM, NULL, "Out of memory.")

/*
 * What a rate-limited message is about. Each kind has its own budget, so
 * that a flood of everyday lines (a workload's continue calls at debug
 * level) cannot crowd out the lines an operator asked for or must see.
 */
typedef enum LogKind {
        LOG_KIND_DEBUG, /* everyday calls: continue, and answers not asked to be logged */
        LOG_KIND_RULE, /* a rule with "log": true */
        LOG_KIND_FALLBACK, /* a redirect that could not be carried out */
        LOG_KIND_KILL, /* a task killed by a rule */
        LOG_KIND_ERROR, /* a call that could not be placed, other warnings and errors */
        LOG_KIND_OTHER, /* the rest (the agent socket's refusals) */
        _LOG_KIND_MAX,
} LogKind;

const char *log_kind_to_string(LogKind k);

/*
 * Per-container rate limit: at most burst messages per interval, per kind.
 * When a new interval opens after messages were dropped, one line saying
 * how many of each kind were suppressed is logged first, so the reader
 * knows what is missing.
 */
typedef struct RateLimit {
        uint64_t interval_usec;
        unsigned burst;
        uint64_t begin;
        unsigned n[_LOG_KIND_MAX];
        unsigned suppressed[_LOG_KIND_MAX];
        uint64_t suppressed_total[_LOG_KIND_MAX]; /* atomic: for status */
} RateLimit;

#define RATELIMIT_INIT(i, b) ((RateLimit){.interval_usec = (i), .burst = (b)})

/* True when a message of this kind may be logged now. fields name who is being limited. */
bool log_ratelimit_below_kind(RateLimit *rl, LogKind kind, const LogFields *fields);
static inline bool log_ratelimit_below(RateLimit *rl, const LogFields *fields) {
        return log_ratelimit_below_kind(rl, LOG_KIND_OTHER, fields);
}
/* Say how many messages were dropped, if any (when the limited object goes away). */
void log_ratelimit_flush(RateLimit *rl, const LogFields *fields);
/* Messages of this kind dropped so far. */
uint64_t log_ratelimit_suppressed(const RateLimit *rl, LogKind kind);
