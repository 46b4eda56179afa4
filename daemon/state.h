/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The record of one supervised container process that a restarted daemon
 * needs to serve its listener again (the listener itself is in systemd's
 * fd store, under the name STATE_FDNAME_PREFIX KEY): one file per
 * container, KEY.state, in the state directory.
 *
 * The file is read back as untrusted bytes: a strict line format, every
 * field exactly once (slot and root at most once) and in this order, nothing else,
 * or -EBADMSG.
 *
 *   version=1
 *   id=ID
 *   policy=NAME
 *   pid=PID
 *   starttime=TICKS
 *   slot=N
 *   root=PATH
 *
 * id and root are percent-encoded (every byte outside 0x21..0x7e, and '%'
 * itself, as %XX in upper case hex), so any bytes survive and no value can
 * hold a newline. NAME is a policy name ([A-Za-z0-9._-]{1,64}, not "." or
 * ".."), TICKS the process's start time (/proc/PID/stat, field 22), which
 * tells a reused pid from the container's, N its slot in the in-flight
 * file (below STATE_SLOT_MAX; none when the daemon had no slot for it).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STATE_VERSION 1
/* What any one file may hold: an id and a root of PATH_MAX, encoded. */
#define STATE_MAX_SIZE ((size_t) 64 * 1024)
#define STATE_ID_MAX ((size_t) 1024)
#define STATE_ROOT_MAX ((size_t) 4095)
#define STATE_POLICY_MAX ((size_t) 64)
/* KEY: 16 lower case hex digits, random per container. */
#define STATE_KEY_LEN 16
#define STATE_FDNAME_PREFIX "listener-"
/* The in-flight file: one slot per container, as many as the unit's FileDescriptorStoreMax. */
#define STATE_SLOT_MAX 16384U
#define STATE_NO_SLOT UINT32_MAX
/* Room for struct seccomp_notif (80 bytes today) as a newer kernel may grow it; cache lines apart. */
#define STATE_SLOT_SIZE 256U

typedef struct ContainerState {
        char *id;
        char *policy;
        pid_t pid;
        uint64_t starttime;
        uint32_t slot; /* STATE_NO_SLOT: none */
        char *root; /* NULL: none recorded (names in each task's own root) */
} ContainerState;

void container_state_done(ContainerState *s);

/* 0 with *ret filled (container_state_done() it), or -EBADMSG / -ENOMEM. */
int container_state_parse(const char *buf, size_t len, ContainerState *ret);
/* The file's bytes, malloc'd; -EINVAL for a state that would not parse back. */
int container_state_format(const ContainerState *s, char **ret, size_t *ret_len);

bool state_key_valid(const char *s, size_t len);
bool state_policy_name_valid(const char *s, size_t len);
