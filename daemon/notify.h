/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "macro.h"

/*
 * sd_notify(3), but never blocking: sd_notify() sends on a blocking socket
 * and sleeps when the receiver's queue is full, and a daemon that answers
 * containers' syscalls must not sleep on anything. A message that does not
 * fit right now is dropped (the next STATUS= or WATCHDOG=1 follows soon).
 * Returns 1 sent, 0 no NOTIFY_SOCKET, <0 errno.
 */
int notify_send(const char *format, ...) _printf_(1, 2);

/* The same with fd attached (SCM_RIGHTS), for FDSTORE=1. Such a message
 * waits up to a second for room in the receiver's queue instead of being
 * dropped. */
int notify_send_fd(int fd, const char *format, ...) _printf_(2, 3);

/* Is there a NOTIFY_SOCKET to talk to (and so, maybe, an fd store)? */
bool notify_available(void);
