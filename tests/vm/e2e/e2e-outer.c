/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "Outer filters hold": a filter installed before the redirect-capable
 * notify filter (a runtime's profile) also judges the syscall the real
 * daemon rewrote, and the target gets that filter's verdict.
 *
 * Three rewrites, each by a rule of the daemon's policy, each against an
 * outer filter that rejects exactly the rewritten form:
 *
 *  - openat(..., O_RDONLY): "set" makes it O_RDWR; the outer filter acts
 *    on openat with (flags & O_ACCMODE) == O_RDWR;
 *  - socket(AF_INET6, ...): "set" makes it AF_PACKET (17); the outer
 *    filter acts on socket(AF_PACKET, ...);
 *  - openat(D/real/new/X, O_WRONLY): "to" redirects the path to D/sb/X and
 *    "set" adds O_CREAT (create the sandbox copy on demand); the outer
 *    filter acts on openat with O_CREAT (a profile that forbids creating
 *    files). A path alone only changes a pointer, which no real profile
 *    compares; this one shows that an answer with a pointer in it is
 *    re-validated too.
 *
 * Each against four verdicts: ERRNO (the target sees the errno), TRAP
 * (SIGSYS, caught: si_syscall and the filter's data), KILL_PROCESS (the
 * target dies of SIGSYS) and LOG (the rewritten call proceeds, and the
 * kernel emits an audit record for it, read from /dev/kmsg). A side
 * effect of the rewritten call (the file created in the sandbox) must be
 * absent when the verdict stopped it.
 *
 * Controls, with the same outer filter and a policy ("plain") that
 * rewrites nothing: the original call is let through unchanged, and the
 * rewritten form issued by the target itself gets the verdict (the filter
 * works). Under LOG that form gets a record too: the daemon answers it
 * with a plain continue, which the kernel re-validates against the outer
 * filters like a redirect. For each rewrite the daemon's log must show
 * the rule's redirect and no fallback.
 *
 * SRD_EXPECT_HOLE=1 (the kernel without the re-validation patch): the
 * same cases, the rewrites named "hole: ...", assert the opposite: the
 * rewritten call gets past the outer filter (no errno, no signal, no
 * audit record) and does what it was rewritten to do. The controls keep
 * their expectations on both kernels, except that no continue is
 * re-validated there, so a direct call under LOG leaves no record.
 *
 * Written for the x86_64 guest of tests/vm/run-vm.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "e2e-util.h"
#include "macro.h"
#include "srd-uapi.h"

#if defined(__x86_64__)
#define OUTER_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define OUTER_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "unsupported architecture"
#endif

#define OUTER_ERRNO EL2HLT
#define TRAP_DATA 0x2a
#define AUDIT_SECCOMP_RECORD "type=1326"
#define AUDIT_WAIT_MS 3000
#define TARGET_TIMEOUT_MS 20000u
#define GONE_TIMEOUT_MS 15000u
#define PATH_BUF 4096
#define WHY 1024
#define PRINTK_RATELIMIT "/proc/sys/kernel/printk_ratelimit"

static const char policy_outer[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"outer\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"redirectFallback\": { \"action\": \"errno\", \"errno\": \"EPERM\" },\n"
        "  \"rules\": [\n"
        "    { \"name\": \"make-rdwr\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"prefix\": \"@TMP@/real/rw/\" },\n"
        "      \"action\": \"redirect\", \"set\": [ { \"index\": 2, \"value\": 2, \"mask\": 3 } ],\n"
        "      \"log\": true },\n"
        "    { \"name\": \"inet6-to-packet\", \"names\": [\"socket\"],\n"
        "      \"args\": [ { \"index\": 0, \"op\": \"SCMP_CMP_EQ\", \"value\": 10 } ],\n"
        "      \"action\": \"redirect\", \"set\": [ { \"index\": 0, \"value\": 17 } ], \"log\": true },\n"
        "    { \"name\": \"create-in-sandbox\", \"names\": [\"openat\"],\n"
        "      \"path\": { \"prefix\": \"@TMP@/real/new/\" },\n"
        "      \"action\": \"redirect\", \"to\": \"@TMP@/sb/{suffix}\",\n"
        "      \"set\": [ { \"index\": 2, \"value\": 64, \"mask\": 64 } ], \"log\": true }\n"
        "  ]\n"
        "}\n";

/* The controls: nothing rewritten, every notification let through. */
static const char policy_plain[] = "{\n"
                                   "  \"version\": 1,\n"
                                   "  \"name\": \"plain\",\n"
                                   "  \"defaultAction\": \"continue\",\n"
                                   "  \"rules\": []\n"
                                   "}\n";

static const int notified[] = {SYS_openat, SYS_socket};

typedef enum Rewrite {
        RW_ACCMODE,
        RW_FAMILY,
        RW_CREAT,
        _RW_MAX,
} Rewrite;

typedef enum Verdict {
        V_ERRNO,
        V_TRAP,
        V_KILL,
        V_LOG,
        _V_MAX,
} Verdict;

typedef enum Kind {
        K_CONTROL, /* policy "plain", the original call: let through unchanged */
        K_DIRECT, /* policy "plain", the rewritten form issued by the target: the verdict */
        K_REWRITE, /* policy "outer", the original call rewritten by the daemon: the verdict (or the hole) */
        _K_MAX,
} Kind;

typedef struct RewriteInfo {
        const char *label;
        const char *rule;
        int nr;
        unsigned arg; /* the outer filter acts on (args[arg] & mask) == value (low 32 bits) */
        uint32_t mask, value;
} RewriteInfo;

static const RewriteInfo rewrites[_RW_MAX] = {
        [RW_ACCMODE] = {"openat O_RDONLY -> O_RDWR by \"set\"", "make-rdwr", SYS_openat, 2, O_ACCMODE,
                        O_RDWR},
        [RW_FAMILY] = {"socket AF_INET6 -> AF_PACKET by \"set\"", "inet6-to-packet", SYS_socket, 0,
                       UINT32_MAX, AF_PACKET},
        [RW_CREAT] = {"openat redirected by \"to\" into the sandbox, O_CREAT added by \"set\"",
                      "create-in-sandbox", SYS_openat, 2, O_CREAT, O_CREAT},
};

static const char *const verdict_labels[_V_MAX] = {
        [V_ERRNO] = "ERRNO(EL2HLT)",
        [V_TRAP] = "TRAP",
        [V_KILL] = "KILL_PROCESS",
        [V_LOG] = "LOG",
};

static const uint32_t verdict_ret[_V_MAX] = {
        [V_ERRNO] = SECCOMP_RET_ERRNO | OUTER_ERRNO,
        [V_TRAP] = SECCOMP_RET_TRAP | TRAP_DATA,
        [V_KILL] = SECCOMP_RET_KILL_PROCESS,
        [V_LOG] = SECCOMP_RET_LOG,
};

typedef struct Case {
        Rewrite rw;
        Verdict v;
        Kind kind;
        char id[16];
        char path[PATH_BUF]; /* openat's path */
        char effect[PATH_BUF]; /* RW_CREAT: where the (rewritten) call creates its file */
} Case;

/* What the target saw; MAP_SHARED, made before any fork. */
typedef struct Result {
        int done; /* the target came back from the syscall */
        long ret;
        int err;
        int acc_mode, domain; /* of a returned fd or socket, else -1 */
        uint64_t ino, dev;
        int trap_hit, trap_syscall, trap_data;
        unsigned trap_arch;
} Result;

static Result *res;
static Daemon daemon_;
static bool expect_hole;
static long packet_ret; /* socket(AF_PACKET, SOCK_DGRAM) here: >= 0 works, else -errno */
static unsigned n_test;
static bool all_ok = true;

static bool tap(bool ok, const char *fmt, ...) _printf_(2, 3);
static bool tap(bool ok, const char *fmt, ...) {
        va_list ap;

        printf("%s %u - ", ok ? "ok" : "not ok", ++n_test);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        if (!ok)
                all_ok = false;
        return ok;
}

static const char *errname(int e) {
        if (e == 0)
                return "0";
        return strerrorname_np(e < 0 ? -e : e) ?: "unknown-errno";
}

static bool absent(const char *path) {
        struct stat st;

        return lstat(path, &st) < 0 && errno == ENOENT;
}

/* The outer filter: (args[arg] & mask) == value on rw's syscall -> verdict, everything else ALLOW. */
static void outer_prog(const RewriteInfo *w, uint32_t verdict, struct sock_filter f[9],
                       struct sock_fprog *ret) {
        const struct sock_filter prog[9] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, OUTER_AUDIT_ARCH, 0, 5),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t) w->nr, 0, 3),
                /* Little endian: the low half of the argument comes first. */
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[w->arg])),
                BPF_STMT(BPF_ALU | BPF_AND | BPF_K, w->mask),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, w->value, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_RET | BPF_K, verdict),
        };

        memcpy(f, prog, sizeof(prog));
        *ret = (struct sock_fprog){.len = ELEMENTSOF(prog), .filter = f};
}

/* ------------------------------------------------------------------------ */
/* In the target.                                                            */

static void on_sigsys(int sig, siginfo_t *si, void *uc) {
        res->trap_hit++;
        res->trap_syscall = si->si_syscall;
        res->trap_data = si->si_errno;
        res->trap_arch = si->si_arch;
}

static int target_body(void *userdata) {
        const Case *c = userdata;
        struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
        bool direct = c->kind == K_DIRECT;
        struct stat st;
        socklen_t len = sizeof(res->domain);
        long r = -1;

        if (sigaction(SIGSYS, &sa, NULL) < 0)
                return 2;
        switch (c->rw) {
        case RW_ACCMODE:
                r = syscall(SYS_openat, AT_FDCWD, c->path, (direct ? O_RDWR : O_RDONLY) | O_CLOEXEC);
                break;
        case RW_FAMILY:
                r = syscall(SYS_socket, direct ? AF_PACKET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                break;
        case RW_CREAT:
                r = syscall(SYS_openat, AT_FDCWD, c->path, O_WRONLY | O_CLOEXEC | (direct ? O_CREAT : 0),
                            0600);
                break;
        default:
                return 3;
        }
        res->ret = r;
        res->err = r < 0 ? errno : 0;
        res->done = 1;

        /* After a TRAP the "result" is the syscall number, not an fd. */
        if (r < 0 || res->trap_hit)
                return 0;
        res->acc_mode = fcntl((int) r, F_GETFL) & O_ACCMODE;
        if (getsockopt((int) r, SOL_SOCKET, SO_DOMAIN, &res->domain, &len) < 0)
                res->domain = -1;
        if (fstat((int) r, &st) == 0) {
                res->ino = st.st_ino;
                res->dev = st.st_dev;
        }
        close((int) r);
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Checks, in the parent.                                                    */

#define FAIL(...) \
        do { \
                (void) snprintf(why, WHY, __VA_ARGS__); \
                return false; \
        } while (0)

static bool same_inode(const char *path) {
        struct stat st;

        return stat(path, &st) == 0 && st.st_ino == res->ino && st.st_dev == res->dev;
}

/* The call did what the rewritten form does. */
static bool ran_rewritten(const Case *c, char *why) {
        if (!res->done || res->trap_hit)
                FAIL("done=%d, SIGSYS caught %d times", res->done, res->trap_hit);
        switch (c->rw) {
        case RW_ACCMODE:
                if (res->ret < 0 || res->acc_mode != O_RDWR)
                        FAIL("openat returned %ld (%s), access mode %d, want an O_RDWR fd", res->ret,
                             errname(res->err), res->acc_mode);
                (void) snprintf(why, WHY, "an O_RDWR fd");
                return true;
        case RW_FAMILY:
                if (packet_ret >= 0 ? res->ret < 0 || res->domain != AF_PACKET
                                    : res->ret >= 0 || res->err != (int) -packet_ret)
                        FAIL("socket returned %ld (%s), domain %d, want what socket(AF_PACKET) gives here: "
                             "%s",
                             res->ret, errname(res->err), res->domain,
                             packet_ret >= 0 ? "an AF_PACKET socket" : errname((int) packet_ret));
                (void) snprintf(why, WHY, "%s, as socket(AF_PACKET) here",
                                packet_ret >= 0 ? "an AF_PACKET socket" : errname(res->err));
                return true;
        case RW_CREAT:
                if (res->ret < 0 || !same_inode(c->effect))
                        FAIL("openat returned %ld (%s); want a new %.300s, the fd's file", res->ret,
                             errname(res->err), c->effect);
                (void) snprintf(why, WHY, "created and opened %.300s", c->effect);
                return true;
        default:
                FAIL("unknown rewrite");
        }
}

/* The call did what the original form does. */
static bool ran_original(const Case *c, char *why) {
        if (!res->done || res->trap_hit)
                FAIL("done=%d, SIGSYS caught %d times", res->done, res->trap_hit);
        switch (c->rw) {
        case RW_ACCMODE:
                if (res->ret < 0 || res->acc_mode != O_RDONLY)
                        FAIL("openat returned %ld (%s), access mode %d, want an O_RDONLY fd", res->ret,
                             errname(res->err), res->acc_mode);
                (void) snprintf(why, WHY, "an O_RDONLY fd");
                return true;
        case RW_FAMILY:
                if (res->ret < 0 || res->domain != AF_INET6)
                        FAIL("socket returned %ld (%s), domain %d, want an AF_INET6 socket", res->ret,
                             errname(res->err), res->domain);
                (void) snprintf(why, WHY, "an AF_INET6 socket");
                return true;
        case RW_CREAT:
                if (res->ret < 0 || !same_inode(c->path) || !absent(c->effect))
                        FAIL("openat returned %ld (%s); want %.300s opened and nothing created", res->ret,
                             errname(res->err), c->path);
                (void) snprintf(why, WHY, "opened %.300s", c->path);
                return true;
        default:
                FAIL("unknown rewrite");
        }
}

/* The outer filter's verdict was applied to the (rewritten) call; code is e2e_wait()'s. */
static bool got_verdict(const Case *c, int code, char *why) {
        char ran[WHY];

        if (c->v != V_LOG && c->rw == RW_CREAT && !absent(c->effect))
                FAIL("%.300s was created: the call ran (exit %d)", c->effect, code);
        switch (c->v) {
        case V_ERRNO:
                if (code != 0 || !res->done || res->ret != -1 || res->err != OUTER_ERRNO)
                        FAIL("exit %d, done=%d, returned %ld (%s), want -1 %s", code, res->done, res->ret,
                             errname(res->err), errname(OUTER_ERRNO));
                (void) snprintf(why, WHY, "%s", errname(OUTER_ERRNO));
                return true;
        case V_TRAP:
                if (code != 0 || res->trap_hit != 1 || res->trap_syscall != rewrites[c->rw].nr ||
                    res->trap_data != TRAP_DATA || res->trap_arch != OUTER_AUDIT_ARCH)
                        FAIL("exit %d, SIGSYS caught %d times, si_syscall %d, data %#x, arch %#x; want one "
                             "for "
                             "syscall %d with data %#x",
                             code, res->trap_hit, res->trap_syscall, (unsigned) res->trap_data,
                             res->trap_arch, rewrites[c->rw].nr, TRAP_DATA);
                (void) snprintf(why, WHY, "SIGSYS, si_syscall %d, data %#x", res->trap_syscall,
                                (unsigned) res->trap_data);
                return true;
        case V_KILL:
                if (code != 128 + SIGSYS || res->done)
                        FAIL("exit %d (want %d, killed by SIGSYS), came back from the syscall: %d", code,
                             128 + SIGSYS, res->done);
                (void) snprintf(why, WHY, "killed by SIGSYS");
                return true;
        case V_LOG:
                if (code != 0)
                        FAIL("exit %d", code);
                if (!ran_rewritten(c, ran))
                        FAIL("%s", ran);
                (void) snprintf(why, WHY, "the call proceeded: %.900s", ran);
                return true;
        default:
                FAIL("unknown verdict");
        }
}

/* The rewritten call got past the outer filter, whatever its verdict. */
static bool got_through(const Case *c, int code, char *why) {
        char ran[WHY];

        if (code != 0)
                FAIL("exit %d", code);
        if (!ran_rewritten(c, ran))
                FAIL("%s", ran);
        (void) snprintf(why, WHY, "no verdict: %.900s", ran);
        return true;
}

/* The daemon's lines about container id since offset: the rule's redirect, no fallback. */
static bool check_log(const Case *c, size_t offset, char *why) {
        _cleanup_free_ char *text = NULL;
        char prefix[64], applied[128], *line, *save = NULL;
        bool seen = false;

        (void) snprintf(prefix, sizeof(prefix), "Container %s pid ", c->id);
        (void) snprintf(applied, sizeof(applied), "-> rule \"%s\": redirect.", rewrites[c->rw].rule);
        if (itest_read_file(daemon_.log, &text) < 0)
                FAIL("cannot read the daemon log");
        if (strlen(text) < offset)
                FAIL("the daemon log shrank");
        for (line = strtok_r(text + offset, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (!strstr(line, prefix))
                        continue;
                if (strstr(line, "redirectFallback") || strstr(line, "refused"))
                        FAIL("daemon log: %.400s", line);
                if (strstr(line, applied))
                        seen = true;
        }
        if (!seen)
                FAIL("no \"%s\" line for container %s in the daemon log", applied, c->id);
        (void) snprintf(why, WHY, "%s", applied);
        return true;
}

/* Looks for the audit record of a SECCOMP_RET_LOG of nr by pid, waiting up to AUDIT_WAIT_MS. */
static bool kmsg_has_log(int kfd, pid_t pid, int nr) {
        char pidstr[32], nrstr[32], buf[8192];
        uint64_t deadline = itest_now_usec() + AUDIT_WAIT_MS * 1000ull;

        (void) snprintf(pidstr, sizeof(pidstr), " pid=%d ", (int) pid);
        (void) snprintf(nrstr, sizeof(nrstr), " syscall=%d ", nr);
        for (;;) {
                ssize_t n = read(kfd, buf, sizeof(buf) - 1);

                if (n > 0) {
                        buf[n] = '\0';
                        if (strstr(buf, AUDIT_SECCOMP_RECORD) && strstr(buf, pidstr) && strstr(buf, nrstr) &&
                            strstr(buf, "code=0x7ffc0000"))
                                return true;
                        continue;
                }
                if (n < 0 && errno == EPIPE) /* overwritten records: go on with the next one */
                        continue;
                if (itest_now_usec() > deadline)
                        return false;
                (void) usleep(50 * 1000);
        }
}

/* ------------------------------------------------------------------------ */
/* Running a case.                                                           */

static const char *kind_prefix(Kind k) {
        if (k == K_CONTROL)
                return "control: ";
        if (k == K_DIRECT)
                return "direct: ";
        return expect_hole ? "hole: " : "";
}

static int prepare_case(Case *c, unsigned idx) {
        *c = (Case){.rw = c->rw, .v = c->v, .kind = c->kind};
        (void) snprintf(c->id, sizeof(c->id), "o%02u", idx);
        switch (c->rw) {
        case RW_ACCMODE:
                (void) snprintf(c->path, sizeof(c->path), "%s/real/rw/file", daemon_.dir);
                return 0;
        case RW_CREAT:
                /*
                 * The original call opens real/new/ID (it exists for the
                 * control); the rewritten one creates sb/ID; the target's
                 * own O_CREAT (direct) creates real/new/ID.
                 */
                (void) snprintf(c->path, sizeof(c->path), "%s/real/new/%s", daemon_.dir, c->id);
                if (c->kind == K_DIRECT)
                        (void) snprintf(c->effect, sizeof(c->effect), "%s", c->path);
                else
                        (void) snprintf(c->effect, sizeof(c->effect), "%s/sb/%s", daemon_.dir, c->id);
                return c->kind == K_CONTROL ? itest_write_file(c->path, "real\n") : 0;
        default:
                return 0;
        }
}

static void run_case(Case *c, unsigned idx) {
        const RewriteInfo *w = &rewrites[c->rw];
        struct sock_filter f[9];
        struct sock_fprog outer;
        E2eTarget t = {
                .notify = notified,
                .n_notify = ELEMENTSOF(notified),
                .redirect = true,
                .outer = &outer,
                .agent = daemon_.agent,
        };
        char name[512], why[WHY], logwhy[WHY];
        _cleanup_close_ int kfd = -EBADF;
        size_t offset;
        bool ok, logged = false;
        pid_t pid;
        int code, r;

        r = prepare_case(c, idx);
        (void) snprintf(name, sizeof(name), "%s%s, outer %s", kind_prefix(c->kind), w->label,
                        verdict_labels[c->v]);
        if (c->kind == K_DIRECT)
                (void) snprintf(name, sizeof(name),
                                "direct: the rewritten form of %s issued by the target, outer %s", w->label,
                                verdict_labels[c->v]);
        if (r < 0) {
                tap(false, "%s: fixture: %s", name, strerror(-r));
                return;
        }
        outer_prog(w, verdict_ret[c->v], f, &outer);
        t.id = c->id;
        t.policy = c->kind == K_REWRITE ? "outer" : "plain";

        if (c->v == V_LOG && c->kind != K_CONTROL) {
                kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (kfd < 0 || lseek(kfd, 0, SEEK_END) < 0)
                        kfd = safe_close(kfd);
        }
        memset(res, 0, sizeof(*res));
        res->acc_mode = res->domain = -1;
        offset = daemon_log_size(&daemon_);
        fflush(stdout);
        pid = e2e_spawn(&t, target_body, c);
        if (pid < 0) {
                tap(false, "%s: spawn: %s", name, strerror((int) -pid));
                return;
        }
        code = e2e_wait(pid, TARGET_TIMEOUT_MS);
        /* Gone from the status: every line about it has been logged. */
        r = status_wait_container(daemon_.control, c->id, false, GONE_TIMEOUT_MS);

        if (code < 0 || (code >= 100 && code < 128)) {
                ok = false;
                (void) snprintf(why, sizeof(why), "target setup or wait failed: %d", code);
        } else if (c->kind == K_CONTROL) {
                ok = ran_original(c, why);
                if (ok && code != 0) {
                        ok = false;
                        (void) snprintf(why, sizeof(why), "exit %d", code);
                }
        } else if (c->kind == K_DIRECT || !expect_hole)
                ok = got_verdict(c, code, why);
        else
                ok = got_through(c, code, why);
        tap(ok, "%s: %s (%s, %s)", name,
            c->kind == K_CONTROL                  ? "the original call is let through unchanged"
            : c->kind == K_DIRECT || !expect_hole ? "the target gets the outer verdict"
                                                  : "the rewritten call got past the outer filter",
            c->id, why);

        if (c->v == V_LOG) {
                /*
                 * Direct: the inner filter's USER_NOTIF outranks the outer
                 * LOG in the first pass, but the daemon's continue on a
                 * REDIRECT listener is re-validated like a redirect (or an
                 * inner listener could hide syscalls from outer filters),
                 * so the walk meets the LOG and there is a record. Without
                 * the re-validation neither form is ever seen by the LOG.
                 */
                bool want = c->kind != K_CONTROL && !expect_hole;
                const char *what =
                        want ? c->kind == K_DIRECT
                                       ? "the kernel emitted an audit record: the continue was re-validated"
                                       : "the kernel emitted an audit record for the rewritten call"
                        : c->kind == K_DIRECT
                                ? "no audit record: USER_NOTIF outranks LOG and nothing re-validates the continue"
                                : "no audit record: the outer filter never saw the rewritten call";

                if (kfd >= 0)
                        logged = kmsg_has_log(kfd, pid, w->nr);
                if (c->kind != K_CONTROL)
                        tap(kfd >= 0 && logged == want, "%s: %s (%s)", name, what,
                            kfd < 0  ? "cannot read /dev/kmsg"
                            : logged ? "type=1326 ... code=0x7ffc0000"
                                     : "none");
        }

        if (c->kind == K_REWRITE) {
                if (r < 0) {
                        ok = false;
                        (void) snprintf(logwhy, sizeof(logwhy), "container %s still in the status: %s",
                                        c->id, strerror(-r));
                } else
                        ok = check_log(c, offset, logwhy);
                tap(ok, "%s%s, outer %s: the daemon answered with the rule's redirect, no fallback (%s)",
                    kind_prefix(c->kind), w->label, verdict_labels[c->v], logwhy);
        }
}

/*
 * The rewritten form under the outer LOG filter alone (no notify filter,
 * no daemon): LOG is the final action, so the kernel must emit a record.
 * Shows that records reach /dev/kmsg here, which is what makes "no
 * record" of a hole case mean something.
 */
static void audit_probe(Rewrite rw, unsigned idx) {
        const RewriteInfo *w = &rewrites[rw];
        Case c = {.rw = rw, .v = V_LOG, .kind = K_DIRECT};
        struct sock_filter f[9];
        struct sock_fprog outer;
        _cleanup_close_ int kfd = -EBADF;
        bool logged = false;
        int code = -1, r;
        pid_t pid;

        r = prepare_case(&c, idx);
        outer_prog(w, SECCOMP_RET_LOG, f, &outer);
        kfd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (r >= 0 && kfd >= 0 && lseek(kfd, 0, SEEK_END) >= 0) {
                memset(res, 0, sizeof(*res));
                fflush(stdout);
                pid = fork();
                if (pid == 0) {
                        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || e2e_seccomp(0, &outer) < 0)
                                _exit(111);
                        _exit(target_body(&c));
                }
                if (pid > 0) {
                        itest_track_pid(pid);
                        code = e2e_wait(pid, TARGET_TIMEOUT_MS);
                        logged = code == 0 && kmsg_has_log(kfd, pid, w->nr);
                }
        }
        tap(logged,
            "probe: the rewritten form of %s under the outer LOG filter alone: an audit record in /dev/kmsg "
            "(%s, exit %d)",
            w->label,
            kfd < 0  ? "cannot read /dev/kmsg"
            : r < 0  ? strerror(-r)
            : logged ? "found"
                     : "none",
            code);
}

static int start_daemon(void) {
        char dir[ITEST_PATH_MAX], p[PATH_BUF];
        const char *args[] = {"--default-policy", "outer", NULL};
        int r;

        r = itest_tmpdir("e2e-outer", dir, sizeof(dir));
        if (r < 0)
                return r;
        r = daemon_prepare(&daemon_, dir);
        if (r < 0)
                return r;
        r = daemon_add_policy(&daemon_, "outer.json", policy_outer);
        if (r < 0)
                return r;
        r = daemon_add_policy(&daemon_, "plain.json", policy_plain);
        if (r < 0)
                return r;
        for (const char *const *d = (const char *const[]){"real", "real/rw", "real/new", "sb", NULL}; *d;
             d++) {
                (void) snprintf(p, sizeof(p), "%s/%s", daemon_.dir, *d);
                if (mkdir(p, 0755) < 0)
                        return -errno;
        }
        (void) snprintf(p, sizeof(p), "%s/real/rw/file", daemon_.dir);
        r = itest_write_file(p, "real:rw\n");
        if (r < 0)
                return r;
        return daemon_start(&daemon_, args, NULL);
}

/* Lift printk's rate limit, which would drop audit records (and make "no record" meaningless). */
static void printk_ratelimit_off(char *saved, size_t size) {
        _cleanup_free_ char *old = NULL;

        saved[0] = '\0';
        if (itest_read_file(PRINTK_RATELIMIT, &old) < 0)
                return;
        if (itest_write_file(PRINTK_RATELIMIT, "0\n") < 0) {
                printf("# cannot lift %s: audit records may be rate limited\n", PRINTK_RATELIMIT);
                return;
        }
        (void) snprintf(saved, size, "%s", old);
}

int main(void) {
        const char *skip = itest_skip_reason(), *env = getenv("SRD_EXPECT_HOLE");
        const struct rlimit no_core = {0, 0};
        char saved_ratelimit[32];
        uint64_t t0 = itest_now_usec();
        unsigned idx = 0;
        int r, fd;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (skip) {
                printf("1..0 # SKIP %s\n", skip);
                return 77;
        }
        expect_hole = env && streq(env, "1");
        /* 3 rewrites x 4 verdicts x (control, direct, rewrite, daemon log), 3 audit lines per rewrite, 3
         * more. */
        printf("1..%u\n", _RW_MAX * _V_MAX * 4 + _RW_MAX * 3 + 3);
        printf("# expecting %s\n", expect_hole
                                           ? "the hole (SRD_EXPECT_HOLE=1): rewrites bypass outer filters"
                                           : "outer filters to judge the rewritten calls");

        res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (res == MAP_FAILED) {
                printf("Bail out! mmap: %m\n");
                return 1;
        }
        (void) setrlimit(RLIMIT_CORE, &no_core);
        printk_ratelimit_off(saved_ratelimit, sizeof(saved_ratelimit));

        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        packet_ret = fd < 0 ? -errno : 0;
        safe_close(fd);
        printf("# socket(AF_PACKET, SOCK_DGRAM, 0) here: %s\n", fd < 0 ? errname(errno) : "works");

        if (!tap(e2e_kernel_has_redirect(), "the kernel has SECCOMP_FILTER_FLAG_REDIRECT")) {
                printf("Bail out! redirects need the patched kernel\n");
                return 1;
        }
        r = start_daemon();
        if (!tap(r >= 0, "seccomp-redirectd started with policies \"outer\" and \"plain\" (%s)",
                 r < 0 ? strerror(-r) : daemon_.dir)) {
                printf("Bail out! no daemon\n");
                return 1;
        }

        for (Rewrite rw = 0; rw < _RW_MAX; rw++)
                for (Verdict v = 0; v < _V_MAX; v++) {
                        if (v == V_LOG)
                                audit_probe(rw, ++idx);
                        for (Kind k = 0; k < _K_MAX; k++) {
                                Case c = {.rw = rw, .v = v, .kind = k};

                                run_case(&c, ++idx);
                        }
                }

        tap(kill(daemon_.pid, 0) == 0 && !daemon_log_contains(&daemon_, "redirectFallback"),
            "the daemon is still running and logged no redirectFallback");
        if (saved_ratelimit[0])
                (void) itest_write_file(PRINTK_RATELIMIT, saved_ratelimit);
        printf("# %u targets, %.1f s\n", idx, (double) (itest_now_usec() - t0) / 1e6);
        return all_ok ? 0 : 1;
}
