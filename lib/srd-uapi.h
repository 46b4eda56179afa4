/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The redirect extension of the seccomp user-notification interface
 * (shared/spec/kernel-uapi.md). The layout must stay binary-identical to
 * the posted series, so every size and offset is pinned below. This header
 * is the single copy used by lib/, the daemon, the tests and (through
 * kernel/patches) the kernel's own uapi header.
 *
 * It also carries the few definitions of the stock 6.x interface that
 * Debian 12's linux-libc-dev (6.1) lacks.
 */

#include <stddef.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <linux/seccomp.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#ifndef SECCOMP_FILTER_FLAG_REDIRECT
#define SECCOMP_FILTER_FLAG_REDIRECT (1UL << 6)

#define SECCOMP_REDIRECT_FLAG_CONTINUE (1UL << 0)
#define SECCOMP_REDIRECT_ARGS 6

struct seccomp_notif_pin_install {
        __u64 id;
        __u32 flags;
        __u32 memfd;
        __u64 target_addr;
        __u64 size;
        __u64 offset;
};

struct seccomp_notif_resp_redirect {
        __u64 id;
        __u32 flags;
        __u32 args_mask;
        __u32 ptr_mask;
        __u32 memfd;
        __u64 args[SECCOMP_REDIRECT_ARGS];
        __u64 ptr_len[SECCOMP_REDIRECT_ARGS];
};

#define SECCOMP_IOCTL_NOTIF_PIN_INSTALL SECCOMP_IOWR(5, struct seccomp_notif_pin_install)
#define SECCOMP_IOCTL_NOTIF_SEND_REDIRECT SECCOMP_IOW(6, struct seccomp_notif_resp_redirect)
#endif

_Static_assert(SECCOMP_FILTER_FLAG_REDIRECT == 0x40, "FLAG_REDIRECT");
_Static_assert(SECCOMP_REDIRECT_FLAG_CONTINUE == 1, "REDIRECT_FLAG_CONTINUE");
_Static_assert(SECCOMP_REDIRECT_ARGS == 6, "REDIRECT_ARGS");
_Static_assert(SECCOMP_IOCTL_NOTIF_PIN_INSTALL == 0xC0282105u, "PIN_INSTALL ioctl");
_Static_assert(SECCOMP_IOCTL_NOTIF_SEND_REDIRECT == 0x40782106u, "SEND_REDIRECT ioctl");

_Static_assert(sizeof(struct seccomp_notif_pin_install) == 40, "pin_install size");
_Static_assert(offsetof(struct seccomp_notif_pin_install, id) == 0, "pin_install.id");
_Static_assert(offsetof(struct seccomp_notif_pin_install, flags) == 8, "pin_install.flags");
_Static_assert(offsetof(struct seccomp_notif_pin_install, memfd) == 12, "pin_install.memfd");
_Static_assert(offsetof(struct seccomp_notif_pin_install, target_addr) == 16, "pin_install.target_addr");
_Static_assert(offsetof(struct seccomp_notif_pin_install, size) == 24, "pin_install.size");
_Static_assert(offsetof(struct seccomp_notif_pin_install, offset) == 32, "pin_install.offset");

_Static_assert(sizeof(struct seccomp_notif_resp_redirect) == 120, "resp_redirect size");
_Static_assert(offsetof(struct seccomp_notif_resp_redirect, id) == 0, "resp_redirect.id");
_Static_assert(offsetof(struct seccomp_notif_resp_redirect, flags) == 8, "resp_redirect.flags");
_Static_assert(offsetof(struct seccomp_notif_resp_redirect, args_mask) == 12, "resp_redirect.args_mask");
_Static_assert(offsetof(struct seccomp_notif_resp_redirect, ptr_mask) == 16, "resp_redirect.ptr_mask");
_Static_assert(offsetof(struct seccomp_notif_resp_redirect, memfd) == 20, "resp_redirect.memfd");
_Static_assert(offsetof(struct seccomp_notif_resp_redirect, args) == 24, "resp_redirect.args");
_Static_assert(offsetof(struct seccomp_notif_resp_redirect, ptr_len) == 72, "resp_redirect.ptr_len");
