/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "log.h"

/*
 * What the daemon still needs after startup, and why. Container processes
 * usually run as root with a full (or runtime-trimmed) capability set, and
 * may run as any uid; the daemon itself runs as uid 0 with only these:
 *
 * CAP_SYS_PTRACE      Reading a task's memory (process_vm_readv or
 *                     /proc/PID/mem: PTRACE_MODE_ATTACH) and readlink of
 *                     /proc/PID/cwd and /proc/PID/fd/N (PTRACE_MODE_READ).
 *                     The commoncap ptrace check requires it whenever the
 *                     target holds a capability we dropped, i.e. always
 *                     once we have dropped the rest; Yama (ptrace_scope 1)
 *                     requires it for any non-descendant; and the uid check
 *                     requires it for tasks of other uids or non-dumpable
 *                     ones (runc's init is non-dumpable for a while).
 * CAP_DAC_READ_SEARCH /proc/PID/fd is mode 0500 owned by the task's uid, and
 *                     /proc/PID/mem is 0600: for a container process of
 *                     another uid, uid 0 without this cannot even look up
 *                     /proc/PID/fd/N to resolve a dirfd-relative path.
 * CAP_KILL            A "kill" verdict sends SIGKILL through a pidfd; to a
 *                     task of another uid that needs CAP_KILL.
 *
 * Everything else goes, including CAP_SYS_ADMIN, CAP_DAC_OVERRIDE,
 * CAP_SETUID/GID, CAP_NET_*: the daemon binds its sockets before this runs
 * and never changes identity.
 */
static const cap_value_t kept_caps[] = {
        CAP_SYS_PTRACE,
        CAP_DAC_READ_SEARCH,
        CAP_KILL,
};

int drop_capabilities(void) {
        cap_t current = NULL, caps = NULL;
        cap_value_t keep[ELEMENTSOF(kept_caps)];
        cap_flag_value_t v;
        unsigned n_keep = 0;
        bool can_setpcap;
        int r = 0;

        current = cap_get_proc();
        if (!current)
                return log_error_errno(errno, "Failed to get capabilities: %m");

        /* Keep only what we actually have: a daemon run unprivileged just gets no_new_privs. */
        for (size_t i = 0; i < ELEMENTSOF(kept_caps); i++)
                if (cap_get_flag(current, kept_caps[i], CAP_PERMITTED, &v) >= 0 && v == CAP_SET)
                        keep[n_keep++] = kept_caps[i];
        can_setpcap = cap_get_flag(current, CAP_SETPCAP, CAP_EFFECTIVE, &v) >= 0 && v == CAP_SET;
        cap_free(current);

        if (can_setpcap) {
                /* The bounding set first: dropping from it needs CAP_SETPCAP, which goes next. */
                for (cap_value_t c = 0; c < (cap_value_t) cap_max_bits(); c++) {
                        bool kept = false;

                        for (unsigned i = 0; i < n_keep; i++)
                                kept = kept || keep[i] == c;
                        if (!kept && cap_drop_bound(c) < 0 && errno != EINVAL) {
                                r = log_error_errno(errno,
                                                    "Failed to drop capability %s from the bounding set: %m",
                                                    cap_to_name(c));
                                goto finish;
                        }
                }
        } else
                log_debug("No CAP_SETPCAP: leaving the bounding set alone.");

        caps = cap_init();
        if (!caps) {
                r = log_oom();
                goto finish;
        }
        if (n_keep > 0 && (cap_set_flag(caps, CAP_PERMITTED, (int) n_keep, keep, CAP_SET) < 0 ||
                           cap_set_flag(caps, CAP_EFFECTIVE, (int) n_keep, keep, CAP_SET) < 0)) {
                r = log_error_errno(errno, "Failed to prepare capability set: %m");
                goto finish;
        }
        if (cap_set_proc(caps) < 0) {
                r = log_error_errno(errno, "Failed to drop capabilities: %m");
                goto finish;
        }
        if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0)
                log_debug_errno(errno, "Failed to clear ambient capabilities, ignoring: %m");

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                r = log_error_errno(errno, "Failed to set no_new_privs: %m");
                goto finish;
        }

        log_debug("Dropped capabilities: keeping %u (sys_ptrace, dac_read_search, kill where held).",
                  n_keep);
finish:
        if (caps)
                cap_free(caps);
        return r;
}
