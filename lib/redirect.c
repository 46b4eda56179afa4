/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Carrying out a redirect verdict: place the targets in the arena, pin the
 * arena in the task's address space, answer with SEND_REDIRECT.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "arena.h"
#include "macro.h"
#include "redirect.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(FILE *, fclose);
DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(DIR *, closedir);

/*
 * Address spaces where the usual pin address was taken, so their pin went
 * elsewhere: one entry per thread, all threads of the group added when one
 * of them finds out (a reused tid just learns through EFAULT). Rare, so a
 * plain array, bounded; the oldest entries make room.
 */
#define PIN_OVERRIDES_MAX 4096
typedef struct PinOverride {
        pid_t tid;
        uint64_t addr;
} PinOverride;

struct Redirector {
        Arena *arena;
        size_t arena_size;
        uint64_t pin_addr; /* where the first pin went, tried first everywhere */
        PinOverride *pin_overrides;
        size_t n_pin_overrides;
        size_t pin_override_next; /* the oldest, once the array is full */
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
        free(r->pin_overrides);
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
 * listener may be making it right now. */
void redirector_get_stats(const Redirector *r, SrdListenerStats *ret) {
        ret->redirects = __atomic_load_n(&r->stats.redirects, __ATOMIC_RELAXED);
        ret->pins = __atomic_load_n(&r->stats.pins, __ATOMIC_RELAXED);
        ret->arena_used = __atomic_load_n(&r->stats.arena_used, __ATOMIC_RELAXED);
        ret->arena_size = __atomic_load_n(&r->stats.arena_size, __ATOMIC_RELAXED);
}

static uint64_t pin_addr_for(const Redirector *rd, pid_t tid) {
        for (size_t i = 0; i < rd->n_pin_overrides; i++)
                if (rd->pin_overrides[i].tid == tid)
                        return rd->pin_overrides[i].addr;
        return rd->pin_addr;
}

static void pin_addr_remember_one(Redirector *rd, pid_t tid, uint64_t addr) {
        for (size_t i = 0; i < rd->n_pin_overrides; i++)
                if (rd->pin_overrides[i].tid == tid) {
                        rd->pin_overrides[i].addr = addr;
                        return;
                }
        if (!rd->pin_overrides) {
                rd->pin_overrides = calloc(PIN_OVERRIDES_MAX, sizeof(PinOverride));
                if (!rd->pin_overrides)
                        return; /* only slower: EFAULT finds the pin again */
        }
        if (rd->n_pin_overrides < PIN_OVERRIDES_MAX) {
                rd->pin_overrides[rd->n_pin_overrides++] = (PinOverride) { .tid = tid, .addr = addr };
                return;
        }
        rd->pin_overrides[rd->pin_override_next] = (PinOverride) { .tid = tid, .addr = addr };
        rd->pin_override_next = (rd->pin_override_next + 1) % PIN_OVERRIDES_MAX;
}

/* addr is where this address space has its pin: for every thread of tid's group. */
static void pin_addr_remember(Redirector *rd, pid_t tid, uint64_t addr) {
        _cleanup_(closedirp) DIR *d = NULL;
        char p[64];
        struct dirent *de;

        pin_addr_remember_one(rd, tid, addr);
        (void) snprintf(p, sizeof(p), "/proc/%d/task", (int) tid);
        d = opendir(p);
        if (!d)
                return;
        while ((de = readdir(d))) {
                int t = atoi(de->d_name);

                if (t > 0 && t != tid)
                        pin_addr_remember_one(rd, (pid_t) t, addr);
        }
}

/*
 * The arena may already be mapped in this address space somewhere other
 * than where we looked (an override we forgot): find it in the task's maps
 * by the memfd's inode rather than pin it a second time.
 */
static uint64_t find_pin(const Redirector *rd, pid_t tid) {
        _cleanup_(fclosep) FILE *f = NULL;
        char p[64], line[512];
        struct stat st;

        if (fstat(arena_memfd(rd->arena), &st) < 0)
                return 0;
        (void) snprintf(p, sizeof(p), "/proc/%d/maps", (int) tid);
        f = fopen(p, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                unsigned long long start, end, off, ino;
                unsigned maj, min;
                char perms[8];

                if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off, &maj, &min, &ino) != 7)
                        continue;
                if (ino == (unsigned long long) st.st_ino && off == 0 && end - start == arena_size(rd->arena) &&
                    makedev(maj, min) == st.st_dev && perms[0] == 'r' && perms[1] != 'w')
                        return start;
        }
        return 0;
}

/*
 * Map the arena into the task of notification id: at the address the other
 * address spaces use if it is free there (forked children then inherit the
 * same one), else wherever the kernel puts it. The task itself services the
 * request, so it lands in the right address space even if the pid was
 * reused; -ENOENT when the task is gone.
 */
static int pin_install(Redirector *rd, int fd, uint64_t id, pid_t tid, uint64_t *ret_addr) {
        struct seccomp_notif_pin_install req = {
                .id = id,
                .memfd = (uint32_t) arena_memfd(rd->arena),
                .target_addr = rd->pin_addr,
                .size = arena_size(rd->arena),
        };
        uint64_t addr;

        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_PIN_INSTALL, &req) < 0) {
                if (errno != EEXIST || req.target_addr == 0)
                        return -errno;

                addr = find_pin(rd, tid);
                if (addr) {
                        pin_addr_remember(rd, tid, addr);
                        *ret_addr = addr;
                        return 0;
                }
                req.target_addr = 0;
                if (ioctl(fd, SECCOMP_IOCTL_NOTIF_PIN_INSTALL, &req) < 0)
                        return -errno;
        }

        stat_add(&rd->stats.pins);
        if (rd->pin_addr == 0)
                rd->pin_addr = req.target_addr;
        else if (req.target_addr != rd->pin_addr)
                pin_addr_remember(rd, tid, req.target_addr);
        *ret_addr = req.target_addr;
        return 0;
}

/*
 * openat2 reads its struct open_how after our answer, so a sibling thread
 * could change RESOLVE_* under us; the copy we read goes into the arena and
 * the call gets pointed at it, like the path. RESOLVE_BENEATH and
 * RESOLVE_IN_ROOT resolve even an absolute path inside the dirfd: the
 * target would be looked up somewhere else, so that is a fallback.
 */
static int redirect_open_how(Redirector *rd, const ProcmemOpenHow *how, struct seccomp_notif_resp_redirect *req,
                             unsigned h, uint64_t offset[SRD_ARGS], const char **ret_reason) {
        int r;

        if (!how || h >= SRD_ARGS) {
                *ret_reason = "openat2's struct open_how could not be read";
                return -EFAULT;
        }
        if (how->resolve & (PROCMEM_RESOLVE_BENEATH | PROCMEM_RESOLVE_IN_ROOT)) {
                *ret_reason = "openat2 with RESOLVE_BENEATH or RESOLVE_IN_ROOT would look the target up inside its dirfd";
                return -EXDEV;
        }
        r = arena_place_bytes(rd->arena, how->bytes, how->size, &offset[h]);
        stat_set(&rd->stats.arena_used, arena_used(rd->arena));
        if (r == -ENOSPC) {
                *ret_reason = "redirect arena full (see --arena-size)";
                return r;
        }
        if (r < 0) {
                *ret_reason = "cannot place openat2's struct open_how";
                return r;
        }
        req->args_mask |= 1u << h;
        req->ptr_mask |= 1u << h;
        req->ptr_len[h] = how->size;
        /* Only the struct the kernel knows was copied (a larger one only
         * added zeros): its size goes with it. */
        if (h + 1 < SRD_ARGS) {
                req->args_mask |= 1u << (h + 1);
                req->args[h + 1] = how->size;
        }
        return 0;
}

/*
 * Answer with SEND_REDIRECT: every path in v->path_mask points at its target
 * in the pinned arena, every scalar in v->args_mask takes its new value, in
 * one answer. The first redirect of an address space pins the arena there;
 * EFAULT means the task's address space has no pin where we thought (it
 * exec'd, or is a new one): pin, and try once more.
 *
 * 0 answered; -ENOENT task gone; other errors leave the notification pending
 * for the fallback answer, with *ret_reason saying why.
 */
int redirector_send(Redirector *rd, int fd, const struct seccomp_notif *n, const SrdVerdict *v,
                    const ProcmemOpenHow *how, const char **ret_reason) {
        struct seccomp_notif_resp_redirect req = {
                .id = n->id,
                .flags = SECCOMP_REDIRECT_FLAG_CONTINUE,
        };
        const SrdSyscallInfo *info = srd_syscall_info(n->data.nr);
        uint64_t offset[SRD_ARGS] = {}, addr = 0;
        pid_t tid = (pid_t) n->pid;
        bool pinned_now = false;
        int r;

        for (unsigned i = 0; i < SRD_ARGS; i++)
                if (v->args_mask & (1u << i)) {
                        req.args_mask |= 1u << i;
                        req.args[i] = v->args[i];
                }

        for (unsigned i = 0; i < SRD_MAX_PATHS; i++) {
                unsigned a;
                size_t len;

                if (!(v->path_mask & (1u << i)))
                        continue;
                if (!info || i >= info->n_paths) {
                        *ret_reason = "the syscall has no such path argument";
                        return -EINVAL;
                }
                a = (unsigned) info->paths[i].arg;

                if (!rd->arena) {
                        r = arena_new(rd->arena_size, &rd->arena);
                        if (r < 0) {
                                *ret_reason = "cannot make the redirect arena";
                                return r;
                        }
                        stat_set(&rd->stats.arena_size, arena_size(rd->arena));
                }
                len = strlen(v->to[i]);
                r = arena_place(rd->arena, v->to[i], len, &offset[a]);
                stat_set(&rd->stats.arena_used, arena_used(rd->arena));
                if (r == -ENOSPC) {
                        *ret_reason = "redirect arena full (see --arena-size)";
                        return r;
                }
                if (r < 0) {
                        *ret_reason = "cannot place the redirect target";
                        return r;
                }
                /* A path wins over a "set" of the same argument. */
                req.args_mask |= 1u << a;
                req.ptr_mask |= 1u << a;
                req.ptr_len[a] = len + 1;

                if (info->paths[i].how_arg >= 0) {
                        r = redirect_open_how(rd, how, &req, (unsigned) info->paths[i].how_arg, offset, ret_reason);
                        if (r < 0)
                                return r;
                }
        }

        if (req.ptr_mask) {
                req.memfd = (uint32_t) arena_memfd(rd->arena);
                addr = pin_addr_for(rd, tid);
                if (addr == 0) {
                        r = pin_install(rd, fd, n->id, tid, &addr);
                        if (r < 0)
                                goto pin_failed;
                        pinned_now = true;
                }
        }

        for (unsigned attempt = 0;; attempt++) {
                for (unsigned a = 0; a < SRD_ARGS; a++)
                        if (req.ptr_mask & (1u << a))
                                req.args[a] = addr + offset[a];

                if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND_REDIRECT, &req) >= 0) {
                        stat_add(&rd->stats.redirects);
                        return 0;
                }
                r = -errno;
                if (r == -ENOENT)
                        return r;
                if (r != -EFAULT || pinned_now || attempt > 0) {
                        *ret_reason = r == -EFAULT ? "kernel refused the redirect: target not in the pin (EFAULT)"
                                                   : "kernel refused the redirect";
                        return r;
                }

                /* exec'd (the pin went with the old address space), or an
                 * address space that never had one: pin, retry once. */
                r = pin_install(rd, fd, n->id, tid, &addr);
                if (r < 0)
                        goto pin_failed;
                pinned_now = true;
        }

pin_failed:
        if (r != -ENOENT)
                *ret_reason = "cannot pin the redirect arena in the task";
        return r;
}

