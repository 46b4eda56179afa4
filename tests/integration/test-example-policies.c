/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The example policies keep what their descriptions promise, tried by a
 * hostile task. Each example from policies/ is loaded as shipped, with its
 * absolute paths moved below a private directory (so that /usr of the
 * machine is never written), by the real daemon; a task under a filter that
 * notifies every syscall the policy names then tries each way to break the
 * promise, one call per case, and the files are checked afterwards. What an
 * example says it does not cover (other names for a file, changes through
 * an fd) is not tried here: its description and seccomp-redirectd.policy(5)
 * say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "e2e-util.h"
#include "macro.h"
#include "tests.h"

#define CALL_TIMEOUT_MS 10000u
#define MAX_NOTIFY 200

typedef enum Op {
        OP_OPENAT, /* openat(AT_FDCWD, a, flags, 0644) */
        OP_OPEN, /* open(a, flags, 0644) */
        OP_OPENAT2, /* openat2(AT_FDCWD, a, {flags}) */
        OP_CREAT,
        OP_TRUNCATE,
        OP_MKDIR,
        OP_RMDIR,
        OP_UNLINK,
        OP_RENAME, /* rename(a, b) */
        OP_LINK, /* link(a, b) */
        OP_SYMLINK, /* symlink("x", a) */
        OP_MKNOD, /* mknod(a, S_IFIFO) */
        OP_CHMOD, /* chmod(a, mode) */
        OP_FCHMOD, /* fchmod(open(a, O_RDONLY), mode) */
        OP_FCHMODAT, /* fchmodat(AT_FDCWD, a, mode, 0) */
        OP_FCHMODAT2, /* fchmodat2(AT_FDCWD, a, mode, 0) */
        OP_CHOWN, /* chown(a, 1, 1) */
        OP_UTIMENSAT, /* utimensat(AT_FDCWD, a, NULL, 0) */
        OP_SETXATTR, /* setxattr(a, "user.srd", "x") */
        OP_EXECVE, /* execve(a) */
        OP_SOCKET, /* socket(flags, SOCK_RAW, 0) */
} Op;

typedef struct Case {
        const char *what;
        Op op;
        const char *a, *b;
        int flags, mode;
        int want; /* 0: the call succeeds; else the errno it must fail with */
} Case;

typedef struct Example {
        const char *file; /* in policies/ */
        const char *name;
        /* Absolute prefixes moved below the private directory. */
        const char *const *moved;
} Example;

static Daemon daemon_;
static char dir[ITEST_PATH_MAX];

static const char *const usr_moved[] = {"/usr/", NULL};
static const char *const web_moved[] = {"/var/www/", "/etc/nginx/", "/srv/sandbox/",
                                        "/bin/",     "/usr/bin/",   NULL};
static const char *const shadow_moved[] = {"/var/lib/", "/var/lock/", "/srv/containers/", "/etc/resolv.conf",
                                           NULL};

static const Example examples[] = {
        {"usr-read-only.json", "usr-read-only", usr_moved},
        {"web-server.json", "web-server", web_moved},
        {"tmp-shadow.json", "tmp-shadow", shadow_moved},
};

/* The directory's own path for a path of the example ("/usr/x" -> dir/usr/x). */
static const char *m(const char *path) {
        static char buf[8][ITEST_PATH_MAX + 128];
        static unsigned n;
        char *b = buf[n++ % 8];

        (void) snprintf(b, sizeof(buf[0]), "%s%s", dir, path);
        return b;
}

/* Replace every "\"PREFIX" in text by "\"@TMP@PREFIX"; malloc'd. */
static char *rebase(const char *text, const char *const *moved) {
        size_t cap = strlen(text) * 2 + 1, len = 0;
        char *out = malloc(cap);

        if (!out)
                return NULL;
        for (const char *s = text; *s;) {
                bool hit = false;

                if (*s == '"')
                        for (size_t i = 0; moved[i]; i++)
                                if (strncmp(s + 1, moved[i], strlen(moved[i])) == 0) {
                                        hit = true;
                                        break;
                                }
                if (hit && len + 6 < cap) {
                        memcpy(out + len, "\"@TMP@", 6);
                        len += 6;
                        s++;
                        continue;
                }
                if (len + 1 >= cap)
                        break;
                out[len++] = *s++;
        }
        out[len] = '\0';
        return out;
}

static int setup(void) {
        static int result = 1;
        char src[ITEST_PATH_MAX + 64], tmp[ITEST_PATH_MAX];
        const char *top = getenv("SRD_SOURCE_ROOT");
        int r;

        if (result <= 0)
                return result;
        if (!top)
                return (result = -ENOENT);
        r = itest_tmpdir("examples", tmp, sizeof(tmp));
        if (r < 0)
                return (result = r);
        r = daemon_prepare(&daemon_, tmp);
        if (r < 0)
                return (result = r);
        memcpy(dir, daemon_.dir, sizeof(dir));
        for (size_t i = 0; i < ELEMENTSOF(examples); i++) {
                _cleanup_free_ char *text = NULL, *moved = NULL;

                (void) snprintf(src, sizeof(src), "%s/policies/%s", top, examples[i].file);
                r = itest_read_file(src, &text);
                if (r < 0)
                        return (result = r);
                moved = rebase(text, examples[i].moved);
                if (!moved)
                        return (result = -ENOMEM);
                r = daemon_add_policy(&daemon_, examples[i].file, moved);
                if (r < 0)
                        return (result = r);
        }
        r = daemon_start(&daemon_, NULL, NULL);
        return (result = r);
}

/* Every syscall the policy names, as native numbers (for the notify filter). */
static int policy_syscalls(const char *file, int *ret, size_t max, size_t *ret_n) {
        char path[ITEST_PATH_MAX + 64];
        json_object *root, *rules;
        size_t n = 0;

        (void) snprintf(path, sizeof(path), "%s/policies/%s", getenv("SRD_SOURCE_ROOT"), file);
        root = json_object_from_file(path);
        if (!root || !json_object_object_get_ex(root, "rules", &rules)) {
                json_object_put(root);
                return -EINVAL;
        }
        for (size_t i = 0; i < json_object_array_length(rules); i++) {
                json_object *names;

                if (!json_object_object_get_ex(json_object_array_get_idx(rules, i), "names", &names))
                        continue;
                for (size_t j = 0; j < json_object_array_length(names); j++) {
                        int nr = seccomp_syscall_resolve_name(
                                json_object_get_string(json_object_array_get_idx(names, j)));
                        bool dup = false;

                        for (size_t k = 0; k < n; k++)
                                dup = dup || ret[k] == nr;
                        if (nr >= 0 && !dup && n < max)
                                ret[n++] = nr;
                }
        }
        json_object_put(root);
        *ret_n = n;
        return 0;
}

static long sys_ret(long r) {
        return r < 0 ? -errno : r;
}

static int run_case(void *userdata) {
        const Case *c = userdata;
        const char *a = c->a ? m(c->a) : NULL, *b = c->b ? m(c->b) : NULL;
        long r = -ENOSYS;

        switch (c->op) {
        case OP_OPENAT:
                r = sys_ret(syscall(SYS_openat, AT_FDCWD, a, c->flags, 0644));
                break;
        case OP_OPEN:
                r = sys_ret(syscall(SYS_open, a, c->flags, 0644));
                break;
        case OP_OPENAT2: {
                struct open_how how = {.flags = (uint64_t) c->flags,
                                       .mode = (c->flags & O_CREAT) ? 0644 : 0};

                r = sys_ret(syscall(SYS_openat2, AT_FDCWD, a, &how, sizeof(how)));
                break;
        }
        case OP_CREAT:
                r = sys_ret(syscall(SYS_creat, a, 0644));
                break;
        case OP_TRUNCATE:
                r = sys_ret(syscall(SYS_truncate, a, 0));
                break;
        case OP_MKDIR:
                r = sys_ret(syscall(SYS_mkdir, a, 0755));
                break;
        case OP_RMDIR:
                r = sys_ret(syscall(SYS_rmdir, a));
                break;
        case OP_UNLINK:
                r = sys_ret(syscall(SYS_unlink, a));
                break;
        case OP_RENAME:
                r = sys_ret(syscall(SYS_rename, a, b));
                break;
        case OP_LINK:
                r = sys_ret(syscall(SYS_link, a, b));
                break;
        case OP_SYMLINK:
                r = sys_ret(syscall(SYS_symlink, "x", a));
                break;
        case OP_MKNOD:
                r = sys_ret(syscall(SYS_mknod, a, S_IFIFO | 0644, 0));
                break;
        case OP_CHMOD:
                r = sys_ret(syscall(SYS_chmod, a, c->mode));
                break;
        case OP_FCHMOD: {
                long fd = sys_ret(syscall(SYS_openat, AT_FDCWD, a, O_RDONLY));

                r = fd < 0 ? fd : sys_ret(syscall(SYS_fchmod, (int) fd, c->mode));
                break;
        }
        case OP_FCHMODAT:
                r = sys_ret(syscall(SYS_fchmodat, AT_FDCWD, a, c->mode, 0));
                break;
        case OP_FCHMODAT2:
                r = sys_ret(syscall(452 /* fchmodat2 */, AT_FDCWD, a, c->mode, 0));
                break;
        case OP_CHOWN:
                r = sys_ret(syscall(SYS_chown, a, 1, 1));
                break;
        case OP_UTIMENSAT:
                r = sys_ret(syscall(SYS_utimensat, AT_FDCWD, a, NULL, 0));
                break;
        case OP_SETXATTR:
                r = sys_ret(syscall(SYS_setxattr, a, "user.srd", "x", 1, 0));
                break;
        case OP_EXECVE: {
                char *const argv[] = {(char *) a, NULL};

                r = sys_ret(syscall(SYS_execve, a, argv, NULL));
                break;
        }
        case OP_SOCKET:
                r = sys_ret(syscall(SYS_socket, c->flags, SOCK_RAW, 0));
                break;
        }
        if ((c->want == 0 && r >= 0) || (c->want != 0 && r == -c->want))
                return 0;
        dprintf(2, "# %s: got %s, expected %s\n", c->what, r >= 0 ? "success" : strerror((int) -r),
                c->want ? strerror(c->want) : "success");
        return 1;
}

/* One call in a fresh target, under a filter notifying the policy's syscalls t. */
static int try_case(E2eTarget *t, const Case *c) {
        pid_t pid;

        t->id = c->what;
        pid = e2e_spawn(t, run_case, (void *) c);
        if (pid < 0)
                return (int) pid;
        return e2e_wait(pid, CALL_TIMEOUT_MS);
}

static void run_table(const Example *e, const Case *cases, size_t n, size_t *ret_failed) {
        int nrs[MAX_NOTIFY];
        size_t n_nrs = 0, failed = 0;
        E2eTarget t;
        int r;

        /* The policy's syscalls and the kernel's support: the same for every case. */
        r = policy_syscalls(e->file, nrs, ELEMENTSOF(nrs), &n_nrs);
        if (r < 0) {
                printf("# %s: cannot list its syscalls: %s\n", e->name, strerror(-r));
                *ret_failed = n;
                return;
        }
        t = (E2eTarget){.notify = nrs,
                        .n_notify = n_nrs,
                        .agent = daemon_.agent,
                        .policy = e->name,
                        .redirect = e2e_kernel_has_redirect()};
        for (size_t i = 0; i < n; i++) {
                int s = try_case(&t, &cases[i]);

                if (s != 0) {
                        printf("# %s: %s: exit %d\n", e->name, cases[i].what, s);
                        failed++;
                }
        }
        *ret_failed = failed;
}

static int prepare_tree(void) {
        static const char *const dirs[] = {"/usr",     "/usr/bin",     "/usr/dir", "/var",
                                           "/var/www", "/var/www/dir", "/bin",     "/outside"};
        int r;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdir(m(dirs[i]), 0755) < 0 && errno != EEXIST)
                        return -errno;
        if ((r = itest_write_file(m("/usr/existing"), "USR\n")) < 0 ||
            (r = itest_write_file(m("/var/www/index.html"), "INDEX\n")) < 0 ||
            (r = itest_write_file(m("/outside/file"), "OUT\n")) < 0 ||
            (r = itest_write_file(m("/outside/suid"), "S\n")) < 0)
                return r;
        return 0;
}

#define REQUIRE_DAEMON() \
        do { \
                const char *why_ = itest_skip_reason(); \
                if (why_) \
                        SKIP(why_); \
                ASSERT_OK(setup()); \
                ASSERT_OK(prepare_tree()); \
        } while (0)

TEST(usr_read_only_refuses_every_write_spelled_below_usr) {
        static const Case cases[] = {
                {"openat O_WRONLY", OP_OPENAT, "/usr/existing", NULL, O_WRONLY, 0, EROFS},
                {"openat O_RDWR", OP_OPENAT, "/usr/existing", NULL, O_RDWR, 0, EROFS},
                {"openat O_RDONLY|O_TRUNC", OP_OPENAT, "/usr/existing", NULL, O_RDONLY | O_TRUNC, 0, EROFS},
                {"openat O_RDONLY|O_CREAT", OP_OPENAT, "/usr/new", NULL, O_RDONLY | O_CREAT, 0, EROFS},
                {"openat O_WRONLY|O_APPEND", OP_OPENAT, "/usr/existing", NULL, O_WRONLY | O_APPEND, 0,
                 EROFS},
                {"open O_WRONLY", OP_OPEN, "/usr/existing", NULL, O_WRONLY, 0, EROFS},
                {"open O_RDONLY|O_CREAT", OP_OPEN, "/usr/new", NULL, O_RDONLY | O_CREAT, 0, EROFS},
                {"openat2 O_WRONLY", OP_OPENAT2, "/usr/existing", NULL, O_WRONLY, 0, ENOSYS},
                {"creat", OP_CREAT, "/usr/new", NULL, 0, 0, EROFS},
                {"truncate", OP_TRUNCATE, "/usr/existing", NULL, 0, 0, EROFS},
                {"mkdir", OP_MKDIR, "/usr/new", NULL, 0, 0, EROFS},
                {"rmdir", OP_RMDIR, "/usr/dir", NULL, 0, 0, EROFS},
                {"unlink", OP_UNLINK, "/usr/existing", NULL, 0, 0, EROFS},
                {"rename into", OP_RENAME, "/outside/file", "/usr/new", 0, 0, EROFS},
                {"rename out of", OP_RENAME, "/usr/existing", "/outside/moved", 0, 0, EROFS},
                {"link into", OP_LINK, "/outside/file", "/usr/new", 0, 0, EROFS},
                {"symlink", OP_SYMLINK, "/usr/new", NULL, 0, 0, EROFS},
                {"mknod", OP_MKNOD, "/usr/new", NULL, 0, 0, EROFS},
                {"chmod", OP_CHMOD, "/usr/existing", NULL, 0, 0777, EROFS},
                {"fchmodat", OP_FCHMODAT, "/usr/existing", NULL, 0, 0777, EROFS},
                {"fchmodat2", OP_FCHMODAT2, "/usr/existing", NULL, 0, 0777, EROFS},
                {"chown", OP_CHOWN, "/usr/existing", NULL, 0, 0, EROFS},
                {"utimensat", OP_UTIMENSAT, "/usr/existing", NULL, 0, 0, EROFS},
                {"setxattr", OP_SETXATTR, "/usr/existing", NULL, 0, 0, EROFS},
                /* The control: reads go through. */
                {"openat O_RDONLY", OP_OPENAT, "/usr/existing", NULL, O_RDONLY, 0, 0},
                {"open O_RDONLY", OP_OPEN, "/usr/existing", NULL, O_RDONLY, 0, 0},
        };
        _cleanup_free_ char *text = NULL;
        struct stat st;
        size_t failed;

        REQUIRE_DAEMON();
        run_table(&examples[0], cases, ELEMENTSOF(cases), &failed);
        ASSERT_EQ(failed, 0);
        /* Nothing below usr changed. */
        ASSERT_OK(itest_read_file(m("/usr/existing"), &text));
        ASSERT_STREQ(text, "USR\n");
        ASSERT_OK(stat(m("/usr/existing"), &st) < 0 ? -errno : 0);
        ASSERT_EQ(st.st_mode & 07777, 0644);
        ASSERT_TRUE(access(m("/usr/new"), F_OK) < 0 && errno == ENOENT);
        ASSERT_OK(stat(m("/usr/dir"), &st) < 0 ? -errno : 0);
}

TEST(web_server_keeps_its_docroot_unwritten_and_shells_and_packet_sockets_out) {
        static const Case cases[] = {
                {"docroot openat O_WRONLY", OP_OPENAT, "/var/www/index.html", NULL, O_WRONLY, 0, EROFS},
                {"docroot open O_WRONLY|O_TRUNC", OP_OPEN, "/var/www/index.html", NULL, O_WRONLY | O_TRUNC,
                 0, EROFS},
                {"docroot openat2", OP_OPENAT2, "/var/www/index.html", NULL, O_WRONLY, 0, ENOSYS},
                {"docroot creat", OP_CREAT, "/var/www/new", NULL, 0, 0, EROFS},
                {"docroot rename into", OP_RENAME, "/outside/file", "/var/www/index.html", 0, 0, EROFS},
                {"docroot link into", OP_LINK, "/outside/file", "/var/www/new", 0, 0, EROFS},
                {"docroot symlink", OP_SYMLINK, "/var/www/new", NULL, 0, 0, EROFS},
                {"docroot rmdir", OP_RMDIR, "/var/www/dir", NULL, 0, 0, EROFS},
                {"docroot chmod", OP_CHMOD, "/var/www/index.html", NULL, 0, 0666, EROFS},
                {"docroot chown", OP_CHOWN, "/var/www/index.html", NULL, 0, 0, EROFS},
                {"docroot setxattr", OP_SETXATTR, "/var/www/index.html", NULL, 0, 0, EROFS},
                {"docroot utimensat", OP_UTIMENSAT, "/var/www/index.html", NULL, 0, 0, EROFS},
                {"exec a shell", OP_EXECVE, "/bin/sh", NULL, 0, 0, EACCES},
                {"exec bash from /usr/bin", OP_EXECVE, "/usr/bin/bash", NULL, 0, 0, EACCES},
                {"packet socket", OP_SOCKET, NULL, NULL, AF_PACKET, 0, EAFNOSUPPORT},
                /* The controls: reading the docroot works. */
                {"docroot openat O_RDONLY", OP_OPENAT, "/var/www/index.html", NULL, O_RDONLY, 0, 0},
                {"docroot open O_RDONLY", OP_OPEN, "/var/www/index.html", NULL, O_RDONLY, 0, 0},
        };
        _cleanup_free_ char *text = NULL;
        size_t failed;

        REQUIRE_DAEMON();
        run_table(&examples[1], cases, ELEMENTSOF(cases), &failed);
        ASSERT_EQ(failed, 0);
        ASSERT_OK(itest_read_file(m("/var/www/index.html"), &text));
        ASSERT_STREQ(text, "INDEX\n");
        ASSERT_TRUE(access(m("/var/www/new"), F_OK) < 0 && errno == ENOENT);
}

TEST(tmp_shadow_refuses_suid_and_sgid_bits_through_every_chmod) {
        static const Case cases[] = {
                {"chmod 04755", OP_CHMOD, "/outside/suid", NULL, 0, 04755, EPERM},
                {"chmod 02755", OP_CHMOD, "/outside/suid", NULL, 0, 02755, EPERM},
                {"fchmod 04755", OP_FCHMOD, "/outside/suid", NULL, 0, 04755, EPERM},
                {"fchmodat 06755", OP_FCHMODAT, "/outside/suid", NULL, 0, 06755, EPERM},
                {"fchmodat2 04755", OP_FCHMODAT2, "/outside/suid", NULL, 0, 04755, EPERM},
                /* The control: a plain mode change works. */
                {"chmod 0755", OP_CHMOD, "/outside/suid", NULL, 0, 0755, 0},
        };
        struct stat st;
        size_t failed;

        REQUIRE_DAEMON();
        run_table(&examples[2], cases, ELEMENTSOF(cases), &failed);
        ASSERT_EQ(failed, 0);
        ASSERT_OK(stat(m("/outside/suid"), &st) < 0 ? -errno : 0);
        ASSERT_EQ(st.st_mode & 07777, 0755);
}

TESTS_MAIN
