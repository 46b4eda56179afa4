/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Restarts: a listener that receives into memory its caller keeps (a
 * shared file that outlives the daemon), and the notification a killed
 * holder of the listener received there and never answered, taken up
 * again by the next one once checked against the waiting task.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listener-internal.h"
#include "macro.h"

_public_ int srd_listener_set_check_resumed(SrdListener *l, bool b) {
        if (!l)
                return -EINVAL;
        l->unchecked_resume = !b;
        return 0;
}

_public_ size_t srd_listener_request_size(const SrdListener *l) {
        return l ? l->req_size : 0;
}

_public_ int srd_listener_set_request_buffer(SrdListener *l, void *buf, size_t size) {
        if (!l || !buf)
                return -EINVAL;
        if (size < l->req_size)
                return -ENOBUFS;
        if (l->pending)
                return -EBUSY;
        if (l->req_owned)
                free(l->req);
        l->req = buf;
        l->req_owned = false;
        return 0;
}

/*
 * The recorded notification is bytes from a file: before it is decided,
 * the kernel's own view of the waiting task must say the same call. The
 * task sits in the kernel until answered, so /proc/TID/syscall holds the
 * very registers seccomp_data was made from (the number, six arguments,
 * stack and instruction pointer). 0 when they agree, -EBADMSG when not,
 * another negative errno when they cannot be read.
 */
static int recorded_call_matches(const struct seccomp_notif *n) {
        char p[64], buf[512];
        _cleanup_close_ int fd = -EBADF;
        unsigned long long a[6], sp, pc;
        long long nr;
        ssize_t k;

        (void) snprintf(p, sizeof(p), "/proc/%d/syscall", (int) n->pid);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        k = read(fd, buf, sizeof(buf) - 1);
        if (k < 0)
                return negative_errno();
        buf[k] = 0;
        if (sscanf(buf, "%lld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2], &a[3],
                   &a[4], &a[5], &sp, &pc) != 9)
                return -EBADMSG;
        if (nr != (long long) n->data.nr || pc != n->data.instruction_pointer)
                return -EBADMSG;
        for (size_t i = 0; i < 6; i++)
                if (a[i] != n->data.args[i])
                        return -EBADMSG;
        return 0;
}

_public_ int srd_listener_resume(SrdListener *l, SrdEvent *ret) {
        int r;

        if (!l || !ret)
                return -EINVAL;
        listener_event_init(ret);
        l->pending = false;

        /* Zeroed, never received into, or a notification that was answered
         * since: the kernel knows the id as pending-and-received (SENT) or
         * not at all. Ids are per filter and never reused. */
        r = listener_id_valid(l->fd, l->req->id);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;

        ret->pid = (pid_t) l->req->pid;
        ret->nr = l->req->data.nr;
        ret->arch = l->req->data.arch;

        /* A record that is not the waiting call (or cannot be checked) is not
         * decided: the call is denied, whatever the record says it was. */
        r = l->unchecked_resume ? 0 : recorded_call_matches(l->req);
        if (r < 0) {
                ret->verdict.action = SRD_ACTION_ERRNO;
                ret->verdict.error = EPERM;
                ret->applied = SRD_ACTION_ERRNO;
                ret->applied_error = EPERM;
                ret->fallback_reason =
                        r == -EBADMSG ? "the recorded notification is not the call the task waits in"
                                      : "cannot read the waiting task's call to check the record";
                r = listener_send_answer(l, l->req->id, SRD_ACTION_ERRNO, EPERM);
                if (r == -ENOENT) {
                        ret->outcome = SRD_OUTCOME_TASK_GONE;
                        return 0;
                }
                if (r < 0)
                        return r;
                ret->outcome = SRD_OUTCOME_ANSWERED;
                return 0;
        }

        ret->outcome = SRD_OUTCOME_RECEIVED;
        l->pending = true;
        return 0;
}
