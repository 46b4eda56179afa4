/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * resolve_task_path() against the kernel: a forked task stands in a tree
 * of symlinks, removed and deep directories, a chroot and procfs, and for
 * each path the resolver's answer (made from outside, through /proc/PID)
 * must name the very object the kernel opens when the task itself opens
 * the path (compared by device and inode), or fail with the kernel's errno.
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "resolve.h"
#include "tests.h"

#define DEEP_LEVELS 25
#define DEEP_NAME_LEN 200

static char top[PATH_MAX];

typedef struct Request {
        int dirfd;
        int oflags; /* O_NOFOLLOW or 0 */
        uint64_t resolve;
        char path[2 * PATH_MAX];
} Request;

typedef struct Reply {
        int error; /* 0 or an errno */
        dev_t dev;
        ino_t ino;
} Reply;

typedef struct Task {
        pid_t pid;
        int sock;
        /* Descriptors the task opened in its setup. */
        int fd_top, fd_removed, fd_pipe;
        pid_t helper; /* SETUP_PIDNS: the task's parent, outside the namespace */
} Task;

typedef enum Setup {
        SETUP_PLAIN, /* cwd = top */
        SETUP_DEEP, /* cwd deeper than PATH_MAX below top/deep */
        SETUP_CHROOT, /* root = top/jail with its own procfs, fd_top opened before */
        SETUP_PIDNS, /* the same, as pid 1 of a pid namespace of its own */
} Setup;

static const char *t(const char *rel) {
        static char buf[4][PATH_MAX + 64];
        static unsigned n;
        char *b = buf[n++ % 4];

        (void) snprintf(b, sizeof(buf[0]), "%s/%s", top, rel);
        return b;
}

static int make_tree(void) {
        static const char *const dirs[] = {"pub", "d1", "d1/d2", "jail", "jail/etc", "gone-parent", "deep"};
        static const char *const files[] = {"secret", "pub/f", "d1/x", "x", "jail/etc/passwd"};
        static const char *const links[][2] = {
                {"secret", "link-secret"},   {"pub", "dirlink"},       {"d1/d2", "y"},
                {"loop2", "loop1"},          {"loop1", "loop2"},       {"newfile", "dangling"},
                {"/etc/passwd", "jail/abs"}, {"link-secret", "chain"}, {"/proc/self/cwd", "cwdlink"},
                {"/secret", "abs-top"},
        };

        if (!mkdtemp(top))
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdir(t(dirs[i]), 0755) < 0)
                        return -errno;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                int fd = open(t(files[i]), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

                if (fd < 0)
                        return -errno;
                close(fd);
        }
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlink(links[i][0], t(links[i][1])) < 0)
                        return -errno;
        return 0;
}

static _Noreturn void task_main(int sock, Setup setup) {
        int fds[3] = {-1, -1, -1}, pipefd[2];
        Request rq;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (setup == SETUP_PIDNS) {
                pid_t child;
                int status;

                /* The task is our child, pid 1 in the new namespace; its
                 * pid as the test sees it goes first. */
                int go[2];
                char c;

                if (unshare(CLONE_NEWPID) < 0 || pipe(go) < 0)
                        _exit(10);
                child = fork();
                if (child < 0)
                        _exit(11);
                if (child > 0) {
                        if (send(sock, &child, sizeof(child), 0) != sizeof(child) ||
                            write(go[1], "", 1) != 1)
                                _exit(12);
                        (void) waitpid(child, &status, 0);
                        _exit(0);
                }
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                /* Our pid goes first: wait until it is sent. */
                if (read(go[0], &c, 1) != 1)
                        _exit(13);
        }
        fds[0] = open(top, O_RDONLY | O_DIRECTORY);
        if (mkdir(t("gone-parent/gone"), 0755) < 0 && errno != EEXIST)
                _exit(2);
        fds[1] = open(t("gone-parent/gone"), O_RDONLY | O_DIRECTORY);
        if (fds[0] < 0 || fds[1] < 0 || rmdir(t("gone-parent/gone")) < 0 || pipe(pipefd) < 0)
                _exit(3);
        fds[2] = pipefd[0];
        if (chdir(top) < 0)
                _exit(4);
        if (setup == SETUP_DEEP) {
                char name[DEEP_NAME_LEN + 1];

                memset(name, 'd', DEEP_NAME_LEN);
                name[DEEP_NAME_LEN] = '\0';
                if (chdir("deep") < 0)
                        _exit(5);
                for (int i = 0; i < DEEP_LEVELS; i++)
                        if ((mkdir(name, 0755) < 0 && errno != EEXIST) || chdir(name) < 0)
                                _exit(6);
        } else if (setup == SETUP_CHROOT || setup == SETUP_PIDNS) {
                /* Its own procfs inside the jail, in a mount namespace of its own. */
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                    (mkdir(t("jail/proc"), 0755) < 0 && errno != EEXIST) ||
                    mount("proc", t("jail/proc"), "proc", 0, NULL) < 0)
                        _exit(6);
                if (chroot(t("jail")) < 0 || chdir("/") < 0)
                        _exit(7);
        }
        if (send(sock, fds, sizeof(fds), 0) != sizeof(fds))
                _exit(8);

        while (recv(sock, &rq, sizeof(rq), MSG_WAITALL) == sizeof(rq)) {
                struct open_how how = {.flags = O_PATH | rq.oflags, .resolve = rq.resolve};
                Reply rp = {};
                struct stat st;
                long fd = syscall(SYS_openat2, rq.dirfd, rq.path, &how, sizeof(how));

                if (fd < 0)
                        rp.error = errno;
                else if (fstat((int) fd, &st) < 0)
                        rp.error = errno;
                else {
                        rp.dev = st.st_dev;
                        rp.ino = st.st_ino;
                }
                if (fd >= 0)
                        close((int) fd);
                if (send(sock, &rp, sizeof(rp), 0) != sizeof(rp))
                        _exit(9);
        }
        _exit(0);
}

static int task_start(Task *task, Setup setup) {
        int sv[2], fds[3];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        task->pid = fork();
        if (task->pid < 0)
                return -errno;
        if (task->pid == 0) {
                close(sv[0]);
                task_main(sv[1], setup);
        }
        close(sv[1]);
        task->sock = sv[0];
        if (setup == SETUP_PIDNS) {
                /* The one in the namespace answers; its parent just waits. */
                task->helper = task->pid;
                if (recv(task->sock, &task->pid, sizeof(task->pid), 0) != sizeof(task->pid))
                        return -EIO;
        }
        if (recv(task->sock, fds, sizeof(fds), 0) != sizeof(fds))
                return -EIO;
        task->fd_top = fds[0];
        task->fd_removed = fds[1];
        task->fd_pipe = fds[2];
        return 0;
}

static void task_stop(Task *task) {
        if (task->pid > 0) {
                close(task->sock);
                (void) kill(task->pid, SIGKILL);
                (void) waitpid(task->helper > 0 ? task->helper : task->pid, NULL, 0);
                task->pid = 0;
        }
}

/* What the kernel opens for the task: 0 and its identity, or an errno. */
static int kernel_opens(Task *task, int dirfd, const char *path, int oflags, uint64_t resolve, Reply *ret) {
        Request rq = {.dirfd = dirfd, .oflags = oflags, .resolve = resolve};

        (void) snprintf(rq.path, sizeof(rq.path), "%s", path);
        if (send(task->sock, &rq, sizeof(rq), 0) != sizeof(rq) ||
            recv(task->sock, ret, sizeof(*ret), 0) != sizeof(*ret))
                return -EIO;
        return 0;
}

/*
 * Resolve and compare with the kernel. want: the expected result (NULL: no
 * check of the text), or want_error (> 0) for a failure both must agree on.
 */
static int check(Task *task, int dirfd, const char *path, ResolveFinal final, uint64_t resolve,
                 const char *want, int want_error) {
        char got[PATH_MAX], via_root[PATH_MAX + 64];
        Reply k;
        struct stat st;
        int r;

        r = resolve_task_path(task->pid, dirfd, path, final, resolve, got, sizeof(got));
        if (kernel_opens(task, dirfd, path, final == RESOLVE_FINAL_NOFOLLOW ? O_NOFOLLOW : 0, resolve, &k) <
            0)
                return printf("# %s: the task did not answer\n", path), -1;
        if (want_error) {
                if (r != -want_error || k.error != want_error)
                        return printf("# %s: resolver %d, kernel %d, expected -%d\n", path, r, k.error,
                                      want_error),
                               -1;
                return 0;
        }
        if (r < 0)
                return printf("# %s: resolver failed: %s\n", path, strerror(-r)), -1;
        if (want && strcmp(got, want) != 0)
                return printf("# %s: resolved to %s, expected %s\n", path, got, want), -1;
        if (k.error)
                return printf("# %s: resolved to %s, but the kernel fails: %s\n", path, got,
                              strerror(k.error)),
                       -1;
        /* The same object: the result, looked up through the task's root. */
        (void) snprintf(via_root, sizeof(via_root), "/proc/%d/root%s", (int) task->pid, got);
        if (lstat(via_root, &st) < 0)
                return printf("# %s: resolved to %s, which does not exist: %m\n", path, got), -1;
        if (st.st_dev != k.dev || st.st_ino != k.ino)
                return printf("# %s: resolved to %s, but the kernel opens another object\n", path, got), -1;
        return 0;
}

#define CHECK(task, dirfd, path, final, resolve, want) \
        ASSERT_EQ(check(task, dirfd, path, final, resolve, want, 0), 0)
#define CHECK_ERROR(task, dirfd, path, final, resolve, err) \
        ASSERT_EQ(check(task, dirfd, path, final, resolve, NULL, err), 0)

#define F RESOLVE_FINAL_FOLLOW
#define NF RESOLVE_FINAL_NOFOLLOW

TEST(plain_paths_and_symlinks_resolve_to_what_the_kernel_opens) {
        _cleanup_(task_stop) Task task = {};

        ASSERT_OK(task_start(&task, SETUP_PLAIN));
        CHECK(&task, AT_FDCWD, "secret", F, 0, t("secret"));
        CHECK(&task, AT_FDCWD, t("secret"), F, 0, t("secret"));
        CHECK(&task, AT_FDCWD, "link-secret", F, 0, t("secret"));
        CHECK(&task, AT_FDCWD, "link-secret", NF, 0, t("link-secret"));
        CHECK(&task, AT_FDCWD, "chain", F, 0, t("secret"));
        CHECK(&task, AT_FDCWD, "dirlink/f", F, 0, t("pub/f"));
        CHECK(&task, AT_FDCWD, "dirlink/", NF, 0, t("pub"));
        /* ".." after a symlink goes up from where the link led. */
        CHECK(&task, AT_FDCWD, "y/../x", F, 0, t("d1/x"));
        CHECK(&task, AT_FDCWD, ".//pub/./../secret", F, 0, t("secret"));
        CHECK(&task, task.fd_top, "pub/f", F, 0, t("pub/f"));
        CHECK(&task, AT_FDCWD, "/../../", F, 0, "/");
}

TEST(magic_links_name_the_object_they_stand_for) {
        _cleanup_(task_stop) Task task = {};
        char p[PATH_MAX];

        ASSERT_OK(task_start(&task, SETUP_PLAIN));
        CHECK(&task, AT_FDCWD, "/proc/self/cwd/secret", F, 0, t("secret"));
        CHECK(&task, AT_FDCWD, "/proc/thread-self/cwd/secret", F, 0, t("secret"));
        (void) snprintf(p, sizeof(p), "/proc/self/root%s", t("secret"));
        CHECK(&task, AT_FDCWD, p, F, 0, t("secret"));
        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d/secret", task.fd_top);
        CHECK(&task, AT_FDCWD, p, F, 0, t("secret"));
        (void) snprintf(p, sizeof(p), "/dev/fd/%d/pub/f", task.fd_top);
        CHECK(&task, AT_FDCWD, p, F, 0, t("pub/f"));
        (void) snprintf(p, sizeof(p), "/proc/%d/cwd/secret", (int) task.pid);
        CHECK(&task, AT_FDCWD, p, F, 0, t("secret"));
        CHECK(&task, AT_FDCWD, "cwdlink/secret", F, 0, t("secret"));
}

TEST(a_pipe_behind_a_magic_link_is_no_path) {
        _cleanup_(task_stop) Task task = {};
        char p[64], got[PATH_MAX];

        ASSERT_OK(task_start(&task, SETUP_PLAIN));
        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d", task.fd_pipe);
        ASSERT_OK(resolve_task_path(task.pid, AT_FDCWD, p, F, 0, got, sizeof(got)));
        ASSERT_TRUE(strncmp(got, "pipe:[", 6) == 0);
}

TEST(failures_are_the_kernels) {
        _cleanup_(task_stop) Task task = {};

        ASSERT_OK(task_start(&task, SETUP_PLAIN));
        CHECK_ERROR(&task, AT_FDCWD, "loop1", F, 0, ELOOP);
        CHECK_ERROR(&task, AT_FDCWD, "missing/x", F, 0, ENOENT);
        CHECK_ERROR(&task, AT_FDCWD, "missing", F, 0, ENOENT);
        CHECK_ERROR(&task, AT_FDCWD, "secret/x", F, 0, ENOTDIR);
        CHECK_ERROR(&task, AT_FDCWD, "dangling", F, 0, ENOENT);
        CHECK_ERROR(&task, 999, "x", F, 0, EBADF);
}

TEST(create_follows_a_dangling_link_and_parent_does_not) {
        _cleanup_(task_stop) Task task = {};
        char got[PATH_MAX];

        ASSERT_OK(task_start(&task, SETUP_PLAIN));
        ASSERT_OK(resolve_task_path(task.pid, AT_FDCWD, "dangling", RESOLVE_FINAL_CREATE, 0, got,
                                    sizeof(got)));
        ASSERT_STREQ(got, t("newfile"));
        ASSERT_OK(resolve_task_path(task.pid, AT_FDCWD, "dangling", RESOLVE_FINAL_PARENT, 0, got,
                                    sizeof(got)));
        ASSERT_STREQ(got, t("dangling"));
        ASSERT_OK(resolve_task_path(task.pid, AT_FDCWD, "dirlink/new", RESOLVE_FINAL_PARENT, 0, got,
                                    sizeof(got)));
        ASSERT_STREQ(got, t("pub/new"));
}

TEST(a_removed_directory_and_a_cwd_deeper_than_path_max_still_resolve) {
        _cleanup_(task_stop) Task plain = {}, deep = {};
        char rel[3 * DEEP_LEVELS + 16] = "";

        ASSERT_OK(task_start(&plain, SETUP_PLAIN));
        CHECK(&plain, plain.fd_removed, "../../secret", F, 0, t("secret"));
        CHECK_ERROR(&plain, plain.fd_removed, "x", F, 0, ENOENT);
        CHECK_ERROR(&plain, plain.fd_removed, "new", RESOLVE_FINAL_PARENT, 0, ENOENT);
        /* The removed directory itself is still there for the task, by no name. */
        {
                char got[PATH_MAX];

                ASSERT_OK(resolve_task_path(plain.pid, plain.fd_removed, ".", F, 0, got, sizeof(got)));
                ASSERT_STREQ(got, RESOLVE_NAME_DELETED);
        }

        ASSERT_OK(task_start(&deep, SETUP_DEEP));
        for (int i = 0; i < DEEP_LEVELS + 1; i++)
                strcat(rel, "../");
        strcat(rel, "secret");
        CHECK(&deep, AT_FDCWD, rel, F, 0, t("secret"));
}

TEST(chroot_is_respected_and_an_fd_outside_it_has_no_name) {
        _cleanup_(task_stop) Task task = {};

        if (geteuid() != 0)
                SKIP("chroot needs root");
        ASSERT_OK(task_start(&task, SETUP_CHROOT));
        CHECK(&task, AT_FDCWD, "/etc/passwd", F, 0, "/etc/passwd");
        CHECK(&task, AT_FDCWD, "/abs", F, 0, "/etc/passwd");
        CHECK(&task, AT_FDCWD, "../../../etc/passwd", F, 0, "/etc/passwd");
        CHECK(&task, AT_FDCWD, "/../abs", NF, 0, "/abs");
        /* Magic links jump to the object, inside the jail's own procfs. */
        CHECK(&task, AT_FDCWD, "/proc/self/cwd/etc/passwd", F, 0, "/etc/passwd");
        CHECK(&task, AT_FDCWD, "/proc/thread-self/root/abs", F, 0, "/etc/passwd");
        /* The kernel opens these; the task has no name for them: no rule
         * could judge them by name, and the caller must not pretend it can. */
        ASSERT_ERROR(resolve_task_path(task.pid, task.fd_top, "secret", F, 0, (char[PATH_MAX]){}, PATH_MAX),
                     EREMOTE);
        {
                char p[64];

                (void) snprintf(p, sizeof(p), "/proc/self/fd/%d/secret", task.fd_top);
                ASSERT_ERROR(resolve_task_path(task.pid, AT_FDCWD, p, F, 0, (char[PATH_MAX]){}, PATH_MAX),
                             EREMOTE);
        }
}

TEST(proc_self_means_the_task_in_its_own_pid_namespace) {
        _cleanup_(task_stop) Task task = {};

        if (geteuid() != 0)
                SKIP("pid and mount namespaces need root");
        ASSERT_OK(task_start(&task, SETUP_PIDNS));
        /* Read as ours, "self" would be the test's pid: no such process there. */
        CHECK(&task, AT_FDCWD, "/proc/self/cwd/etc/passwd", F, 0, "/etc/passwd");
        CHECK(&task, AT_FDCWD, "/proc/thread-self/root/abs", F, 0, "/etc/passwd");
        CHECK(&task, AT_FDCWD, "/proc/1/cwd/etc/passwd", F, 0, "/etc/passwd");
        CHECK(&task, AT_FDCWD, "/proc/self", NF, 0, "/proc/self");
}

TEST(openat2_scopes_and_link_refusals_are_the_kernels) {
        _cleanup_(task_stop) Task task = {};

        ASSERT_OK(task_start(&task, SETUP_PLAIN));
        CHECK(&task, task.fd_top, "/jail/etc/passwd", F, RESOLVE_IN_ROOT, t("jail/etc/passwd"));
        /* An absolute link body starts at the dirfd too. */
        CHECK(&task, task.fd_top, "../../abs-top", F, RESOLVE_IN_ROOT, t("secret"));
        CHECK_ERROR(&task, task.fd_top, "../secret", F, RESOLVE_BENEATH, EXDEV);
        CHECK_ERROR(&task, task.fd_top, "/secret", F, RESOLVE_BENEATH, EXDEV);
        CHECK(&task, task.fd_top, "pub/../secret", F, RESOLVE_BENEATH, t("secret"));
        CHECK_ERROR(&task, AT_FDCWD, "link-secret", F, RESOLVE_NO_SYMLINKS, ELOOP);
        CHECK_ERROR(&task, AT_FDCWD, "/proc/self/cwd/secret", F, RESOLVE_NO_MAGICLINKS, ELOOP);
}

static void cleanup_tree(void) {
        char cmd[PATH_MAX + 32];

        if (top[0] == '/') {
                (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
                (void) system(cmd);
        }
}

__attribute__((constructor)) static void init(void) {
        const char *why = NULL;

        (void) snprintf(top, sizeof(top), "/tmp/srd-resolve-XXXXXX");
        if (make_tree() < 0)
                why = "cannot make the test tree";
        if (!why)
                atexit(cleanup_tree);
        else
                fprintf(stderr, "%s\n", why);
}

TESTS_MAIN
