/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A tiny TAP producer for the guest test programs. Output is flushed after
 * every line because the programs fork and the host parses the serial
 * stream line by line. The plan is printed at the end (allowed by TAP), so
 * a program that dies half-way is caught by the host as a short plan.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned tap_count, tap_failed;

__attribute__((format(printf, 2, 3)))
static inline bool tap_ok(bool ok, const char *fmt, ...)
{
        va_list ap;

        tap_count++;
        if (!ok)
                tap_failed++;
        printf("%sok %u - ", ok ? "" : "not ", tap_count);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
        return ok;
}

__attribute__((format(printf, 2, 3)))
static inline void tap_skip(const char *name, const char *fmt, ...)
{
        va_list ap;

        tap_count++;
        printf("ok %u - %s # SKIP ", tap_count, name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
        va_list ap;

        fputs("# ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

static inline int tap_done(void)
{
        printf("1..%u\n", tap_count);
        fflush(stdout);
        return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
