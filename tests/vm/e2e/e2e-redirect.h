/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * e2e-redirect's two halves: e2e-redirect.c (fixtures, checks, the daemon,
 * main) and e2e-redirect-cases.c (what each case's target runs, and the
 * table of cases). x86_64 only.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2e-util.h"

#define CHOWN_UID 4242
#define CHOWN_GID 4343
/* Room for any path this test builds: D (< ITEST_PATH_MAX) plus a few components. */
#define PATH_BUF 4096

/* Written by the target, read by the parent (MAP_SHARED, made before any fork). */
typedef struct Result {
        long ret; /* the syscall's result, or -errno */
        long aux; /* a second result: a write through the fd, a umask */
        int acc_mode; /* O_ACCMODE of an fd the syscall returned */
        char text[512];
        uint64_t ino, dev;
        long regs_in[6], regs_out[6];
        char out[512]; /* filled in by the parent: what an exec'd program printed */
} Result;

typedef enum Fixture {
        FIX_FILES, /* real/a and sb/a regular files, distinct contents */
        FIX_SANDBOX_ONLY, /* sb/a only: the real path does not exist */
        FIX_SYMLINKS, /* real/a and sb/a symlinks with distinct targets */
        FIX_PROG, /* real/a and sb/a copies of this program */
        FIX_DIRS, /* real/a and sb/a empty directories */
        FIX_TEMPLATE, /* real/a and sb/shadow<D>/real/a ({path}) */
        FIX_OUTSIDE, /* D/outside/a only */
        FIX_NONE,
} Fixture;

typedef enum Check {
        CHECK_TEXT, /* ret >= 0, read back the content of sb/(b ?: a) */
        CHECK_INO, /* stat result is sb/a's inode */
        CHECK_ZERO, /* ret == 0 although real/a does not exist */
        CHECK_READLINK, /* the text is sb/a's link target */
        CHECK_EXEC, /* the exec'd program is sb/a */
        CHECK_MKDIR, /* sb/a is a new directory, real/a absent */
        CHECK_GONE, /* sb/a gone, real/a still there */
        CHECK_RENAMED, /* sb/a moved to sb/b, real/ untouched */
        CHECK_LINKED, /* sb/b is a hard link of sb/a, real/b absent */
        CHECK_SYMLINK, /* sb/a is a symlink whose text is real/b, untouched */
        CHECK_MODE, /* sb/a mode 0600, real/a still 0644 */
        CHECK_OWNER, /* sb/a owned by CHOWN_UID:GID, real/a by root */
        CHECK_SIZE, /* sb/a truncated to 3 bytes, real/a not */
        CHECK_CREAT, /* sb/a created with the written content, real/a absent */
        CHECK_ONLY_NEW, /* outside/a moved to sb/b */
        CHECK_SET, /* opened read-only: write EBADF, content of (b ? sb/b : real/a) */
        CHECK_UMASK, /* the umask became 027 */
        CHECK_REGS, /* six registers back, content of (b ? real/a : sb/a), read-only if b */
        CHECK_STATUS, /* the status reports redirect "supported" */
        CHECK_LOG, /* the whole log: no fallback */
} Check;

typedef struct Case Case;
struct Case {
        const char *name;
        const char *rule; /* the rule whose redirect the log must show */
        long (*run)(const Case *c);
        Fixture fixture;
        Check check;
        const char *a, *b;
};

extern const Case cases[];
extern const size_t n_cases;

/* Shared with the targets (set up before any fork). */
extern Result *res;
extern char real_dir[ITEST_PATH_MAX + 16], sb_dir[ITEST_PATH_MAX + 16], outside_dir[ITEST_PATH_MAX + 16];
extern int real_dfd;
extern int exec_pipe[2];

/* dir/name, in one of eight rotating buffers. */
const char *join(const char *dir, const char *name);
/* The same under real/ and sb/. */
const char *real(const char *name);
const char *sbx(const char *name);
