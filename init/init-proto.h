/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The init socket protocol between seccomp-redirect-init (inside a container,
 * untrusted once the workload runs) and seccomp-redirectd, and the token
 * files by which the host side (seccomp-redirect-oci) binds one init to one
 * container and one policy. See seccomp-redirect-init(8).
 *
 *   init   -> daemon   "SECCOMP-REDIRECT-INIT 1 <token>\n"
 *   daemon -> init     "SYSCALLS <nr> <nr> ...\n"  (native numbers to notify on)
 *   init   -> daemon   "LISTENER <fd>\n"           (sent before the filter is loaded)
 *   daemon -> init     "OK\n"                      (it holds the listener)
 *   daemon -> init     "ERROR <text>\n" instead of any daemon line, then it closes.
 *
 * The daemon takes the listener itself with pidfd_getfd() from the peer
 * the kernel names (SO_PEERPIDFD), so that the init needs no syscall after
 * loading its filter to hand it over: any syscall the policy names would
 * wait for a daemon that does not hold the listener yet.
 *
 * Token file DIR/tokens/<token>, written by the wrapper (root, 0600):
 *   "container=<id>\npolicy=<name>\nsource=<operator|annotation>\n"
 * source says who chose the policy: the operator's wrapper configuration
 * (checked like listenerMetadata against the daemon's --policy-from) or the
 * container's annotation seccomp-redirect.policy. Absent: operator.
 * A token is used once: the daemon removes the file when an init presents it.
 *
 * Pure functions, no I/O: shared by the daemon, the init (linked
 * statically), the wrapper and the fuzzer.
 */
#include <stdbool.h>
#include <stddef.h>

#define SRI_TOKEN_LEN 32 /* hex digits: 128 random bits */
#define SRI_LINE_MAX 4096
#define SRI_ID_MAX 256
#define SRI_POLICY_MAX 128
#define SRI_TOKEN_FILE_MAX 1024
#define SRI_MAX_SYSCALLS 1024
#define SRI_HELLO "SECCOMP-REDIRECT-INIT 1 "

/* Exactly SRI_TOKEN_LEN lowercase hex digits. */
bool sri_token_valid(const char *s, size_t len);
/* OCI container ids and policy names: [A-Za-z0-9_.+-], not starting with '.' or '-'. */
bool sri_name_valid(const char *s, size_t len, size_t max);

/* line is one line without its '\n' (len bytes, may hold NULs). -EBADMSG when malformed. */
int sri_parse_hello(const char *line, size_t len, char ret_token[SRI_TOKEN_LEN + 1]);
int sri_parse_listener(const char *line, size_t len, int *ret_fd);
/* Up to max numbers, each 0..4095. -E2BIG when more. */
int sri_parse_syscalls(const char *line, size_t len, int *ret_nrs, size_t max, size_t *ret_n);
/* "SYSCALLS ...\n" into buf; -ENOBUFS when it does not fit. */
int sri_format_syscalls(const int *nrs, size_t n, char *buf, size_t size);

typedef enum SriSource {
        SRI_SOURCE_OPERATOR,
        SRI_SOURCE_ANNOTATION,
} SriSource;

/* container and policy exactly once, source at most once, nothing else;
 * ids and names per sri_name_valid(). */
int sri_parse_token_file(const char *buf, size_t len, char ret_id[SRI_ID_MAX + 1],
                         char ret_policy[SRI_POLICY_MAX + 1], SriSource *ret_source);
