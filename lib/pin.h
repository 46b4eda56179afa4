/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Where an arena memfd is pinned in a task's address space, established
 * from the kernel's own record of that address space and nothing else.
 *
 * The kernel accepts a SEND_REDIRECT pointer anywhere inside a sealed
 * read-only mapping of the memfd, at whatever offset it maps; the redirector
 * (redirect.c) keeps every pin of a generation at a congruent address so
 * that this is enough, and reads the maps only when the kernel refused a
 * pointer: pin_find_congruent() for the pin this mm has, pin_free_congruent()
 * for where to put one. Nothing here trusts a task id: tids are reused, and
 * a task keeps its tid across execve while its mm changes.
 *
 * The check is PROCMAP_QUERY (Linux 6.11) on /proc/TID/maps: the kernel
 * reports the VMA covering an address with its bounds, offset, permissions
 * and the backing inode and device, as numbers. No text of the maps file is
 * parsed, so no file name, however long or crafted, can pass for a pin.
 * Every kernel with the redirect series is newer than 6.11.
 *
 * The maps fd reads the mm the task had when the fd was opened. The caller
 * opens it while the notification is pending: the notifying task sits in the
 * kernel and cannot exec, so that is the mm its redirected syscall runs in,
 * and if the tid was already someone else's, the notification is gone and
 * SEND_REDIRECT fails with ENOENT whatever pointer it carries.
 *
 * pin_locate() and the kcmp table (PinSpaces) are the exact-start lookup the
 * redirector used before it relied on congruence; kept with their tests.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A memfd as the kernel names the file of a mapping. */
typedef struct PinFile {
        uint64_t ino;
        unsigned major, minor;
        size_t size; /* a pin maps all of it, from offset 0 */
} PinFile;

int pin_file_from_fd(int memfd, size_t size, PinFile *ret);

/* O_RDONLY|O_CLOEXEC fd of /proc/TID/maps; -ESRCH when the task is gone. */
int pin_maps_open(pid_t tid);

/*
 * 0 if the VMA covering addr is exactly [addr, addr + f->size) of f from
 * offset 0, readable, shared, neither writable nor executable; -ENOENT if it
 * is anything else or nothing; -ENOTTY without PROCMAP_QUERY; other errors
 * of the ioctl.
 */
int pin_verify(int maps_fd, const PinFile *f, uint64_t addr);

/* The lowest address where pin_verify() holds, walking the file-backed VMAs; -ENOENT if none. */
int pin_find(int maps_fd, const PinFile *f, uint64_t *ret_addr);

/*
 * The lowest whole pin of f (as pin_verify()) whose start is congruent to
 * residue modulo f->size; -ENOENT if there is none.
 */
int pin_find_congruent(int maps_fd, const PinFile *f, uint64_t residue, uint64_t *ret_addr);

/*
 * The lowest address at or above PIN_FREE_LOW where size bytes are unmapped
 * in the mm of maps_fd, congruent to residue modulo size, ending at or
 * below limit; -ENOSPC if there is none. Low, because nothing grows into
 * the space below the program (brk grows up from above it, the stack and
 * the kernel's mmap area are high).
 */
#define PIN_FREE_LOW ((uint64_t) 16 << 20)
int pin_free_congruent(int maps_fd, size_t size, uint64_t residue, uint64_t limit, uint64_t *ret_addr);

/*
 * Address spaces whose pin is not at the generation's usual address: one
 * entry per address space, keyed by a task that was in it when the pin was
 * made (its anchor), compared with kcmp(KCMP_VM). An anchor may have exec'd,
 * died or had its tid reused since: an entry only names a candidate, which
 * pin_locate() verifies like any other.
 */
#define PIN_SPACES_MAX 64
typedef struct PinSpace {
        pid_t anchor; /* 0: free */
        uint64_t addr;
} PinSpace;

typedef struct PinSpaces {
        PinSpace space[PIN_SPACES_MAX];
        size_t next; /* round robin once full */
        bool no_kcmp; /* kcmp() is not available here (ENOSYS) */
} PinSpaces;

void pin_spaces_clear(PinSpaces *s);
void pin_spaces_remember(PinSpaces *s, pid_t anchor, uint64_t addr);
/* 1 and *ret_addr: an anchor shares tid's mm; 0: none does. */
int pin_spaces_lookup(PinSpaces *s, pid_t tid, uint64_t *ret_addr);

/*
 * Where f is pinned in the mm of maps_fd (tid's): hint first (the usual
 * address, which forked children inherit), then the kcmp candidate, each
 * verified, then a walk of the mappings. 0 and *ret_addr, -ENOENT if f is not
 * pinned there, other errors if that cannot be established.
 */
int pin_locate(PinSpaces *s, int maps_fd, pid_t tid, const PinFile *f, uint64_t hint, uint64_t *ret_addr);
