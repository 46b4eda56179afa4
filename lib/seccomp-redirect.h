/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libseccomp-redirect: the public interface of the seccomp-redirectd library.
 *
 * One header, one prefix (srd_ / Srd). Every function returns a negative
 * errno on failure (documented per function) and never logs above debug;
 * logging is the caller's business. Objects follow one shape:
 * srd_foo_new(..., SrdFoo **ret), srd_foo_free(SrdFoo *) accepting NULL and
 * returning NULL.
 *
 * Modules behind it:
 *   policy    JSON policy files -> SrdPolicy, with file:line:col diagnostics
 *   match     SrdPolicy + one syscall -> SrdVerdict (first matching rule)
 *   syscalls  which arguments of which syscall are paths
 *   agent     the OCI listenerPath handoff (SCM_RIGHTS + ContainerProcessState)
 *   listener  the seccomp notification fd: receive, read paths, answer
 */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SRD_ARGS 6
#define SRD_MAX_PATHS 2
/* Longest path (without the NUL) read from a task or produced by a template. */
#define SRD_PATH_MAX (PATH_MAX - 1)

/* ------------------------------------------------------------------------ */
/* Diagnostics: what a policy author reads.                                 */

typedef struct SrdDiag {
        char *file;     /* as given to the loader */
        unsigned line;  /* 1-based; 0 = not tied to a position */
        unsigned column; /* 1-based, in bytes */
        char *where;    /* JSON path of the offending key, e.g. "rules[2].action"; may be NULL */
        char *message;  /* e.g. "unknown action \"redirct\" (did you mean \"redirect\"?)" */
} SrdDiag;

typedef struct SrdDiagList {
        SrdDiag *items;
        size_t n;
} SrdDiagList;

void srd_diag_list_clear(SrdDiagList *l);
/* "file:line:col: where: message" (parts that are absent are left out); malloc'd. */
char *srd_diag_format(const SrdDiag *d);

/* ------------------------------------------------------------------------ */
/* Actions and policies.                                                    */

typedef enum SrdAction {
        SRD_ACTION_CONTINUE,
        SRD_ACTION_ERRNO,
        SRD_ACTION_KILL,
        SRD_ACTION_REDIRECT,
        _SRD_ACTION_MAX,
        _SRD_ACTION_INVALID = -EINVAL,
} SrdAction;

const char *srd_action_to_string(SrdAction a);
SrdAction srd_action_from_string(const char *s);

/* errno names <-> numbers ("EPERM" <-> 1); -EINVAL when unknown. */
int srd_errno_from_string(const char *s);
const char *srd_errno_to_string(int error);

typedef struct SrdPolicy SrdPolicy;

/*
 * Parse and validate one policy. Every problem found is appended to diag
 * (which may be NULL); the first one decides the return value.
 * Returns 0, -EINVAL (invalid policy: see diag), -ENOMEM, or the errno of
 * opening/reading the file. A policy is immutable once loaded, apart from
 * its hit counters.
 */
int srd_policy_load_file(const char *path, SrdPolicy **ret, SrdDiagList *diag);
int srd_policy_load_buffer(const char *buf, size_t len, const char *filename, SrdPolicy **ret,
                           SrdDiagList *diag);

/*
 * What the loader found legal but very likely not meant: a rule an earlier
 * one shadows, a glob that can never match, "{a,b}" taken literally, a
 * default action that only notified syscalls get. Messages start with
 * "warning: ". Owned by the policy; never NULL for a loaded policy.
 */
const SrdDiagList *srd_policy_warnings(const SrdPolicy *p);

/*
 * Every "*.json" of dir not starting with '.', in alphabetical order, as the
 * daemon loads its policy directory: all of them or none. Every problem of
 * every file goes to diag, as does a policy name that two files share.
 * Returns 0 with *ret (free with srd_policy_array_free()) and *ret_n, or
 * the first error.
 */
int srd_policy_dir_load(const char *dir, SrdPolicy ***ret, size_t *ret_n, SrdDiagList *diag);
SrdPolicy **srd_policy_array_free(SrdPolicy **a, size_t n);

/* Reference counted, atomically (threads may share a policy): a reload swaps
 * policies while containers still use the old ones. */
SrdPolicy *srd_policy_ref(SrdPolicy *p);
SrdPolicy *srd_policy_unref(SrdPolicy *p);

const char *srd_policy_name(const SrdPolicy *p);
const char *srd_policy_file(const SrdPolicy *p);
size_t srd_policy_n_rules(const SrdPolicy *p);
/* NULL when rule is out of range; rule names default to "rules[N]". */
const char *srd_policy_rule_name(const SrdPolicy *p, size_t rule);
/* The syscall group ("@file-write") through which rule names native
 * syscall nr; NULL when the rule names it directly, or not at all. */
const char *srd_policy_rule_group(const SrdPolicy *p, size_t rule, int nr);
/*
 * pathError: the answer for a call the daemon cannot place (its path cannot
 * be read or resolved, its architecture not decoded) when some rule with a
 * path condition names it. Always ERRNO (default EACCES) or KILL.
 */
void srd_policy_path_error(const SrdPolicy *p, SrdAction *ret_action, int *ret_error);
/* Whether a rule with a path condition names native syscall nr. */
bool srd_policy_has_path_rule(const SrdPolicy *p, int nr);
/* What to do with a redirect verdict on a listener that cannot redirect. */
void srd_policy_redirect_fallback(const SrdPolicy *p, SrdAction *ret_action, int *ret_error);
/* Per-rule hit counters, for `seccomp-redirectctl status`. rule == -1 counts the default action. */
void srd_policy_count_hit(SrdPolicy *p, int rule);
uint64_t srd_policy_hits(const SrdPolicy *p, int rule);

/* Native syscall numbers named by the policy's rules (what a filter must notify on). */
int srd_policy_syscalls(const SrdPolicy *p, int **ret_nrs, size_t *ret_n);

/* ------------------------------------------------------------------------ */
/* Matching.                                                                */

typedef struct SrdSyscall {
        int nr;                         /* native syscall number */
        uint64_t args[SRD_ARGS];
        /* Path arguments as the kernel will resolve them for the task
         * (absolute in its root, no symbolic links, no "." or ".."), in the
         * order of srd_syscall_info(nr)->paths; NULL when the syscall has
         * fewer paths, or the path names nothing a rule can match or could
         * not be read (then path conditions do not match). */
        const char *paths[SRD_MAX_PATHS];
        /* openat2's struct open_how as the kernel will read it: flags, mode,
         * resolve. Rules that name openat2's "flags", "mode" or "resolve"
         * compare these; without how_read such a call cannot be decided and
         * gets pathError. */
        bool how_read;
        uint64_t how[3];
        /* The container's id (the OCI state's "id"), for {id} in redirect
         * targets; NULL when unknown, and then such a target fails to
         * render and the call is denied. */
        const char *id;
} SrdSyscall;

/* {id} renders only ids of 1 to SRD_ID_MAX characters out of [A-Za-z0-9_.-], not "." or "..". */
#define SRD_ID_MAX 128

/* SrdVerdict.rule when no rule decided. */
#define SRD_RULE_DEFAULT (-1)    /* no rule matched: defaultAction */
#define SRD_RULE_PATH_ERROR (-2) /* the call could not be placed: pathError */
#define SRD_RULE_KERNEL (-3)     /* answered with the errno the kernel gives such a call */

typedef struct SrdVerdict {
        SrdAction action;
        int rule;       /* index of the deciding rule, or SRD_RULE_* */
        int error;      /* positive errno for SRD_ACTION_ERRNO */
        bool log;       /* the rule asked for every hit to be logged */

        /* SRD_ACTION_REDIRECT only. */
        unsigned path_mask;                     /* bit i: paths[i] is replaced by to[i] */
        char to[SRD_MAX_PATHS][SRD_PATH_MAX + 1];
        uint32_t args_mask;                     /* bit i: args[i] is replaced by args[i] below */
        uint64_t args[SRD_ARGS];                /* (old & ~mask) | (value & mask), per "set" */
} SrdVerdict;

/*
 * Decide one syscall: rules in file order, first match wins, no match takes
 * defaultAction. Never fails for a loaded policy, except -ENAMETOOLONG /
 * -EINVAL when a templated redirect target renders invalid (too long,
 * relative, "..") — the listener then denies the call (ENAMETOOLONG or
 * EACCES), never redirectFallback.
 */
int srd_policy_evaluate(const SrdPolicy *p, const SrdSyscall *sc, SrdVerdict *ret);

/* ------------------------------------------------------------------------ */
/* The syscall path table.                                                  */

typedef struct SrdPathArg {
        int8_t arg;       /* index of the pointer argument */
        int8_t dirfd_arg; /* index of the dirfd argument, -1: relative to cwd */
        int8_t flags_arg; /* index of an AT_* flags argument (AT_EMPTY_PATH), -1: none */
        int8_t how_arg;   /* openat2: index of its struct open_how pointer (size follows), -1: none */
        int8_t null_is_dirfd; /* 1: a NULL path makes the call act on the dirfd (utimensat, fanotify_mark) */
        int8_t final;     /* SRD_FINAL_*: how the call treats the last component */
        int8_t final_by;  /* SRD_FINAL_BY_*: a flag of argument final_arg that changes it, 0: none */
        int8_t final_arg; /* consulted only when final_by is set */
} SrdPathArg;

/* How a syscall treats the last component of a path (srd_path_arg_final()). */
enum {
        SRD_FINAL_FOLLOW,   /* open, stat, chmod: a final symbolic link is followed */
        SRD_FINAL_NOFOLLOW, /* lstat, unlink, O_NOFOLLOW: the last component itself */
        SRD_FINAL_CREATE,   /* O_CREAT: followed, and may be missing (created there) */
        SRD_FINAL_PARENT,   /* mkdir, O_CREAT|O_EXCL, a new name: never followed, may be missing */
};

/* Which flag changes it. */
enum {
        SRD_FINAL_BY_NONE,
        SRD_FINAL_BY_AT_NOFOLLOW, /* AT_SYMLINK_NOFOLLOW set: NOFOLLOW */
        SRD_FINAL_BY_AT_FOLLOW,   /* AT_SYMLINK_FOLLOW clear: NOFOLLOW (linkat, name_to_handle_at) */
        SRD_FINAL_BY_OPEN_FLAGS,  /* O_CREAT, O_EXCL, O_NOFOLLOW of open(2)'s flags */
        SRD_FINAL_BY_UMOUNT,      /* UMOUNT_NOFOLLOW */
        SRD_FINAL_BY_INOTIFY,     /* IN_DONT_FOLLOW */
        SRD_FINAL_BY_FANOTIFY,    /* FAN_MARK_DONT_FOLLOW */
        SRD_FINAL_BY_MOVE_FROM,   /* MOVE_MOUNT_F_SYMLINKS clear: NOFOLLOW */
        SRD_FINAL_BY_MOVE_TO,     /* MOVE_MOUNT_T_SYMLINKS clear: NOFOLLOW */
        SRD_FINAL_BY_FSPICK,      /* FSPICK_SYMLINK_NOFOLLOW */
};

/*
 * SRD_FINAL_* for path argument pa of a call with args; open_flags are
 * openat2's open_how.flags (SRD_FINAL_BY_OPEN_FLAGS with final_arg < 0).
 */
int srd_path_arg_final(const SrdPathArg *pa, const uint64_t args[SRD_ARGS], uint64_t open_flags);

typedef struct SrdSyscallInfo {
        const char *name;
        int nr;
        unsigned n_paths;
        SrdPathArg paths[SRD_MAX_PATHS];
} SrdSyscallInfo;

/* NULL for a syscall without path arguments (or unknown). */
const SrdSyscallInfo *srd_syscall_info(int nr);
/* Native number for a name via libseccomp; -EINVAL when unknown. */
int srd_syscall_resolve(const char *name);
/* Name of a native syscall number (static storage or NULL). */
const char *srd_syscall_name(int nr);

/* Lexical normalization: "/a/./b//c/../d" -> "/a/b/d". path must be absolute.
 * Returns 0, -EINVAL (relative), -ENAMETOOLONG (> size-1). */
int srd_path_normalize(const char *path, char *ret, size_t size);
/* Join base (absolute) and rel, then normalize. rel absolute: base ignored. */
int srd_path_join(const char *base, const char *rel, char *ret, size_t size);
/* fnmatch(3)-style glob with *, ?, [...]; '*' does not cross '/', "**" does. */
bool srd_glob_match(const char *pattern, const char *path);

/* ------------------------------------------------------------------------ */
/* The agent protocol (OCI listenerPath).                                   */

typedef struct SrdHandoff {
        char *oci_version;
        pid_t pid;              /* the container process (runtime's pid namespace) */
        char *metadata;         /* listenerMetadata, NULL when absent */
        char *container_id;     /* state.id */
        char *status;           /* state.status */
        char *bundle;           /* state.bundle */
        char *policy_annotation; /* state.annotations["seccomp-redirect.policy"] */
        char **fd_names;        /* fds[], NULL terminated */
        size_t n_fd_names;
        int *fds;               /* received fds, owned */
        size_t n_fds;
} SrdHandoff;

#define SRD_HANDOFF_MAX_SIZE (4U * 1024U * 1024U)
#define SRD_HANDOFF_MAX_FDS 16

SrdHandoff *srd_handoff_free(SrdHandoff *h);

/*
 * An OCI bundle's rootfs. srd_bundle_root_path(): root.path of config.json's
 * bytes (untrusted: -EBADMSG when they are not JSON or the path is not a
 * plain string, -ENOENT when there is none). srd_bundle_open_rootfs(): an
 * O_PATH fd of that directory for the bundle at the absolute path bundle
 * (root.path relative to it unless absolute).
 */
int srd_bundle_root_path(const char *buf, size_t len, char **ret);
int srd_bundle_open_rootfs(const char *bundle, int *ret_fd);
/*
 * The system calls that reach files with no path a rule could judge
 * (io_uring's, open_by_handle_at) which the seccomp profile of config.json
 * (linux.seccomp) lets run without notifying: an ALLOW or LOG entry names
 * one, or none refuses it unconditionally and the default action allows.
 * *ret: their names, ", "-separated (malloc'd), or NULL when there are
 * none. -ENOENT: no profile; -EBADMSG: not JSON, or a malformed profile.
 * srd_bundle_unjudged(): the same for the bundle at the absolute path
 * bundle.
 */
int srd_bundle_profile_unjudged(const char *buf, size_t len, char **ret);
int srd_bundle_unjudged(const char *bundle, char **ret);
/* Parse the JSON payload (untrusted). -EINVAL with a message in *ret_error (malloc'd). */
int srd_handoff_parse(const char *buf, size_t len, SrdHandoff **ret, char **ret_error);
/* The policy the handoff asks for: metadata "policy=NAME" (metadata may hold
 * several comma- or space-separated key=value pairs), else the annotation;
 * NULL when neither names one. */
const char *srd_handoff_policy(const SrdHandoff *h);
/* The same, telling "none named" (-ENOENT: the default policy applies)
 * from "named, but not a valid policy name" (-EBADMSG: refuse, never fall
 * back); 0 with *ret set when a valid name is given. */
int srd_handoff_get_policy(const SrdHandoff *h, const char **ret);

/* Where a handoff may name its policy. Who controls each is the operator's
 * concern: listenerMetadata comes from the runtime's configuration, the
 * annotation from whoever creates the container. */
typedef enum SrdPolicySource {
        SRD_POLICY_SOURCE_METADATA,   /* listenerMetadata "policy=NAME" */
        SRD_POLICY_SOURCE_ANNOTATION, /* annotation seccomp-redirect.policy */
        _SRD_POLICY_SOURCE_MAX,
        _SRD_POLICY_SOURCE_INVALID = -EINVAL,
} SrdPolicySource;

const char *srd_policy_source_to_string(SrdPolicySource s);
SrdPolicySource srd_policy_source_from_string(const char *s);
/* The name one source gives: 0 with *ret set, -ENOENT when that source names
 * none, -EBADMSG when it names one that is not a valid policy name. */
int srd_handoff_get_policy_from(const SrdHandoff *h, SrdPolicySource source, const char **ret);
/* The seccomp listener fd of the handoff: the fd named "seccompFd". -ENOENT / -EINVAL. */
int srd_handoff_listener_fd(const SrdHandoff *h);

/* Incremental, non-blocking reader of one connection: call on every EPOLLIN. */
typedef struct SrdHandoffReader SrdHandoffReader;
int srd_handoff_reader_new(int fd, SrdHandoffReader **ret);
SrdHandoffReader *srd_handoff_reader_free(SrdHandoffReader *r);
/* Payload limit of this reader (default and maximum SRD_HANDOFF_MAX_SIZE);
 * may be lowered between feeds, a payload beyond it fails with -EMSGSIZE. */
int srd_handoff_reader_set_max_size(SrdHandoffReader *r, size_t max_size);
/* Bytes of memory the reader holds for the payload so far (0 once done).
 * The payload ends at the brace closing the top-level object, or at EOF;
 * until then only the raw bytes are kept, parsing happens once at the end. */
size_t srd_handoff_reader_allocated(const SrdHandoffReader *r);
/* 0: need more (EAGAIN), 1: complete (EOF seen, *ret set), <0: protocol
 * error (-EMSGSIZE too large, -EBADMSG truncated control data/ no JSON,
 * -EINVAL bad JSON, ...) with a message in *ret_error. */
int srd_handoff_reader_feed(SrdHandoffReader *r, SrdHandoff **ret, char **ret_error);

/* ------------------------------------------------------------------------ */
/* The seccomp listener.                                                    */

typedef struct SrdListener SrdListener;

typedef enum SrdRedirectSupport {
        SRD_REDIRECT_UNSUPPORTED_KERNEL, /* kernel without the series */
        SRD_REDIRECT_UNSUPPORTED_FILTER, /* series present, filter lacks FLAG_REDIRECT */
        SRD_REDIRECT_SUPPORTED,
        _SRD_REDIRECT_SUPPORT_MAX,
        _SRD_REDIRECT_SUPPORT_INVALID = -EINVAL,
} SrdRedirectSupport;

const char *srd_redirect_support_to_string(SrdRedirectSupport s);

/*
 * Take ownership of fd (closed on failure too). Checks that it is a seccomp
 * listener (-ENOTTY / -EBADF otherwise), makes it non-blocking, sets
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP where the kernel has it and probes
 * redirect support.
 */
int srd_listener_new(int fd, SrdListener **ret);
SrdListener *srd_listener_free(SrdListener *l);
int srd_listener_fd(const SrdListener *l);
SrdRedirectSupport srd_listener_redirect_support(const SrdListener *l);
/* The container's id (copied), which {id} in redirect targets stands for; NULL: none. */
int srd_listener_set_id(SrdListener *l, const char *id);
/*
 * Name every path under the root process pid has now (the container's
 * root, at handover), not under each task's own root: a task that
 * chroot()s further in then still sees rules about the container's files
 * hold for the same files by their container names, and an object outside
 * that root has no name (pathError). Without it, names are in each task's
 * own root. -ESRCH when pid is gone.
 */
int srd_listener_set_root_of(SrdListener *l, pid_t pid);
/*
 * The same, with the container's root known apart from what its task shows
 * now: rootfs, an fd of the runtime's rootfs directory (the OCI bundle's
 * root.path). The root taken is that directory as the task reaches it,
 * found by going up from the task's root, so a task that chroot()ed before
 * the daemon looked (runc and crun run the container on once the listener
 * is sent) is named by the container's names all the same. -EXDEV: the
 * task's root is not inside rootfs (then nothing is set).
 */
int srd_listener_set_root_in(SrdListener *l, pid_t pid, int rootfs);
/* The root paths are named under (absolute, as srd_listener_set_root_of()
 * found it; NULL: each task's own), to record it and set it again on a
 * listener taken back after a restart, when the process may have moved. */
int srd_listener_set_root_name(SrdListener *l, const char *root);
const char *srd_listener_root_name(const SrdListener *l);

/*
 * Receive notifications into buf (at least srd_listener_request_size()
 * bytes, kept valid for the listener's life) instead of memory of its own:
 * a MAP_SHARED file that outlives the process then holds the notification
 * a killed daemon received but did not answer, at no cost per notification.
 * -ENOBUFS when too small, -EBUSY while a notification is at hand.
 */
size_t srd_listener_request_size(const SrdListener *l);
int srd_listener_set_request_buffer(SrdListener *l, void *buf, size_t size);

/*
 * Pinned continue (on by default): where redirect is supported, a continue
 * for a call whose path a rule looked at is answered with SEND_REDIRECT to
 * a copy of the checked, resolved path, so the kernel acts on exactly what
 * was checked. Off, a continue is a plain CONTINUE and the task can change
 * the path after the check: only the negative control of the tests wants
 * that. srd_listener_path_rules_enforced(): pinned continue is on and the
 * listener can redirect; false means path rules are advisory there.
 */
int srd_listener_set_pinned_continue(SrdListener *l, bool b);
bool srd_listener_path_rules_enforced(const SrdListener *l);

/*
 * The redirect arena (one per listener, made on the first redirect that
 * rewrites a path): a sealed memfd that every address space of the
 * listener's tasks gets pinned read-only, whole, on its first redirect.
 * When the targets of a call do not fit any more, a new generation (a new
 * memfd of the same size) takes them and gets pinned in turn; a call whose
 * targets do not fit an empty one is denied (ENAMETOOLONG). Set the size
 * before the first redirect (-EBUSY after); it is rounded up to pages, at
 * most 1 GiB.
 */
#define SRD_ARENA_SIZE_DEFAULT ((size_t) 1024 * 1024)
int srd_listener_set_arena_size(SrdListener *l, size_t size);

typedef struct SrdListenerStats {
        uint64_t redirects;     /* answered with SEND_REDIRECT */
        uint64_t fallbacks;     /* redirect verdicts answered with redirectFallback (cannot redirect) */
        uint64_t pins;          /* PIN_INSTALLs done (per address space and generation, again after execve) */
        uint64_t arena_used;    /* bytes in use of the arena's current generation */
        uint64_t arena_size;    /* its capacity (0: not made yet) */
} SrdListenerStats;

/* Safe from any thread, also while another one handles the listener. */
int srd_listener_get_stats(const SrdListener *l, SrdListenerStats *ret);

/* What happened to one notification, for logs and counters. */
typedef enum SrdOutcome {
        SRD_OUTCOME_NONE,       /* nothing pending (EAGAIN) */
        SRD_OUTCOME_ANSWERED,   /* the verdict (or its fallback) was sent */
        SRD_OUTCOME_TASK_GONE,  /* the task died or was interrupted meanwhile */
        SRD_OUTCOME_RECEIVED,   /* srd_listener_receive() took one: answer it */
        SRD_OUTCOME_HANGUP,     /* SRD_HANDLE_WAIT: no task uses the filter any more */
        _SRD_OUTCOME_MAX,
        _SRD_OUTCOME_INVALID = -EINVAL,
} SrdOutcome;

/*
 * An SrdVerdict as a listener event carries it: the same fields, but the
 * redirect targets point into the listener's own buffers instead of being
 * two PATH_MAX arrays, so that an event costs a few hundred bytes of the
 * caller's stack and not 8 KiB.
 */
typedef struct SrdEventVerdict {
        SrdAction action;
        int rule;
        int error;
        bool log;
        unsigned path_mask;
        const char *to[SRD_MAX_PATHS];  /* never NULL; "" where path_mask has no bit */
        uint32_t args_mask;
        uint64_t args[SRD_ARGS];
} SrdEventVerdict;

/*
 * The strings an event points to (path, written, verdict.to) belong to the
 * listener and stay valid until the next srd_listener_receive() or
 * srd_listener_handle() on it, or srd_listener_free(): the buffers are
 * taken from a pool shared by all listeners only when a path rule needs
 * them, and go back before the next receive sleeps.
 */
typedef struct SrdEvent {
        SrdOutcome outcome;
        pid_t pid;
        int nr;                 /* as notified, in the numbering of arch */
        uint32_t arch;          /* AUDIT_ARCH_* of the call */
        int native_nr;          /* the native syscall of the same name, -1: none / not decoded */
        /* What rules matched: the path the kernel will resolve (no symbolic
         * links, absolute in the task's root); "" when none / unreadable. */
        const char *path[SRD_MAX_PATHS];
        const char *written[SRD_MAX_PATHS];         /* the bytes the task passed; never NULL */
        int path_error[SRD_MAX_PATHS];              /* negative errno reading it, 0 ok */
        SrdEventVerdict verdict; /* what the policy said */
        SrdAction applied;      /* what was done (differs on fallback) */
        bool redirect_fallback; /* applied is redirectFallback: the listener cannot redirect */
        int applied_error;      /* positive errno sent, when applied == ERRNO */
        /* applied CONTINUE went out as a redirect to the checked paths, so
         * the kernel acts on exactly what was checked (pinned continue) */
        bool pinned;
        /* applied CONTINUE of an open of an object without a name: the
         * daemon opened the object that was checked and the call returned
         * that fd (SECCOMP_ADDFD_FLAG_SEND) */
        bool reopened;
        const char *fallback_reason; /* static string when a fallback applied, else NULL */
        /* static string: why the call could not be placed (verdict.rule is
         * SRD_RULE_PATH_ERROR or SRD_RULE_KERNEL, or a path was unreadable
         * and no path rule names the call), else NULL */
        const char *path_error_reason;
} SrdEvent;

typedef enum SrdHandleFlags {
        /*
         * The caller's poll()/epoll just reported POLLIN on srd_listener_fd()
         * and nothing else receives from that fd: skip the poll that
         * otherwise guards the receive. Safe because the kernel counts one
         * wake-up per notification and only a receive consumes it, so a
         * notification that vanishes after POLLIN still lets the receive
         * return (ENOENT) instead of sleeping. Use it for the first call
         * after each POLLIN only.
         */
        SRD_HANDLE_READY = 1 << 0,
        /*
         * Sleep in the receive until a notification comes: for a thread of
         * its own per listener, which the kernel then wakes directly (on the
         * task's CPU with SYNC_WAKE_UP), the fastest way there is. The sleep
         * ends with SRD_OUTCOME_NONE when a signal interrupts it (install the
         * handler without SA_RESTART) and, on kernels since 6.6, with
         * SRD_OUTCOME_HANGUP when the filter's last task is gone; older
         * kernels sleep on, so watch the fd for POLLHUP elsewhere and signal.
         */
        SRD_HANDLE_WAIT = 1 << 1,
} SrdHandleFlags;

/*
 * Receive one notification: ret->outcome is SRD_OUTCOME_RECEIVED (with pid
 * and nr) when there is one to answer with srd_listener_answer(), else NONE,
 * TASK_GONE or HANGUP. Without SRD_HANDLE_READY or SRD_HANDLE_WAIT it first
 * checks that a notification is pending, and never sleeps. A negative errno
 * only for failures of the listener itself (then the caller drops it).
 *
 * Receiving and answering are apart so that a long-sleeping receiver picks
 * the policy only once it has a notification (one reloaded meanwhile).
 */
int srd_listener_receive(SrdListener *l, SrdHandleFlags flags, SrdEvent *ret);

/*
 * Answer the notification that srd_listener_receive() put in ret: decode it
 * (native, and on x86_64 i386 and x32, by syscall name), read its path
 * arguments from the task (bounded, NUL-checked, relative ones resolved
 * against dirfd/cwd, normalized), decide with policy, and act (the act
 * itself proves the notification still live). A call that cannot be
 * decoded, or whose path cannot be placed while a path rule names it, gets
 * the policy's pathError (ret->path_error_reason says why); one the kernel
 * fails as made gets the kernel's errno (SRD_RULE_KERNEL). ret->outcome becomes ANSWERED
 * or TASK_GONE. -ESRCH when ret holds no received notification; other
 * negative errnos only for failures of the listener itself. Hostile or
 * dying tasks never make it fail.
 */
int srd_listener_answer(SrdListener *l, SrdPolicy *policy, SrdEvent *ret);

/* srd_listener_receive() then, if it received one, srd_listener_answer(). */
int srd_listener_handle(SrdListener *l, SrdPolicy *policy, SrdHandleFlags flags, SrdEvent *ret);

/*
 * The request buffer holds what an earlier holder of this listener
 * received: if the kernel still has that notification received and not
 * answered (SECCOMP_IOCTL_NOTIF_ID_VALID), make it the one at hand
 * (ret->outcome RECEIVED, answer it with srd_listener_answer()); else
 * ret->outcome is NONE. Its path arguments are read afresh from the task.
 * The buffer's bytes are checked against the waiting task's own registers
 * (/proc/TID/syscall: number, arguments, instruction pointer); a record
 * that does not match, or cannot be checked, is answered EPERM right here
 * (ret->outcome ANSWERED, ret->fallback_reason says why).
 * srd_listener_set_check_resumed(l, false) skips that check: only the
 * negative control of the tests wants it.
 */
int srd_listener_set_check_resumed(SrdListener *l, bool b);
int srd_listener_resume(SrdListener *l, SrdEvent *ret);

#ifdef __cplusplus
}
#endif
