/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The listener's state, shared by listener.c and listener-resume.c. */

#include <stdbool.h>
#include <stdint.h>

#include "procmem.h"
#include "redirect.h"
#include "reopen.h"
#include "scratch.h"
#include "seccomp-redirect.h"
#include "srd-uapi.h"

struct SrdListener {
        int fd;
        uint32_t native_arch;
        char *id; /* the container's id, for {id} in redirect targets; NULL: unknown */
        /* Paths are named under this root (our view): the container's, as
         * it was at handover; NULL: each task's own root. */
        char *root_name;
        SrdRedirectSupport redirect;

        /* Sized by SECCOMP_GET_NOTIF_SIZES: a newer kernel may write more. */
        struct seccomp_notif *req;
        size_t req_size;
        bool req_owned; /* false: the caller's memory (srd_listener_set_request_buffer) */
        struct seccomp_notif_resp *resp;
        size_t resp_size;

        /* Redirect: the arena, its pins, SEND_REDIRECT. */
        Redirector *redirector;
        uint64_t fallbacks; /* relaxed atomic: read by other threads */

        /* srd_listener_receive() took a notification, not answered yet. */
        bool pending;

        /* openat2's struct open_how of the notification at hand, as read. */
        ProcmemOpenHow how;
        bool how_read;

        /* A redirect target that rendered invalid: its error, else 0. */
        int target_error;

        /* The paths of the notification at hand a continue must pin, and
         * the errno of a path the file system fails (0: none). */
        RedirectPin pins[SRD_MAX_PATHS];
        int fails_error;
        /* The paths and full verdict of the notification at hand, from the
         * shared pool (scratch.h), only when a path rule or a redirect needs
         * them; NULL otherwise. The event points into it until the next
         * receive gives it back. */
        Scratch *scratch;
        /* An open of an object without a name: that object, as the check
         * found it (an O_PATH fd, else -EBADF), and the open to make of it. */
        int object;
        ReopenCall reopen;
        /* Off only for the negative control (--unsafe-plain-continue). */
        bool pinned_continue;
        /* Off only for the negative control (--unsafe-trust-in-flight). */
        bool unchecked_resume;
};

/* SECCOMP_IOCTL_NOTIF_ID_VALID: 0 pending, -ENOENT not (any more), else the ioctl's errno. */
int listener_id_valid(int fd, uint64_t id);
void listener_event_init(SrdEvent *e);
/* SECCOMP_IOCTL_NOTIF_SEND of a continue or an errno; -ENOENT: the task is gone. */
int listener_send_answer(SrdListener *l, uint64_t id, SrdAction action, int error);
