/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Helpers for the integration tests and the benchmarks: they run the real
 * seccomp-redirectd binary in a private temp dir, speak the OCI agent
 * protocol to it the way runc does, and drive target processes that sit
 * under a seccomp notify filter. Everything started here is killed at exit,
 * so a failing assertion never leaves a daemon or a target behind.
 *
 * Functions return 0 or a negative errno, like the library they test.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ITEST_PATH_MAX 512

/* ------------------------------------------------------------------------ */
/* Environment.                                                              */

/* Skip reason when the tests cannot run here (not root, no daemon binary), else NULL. */
const char *itest_skip_reason(void);
/* The binaries under test: $SRD_DAEMON / $SRD_CTL. */
const char *itest_daemon_binary(void);
const char *itest_ctl_binary(void);
/* $SRD_DAEMON_WRAPPER: a program the daemon runs under (tools/valgrind-daemon), or NULL. */
const char *itest_daemon_wrapper(void);
/* ms times $SRD_TIMEOUT_MULTIPLIER (the daemon is slower under valgrind). */
unsigned itest_timeout_ms(unsigned ms);
/* itest_track_pid() for a daemon started by the test itself: under the
 * wrapper it is judged when reaped (or SIGTERMed and judged at exit). */
void itest_track_daemon_pid(pid_t pid);

/* A fresh private directory under $TMPDIR (or /tmp), removed at exit. */
int itest_tmpdir(const char *tag, char *ret, size_t size);
int itest_write_file(const char *path, const char *content);
/* The file's contents, NUL terminated, malloc'd. */
int itest_read_file(const char *path, char **ret);
/* Kill (SIGKILL) and reap pid at exit unless itest_forget_pid() was called. */
void itest_track_pid(pid_t pid);
void itest_forget_pid(pid_t pid);
/* waitpid() with a timeout: -ETIMEDOUT when pid is still running. */
int itest_wait_pid(pid_t pid, unsigned timeout_ms, int *ret_status);
uint64_t itest_now_usec(void);
/* Raise RLIMIT_NOFILE (soft) to at least n, within the hard limit. */
int itest_raise_nofile(unsigned long n);

/* ------------------------------------------------------------------------ */
/* The daemon.                                                               */

typedef struct NotifyQueue NotifyQueue;

typedef struct Daemon {
        pid_t pid;
        char dir[ITEST_PATH_MAX];
        char agent[ITEST_PATH_MAX];
        char control[ITEST_PATH_MAX];
        char policy_dir[ITEST_PATH_MAX];
        char log[ITEST_PATH_MAX];
        char notify_path[ITEST_PATH_MAX];
        int notify_fd; /* our end of its NOTIFY_SOCKET */
        NotifyQueue *notify; /* drained by a thread, so sd_notify() never blocks the daemon */
        bool no_control; /* daemon_start() passes no --control at all */
        /* Play systemd's fd store: daemon_start() passes what FDSTORE=1 left
         * (LISTEN_FDS/LISTEN_FDNAMES), as a restart of the service would. */
        bool fd_store;
} Daemon;

/* Lay out dir/{agent.sock,control.sock,policies.d,daemon.log,notify.sock}; no process yet. */
int daemon_prepare(Daemon *d, const char *dir);
/* Write one policy file into the policy dir; "@TMP@" in text is replaced by d->dir. */
int daemon_add_policy(const Daemon *d, const char *file, const char *text);

/*
 * Start the daemon with --listen, --control (unless no_control), --policy-dir plus extra (NULL
 * terminated, may be NULL), stderr appended to d->log, NOTIFY_SOCKET set.
 * Waits for READY=1. -ECHILD when it exits first (status in *ret_status
 * when given).
 */
int daemon_start(Daemon *d, const char *const *extra, int *ret_exit_status);
/* Send sig, wait up to timeout_ms, SIGKILL after that. Returns the wait status. */
int daemon_stop(Daemon *d, int sig, unsigned timeout_ms, int *ret_status);
/* Next sd_notify datagram (fields joined by '\n'), within timeout_ms. */
int daemon_read_notify(Daemon *d, unsigned timeout_ms, char *buf, size_t size);
/* How many fds the daemon's FDSTORE=1 left in the store (FDSTOREREMOVE=1 takes them out). */
size_t daemon_fd_store_count(Daemon *d);
/* Read datagrams until one holds the line "needle" (e.g. "READY=1"); what it held in buf. */
int daemon_wait_notify(Daemon *d, const char *needle, unsigned timeout_ms, char *buf, size_t size);
/* The daemon's log so far contains needle (case-insensitive). */
bool daemon_log_contains(const Daemon *d, const char *needle);
/* Wait until the log contains needle; -ETIMEDOUT otherwise. */
int daemon_wait_log(const Daemon *d, const char *needle, unsigned timeout_ms);
/* Log size now, so that later checks only look at what came after. */
size_t daemon_log_size(const Daemon *d);
/* Like daemon_wait_log but only looks at the log after offset. */
int daemon_wait_log_after(const Daemon *d, size_t offset, const char *needle, unsigned timeout_ms);
/* Number of open fds of the daemon process. */
int daemon_count_fds(const Daemon *d);
/* VmRSS of the daemon in KiB. */
long daemon_rss_kib(const Daemon *d);

/* A connected AF_UNIX socket of type (SOCK_STREAM, ...), or -errno. */
int itest_unix_connect(const char *path, int type);

/* "status" on the control socket: the parsed JSON document. */
int control_status(const char *control_path, json_object **ret);
/* The container object with this id, or NULL. */
json_object *status_container(json_object *status, const char *id);
size_t status_n_containers(json_object *status);
/* Hits of rule (by name; NULL = the default action) of policy; -1 when absent. */
long long status_rule_hits(json_object *status, const char *policy, const char *rule);
long long status_int(json_object *o, const char *key);
const char *status_str(json_object *o, const char *key);
/* Poll status until container id is present (want=true) or absent; -ETIMEDOUT. */
int status_wait_container(const char *control_path, const char *id, bool want, unsigned timeout_ms);

/* ------------------------------------------------------------------------ */
/* The agent protocol, as an OCI runtime speaks it.                          */

/* runc's compact ContainerProcessState with one "seccompFd". */
int handoff_json(char *buf, size_t size, pid_t pid, const char *id, const char *metadata);
/*
 * Connect to path and send payload with fds (SCM_RIGHTS, first message).
 * keep_open: leave the connection open (what runc 1.1 does: it closes only
 * when it exits) and return it in *ret_conn; else shut it down.
 */
int handoff_send(const char *path, const void *payload, size_t len, const int *fds, size_t n_fds,
                 bool keep_open, int *ret_conn);
/* The same on a connection made beforehand (e.g. before a filter that
 * notifies socket() or connect() is installed); fd stays open. */
int handoff_send_on(int fd, const void *payload, size_t len, const int *fds, size_t n_fds);

/* ------------------------------------------------------------------------ */
/* Target processes under a notify filter.                                   */

typedef enum TargetOp {
        TARGET_OPENAT, /* openat(AT_FDCWD, path, flags, mode); the fd is closed again */
        TARGET_MKDIR, /* mkdir(path, 0755) (the mkdir syscall itself) */
        TARGET_MKDIRAT, /* mkdirat(AT_FDCWD, path, 0755) */
        TARGET_SOCKET, /* socket(a, b, 0); closed again */
        TARGET_OPENAT_UNMAPPED, /* openat with a pointer into an unmapped page */
        TARGET_OPENAT_UNTERMINATED, /* openat with a string running into an unmapped page */
        TARGET_OPENAT_LONG, /* openat with a path of a + 1 bytes (a > PATH_MAX) */
        TARGET_OPENAT_LOOP, /* a times openat(path): the result is the elapsed ns */
        TARGET_CHMOD_LOOP, /* a times chmod(path, mode) (the chmod syscall): the elapsed ns */
        TARGET_CHDIR, /* chdir(path): for relative paths */
        /* openat with its path in a page guarded by a userfaultfd that nobody
         * serves: whoever reads the path waits until the target dies. */
        TARGET_OPENAT_UFFD,
        TARGET_EXIT,
} TargetOp;

typedef struct TargetCmd {
        int op;
        int flags;
        int mode;
        long a, b;
        char path[ITEST_PATH_MAX];
} TargetCmd;

typedef struct Target {
        pid_t pid;
        int sock; /* commands in, results out */
        int listener; /* the notify fd, until handed over */
} Target;

/* Fork a target that notifies on the syscalls named (NULL terminated) and waits for commands. */
int target_start(Target *t, const char *const *syscalls);
/* Hand the listener to the daemon like runc (close after sending); t->listener is closed. */
int target_handoff(Target *t, const char *agent_path, const char *id, const char *metadata);
/* Run one command in the target: >= 0 the syscall's result, -errno its failure;
 * -ETIMEDOUT when no answer came within timeout_ms, -EPIPE when the target died. */
long target_call(Target *t, const TargetCmd *cmd, unsigned timeout_ms);
long target_openat(Target *t, const char *path, int flags);
long target_mkdir(Target *t, const char *path);
/* Send a command without waiting for the answer (to kill the target mid-syscall). */
int target_send(Target *t, const TargetCmd *cmd);
/* Ask it to exit, reap it (SIGKILL after timeout); returns the wait status. */
int target_stop(Target *t);
/* SIGKILL and reap; returns the wait status. */
int target_kill(Target *t);
