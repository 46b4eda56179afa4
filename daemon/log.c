/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"

/*
 * Logging is process-wide state by nature (one stderr, one journal
 * connection), the one exception to "everything hangs off the Manager".
 */
static LogTarget log_target = LOG_TARGET_AUTO;
static int log_max_level = LOG_INFO;
static int log_journal = -1; /* resolved target: 1 journal, 0 stderr, -1 not yet */

static const char *const log_target_table[_LOG_TARGET_MAX] = {
        [LOG_TARGET_AUTO] = "auto",
        [LOG_TARGET_JOURNAL] = "journal",
        [LOG_TARGET_STDERR] = "stderr",
};

const char *log_target_to_string(LogTarget t) {
        if (t < 0 || t >= _LOG_TARGET_MAX)
                return NULL;
        return log_target_table[t];
}

LogTarget log_target_from_string(const char *s) {
        if (!s)
                return _LOG_TARGET_INVALID;
        for (int i = 0; i < _LOG_TARGET_MAX; i++)
                if (streq(s, log_target_table[i]))
                        return (LogTarget) i;
        return _LOG_TARGET_INVALID;
}

static const char *const log_level_table[] = {
        [LOG_ERR] = "err",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int log_level_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(log_level_table); i++)
                if (log_level_table[i] && streq(s, log_level_table[i]))
                        return (int) i;
        return -EINVAL;
}

void log_set_target(LogTarget t) {
        log_target = t;
        log_journal = -1;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

bool log_to_journal(void) {
        if (log_journal < 0) {
                if (log_target == LOG_TARGET_JOURNAL)
                        log_journal = 1;
                else if (log_target == LOG_TARGET_STDERR)
                        log_journal = 0;
                else
                        /* journald is there exactly when its socket is. */
                        log_journal = access("/run/systemd/journal/socket", F_OK) >= 0;
        }
        return log_journal > 0;
}

static void log_write_stderr(int level, const char *msg) {
        /* One write per line, so that concurrent writers do not interleave. */
        struct iovec iov[3] = {
                {.iov_base = program_invocation_short_name,
                 .iov_len = strlen(program_invocation_short_name)},
                {.iov_base = (char *) ": ", .iov_len = 2},
                {.iov_base = (char *) msg, .iov_len = strlen(msg)},
        };
        char line[4096];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(iov); i++) {
                size_t k = MIN(iov[i].iov_len, sizeof(line) - 1 - n);
                memcpy(line + n, iov[i].iov_base, k);
                n += k;
        }
        line[n++] = '\n';
        (void) !write(STDERR_FILENO, line, n);
}

static int log_write_journal(int level, int error, const LogFields *f, const char *msg) {
        char buf[9][SRD_LOG_FIELD_MAX];
        struct iovec iov[ELEMENTSOF(buf)];
        size_t n = 0;

#define ADD(fmt, ...) \
        do { \
                int k_ = snprintf(buf[n], sizeof(buf[n]), fmt, __VA_ARGS__); \
                iov[n].iov_base = buf[n]; \
                iov[n].iov_len = MIN((size_t) MAX(k_, 0), sizeof(buf[n]) - 1); \
                n++; \
        } while (0)

        ADD("MESSAGE=%s", msg);
        ADD("PRIORITY=%i", level);
        ADD("SYSLOG_IDENTIFIER=%s", program_invocation_short_name);
        if (error != 0)
                ADD("ERRNO=%i", abs(error));
        if (f) {
                if (f->container_id)
                        ADD("CONTAINER_ID=%s", f->container_id);
                if (f->policy)
                        ADD("POLICY=%s", f->policy);
                if (f->rule)
                        ADD("RULE=%s", f->rule);
                if (f->syscall)
                        ADD("SYSCALL=%s", f->syscall);
                if (f->path)
                        ADD("PATH=%s", f->path);
                if (f->action)
                        ADD("ACTION=%s", f->action);
        }
#undef ADD
        return sd_journal_sendv(iov, (int) n);
}

int log_full(int level, int error, const LogFields *fields, const char *format, ...) {
        char msg[SRD_LOG_FIELD_MAX];
        va_list ap;

        if (level > log_max_level)
                return error == 0 ? 0 : -abs(error);

        /* %m expands to the error we were handed, not to whatever errno is now. */
        errno = abs(error);
        va_start(ap, format);
        (void) vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);

        if (!log_to_journal() || log_write_journal(level, error, fields, msg) < 0)
                log_write_stderr(level, msg);

        return error == 0 ? 0 : -abs(error);
}

void log_ratelimit_flush(RateLimit *rl, const LogFields *fields) {
        if (rl->suppressed > 0)
                log_full(LOG_WARNING, 0, fields, "Container %s: suppressed %u messages.",
                         fields && fields->container_id ? fields->container_id : "?", rl->suppressed);
        rl->suppressed = 0;
}

bool log_ratelimit_below(RateLimit *rl, const LogFields *fields) {
        uint64_t now = now_monotonic_usec();

        if (rl->begin == 0 || now - rl->begin >= rl->interval_usec) {
                log_ratelimit_flush(rl, fields);
                rl->begin = now;
                rl->n = 0;
        }

        if (rl->n < rl->burst) {
                rl->n++;
                return true;
        }

        rl->suppressed++;
        return false;
}
