/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
static int log_stderr_prefix = -1; /* stderr is journald's stream: "<N>" prefixes; -1 not yet */

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

static bool journal_socket_exists(void) {
        /* journald is there exactly when its socket is. */
        return access("/run/systemd/journal/socket", F_OK) >= 0;
}

/* Is our stderr the stream systemd connected to journald for us? It sets
 * JOURNAL_STREAM to that stream's "device:inode"; a redirected stderr, or
 * one inherited by a child of the service, is another file. */
static bool stderr_is_journal_stream(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        char end;

        if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &end) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

static void log_write_stderr(int level, const char *msg);

bool log_to_journal(void) {
        if (log_journal < 0) {
                if (log_target == LOG_TARGET_JOURNAL) {
                        log_journal = journal_socket_exists();
                        /* sd_journal_send() drops messages silently when the
                         * socket is missing: say once where they go instead. */
                        if (!log_journal)
                                log_write_stderr(
                                        LOG_WARNING,
                                        "--log-target journal: no journal "
                                        "(/run/systemd/journal/socket is missing), logging to stderr.");
                } else if (log_target == LOG_TARGET_STDERR)
                        log_journal = 0;
                else
                        log_journal = journal_socket_exists();
        }
        return log_journal > 0;
}

/* "2026-12-04T13:22:32.123456Z": UTC, so that lines from hosts in other
 * zones sort together; microseconds, as the journal keeps them. */
static size_t format_timestamp(char *buf, size_t size) {
        struct timespec ts;
        struct tm tm;
        size_t n;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm))
                return 0;
        n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        if (n == 0)
                return 0;
        n += (size_t) snprintf(buf + n, size - n, ".%06ldZ", ts.tv_nsec / 1000);
        return MIN(n, size - 1);
}

static const char *level_name(int level) {
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",     [LOG_CRIT] = "crit",
                [LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
        };
        return level >= 0 && level < (int) ELEMENTSOF(names) ? names[level] : "?";
}

/*
 * Under systemd, stderr goes to journald, which reads a "<N>" prefix as the
 * priority and stamps the time itself. Anywhere else the line carries both:
 * "2026-12-04T13:22:32.123456Z seccomp-redirectd[42]: warning: message".
 */
static void log_write_stderr(int level, const char *msg) {
        char line[4096], stamp[64];
        size_t n = 0, k;
        int p;

        if (log_stderr_prefix < 0)
                log_stderr_prefix = stderr_is_journal_stream();

        if (log_stderr_prefix)
                p = snprintf(line, sizeof(line), "<%i>%s: ", level & LOG_PRIMASK,
                             program_invocation_short_name);
        else {
                if (format_timestamp(stamp, sizeof(stamp)) == 0)
                        stamp[0] = 0;
                p = snprintf(line, sizeof(line), "%s%s%s[%d]: %s: ", stamp, stamp[0] ? " " : "",
                             program_invocation_short_name, (int) getpid(), level_name(level & LOG_PRIMASK));
        }
        n = MIN((size_t) MAX(p, 0), sizeof(line) - 2);
        k = MIN(strlen(msg), sizeof(line) - 1 - n);
        memcpy(line + n, msg, k);
        n += k;
        line[n++] = '\n';
        /* One write per line, so that concurrent writers do not interleave. */
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

static const char *const log_kind_table[_LOG_KIND_MAX] = {
        [LOG_KIND_DEBUG] = "debug", [LOG_KIND_RULE] = "rule",   [LOG_KIND_FALLBACK] = "fallback",
        [LOG_KIND_KILL] = "kill",   [LOG_KIND_ERROR] = "error", [LOG_KIND_OTHER] = "other",
};

const char *log_kind_to_string(LogKind k) {
        if (k < 0 || k >= _LOG_KIND_MAX)
                return NULL;
        return log_kind_table[k];
}

void log_ratelimit_flush(RateLimit *rl, const LogFields *fields) {
        char what[256];
        size_t n = 0;
        unsigned total = 0;

        for (LogKind k = 0; k < _LOG_KIND_MAX; k++) {
                int p;

                if (rl->suppressed[k] == 0)
                        continue;
                total += rl->suppressed[k];
                p = snprintf(what + n, sizeof(what) - n, "%s%u %s", n > 0 ? ", " : "", rl->suppressed[k],
                             log_kind_table[k]);
                n = MIN(n + (size_t) MAX(p, 0), sizeof(what) - 1);
                rl->suppressed[k] = 0;
        }
        if (total == 0)
                return;
        /* A warning: whatever was dropped, the reader must learn of it. */
        if (fields && fields->container_id)
                log_full(LOG_WARNING, 0, fields, "Container %s: suppressed %u messages (%s).",
                         fields->container_id, total, what);
        else
                log_full(LOG_WARNING, 0, fields, "Suppressed %u messages (%s).", total, what);
}

bool log_ratelimit_below_kind(RateLimit *rl, LogKind kind, const LogFields *fields) {
        uint64_t now = now_monotonic_usec();

        if (kind < 0 || kind >= _LOG_KIND_MAX)
                kind = LOG_KIND_OTHER;

        if (rl->begin == 0 || now - rl->begin >= rl->interval_usec) {
                log_ratelimit_flush(rl, fields);
                rl->begin = now;
                memset(rl->n, 0, sizeof(rl->n));
        }

        if (rl->n[kind] < rl->burst) {
                rl->n[kind]++;
                return true;
        }

        rl->suppressed[kind]++;
        __atomic_fetch_add(&rl->suppressed_total[kind], 1, __ATOMIC_RELAXED);
        return false;
}

uint64_t log_ratelimit_suppressed(const RateLimit *rl, LogKind kind) {
        if (kind < 0 || kind >= _LOG_KIND_MAX)
                return 0;
        return __atomic_load_n(&rl->suppressed_total[kind], __ATOMIC_RELAXED);
}
