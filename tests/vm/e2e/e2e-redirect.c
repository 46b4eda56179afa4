/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Redirect end to end: the real seccomp-redirectd answers a target that sits
 * under a SECCOMP_FILTER_FLAG_REDIRECT notify filter on the patched kernel,
 * and what the target's syscalls reach is the sandbox, never the real path.
 *
 * The daemon's temp dir D holds real/ (what the target names) and sb/ (what
 * the policy redirects to). Every file has a distinct content, inode or
 * absence, so each case can tell which one a syscall reached: a fallback
 * (EPERM), a syscall let through unchanged and a redirect all look
 * different. One case is one target, one container id and one TAP line;
 * the target only issues the syscall under test and records what came back
 * in shared memory, the parent checks that and the file system afterwards,
 * and the daemon's log must show the rule's redirect and no fallback.
 *
 * Covered: every redirectable path family of lib/syscalls.c (open, creat,
 * openat, openat2, stat, lstat, newfstatat, statx, access, faccessat,
 * faccessat2, readlink(at), execve(at), mkdir(at), unlink(at), rmdir,
 * rename(at,at2) with both paths, link(at), symlink(at), chmod, fchmodat(2),
 * chown, fchownat, lchown, truncate), absolute and relative paths (to the
 * cwd and to a dirfd), "to" templates ({path}, {suffix}, a fixed target,
 * a rule without a path condition), "set" rewrites alone (also of a
 * pathless syscall) and together with "to", the six argument registers
 * after a redirect, and the container's "redirect" in the status.
 *
 * Written for the x86_64 guest of tests/vm/run-vm: the legacy syscalls and
 * the register check are x86_64's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e-redirect.h"
#include "macro.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

#define TARGET_TIMEOUT_MS 60000u
#define GONE_TIMEOUT_MS 15000u
#define POLICY "e2e"

static const char policy_json[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"" POLICY "\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"exact\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/real/exact\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/exact-target\", \"log\": true },\n"
        "    { \"name\": \"to-and-set\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/real/both\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/both\",\n"
        "      \"set\": [ { \"index\": 2, \"value\": 0, \"mask\": 3 } ], \"log\": true },\n"
        "    { \"name\": \"set-only\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"glob\": \"@TMP@/real/ro*\" },\n"
        "      \"action\": \"redirect\", \"set\": [ { \"index\": 2, \"value\": 0, \"mask\": 3 } ], \"log\": "
        "true },\n"
        "    { \"name\": \"umask-set\", \"names\": [\"umask\"],\n"
        "      \"args\": [ { \"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 511 } ],\n"
        "      \"action\": \"redirect\", \"set\": [ { \"index\": 0, \"value\": 23 } ], \"log\": true },\n"
        "    { \"name\": \"by-args\", \"names\": [\"openat\"],\n"
        "      \"args\": [ { \"index\": 3, \"op\": \"SCMP_CMP_EQ\", \"value\": 668 } ],\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/by-args\", \"log\": true },\n"
        "    { \"name\": \"path-template\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"prefix\": \"@TMP@/real/tpl/\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/shadow{path}\", \"log\": true },\n"
        "    { \"name\": \"suffix\",\n"
        "      \"names\": [\"open\", \"creat\", \"openat\", \"openat2\", \"stat\", \"lstat\", "
        "\"newfstatat\",\n"
        "                \"statx\", \"access\", \"faccessat\", \"faccessat2\", \"readlink\", "
        "\"readlinkat\",\n"
        "                \"execve\", \"execveat\", \"mkdir\", \"mkdirat\", \"unlink\", \"unlinkat\", "
        "\"rmdir\",\n"
        "                \"rename\", \"renameat\", \"renameat2\", \"link\", \"linkat\", \"symlink\",\n"
        "                \"symlinkat\", \"chmod\", \"fchmodat\", \"fchmodat2\", \"chown\", \"fchownat\",\n"
        "                \"lchown\", \"truncate\"],\n"
        "      \"path\": { \"prefix\": \"@TMP@/real/\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/{suffix}\", \"log\": true }\n"
        "  ]\n"
        "}\n";

#if defined(__x86_64__)

/* What the target's filter sends to the daemon: every family under test. */
static const int notified[] = {
        SYS_open,       SYS_creat,    SYS_openat,    SYS_openat2,   SYS_stat,       SYS_lstat,
        SYS_newfstatat, SYS_statx,    SYS_access,    SYS_faccessat, SYS_faccessat2, SYS_readlink,
        SYS_readlinkat, SYS_execve,   SYS_execveat,  SYS_mkdir,     SYS_mkdirat,    SYS_unlink,
        SYS_unlinkat,   SYS_rmdir,    SYS_rename,    SYS_renameat,  SYS_renameat2,  SYS_link,
        SYS_linkat,     SYS_symlink,  SYS_symlinkat, SYS_chmod,     SYS_fchmodat,   SYS_fchmodat2,
        SYS_chown,      SYS_fchownat, SYS_lchown,    SYS_truncate,  SYS_umask,
};

Result *res;
static Daemon daemon_;
char real_dir[ITEST_PATH_MAX + 16], sb_dir[ITEST_PATH_MAX + 16], outside_dir[ITEST_PATH_MAX + 16];
int real_dfd = -1;
int exec_pipe[2] = {-1, -1};

/* ------------------------------------------------------------------------ */
/* Paths and files (the parent, and the target for building its arguments). */

const char *join(const char *dir, const char *name) {
        static char ring[8][PATH_BUF];
        static unsigned next;
        char *p = ring[next++ % 8];

        if ((size_t) snprintf(p, sizeof(ring[0]), "%s/%s", dir, name) >= sizeof(ring[0]))
                abort(); /* a bug in this test: its paths are short */
        return p;
}

const char *real(const char *name) {
        return join(real_dir, name);
}

const char *sbx(const char *name) {
        return join(sb_dir, name);
}

/* sb/ name a redirect of real/a leads to. */
static const char *sandbox_name(const Case *c) {
        static char buf[PATH_BUF];

        if (c->fixture == FIX_TEMPLATE) {
                (void) snprintf(buf, sizeof(buf), "shadow%s/%s", real_dir, c->a);
                return buf;
        }
        return c->b && c->check == CHECK_TEXT ? c->b : c->a;
}

static int mkdir_p(const char *path, mode_t mode) {
        char buf[PATH_BUF];

        (void) snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *p = '/';
                }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int parent_dir(const char *path) {
        char buf[PATH_BUF], *slash;

        (void) snprintf(buf, sizeof(buf), "%s", path);
        slash = strrchr(buf, '/');
        if (!slash || slash == buf)
                return 0;
        *slash = '\0';
        return mkdir_p(buf, 0755);
}

static int put_file(const char *path, const char *tag, const char *name, mode_t mode) {
        char content[PATH_BUF];
        int r;

        r = parent_dir(path);
        if (r < 0)
                return r;
        (void) snprintf(content, sizeof(content), "%s:%s\n", tag, name);
        r = itest_write_file(path, content);
        if (r < 0)
                return r;
        return chmod(path, mode) < 0 ? -errno : 0;
}

static int put_symlink(const char *path, const char *target) {
        int r = parent_dir(path);

        if (r < 0)
                return r;
        return symlink(target, path) < 0 ? -errno : 0;
}

static int copy_self(const char *path) {
        char buf[65536];
        int in, out, r = 0;
        ssize_t k;

        in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return -errno;
        out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        if (out < 0) {
                r = -errno;
                close(in);
                return r;
        }
        while ((k = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t) k) != k) {
                        r = -EIO;
                        break;
                }
        if (k < 0)
                r = -errno;
        close(in);
        close(out);
        return r;
}

static int make_fixture(const Case *c) {
        int r = 0;

        switch (c->fixture) {
        case FIX_FILES:
                r = put_file(real(c->a), "real", c->a, 0644);
                if (r >= 0)
                        r = put_file(sbx(c->b && c->check == CHECK_TEXT ? c->b : c->a), "sandbox",
                                     c->b && c->check == CHECK_TEXT ? c->b : c->a, 0644);
                break;
        case FIX_SANDBOX_ONLY:
                r = put_file(sbx(c->a), "sandbox", c->a, 0755);
                break;
        case FIX_SYMLINKS:
                r = put_symlink(real(c->a), "real-link-target");
                if (r >= 0)
                        r = put_symlink(sbx(c->a), "sandbox-link-target");
                break;
        case FIX_PROG:
                r = copy_self(real(c->a));
                if (r >= 0)
                        r = copy_self(sbx(c->a));
                break;
        case FIX_DIRS:
                r = mkdir_p(real(c->a), 0755);
                if (r >= 0)
                        r = mkdir_p(sbx(c->a), 0755);
                break;
        case FIX_TEMPLATE:
                r = put_file(real(c->a), "real", c->a, 0644);
                if (r >= 0)
                        r = put_file(sbx(sandbox_name(c)), "sandbox", sandbox_name(c), 0644);
                break;
        case FIX_OUTSIDE:
                r = put_file(join(outside_dir, c->a), "outside", c->a, 0644);
                break;
        case FIX_NONE:
                break;
        }
        return r;
}

static bool file_is(const char *path, const char *tag, const char *name) {
        char want[PATH_BUF], *text = NULL;
        bool eq;

        (void) snprintf(want, sizeof(want), "%s:%s\n", tag, name);
        if (itest_read_file(path, &text) < 0)
                return false;
        eq = streq(text, want);
        free(text);
        return eq;
}

static bool absent(const char *path) {
        struct stat st;

        return lstat(path, &st) < 0 && errno == ENOENT;
}

/* ------------------------------------------------------------------------ */
/* Checks in the parent.                                                     */

#define FAIL(...) \
        do { \
                (void) snprintf(why, n, __VA_ARGS__); \
                return false; \
        } while (0)

static const char *errstr(long r) {
        static char buf[64];

        if (r >= 0)
                (void) snprintf(buf, sizeof(buf), "%ld", r);
        else
                (void) snprintf(buf, sizeof(buf), "-%s", strerrorname_np((int) -r) ?: "?");
        return buf;
}

static bool check_stat_is(const char *path, bool follow, char *why, size_t n) {
        struct stat st;

        if ((follow ? stat(path, &st) : lstat(path, &st)) < 0)
                FAIL("cannot stat %s: %m", path);
        if (res->ino != st.st_ino || res->dev != st.st_dev)
                FAIL("got inode %llu dev %llu, the sandbox file has %llu dev %llu",
                     (unsigned long long) res->ino, (unsigned long long) res->dev,
                     (unsigned long long) st.st_ino, (unsigned long long) st.st_dev);
        return true;
}

static bool check_result(const Case *c, char *why, size_t n) {
        struct stat st, st2;
        char buf[PATH_BUF], want[PATH_BUF], *text = NULL;
        ssize_t k;

        if (c->check != CHECK_TEXT && c->check != CHECK_SET && c->check != CHECK_REGS &&
            c->check != CHECK_STATUS && c->check != CHECK_EXEC && c->check != CHECK_CREAT &&
            c->check != CHECK_READLINK && res->ret != 0)
                FAIL("the syscall returned %s, expected 0", errstr(res->ret));

        switch (c->check) {
        case CHECK_TEXT:
        case CHECK_STATUS:
                if (res->ret < 0)
                        FAIL("the syscall failed: %s", errstr(res->ret));
                (void) snprintf(want, sizeof(want), "sandbox:%.1000s\n", sandbox_name(c));
                if (!streq(res->text, want))
                        FAIL("read back \"%.200s\", expected \"%.200s\"", res->text, want);
                return true;
        case CHECK_INO:
                return check_stat_is(sbx(c->a), false, why, n);
        case CHECK_ZERO:
                if (!absent(real(c->a)))
                        FAIL("fixture broken: %s exists", real(c->a));
                return true;
        case CHECK_READLINK:
                if (res->ret < 0)
                        FAIL("the syscall failed: %s", errstr(res->ret));
                if (!streq(res->text, "sandbox-link-target"))
                        FAIL("the link reads \"%.200s\", expected \"sandbox-link-target\"", res->text);
                return true;
        case CHECK_EXEC:
                if (!streq(res->out, sbx(c->a)))
                        FAIL("the exec'd program is \"%.200s\" (exec result %s), expected %s", res->out,
                             errstr(res->ret), sbx(c->a));
                return true;
        case CHECK_MKDIR:
                if (lstat(sbx(c->a), &st) < 0 || !S_ISDIR(st.st_mode))
                        FAIL("%s is not a directory", sbx(c->a));
                if (!absent(real(c->a)))
                        FAIL("%s was created too", real(c->a));
                return true;
        case CHECK_GONE:
                if (!absent(sbx(c->a)))
                        FAIL("%s is still there", sbx(c->a));
                if (absent(real(c->a)))
                        FAIL("%s was removed", real(c->a));
                return true;
        case CHECK_RENAMED:
                if (!file_is(sbx(c->b), "sandbox", c->a))
                        FAIL("%s does not hold sb/%s's content", sbx(c->b), c->a);
                if (!absent(sbx(c->a)))
                        FAIL("%s is still there", sbx(c->a));
                if (!file_is(real(c->a), "real", c->a) || !absent(real(c->b)))
                        FAIL("real/%s or real/%s changed", c->a, c->b);
                return true;
        case CHECK_ONLY_NEW:
                if (!file_is(sbx(c->b), "outside", c->a))
                        FAIL("%s does not hold outside/%s's content", sbx(c->b), c->a);
                if (!absent(join(outside_dir, c->a)) || !absent(real(c->b)))
                        FAIL("outside/%s still there or real/%s created", c->a, c->b);
                return true;
        case CHECK_LINKED:
                if (lstat(sbx(c->a), &st) < 0 || lstat(sbx(c->b), &st2) < 0)
                        FAIL("%s or %s missing", sbx(c->a), sbx(c->b));
                if (st.st_ino != st2.st_ino)
                        FAIL("%s is not a hard link of %s", sbx(c->b), sbx(c->a));
                if (!absent(real(c->b)))
                        FAIL("%s was created", real(c->b));
                return true;
        case CHECK_SYMLINK:
                k = readlink(sbx(c->a), buf, sizeof(buf) - 1);
                if (k < 0)
                        FAIL("%s is not a symlink: %m", sbx(c->a));
                buf[k] = '\0';
                if (!streq(buf, real(c->b)))
                        FAIL("its text is \"%.300s\", expected the unrewritten \"%.300s\"", buf, real(c->b));
                if (!absent(real(c->a)))
                        FAIL("%s was created", real(c->a));
                return true;
        case CHECK_MODE:
                if (stat(sbx(c->a), &st) < 0 || stat(real(c->a), &st2) < 0)
                        FAIL("stat failed: %m");
                if ((st.st_mode & 07777) != 0600 || (st2.st_mode & 07777) != 0644)
                        FAIL("modes: sandbox %o (want 600), real %o (want 644)", st.st_mode & 07777,
                             st2.st_mode & 07777);
                return true;
        case CHECK_OWNER:
                if (lstat(sbx(c->a), &st) < 0 || lstat(real(c->a), &st2) < 0)
                        FAIL("lstat failed: %m");
                if (st.st_uid != CHOWN_UID || st.st_gid != CHOWN_GID || st2.st_uid != 0 || st2.st_gid != 0)
                        FAIL("owners: sandbox %u:%u (want %u:%u), real %u:%u (want 0:0)", st.st_uid,
                             st.st_gid, CHOWN_UID, CHOWN_GID, st2.st_uid, st2.st_gid);
                return true;
        case CHECK_SIZE:
                if (stat(sbx(c->a), &st) < 0 || stat(real(c->a), &st2) < 0)
                        FAIL("stat failed: %m");
                if (st.st_size != 3 || st2.st_size <= 3)
                        FAIL("sizes: sandbox %lld (want 3), real %lld (want > 3)", (long long) st.st_size,
                             (long long) st2.st_size);
                return true;
        case CHECK_CREAT:
                if (res->ret < 0 || res->aux != 8)
                        FAIL("creat %s, write %s", errstr(res->ret), errstr(res->aux));
                if (itest_read_file(sbx(c->a), &text) < 0)
                        FAIL("%s was not created", sbx(c->a));
                k = streq(text, "created\n");
                free(text);
                if (!k)
                        FAIL("%s does not hold what was written", sbx(c->a));
                if (!absent(real(c->a)))
                        FAIL("%s was created", real(c->a));
                return true;
        case CHECK_SET:
                if (res->ret < 0)
                        FAIL("the open failed: %s", errstr(res->ret));
                if (res->acc_mode != O_RDONLY || res->aux != -EBADF)
                        FAIL("access mode %d (want O_RDONLY), write %s (want -EBADF)", res->acc_mode,
                             errstr(res->aux));
                if (c->b)
                        (void) snprintf(want, sizeof(want), "sandbox:%s\n", c->b);
                else
                        (void) snprintf(want, sizeof(want), "real:%s\n", c->a);
                if (!streq(res->text, want))
                        FAIL("read back \"%.200s\", expected \"%.200s\"", res->text, want);
                if (!file_is(real(c->a), "real", c->a) || (c->b && !file_is(sbx(c->b), "sandbox", c->b)))
                        FAIL("a file was written to");
                return true;
        case CHECK_UMASK:
                if (res->aux != 027)
                        FAIL("umask after umask(0777) is %lo, expected 27 (the rewritten value)",
                             (unsigned long) res->aux);
                return true;
        case CHECK_REGS:
                for (unsigned i = 0; i < 6; i++)
                        if (res->regs_in[i] != res->regs_out[i])
                                FAIL("register %u: %#lx before, %#lx after (rdi rsi rdx r10 r8 r9)", i,
                                     res->regs_in[i], res->regs_out[i]);
                if (res->ret < 0)
                        FAIL("openat failed: %s", errstr(res->ret));
                (void) snprintf(want, sizeof(want), "%s:%s\n", c->b ? "real" : "sandbox", c->a);
                if (!streq(res->text, want))
                        FAIL("read back \"%.200s\", expected \"%.200s\"", res->text, want);
                if (c->b && res->acc_mode != O_RDONLY)
                        FAIL("access mode %d, expected O_RDONLY", res->acc_mode);
                return true;
        case CHECK_LOG:
                return true;
        }
        FAIL("unknown check");
}

/* The daemon's lines about container id since offset: the rule's redirect, no fallback. */
static bool check_log(const char *id, const char *rule, size_t offset, char *why, size_t n) {
        char *text = NULL, prefix[64], applied[128];
        bool seen = false;
        char *line, *save = NULL;

        (void) snprintf(prefix, sizeof(prefix), "Container %s pid ", id);
        (void) snprintf(applied, sizeof(applied), "-> rule \"%s\": redirect.", rule);
        if (itest_read_file(daemon_.log, &text) < 0)
                FAIL("cannot read the daemon log");
        if (strlen(text) < offset) {
                free(text);
                FAIL("the daemon log shrank");
        }
        for (line = strtok_r(text + offset, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (!strstr(line, prefix))
                        continue;
                if (strstr(line, "redirectFallback") || strstr(line, "refused")) {
                        (void) snprintf(why, n, "daemon log: %.400s", line);
                        free(text);
                        return false;
                }
                if (strstr(line, applied))
                        seen = true;
        }
        free(text);
        if (!seen)
                FAIL("the daemon log has no \"%s\" line for container %s", applied, id);
        return true;
}

static bool check_status(const char *id, char *why, size_t n) {
        json_object *s = NULL, *ctr;
        const char *v;
        long long notifications;
        char cmd_out[65536];
        int p[2], st, r;
        ssize_t k, len = 0;
        pid_t pid;

        r = control_status(daemon_.control, &s);
        if (r < 0)
                FAIL("status on the control socket: %s", strerror(-r));
        ctr = status_container(s, id);
        v = status_str(ctr, "redirect");
        notifications = status_int(ctr, "notifications");
        if (!v || !streq(v, "supported") || notifications < 1) {
                (void) snprintf(why, n, "control socket: container %s redirect \"%s\", %lld notifications",
                                id, v ?: "(none)", notifications);
                json_object_put(s);
                return false;
        }
        json_object_put(s);

        if (!itest_ctl_binary()) {
                printf("# SRD_CTL unset: checked the control socket only\n");
                return true;
        }
        if (pipe2(p, O_CLOEXEC) < 0)
                FAIL("pipe: %m");
        pid = fork();
        if (pid < 0)
                FAIL("fork: %m");
        if (pid == 0) {
                if (dup2(p[1], STDOUT_FILENO) < 0)
                        _exit(127);
                execl(itest_ctl_binary(), "seccomp-redirectctl", "status", "--control", daemon_.control,
                      "--json", (char *) NULL);
                _exit(127);
        }
        close(p[1]);
        while (len < (ssize_t) sizeof(cmd_out) - 1 &&
               (k = read(p[0], cmd_out + len, sizeof(cmd_out) - 1 - (size_t) len)) > 0)
                len += k;
        cmd_out[len] = '\0';
        close(p[0]);
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                FAIL("%s status --json failed (status %#x)", itest_ctl_binary(), st);
        s = json_tokener_parse(cmd_out);
        v = status_str(status_container(s, id), "redirect");
        if (!v || !streq(v, "supported")) {
                (void) snprintf(why, n, "seccomp-redirectctl status --json: container %s redirect \"%s\"",
                                id, v ?: "(none)");
                json_object_put(s);
                return false;
        }
        json_object_put(s);
        return true;
}

/* ------------------------------------------------------------------------ */
/* Running a case.                                                           */

static int status_release[2] = {-1, -1};

static int target_body(void *userdata) {
        const Case *c = userdata;
        char b;

        res->ret = c->run(c);
        if (c->check == CHECK_STATUS)
                /* Stay (a container) until the parent has looked at the status. */
                if (read(status_release[0], &b, 1) < 0)
                        return 1;
        return 0;
}

static void read_exec_output(void) {
        struct pollfd pfd = {.fd = exec_pipe[0], .events = POLLIN};
        size_t len = 0;
        ssize_t k;

        while (len < sizeof(res->out) - 1 && poll(&pfd, 1, 5000) > 0) {
                k = read(exec_pipe[0], res->out + len, sizeof(res->out) - 1 - len);
                if (k <= 0)
                        break;
                len += (size_t) k;
        }
        res->out[len] = '\0';
}

static bool run_case(const Case *c, unsigned idx, char *why, size_t n) {
        E2eTarget t = {
                .notify = notified,
                .n_notify = ELEMENTSOF(notified),
                .redirect = true,
                .agent = daemon_.agent,
        };
        char id[32];
        size_t offset;
        uint64_t t0 = itest_now_usec();
        pid_t pid;
        int code, r;
        bool ok;

        if (c->check == CHECK_LOG) {
                if (kill(daemon_.pid, 0) < 0)
                        FAIL("the daemon is gone");
                if (daemon_log_contains(&daemon_, "redirectFallback"))
                        FAIL("the daemon log has a redirectFallback line");
                return true;
        }

        (void) snprintf(id, sizeof(id), "c%02u", idx);
        t.id = id;
        memset(res, 0, sizeof(*res));
        r = make_fixture(c);
        if (r < 0)
                FAIL("fixture: %s", strerror(-r));
        if (c->check == CHECK_EXEC && pipe2(exec_pipe, O_CLOEXEC) < 0)
                FAIL("pipe: %m");
        if (c->check == CHECK_STATUS && pipe2(status_release, O_CLOEXEC) < 0)
                FAIL("pipe: %m");

        offset = daemon_log_size(&daemon_);
        fflush(stdout);
        pid = e2e_spawn(&t, target_body, (void *) c);
        if (pid < 0)
                FAIL("spawn: %s", strerror((int) -pid));

        ok = true;
        if (c->check == CHECK_STATUS) {
                r = status_wait_container(daemon_.control, id, true, GONE_TIMEOUT_MS);
                if (r < 0) {
                        (void) snprintf(why, n, "container %s not seen in the status: %s", id, strerror(-r));
                        ok = false;
                } else {
                        /* Its redirected open is answered before it blocks: wait for the log of it. */
                        r = daemon_wait_log_after(&daemon_, offset, "-> rule \"suffix\": redirect.",
                                                  GONE_TIMEOUT_MS);
                        if (r < 0) {
                                (void) snprintf(why, n, "no redirect of container %s in the daemon log: %s",
                                                id, strerror(-r));
                                ok = false;
                        } else
                                ok = check_status(id, why, n);
                }
                if (write(status_release[1], "x", 1) != 1)
                        ok = false;
        }
        if (c->check == CHECK_EXEC) {
                close(exec_pipe[1]);
                exec_pipe[1] = -1;
        }

        code = e2e_wait(pid, TARGET_TIMEOUT_MS);
        if (c->check == CHECK_EXEC) {
                read_exec_output();
                close(exec_pipe[0]);
                exec_pipe[0] = -1;
        }
        if (c->check == CHECK_STATUS) {
                close(status_release[0]);
                close(status_release[1]);
        }
        if (!ok)
                return false;
        if (code != 0)
                FAIL("target exited with %d (%s)", code, code < 0 ? strerror(-code) : "");

        /* Gone from the status: every line about it has been logged. */
        r = status_wait_container(daemon_.control, id, false, GONE_TIMEOUT_MS);
        if (r < 0)
                FAIL("container %s still in the status after its target exited: %s", id, strerror(-r));

        if (!check_result(c, why, n))
                return false;
        if (!check_log(id, c->rule, offset, why, n))
                return false;
        (void) snprintf(why, n, "%s: %.1f ms", id, (double) (itest_now_usec() - t0) / 1000.0);
        return true;
}

static int setup(void) {
        int r;

        r = e2e_daemon_start(&daemon_, POLICY, policy_json, NULL);
        if (r < 0)
                return r;
        (void) snprintf(real_dir, sizeof(real_dir), "%s/real", daemon_.dir);
        (void) snprintf(sb_dir, sizeof(sb_dir), "%s/sb", daemon_.dir);
        (void) snprintf(outside_dir, sizeof(outside_dir), "%s/outside", daemon_.dir);
        if ((r = mkdir_p(join(real_dir, "sub"), 0755)) < 0 || (r = mkdir_p(sb_dir, 0755)) < 0 ||
            (r = mkdir_p(outside_dir, 0755)) < 0)
                return r;
        real_dfd = open(real_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (real_dfd < 0)
                return -errno;
        res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (res == MAP_FAILED)
                return -errno;
        return 0;
}

static int all_fail(const char *reason) {
        printf("1..%zu\n", n_cases);
        for (size_t i = 0; i < n_cases; i++)
                printf("not ok %zu - %s # %s\n", i + 1, cases[i].name, reason);
        return EXIT_FAILURE;
}

int main(int argc, char *argv[]) {
        unsigned failed = 0;
        uint64_t t0;
        const char *skip;
        int r;

        /* The program an execve case runs: say which file it is. */
        if (argc >= 2 && streq(argv[1], "--print-exe")) {
                char buf[PATH_BUF];
                ssize_t k = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

                if (k < 0)
                        _exit(2);
                _exit(write(STDOUT_FILENO, buf, (size_t) k) == k ? 0 : 3);
        }

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!e2e_kernel_has_redirect())
                return all_fail("kernel lacks the redirect series");
        skip = itest_skip_reason();
        if (skip)
                return all_fail(skip);
        r = setup();
        if (r < 0) {
                printf("# setup: %s\n", strerror(-r));
                return all_fail("setup failed");
        }

        printf("1..%zu\n", n_cases);
        printf("# daemon dir %s\n", daemon_.dir);
        t0 = itest_now_usec();
        for (size_t i = 0; i < n_cases; i++) {
                char why[1024] = "";
                bool ok = run_case(&cases[i], (unsigned) i, why, sizeof(why));

                if (!ok)
                        failed++;
                printf("%sok %zu - %s\n", ok ? "" : "not ", i + 1, cases[i].name);
                if (why[0])
                        printf("# %s\n", why);
        }
        printf("# %zu cases, %u failed, %.1f s\n", n_cases, failed, (double) (itest_now_usec() - t0) / 1e6);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#else /* !__x86_64__ */

int main(void) {
        printf("1..1\nnot ok 1 - e2e-redirect is written for the x86_64 guest of tests/vm/run-vm\n");
        return EXIT_FAILURE;
}

#endif
