/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "macro.h"

/* The index of stored strings: open addressing over offsets into the arena. */
typedef struct Slot {
        uint64_t offset; /* 0: empty (offset 0 holds the empty string, never indexed) */
        uint32_t hash;
        uint32_t len; /* SLOT_BLOB set: raw bytes, no NUL after them */
} Slot;

#define SLOT_BLOB 0x80000000u

struct Arena {
        int memfd;
        char *map; /* ours, writable: mapped before the seal */
        size_t size;
        size_t used;

        Slot *slots;
        size_t n_slots; /* a power of two, or 0 */
        size_t n_used;
};

static uint32_t hash_bytes(const char *s, size_t len) {
        /* FNV-1a: the keys are paths of one container, not adversarial
         * enough to matter beyond a longer probe. */
        uint32_t h = 2166136261u;

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char) s[i];
                h *= 16777619u;
        }
        return h;
}

Arena *arena_free(Arena *a) {
        if (!a)
                return NULL;
        if (a->map && a->map != MAP_FAILED)
                (void) munmap(a->map, a->size);
        safe_close(a->memfd);
        free(a->slots);
        free(a);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Arena *, arena_free);

int arena_new(size_t size, Arena **ret) {
        _cleanup_(arena_freep) Arena *a = NULL;
        long page = sysconf(_SC_PAGESIZE);

        if (!ret || size == 0 || size > (size_t) 1 << 30)
                return -EINVAL;
        size = (size + (size_t) page - 1) & ~((size_t) page - 1);

        a = calloc(1, sizeof(Arena));
        if (!a)
                return -ENOMEM;
        a->memfd = -EBADF;
        a->size = size;

        a->memfd = memfd_create("seccomp-redirectd-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (a->memfd < 0)
                return negative_errno();
        if (ftruncate(a->memfd, (off_t) size) < 0)
                return negative_errno();
        a->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a->memfd, 0);
        if (a->map == MAP_FAILED) {
                a->map = NULL;
                return negative_errno();
        }
        /* From here on only our mapping can write; nobody can resize. */
        if (fcntl(a->memfd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return negative_errno();

        /* Offset 0 is the empty string, so that 0 can mark empty slots. */
        a->map[0] = '\0';
        a->used = 1;

        *ret = TAKE_PTR(a);
        return 0;
}

static int grow_index(Arena *a) {
        size_t n = a->n_slots ? a->n_slots * 2 : 16;
        Slot *s = calloc(n, sizeof(Slot));

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_slots; i++) {
                const Slot *o = &a->slots[i];
                size_t j;

                if (!o->offset)
                        continue;
                for (j = o->hash & (n - 1); s[j].offset; j = (j + 1) & (n - 1))
                        ;
                s[j] = *o;
        }
        free(a->slots);
        a->slots = s;
        a->n_slots = n;
        return 0;
}

static int place(Arena *a, const void *data, size_t len, bool blob, uint64_t *ret_offset) {
        uint32_t h, key = (uint32_t) len | (blob ? SLOT_BLOB : 0);
        size_t j, need = len + (blob ? 0 : 1);
        int r;

        h = hash_bytes(data, len) ^ (blob ? 0x9e3779b9u : 0);
        for (j = a->n_slots ? h & (a->n_slots - 1) : 0; a->n_slots && a->slots[j].offset;
             j = (j + 1) & (a->n_slots - 1)) {
                const Slot *o = &a->slots[j];

                if (o->hash == h && o->len == key && memcmp(a->map + o->offset, data, len) == 0) {
                        *ret_offset = o->offset;
                        return 0;
                }
        }

        if (need > a->size - a->used)
                return -ENOSPC;

        if ((a->n_used + 1) * 2 > a->n_slots) {
                r = grow_index(a);
                if (r < 0)
                        return r;
                for (j = h & (a->n_slots - 1); a->slots[j].offset; j = (j + 1) & (a->n_slots - 1))
                        ;
        }

        /* Only bytes past a->used are written: nothing handed out changes. */
        memcpy(a->map + a->used, data, len);
        if (!blob)
                a->map[a->used + len] = '\0';
        a->slots[j] = (Slot) { .offset = a->used, .hash = h, .len = key };
        a->n_used++;
        *ret_offset = a->used;
        a->used += need;
        return 0;
}

int arena_place(Arena *a, const char *s, size_t len, uint64_t *ret_offset) {
        if (!a || !s || !ret_offset || memchr(s, '\0', len) || len >= SLOT_BLOB)
                return -EINVAL;
        if (len == 0) {
                *ret_offset = 0;
                return 0;
        }
        return place(a, s, len, false, ret_offset);
}

int arena_place_bytes(Arena *a, const void *data, size_t len, uint64_t *ret_offset) {
        if (!a || !data || !ret_offset || len == 0 || len >= SLOT_BLOB)
                return -EINVAL;
        return place(a, data, len, true, ret_offset);
}

int arena_memfd(const Arena *a) {
        return a ? a->memfd : -EBADF;
}

size_t arena_size(const Arena *a) {
        return a ? a->size : 0;
}

size_t arena_used(const Arena *a) {
        return a ? a->used : 0;
}

const char *arena_peek(const Arena *a, uint64_t offset) {
        if (!a || offset >= a->used)
                return NULL;
        return a->map + offset;
}
