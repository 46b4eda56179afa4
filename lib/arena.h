/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The redirect arena: a write-sealed memfd (F_SEAL_FUTURE_WRITE) holding the
 * strings that redirected syscalls point at. The daemon writes through the
 * mapping it made before sealing; tasks get it read-only and sealed through
 * SECCOMP_IOCTL_NOTIF_PIN_INSTALL, so what the kernel checks is what the
 * syscall reads.
 *
 * Append-only: a byte a redirect pointed at is never written again (the task
 * reads it after the answer, and other threads may still be in flight), and
 * identical strings are stored once. When the next string does not fit the
 * arena is full for good: -ENOSPC, and the caller falls back.
 */

#include <stddef.h>
#include <stdint.h>

typedef struct Arena Arena;

/* size: the capacity, rounded up to whole pages. */
int arena_new(size_t size, Arena **ret);
Arena *arena_free(Arena *a);

/* Offset of the NUL-terminated copy of s[0..len) in the arena, appended if new. */
int arena_place(Arena *a, const char *s, size_t len, uint64_t *ret_offset);
/* The same for len raw bytes (a struct a redirected pointer names). */
int arena_place_bytes(Arena *a, const void *data, size_t len, uint64_t *ret_offset);

int arena_memfd(const Arena *a);
size_t arena_size(const Arena *a);
size_t arena_used(const Arena *a);
/* The bytes at offset as the daemon sees them (for tests). */
const char *arena_peek(const Arena *a, uint64_t offset);
