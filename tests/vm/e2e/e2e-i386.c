/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * i386 and x32 calls against the real daemon on the VM's kernel (ia32
 * emulation and the x32 ABI built in): a runtime's profile that lists
 * SCMP_ARCH_X86 notifies i386 open (5) and openat (295), and a policy rule
 * naming "open" and "openat" must deny them for the protected file, which
 * is never read. The guest program is a real static i386 binary
 * (i386-open), exec'd under the filter; x32 calls come from this 64-bit
 * program with __X32_SYSCALL_BIT. Controls: the same calls on a file no
 * rule names run and read it (the filter does notify them, the daemon does
 * let them through).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "e2e-util.h"
#include "srd-uapi.h"

#define X32_BIT 0x40000000

static const char policy_json[] =
        "{ \"version\": 1, \"name\": \"i386\", \"defaultAction\": \"continue\",\n"
        "  \"rules\": [\n"
        "    { \"name\": \"secret\", \"names\": [\"open\", \"openat\", \"openat2\"],\n"
        "      \"path\": { \"exact\": \"@TMP@/secret\" }, \"action\": \"errno\", \"errno\": \"EACCES\" } ] "
        "}\n";

/* The profile: i386 open, openat, openat2 and x32 open, openat notify;
 * everything else (native calls included) is allowed. */
static struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 6, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* i386 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 7, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 295, 6, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 437, 5, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* x86_64 and x32 */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_BIT | SYS_open, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_BIT | SYS_openat, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
};
static const struct sock_fprog prog = {.len = sizeof(insns) / sizeof(insns[0]), .filter = insns};

static char secret[ITEST_PATH_MAX + 16], public[ITEST_PATH_MAX + 16];
static int n_tests, n_failed;

static void result(bool ok, const char *name, long got) {
        n_tests++;
        if (!ok)
                n_failed++;
        printf("%s %d - %s\n", ok ? "ok" : "not ok", n_tests, name);
        if (!ok)
                printf("#   got %ld\n", got);
}

typedef struct Call {
        const char *how; /* an i386-open mode, or "x32-open", "x32-openat" */
        const char *path;
} Call;

/* In the target, under the filter. */
static int body(void *userdata) {
        const Call *c = userdata;
        char buf[64] = "";
        long fd;

        if (strncmp(c->how, "x32-", 4) == 0) {
                if (strcmp(c->how, "x32-open") == 0)
                        fd = syscall(X32_BIT | SYS_open, c->path, O_RDONLY);
                else
                        fd = syscall(X32_BIT | SYS_openat, AT_FDCWD, c->path, O_RDONLY);
                if (fd < 0)
                        return errno < 100 ? errno : 102;
                if (read((int) fd, buf, sizeof(buf) - 1) < 0)
                        return 103;
                return strncmp(buf, "SECRET", 6) == 0 ? 42 : 0;
        }
        /* SRD_I386_OPEN: the program where it is not installed (the host). */
        execl(getenv("SRD_I386_OPEN") ?: "/usr/bin/i386-open", "i386-open", c->how, c->path, (char *) NULL);
        return 104;
}

static long run(Daemon *d, const Call *c, const char *id) {
        E2eTarget t = {.notify_prog = &prog, .agent = d->agent, .id = id};
        pid_t pid = e2e_spawn(&t, body, (void *) c);

        if (pid < 0)
                return pid;
        return e2e_wait(pid, 30000);
}

int main(void) {
        static const char *const modes[] = {"int80-open", "int80-openat", "libc"};
        char name[256];
        Daemon d;
        long r;

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (e2e_daemon_start(&d, "i386", policy_json, NULL) < 0) {
                printf("not ok 1 - the daemon starts\n1..1\n");
                return 1;
        }
        (void) snprintf(secret, sizeof(secret), "%s/secret", d.dir);
        (void) snprintf(public, sizeof(public), "%s/public", d.dir);
        if (itest_write_file(secret, "SECRET\n") < 0 || itest_write_file(public, "PUBLIC\n") < 0) {
                printf("not ok 1 - the files are written\n1..1\n");
                return 1;
        }

        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                r = run(&d, &(Call){modes[i], secret}, "i386-secret");
                (void) snprintf(name, sizeof(name),
                                "i386 %s of the protected file is denied (EACCES), never read", modes[i]);
                result(r == EACCES, name, r);
                r = run(&d, &(Call){modes[i], public}, "i386-public");
                (void) snprintf(name, sizeof(name),
                                "control: i386 %s of a file no rule names opens and reads it", modes[i]);
                result(r == 0, name, r);
        }

        r = run(&d, &(Call){"x32-open", secret}, "x32-secret");
        result(r == EACCES, "x32 open of the protected file is denied (EACCES), never read", r);
        r = run(&d, &(Call){"x32-openat", secret}, "x32-secret-at");
        result(r == EACCES, "x32 openat of the protected file is denied (EACCES), never read", r);
        r = run(&d, &(Call){"x32-open", public}, "x32-public");
        result(r == 0, "control: x32 open of a file no rule names opens and reads it", r);

        result(kill(d.pid, 0) == 0, "the daemon is still running", 0);
        printf("1..%d\n", n_tests);
        (void) daemon_stop(&d, SIGTERM, 5000, NULL);
        return n_failed ? 1 : 0;
}
