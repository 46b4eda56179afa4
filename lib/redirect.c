/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Carrying out a redirect verdict: place the targets in the arena, find or
 * make the arena's pin in the task's address space, answer with
 * SEND_REDIRECT.
 *
 * Generations. Targets a redirect pointed at are never written again: any
 * task may be pointed at them, its other threads may be in flight, and an
 * outer listener may read them too. Transient bytes (a pinned path, a
 * rendered template) go into the notifying tid's slot, rewritten on its
 * next call (arena.h says why that is safe). When a call's bytes do not fit
 * even after the slots of tids that no longer exist are freed, the next
 * call starts a new generation: a fresh sealed memfd, pinned anew in each
 * address space on its first redirect there. The old one is dropped at
 * once (our mapping and fd): only one thread answers for a listener, and
 * every SEND_REDIRECT that pointed into it has been answered; its pins keep
 * its bytes for the tasks that still have them, until they exec or exit.
 *
 * Where the pointer lands. The kernel accepts a pointer range that lies in
 * one VMA of the task's current mm that is sealed, never writable and maps
 * our memfd; it does not look at which offset of the memfd the VMA maps, nor
 * where the VMA starts (kernel/patches/0003, seccomp_redirect_check_ptrs).
 * So every pin of a generation is put at an address congruent to the first
 * one's, A, modulo the arena size S, and at offset 0 of the memfd: then any
 * such VMA maps address x to offset (x - A) mod S, and a pointer A' + off
 * with A' congruent to A reads offset off in whichever of our pins covers
 * it. A remembered address that has gone stale (the task exec'd, the tid is
 * someone else's now, the pin sits elsewhere in this mm) therefore either
 * lands on the very bytes we placed, or is refused with EFAULT, which
 * leaves the notification pending: then, and only then, /proc/TID/maps is
 * read (PROCMAP_QUERY) to find this mm's pin or a free congruent address
 * for a new one, and the answer is sent once more. A redirect of an address
 * space already pinned costs no maps lookup at all.
 *
 * What keeps the congruence: PIN_INSTALL only ever gets a congruent fixed
 * address (the first of a generation, which defines A, excepted); sealed
 * VMAs cannot be moved, remapped or replaced, and splitting one (madvise)
 * or copying it into a fork child keeps addresses and offsets together.
 * What would break it is a task mapping the memfd itself at an offset of
 * its choosing; it has no fd of it, and getting one through
 * /proc/PID/map_files takes CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE in the
 * initial user namespace plus overriding the memfd's mode 0000 (arena.c):
 * a container that holds those is not confined by path rules anyway.
 */

#include <fcntl.h>
#include <linux/audit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <stdio.h>

#include "arena.h"
#include "macro.h"
#include "pin.h"
#include "redirect.h"

/* Tids whose address space has the pin elsewhere than at pin_addr: a cache,
 * direct mapped; a stale entry only costs an EFAULT and a lookup. */
#define PIN_ADDRS 256
typedef struct PinAddr {
        pid_t tid;
        uint64_t addr;
} PinAddr;

/* Generations started because the slots of live tids filled the last one. */
#define ROLLS_FOR_SLOTS_MAX 4

struct Redirector {
        size_t arena_size;

        /* The current generation; 0 and NULL before the first path redirect. */
        uint64_t generation;
        Arena *arena;
        PinFile pin_file; /* its memfd, as the kernel names the file of a mapping */
        uint64_t pin_addr; /* A: where its first pin went; every pin is congruent to it mod size */
        /* PIN_ADDRS entries, made with the first generation: 4 KiB that a
         * listener which never redirects (most, and all on a stock kernel)
         * would otherwise carry for nothing. */
        PinAddr *addrs;
        unsigned rolls_for_slots;

        RedirectorAliveFn alive;
        void *alive_userdata;

        SrdListenerStats stats; /* relaxed atomics: read by other threads */
};

/* A tid that has no /proc entry does not exist (in our pid namespace, the
 * one notifications name tids in), so it cannot be inside a syscall. */
static bool tid_alive(pid_t tid, void *userdata) {
        char p[64];

        (void) userdata;
        (void) snprintf(p, sizeof(p), "/proc/%d", (int) tid);
        return access(p, F_OK) == 0 || errno != ENOENT;
}

void redirector_set_alive(Redirector *r, RedirectorAliveFn alive, void *userdata) {
        r->alive = alive ?: tid_alive;
        r->alive_userdata = alive ? userdata : NULL;
}

int redirector_new(Redirector **ret) {
        Redirector *r;

        if (!ret)
                return -EINVAL;
        r = calloc(1, sizeof(Redirector));
        if (!r)
                return -ENOMEM;
        r->arena_size = SRD_ARENA_SIZE_DEFAULT;
        r->alive = tid_alive;
        *ret = r;
        return 0;
}

Redirector *redirector_free(Redirector *r) {
        if (!r)
                return NULL;
        arena_free(r->arena);
        free(r->addrs);
        free(r);
        return NULL;
}

int redirector_set_arena_size(Redirector *r, size_t size) {
        if (!r || size == 0 || size > (size_t) 1 << 30)
                return -EINVAL;
        if (r->arena)
                return -EBUSY;
        r->arena_size = size;
        return 0;
}

static void stat_add(uint64_t *counter) {
        __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static void stat_set(uint64_t *counter, uint64_t value) {
        __atomic_store_n(counter, value, __ATOMIC_RELAXED);
}

/* Only the counters, never the arena itself: the thread that handles the
 * listener may be replacing it right now. */
void redirector_get_stats(const Redirector *r, SrdListenerStats *ret) {
        ret->redirects = __atomic_load_n(&r->stats.redirects, __ATOMIC_RELAXED);
        ret->pins = __atomic_load_n(&r->stats.pins, __ATOMIC_RELAXED);
        ret->arena_used = __atomic_load_n(&r->stats.arena_used, __ATOMIC_RELAXED);
        ret->arena_size = __atomic_load_n(&r->stats.arena_size, __ATOMIC_RELAXED);
}

const Arena *redirector_arena(const Redirector *r) {
        return r ? r->arena : NULL;
}

uint64_t redirector_generation(const Redirector *r) {
        return r ? r->generation : 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Arena *, arena_free);

static int generation_new(Redirector *rd) {
        _cleanup_(arena_freep) Arena *a = NULL;
        PinFile f;
        int r;

        if (!rd->addrs) {
                rd->addrs = calloc(PIN_ADDRS, sizeof(PinAddr));
                if (!rd->addrs)
                        return -ENOMEM;
        }
        r = arena_new(rd->arena_size, &a);
        if (r < 0)
                return r;
        r = pin_file_from_fd(arena_memfd(a), arena_size(a), &f);
        if (r < 0)
                return r;

        arena_free(rd->arena);
        rd->arena = TAKE_PTR(a);
        rd->pin_file = f;
        rd->pin_addr = 0;
        memset(rd->addrs, 0, PIN_ADDRS * sizeof(PinAddr));
        rd->generation++;
        stat_set(&rd->stats.arena_size, arena_size(rd->arena));
        stat_set(&rd->stats.arena_used, arena_used(rd->arena));
        return 0;
}

static int place_all(Arena *a, pid_t tid, const RedirectItem *items, size_t n, uint64_t *ret_offsets) {
        ArenaPart parts[SRD_MAX_PATHS * 2];
        size_t idx[SRD_MAX_PATHS * 2], n_parts = 0;
        uint64_t offs[SRD_MAX_PATHS * 2];
        int r;

        for (size_t i = 0; i < n; i++) {
                /* A blob is openat2's struct open_how as this call passed it:
                 * the container picks its bytes, so it is never kept. */
                if (items[i].transient || items[i].blob) {
                        if (n_parts >= ELEMENTSOF(parts))
                                return -EINVAL;
                        idx[n_parts] = i;
                        parts[n_parts++] = (ArenaPart){
                                .data = items[i].data, .len = items[i].len, .nul = !items[i].blob};
                        continue;
                }
                r = items[i].blob ? arena_place_bytes(a, items[i].data, items[i].len, &ret_offsets[i])
                                  : arena_place(a, items[i].data, items[i].len, &ret_offsets[i]);
                if (r < 0)
                        return r;
        }
        if (n_parts == 0)
                return 0;
        r = arena_place_transient(a, tid, parts, n_parts, offs);
        if (r < 0)
                return r;
        for (size_t k = 0; k < n_parts; k++)
                ret_offsets[idx[k]] = offs[k];
        return 0;
}

static bool arena_alive(pid_t tid, void *userdata) {
        Redirector *rd = userdata;

        return rd->alive(tid, rd->alive_userdata);
}

int redirector_place(Redirector *rd, pid_t tid, const RedirectItem *items, size_t n, uint64_t *ret_offsets) {
        bool transient = false;
        int r;

        if (!rd || (n > 0 && (!items || !ret_offsets)))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                transient = transient || items[i].transient || items[i].blob;
        if (transient && tid <= 0)
                return -EINVAL;

        if (!rd->arena) {
                r = generation_new(rd);
                if (r < 0)
                        return r;
        }
        /* All of one call in one generation: SEND_REDIRECT names one memfd.
         * What a full generation took before saying ENOSPC is only unused
         * (targets) or the tid's own slot (transient). */
        r = place_all(rd->arena, tid, items, n, ret_offsets);
        if (r == -ENOSPC && arena_reclaim(rd->arena, arena_alive, rd) > 0)
                r = place_all(rd->arena, tid, items, n, ret_offsets);
        if (r == -ENOSPC) {
                /*
                 * Live tids' slots filling more than half of the generation
                 * mean a container with more tasks in path syscalls than
                 * --arena-size holds; leaving the generation would not make
                 * room for them (they keep their slots in the next one), and
                 * every generation left stays in memory while its pins live.
                 * So that happens a few times, then calls whose bytes do not
                 * fit are refused: memory stays bounded (seccomp-redirectd(8),
                 * --arena-size).
                 */
                if (arena_slot_bytes(rd->arena) * 2 > arena_size(rd->arena)) {
                        if (rd->rolls_for_slots >= ROLLS_FOR_SLOTS_MAX) {
                                stat_set(&rd->stats.arena_used, arena_used(rd->arena));
                                return -ENOSPC;
                        }
                        rd->rolls_for_slots++;
                }
                r = generation_new(rd);
                if (r < 0)
                        return r;
                r = place_all(rd->arena, tid, items, n, ret_offsets);
                if (r == -ENOSPC)
                        /* Not even an empty arena holds them: --arena-size is too small. */
                        r = -E2BIG;
        }
        stat_set(&rd->stats.arena_used, arena_used(rd->arena));
        return r;
}

static uint64_t addr_lookup(const Redirector *rd, pid_t tid) {
        const PinAddr *e;

        if (!rd->addrs)
                return rd->pin_addr;
        e = &rd->addrs[(uint32_t) tid % PIN_ADDRS];
        return e->tid == tid && e->addr ? e->addr : rd->pin_addr;
}

static void addr_remember(Redirector *rd, pid_t tid, uint64_t addr) {
        PinAddr *e;

        if (!rd->addrs) /* no generation yet: nothing can be pinned */
                return;
        e = &rd->addrs[(uint32_t) tid % PIN_ADDRS];

        if (addr == rd->pin_addr)
                *e = (PinAddr){};
        else
                *e = (PinAddr){.tid = tid, .addr = addr};
}

/*
 * Map the current generation into the task of notification id at target (0:
 * wherever the kernel likes, only for the first pin of a generation). The
 * task itself services the request, so it lands in the notifying task's
 * address space; -ENOENT when the task is gone, -EEXIST (or -ENOMEM, above
 * an ia32 task's 4 GiB) when target is taken.
 */
static int pin_install(Redirector *rd, int fd, uint64_t id, uint64_t target, uint64_t *ret_addr) {
        struct seccomp_notif_pin_install req = {
                .id = id,
                .memfd = (uint32_t) arena_memfd(rd->arena),
                .target_addr = target,
                .size = arena_size(rd->arena),
        };

        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_PIN_INSTALL, &req) < 0)
                return -errno;
        /* A fixed address is honoured or refused (MAP_FIXED_NOREPLACE). */
        if (req.target_addr == 0 || (target != 0 && req.target_addr != target))
                return -EIO;
        stat_add(&rd->stats.pins);
        *ret_addr = req.target_addr;
        return 0;
}

/*
 * The slow path: this mm has no pin of the current generation where we
 * looked. Install one at pin_addr, or find this mm's congruent pin, or
 * install one at the lowest free congruent address. The notification is pending, so the
 * task cannot exec meanwhile: the maps fd reads the mm the redirect runs in.
 */
static int pin_establish(Redirector *rd, int fd, const struct seccomp_notif *n, uint64_t *ret_addr,
                         const char **ret_reason) {
        _cleanup_close_ int maps_fd = -EBADF;
        pid_t tid = (pid_t) n->pid;
        size_t size = arena_size(rd->arena);
        uint64_t addr, limit;
        int r;

        if (rd->pin_addr == 0) {
                /* First pin of the generation: it defines the residue. */
                r = pin_install(rd, fd, n->id, 0, &addr);
                if (r == -ENOENT)
                        return r;
                if (r < 0) {
                        *ret_reason = "cannot pin the redirect arena in the task";
                        return r;
                }
                rd->pin_addr = addr;
                *ret_addr = addr;
                return 0;
        }

        /* An unpinned address space (exec'd, or forked before the first
         * pin) mostly has the usual address free: try it before reading any
         * maps. Should this mm have a congruent pin elsewhere already, a
         * second one does no harm, and none is needed after it. */
        limit = n->data.arch == AUDIT_ARCH_I386 ? (uint64_t) 1 << 32 : (uint64_t) 1 << 47;
        if (rd->pin_addr + size <= limit) {
                r = pin_install(rd, fd, n->id, rd->pin_addr, &addr);
                if (r == 0) {
                        addr_remember(rd, tid, addr);
                        *ret_addr = addr;
                        return 0;
                }
                if (r == -ENOENT)
                        return r;
                if (r != -EEXIST && r != -ENOMEM) {
                        *ret_reason = "cannot pin the redirect arena in the task";
                        return r;
                }
        }

        maps_fd = pin_maps_open(tid);
        if (maps_fd < 0) {
                *ret_reason = "cannot open the task's maps to find the arena's pin";
                return maps_fd == -ESRCH ? -ENOENT : maps_fd;
        }
        /* The usual address is taken: this mm's pin is elsewhere, or it has
         * none and needs one at a free congruent address. An ia32 call only
         * takes 32-bit pointers. */
        r = pin_find_congruent(maps_fd, &rd->pin_file, rd->pin_addr % size, &addr);
        if (r == 0 && addr + size > limit)
                r = -ENOENT;
        if (r == -ENOENT) {
                r = pin_free_congruent(maps_fd, size, rd->pin_addr % size, limit, &addr);
                if (r == 0)
                        r = pin_install(rd, fd, n->id, addr, &addr);
                if (r == -ENOENT)
                        return r;
                if (r < 0) {
                        *ret_reason = "cannot pin the redirect arena in the task";
                        return r;
                }
        } else if (r < 0) {
                *ret_reason = r == -ENOTTY ? "cannot find the arena's pin: no PROCMAP_QUERY in this kernel"
                                           : "cannot find the arena's pin in the task";
                return r;
        }
        addr_remember(rd, tid, addr);
        *ret_addr = addr;
        return 0;
}

/* openat2's struct open_how for a pinned resolved path: nothing left to follow. */
static void how_for_resolved(const ProcmemOpenHow *how, ProcmemOpenHow *ret) {
        uint64_t resolve;

        *ret = *how;
        resolve = how->resolve &
                  ~(uint64_t) (PROCMEM_RESOLVE_BENEATH | PROCMEM_RESOLVE_IN_ROOT | PROCMEM_RESOLVE_NO_XDEV);
        resolve |= PROCMEM_RESOLVE_NO_SYMLINKS | PROCMEM_RESOLVE_NO_MAGICLINKS;
        ret->resolve = resolve;
        memcpy(ret->bytes + 16, &resolve, sizeof(resolve));
}

/*
 * What goes into the arena for verdict v (NULL: a continue) and pins, and
 * which argument points at each: the targets, the pinned paths, and
 * openat2's struct open_how. Fails for what no kernel could redirect,
 * whatever its support. how_buf holds an adjusted copy of how for a pin.
 */
static int collect(int nr, pid_t tid, const SrdVerdict *v, const RedirectPin *pins, const ProcmemOpenHow *how,
                   ProcmemOpenHow *how_buf, RedirectItem items[SRD_MAX_PATHS * 2],
                   unsigned item_arg[SRD_MAX_PATHS * 2], size_t *ret_n, const char **ret_reason,
                   int *ret_error) {
        const SrdSyscallInfo *info = srd_syscall_info(nr);
        size_t n_items = 0;

        *ret_error = EACCES;
        for (unsigned i = 0; i < SRD_MAX_PATHS; i++) {
                const ProcmemOpenHow *h_how = how;
                bool target = v && (v->path_mask & (1u << i));
                int h;

                if (!target && !(pins && pins[i].path))
                        continue;
                if (!info || i >= info->n_paths) {
                        *ret_reason = "the syscall has no such path argument";
                        return -EINVAL;
                }
                item_arg[n_items] = (unsigned) info->paths[i].arg;
                if (target)
                        /* In the task's slot too: a rendered template
                         * ({suffix}, {path}, {id}) is a new string per call,
                         * and appending each would grow the arena without
                         * bound. Only a task we cannot see (no tid to own a
                         * slot) gets the shared, deduplicated part. */
                        items[n_items++] = (RedirectItem){
                                .data = v->to[i], .len = strlen(v->to[i]), .transient = tid > 0};
                else
                        /* Checked for this call only: a slot that the next
                         * call of the same task may reuse. */
                        items[n_items++] = (RedirectItem){
                                .data = pins[i].path, .len = strlen(pins[i].path), .transient = true};

                /*
                 * openat2 reads its struct open_how after our answer, so a
                 * sibling thread could change RESOLVE_* under us; the copy we
                 * read goes into the arena and the call gets pointed at it,
                 * like the path. RESOLVE_BENEATH and RESOLVE_IN_ROOT resolve
                 * even an absolute path inside the dirfd: the kernel refuses
                 * an absolute path under RESOLVE_BENEATH with EXDEV, and that
                 * is the answer for both (the target leaves the dirfd).
                 */
                h = info->paths[i].how_arg;
                if (h < 0)
                        continue;
                if (!how || h >= SRD_ARGS) {
                        *ret_reason = "openat2's struct open_how could not be read";
                        *ret_error = EFAULT;
                        return -EFAULT;
                }
                if (!target && pins[i].resolved) {
                        how_for_resolved(how, how_buf);
                        h_how = how_buf;
                } else if (target && (how->resolve & (PROCMEM_RESOLVE_BENEATH | PROCMEM_RESOLVE_IN_ROOT))) {
                        *ret_reason =
                                "openat2 with RESOLVE_BENEATH or RESOLVE_IN_ROOT would look the target up "
                                "inside its dirfd";
                        *ret_error = EXDEV;
                        return -EXDEV;
                }
                item_arg[n_items] = (unsigned) h;
                items[n_items++] = (RedirectItem){.data = h_how->bytes,
                                                  .len = h_how->size,
                                                  .blob = true,
                                                  .transient = h_how == how_buf};
        }
        *ret_n = n_items;
        return 0;
}

int redirector_check(const struct seccomp_notif *n, const SrdVerdict *v, const ProcmemOpenHow *how,
                     const char **ret_reason, int *ret_error) {
        RedirectItem items[SRD_MAX_PATHS * 2];
        unsigned item_arg[SRD_MAX_PATHS * 2];
        ProcmemOpenHow how_buf;
        size_t n_items;

        return collect(n->data.nr, (pid_t) n->pid, v, NULL, how, &how_buf, items, item_arg, &n_items, ret_reason,
                       ret_error);
}

/* Aim the pointer arguments at the items, placed at base + offset[k]. */
static void aim(struct seccomp_notif_resp_redirect *req, const RedirectItem *items, const unsigned *item_arg,
                const uint64_t *offset, size_t n_items, uint64_t base) {
        for (size_t k = 0; k < n_items; k++) {
                unsigned a = item_arg[k];

                /* A path wins over a "set" of the same argument. */
                req->args_mask |= 1u << a;
                req->ptr_mask |= 1u << a;
                req->args[a] = base + offset[k];
                req->ptr_len[a] = items[k].len + (items[k].blob ? 0 : 1);
                /* openat2's size goes with the copy of the struct it sized. */
                if (items[k].blob && a + 1 < SRD_ARGS) {
                        req->args_mask |= 1u << (a + 1);
                        req->args[a + 1] = items[k].len;
                }
        }
}

int redirector_send(Redirector *rd, int fd, const struct seccomp_notif *n, const SrdVerdict *v,
                    const RedirectPin pins[SRD_MAX_PATHS], const ProcmemOpenHow *how,
                    const char **ret_reason, int *ret_error) {
        struct seccomp_notif_resp_redirect req = {
                .id = n->id,
                .flags = SECCOMP_REDIRECT_FLAG_CONTINUE,
        };
        RedirectItem items[SRD_MAX_PATHS * 2];
        unsigned item_arg[SRD_MAX_PATHS * 2];
        uint64_t offset[SRD_MAX_PATHS * 2], addr = 0;
        ProcmemOpenHow how_buf;
        size_t n_items = 0;
        bool guessed = false;
        int r;

        r = collect(n->data.nr, (pid_t) n->pid, v, pins, how, &how_buf, items, item_arg, &n_items, ret_reason,
                    ret_error);
        if (r < 0)
                return r;

        for (unsigned i = 0; v && i < SRD_ARGS; i++)
                if (v->args_mask & (1u << i)) {
                        req.args_mask |= 1u << i;
                        req.args[i] = v->args[i];
                }
        for (unsigned i = 0; pins && i < SRD_MAX_PATHS; i++) {
                int a = pins[i].nofollow_arg;

                /* A rule's own "set" of the flags wins; else the task's flags
                 * as notified (the register the kernel will use), plus it. */
                if (!pins[i].path || !pins[i].resolved || a < 0 || a >= SRD_ARGS || (req.args_mask & (1u << a)) ||
                    (v && (v->path_mask & (1u << i))))
                        continue;
                req.args_mask |= 1u << a;
                req.args[a] = n->data.args[a] | O_NOFOLLOW;
        }

        if (n_items > 0) {
                r = redirector_place(rd, (pid_t) n->pid, items, n_items, offset);
                if (r < 0) {
                        *ret_reason = r == -E2BIG    ? "the targets of this call exceed the redirect arena "
                                                       "(see --arena-size)"
                                      : r == -ENOSPC ? "the redirect arena is full of the paths of live "
                                                       "tasks (see --arena-size)"
                                                     : "cannot place the redirect target";
                        if (r == -E2BIG)
                                *ret_error = ENAMETOOLONG;
                        return r;
                }
                addr = rd->pin_addr ? addr_lookup(rd, (pid_t) n->pid) : 0;
                if (addr == 0 || (n->data.arch == AUDIT_ARCH_I386 &&
                                  addr + arena_size(rd->arena) > (uint64_t) 1 << 32)) {
                        /* No pin yet, or one an ia32 call cannot point at
                         * (the kernel refuses wide values with EINVAL). */
                        r = pin_establish(rd, fd, n, &addr, ret_reason);
                        if (r < 0)
                                return r;
                } else
                        /* Unverified: see the top of this file for why that is safe. */
                        guessed = true;
                req.memfd = (uint32_t) arena_memfd(rd->arena);
                aim(&req, items, item_arg, offset, n_items, addr);
        }

        r = ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND_REDIRECT, &req) < 0 ? -errno : 0;
        if (r == -EFAULT && guessed) {
                /* No pin of ours covers it in this mm: the notification is
                 * still pending; find or make the pin, and answer again. */
                r = pin_establish(rd, fd, n, &addr, ret_reason);
                if (r < 0)
                        return r;
                aim(&req, items, item_arg, offset, n_items, addr);
                r = ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND_REDIRECT, &req) < 0 ? -errno : 0;
        }
        if (r < 0) {
                if (r != -ENOENT)
                        *ret_reason = r == -EFAULT
                                              ? "kernel refused the redirect: target not in the pin (EFAULT)"
                                              : "kernel refused the redirect";
                return r;
        }
        stat_add(&rd->stats.redirects);
        return 0;
}
