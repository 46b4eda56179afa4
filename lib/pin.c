/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Locating an arena's pin in a task's address space: PROCMAP_QUERY for what
 * is mapped where, kcmp(KCMP_VM) for which address space a task is in.
 */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "macro.h"
#include "pin.h"

/* <linux/fs.h> of 6.11; Debian 12's linux-libc-dev (6.1) lacks it. */
struct srd_procmap_query {
        uint64_t size;
        uint64_t query_flags;
        uint64_t query_addr;
        uint64_t vma_start;
        uint64_t vma_end;
        uint64_t vma_flags;
        uint64_t vma_page_size;
        uint64_t vma_offset;
        uint64_t inode;
        uint32_t dev_major;
        uint32_t dev_minor;
        uint32_t vma_name_size;
        uint32_t build_id_size;
        uint64_t vma_name_addr;
        uint64_t build_id_addr;
};
_Static_assert(sizeof(struct srd_procmap_query) == 104, "struct procmap_query is 104 bytes");
_Static_assert(offsetof(struct srd_procmap_query, dev_major) == 72, "procmap_query.dev_major at 72");

#define SRD_PROCMAP_QUERY _IOWR('f', 17, struct srd_procmap_query)
#define SRD_PROCMAP_QUERY_VMA_READABLE 0x01
#define SRD_PROCMAP_QUERY_VMA_WRITABLE 0x02
#define SRD_PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define SRD_PROCMAP_QUERY_VMA_SHARED 0x08
#define SRD_PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#define SRD_PROCMAP_QUERY_FILE_BACKED_VMA 0x20

#define SRD_KCMP_VM 1 /* <linux/kcmp.h> */

int pin_file_from_fd(int memfd, size_t size, PinFile *ret) {
        struct stat st;

        if (memfd < 0 || size == 0 || !ret)
                return -EINVAL;
        if (fstat(memfd, &st) < 0)
                return negative_errno();
        *ret = (PinFile){
                .ino = (uint64_t) st.st_ino,
                .major = major(st.st_dev),
                .minor = minor(st.st_dev),
                .size = size,
        };
        return 0;
}

int pin_maps_open(pid_t tid) {
        char p[64];
        int fd;

        if (tid <= 0)
                return -ESRCH;
        (void) snprintf(p, sizeof(p), "/proc/%d/maps", (int) tid);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        return fd;
}

static int query(int maps_fd, uint64_t addr, uint64_t flags, struct srd_procmap_query *ret) {
        *ret = (struct srd_procmap_query){
                .size = sizeof(*ret),
                .query_flags = flags,
                .query_addr = addr,
        };
        if (ioctl(maps_fd, SRD_PROCMAP_QUERY, ret) < 0)
                /* A kernel without it says ENOTTY; EINVAL would be an ioctl of
                 * some other number: either way, nothing can be verified. */
                return errno == EINVAL ? -ENOTTY : negative_errno();
        return 0;
}

static bool is_pin(const struct srd_procmap_query *q, const PinFile *f) {
        /* The whole arena from offset 0, and exactly that: PIN_INSTALL makes
         * nothing else, and a VMA cannot be split or merged once sealed. */
        return q->vma_end > q->vma_start && q->vma_end - q->vma_start == f->size && q->vma_offset == 0 &&
               q->inode == f->ino && q->dev_major == f->major && q->dev_minor == f->minor &&
               (q->vma_flags & (SRD_PROCMAP_QUERY_VMA_READABLE | SRD_PROCMAP_QUERY_VMA_SHARED |
                                SRD_PROCMAP_QUERY_VMA_WRITABLE | SRD_PROCMAP_QUERY_VMA_EXECUTABLE)) ==
                       (SRD_PROCMAP_QUERY_VMA_READABLE | SRD_PROCMAP_QUERY_VMA_SHARED);
}

int pin_verify(int maps_fd, const PinFile *f, uint64_t addr) {
        struct srd_procmap_query q;
        int r;

        if (maps_fd < 0 || !f)
                return -EINVAL;
        if (addr == 0)
                return -ENOENT;
        r = query(maps_fd, addr, 0, &q);
        if (r < 0)
                return r; /* -ENOENT: nothing mapped there */
        if (q.vma_start != addr || !is_pin(&q, f))
                return -ENOENT;
        return 0;
}

/* The lowest VMA that is a pin of f, and, with congruent, starts at an
 * address congruent to residue (mod f->size). */
static int scan(int maps_fd, const PinFile *f, bool congruent, uint64_t residue, uint64_t *ret_addr) {
        uint64_t addr = 0;

        for (;;) {
                struct srd_procmap_query q;
                int r;

                r = query(maps_fd, addr,
                          SRD_PROCMAP_QUERY_COVERING_OR_NEXT_VMA | SRD_PROCMAP_QUERY_FILE_BACKED_VMA, &q);
                if (r < 0)
                        return r; /* -ENOENT: no VMA at or above addr */
                if (is_pin(&q, f) && (!congruent || q.vma_start % f->size == residue % f->size)) {
                        *ret_addr = q.vma_start;
                        return 0;
                }
                if (q.vma_end <= addr)
                        return -EIO; /* no progress: never loop */
                addr = q.vma_end;
        }
}

int pin_find(int maps_fd, const PinFile *f, uint64_t *ret_addr) {
        if (maps_fd < 0 || !f || !ret_addr)
                return -EINVAL;
        return scan(maps_fd, f, false, 0, ret_addr);
}

int pin_find_congruent(int maps_fd, const PinFile *f, uint64_t residue, uint64_t *ret_addr) {
        if (maps_fd < 0 || !f || f->size == 0 || !ret_addr)
                return -EINVAL;
        return scan(maps_fd, f, true, residue, ret_addr);
}

/* The first address in [lo, hi) congruent to residue (mod size) with room for size bytes. */
static bool fit(uint64_t lo, uint64_t hi, size_t size, uint64_t residue, uint64_t *ret) {
        uint64_t c = lo + ((residue % size) + size - lo % size) % size;

        if (c < lo || c + size < c || c + size > hi)
                return false;
        *ret = c;
        return true;
}

int pin_free_congruent(int maps_fd, size_t size, uint64_t residue, uint64_t limit, uint64_t *ret_addr) {
        uint64_t lo = PIN_FREE_LOW;

        if (maps_fd < 0 || size == 0 || !ret_addr)
                return -EINVAL;
        for (;;) {
                struct srd_procmap_query q;
                int r;

                r = query(maps_fd, lo, SRD_PROCMAP_QUERY_COVERING_OR_NEXT_VMA, &q);
                if (r == -ENOENT)
                        /* Nothing mapped from lo up. */
                        return fit(lo, limit, size, residue, ret_addr) ? 0 : -ENOSPC;
                if (r < 0)
                        return r;
                if (fit(lo, MIN(q.vma_start, limit), size, residue, ret_addr))
                        return 0;
                if (q.vma_end >= limit)
                        return -ENOSPC;
                if (q.vma_end <= lo)
                        return -EIO;
                lo = q.vma_end;
        }
}

void pin_spaces_clear(PinSpaces *s) {
        bool no_kcmp = s->no_kcmp;

        *s = (PinSpaces){.no_kcmp = no_kcmp};
}

void pin_spaces_remember(PinSpaces *s, pid_t anchor, uint64_t addr) {
        if (anchor <= 0 || addr == 0 || s->no_kcmp)
                return;
        for (size_t i = 0; i < PIN_SPACES_MAX; i++)
                if (s->space[i].anchor == anchor || s->space[i].anchor == 0) {
                        s->space[i] = (PinSpace){.anchor = anchor, .addr = addr};
                        return;
                }
        s->space[s->next] = (PinSpace){.anchor = anchor, .addr = addr};
        s->next = (s->next + 1) % PIN_SPACES_MAX;
}

int pin_spaces_lookup(PinSpaces *s, pid_t tid, uint64_t *ret_addr) {
        if (s->no_kcmp)
                return 0;
        for (size_t i = 0; i < PIN_SPACES_MAX; i++) {
                PinSpace *e = &s->space[i];
                long r;

                if (e->anchor == 0)
                        continue;
                r = syscall(SYS_kcmp, e->anchor, tid, SRD_KCMP_VM, 0UL, 0UL);
                if (r == 0) {
                        *ret_addr = e->addr;
                        return 1;
                }
                if (r < 0 && errno == ENOSYS) {
                        s->no_kcmp = true;
                        return 0;
                }
                if (r < 0 && errno == ESRCH)
                        /* The anchor is gone; its address space may live on in
                         * other tasks, which then find their pin by a walk. */
                        e->anchor = 0;
        }
        return 0;
}

int pin_locate(PinSpaces *s, int maps_fd, pid_t tid, const PinFile *f, uint64_t hint, uint64_t *ret_addr) {
        uint64_t cand;
        int r;

        if (!s || maps_fd < 0 || !f || !ret_addr)
                return -EINVAL;

        r = pin_verify(maps_fd, f, hint);
        if (r == 0) {
                *ret_addr = hint;
                return 0;
        }
        if (r != -ENOENT)
                return r;

        if (pin_spaces_lookup(s, tid, &cand) > 0 && cand != hint) {
                r = pin_verify(maps_fd, f, cand);
                if (r == 0) {
                        *ret_addr = cand;
                        return 0;
                }
                if (r != -ENOENT)
                        return r;
        }

        r = pin_find(maps_fd, f, &cand);
        if (r < 0)
                return r;
        /* Found, so this is an address space that pinned elsewhere: the next
         * redirect of any of its tasks finds it by kcmp, without a walk. */
        pin_spaces_remember(s, tid, cand);
        *ret_addr = cand;
        return 0;
}
