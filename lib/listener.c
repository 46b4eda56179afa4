/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The seccomp listener: receive one notification, read its path arguments,
 * decide with the policy, answer (an answer is only taken while the
 * notification is live, which proves the reads were of the right task).
 *
 * Raw ioctls throughout: libseccomp's wrappers turn every failure into
 * -ECANCELED, and here the errno is the whole story (ENOENT: the task is
 * gone, which is not our failure; anything else on RECV: the fd is broken).
 *
 * The task is untrusted and may die at any moment. Nothing it does may make
 * srd_listener_handle() fail: what cannot be read or decoded is answered
 * with pathError (decide()), a vanished task is an outcome, not an error.
 */

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "listener-internal.h"
#include "macro.h"
#include "path-arg.h"
#include "policy-internal.h"
#include "procmem.h"
#include "redirect.h"
#include "reopen.h"
#include "scratch.h"
#include "seccomp-redirect.h"
#include "srd-uapi.h"
#include "syscall-arch.h"

/* An id for probing: ids count up from a random start, so none is
 * guaranteed absent, but a collision with a pending one is a 2^-64 event. */
#define PROBE_ID UINT64_MAX


static const char *const redirect_support_table[_SRD_REDIRECT_SUPPORT_MAX] = {
        [SRD_REDIRECT_UNSUPPORTED_KERNEL] = "unsupported-kernel",
        [SRD_REDIRECT_UNSUPPORTED_FILTER] = "unsupported-filter",
        [SRD_REDIRECT_SUPPORTED] = "supported",
};

_public_ const char *srd_redirect_support_to_string(SrdRedirectSupport s) {
        if (s < 0 || s >= _SRD_REDIRECT_SUPPORT_MAX)
                return NULL;
        return redirect_support_table[s];
}

int listener_id_valid(int fd, uint64_t id) {
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
                return -errno;
        return 0;
}

/*
 * Only a seccomp listener knows SECCOMP_IOCTL_NOTIF_ID_VALID: it answers 0
 * or ENOENT for any id. Pipes and regular files say ENOTTY, O_PATH fds
 * EBADF; any other answer is some other driver's ioctl, equally not ours.
 */
static int check_listener(int fd) {
        int r;

        r = listener_id_valid(fd, PROBE_ID);
        if (r == 0 || r == -ENOENT)
                return 0;
        if (r == -EBADF)
                return -EBADF;
        return -ENOTTY;
}

/*
 * Probe per the kernel-uapi spec, section 3: the struct is validated before
 * the id is looked up, so a well-formed SEND_REDIRECT for an id that is not
 * pending tells the three cases apart without a live notification.
 */
static SrdRedirectSupport probe_redirect(int fd) {
        struct seccomp_notif_resp_redirect req = {
                .id = PROBE_ID,
                .flags = SECCOMP_REDIRECT_FLAG_CONTINUE,
        };

        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND_REDIRECT, &req) >= 0)
                return SRD_REDIRECT_SUPPORTED;

        switch (errno) {
        case ENOENT:
                return SRD_REDIRECT_SUPPORTED;
        case EPERM:
                return SRD_REDIRECT_UNSUPPORTED_FILTER;
        default:
                /* EINVAL (unknown ioctl on stock kernels), ENOTTY, and anything
                 * unexpected: never promise what may not work. */
                return SRD_REDIRECT_UNSUPPORTED_KERNEL;
        }
}

_public_ SrdListener *srd_listener_free(SrdListener *l) {
        if (!l)
                return NULL;
        safe_close(l->fd);
        scratch_put(l->scratch);
        safe_close(l->object);
        redirector_free(l->redirector);
        if (l->req_owned)
                free(l->req);
        free(l->resp);
        free(l->id);
        free(l->root_name);
        free(l);
        return NULL;
}

static int set_root_name(SrdListener *l, int fd) {
        char p[64], name[PATH_MAX], *copy;
        int r;

        (void) snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        r = procmem_read_link(AT_FDCWD, p, name, sizeof(name));
        if (r < 0)
                return r;
        if (name[0] != '/')
                return -EREMOTE;
        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        free(l->root_name);
        l->root_name = copy;
        return 0;
}

_public_ int srd_listener_set_root_name(SrdListener *l, const char *root) {
        char *copy = NULL;

        if (!l || (root && root[0] != '/'))
                return -EINVAL;
        if (root) {
                copy = strdup(root);
                if (!copy)
                        return -ENOMEM;
        }
        free(l->root_name);
        l->root_name = copy;
        return 0;
}

_public_ const char *srd_listener_root_name(const SrdListener *l) {
        return l ? l->root_name : NULL;
}

static int open_root_of(pid_t pid) {
        char p[64];
        int fd;

        (void) snprintf(p, sizeof(p), "/proc/%d/root", (int) pid);
        fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        return fd;
}

_public_ int srd_listener_set_root_of(SrdListener *l, pid_t pid) {
        _cleanup_close_ int root = -EBADF;

        if (!l || pid <= 0)
                return -EINVAL;
        root = open_root_of(pid);
        if (root < 0)
                return root;
        return set_root_name(l, root);
}

/* Walks up from a task's root; deeper than this is no container's. */
#define ROOT_CLIMB_MAX 4096

_public_ int srd_listener_set_root_in(SrdListener *l, pid_t pid, int rootfs) {
        _cleanup_close_ int cur = -EBADF;
        struct stat want, st;

        if (!l || pid <= 0 || rootfs < 0)
                return -EINVAL;
        if (fstat(rootfs, &want) < 0)
                return negative_errno();
        cur = open_root_of(pid);
        if (cur < 0)
                return cur;
        /*
         * From the task's root up: ".." walked by us stops at our root and
         * at its mount namespace's, never at the task's chroot, so a task
         * that already chroot()ed further in is found inside the rootfs.
         */
        for (unsigned i = 0; i < ROOT_CLIMB_MAX; i++) {
                int up;

                if (fstat(cur, &st) < 0)
                        return negative_errno();
                if (st.st_dev == want.st_dev && st.st_ino == want.st_ino)
                        return set_root_name(l, cur);
                up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (up < 0)
                        return negative_errno();
                {
                        struct stat ust;

                        if (fstat(up, &ust) < 0 || (ust.st_dev == st.st_dev && ust.st_ino == st.st_ino)) {
                                /* The top, and the rootfs was not on the way. */
                                safe_close(up);
                                return -EXDEV;
                        }
                }
                safe_close(cur);
                cur = up;
        }
        return -EXDEV;
}

_public_ int srd_listener_set_id(SrdListener *l, const char *id) {
        char *copy = NULL;

        if (!l)
                return -EINVAL;
        if (id) {
                copy = strdup(id);
                if (!copy)
                        return -ENOMEM;
        }
        free(l->id);
        l->id = copy;
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(SrdListener *, srd_listener_free);

_public_ int srd_listener_new(int fd, SrdListener **ret) {
        _cleanup_close_ int owned_fd = fd;
        _cleanup_(srd_listener_freep) SrdListener *l = NULL;
        struct seccomp_notif_sizes sizes = {};
        int flags, r;

        if (fd < 0)
                return -EBADF;
        if (!ret)
                return -EINVAL;

        r = check_listener(fd);
        if (r < 0)
                return r;

        /* Belt and braces: handle() polls before RECV anyway. */
        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return negative_errno();
        if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return negative_errno();

        /* The flag goes by value: a pointer would be read as flags and give
         * EINVAL. Kernels before 6.6 lack the ioctl: the answer is merely
         * slower to wake the task there. */
        r = ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long) SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
        if (r < 0 && errno != EINVAL && errno != ENOTTY)
                return negative_errno();

        /* A daemon sandboxed with SystemCallFilter= may not be allowed
         * seccomp() itself; our own struct sizes are the floor anyway. */
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                sizes = (struct seccomp_notif_sizes){};

        l = calloc(1, sizeof(SrdListener));
        if (!l)
                return -ENOMEM;
        l->fd = l->object = -EBADF;

        l->req_size = MAX((size_t) sizes.seccomp_notif, sizeof(struct seccomp_notif));
        l->resp_size = MAX((size_t) sizes.seccomp_notif_resp, sizeof(struct seccomp_notif_resp));
        l->req = calloc(1, l->req_size);
        l->req_owned = true;
        l->resp = calloc(1, l->resp_size);
        if (!l->req || !l->resp)
                return -ENOMEM;

        r = redirector_new(&l->redirector);
        if (r < 0)
                return r;
        l->native_arch = seccomp_arch_native();
        l->redirect = probe_redirect(fd);
        l->pinned_continue = true;
        l->fd = TAKE_FD(owned_fd);

        *ret = TAKE_PTR(l);
        return 0;
}

_public_ int srd_listener_fd(const SrdListener *l) {
        if (!l)
                return -EINVAL;
        return l->fd;
}

_public_ SrdRedirectSupport srd_listener_redirect_support(const SrdListener *l) {
        if (!l)
                return _SRD_REDIRECT_SUPPORT_INVALID;
        return l->redirect;
}

void listener_event_init(SrdEvent *e) {
        /* Field by field: only what every notification needs. */
        e->outcome = SRD_OUTCOME_NONE;
        e->pid = 0;
        e->nr = -1;
        for (size_t i = 0; i < SRD_MAX_PATHS; i++) {
                e->path[i] = "";
                e->written[i] = "";
                e->path_error[i] = 0;
                e->verdict.to[i] = "";
        }
        e->verdict.action = _SRD_ACTION_INVALID;
        e->verdict.rule = -1;
        e->verdict.error = 0;
        e->verdict.log = false;
        e->verdict.path_mask = 0;
        e->verdict.args_mask = 0;
        memset(e->verdict.args, 0, sizeof(e->verdict.args));
        e->applied = _SRD_ACTION_INVALID;
        e->pinned = false;
        e->reopened = false;
        e->redirect_fallback = false;
        e->applied_error = 0;
        e->fallback_reason = NULL;
        e->path_error_reason = NULL;
        e->arch = 0;
        e->native_nr = -1;
}

static void scratch_release(SrdListener *l) {
        scratch_put(l->scratch);
        l->scratch = NULL;
}

static bool scratch_take(SrdListener *l) {
        if (!l->scratch)
                l->scratch = scratch_get();
        return l->scratch;
}

/* A verdict no rule gave: pathError, or the kernel's own errno. */
static void verdict_unplaced(SrdEvent *e, int rule, SrdAction action, int error, const char *reason) {
        e->verdict.action = action;
        e->verdict.rule = rule;
        e->verdict.error = action == SRD_ACTION_ERRNO ? error : 0;
        e->verdict.path_mask = 0;
        e->verdict.args_mask = 0;
        e->path_error_reason = reason;
}

static void verdict_path_error(const SrdPolicy *policy, SrdEvent *e, const char *reason) {
        SrdAction action;
        int error;

        srd_policy_path_error(policy, &action, &error);
        verdict_unplaced(e, SRD_RULE_PATH_ERROR, action, error, reason);
}

/* Read path argument i of the call; say what it means for the answer. */
static void read_path(SrdListener *l, SrdEvent *e, SrdSyscall *sc, const SrdPathArg *pa, unsigned i,
                      ProcmemWhy *unplaced, ProcmemWhy *refused, int *refused_error) {
        const struct seccomp_notif *n = l->req;
        ProcmemWhy why = PROCMEM_WHY_NONE;
        PathArgResult pr;
        bool want_object;
        int r;

        if (pa->how_arg >= 0 && pa->how_arg + 1 < SRD_ARGS) {
                /* Where openat2's path leads depends on RESOLVE_*: without
                 * them the path cannot be placed. */
                r = procmem_read_open_how(n->pid, sc->args[pa->how_arg], sc->args[pa->how_arg + 1], &l->how,
                                          &why);
                if (r < 0) {
                        e->path_error[i] = r;
                        if (why == PROCMEM_WHY_KERNEL_REFUSES) {
                                if (*refused == PROCMEM_WHY_NONE) {
                                        *refused = why;
                                        *refused_error = -r;
                                }
                        } else if (*unplaced == PROCMEM_WHY_NONE)
                                *unplaced = why == PROCMEM_WHY_NONE ? PROCMEM_WHY_OPEN_HOW_UNREADABLE : why;
                        return;
                }
                l->how_read = true;
                sc->how_read = true;
                sc->how[0] = l->how.flags;
                sc->how[1] = l->how.mode;
                sc->how[2] = l->how.resolve;
        }

        /* An open keeps what it reaches when that has no name (reopen.h). */
        want_object = i == 0 && l->object < 0 &&
                      reopen_call_of(sc->nr, sc->args, pa->how_arg >= 0 ? &l->how : NULL, &l->reopen) == 0;
        (void) path_arg_read_object(n->pid, l->root_name, pa, sc->args, pa->how_arg >= 0 ? &l->how : NULL,
                                    l->scratch->written[i], l->scratch->path[i], sizeof(l->scratch->path[i]),
                                    want_object ? &l->object : NULL, &pr);
        e->written[i] = l->scratch->written[i];
        e->path[i] = l->scratch->path[i];
        switch (pr.kind) {
        case PATH_ARG_NAMED:
                sc->paths[i] = e->path[i];
                l->pins[i] = (RedirectPin){.path = e->path[i], .resolved = true, .nofollow_arg = -1};
                /* open/openat: the last component was checked as what it
                 * is; a link put there afterwards must not be followed
                 * (openat2 gets RESOLVE_NO_SYMLINKS for the same). */
                if (pa->final_by == SRD_FINAL_BY_OPEN_FLAGS && pa->final_arg >= 0 && pa->how_arg < 0 &&
                    (pr.final == SRD_FINAL_FOLLOW || pr.final == SRD_FINAL_CREATE))
                        l->pins[i].nofollow_arg = pa->final_arg;
                break;
        case PATH_ARG_UNNAMED:
                /* Placed: on nothing a path rule can name. Pinned as the
                 * task wrote it, so that it cannot be made to name more. */
                if (pr.pin == PATH_ARG_PIN_WRITTEN)
                        l->pins[i] = (RedirectPin){.path = e->written[i], .nofollow_arg = -1};
                break;
        case PATH_ARG_FAILS:
                /* Rules see the name it was looking for; a continue gets
                 * the kernel's errno. */
                e->path_error[i] = -pr.error;
                if (e->path[i][0] == '/')
                        sc->paths[i] = e->path[i];
                if (l->fails_error == 0)
                        l->fails_error = pr.error;
                break;
        case PATH_ARG_REFUSED:
                e->path_error[i] = -pr.error;
                if (*refused == PROCMEM_WHY_NONE) {
                        *refused = PROCMEM_WHY_KERNEL_REFUSES;
                        *refused_error = pr.error;
                }
                break;
        default:
                e->path_error[i] = pr.error > 0 ? -pr.error : -EIO;
                if (*unplaced == PROCMEM_WHY_NONE)
                        *unplaced = pr.why;
                break;
        }
}

/*
 * The errno for a call whose path the file system fails: the walk's,
 * unless the kernel fails the call on an argument it reads before that
 * path. symlink's target is such an argument (getname() of it comes
 * first): unreadable, the kernel says EFAULT (ENAMETOOLONG past PATH_MAX).
 */
static bool reads_target_first(int nr) {
#if defined(SYS_symlink)
        if (nr == SYS_symlink)
                return true;
#endif
        return nr == SYS_symlinkat;
}

static int fails_errno(SrdListener *l, const SrdSyscall *sc) {
        int r;

        /* A path was read, so there is scratch to read into. */
        if (!reads_target_first(sc->nr) || !l->scratch)
                return l->fails_error;
        r = procmem_read_string(l->req->pid, sc->args[0], l->scratch->target, sizeof(l->scratch->target));
        if (r == -EFAULT || r == -ENAMETOOLONG)
                return -r;
        return l->fails_error;
}

/*
 * The verdict into e: the lean evaluation, which needs no buffers, and
 * where it says redirect, the full one into the scratch, whose targets the
 * event then points to. 0, -ENOMEM, or what srd_policy_evaluate() fails
 * with (a templated target that renders invalid; the verdict still names
 * the rule).
 */
static int evaluate(SrdListener *l, SrdPolicy *policy, const SrdSyscall *sc, SrdEvent *e) {
        SrdVerdict *v;
        int r;

        r = policy_evaluate_lean(policy, sc, &e->verdict);
        if (r < 0)
                return r;
        if (e->verdict.action != SRD_ACTION_REDIRECT)
                return 0;
        if (!scratch_take(l))
                return -ENOMEM;
        v = &l->scratch->verdict;
        r = srd_policy_evaluate(policy, sc, v);
        e->verdict.action = v->action;
        e->verdict.rule = v->rule;
        e->verdict.error = v->error;
        e->verdict.log = v->log;
        e->verdict.path_mask = v->path_mask;
        e->verdict.args_mask = v->args_mask;
        memcpy(e->verdict.args, v->args, sizeof(e->verdict.args));
        for (size_t i = 0; i < SRD_MAX_PATHS; i++)
                e->verdict.to[i] = v->to[i];
        return r;
}

/*
 * Decode the call (any architecture the filter can notify), read and
 * resolve its path arguments when a path rule names it, decide. The rule
 * (seccomp-redirectd.policy(5), FAILURE HANDLING): a call whose path cannot
 * be placed, or whose architecture cannot be decoded, gets pathError when a
 * path rule names it, never the default action; where the kernel fails the
 * call as made anyway, it gets that errno rather than a continue another
 * thread could race.
 */
static void decide(SrdListener *l, SrdPolicy *policy, SrdEvent *e, bool *ret_target_invalid) {
        const struct seccomp_notif *n = l->req;
        ProcmemWhy unplaced = PROCMEM_WHY_NONE, refused = PROCMEM_WHY_NONE;
        SrdSyscall sc = {};
        DecodedSyscall d;
        int r, refused_error = 0;

        *ret_target_invalid = false;
        l->how_read = false;
        l->fails_error = 0;
        memset(l->pins, 0, sizeof(l->pins));
        l->object = safe_close(l->object);
        e->arch = n->data.arch;

        memcpy(sc.args, n->data.args, sizeof(sc.args));
        r = syscall_decode(l->native_arch, n->data.arch, n->data.nr, sc.args, &d);
        if (r < 0) {
                /* Which syscall this is, and so whether a path rule names
                 * it, cannot be known. */
                verdict_path_error(policy, e,
                                   r == -EAFNOSUPPORT
                                           ? "the daemon cannot decode syscalls of this architecture"
                                           : "the syscall number is unknown on its architecture");
                return;
        }
        e->native_nr = d.nr;
        sc.nr = d.nr;
        sc.id = l->id;
        memcpy(sc.args, d.args, sizeof(sc.args));

        /* No rule of this syscall looks at a path: nothing to read, and
         * nothing the decision rests on that the task could change. */
        if (d.info && d.info->n_paths > 0 && srd_policy_has_path_rule(policy, sc.nr)) {
                if (!scratch_take(l)) {
                        verdict_path_error(policy, e, "the daemon is out of memory for the path");
                        return;
                }
                for (unsigned i = 0; i < d.info->n_paths && i < SRD_MAX_PATHS; i++)
                        read_path(l, e, &sc, &d.info->paths[i], i, &unplaced, &refused, &refused_error);
        }

        if (unplaced != PROCMEM_WHY_NONE) {
                verdict_path_error(policy, e, procmem_why_to_string(unplaced));
                return;
        }

        r = evaluate(l, policy, &sc, e);
        if (r == -ENOMEM) {
                verdict_path_error(policy, e, "the daemon is out of memory for the redirect target");
                return;
        }
        if (r < 0) {
                /* Only a templated redirect target that renders invalid fails
                 * evaluation; the verdict still names the rule. */
                e->verdict.action = SRD_ACTION_REDIRECT;
                *ret_target_invalid = true;
                l->target_error = r;
        }

        /* A call the kernel fails as made: let it run and another thread may
         * make it valid meanwhile (fill in the path, zero open_how's tail),
         * past the path rules that never saw it. Its errno instead. */
        if (refused != PROCMEM_WHY_NONE &&
            (e->verdict.action == SRD_ACTION_CONTINUE || e->verdict.action == SRD_ACTION_REDIRECT)) {
                *ret_target_invalid = false;
                verdict_unplaced(e, SRD_RULE_KERNEL, SRD_ACTION_ERRNO, refused_error,
                                 "the kernel fails the call as made; answered with its errno");
                return;
        }

        /* A call the file system fails (a missing file): as good as run. A
         * continue would let another thread create what was missing, as a
         * link to a file the rules deny, after the check. */
        if (l->fails_error != 0 && e->verdict.action == SRD_ACTION_CONTINUE) {
                verdict_unplaced(e, SRD_RULE_KERNEL, SRD_ACTION_ERRNO, fails_errno(l, &sc),
                                 "the kernel fails the call in this state of the file system; answered with "
                                 "its errno");
                return;
        }

        /* Redirects, pinned continues included, carry native pointers into
         * the native argument layout. */
        if (d.abi != SYSCALL_ABI_NATIVE && l->redirect == SRD_REDIRECT_SUPPORTED && l->pinned_continue &&
            e->verdict.action == SRD_ACTION_CONTINUE && (l->pins[0].path || l->pins[1].path)) {
                verdict_path_error(policy, e,
                                   "a continue after a path rule must be pinned, and the daemon pins native "
                                   "syscalls only, not i386 or x32 ones");
                return;
        }
        if (e->verdict.action == SRD_ACTION_REDIRECT && d.abi != SYSCALL_ABI_NATIVE) {
                *ret_target_invalid = false;
                verdict_path_error(policy, e,
                                   "the daemon redirects native syscalls only, not i386 or x32 ones");
        }
}

int listener_send_answer(SrdListener *l, uint64_t id, SrdAction action, int error) {
        memset(l->resp, 0, l->resp_size);
        l->resp->id = id;
        if (action == SRD_ACTION_CONTINUE)
                l->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        else
                /* error 0 would make the syscall "succeed" without running. */
                l->resp->error = error > 0 && error <= 4095 ? -error : -EPERM;

        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, l->resp) < 0)
                return -errno;
        return 0;
}

static int pidfd_open_tgid(pid_t tid) {
        char p[64], line[256];
        _cleanup_(fclosep) FILE *f = NULL;
        int pidfd;

        pidfd = (int) syscall(SYS_pidfd_open, tid, 0);
        if (pidfd >= 0)
                return pidfd;
        /* Not a thread group leader: EINVAL on older kernels, ENOENT on
         * newer ones (which want PIDFD_THREAD for threads). SIGKILL to the
         * group takes the thread with it, so open the leader instead. */
        if (errno != EINVAL && errno != ENOENT)
                return negative_errno();

        (void) snprintf(p, sizeof(p), "/proc/%d/status", (int) tid);
        f = fopen(p, "re");
        if (!f)
                return errno == ENOENT ? -ESRCH : negative_errno();
        while (fgets(line, sizeof(line), f)) {
                int tgid;

                if (sscanf(line, "Tgid: %d", &tgid) == 1) {
                        pidfd = (int) syscall(SYS_pidfd_open, (pid_t) tgid, 0);
                        return pidfd >= 0 ? pidfd : negative_errno();
                }
        }
        return -ESRCH;
}

/*
 * SIGKILL the notifying task. The pid may have been reused since the
 * notification: after pidfd_open() the id still being valid proves the
 * notifying task is alive, so the pidfd is for it and not a newcomer.
 */
static int kill_task(SrdListener *l, pid_t pid, uint64_t id) {
        _cleanup_close_ int pidfd = -EBADF;
        int r;

        if (pid <= 0)
                return -ESRCH;

        pidfd = pidfd_open_tgid(pid);
        if (pidfd < 0)
                return pidfd;

        r = listener_id_valid(l->fd, id);
        if (r < 0)
                return r;

        if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
                return negative_errno();
        return 0;
}

_public_ int srd_listener_set_pinned_continue(SrdListener *l, bool b) {
        if (!l)
                return -EINVAL;
        l->pinned_continue = b;
        return 0;
}

_public_ bool srd_listener_path_rules_enforced(const SrdListener *l) {
        return l && l->pinned_continue && l->redirect == SRD_REDIRECT_SUPPORTED;
}

_public_ int srd_listener_set_arena_size(SrdListener *l, size_t size) {
        if (!l)
                return -EINVAL;
        return redirector_set_arena_size(l->redirector, size);
}

_public_ int srd_listener_get_stats(const SrdListener *l, SrdListenerStats *ret) {
        if (!l || !ret)
                return -EINVAL;
        redirector_get_stats(l->redirector, ret);
        ret->fallbacks = __atomic_load_n(&l->fallbacks, __ATOMIC_RELAXED);
        return 0;
}

static const char *redirect_unavailable_reason(SrdRedirectSupport s) {
        if (s == SRD_REDIRECT_UNSUPPORTED_FILTER)
                return "listener's filter was installed without SECCOMP_FILTER_FLAG_REDIRECT";
        return "kernel lacks SECCOMP_IOCTL_NOTIF_SEND_REDIRECT";
}

/*
 * Answer the open at hand with the object the check found, opened for the
 * task. 0: answered; -ENOENT: the task is gone; 1: not opened, *ret_error
 * is the errno to answer with.
 */
static int reopen_answer(SrdListener *l, SrdEvent *e, int *ret_error) {
        _cleanup_close_ int fd = -EBADF;
        struct seccomp_notif_addfd addfd = {.id = l->req->id, .flags = SECCOMP_ADDFD_FLAG_SEND};
        const char *why = NULL;
        int r;

        r = reopen_for_task(e->pid, l->object, &l->reopen, &fd, &why);
        if (r < 0) {
                e->fallback_reason = why ?: "the object without a name could not be opened for the task";
                *ret_error = r == -ESRCH ? EPERM : -r;
                return 1;
        }
        addfd.srcfd = (uint32_t) fd;
        addfd.newfd_flags = (l->reopen.flags & O_CLOEXEC) ? O_CLOEXEC : 0;
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                /* EMFILE and the like: the task's, as its open would. */
                e->fallback_reason = "the opened object could not be installed in the task";
                *ret_error = errno == EINPROGRESS ? EPERM : errno;
                return 1;
        }
        e->applied = SRD_ACTION_CONTINUE;
        e->reopened = true;
        return 0;
}

/* 0 answered (or tried to), -ENOENT task gone, other: failure of the listener. */
static int act(SrdListener *l, SrdPolicy *policy, SrdEvent *e, bool target_invalid) {
        uint64_t id = l->req->id;
        SrdAction action = e->verdict.action;
        int error = e->verdict.error, r;

        /*
         * redirectFallback is for a kernel or filter without redirect, and
         * for nothing else: whatever else stops a redirect is either the
         * task's doing (a target it made render invalid, RESOLVE_BENEATH) or
         * ours, and gets the errno the kernel would give, or a deny. A
         * "continue" there would run the very call the policy redirects.
         */
        if (action == SRD_ACTION_REDIRECT) {
                const ProcmemOpenHow *how = l->how_read ? &l->how : NULL;

                action = SRD_ACTION_ERRNO;
                if (!l->scratch) {
                        /* Only a verdict that came without its targets (none
                         * does: decide() evaluates every redirect in full). */
                        e->fallback_reason = "redirect verdict without its targets";
                        error = EACCES;
                } else if (target_invalid) {
                        e->fallback_reason = "redirect target invalid (relative, \"..\" or too long)";
                        error = l->target_error == -ENAMETOOLONG ? ENAMETOOLONG : EACCES;
                } else if (redirector_check(l->req, &l->scratch->verdict, how, &e->fallback_reason, &error) < 0)
                        ; /* the task's doing: the errno it chose */
                else if (l->redirect != SRD_REDIRECT_SUPPORTED) {
                        e->fallback_reason = redirect_unavailable_reason(l->redirect);
                        e->redirect_fallback = true;
                        __atomic_fetch_add(&l->fallbacks, 1, __ATOMIC_RELAXED);
                        srd_policy_redirect_fallback(policy, &action, &error);
                        if (action == SRD_ACTION_REDIRECT) {
                                action = SRD_ACTION_ERRNO;
                                error = EPERM;
                        }
                } else {
                        r = redirector_send(l->redirector, l->fd, l->req, &l->scratch->verdict,
                                            l->pinned_continue ? l->pins : NULL, how, &e->fallback_reason,
                                            &error);
                        if (r == 0) {
                                e->applied = SRD_ACTION_REDIRECT;
                                return 0;
                        }
                        if (r == -ENOENT)
                                return r;
                        if (!e->fallback_reason)
                                e->fallback_reason = "kernel refused the redirect";
                }
        }

        /*
         * An open of an object without a name: the only bytes that lead
         * there are the magic link as written, and another thread can put
         * another file at that fd number before the kernel walks it. The
         * daemon opens the very object that was checked and returns that.
         */
        if (action == SRD_ACTION_CONTINUE && l->pinned_continue && l->object >= 0) {
                r = reopen_answer(l, e, &error);
                if (r <= 0)
                        return r;
                action = SRD_ACTION_ERRNO;
        }

        /*
         * Pinned continue: a continue after a path rule looked at the call
         * goes out as a redirect to the very bytes that were checked (the
         * resolved path, openat2's open_how), so that neither another thread
         * rewriting the path nor a link planted on the way can make the
         * kernel act on anything else. What cannot be pinned is denied: the
         * unchecked call is what the rule is there to stop.
         */
        if (action == SRD_ACTION_CONTINUE && l->pinned_continue && l->redirect == SRD_REDIRECT_SUPPORTED &&
            (l->pins[0].path || l->pins[1].path)) {
                const ProcmemOpenHow *how = l->how_read ? &l->how : NULL;
                const char *reason = NULL;

                r = redirector_send(l->redirector, l->fd, l->req, NULL, l->pins, how, &reason, &error);
                if (r == 0) {
                        e->applied = SRD_ACTION_CONTINUE;
                        e->pinned = true;
                        return 0;
                }
                if (r == -ENOENT)
                        return r;
                action = SRD_ACTION_ERRNO;
                e->fallback_reason = reason ?: "cannot pin the checked path";
        }

        if (action == SRD_ACTION_KILL) {
                r = kill_task(l, e->pid, id);
                if (r == -ENOENT)
                        return r;
                if (r < 0) {
                        /* Not allowed to (CAP_KILL?), or the pid is not
                         * visible from here (0): deny. If the task is in
                         * fact gone, the answer finds that out. */
                        action = SRD_ACTION_ERRNO;
                        e->fallback_reason = "could not send SIGKILL";
                }
                /* Answer too, so nothing waits on a task that is going away. */
                error = EPERM;
        }

        e->applied = action;
        e->applied_error = action == SRD_ACTION_CONTINUE ? 0 : (error > 0 && error <= 4095 ? error : EPERM);
        return listener_send_answer(l, id, action, e->applied_error);
}

/* After RECV said ENOENT: a vanished notification, or nobody left at all? */
static bool listener_hung_up(const SrdListener *l) {
        struct pollfd pfd = {.fd = l->fd, .events = POLLIN};

        return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLHUP | POLLERR)) && !(pfd.revents & POLLIN);
}

_public_ int srd_listener_receive(SrdListener *l, SrdHandleFlags flags, SrdEvent *ret) {
        int r;

        if (!l || !ret || (flags & ~(SRD_HANDLE_READY | SRD_HANDLE_WAIT)))
                return -EINVAL;
        listener_event_init(ret);
        /* A notification received and never answered stays with the task
         * until the fd closes; taking the next one forgets it here. */
        l->pending = false;
        /* Before the sleep: a thread asleep in RECV holds no buffers. */
        scratch_release(l);

        /*
         * RECV ignores O_NONBLOCK and would sleep until the next notification.
         * The kernel adds one to a request count per notification and only
         * RECV takes from it; a task that dies or is interrupted leaves its
         * count behind, and RECV then says ENOENT. So once POLLIN was seen,
         * one RECV cannot sleep: the caller's own poll may stand in for ours.
         * A caller that wants to sleep in RECV (SRD_HANDLE_WAIT) needs neither.
         */
        if (!(flags & (SRD_HANDLE_READY | SRD_HANDLE_WAIT))) {
                struct pollfd pfd = {.fd = l->fd, .events = POLLIN};

                r = poll(&pfd, 1, 0);
                if (r < 0)
                        return errno == EINTR ? 0 : negative_errno();
                if (pfd.revents & POLLNVAL)
                        return -EBADF;
                if (!(pfd.revents & POLLIN))
                        /* Nothing pending; POLLHUP is for the caller's own poll. */
                        return 0;
        }

        /* The kernel refuses a buffer that is not zeroed. */
        memset(l->req, 0, l->req_size);
        if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_RECV, l->req) < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                if (errno == ENOENT) {
                        /* Since 6.6 a sleeping RECV also wakes, with ENOENT,
                         * when the filter loses its last task. */
                        if ((flags & SRD_HANDLE_WAIT) && listener_hung_up(l))
                                ret->outcome = SRD_OUTCOME_HANGUP;
                        else
                                /* Woken for a task that died before we got to it. */
                                ret->outcome = SRD_OUTCOME_TASK_GONE;
                        return 0;
                }
                return negative_errno();
        }

        ret->pid = (pid_t) l->req->pid;
        ret->nr = l->req->data.nr;
        ret->arch = l->req->data.arch;
        ret->outcome = SRD_OUTCOME_RECEIVED;
        l->pending = true;
        return 0;
}

_public_ int srd_listener_answer(SrdListener *l, SrdPolicy *policy, SrdEvent *ret) {
        bool target_invalid;
        int r;

        if (!l || !policy || !ret)
                return -EINVAL;
        if (!l->pending || ret->outcome != SRD_OUTCOME_RECEIVED || ret->pid != (pid_t) l->req->pid)
                return -ESRCH;
        l->pending = false;

        decide(l, policy, ret, &target_invalid);
        srd_policy_count_hit(policy, ret->verdict.rule);

        /*
         * Everything read from the task (memory, cwd, fds) is only known to
         * belong to it if the notification was still live after the reads:
         * the task sits in the kernel until answered, so its pid cannot have
         * been reused before that. No separate NOTIF_ID_VALID here, because
         * every way of acting checks exactly that, atomically with the act:
         * SEND and SEND_REDIRECT fail with ENOENT on a dead id, PIN_INSTALL
         * runs in the task itself, and kill_task() checks the id after
         * opening its pidfd. Nothing is logged before an answer was taken.
         */
        r = act(l, policy, ret, target_invalid);
        l->object = safe_close(l->object);
        if (r == -ENOENT) {
                ret->outcome = SRD_OUTCOME_TASK_GONE;
                return 0;
        }
        if (r < 0)
                return r;

        ret->outcome = SRD_OUTCOME_ANSWERED;
        return 0;
}

_public_ int srd_listener_handle(SrdListener *l, SrdPolicy *policy, SrdHandleFlags flags, SrdEvent *ret) {
        int r;

        if (!l || !policy || !ret)
                return -EINVAL;
        r = srd_listener_receive(l, flags, ret);
        if (r < 0 || ret->outcome != SRD_OUTCOME_RECEIVED)
                return r;
        return srd_listener_answer(l, policy, ret);
}
