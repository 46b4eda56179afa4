/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Finding an arena's pin in a task's address space: only the exact start of
 * a whole read-only shared mapping of the memfd counts; a shifted address, a
 * writable mapping, another file, a crafted file name, a stale anchor or a
 * reused tid never pass for one. The "pins" here are plain read-only
 * mappings of a sealed memfd (PIN_INSTALL needs the patched kernel); what
 * is checked is the same VMA either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "macro.h"
#include "pin.h"
#include "tests.h"

#define ARENA_SIZE ((size_t) 64 * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(Arena *, arena_free);

static void killp(pid_t *pid) {
        if (*pid > 0) {
                (void) kill(*pid, SIGKILL);
                (void) waitpid(*pid, NULL, 0);
        }
}
#define _cleanup_kill_ _cleanup_(killp)

static void *map_pin(const Arena *a, void *at) {
        return mmap(at, arena_size(a), PROT_READ, MAP_SHARED | (at ? MAP_FIXED_NOREPLACE : 0),
                    arena_memfd(a), 0);
}

/* A hole of n bytes nobody uses, to place mappings at known addresses. */
static uint8_t *hole(size_t n) {
        void *p = mmap(NULL, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p == MAP_FAILED)
                return NULL;
        (void) munmap(p, n);
        return p;
}

typedef int (*child_fn)(const Arena *a, void *userdata);

/* Fork, run fn in the child (0: ready), then the child waits to be killed. */
static pid_t child(const Arena *a, child_fn fn, void *userdata) {
        int p[2];
        char c;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                c = (char) fn(a, userdata);
                (void) write(p[1], &c, 1);
                for (;;)
                        pause();
        }
        close(p[1]);
        if (read(p[0], &c, 1) != 1 || c != 0) {
                close(p[0]);
                killp(&pid);
                return -EIO;
        }
        close(p[0]);
        return pid;
}

static int locate_in(pid_t pid, PinSpaces *s, const PinFile *f, uint64_t hint, uint64_t *ret) {
        _cleanup_close_ int fd = pin_maps_open(pid);

        if (fd < 0)
                return fd;
        return pin_locate(s, fd, pid, f, hint, ret);
}

TEST(only_the_exact_start_of_a_whole_read_only_mapping_is_a_pin) {
        _cleanup_(arena_freep) Arena *a = NULL, *other = NULL;
        _cleanup_close_ int fd = -EBADF;
        PinFile f, half;
        uint8_t *m;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        ASSERT_OK(arena_new(ARENA_SIZE, &other));
        ASSERT_OK(pin_file_from_fd(arena_memfd(a), arena_size(a), &f));
        m = map_pin(a, NULL);
        ASSERT_TRUE(m != MAP_FAILED);
        fd = pin_maps_open(getpid());
        ASSERT_OK(fd);

        ASSERT_OK(pin_verify(fd, &f, (uint64_t) (uintptr_t) m));
        /* Inside the pin but not its start: the kernel would take it, we do not. */
        ASSERT_ERROR(pin_verify(fd, &f, (uint64_t) (uintptr_t) m + 4096), ENOENT);
        ASSERT_ERROR(pin_verify(fd, &f, (uint64_t) (uintptr_t) m + 1), ENOENT);
        ASSERT_ERROR(pin_verify(fd, &f, 0), ENOENT);
        /* Our own writable mapping of the same memfd is not a pin. */
        ASSERT_ERROR(pin_verify(fd, &f, (uint64_t) (uintptr_t) arena_peek(a, 0)), ENOENT);
        /* Another memfd at that address is not ours. */
        ASSERT_OK(pin_file_from_fd(arena_memfd(other), arena_size(other), &half));
        ASSERT_ERROR(pin_verify(fd, &half, (uint64_t) (uintptr_t) m), ENOENT);
        /* A mapping of only part of the arena is not a pin of it. */
        half = f;
        half.size = f.size / 2;
        ASSERT_ERROR(pin_verify(fd, &half, (uint64_t) (uintptr_t) m), ENOENT);
        (void) munmap(m, arena_size(a));
        ASSERT_ERROR(pin_verify(fd, &f, (uint64_t) (uintptr_t) m), ENOENT);
}

TEST(a_walk_finds_the_pin_and_nothing_where_there_is_none) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_close_ int fd = -EBADF;
        uint64_t addr = 0;
        PinFile f;
        uint8_t *m;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        ASSERT_OK(pin_file_from_fd(arena_memfd(a), arena_size(a), &f));
        fd = pin_maps_open(getpid());
        ASSERT_OK(fd);
        /* Only our writable mapping so far. */
        ASSERT_ERROR(pin_find(fd, &f, &addr), ENOENT);
        m = map_pin(a, NULL);
        ASSERT_TRUE(m != MAP_FAILED);
        ASSERT_OK(pin_find(fd, &f, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) m);
        (void) munmap(m, arena_size(a));
}

typedef struct Layout {
        uint8_t *pin; /* where the child's pin goes */
        uint8_t *decoy; /* what the child maps at the parent's address (NULL: leave it) */
        uint8_t *parent;
} Layout;

static int move_pin(const Arena *a, void *userdata) {
        const Layout *l = userdata;

        /* As after an execve and a new pin elsewhere: the inherited one gone. */
        if (munmap(l->parent, arena_size(a)) < 0)
                return 1;
        if (map_pin(a, l->pin) != l->pin)
                return 2;
        if (l->decoy && mmap(l->decoy, arena_size(a), PROT_READ,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != l->decoy)
                return 3;
        return 0;
}

TEST(a_forked_child_whose_pin_sits_elsewhere_is_pointed_at_its_own) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_kill_ pid_t c1 = 0, c2 = 0;
        PinSpaces s = {};
        uint64_t addr = 0;
        PinFile f;
        uint8_t *base, *m;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        ASSERT_OK(pin_file_from_fd(arena_memfd(a), arena_size(a), &f));
        base = hole(8 * ARENA_SIZE);
        ASSERT_NOT_NULL(base);
        m = map_pin(a, base + 2 * ARENA_SIZE);
        ASSERT_TRUE(m == base + 2 * ARENA_SIZE);
        /* The parent's pin is the usual address, and it is an anchor too. */
        pin_spaces_remember(&s, getpid(), (uint64_t) (uintptr_t) m);
        ASSERT_OK(locate_in(getpid(), &s, &f, (uint64_t) (uintptr_t) m, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) m);

        /* Elsewhere, with something else at the parent's address. */
        c1 = child(a, move_pin, &(Layout){.pin = base + 5 * ARENA_SIZE, .decoy = m, .parent = m});
        ASSERT_OK(c1);
        ASSERT_OK(locate_in(c1, &s, &f, (uint64_t) (uintptr_t) m, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) (base + 5 * ARENA_SIZE));
        /* Found by a walk, so now by kcmp: c1's own entry, not the parent's. */
        addr = 0;
        ASSERT_EQ(pin_spaces_lookup(&s, c1, &addr), 1);
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) (base + 5 * ARENA_SIZE));

        /* One page below the parent's address: the usual address lies inside
         * the child's pin, the shifted pointer the kernel would accept. */
        c2 = child(a, move_pin, &(Layout){.pin = m - 4096, .parent = m});
        ASSERT_OK(c2);
        ASSERT_OK(locate_in(c2, &s, &f, (uint64_t) (uintptr_t) m, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) (m - 4096));
        (void) munmap(m, arena_size(a));
}

static int exec_sleep(const Arena *a, void *userdata) {
        (void) a;
        (void) userdata;
        return 0;
}

TEST(after_exec_the_old_pin_is_gone_and_nothing_is_found) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_kill_ pid_t pid = 0;
        PinSpaces s = {};
        uint64_t addr = 0;
        PinFile f;
        uint8_t *m;
        int p[2];
        char c;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        ASSERT_OK(pin_file_from_fd(arena_memfd(a), arena_size(a), &f));
        m = map_pin(a, NULL);
        ASSERT_TRUE(m != MAP_FAILED);
        (void) exec_sleep;

        ASSERT_OK(pipe2(p, O_CLOEXEC));
        pid = fork();
        ASSERT_OK(pid);
        if (pid == 0) {
                /* Wait until the parent has looked at the inherited pin. */
                close(p[1]);
                (void) read(p[0], &c, 1);
                execl("/bin/sleep", "sleep", "60", (char *) NULL);
                _exit(127);
        }
        close(p[0]);
        pin_spaces_remember(&s, pid, (uint64_t) (uintptr_t) m);
        ASSERT_OK(locate_in(pid, &s, &f, (uint64_t) (uintptr_t) m, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) m);
        close(p[1]); /* go */

        /* Same tid, new mm: wait for the exec to show in /proc (sleep may
         * be busybox, so: any program but ours). */
        for (int i = 0; i < 500; i++) {
                char exe[PATH_MAX], self[PATH_MAX], link[64];
                ssize_t n, k;

                (void) snprintf(link, sizeof(link), "/proc/%d/exe", (int) pid);
                n = readlink(link, exe, sizeof(exe) - 1);
                k = readlink("/proc/self/exe", self, sizeof(self) - 1);
                if (n > 0 && k > 0 && (n != k || memcmp(exe, self, (size_t) n) != 0))
                        break;
                usleep(10000);
        }
        /* The kcmp entry (anchor = this very tid) and the usual address both
         * point at nothing now: the redirector must pin anew. */
        ASSERT_ERROR(locate_in(pid, &s, &f, (uint64_t) (uintptr_t) m, &addr), ENOENT);
        (void) munmap(m, arena_size(a));
}

/*
 * What the 512-byte fgets() of /proc/PID/maps used to do: each chunk of a
 * longer line was parsed as a line of its own. The negative control: it
 * must fall for the crafted mapping below, else that test proves nothing.
 */
static uint64_t old_find_pin(pid_t pid, const PinFile *f) {
        char p[64], line[512];
        FILE *m;

        (void) snprintf(p, sizeof(p), "/proc/%d/maps", (int) pid);
        m = fopen(p, "re");
        if (!m)
                return 0;
        while (fgets(line, sizeof(line), m)) {
                unsigned long long start, end, off, ino;
                unsigned maj, min;
                char perms[8];

                if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off, &maj, &min,
                           &ino) != 7)
                        continue;
                if (ino == f->ino && off == 0 && end - start == f->size && maj == f->major &&
                    min == f->minor && perms[0] == 'r' && perms[1] != 'w') {
                        fclose(m);
                        return start;
                }
        }
        fclose(m);
        return 0;
}

/* The column where the file name of the mapping at addr starts in our maps. */
static long name_column(uint64_t addr) {
        char *line = NULL, want[32];
        size_t n = 0;
        long col = -1;
        FILE *m = fopen("/proc/self/maps", "re");

        if (!m)
                return -1;
        (void) snprintf(want, sizeof(want), "%llx-", (unsigned long long) addr);
        while (getline(&line, &n, m) > 0)
                if (strncmp(line, want, strlen(want)) == 0) {
                        char *slash = strchr(line, '/');

                        col = slash ? slash - line : -1;
                        break;
                }
        free(line);
        fclose(m);
        return col;
}

TEST(a_4000_byte_file_name_crafted_as_an_arena_line_is_not_a_pin) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_close_ int fd = -EBADF, file = -EBADF;
        char top[] = "/tmp/srd-pin-XXXXXX", path[4200], first[128], forged[256];
        const uint64_t fake = 0x100000000ULL;
        uint64_t addr = 0;
        size_t len;
        long col;
        PinFile f;
        void *m;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        ASSERT_OK(pin_file_from_fd(arena_memfd(a), arena_size(a), &f));
        ASSERT_NOT_NULL(mkdtemp(top));

        /* Map a file, learn where its name starts in its maps line... */
        (void) snprintf(first, sizeof(first), "%s/f", top);
        file = open(first, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_OK(file);
        ASSERT_OK(ftruncate(file, 4096));
        m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, file, 0);
        ASSERT_TRUE(m != MAP_FAILED);
        col = name_column((uint64_t) (uintptr_t) m);
        ASSERT_TRUE(col > 0 && col < 300);

        /* ...then rename it so that a 511-byte read of that line stops right
         * before a forged line naming the arena's inode at a made-up address. */
        len = (size_t) snprintf(path, sizeof(path), "%s", top);
        while (len + 1 + 100 < (size_t) (511 - col)) {
                len += (size_t) snprintf(path + len, sizeof(path) - len, "/%0100d", 0);
                ASSERT_OK(mkdir(path, 0700) < 0 ? -errno : 0);
        }
        /* One more directory whose name ends exactly at column 510. */
        {
                size_t pad = (size_t) (511 - col) - len - 1 - 1;

                path[len++] = '/';
                memset(path + len, 'p', pad);
                len += pad;
                path[len] = '\0';
                ASSERT_OK(mkdir(path, 0700) < 0 ? -errno : 0);
                path[len++] = '/';
                path[len] = '\0';
        }
        ASSERT_EQ((long) len + col, 511);
        (void) snprintf(forged, sizeof(forged),
                        "%llx-%llx r--s 00000000 %x:%x %llu   memfd:seccomp-redirectd-arena",
                        (unsigned long long) fake, (unsigned long long) (fake + f.size), f.major, f.minor,
                        (unsigned long long) f.ino);
        ASSERT_TRUE(strlen(forged) < 200);
        len += (size_t) snprintf(path + len, sizeof(path) - len, "%s", forged);
        ASSERT_OK(mkdir(path, 0700) < 0 ? -errno : 0);
        while (len < 3990) {
                len += (size_t) snprintf(path + len, sizeof(path) - len, "/%0*d", (int) MIN(200, 3994 - len),
                                         0);
                ASSERT_OK(mkdir(path, 0700) < 0 ? -errno : 0);
        }
        len += (size_t) snprintf(path + len, sizeof(path) - len, "/file");
        ASSERT_TRUE(len >= 4000);
        ASSERT_OK(rename(first, path) < 0 ? -errno : 0);

        /* The old parser is fooled: the test has teeth. */
        ASSERT_EQ(old_find_pin(getpid(), &f), fake);

        fd = pin_maps_open(getpid());
        ASSERT_OK(fd);
        ASSERT_ERROR(pin_verify(fd, &f, fake), ENOENT);
        ASSERT_ERROR(pin_find(fd, &f, &addr), ENOENT);

        (void) munmap(m, 4096);
        (void) unlink(path);
        /* Best effort: the directories go with the tmpdir cleaner otherwise. */
        for (char *s; (s = strrchr(path, '/')) && s >= path + strlen(top); *s = '\0')
                (void) rmdir(path);
        (void) rmdir(top);
}

static pid_t clone_with_tid(pid_t tid) {
        struct clone_args args = {
                .exit_signal = SIGCHLD,
                .set_tid = (uint64_t) (uintptr_t) &tid,
                .set_tid_size = 1,
        };

        return (pid_t) syscall(SYS_clone3, &args, sizeof(args));
}

static int pin_at(const Arena *a, void *userdata) {
        return map_pin(a, userdata) == userdata ? 0 : 1;
}

TEST(a_tid_reused_by_another_process_gets_that_process_pin) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_kill_ pid_t again = 0;
        pid_t first;
        PinSpaces s = {};
        uint64_t addr = 0;
        PinFile f;
        uint8_t *base;
        int p[2];
        char c;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        ASSERT_OK(pin_file_from_fd(arena_memfd(a), arena_size(a), &f));
        base = hole(8 * ARENA_SIZE);
        ASSERT_NOT_NULL(base);

        /* First process: pinned at base + 1 slot, remembered by its tid. */
        first = child(a, pin_at, base + ARENA_SIZE);
        ASSERT_OK(first);
        ASSERT_OK(locate_in(first, &s, &f, 0, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) (base + ARENA_SIZE));
        (void) kill(first, SIGKILL);
        (void) waitpid(first, NULL, 0);

        /* Another process with the same tid, pinned one page lower: the old
         * address falls inside its pin. */
        ASSERT_OK(pipe2(p, O_CLOEXEC));
        again = clone_with_tid(first);
        if (again < 0 && (errno == EPERM || errno == ENOSYS || errno == EEXIST)) {
                again = 0;
                close(p[0]);
                close(p[1]);
                SKIP("cannot choose a pid here (clone3 set_tid)");
        }
        ASSERT_OK(again);
        if (again == 0) {
                c = (char) pin_at(a, base + ARENA_SIZE - 4096);
                (void) write(p[1], &c, 1);
                for (;;)
                        pause();
        }
        close(p[1]);
        ASSERT_EQ(read(p[0], &c, 1), 1);
        close(p[0]);
        ASSERT_EQ(c, 0);
        ASSERT_EQ(again, first);

        /* kcmp still says "same mm" for the entry (the anchor tid is the new
         * process itself); verification refuses the old address. */
        ASSERT_EQ(pin_spaces_lookup(&s, again, &addr), 1);
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) (base + ARENA_SIZE));
        ASSERT_OK(locate_in(again, &s, &f, 0, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) (base + ARENA_SIZE - 4096));
}

TEST(kcmp_tells_address_spaces_apart) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_kill_ pid_t c = 0;
        PinSpaces s = {};
        uint64_t addr = 0;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        if (syscall(SYS_kcmp, getpid(), getpid(), 1, 0UL, 0UL) < 0 && errno == ENOSYS)
                SKIP("no kcmp (CONFIG_KCMP) here");
        pin_spaces_remember(&s, getpid(), 0x10000);
        ASSERT_EQ(pin_spaces_lookup(&s, getpid(), &addr), 1);
        ASSERT_EQ(addr, (uint64_t) 0x10000);
        c = child(a, exec_sleep, NULL);
        ASSERT_OK(c);
        ASSERT_EQ(pin_spaces_lookup(&s, c, &addr), 0);
        pin_spaces_clear(&s);
        ASSERT_EQ(pin_spaces_lookup(&s, getpid(), &addr), 0);
}

TEST(only_a_whole_pin_at_a_congruent_address_is_found) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        uint8_t *h, *base, *m1, *m2;
        uint64_t addr, residue;
        PinFile f;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        size = arena_size(a);
        ASSERT_OK(pin_file_from_fd(arena_memfd(a), size, &f));
        h = hole(8 * size);
        ASSERT_NOT_NULL(h);
        /* base: congruent to 0 mod size, inside the hole. */
        base = h + (size - (uintptr_t) h % size) % size;
        residue = (uint64_t) (uintptr_t) base % size;
        fd = pin_maps_open(getpid());
        ASSERT_OK(fd);

        /* A pin a page off the residue is not taken... */
        m1 = map_pin(a, base + 4096);
        ASSERT_TRUE(m1 == base + 4096);
        ASSERT_ERROR(pin_find_congruent(fd, &f, residue, &addr), ENOENT);
        /* ...though it is the residue it is congruent to. */
        ASSERT_OK(pin_find_congruent(fd, &f, residue + 4096, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) m1);
        /* A congruent one is. */
        m2 = map_pin(a, base + 3 * size);
        ASSERT_TRUE(m2 == base + 3 * size);
        ASSERT_OK(pin_find_congruent(fd, &f, residue, &addr));
        ASSERT_EQ(addr, (uint64_t) (uintptr_t) m2);
        (void) munmap(m1, size);
        (void) munmap(m2, size);
}

TEST(a_free_congruent_address_is_free_congruent_and_above_the_floor) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t size;
        uint64_t addr, addr2, residue = 5 * 4096;
        uint8_t *m;

        ASSERT_OK(arena_new(ARENA_SIZE, &a));
        size = arena_size(a);
        fd = pin_maps_open(getpid());
        ASSERT_OK(fd);

        ASSERT_OK(pin_free_congruent(fd, size, residue, (uint64_t) 1 << 47, &addr));
        ASSERT_EQ(addr % size, residue);
        ASSERT_TRUE(addr >= PIN_FREE_LOW);
        /* Free: a fixed, no-replace mapping goes there. */
        m = map_pin(a, (void *) (uintptr_t) addr);
        ASSERT_TRUE(m == (void *) (uintptr_t) addr);
        /* And the next one goes elsewhere. */
        ASSERT_OK(pin_free_congruent(fd, size, residue, (uint64_t) 1 << 47, &addr2));
        ASSERT_TRUE(addr2 >= addr + size);
        ASSERT_EQ(addr2 % size, residue);
        /* Below a limit nothing fits: -ENOSPC, not an address above it. */
        ASSERT_ERROR(pin_free_congruent(fd, size, residue, PIN_FREE_LOW + size / 2, &addr2), ENOSPC);
        (void) munmap(m, size);
}

TESTS_MAIN
