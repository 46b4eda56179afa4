/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The listener tests' target: a forked process installs a notify filter
 * (libseccomp, NEW_LISTENER), hands the listener fd to us over a socketpair
 * and then runs the syscalls we send it, one command at a time, reporting
 * what each returned. Also the test policy and a scratch directory (made
 * before main, removed at exit).
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "seccomp-redirect.h"
#include "tests.h"

#define TIMEOUT_MS 5000

/* The syscalls the target's filter notifies on. */
extern const int notified[5];

enum {
        CMD_SYSCALL, /* syscall(nr, args) in the main thread */
        CMD_SYSCALL_IN_THREAD, /* the same from a second thread */
        CMD_UFFD_MKDIR, /* mkdir() of a path in userfaultfd-guarded memory */
        CMD_INT80, /* an i386 syscall: nr, str[0], str[1] */
        CMD_INT80_ARGS, /* an i386 syscall: registers as CMD_SYSCALL's args, strings below 4 GiB, plus high[] */
};

typedef struct Cmd {
        int op;
        long nr;
        uint64_t args[6];
        unsigned str_mask; /* bit i: args[i] := pointer to the next str[] */
        unsigned buf_mask; /* bit i: args[i] := pointer to a scratch buffer */
        char str[2][PATH_MAX + 16];
        /* CMD_INT80_ARGS: ORed into the upper half of each register, which
         * the kernel drops for an i386 syscall. Where high[i] is set for a
         * string argument, decoy is mapped at that string's address plus
         * high[i], so that reading the whole register finds it. */
        uint64_t high[6];
        char decoy[PATH_MAX];
} Cmd;

typedef struct Target {
        pid_t pid;
        int sock;
        SrdListener *listener;
} Target;

enum {
        RULE_DENY,
        RULE_KILL,
        RULE_REDIRECT,
        RULE_BAD_TEMPLATE,
        RULE_STAT_DIRS,
        RULE_ALLOW,
        RULE_GETPPID,
        RULE_REDIRECT_O2,
};

/* No root needed: libseccomp sets no_new_privs, and the target is our
 * child, so even Yama lets us read its memory. */
#define REQUIRE_TARGET() \
        do { \
                if (!have_seccomp_notify()) \
                        SKIP("seccomp user notification unavailable"); \
        } while (0)

DEFINE_TRIVIAL_CLEANUP_FUNC(SrdPolicy *, srd_policy_unref);

/* Set before target_start(): the filter also covers i386 syscalls. */
extern bool target_x86;
/* Set before target_start(): the filter carries SECCOMP_FILTER_FLAG_REDIRECT. */
extern bool target_redirect;
/* The kernel has the redirect series (NULL), or why not. In the VM
 * (SRD_REQUIRE_REDIRECT set) a kernel without it is a failure. */
const char *redirect_unsupported(void);
#define REQUIRE_REDIRECT()                                                      \
        do {                                                                    \
                const char *why_ = redirect_unsupported();                      \
                if (why_ && getenv("SRD_REQUIRE_REDIRECT"))                     \
                        TEST_FAIL_("SRD_REQUIRE_REDIRECT is set, but %s", why_);\
                if (why_)                                                       \
                        SKIP(why_);                                             \
        } while (0)
/* Set before target_start(): the filter also covers x32 syscalls. */
extern bool target_x32;
/* Set before target_start(): more syscalls (native numbers) to notify on,
 * on every architecture of the filter. */
extern const int *target_notify_extra;
extern size_t target_n_notify_extra;

#if defined(__x86_64__)
#include "i386-probe.h"

/* For a case that needs i386 syscalls: skip with the host's reason, except
 * where SRD_REQUIRE_I386 is set (the VM, whose kernel surely has ia32
 * emulation): there a host that cannot is a failure. */
#define REQUIRE_I386()                                                          \
        do {                                                                    \
                const char *why_ = host_i386_unsupported();                     \
                if (why_ && getenv("SRD_REQUIRE_I386"))                         \
                        TEST_FAIL_("SRD_REQUIRE_I386 is set, but %s", why_);    \
                if (why_)                                                       \
                        SKIP(why_);                                             \
        } while (0)
#endif

int target_start(Target *t, void (*setup)(void));
/* A setup for target_start(): the directory target_fd100_path opened as fd
 * 100 of the target, above anything its command loop opens. */
extern const char *target_fd100_path;
void target_setup_fd100(void);
/* A setup for target_start(): SIGUSR1 interrupts a notified syscall with
 * EINTR (no SA_RESTART), so that its notification vanishes. */
void target_setup_sigusr1_interrupts(void);
/* With that setup: POLLIN, then the notification goes away while its task
 * lives on (so the filter keeps a user and RECV has no hang-up to return on). */
int target_vanish_notification(Target *t);
void target_stop(Target *t);
int target_send(Target *t, const Cmd *c);
/* What the target's last command returned (a negative errno for failures). */
int target_result(Target *t, long *ret);
/* Wait for a notification, then handle exactly one. */
int serve(Target *t, SrdPolicy *p, SrdEvent *e);
/* How the target ended: the signal that killed it, 0 for a normal exit, <0 on timeout. */
int target_wait_death(Target *t);
Cmd *cmd_new(long nr);

int send_fd(int sock, int fd);
/* An fd, or -EBADMSG when the message carried none (then *ret_payload is its data). */
int recv_fd_or_payload(int sock, long *ret_payload);

/* The scratch directory, /tmp/srd-listener-XXXXXX, and a path in it (four
 * rotating buffers). */
extern char tmpdir[PATH_MAX];
const char *tmp(const char *name);

/* The test policy, with the given redirectFallback (JSON). */
int policy_load(const char *fallback, SrdPolicy **ret);
bool have_seccomp_notify(void);
