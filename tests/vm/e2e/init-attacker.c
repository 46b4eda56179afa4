/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A malicious workload for vm-containers: it runs inside a container under
 * seccomp-redirect-init (through seccomp-redirect-oci, real runc) and tries
 * what the init's trust model says it cannot do, printing TAP:
 *
 *  - present guessed tokens, or a hello naming a weaker policy, or an OCI
 *    handoff with listenerMetadata, on the init socket: all refused;
 *  - load a second listener filter of its own: EBUSY;
 *  - find its container's token (its environment, PID 1's) or take PID 1's
 *    listener (pidfd_getfd over PID 1's fds): nothing there;
 *  - and it is still supervised afterwards (mkdir /tmp/forbidden-attacker:
 *    EACCES).
 *
 * Static (copied into a busybox rootfs); written for the x86_64 guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int n_tests, failed;

static void result(int ok, const char *what, const char *detail) {
        n_tests++;
        if (!ok)
                failed = 1;
        printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", n_tests, what, detail ? ": " : "", detail ?: "");
        fflush(stdout);
}

/* Send one message on a new connection to the init socket; the daemon's first answer line. */
static void talk(const char *sock, const char *msg, char *answer, size_t size) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct timeval tv = {.tv_sec = 5};
        ssize_t n;
        int fd;

        answer[0] = 0;
        strncpy(sa.sun_path, sock, sizeof(sa.sun_path) - 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                snprintf(answer, size, "(connect: %s)", strerror(errno));
                if (fd >= 0)
                        close(fd);
                return;
        }
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void) write(fd, msg, strlen(msg));
        n = read(fd, answer, size - 1);
        answer[n > 0 ? n : 0] = 0;
        answer[strcspn(answer, "\n")] = 0;
        close(fd);
}

static void random_token(char out[33]) {
        unsigned char b[16];
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

        if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t) sizeof(b))
                memset(b, 0x5a, sizeof(b));
        if (fd >= 0)
                close(fd);
        for (int i = 0; i < 16; i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Does file (an environ) hold SECCOMP_REDIRECT_TOKEN with a value? -1: unreadable. */
static int environ_has_token(const char *file) {
        char buf[65536];
        ssize_t n;
        int fd = open(file, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -1;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 0)
                return -1;
        for (ssize_t i = 0; i < n;) {
                const char *e = buf + i;
                size_t l = strnlen(e, (size_t) (n - i));

                if (strncmp(e, "SECCOMP_REDIRECT_TOKEN=", 23) == 0 && l > 23)
                        return 1;
                i += (ssize_t) l + 1;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        const char *sock = argc > 1 ? argv[1] : "/.seccomp-redirect.sock";
        char msg[512], answer[512], tok[33], detail[600];
        int refused = 0, pidfd, taken = 0, r;

        printf("1..8\n");

        for (int i = 0; i < 20; i++) {
                random_token(tok);
                snprintf(msg, sizeof(msg), "SECCOMP-REDIRECT-INIT 1 %s\n", tok);
                talk(sock, msg, answer, sizeof(answer));
                refused += strstr(answer, "unknown or already used token") != NULL;
        }
        snprintf(detail, sizeof(detail), "%d of 20 refused", refused);
        result(refused == 20, "20 guessed tokens are refused", detail);

        random_token(tok);
        snprintf(msg, sizeof(msg), "SECCOMP-REDIRECT-INIT 1 %s policy=permissive\n", tok);
        talk(sock, msg, answer, sizeof(answer));
        result(strstr(answer, "malformed hello") != NULL, "a hello naming a weaker policy is refused",
               answer);

        snprintf(msg, sizeof(msg),
                 "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"metadata\":\"policy="
                 "permissive\","
                 "\"state\":{\"id\":\"other\"}}\n",
                 (int) getpid());
        talk(sock, msg, answer, sizeof(answer));
        result(strncmp(answer, "ERROR", 5) == 0, "an OCI handoff with listenerMetadata is refused", answer);

        {
                struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
                struct sock_fprog prog = {.len = 1, .filter = &insn};
                long fd;

                (void) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
                snprintf(detail, sizeof(detail), "%s", fd >= 0 ? "got a listener" : strerror(errno));
                result(fd < 0 && errno == EBUSY, "a second listener filter fails with EBUSY", detail);
        }

        r = environ_has_token("/proc/self/environ");
        result(r == 0, "the workload's environment has no token", r < 0 ? "unreadable" : NULL);
        r = environ_has_token("/proc/1/environ");
        snprintf(detail, sizeof(detail), "%s", r < 0 ? strerror(errno) : r ? "token there" : "no token");
        result(r != 1, "PID 1 (the init) shows no token", detail);

        pidfd = (int) syscall(SYS_pidfd_open, 1, 0);
        for (int fd = 0; pidfd >= 0 && fd < 256; fd++) {
                int got = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
                char link[64], target[64] = "";

                if (got < 0)
                        continue;
                snprintf(link, sizeof(link), "/proc/self/fd/%d", got);
                if (readlink(link, target, sizeof(target) - 1) > 0 && strstr(target, "seccomp"))
                        taken++;
                close(got);
        }
        snprintf(detail, sizeof(detail), "%d listeners taken", taken);
        result(taken == 0, "no seccomp listener can be taken from PID 1", detail);

        r = mkdir("/tmp/forbidden-attacker", 0755);
        snprintf(detail, sizeof(detail), "%s", r < 0 ? strerror(errno) : "created");
        result(r < 0 && errno == EACCES, "after all that the attacker is still supervised (EACCES)", detail);
        return failed;
}
