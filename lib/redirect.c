/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Carrying out a redirect verdict: place the targets in the arena, find or
 * make the arena's pin in the task's address space, answer with
 * SEND_REDIRECT.
 *
 * Generations. Bytes a redirect pointed at are never written again: the task
 * reads them after the answer, its other threads may be in flight, and an
 * outer listener may read them too. So an arena is only ever appended to,
 * and when the targets of a call do not fit any more, the next call starts a
 * new generation: a fresh sealed memfd, pinned anew in each address space on
 * its first redirect there. The old one is dropped at once (our mapping and
 * fd): only one thread answers for a listener, and every SEND_REDIRECT that
 * pointed into it has been answered; its pins keep its bytes for the tasks
 * that still have them, until they exec or exit.
 *
 * Pin addresses are never guessed: every pointer sent is the start of a pin
 * verified in the notifying task's current address space (pin.h).
 */

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arena.h"
#include "macro.h"
#include "pin.h"
#include "redirect.h"

struct Redirector {
        size_t arena_size;

        /* The current generation; 0 and NULL before the first path redirect. */
        uint64_t generation;
        Arena *arena;
        PinFile pin_file; /* its memfd, as the kernel names the file of a mapping */
        uint64_t pin_addr; /* where its first pin went, tried first everywhere */
        PinSpaces spaces; /* address spaces that pinned it elsewhere */

        SrdListenerStats stats; /* relaxed atomics: read by other threads */
};

int redirector_new(Redirector **ret) {
        Redirector *r;

        if (!ret)
                return -EINVAL;
        r = calloc(1, sizeof(Redirector));
        if (!r)
                return -ENOMEM;
        r->arena_size = SRD_ARENA_SIZE_DEFAULT;
        *ret = r;
        return 0;
}

Redirector *redirector_free(Redirector *r) {
        if (!r)
                return NULL;
        arena_free(r->arena);
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
        pin_spaces_clear(&rd->spaces);
        rd->generation++;
        stat_set(&rd->stats.arena_size, arena_size(rd->arena));
        stat_set(&rd->stats.arena_used, arena_used(rd->arena));
        return 0;
}

static int place_all(Arena *a, const RedirectItem *items, size_t n, uint64_t *ret_offsets) {
        for (size_t i = 0; i < n; i++) {
                int r = items[i].blob ? arena_place_bytes(a, items[i].data, items[i].len, &ret_offsets[i])
                                      : arena_place(a, items[i].data, items[i].len, &ret_offsets[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int redirector_place(Redirector *rd, const RedirectItem *items, size_t n, uint64_t *ret_offsets) {
        int r;

        if (!rd || (n > 0 && (!items || !ret_offsets)))
                return -EINVAL;

        if (!rd->arena) {
                r = generation_new(rd);
                if (r < 0)
                        return r;
        }
        /* All of one call in one generation: SEND_REDIRECT names one memfd.
         * What a full generation took before saying ENOSPC is only unused. */
        r = place_all(rd->arena, items, n, ret_offsets);
        if (r == -ENOSPC) {
                r = generation_new(rd);
                if (r < 0)
                        return r;
                r = place_all(rd->arena, items, n, ret_offsets);
                if (r == -ENOSPC)
                        /* Not even an empty arena holds them: --arena-size is too small. */
                        r = -E2BIG;
        }
        stat_set(&rd->stats.arena_used, arena_used(rd->arena));
        return r;
}

/*
 * Map the current generation into the task of notification id: at the
 * address its first pin got if that is free there (forked children then
 * inherit the same one), else wherever the kernel puts it. The task itself
 * services the request, so it lands in the notifying task's address space;
 * -ENOENT when the task is gone.
 */
static int pin_install(Redirector *rd, int fd, uint64_t id, pid_t tid, uint64_t *ret_addr) {
        struct seccomp_notif_pin_install req = {
                .id = id,
                .memfd = (uint32_t) arena_memfd(rd->arena),
                .target_addr = rd->pin_addr,
                .size = arena_size(rd->arena),
        };

        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_PIN_INSTALL, &req) < 0) {
                if (errno != EEXIST || req.target_addr == 0)
                        return -errno;
                /* Taken there (pin_locate() already knows it is not our pin). */
                req.target_addr = 0;
                if (ioctl(fd, SECCOMP_IOCTL_NOTIF_PIN_INSTALL, &req) < 0)
                        return -errno;
        }

        stat_add(&rd->stats.pins);
        if (rd->pin_addr == 0)
                rd->pin_addr = req.target_addr;
        else if (req.target_addr != rd->pin_addr)
                pin_spaces_remember(&rd->spaces, tid, req.target_addr);
        *ret_addr = req.target_addr;
        return 0;
}

/*
 * The address of the current generation's pin in the notifying task's
 * address space, verified there; pinned first if it has none.
 */
static int pin_address(Redirector *rd, int fd, uint64_t id, pid_t tid, uint64_t *ret_addr,
                       const char **ret_reason) {
        _cleanup_close_ int maps_fd = -EBADF;
        uint64_t addr;
        int r;

        /* Opened while the notification is pending: this is the mm the
         * redirected call will run in (pin.h). */
        maps_fd = pin_maps_open(tid);
        if (maps_fd < 0) {
                *ret_reason = "cannot open the task's maps to find the arena's pin";
                return maps_fd;
        }

        r = pin_locate(&rd->spaces, maps_fd, tid, &rd->pin_file, rd->pin_addr, &addr);
        if (r == -ENOENT) {
                /* Not pinned in this address space (new, or exec'd). */
                r = pin_install(rd, fd, id, tid, &addr);
                if (r == -ENOENT)
                        return r;
                if (r < 0) {
                        *ret_reason = "cannot pin the redirect arena in the task";
                        return r;
                }
                /* What the kernel says it did is checked like the rest. */
                r = pin_verify(maps_fd, &rd->pin_file, addr);
        }
        if (r < 0) {
                *ret_reason = r == -ENOTTY ? "cannot verify the arena's pin: no PROCMAP_QUERY in this kernel"
                                           : "cannot verify the arena's pin in the task";
                return r;
        }
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
static int collect(int nr, const SrdVerdict *v, const RedirectPin *pins, const ProcmemOpenHow *how,
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
                        items[n_items++] = (RedirectItem){.data = v->to[i], .len = strlen(v->to[i])};
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

        return collect(n->data.nr, v, NULL, how, &how_buf, items, item_arg, &n_items, ret_reason, ret_error);
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
        int r;

        r = collect(n->data.nr, v, pins, how, &how_buf, items, item_arg, &n_items, ret_reason, ret_error);
        if (r < 0)
                return r;

        for (unsigned i = 0; v && i < SRD_ARGS; i++)
                if (v->args_mask & (1u << i)) {
                        req.args_mask |= 1u << i;
                        req.args[i] = v->args[i];
                }

        if (n_items > 0) {
                r = redirector_place(rd, items, n_items, offset);
                if (r < 0) {
                        *ret_reason = r == -E2BIG ? "the targets of this call exceed the redirect arena "
                                                    "(see --arena-size)"
                                                  : "cannot place the redirect target";
                        if (r == -E2BIG)
                                *ret_error = ENAMETOOLONG;
                        return r;
                }
                r = pin_address(rd, fd, n->id, (pid_t) n->pid, &addr, ret_reason);
                if (r < 0)
                        return r;

                req.memfd = (uint32_t) arena_memfd(rd->arena);
                for (size_t k = 0; k < n_items; k++) {
                        unsigned a = item_arg[k];

                        /* A path wins over a "set" of the same argument. */
                        req.args_mask |= 1u << a;
                        req.ptr_mask |= 1u << a;
                        req.args[a] = addr + offset[k];
                        req.ptr_len[a] = items[k].len + (items[k].blob ? 0 : 1);
                        /* openat2's size goes with the copy of the struct it sized. */
                        if (items[k].blob && a + 1 < SRD_ARGS) {
                                req.args_mask |= 1u << (a + 1);
                                req.args[a + 1] = items[k].len;
                        }
                }
        }

        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND_REDIRECT, &req) < 0) {
                r = -errno;
                if (r != -ENOENT)
                        *ret_reason = r == -EFAULT
                                              ? "kernel refused the redirect: target not in the pin (EFAULT)"
                                              : "kernel refused the redirect";
                return r;
        }
        stat_add(&rd->stats.redirects);
        return 0;
}
