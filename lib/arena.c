/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* A task id's slot of transient bytes. */
typedef struct TidSlot {
        pid_t tid; /* 0: empty */
        uint32_t capacity; /* 0: holds none (its last one was freed, no new one fitted) */
        uint64_t offset;
} TidSlot;

/* Free bytes of the slot region, between slots still held. */
typedef struct Extent {
        uint64_t offset;
        uint64_t len;
} Extent;

#define TID_SLOT_MIN 64
#define TID_SLOT_MAX ((size_t) 64 << 10)

struct Arena {
        int memfd;
        char *map; /* ours, writable: mapped before the seal */
        size_t size;
        size_t used; /* targets: [0, used) */

        Slot *slots;
        size_t n_slots; /* a power of two, or 0 */
        size_t n_used;

        /* Transient slots: [slot_low, size), held ones and free extents. */
        size_t slot_low;
        size_t slot_bytes; /* held */
        TidSlot *tids;
        size_t n_tids_table; /* a power of two, or 0 */
        size_t n_tids; /* entries, holding a slot or not */
        Extent *free_ext; /* sorted by offset, never adjacent to each other or to slot_low */
        size_t n_free, n_free_alloc;
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
        free(a->tids);
        free(a->free_ext);
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
        a->slot_low = size;

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
        if (fcntl(a->memfd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
            0)
                return negative_errno();
        /* Nobody needs to open it again: a task that could reach it through
         * /proc/PID/map_files (which takes CAP_SYS_ADMIN or
         * CAP_CHECKPOINT_RESTORE in the initial user namespace) must also
         * override file permissions to map it at an offset of its choosing
         * (redirect.c says why that matters). Best effort. */
        (void) fchmod(a->memfd, 0);

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

        if (need > a->slot_low - a->used)
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
        a->slots[j] = (Slot){.offset = a->used, .hash = h, .len = key};
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
        return a ? a->used + a->slot_bytes : 0;
}

const char *arena_peek(const Arena *a, uint64_t offset) {
        if (!a || (offset >= a->used && (offset < a->slot_low || offset >= a->size)))
                return NULL;
        return a->map + offset;
}

/* ---- transient slots ---------------------------------------------------- */

static size_t slot_capacity(size_t need) {
        size_t c = TID_SLOT_MIN;

        /* Powers of two up to a page (a tid whose paths vary a little keeps
         * its slot), whole pages above. */
        while (c < need && c < 4096)
                c *= 2;
        if (need > c)
                c = (need + 4095) & ~(size_t) 4095;
        return c;
}

static uint32_t hash_tid(pid_t tid) {
        return (uint32_t) tid * 2654435761u;
}

static TidSlot *tid_find(const Arena *a, pid_t tid) {
        if (a->n_tids_table == 0)
                return NULL;
        for (size_t j = hash_tid(tid) & (a->n_tids_table - 1);; j = (j + 1) & (a->n_tids_table - 1)) {
                if (a->tids[j].tid == tid)
                        return &a->tids[j];
                if (a->tids[j].tid == 0)
                        return NULL;
        }
}

static int tid_table_resize(Arena *a, size_t n) {
        TidSlot *t = calloc(n, sizeof(TidSlot));

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_tids_table; i++) {
                size_t j;

                if (a->tids[i].tid == 0)
                        continue;
                for (j = hash_tid(a->tids[i].tid) & (n - 1); t[j].tid; j = (j + 1) & (n - 1))
                        ;
                t[j] = a->tids[i];
        }
        free(a->tids);
        a->tids = t;
        a->n_tids_table = n;
        return 0;
}

static TidSlot *tid_insert(Arena *a, pid_t tid) {
        size_t j;

        if ((a->n_tids + 1) * 2 > a->n_tids_table &&
            tid_table_resize(a, a->n_tids_table ? a->n_tids_table * 2 : 16) < 0)
                return NULL;
        for (j = hash_tid(tid) & (a->n_tids_table - 1); a->tids[j].tid; j = (j + 1) & (a->n_tids_table - 1))
                ;
        a->tids[j] = (TidSlot){.tid = tid};
        a->n_tids++;
        return &a->tids[j];
}

/* Give [offset, offset + len) back: merged with its free neighbours, and
 * into the space between targets and slots when it borders it. */
static void extent_free(Arena *a, uint64_t offset, uint64_t len) {
        size_t i = 0;

        while (i < a->n_free && a->free_ext[i].offset < offset)
                i++;
        if (i > 0 && a->free_ext[i - 1].offset + a->free_ext[i - 1].len == offset) {
                i--;
                a->free_ext[i].len += len;
        } else {
                /* One entry per held slot at most, reserved in extent_alloc(). */
                memmove(&a->free_ext[i + 1], &a->free_ext[i], (a->n_free - i) * sizeof(Extent));
                a->free_ext[i] = (Extent){.offset = offset, .len = len};
                a->n_free++;
        }
        if (i + 1 < a->n_free && a->free_ext[i].offset + a->free_ext[i].len == a->free_ext[i + 1].offset) {
                a->free_ext[i].len += a->free_ext[i + 1].len;
                memmove(&a->free_ext[i + 1], &a->free_ext[i + 2], (a->n_free - i - 2) * sizeof(Extent));
                a->n_free--;
        }
        if (a->n_free > 0 && a->free_ext[0].offset == a->slot_low) {
                a->slot_low += a->free_ext[0].len;
                memmove(&a->free_ext[0], &a->free_ext[1], (a->n_free - 1) * sizeof(Extent));
                a->n_free--;
        }
}

/* Free extents lie between held slots (the lowest one is given back to the
 * space between targets and slots), so there are never more than slots
 * held: room for one more than the tids, and extent_free() never allocates. */
static int extents_reserve(Arena *a) {
        if (a->n_free_alloc < a->n_tids + 2) {
                size_t n = MAX(a->n_free_alloc * 2, a->n_tids + 16);
                Extent *e = realloc(a->free_ext, n * sizeof(Extent));

                if (!e)
                        return -ENOMEM;
                a->free_ext = e;
                a->n_free_alloc = n;
        }
        return 0;
}

static int extent_alloc(Arena *a, size_t len, uint64_t *ret_offset) {
        /* First fit among the freed slots; a slot is only ever freed once
         * nobody can be reading it (arena.h). */
        for (size_t i = 0; i < a->n_free; i++) {
                Extent *e = &a->free_ext[i];

                if (e->len < len)
                        continue;
                *ret_offset = e->offset + e->len - len;
                e->len -= len;
                if (e->len == 0) {
                        memmove(e, e + 1, (a->n_free - i - 1) * sizeof(Extent));
                        a->n_free--;
                }
                return 0;
        }
        if (len > a->slot_low - a->used)
                return -ENOSPC;
        a->slot_low -= len;
        *ret_offset = a->slot_low;
        return 0;
}

int arena_place_transient(Arena *a, pid_t tid, const ArenaPart *parts, size_t n, uint64_t *ret_offsets) {
        size_t need = 0, capacity;
        uint64_t offset;
        TidSlot *t;
        int r;

        if (!a || tid <= 0 || (n > 0 && (!parts || !ret_offsets)))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!parts[i].data || parts[i].len >= TID_SLOT_MAX ||
                    (parts[i].nul && memchr(parts[i].data, '\0', parts[i].len)))
                        return -EINVAL;
                need += parts[i].len + (parts[i].nul ? 1 : 0);
        }
        if (need > TID_SLOT_MAX)
                return -EINVAL;
        if (need == 0)
                return 0;

        r = extents_reserve(a);
        if (r < 0)
                return r;
        t = tid_find(a, tid);
        if (!t || t->capacity < need) {
                capacity = slot_capacity(need);
                if (t && t->capacity > 0) {
                        /* tid is in a new syscall: its old slot is read by nobody. */
                        extent_free(a, t->offset, t->capacity);
                        a->slot_bytes -= t->capacity;
                        t->capacity = 0;
                        t->offset = 0;
                }
                r = extent_alloc(a, capacity, &offset);
                if (r < 0)
                        return r;
                if (!t) {
                        t = tid_insert(a, tid);
                        if (!t) {
                                extent_free(a, offset, capacity);
                                return -ENOMEM;
                        }
                }
                t->offset = offset;
                t->capacity = (uint32_t) capacity;
                a->slot_bytes += capacity;
        }

        offset = t->offset;
        for (size_t i = 0; i < n; i++) {
                memcpy(a->map + offset, parts[i].data, parts[i].len);
                ret_offsets[i] = offset;
                offset += parts[i].len;
                if (parts[i].nul)
                        a->map[offset++] = '\0';
        }
        return 0;
}

size_t arena_reclaim(Arena *a, ArenaAliveFn alive, void *userdata) {
        size_t freed = 0;

        if (!a || !alive)
                return 0;
        for (size_t i = 0; i < a->n_tids_table; i++) {
                TidSlot *t = &a->tids[i];

                if (t->tid == 0 || alive(t->tid, userdata))
                        continue;
                if (t->capacity > 0) {
                        extent_free(a, t->offset, t->capacity);
                        a->slot_bytes -= t->capacity;
                        freed += t->capacity;
                }
                *t = (TidSlot){};
                a->n_tids--;
        }
        /* Linear probing cannot have holes punched into it: rehash the rest.
         * Should that fail for memory, a tid behind a hole is not found and
         * gets a second slot: wasted until it dies, never shared. */
        if (a->n_tids_table > 0)
                (void) tid_table_resize(a, a->n_tids_table);
        return freed;
}

size_t arena_slot_bytes(const Arena *a) {
        return a ? a->slot_bytes : 0;
}

size_t arena_slot_tids(const Arena *a) {
        size_t n = 0;

        for (size_t i = 0; a && i < a->n_tids_table; i++)
                if (a->tids[i].tid && a->tids[i].capacity)
                        n++;
        return n;
}

int arena_slot_of(const Arena *a, pid_t tid, uint64_t *ret_offset, size_t *ret_capacity) {
        const TidSlot *t = a ? tid_find(a, tid) : NULL;

        if (!t || t->capacity == 0)
                return -ENOENT;
        if (ret_offset)
                *ret_offset = t->offset;
        if (ret_capacity)
                *ret_capacity = t->capacity;
        return 0;
}
