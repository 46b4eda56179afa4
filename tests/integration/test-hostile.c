/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hostile-container matrix: a container process that knows the policy
 * and tries to get a file past a deny rule by making the daemon unable to
 * read, decode or place its syscall. The policy is the worst an operator
 * may write: `defaultAction: continue` and `redirectFallback: continue`.
 * Every attack must end with the protected file unread: refused with the
 * errno the kernel would give, or with the policy's pathError (EACCES by
 * default), never with the default action. A canary container, handed over
 * before the first attack, keeps making calls throughout and must get the
 * right answer to every one.
 *
 * The same program runs on the host's kernel (integration suite) and on
 * the patched kernel in the VM (vm-daemon), where the attacks on redirect
 * (a task-made redirect failure must not become the fallback) run too; on
 * a kernel without redirect those report a skip with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "e2e-util.h"
#include "i386-probe.h"
#include "macro.h"
#include "tests.h"

#define SECRET "TOP-SECRET-4f1c"
#define ORIGINAL "ORIGINAL-NOT-SANDBOX"
#define SANDBOX "SANDBOXED-COPY"
#define ATTACK_TIMEOUT_MS 20000u
/* Directory levels of 200 bytes: the cwd is then longer than PATH_MAX. */
#define DEEP_LEVELS 25
#define DEEP_NAME_LEN 200
#define X32_BIT 0x40000000u
#define I386_OPEN 5u
#define I386_OPENAT 295u

static const char policy[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"hostile\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"continue\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"secret\", \"names\": [\"open\", \"openat\", \"openat2\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/secret\" }, \"action\": \"errno\", \"errno\": \"EACCES\" },\n"
        "    { \"name\": \"canary-denied\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/canary-denied\" }, \"action\": \"errno\", \"errno\": "
        "\"ENOKEY\" },\n"
        "    { \"name\": \"sandboxed\", \"names\": [\"openat\", \"openat2\"],\n"
        "      \"path\": { \"prefix\": \"@TMP@/redir/\" }, \"action\": \"redirect\",\n"
        "      \"to\": \"@TMP@/sandbox/{suffix}\" }\n"
        "  ]\n"
        "}\n";

static Daemon daemon_;
static bool have_redirect;
static pid_t canary = -1;
static char dir[ITEST_PATH_MAX];

static const int notified[] = {SYS_open, SYS_openat, SYS_openat2};

static const char *p(const char *name) {
        static char buf[4][ITEST_PATH_MAX + 64];
        static unsigned n;
        char *b = buf[n++ % 4];

        (void) snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
        return b;
}

/* ------------------------------------------------------------------------ */
/* In the attacking child.                                                  */

/*
 * What a call returned (fd or -errno): 0 when it was refused with want, 10
 * when the protected file was read, 11 when another file was opened, 12
 * for another error. Diagnostics go to stderr (the test's log).
 */
static int judge(long r, int want, const char *what) {
        if (r >= 0) {
                char buf[64] = {};
                ssize_t n = pread((int) r, buf, sizeof(buf) - 1, 0);
                bool secret = n > 0 && (strstr(buf, SECRET) || strstr(buf, ORIGINAL));

                dprintf(2, "# %s: opened, %s\n", what, secret ? "the protected file was READ" : buf);
                return secret ? 10 : 11;
        }
        if (-r != want) {
                dprintf(2, "# %s: %s, expected %s\n", what, strerror((int) -r), strerror(want));
                return 12;
        }
        return 0;
}

static long sys_ret(long r) {
        return r < 0 ? -errno : r;
}

static long openat2_sized(int dirfd, const char *path, uint64_t resolve, size_t size, bool dirty_tail) {
        static char how[8192] __attribute__((aligned(8)));
        struct open_how h = {.flags = O_RDONLY, .resolve = resolve};

        memset(how, 0, sizeof(how));
        memcpy(how, &h, sizeof(h));
        if (dirty_tail)
                how[size - 1] = 1;
        return sys_ret(syscall(SYS_openat2, dirfd, path, how, size));
}

static int body_openat2_size(void *userdata) {
        size_t size = (size_t) (uintptr_t) userdata;

        return judge(openat2_sized(AT_FDCWD, p("secret"), 0, size, false), EACCES, "openat2");
}

static int body_openat2_dirty_tail(void *userdata) {
        size_t size = (size_t) (uintptr_t) userdata;

        /* The kernel refuses a non-zero byte past the struct it knows. */
        return judge(openat2_sized(AT_FDCWD, p("secret"), 0, size, true), E2BIG, "openat2 dirty tail");
}

static int body_openat2_too_small(void *userdata) {
        return judge(openat2_sized(AT_FDCWD, p("secret"), 0, 16, false), EINVAL, "openat2 size 16");
}

static int body_deep_cwd(void *userdata) {
        char name[DEEP_NAME_LEN + 1], rel[3 * DEEP_LEVELS + 16] = "";

        memset(name, 'd', DEEP_NAME_LEN);
        name[DEEP_NAME_LEN] = '\0';
        if (chdir(dir) < 0)
                return 20;
        for (int i = 0; i < DEEP_LEVELS; i++) {
                /* mkdir and chdir are not notified. */
                if ((mkdir(name, 0755) < 0 && errno != EEXIST) || chdir(name) < 0)
                        return 21;
                strcat(rel, "../");
        }
        strcat(rel, "secret");
        return judge(sys_ret(syscall(SYS_openat, AT_FDCWD, rel, O_RDONLY)), EACCES, "deep cwd");
}

static int body_removed_dirfd(void *userdata) {
        long fd;

        if (mkdir(p("gone"), 0755) < 0 && errno != EEXIST)
                return 20;
        fd = sys_ret(syscall(SYS_openat, AT_FDCWD, p("gone"), O_RDONLY | O_DIRECTORY));
        if (fd < 0 || rmdir(p("gone")) < 0)
                return 21;
        return judge(sys_ret(syscall(SYS_openat, (int) fd, "../secret", O_RDONLY)), EACCES,
                     "dirfd of a removed directory");
}

static int body_dirfd_outside_root(void *userdata) {
        long fd = sys_ret(syscall(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY));

        if (fd < 0 || (mkdir(p("jail"), 0755) < 0 && errno != EEXIST))
                return 20;
        if (chroot(p("jail")) < 0 || chdir("/") < 0)
                return 21;
        return judge(sys_ret(syscall(SYS_openat, (int) fd, "secret", O_RDONLY)), EACCES,
                     "dirfd outside the root after chroot");
}

static int body_null_path(void *userdata) {
        return judge(sys_ret(syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY)), EACCES, "NULL path");
}

#if defined(__x86_64__)
static int body_i386_open(void *userdata) {
        unsigned nr = (unsigned) (uintptr_t) userdata;
        char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        long r;

        if (low == MAP_FAILED)
                return 20;
        strcpy(low, p("secret"));
        if (nr == I386_OPEN)
                __asm__ volatile("int $0x80"
                                 : "=a"(r)
                                 : "a"((long) nr), "b"((uintptr_t) low), "c"((long) O_RDONLY)
                                 : "memory");
        else
                __asm__ volatile("int $0x80"
                                 : "=a"(r)
                                 : "a"((long) nr), "b"((long) AT_FDCWD), "c"((uintptr_t) low),
                                   "d"((long) O_RDONLY)
                                 : "memory");
        return judge((int) r, EACCES, nr == I386_OPEN ? "i386 open" : "i386 openat");
}

static int body_x32_open(void *userdata) {
        /* x32 open is x86_64's 2 with the x32 bit; pointers are 32 bits. */
        char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

        if (low == MAP_FAILED)
                return 20;
        strcpy(low, p("secret"));
        return judge(sys_ret(syscall(X32_BIT | SYS_open, low, O_RDONLY)), EACCES, "x32 open");
}
#endif

/* Redirect attacks: the task makes the redirect fail; the fallback (continue) must not apply. */
static int body_redirect_resolve(void *userdata) {
        uint64_t resolve = (uint64_t) (uintptr_t) userdata;
        long fd = sys_ret(syscall(SYS_openat, AT_FDCWD, p("redir"), O_RDONLY | O_DIRECTORY)), r;

        if (fd < 0)
                return 20;
        r = openat2_sized((int) fd, "file", resolve, sizeof(struct open_how), false);
        if (r >= 0) {
                char buf[64] = {};

                /* The sandbox copy is a fine answer too; the original is not. */
                if (pread((int) r, buf, sizeof(buf) - 1, 0) > 0 && strstr(buf, SANDBOX))
                        return 0;
                return judge(r, 0, "openat2 in a redirected directory");
        }
        return 0; /* refused: whatever errno, the original stayed unread */
}

/* ------------------------------------------------------------------------ */
/* In the test.                                                             */

static int canary_body(void *userdata) {
        unsigned rounds = 0;

        /* Until the stop file exists: one call that continues, one denied. */
        while (access(p("canary-stop"), F_OK) < 0) {
                long a = sys_ret(syscall(SYS_openat, AT_FDCWD, p("canary-ok"), O_RDONLY));
                long b = sys_ret(syscall(SYS_openat, AT_FDCWD, p("canary-denied"), O_RDONLY));

                if (a < 0 || b != -ENOKEY) {
                        dprintf(2, "# canary: round %u got %ld and %ld\n", rounds, a, b);
                        return 1;
                }
                close((int) a);
                rounds++;
                usleep(20000);
        }
        return rounds > 0 ? 0 : 2;
}

static int setup(void) {
        static int result = 1;
        char path[ITEST_PATH_MAX + 64];
        int r;

        if (result <= 0)
                return result;
        have_redirect = e2e_kernel_has_redirect();
        r = e2e_daemon_start(&daemon_, "hostile", policy, NULL);
        if (r < 0)
                return (result = r);
        memcpy(dir, daemon_.dir, sizeof(dir));
        if ((r = itest_write_file(p("secret"), SECRET "\n")) < 0 ||
            (r = itest_write_file(p("canary-ok"), "canary\n")) < 0 ||
            (r = itest_write_file(p("canary-denied"), "canary\n")) < 0)
                return (result = r);
        (void) snprintf(path, sizeof(path), "%s/redir", dir);
        (void) mkdir(path, 0755);
        (void) snprintf(path, sizeof(path), "%s/sandbox", dir);
        (void) mkdir(path, 0755);
        if ((r = itest_write_file(p("redir/file"), ORIGINAL "\n")) < 0 ||
            (r = itest_write_file(p("sandbox/file"), SANDBOX "\n")) < 0)
                return (result = r);
        return (result = 0);
}

static int spawn_attack(const char *id, const struct sock_fprog *prog, int (*body)(void *), void *userdata) {
        E2eTarget t = {
                .notify = notified,
                .n_notify = ELEMENTSOF(notified),
                .notify_prog = prog,
                .redirect = have_redirect,
                .agent = daemon_.agent,
                .id = id,
        };
        pid_t pid = e2e_spawn(&t, body, userdata);

        if (pid < 0)
                return (int) pid;
        return e2e_wait(pid, ATTACK_TIMEOUT_MS);
}

#define ATTACK(id, prog, body, data) \
        do { \
                const char *why_ = itest_skip_reason(); \
                int s_; \
                if (why_) \
                        SKIP(why_); \
                ASSERT_OK(setup()); \
                s_ = spawn_attack(id, prog, body, data); \
                if (s_ == 10) \
                        TEST_FAIL_("%s: the protected file was read", id); \
                ASSERT_EQ(s_, 0); \
        } while (0)

TEST(canary_container_is_handed_over_first) {
        E2eTarget t = {.notify = notified, .n_notify = ELEMENTSOF(notified), .agent = NULL, .id = "canary"};
        const char *why = itest_skip_reason();

        if (why)
                SKIP(why);
        ASSERT_OK(setup());
        t.agent = daemon_.agent;
        t.redirect = have_redirect;
        canary = e2e_spawn(&t, canary_body, NULL);
        ASSERT_TRUE(canary > 0);
        ASSERT_OK(status_wait_container(daemon_.control, "canary", true, 5000));
}

/* 1: open_how larger than the daemon used to read. */
TEST(openat2_open_how_of_24_bytes_is_judged) {
        ATTACK("openat2-24", NULL, body_openat2_size, (void *) (uintptr_t) 24);
}
TEST(openat2_open_how_of_72_bytes_is_judged) {
        ATTACK("openat2-72", NULL, body_openat2_size, (void *) (uintptr_t) 72);
}
TEST(openat2_open_how_of_128_bytes_is_judged) {
        ATTACK("openat2-128", NULL, body_openat2_size, (void *) (uintptr_t) 128);
}
TEST(openat2_open_how_of_a_page_is_judged) {
        ATTACK("openat2-4096", NULL, body_openat2_size, (void *) (uintptr_t) 4096);
}
TEST(openat2_open_how_with_a_dirty_tail_gets_e2big) {
        ATTACK("openat2-dirty", NULL, body_openat2_dirty_tail, (void *) (uintptr_t) 72);
}
TEST(openat2_open_how_below_24_bytes_gets_einval) {
        ATTACK("openat2-16", NULL, body_openat2_too_small, NULL);
}

/* 2: paths the daemon cannot place. */
TEST(cwd_deeper_than_path_max_gets_path_error) {
        ATTACK("deep-cwd", NULL, body_deep_cwd, NULL);
}
TEST(dirfd_of_a_removed_directory_gets_path_error) {
        ATTACK("removed-dirfd", NULL, body_removed_dirfd, NULL);
}
TEST(dirfd_outside_the_root_after_chroot_gets_path_error) {
        ATTACK("chroot-dirfd", NULL, body_dirfd_outside_root, NULL);
}
TEST(null_path_gets_path_error) {
        ATTACK("null-path", NULL, body_null_path, NULL);
}

/* 3: the other ABIs of x86_64. */
#if defined(__x86_64__)
/* x86_64 open/openat/openat2 and x32 open; i386 open and openat. */
static struct sock_filter all_abis[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 7, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 9),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 8, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 7, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 6, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_BIT | SYS_open, 5, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* i386 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, I386_OPEN, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, I386_OPENAT, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
};
static const struct sock_fprog all_abis_prog = {.len = sizeof(all_abis) / sizeof(all_abis[0]),
                                                .filter = all_abis};

TEST(i386_open_is_decoded_and_denied) {
        const char *why = host_i386_unsupported();

        if (why)
                SKIP(why);
        ATTACK("i386-open", &all_abis_prog, body_i386_open, (void *) (uintptr_t) I386_OPEN);
}
TEST(i386_openat_is_decoded_and_denied) {
        const char *why = host_i386_unsupported();

        if (why)
                SKIP(why);
        ATTACK("i386-openat", &all_abis_prog, body_i386_open, (void *) (uintptr_t) I386_OPENAT);
}
TEST(x32_open_is_decoded_and_denied) {
        ATTACK("x32-open", &all_abis_prog, body_x32_open, NULL);
}
#endif

/* 4: a redirect the task makes fail is not the kernel lacking redirect. */
TEST(redirect_under_resolve_beneath_never_falls_back_to_continue) {
        if (!have_redirect)
                SKIP("this kernel has no redirect: redirectFallback is the documented answer here");
        ATTACK("beneath", NULL, body_redirect_resolve, (void *) (uintptr_t) RESOLVE_BENEATH);
}
TEST(redirect_under_resolve_in_root_never_falls_back_to_continue) {
        if (!have_redirect)
                SKIP("this kernel has no redirect: redirectFallback is the documented answer here");
        ATTACK("in-root", NULL, body_redirect_resolve, (void *) (uintptr_t) RESOLVE_IN_ROOT);
}

TEST(canary_got_every_answer_right_throughout) {
        json_object *st = NULL;

        ASSERT_OK(setup());
        ASSERT_TRUE(canary > 0);
        ASSERT_OK(itest_write_file(p("canary-stop"), ""));
        ASSERT_EQ(e2e_wait(canary, 10000), 0);
        /* And the daemon still serves: status answers, the attackers are gone. */
        ASSERT_OK(control_status(daemon_.control, &st));
        json_object_put(st);
}

TESTS_MAIN
