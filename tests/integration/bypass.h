/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The bypass matrix (test-bypass.c): the attacks a container makes on a
 * deny rule and a read-only rule under `defaultAction: continue`, run in
 * the attacking process. The driver starts that process under a notify
 * filter (a container handed to the daemon, or `seccomp-redirectctl run`,
 * which execs this program with --attack) and reads what it reports.
 *
 * The layout under the test's directory D, made by the driver:
 *
 *   D/vault/secret    the denied file (EACCES for open, openat, openat2)
 *   D/vault/secrex    its public twin: one byte apart, for the flip race
 *   D/vault/ro        the read-only file (writes EROFS, openat2 ENOSYS)
 *   D/vault/sub/      for y/../secret
 *   D/link-secret     -> vault/secret
 *   D/link-public     -> vault/secrex
 *   D/vlink           -> D/vault
 *   D/y               -> vault/sub
 *   D/hardlink        a hard link of vault/secret (out of scope)
 *   D/bindpoint       a public file, bind-mounted over (out of scope)
 *   D/decoy/D/vault/secret   what RESOLVE_IN_ROOT at D/decoy names
 *   D/sw/d/ (+ secret) <-> D/sw/dl -> D/vault   swapped by the race
 *   D/sw/f <-> D/sw/fl -> D/vault/secret        swapped by the race
 *
 * The attacking process reports one line per result on its output fd:
 *
 *   V <variant> <opens> <reads> <public> <denied> <other> <errno>
 *       opens made; of them, how many read the secret's content (or, for
 *       the read-only file, opened it for writing), opened something
 *       else, failed with EACCES, failed otherwise; the last errno
 *   R <flips> <usec>      a race's rounds of the other thread, duration
 *   D <text>              a diagnostic
 *   S <text>              the attack could not be set up
 */

#include <stdbool.h>

#define BYPASS_SECRET "TOP-SECRET-8d2e"
#define BYPASS_PUBLIC "public-twin"
#define BYPASS_RO "READ-ONLY-ORIGINAL\n"
#define BYPASS_DECOY "decoy-in-root"
#define BYPASS_SWAP_D "public-swap-dir"
#define BYPASS_SWAP_F "public-swap-file"
#define BYPASS_BIND "public-bind-point"

typedef struct BypassParams {
        const char *dir; /* D */
        long opens; /* a race's opens (the least, with until_win) */
        long max_opens; /* until_win: at most this many */
        bool until_win; /* negative control: go on in batches until the secret was read */
        int out; /* where the report lines go */
} BypassParams;

/* Run the attack called name; the exit code for the attacking process. */
int bypass_attack(const char *name, const BypassParams *p);
