/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The attacks of the bypass matrix, in the attacking process (bypass.h).
 * Each name attack tries open, openat and openat2 on one other name for a
 * protected file and reports each; each race makes its opens while a
 * second thread changes what the path means, and counts what it got.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bypass.h"
#include "itest-util.h"
#include "macro.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

typedef enum Sc {
        SC_OPEN,
        SC_OPENAT,
        SC_OPENAT2,
        _SC_MAX,
} Sc;

static const char *const sc_names[_SC_MAX] = {"open", "openat", "openat2"};

typedef struct Tally {
        long opens, reads, pub, denied, other;
        int last_errno;
        /* The errors other than EACCES, by errno (the first few kinds). */
        struct {
                int err;
                long n;
        } errs[4];
} Tally;

/* The call as made: the fd, or -errno. */
static long do_open(Sc sc, const char *path, int flags) {
        struct open_how how = {.flags = (uint64_t) flags};
        long r;

        switch (sc) {
        case SC_OPEN:
                r = syscall(SYS_open, path, flags, 0);
                break;
        case SC_OPENAT:
                r = syscall(SYS_openat, AT_FDCWD, path, flags, 0);
                break;
        default:
                r = syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
                break;
        }
        return r < 0 ? -errno : r;
}

/*
 * Count what one call got, and close its fd. hit_on_open: any fd is a hit
 * (the read-only file opened for writing); one is written through, so the
 * driver sees the damage in the file too. Else a hit is an fd that reads
 * the secret's content.
 */
static void count(Tally *t, long r, bool hit_on_open) {
        char buf[64] = {};

        t->opens++;
        if (r < 0) {
                t->last_errno = (int) -r;
                if (r == -EACCES) {
                        t->denied++;
                        return;
                }
                t->other++;
                for (size_t i = 0; i < ELEMENTSOF(t->errs); i++)
                        if (t->errs[i].err == 0 || t->errs[i].err == -r) {
                                t->errs[i].err = (int) -r;
                                t->errs[i].n++;
                                break;
                        }
                return;
        }
        if (hit_on_open) {
                t->reads++;
                (void) !pwrite((int) r, "PWNED\n", 6, 0);
        } else if (pread((int) r, buf, sizeof(buf) - 1, 0) > 0 && strstr(buf, BYPASS_SECRET))
                t->reads++;
        else
                t->pub++;
        close((int) r);
}

static void report(const BypassParams *p, const char *variant, const Tally *t) {
        if (t->other > 0 && t->opens > 1) {
                dprintf(p->out, "D %s: other errors:", variant);
                for (size_t i = 0; i < ELEMENTSOF(t->errs) && t->errs[i].err; i++)
                        dprintf(p->out, " %s %ld", strerror(t->errs[i].err), t->errs[i].n);
                dprintf(p->out, "\n");
        }
        dprintf(p->out, "V %s %ld %ld %ld %ld %ld %d\n", variant, t->opens, t->reads, t->pub, t->denied,
                t->other, t->last_errno);
}

static int setup_failed(const BypassParams *p, const char *what) {
        dprintf(p->out, "S %s: %s\n", what, strerror(errno));
        return 1;
}

/* One name tried with each of the three calls. */
static int try_three(const BypassParams *p, const char *path, int flags, bool hit_on_open) {
        dprintf(p->out, "D path %s\n", path);
        for (Sc sc = 0; sc < _SC_MAX; sc++) {
                Tally t = {};

                count(&t, do_open(sc, path, flags | O_CLOEXEC), hit_on_open);
                report(p, sc_names[sc], &t);
        }
        return 0;
}

static const char *in_dir(const BypassParams *p, const char *name) {
        static char buf[4][PATH_MAX];
        static unsigned n;
        char *b = buf[n++ % ELEMENTSOF(buf)];

        (void) snprintf(b, PATH_MAX, "%s/%s", p->dir, name);
        return b;
}

/* An fd of D/vault, opened like anyone may (the default action). */
static int open_vault(const BypassParams *p) {
        return (int) syscall(SYS_openat, AT_FDCWD, in_dir(p, "vault"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* ------------------------------------------------------------------------ */
/* Other names for the same file.                                           */

static int attack_symlink_file(const BypassParams *p) {
        return try_three(p, in_dir(p, "link-secret"), O_RDONLY, false);
}

static int attack_symlink_dir(const BypassParams *p) {
        return try_three(p, in_dir(p, "vlink/secret"), O_RDONLY, false);
}

static int attack_dotdot_after_symlink(const BypassParams *p) {
        /* Lexically D/secret, which does not exist; the kernel walks y
         * first, to vault/sub, and ".." from there is vault. */
        return try_three(p, in_dir(p, "y/../secret"), O_RDONLY, false);
}

static int attack_proc_self_root(const BypassParams *p) {
        char path[PATH_MAX];

        (void) snprintf(path, sizeof(path), "/proc/self/root%s/vault/secret", p->dir);
        return try_three(p, path, O_RDONLY, false);
}

static int attack_proc_self_cwd(const BypassParams *p) {
        if (chdir(in_dir(p, "vault")) < 0)
                return setup_failed(p, "chdir vault");
        return try_three(p, "/proc/self/cwd/secret", O_RDONLY, false);
}

static int attack_fd_dir(const BypassParams *p, const char *prefix) {
        char path[PATH_MAX];
        int fd = open_vault(p);

        if (fd < 0)
                return setup_failed(p, "open vault");
        (void) snprintf(path, sizeof(path), "%s/%d/secret", prefix, fd);
        return try_three(p, path, O_RDONLY, false);
}

static int attack_dev_fd_dir(const BypassParams *p) {
        return attack_fd_dir(p, "/dev/fd");
}

static int attack_proc_self_fd_dir(const BypassParams *p) {
        return attack_fd_dir(p, "/proc/self/fd");
}

static int attack_reopen_for_writing(const BypassParams *p) {
        char path[PATH_MAX];
        long fd = syscall(SYS_openat, AT_FDCWD, in_dir(p, "vault/ro"), O_RDONLY | O_CLOEXEC);

        /* Reading is what the rule allows: this open must work. */
        if (fd < 0)
                return setup_failed(p, "open vault/ro read-only");
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
        return try_three(p, path, O_WRONLY, true);
}

static int attack_chroot(const BypassParams *p) {
        /* One notified call first: answered only once the daemon has taken
         * the listener, and with it the container's root (which a chroot
         * before the daemon got the handoff would already be; that race is
         * the runtime's, see SECURITY MODEL). */
        (void) close((int) syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (chroot(p->dir) < 0 || chdir("/") < 0)
                return setup_failed(p, "chroot");
        return try_three(p, "/vault/secret", O_RDONLY, false);
}

static int attack_removed_cwd(const BypassParams *p) {
        char gone[64];

        (void) snprintf(gone, sizeof(gone), "vault/gone-%d", (int) getpid());
        /* The kernel still walks ".." from a removed directory. */
        if (mkdir(in_dir(p, gone), 0755) < 0 || chdir(in_dir(p, gone)) < 0 || rmdir(in_dir(p, gone)) < 0)
                return setup_failed(p, "mkdir, chdir, rmdir");
        return try_three(p, "../secret", O_RDONLY, false);
}

static int attack_proc_pid(const BypassParams *p, const char *what) {
        char path[PATH_MAX];

        if (chdir(in_dir(p, "vault")) < 0)
                return setup_failed(p, "chdir vault");
        if (streq(what, "root"))
                (void) snprintf(path, sizeof(path), "/proc/%d/root%s/vault/secret", (int) getpid(), p->dir);
        else
                (void) snprintf(path, sizeof(path), "/proc/%d/cwd/secret", (int) getpid());
        return try_three(p, path, O_RDONLY, false);
}

static int attack_proc_pid_root(const BypassParams *p) {
        return attack_proc_pid(p, "root");
}

static int attack_proc_pid_cwd(const BypassParams *p) {
        return attack_proc_pid(p, "cwd");
}

/* openat2 scoped to a dirfd: the path is relative to it, "/" is it. */
static int attack_openat2_scoped(const BypassParams *p) {
        static const struct {
                const char *label, *path;
                uint64_t resolve;
        } tries[] = {
                {"beneath", "secret", RESOLVE_BENEATH},
                {"in-root", "secret", RESOLVE_IN_ROOT},
                {"in-root-abs", "/secret", RESOLVE_IN_ROOT},
        };
        int fd = open_vault(p);

        if (fd < 0)
                return setup_failed(p, "open vault");
        for (size_t i = 0; i < ELEMENTSOF(tries); i++) {
                struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = tries[i].resolve};
                Tally t = {};
                long r = syscall(SYS_openat2, fd, tries[i].path, &how, sizeof(how));

                count(&t, r < 0 ? -errno : r, false);
                report(p, tries[i].label, &t);
        }
        return 0;
}

/*
 * /proc/self/fd/N of a pipe: its link reads "pipe:[INO]", which is no path.
 * Whoever took that text for a path (and sent it on, pinned) would have
 * the kernel open the file of that name in the cwd: here a symlink to the
 * secret. The kernel reopens the pipe; anything but the secret is fine.
 */
static int attack_pipe_name(const BypassParams *p) {
        char name[64], cwd[64], path[64];
        struct stat st;
        int fds[2];

        (void) snprintf(cwd, sizeof(cwd), "pipe-%d", (int) getpid());
        if (pipe2(fds, O_CLOEXEC) < 0 || fstat(fds[0], &st) < 0)
                return setup_failed(p, "pipe");
        (void) snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long) st.st_ino);
        if (mkdir(in_dir(p, cwd), 0755) < 0 || chdir(in_dir(p, cwd)) < 0 ||
            symlink(in_dir(p, "vault/secret"), name) < 0)
                return setup_failed(p, "a symlink named like the pipe");
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
        /* O_NONBLOCK: a FIFO's open for reading must not wait for a writer. */
        return try_three(p, path, O_RDONLY | O_NONBLOCK, false);
}

/*
 * The positive control: the same kinds of names for the public twin open
 * it, through every call, so the name cases are not passing because
 * everything is refused (or because a pinned answer broke the open).
 */
static int attack_public_names(const BypassParams *p) {
        char names[9][PATH_MAX];
        size_t n = 0;
        int fd = open_vault(p);

        if (fd < 0 || chdir(in_dir(p, "vault")) < 0)
                return setup_failed(p, "open vault, chdir");
        (void) snprintf(names[n++], PATH_MAX, "%s/link-public", p->dir);
        (void) snprintf(names[n++], PATH_MAX, "%s/vlink/secrex", p->dir);
        (void) snprintf(names[n++], PATH_MAX, "%s/y/../secrex", p->dir);
        (void) snprintf(names[n++], PATH_MAX, "/proc/self/root%s/vault/secrex", p->dir);
        (void) snprintf(names[n++], PATH_MAX, "/proc/self/cwd/secrex");
        (void) snprintf(names[n++], PATH_MAX, "/proc/self/fd/%d/secrex", fd);
        (void) snprintf(names[n++], PATH_MAX, "/dev/fd/%d/secrex", fd);
        (void) snprintf(names[n++], PATH_MAX, "/proc/%d/cwd/secrex", (int) getpid());
        (void) snprintf(names[n++], PATH_MAX, "secrex");
        for (size_t i = 0; i < n; i++) {
                dprintf(p->out, "D path %s\n", names[i]);
                for (Sc sc = 0; sc < _SC_MAX; sc++) {
                        char label[32];
                        Tally t = {};

                        (void) snprintf(label, sizeof(label), "%zu-%s", i, sc_names[sc]);
                        count(&t, do_open(sc, names[i], O_RDONLY | O_CLOEXEC), false);
                        report(p, label, &t);
                }
        }
        for (int i = 0; i < 2; i++) {
                struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                                       .resolve = i ? RESOLVE_IN_ROOT : RESOLVE_BENEATH};
                Tally t = {};
                long r = syscall(SYS_openat2, fd, "secrex", &how, sizeof(how));

                count(&t, r < 0 ? -errno : r, false);
                report(p, i ? "openat2-in-root" : "openat2-beneath", &t);
        }
        return 0;
}

/* Out of scope (SECURITY MODEL): the same inode under a name no rule has. */
static int attack_hard_link(const BypassParams *p) {
        return try_three(p, in_dir(p, "hardlink"), O_RDONLY, false);
}

static int attack_bind_mount(const BypassParams *p) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return setup_failed(p, "a mount namespace of its own");
        if (mount(in_dir(p, "vault/secret"), in_dir(p, "bindpoint"), NULL, MS_BIND, NULL) < 0)
                return setup_failed(p, "bind mount");
        return try_three(p, in_dir(p, "bindpoint"), O_RDONLY, false);
}

/* ------------------------------------------------------------------------ */
/* Files reached with no path a filter sees.                                */

/* One IORING_OP_OPENAT of path through the mapped ring, and its completion: the fd, or -errno. */
static long uring_submit_open(const struct io_uring_params *prm, int ring, void *sq, void *cq,
                              struct io_uring_sqe *sqe, const char *path) {
        _Atomic uint32_t *sq_tail = (_Atomic uint32_t *) ((char *) sq + prm->sq_off.tail),
                         *cq_head = (_Atomic uint32_t *) ((char *) cq + prm->cq_off.head),
                         *cq_tail = (_Atomic uint32_t *) ((char *) cq + prm->cq_off.tail);
        uint32_t *array = (uint32_t *) ((char *) sq + prm->sq_off.array), tail, head;
        const struct io_uring_cqe *cqes = (const struct io_uring_cqe *) ((char *) cq + prm->cq_off.cqes);

        *sqe = (struct io_uring_sqe){
                .opcode = IORING_OP_OPENAT,
                .fd = AT_FDCWD,
                .addr = (uint64_t) (uintptr_t) path,
                .open_flags = O_RDONLY | O_CLOEXEC,
        };
        tail = atomic_load_explicit(sq_tail, memory_order_acquire);
        array[tail & (prm->sq_entries - 1)] = 0;
        atomic_store_explicit(sq_tail, tail + 1, memory_order_release);
        if (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
                return -errno;
        head = atomic_load_explicit(cq_head, memory_order_acquire);
        if (head == atomic_load_explicit(cq_tail, memory_order_acquire))
                return -EAGAIN; /* waited for one completion, none there */
        return cqes[head & (prm->cq_entries - 1)].res;
}

/*
 * IORING_OP_OPENAT through a ring of one entry: the open runs in io_uring's
 * own code, and seccomp sees io_uring_setup and io_uring_enter, never the
 * open. Raw syscalls, as liburing is no dependency. The fd, or -errno.
 */
static long uring_openat(const char *path) {
        struct io_uring_params prm = {};
        _cleanup_close_ int ring = -EBADF;
        size_t sq_size, cq_size, sqe_size;
        struct io_uring_sqe *sqe;
        void *sq, *cq;
        long r;

        ring = (int) syscall(SYS_io_uring_setup, 1, &prm);
        if (ring < 0)
                return -errno;
        sq_size = prm.sq_off.array + prm.sq_entries * sizeof(uint32_t);
        cq_size = prm.cq_off.cqes + prm.cq_entries * sizeof(struct io_uring_cqe);
        sqe_size = prm.sq_entries * sizeof(struct io_uring_sqe);
        sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
                  IORING_OFF_SQ_RING);
        cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
                  IORING_OFF_CQ_RING);
        sqe = mmap(NULL, sqe_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
        if (sq == MAP_FAILED || cq == MAP_FAILED || sqe == MAP_FAILED)
                r = -ENOMEM;
        else
                r = uring_submit_open(&prm, ring, sq, cq, sqe, path);
        if (sq != MAP_FAILED)
                (void) munmap(sq, sq_size);
        if (cq != MAP_FAILED)
                (void) munmap(cq, cq_size);
        if (sqe != MAP_FAILED)
                (void) munmap(sqe, sqe_size);
        return r;
}

static int attack_io_uring(const BypassParams *p) {
        Tally t = {};

        count(&t, uring_openat(in_dir(p, "vault/secret")), false);
        report(p, "io_uring-openat", &t);
        return 0;
}

/* name_to_handle_at of the secret (no rule names it), then open_by_handle_at: a file opened by its inode. */
static int attack_open_by_handle(const BypassParams *p) {
        struct {
                struct file_handle fh;
                unsigned char bytes[MAX_HANDLE_SZ];
        } h = {.fh.handle_bytes = MAX_HANDLE_SZ};
        _cleanup_close_ int vault = open_vault(p);
        Tally t = {};
        int mount_id;
        long r;

        if (syscall(SYS_name_to_handle_at, AT_FDCWD, in_dir(p, "vault/secret"), &h.fh, &mount_id, 0) < 0) {
                dprintf(p->out, "D name_to_handle_at: %s\n", strerror(errno));
                r = -errno;
        } else {
                r = syscall(SYS_open_by_handle_at, vault, &h.fh, O_RDONLY | O_CLOEXEC);
                r = r < 0 ? -errno : r;
        }
        count(&t, r, false);
        report(p, "open_by_handle_at", &t);
        return 0;
}

/* ------------------------------------------------------------------------ */
/* The races.                                                               */

typedef struct Race {
        const BypassParams *p;
        atomic_bool stop;
        long flips;
        int error;
        /* flip: the path buffer and its byte; the open_how whose resolve flips */
        char buf[PATH_MAX];
        size_t at;
        struct open_how how;
        char secret[PATH_MAX];
        int decoy;
        /* swap: the names exchanged */
        char d[PATH_MAX], dl[PATH_MAX], f[PATH_MAX], fl[PATH_MAX];
        char d_path[PATH_MAX];
        /* fd: the number whose file changes, the two it is a copy of */
        int n, pipe_fd, ro_fd;
        struct stat ro;
        char fd_path[64];
} Race;

static void *flipper(void *userdata) {
        Race *race = userdata;
        volatile char *c = (volatile char *) &race->buf[race->at];
        volatile uint64_t *resolve = (volatile uint64_t *) &race->how.resolve;
        long n = 0;

        /*
         * One byte of the path ("secret" or "secrex", never torn) and the
         * open_how's resolve (RESOLVE_IN_ROOT, which names the decoy, or 0,
         * the secret), one store each per round: under TCG a vCPU stops
         * between translated blocks, so a value that lived only within one
         * would never be seen.
         */
        while (!atomic_load_explicit(&race->stop, memory_order_relaxed)) {
                *c = n & 1 ? 't' : 'x';
                *resolve = n & 1 ? 0 : RESOLVE_IN_ROOT;
                n++;
        }
        race->flips = n;
        return NULL;
}

static void *dupper(void *userdata) {
        Race *race = userdata;
        long n = 0;

        /* dup2 is not notified: between the check and the kernel's walk,
         * /proc/self/fd/N is the pipe or the read-only file, in turn. */
        while (!atomic_load_explicit(&race->stop, memory_order_relaxed)) {
                if (dup2(n & 1 ? race->ro_fd : race->pipe_fd, race->n) < 0) {
                        race->error = errno;
                        break;
                }
                n++;
        }
        race->flips = n;
        return NULL;
}

static void *swapper(void *userdata) {
        Race *race = userdata;
        long n = 0;

        while (!atomic_load_explicit(&race->stop, memory_order_relaxed)) {
                if (syscall(SYS_renameat2, AT_FDCWD, race->d, AT_FDCWD, race->dl, RENAME_EXCHANGE) < 0 ||
                    syscall(SYS_renameat2, AT_FDCWD, race->f, AT_FDCWD, race->fl, RENAME_EXCHANGE) < 0) {
                        race->error = errno;
                        break;
                }
                n++;
        }
        race->flips = n;
        return NULL;
}

/* Opens in batches (one batch unless until_win) while fn's thread runs. */
static int run_race(Race *race, void *(*thread)(void *), void (*one)(Race *, long, Tally *), Tally *t,
                    size_t n_variants) {
        const BypassParams *p = race->p;
        uint64_t t0;
        pthread_t th;
        long done = 0;

        if (pthread_create(&th, NULL, thread, race) != 0) {
                dprintf(p->out, "S pthread_create\n");
                return 1;
        }
        t0 = itest_now_usec();
        for (;;) {
                long reads = 0;

                for (long i = 0; i < p->opens; i++)
                        one(race, done + i, t);
                done += p->opens;
                for (size_t v = 0; v < n_variants; v++)
                        reads += t[v].reads;
                if (!p->until_win || reads > 0 || done >= p->max_opens || race->error)
                        break;
        }
        atomic_store(&race->stop, true);
        pthread_join(th, NULL);
        if (race->error) {
                dprintf(p->out, "S the racing thread failed: %s\n", strerror(race->error));
                return 1;
        }
        dprintf(p->out, "R %ld %llu\n", race->flips, (unsigned long long) (itest_now_usec() - t0));
        return 0;
}

/*
 * An fd the task holds read-only, reopened for writing through
 * /proc/self/fd/N while a second thread makes N a pipe (no name, so no rule
 * can match it) or that fd, in turn. A hit is an fd of the read-only file
 * open for writing; nothing is written through it, so the file stays as
 * it was for the driver's last check.
 */
static void fd_one(Race *race, Sc sc, Tally *t) {
        long r = do_open(sc, race->fd_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        int fl;

        if (r < 0) {
                count(t, r, false);
                return;
        }
        fl = fcntl((int) r, F_GETFL);
        if (fstat((int) r, &st) == 0 && st.st_dev == race->ro.st_dev && st.st_ino == race->ro.st_ino &&
            fl >= 0 && (fl & O_ACCMODE) != O_RDONLY) {
                t->opens++;
                t->reads++;
                close((int) r);
                return;
        }
        /* The pipe, for writing: its content is not the secret's. */
        count(t, r, false);
}

enum { FLIP_OPEN, FLIP_OPENAT, FLIP_OPENAT2, FLIP_HOW, _FLIP_MAX };
static const char *const flip_names[_FLIP_MAX] = {"open", "openat", "openat2", "openat2-how"};

static void flip_one(Race *race, long i, Tally *t) {
        int v = (int) (i % _FLIP_MAX);
        long r;

        if (v == FLIP_HOW)
                /* What the path names depends on the resolve the kernel reads. */
                r = syscall(SYS_openat2, race->decoy, race->secret, &race->how, sizeof(race->how));
        else
                r = do_open((Sc) v, race->buf, O_RDONLY | O_CLOEXEC);
        count(&t[v], r < 0 ? -errno : r, false);
}

static int attack_race_flip(const BypassParams *p) {
        static Race race = {};
        Tally t[_FLIP_MAX] = {};
        int r;

        race.p = p;
        (void) snprintf(race.secret, sizeof(race.secret), "%s/vault/secret", p->dir);
        (void) snprintf(race.buf, sizeof(race.buf), "%s/vault/secrex", p->dir);
        race.at = strlen(race.buf) - 1;
        race.how = (struct open_how){.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
        race.decoy =
                (int) syscall(SYS_openat, AT_FDCWD, in_dir(p, "decoy"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (race.decoy < 0)
                return setup_failed(p, "open decoy");
        dprintf(p->out, "D paths %s, %s with RESOLVE_IN_ROOT or not\n", race.buf, race.secret);
        r = run_race(&race, flipper, flip_one, t, _FLIP_MAX);
        for (int v = 0; v < _FLIP_MAX; v++)
                report(p, flip_names[v], &t[v]);
        return r;
}

static const char *const fd_names[_SC_MAX] = {"fd-open", "fd-openat", "fd-openat2"};

static void fd_race_one(Race *race, long i, Tally *t) {
        Sc sc = (Sc) (i % _SC_MAX);

        fd_one(race, sc, &t[sc]);
}

static int attack_race_fd(const BypassParams *p) {
        static Race race = {};
        Tally t[_SC_MAX] = {};
        int fds[2], r;

        race.p = p;
        race.ro_fd = (int) syscall(SYS_openat, AT_FDCWD, in_dir(p, "vault/ro"), O_RDONLY | O_CLOEXEC);
        if (race.ro_fd < 0 || fstat(race.ro_fd, &race.ro) < 0)
                return setup_failed(p, "open vault/ro read-only");
        if (pipe2(fds, O_CLOEXEC) < 0)
                return setup_failed(p, "pipe");
        race.pipe_fd = fds[0];
        race.n = dup(fds[0]);
        if (race.n < 0)
                return setup_failed(p, "dup");
        (void) snprintf(race.fd_path, sizeof(race.fd_path), "/proc/self/fd/%d", race.n);
        dprintf(p->out, "D path %s\n", race.fd_path);
        r = run_race(&race, dupper, fd_race_one, t, _SC_MAX);
        for (Sc sc = 0; sc < _SC_MAX; sc++)
                report(p, fd_names[sc], &t[sc]);
        return r;
}

enum { SWAP_DIR, SWAP_FINAL };
static const char *const swap_names[2 * _SC_MAX] = {"dir-open",   "dir-openat",   "dir-openat2",
                                                    "final-open", "final-openat", "final-openat2"};

static void swap_one(Race *race, long i, Tally *t) {
        int kind = (int) (i & 1);
        Sc sc = (Sc) ((i >> 1) % _SC_MAX);

        count(&t[kind * _SC_MAX + sc],
              do_open(sc, kind == SWAP_DIR ? race->d_path : race->f, O_RDONLY | O_CLOEXEC), false);
}

static int attack_race_swap(const BypassParams *p) {
        static Race race = {};
        Tally t[2 * _SC_MAX] = {};
        int r;

        race.p = p;
        (void) snprintf(race.d, sizeof(race.d), "%s/sw/d", p->dir);
        (void) snprintf(race.dl, sizeof(race.dl), "%s/sw/dl", p->dir);
        (void) snprintf(race.f, sizeof(race.f), "%s/sw/f", p->dir);
        (void) snprintf(race.fl, sizeof(race.fl), "%s/sw/fl", p->dir);
        (void) snprintf(race.d_path, sizeof(race.d_path), "%s/sw/d/secret", p->dir);
        r = run_race(&race, swapper, swap_one, t, ELEMENTSOF(t));
        for (size_t v = 0; v < ELEMENTSOF(t); v++)
                report(p, swap_names[v], &t[v]);
        return r;
}

/* ------------------------------------------------------------------------ */

static const struct {
        const char *name;
        int (*fn)(const BypassParams *p);
} attacks[] = {
        {"symlink-file", attack_symlink_file},
        {"symlink-dir", attack_symlink_dir},
        {"dotdot-after-symlink", attack_dotdot_after_symlink},
        {"proc-self-root", attack_proc_self_root},
        {"proc-self-cwd", attack_proc_self_cwd},
        {"dev-fd-dir", attack_dev_fd_dir},
        {"proc-self-fd-dir", attack_proc_self_fd_dir},
        {"reopen-for-writing", attack_reopen_for_writing},
        {"chroot", attack_chroot},
        {"removed-cwd", attack_removed_cwd},
        {"proc-pid-root", attack_proc_pid_root},
        {"proc-pid-cwd", attack_proc_pid_cwd},
        {"openat2-scoped", attack_openat2_scoped},
        {"pipe-name", attack_pipe_name},
        {"public-names", attack_public_names},
        {"hard-link", attack_hard_link},
        {"bind-mount", attack_bind_mount},
        {"io-uring", attack_io_uring},
        {"open-by-handle", attack_open_by_handle},
        {"race-flip", attack_race_flip},
        {"race-swap", attack_race_swap},
        {"race-fd", attack_race_fd},
};

int bypass_attack(const char *name, const BypassParams *p) {
        for (size_t i = 0; i < ELEMENTSOF(attacks); i++)
                if (streq(attacks[i].name, name))
                        return attacks[i].fn(p);
        dprintf(p->out, "S no attack called %s\n", name);
        return 2;
}
