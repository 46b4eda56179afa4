/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The redirect arena: a write-sealed memfd (F_SEAL_FUTURE_WRITE) holding the
 * strings that redirected syscalls point at. The daemon writes through the
 * mapping it made before sealing; tasks get it read-only and sealed through
 * SECCOMP_IOCTL_NOTIF_PIN_INSTALL, so what the kernel checks is what the
 * syscall reads.
 *
 * Two kinds of bytes, from the two ends:
 *
 * Targets (arena_place*), from offset 0 up: append-only, a byte a redirect
 * pointed at is never written again (any task may be pointed at it, and
 * other threads may still be in flight), and identical strings are stored
 * once.
 *
 * Transient bytes (arena_place_transient), from the end down: one slot per
 * task id, rewritten for that tid's next call. Only task T is ever pointed
 * at slot(T), and a task makes one syscall at a time: when T notifies again
 * its previous, redirected syscall has returned and read what it was going
 * to read (a syscall interrupted and restarted is re-issued with the task's
 * own registers, not ours). A new task that got T's tid is only pointed at
 * what is written for it. So a slot is rewritten, or handed to another tid,
 * only when nobody can be reading it: on T's next call, or once T is gone
 * (arena_reclaim: a tid that does not exist cannot be in a syscall).
 *
 * When the next bytes do not fit: -ENOSPC, and the caller reclaims, starts
 * a new arena, or falls back.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct Arena Arena;

/* size: the capacity, rounded up to whole pages. */
int arena_new(size_t size, Arena **ret);
Arena *arena_free(Arena *a);

/* Offset of the NUL-terminated copy of s[0..len) in the arena, appended if new. */
int arena_place(Arena *a, const char *s, size_t len, uint64_t *ret_offset);
/* The same for len raw bytes (a struct a redirected pointer names). */
int arena_place_bytes(Arena *a, const void *data, size_t len, uint64_t *ret_offset);

/*
 * Write the n byte strings of parts one after the other into tid's slot (a
 * NUL after each with nul set), growing the slot when they do not fit it;
 * the offset of each. -ENOSPC when no room is left for a slot that big.
 */
typedef struct ArenaPart {
        const void *data;
        size_t len;
        bool nul;
} ArenaPart;
int arena_place_transient(Arena *a, pid_t tid, const ArenaPart *parts, size_t n, uint64_t *ret_offsets);

/*
 * Free the slots of every tid for which alive() returns false, so that
 * other tids and targets can use their bytes. The bytes freed.
 */
typedef bool (*ArenaAliveFn)(pid_t tid, void *userdata);
size_t arena_reclaim(Arena *a, ArenaAliveFn alive, void *userdata);

/* Bytes in the slots of tids that hold one, and how many tids do. */
size_t arena_slot_bytes(const Arena *a);
size_t arena_slot_tids(const Arena *a);
/* The offset of tid's slot, or -ENOENT (for tests). */
int arena_slot_of(const Arena *a, pid_t tid, uint64_t *ret_offset, size_t *ret_capacity);

int arena_memfd(const Arena *a);
size_t arena_size(const Arena *a);
/* Bytes taken: the targets, and the slot region (held or free) below the end. */
size_t arena_used(const Arena *a);
/* The bytes at offset as the daemon sees them (for tests). */
const char *arena_peek(const Arena *a, uint64_t offset);
