/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Reading strings and directories out of another process: a forked child
 * with a known memory layout (set up before fork, so the addresses are the
 * same on both sides; the parent then scribbles over its own copy, so a
 * passing test has really read the child).
 */

#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "procmem.h"
#include "tests.h"

typedef int (*ReadFunc)(pid_t pid, uint64_t addr, char *ret, size_t size);

static const struct {
        const char *name;
        ReadFunc read;
} backends[] = {
        { "process_vm_readv", procmem_read_string_vm },
        { "/proc/PID/mem", procmem_read_string_mem },
        { "dispatcher", procmem_read_string },
};

typedef struct Child {
        pid_t pid;
        int value; /* what the setup function returned in the child */
} Child;

/*
 * Fork a child that runs setup (if any), reports its return value and then
 * sleeps until killed. The child dies with the test process.
 */
static int child_start(int (*setup)(void *userdata), void *userdata, Child *ret) {
        int p[2], v = 0;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return -errno;
        }
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                close(p[0]);
                if (setup)
                        v = setup(userdata);
                if (write(p[1], &v, sizeof(v)) != sizeof(v))
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        if (read(p[0], &v, sizeof(v)) != sizeof(v)) {
                close(p[0]);
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return -EIO;
        }
        close(p[0]);
        *ret = (Child) { .pid = pid, .value = v };
        return 0;
}

static void child_stop(Child *c) {
        if (c->pid > 0) {
                (void) kill(c->pid, SIGKILL);
                (void) waitpid(c->pid, NULL, 0);
                c->pid = 0;
        }
}

/* Two adjacent pages: the first mapped, the second unmapped. */
static char *map_page_before_hole(void) {
        size_t page = (size_t) getpagesize();
        char *m;

        m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
                return NULL;
        if (munmap(m + page, page) < 0) {
                (void) munmap(m, 2 * page);
                return NULL;
        }
        return m;
}

TEST(string_is_read_from_the_child_not_from_our_copy) {
        static char buf[64] = "/etc/hosts";
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX];

        ASSERT_OK(child_start(NULL, NULL, &c));
        strcpy(buf, "/parent/only");

        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                ASSERT_OK(backends[i].read(c.pid, (uintptr_t) buf, out, sizeof(out)));
                ASSERT_STREQ(out, "/etc/hosts");
        }
}

TEST(string_ending_on_the_last_byte_before_an_unmapped_page_is_read) {
        size_t page = (size_t) getpagesize();
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX], *m;

        m = map_page_before_hole();
        ASSERT_NOT_NULL(m);
        memset(m, 'a', page);
        m[page - 1] = '\0';
        memcpy(m + page - 5, "/x/y", 4); /* "/x/y\0" at the very end */

        ASSERT_OK(child_start(NULL, NULL, &c));
        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                ASSERT_OK(backends[i].read(c.pid, (uintptr_t) (m + page - 5), out, sizeof(out)));
                ASSERT_STREQ(out, "/x/y");
        }
        child_stop(&c);
        (void) munmap(m, page);
}

TEST(string_crossing_a_page_boundary_is_read_whole) {
        size_t page = (size_t) getpagesize();
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX], *m;

        m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_TRUE(m != MAP_FAILED);
        strcpy(m + page - 3, "/abcdef");

        ASSERT_OK(child_start(NULL, NULL, &c));
        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                ASSERT_OK(backends[i].read(c.pid, (uintptr_t) (m + page - 3), out, sizeof(out)));
                ASSERT_STREQ(out, "/abcdef");
        }
        child_stop(&c);
        (void) munmap(m, 2 * page);
}

TEST(unterminated_string_running_into_an_unmapped_page_is_efault) {
        size_t page = (size_t) getpagesize();
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX], *m;

        m = map_page_before_hole();
        ASSERT_NOT_NULL(m);
        memset(m, 'a', page);

        ASSERT_OK(child_start(NULL, NULL, &c));
        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                /* From its middle: fewer than PATH_MAX bytes, then the hole. */
                ASSERT_ERROR(backends[i].read(c.pid, (uintptr_t) (m + 100), out, sizeof(out)), EFAULT);
                ASSERT_STREQ(out, "");
                /* From its start a whole PATH_MAX bytes without NUL: too long
                 * before the hole is reached, as the kernel's getname() sees it. */
                if (page == PATH_MAX)
                        ASSERT_ERROR(backends[i].read(c.pid, (uintptr_t) m, out, sizeof(out)), ENAMETOOLONG);
        }
        child_stop(&c);
        (void) munmap(m, page);
}

TEST(null_unmapped_and_kernel_pointers_are_efault) {
        size_t page = (size_t) getpagesize();
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX], *m;

        m = map_page_before_hole();
        ASSERT_NOT_NULL(m);

        ASSERT_OK(child_start(NULL, NULL, &c));
        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                /* Above the user address space. */
                uint64_t kernel = UINT64_C(0xffffffffff601000);

                ASSERT_ERROR(backends[i].read(c.pid, 0, out, sizeof(out)), EFAULT);
                ASSERT_ERROR(backends[i].read(c.pid, (uintptr_t) (m + page), out, sizeof(out)), EFAULT);
                ASSERT_ERROR(backends[i].read(c.pid, kernel, out, sizeof(out)), EFAULT);
                ASSERT_ERROR(backends[i].read(c.pid, UINT64_MAX - 2, out, sizeof(out)), EFAULT);
        }
        child_stop(&c);
        (void) munmap(m, page);
}

TEST(process_vm_readv_refuses_prot_none_memory) {
        size_t page = (size_t) getpagesize();
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX], *m;

        m = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_TRUE(m != MAP_FAILED);
        strcpy(m, "/hidden");
        ASSERT_OK(mprotect(m, page, PROT_NONE));

        ASSERT_OK(child_start(NULL, NULL, &c));
        /* (/proc/PID/mem reads it anyway, with FOLL_FORCE: harmless, the
         * kernel itself then fails the syscall with EFAULT.) */
        ASSERT_ERROR(procmem_read_string_vm(c.pid, (uintptr_t) m, out, sizeof(out)), EFAULT);
        child_stop(&c);
        (void) munmap(m, page);
}

TEST(path_of_path_max_minus_one_bytes_fits_path_max_bytes_is_enametoolong) {
        _cleanup_(child_stop) Child c = {};
        _cleanup_free_ char *fits = NULL, *too_long = NULL;
        char out[SRD_PATH_MAX + 1];

        /* What the kernel's getname() accepts: strlen < PATH_MAX. */
        fits = malloc(PATH_MAX);
        too_long = malloc(PATH_MAX + 2);
        ASSERT_NOT_NULL(fits);
        ASSERT_NOT_NULL(too_long);
        memset(fits, 'f', PATH_MAX - 1);
        fits[0] = '/';
        fits[PATH_MAX - 1] = '\0';
        memset(too_long, 't', PATH_MAX + 1);
        too_long[PATH_MAX + 1] = '\0';

        ASSERT_OK(child_start(NULL, NULL, &c));
        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                ASSERT_OK(backends[i].read(c.pid, (uintptr_t) fits, out, sizeof(out)));
                ASSERT_EQ(strlen(out), PATH_MAX - 1);
                ASSERT_ERROR(backends[i].read(c.pid, (uintptr_t) too_long, out, sizeof(out)), ENAMETOOLONG);
                ASSERT_STREQ(out, "");
        }
}

TEST(buffer_size_bounds_the_read) {
        static char buf[64] = "/0123456789";
        _cleanup_(child_stop) Child c = {};
        char out[16];

        ASSERT_OK(child_start(NULL, NULL, &c));
        ASSERT_ERROR(procmem_read_string(c.pid, (uintptr_t) buf, out, strlen(buf)), ENAMETOOLONG);
        ASSERT_ERROR(procmem_read_string(c.pid, (uintptr_t) buf, out, 0), EINVAL);
        ASSERT_OK(procmem_read_string(c.pid, (uintptr_t) buf, out, strlen(buf) + 1));
        ASSERT_STREQ(out, "/0123456789");
}

/*
 * In a reader process whose seccomp filter fails process_vm_readv() with
 * EPERM (as a sandboxed daemon's might), read a string of its own child.
 * Exit code: 0 fallback worked, 1.. which step failed, 77 cannot test.
 */
static int reader_with_process_vm_readv_filtered(const char *s) {
        scmp_filter_ctx ctx;
        char out[64];
        Child c = {};
        int ok;

        if (child_start(NULL, NULL, &c) < 0)
                return 77;
        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(process_vm_readv), 0) < 0 ||
            seccomp_load(ctx) < 0)
                return 77;

        ok = procmem_read_string_vm(c.pid, (uintptr_t) s, out, sizeof(out)) == -EPERM;
        if (!ok)
                return 1;
        if (procmem_read_string(c.pid, (uintptr_t) s, out, sizeof(out)) < 0)
                return 2;
        return strcmp(out, s) == 0 ? 0 : 3;
}

TEST(filtered_process_vm_readv_falls_back_to_proc_pid_mem) {
        static const char s[] = "/etc/fallback";
        int status;
        pid_t pid;

        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0)
                _exit(reader_with_process_vm_readv_filtered(s));
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                SKIP("cannot install a seccomp filter here");
        ASSERT_EQ(WEXITSTATUS(status), 0);
}

TEST(vanished_or_invisible_task_is_esrch) {
        static char buf[] = "/x";
        char out[64], dir[PATH_MAX];
        Child c = {};
        pid_t pid;

        ASSERT_OK(child_start(NULL, NULL, &c));
        pid = c.pid;
        child_stop(&c);

        for (size_t i = 0; i < ELEMENTSOF(backends); i++) {
                ASSERT_ERROR(backends[i].read(pid, (uintptr_t) buf, out, sizeof(out)), ESRCH);
                /* pid 0: the task lives in a pid namespace we cannot see. */
                ASSERT_ERROR(backends[i].read(0, (uintptr_t) buf, out, sizeof(out)), ESRCH);
        }
        ASSERT_ERROR(procmem_task_dir(0, AT_FDCWD, dir, sizeof(dir)), ESRCH);
        ASSERT_TRUE(procmem_task_dir(pid, AT_FDCWD, dir, sizeof(dir)) < 0);
}

/* ------------------------------------------------------------------------ */
/* Directories and path resolution.                                         */

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f) {
        (void) remove(p);
        return 0;
}

static void tmpdir_remove(char (*d)[PATH_MAX]) {
        if ((*d)[0]) {
                (void) nftw(*d, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
                (*d)[0] = '\0';
        }
}

static int tmpdir_make(char (*d)[PATH_MAX]) {
        strcpy(*d, "/tmp/srd-procmem-XXXXXX");
        if (!mkdtemp(*d)) {
                (*d)[0] = '\0';
                return -errno;
        }
        return 0;
}

static int setup_chdir(void *userdata) {
        return chdir(userdata) < 0 ? -errno : 0;
}

/* Opens userdata as a directory and reports the fd number. */
static int setup_open_dir(void *userdata) {
        int fd = open(userdata, O_RDONLY | O_DIRECTORY);

        return fd < 0 ? -errno : fd;
}

static int setup_pipe(void *userdata) {
        int p[2];

        return pipe(p) < 0 ? -errno : p[0];
}

static SrdPathArg path_arg(int arg, int dirfd_arg, int flags_arg) {
        return (SrdPathArg) {
                .arg = (int8_t) arg,
                .dirfd_arg = (int8_t) dirfd_arg,
                .flags_arg = (int8_t) flags_arg,
                .how_arg = -1,
        };
}

TEST(relative_path_resolves_against_the_tasks_cwd) {
        static char rel[] = "a/./b/../c";
        _cleanup_(tmpdir_remove) char d[PATH_MAX] = "";
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX], want[PATH_MAX + 16];
        SrdPathArg pa = path_arg(0, -1, -1);
        uint64_t args[SRD_ARGS] = { (uintptr_t) rel };

        ASSERT_OK(tmpdir_make(&d));
        ASSERT_OK(child_start(setup_chdir, d, &c));
        ASSERT_EQ(c.value, 0);

        ASSERT_OK(procmem_task_dir(c.pid, AT_FDCWD, out, sizeof(out)));
        ASSERT_STREQ(out, d);

        ASSERT_OK(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)));
        snprintf(want, sizeof(want), "%s/a/c", d);
        ASSERT_STREQ(out, want);

        /* With a dirfd argument holding AT_FDCWD, garbage in its upper half. */
        pa = path_arg(1, 0, -1);
        args[0] = UINT64_C(0xdeadbeef00000000) | (uint32_t) AT_FDCWD;
        args[1] = (uintptr_t) rel;
        ASSERT_OK(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)));
        ASSERT_STREQ(out, want);
}

TEST(resolve_in_root_makes_the_dirfd_the_root_of_absolute_and_relative_paths) {
        static char abs_path[] = "/real/../../../x", rel[] = "a/../../b";
        _cleanup_(tmpdir_remove) char d[PATH_MAX] = "";
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX], want[PATH_MAX + 16];
        SrdPathArg pa = path_arg(1, 0, -1);
        uint64_t args[SRD_ARGS] = { (uint32_t) AT_FDCWD, (uintptr_t) abs_path };

        ASSERT_OK(tmpdir_make(&d));
        ASSERT_OK(child_start(setup_chdir, d, &c));
        ASSERT_EQ(c.value, 0);

        /* openat2(AT_FDCWD, "/real/../../../x", RESOLVE_IN_ROOT) opens cwd/x. */
        ASSERT_OK(procmem_read_path(c.pid, &pa, args, PROCMEM_RESOLVE_IN_ROOT, out, sizeof(out)));
        snprintf(want, sizeof(want), "%s/x", d);
        ASSERT_STREQ(out, want);
        /* ".." stops at that root for relative paths too. */
        args[1] = (uintptr_t) rel;
        ASSERT_OK(procmem_read_path(c.pid, &pa, args, PROCMEM_RESOLVE_IN_ROOT, out, sizeof(out)));
        snprintf(want, sizeof(want), "%s/b", d);
        ASSERT_STREQ(out, want);
        /* RESOLVE_BENEATH does not move anything (the kernel refuses escapes). */
        args[1] = (uintptr_t) abs_path;
        ASSERT_OK(procmem_read_path(c.pid, &pa, args, PROCMEM_RESOLVE_BENEATH, out, sizeof(out)));
        ASSERT_STREQ(out, "/x");
}

TEST(open_how_is_read_whole_with_its_resolve_flags_and_bounded) {
        static uint64_t how[8] = { 0x42 /* flags */, 0644 /* mode */, PROCMEM_RESOLVE_IN_ROOT | 0x4 };
        _cleanup_(child_stop) Child c = {};
        ProcmemOpenHow h;
        ProcmemWhy why;

        ASSERT_OK(child_start(NULL, NULL, &c));
        ASSERT_OK(procmem_read_open_how(c.pid, (uintptr_t) how, 24, &h, &why));
        ASSERT_EQ(why, PROCMEM_WHY_NONE);
        ASSERT_EQ(h.size, (size_t) 24);
        ASSERT_EQ(h.usize, (uint64_t) 24);
        ASSERT_EQ(h.flags, (uint64_t) 0x42);
        ASSERT_EQ(h.mode, (uint64_t) 0644);
        ASSERT_EQ(h.resolve, (uint64_t) (PROCMEM_RESOLVE_IN_ROOT | 0x4));
        ASSERT_EQ(memcmp(h.bytes, how, 24), 0);
        ASSERT_OK(procmem_read_open_how(c.pid, (uintptr_t) how, 32, &h, NULL));
        ASSERT_EQ(h.size, (size_t) 24);
        ASSERT_EQ(h.usize, (uint64_t) 32);
        /* Reading it failed: not the kernel's refusal. */
        ASSERT_ERROR(procmem_read_open_how(c.pid, 0, 24, &h, &why), EFAULT);
        ASSERT_EQ(why, PROCMEM_WHY_OPEN_HOW_UNREADABLE);
        ASSERT_ERROR(procmem_read_open_how(c.pid, UINT64_MAX - 8, 24, &h, &why), EFAULT);
        ASSERT_EQ(why, PROCMEM_WHY_OPEN_HOW_UNREADABLE);
        ASSERT_ERROR(procmem_read_open_how(0, (uintptr_t) how, 24, &h, &why), ESRCH);
        ASSERT_EQ(why, PROCMEM_WHY_OPEN_HOW_UNREADABLE);
}

/* Two pages and a hole, the struct at the start of the first: sizes up to a
 * page and one past it, and a tail that is zero or not. */
static uint8_t *big_how;

static int big_how_make(void) {
        size_t page = (size_t) getpagesize();
        uint64_t how[3] = { 0x42, 0, PROCMEM_RESOLVE_BENEATH };
        void *m;

        if (big_how)
                return 0;
        m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
                return -errno;
        if (munmap((uint8_t *) m + 2 * page, page) < 0)
                return -errno;
        big_how = m;
        memcpy(big_how, how, sizeof(how));
        return 0;
}

TEST(open_how_sizes_are_taken_as_the_kernel_takes_them) {
        static const uint64_t ok[] = { 24, 72, 128, 4096 };
        _cleanup_(child_stop) Child c = {};
        ProcmemOpenHow h;
        ProcmemWhy why;

        ASSERT_EQ(getpagesize(), 4096);
        ASSERT_OK(big_how_make());
        ASSERT_OK(child_start(NULL, NULL, &c));

        /* Larger structs with a zero tail: the kernel accepts them up to a
         * page, and so does the reader, with the flags of the first 24. */
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                ASSERT_OK(procmem_read_open_how(c.pid, (uintptr_t) big_how, ok[i], &h, &why));
                ASSERT_EQ(why, PROCMEM_WHY_NONE);
                ASSERT_EQ(h.usize, ok[i]);
                ASSERT_EQ(h.flags, (uint64_t) 0x42);
                ASSERT_EQ(h.resolve, (uint64_t) PROCMEM_RESOLVE_BENEATH);
        }
        /* One byte more than a page: E2BIG, as the kernel says. */
        ASSERT_ERROR(procmem_read_open_how(c.pid, (uintptr_t) big_how, 4097, &h, &why), E2BIG);
        ASSERT_EQ(why, PROCMEM_WHY_KERNEL_REFUSES);
        /* Below OPEN_HOW_SIZE_VER0: EINVAL. */
        ASSERT_ERROR(procmem_read_open_how(c.pid, (uintptr_t) big_how, 16, &h, &why), EINVAL);
        ASSERT_EQ(why, PROCMEM_WHY_KERNEL_REFUSES);
        ASSERT_ERROR(procmem_read_open_how(c.pid, (uintptr_t) big_how, 0, &h, &why), EINVAL);
        /* A struct that does not fit its mapping: unreadable, not refused. */
        ASSERT_ERROR(procmem_read_open_how(c.pid, (uintptr_t) big_how + 2 * 4096 - 8, 24, &h, &why), EFAULT);
        ASSERT_EQ(why, PROCMEM_WHY_OPEN_HOW_UNREADABLE);
}

TEST(open_how_with_a_non_zero_byte_past_the_known_struct_is_e2big) {
        _cleanup_(child_stop) Child c = {};
        ProcmemOpenHow h;
        ProcmemWhy why;

        ASSERT_OK(big_how_make());
        /* The last byte of a page-sized struct, seen by this child only. */
        big_how[4095] = 1;
        ASSERT_OK(child_start(NULL, NULL, &c));
        big_how[4095] = 0;

        ASSERT_ERROR(procmem_read_open_how(c.pid, (uintptr_t) big_how, 4096, &h, &why), E2BIG);
        ASSERT_EQ(why, PROCMEM_WHY_KERNEL_REFUSES);
        /* One shorter, the byte lies past the struct: fine. */
        ASSERT_OK(procmem_read_open_how(c.pid, (uintptr_t) big_how, 4095, &h, &why));
}

TEST(open_how_tail_byte_right_after_the_struct_is_checked) {
        _cleanup_(child_stop) Child c = {};
        ProcmemOpenHow h;
        ProcmemWhy why;

        ASSERT_OK(big_how_make());
        big_how[24] = 0x80;
        ASSERT_OK(child_start(NULL, NULL, &c));
        big_how[24] = 0;

        ASSERT_OK(procmem_read_open_how(c.pid, (uintptr_t) big_how, 24, &h, &why));
        ASSERT_ERROR(procmem_read_open_how(c.pid, (uintptr_t) big_how, 25, &h, &why), E2BIG);
        ASSERT_ERROR(procmem_read_open_how(c.pid, (uintptr_t) big_how, 72, &h, &why), E2BIG);
}

TEST(absolute_path_is_normalized_and_ignores_the_dirfd) {
        static char abs_path[] = "//etc/./ssl/../hosts/";
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX];
        SrdPathArg pa = path_arg(1, 0, -1);
        uint64_t args[SRD_ARGS] = { (uint64_t) -7, (uintptr_t) abs_path };

        ASSERT_OK(child_start(NULL, NULL, &c));
        ASSERT_OK(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)));
        ASSERT_STREQ(out, "/etc/hosts");
}

TEST(relative_path_resolves_against_the_tasks_dirfd) {
        static char rel[] = "sub/../file";
        _cleanup_(tmpdir_remove) char d[PATH_MAX] = "";
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX], want[PATH_MAX + 16];
        SrdPathArg pa = path_arg(1, 0, -1);
        uint64_t args[SRD_ARGS];

        ASSERT_OK(tmpdir_make(&d));
        ASSERT_OK(child_start(setup_open_dir, d, &c));
        ASSERT_TRUE(c.value >= 0);

        args[0] = (uint64_t) c.value;
        args[1] = (uintptr_t) rel;
        ASSERT_OK(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)));
        snprintf(want, sizeof(want), "%s/file", d);
        ASSERT_STREQ(out, want);
}

TEST(empty_path_names_the_dirfd_only_with_at_empty_path) {
        static char empty[] = "";
        _cleanup_(tmpdir_remove) char d[PATH_MAX] = "";
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX];
        SrdPathArg pa = path_arg(1, 0, 3); /* newfstatat(dirfd, path, buf, flags) */
        uint64_t args[SRD_ARGS] = {};

        ASSERT_OK(tmpdir_make(&d));
        ASSERT_OK(child_start(setup_open_dir, d, &c));
        ASSERT_TRUE(c.value >= 0);

        args[0] = (uint64_t) c.value;
        args[1] = (uintptr_t) empty;
        args[3] = AT_EMPTY_PATH;
        ASSERT_OK(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)));
        ASSERT_STREQ(out, d);

        args[3] = 0;
        ASSERT_ERROR(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)), ENOENT);

        /* A syscall without a flags argument never takes "". */
        pa = path_arg(1, 0, -1);
        args[3] = AT_EMPTY_PATH;
        ASSERT_ERROR(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)), ENOENT);
}

TEST(dirfd_that_is_not_a_directory_path_is_enotdir_or_ebadf) {
        static char rel[] = "x";
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX];
        SrdPathArg pa = path_arg(1, 0, -1);
        uint64_t args[SRD_ARGS] = { 0, (uintptr_t) rel };

        ASSERT_OK(child_start(setup_pipe, NULL, &c));
        ASSERT_TRUE(c.value >= 0);

        /* "pipe:[1234]" is no place to resolve a path from. */
        args[0] = (uint64_t) c.value;
        ASSERT_ERROR(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)), ENOTDIR);
        ASSERT_STREQ(out, "");

        /* Not open, negative, absurd. */
        args[0] = 999;
        ASSERT_ERROR(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)), EBADF);
        args[0] = (uint64_t) -1;
        ASSERT_ERROR(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)), EBADF);
        ASSERT_ERROR(procmem_task_dir(c.pid, -5, out, sizeof(out)), EBADF);
}

static int setup_chdir_and_rmdir(void *userdata) {
        if (chdir(userdata) < 0)
                return -errno;
        return rmdir(userdata) < 0 ? -errno : 0;
}

TEST(deleted_cwd_is_enoent_but_a_dir_named_deleted_is_fine) {
        static char rel[] = "x";
        _cleanup_(tmpdir_remove) char d[PATH_MAX] = "";
        _cleanup_(child_stop) Child c = {}, c2 = {};
        char sub[PATH_MAX + 32], out[PATH_MAX], want[PATH_MAX + 64];
        SrdPathArg pa = path_arg(0, -1, -1);
        uint64_t args[SRD_ARGS] = { (uintptr_t) rel };

        ASSERT_OK(tmpdir_make(&d));

        snprintf(sub, sizeof(sub), "%s/gone", d);
        ASSERT_OK(mkdir(sub, 0700));
        ASSERT_OK(child_start(setup_chdir_and_rmdir, sub, &c));
        ASSERT_EQ(c.value, 0);
        ASSERT_ERROR(procmem_task_dir(c.pid, AT_FDCWD, out, sizeof(out)), ENOENT);
        ASSERT_ERROR(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)), ENOENT);

        snprintf(sub, sizeof(sub), "%s/here (deleted)", d);
        ASSERT_OK(mkdir(sub, 0700));
        ASSERT_OK(child_start(setup_chdir, sub, &c2));
        ASSERT_EQ(c2.value, 0);
        ASSERT_OK(procmem_read_path(c2.pid, &pa, args, 0, out, sizeof(out)));
        snprintf(want, sizeof(want), "%s/x", sub);
        ASSERT_STREQ(out, want);
}

typedef struct ChrootSetup {
        const char *root;
        const char *cwd; /* inside the new root */
        int outside_fd;
} ChrootSetup;

static int setup_chroot(void *userdata) {
        ChrootSetup *s = userdata;
        int fd;

        /* Opened before the chroot: a directory the task cannot name. */
        fd = open("/tmp", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return -errno;
        if (chroot(s->root) < 0 || chdir(s->cwd) < 0)
                return -errno;
        return fd;
}

TEST(chrooted_task_sees_paths_relative_to_its_own_root) {
        static char rel[] = "hosts";
        _cleanup_(tmpdir_remove) char d[PATH_MAX] = "";
        _cleanup_(child_stop) Child c = {};
        char sub[PATH_MAX + 32], out[PATH_MAX];
        SrdPathArg pa = path_arg(0, -1, -1);
        uint64_t args[SRD_ARGS] = { (uintptr_t) rel };
        ChrootSetup s;

        if (geteuid() != 0)
                SKIP("chroot needs root");

        ASSERT_OK(tmpdir_make(&d));
        snprintf(sub, sizeof(sub), "%s/etc", d);
        ASSERT_OK(mkdir(sub, 0755));

        s = (ChrootSetup) { .root = d, .cwd = "/etc" };
        ASSERT_OK(child_start(setup_chroot, &s, &c));
        ASSERT_TRUE(c.value >= 0);

        ASSERT_OK(procmem_task_dir(c.pid, AT_FDCWD, out, sizeof(out)));
        ASSERT_STREQ(out, "/etc");
        ASSERT_OK(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)));
        ASSERT_STREQ(out, "/etc/hosts");

        /* A directory outside its root has no name it could use. */
        ASSERT_ERROR(procmem_task_dir(c.pid, c.value, out, sizeof(out)), EXDEV);
}

static int setup_container(void *userdata) {
        const char *root = userdata;

        /* What a runtime does: own mount namespace, a fresh root file
         * system, pivot_root into it, old root gone. */
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        if (mount("tmpfs", root, "tmpfs", 0, "mode=0755") < 0)
                return -errno;
        if (chdir(root) < 0 || mkdir("etc", 0755) < 0)
                return -errno;
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return -errno;
        if (umount2(".", MNT_DETACH) < 0)
                return -errno;
        if (chdir("/etc") < 0)
                return -errno;
        return 0;
}

TEST(task_in_its_own_mount_namespace_sees_container_paths) {
        static char rel[] = "./hosts";
        _cleanup_(tmpdir_remove) char d[PATH_MAX] = "";
        _cleanup_(child_stop) Child c = {};
        char out[PATH_MAX];
        SrdPathArg pa = path_arg(1, 0, -1);
        uint64_t args[SRD_ARGS] = { (uint32_t) AT_FDCWD, (uintptr_t) rel };

        if (geteuid() != 0)
                SKIP("mount namespaces need root");

        ASSERT_OK(tmpdir_make(&d));
        ASSERT_OK(child_start(setup_container, d, &c));
        if (c.value == -EPERM || c.value == -ENOSYS)
                SKIP("cannot create a mount namespace here");
        ASSERT_EQ(c.value, 0);

        ASSERT_OK(procmem_read_path(c.pid, &pa, args, 0, out, sizeof(out)));
        ASSERT_STREQ(out, "/etc/hosts");
}

TESTS_MAIN
