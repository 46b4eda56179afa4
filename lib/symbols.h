/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Symbolic argument values: "AF_PACKET", "O_WRONLY|O_TRUNC", "0755". The
 * names come from the system headers the library is built with (so they are
 * the native architecture's values); policy values, masks and explain's
 * arguments all go through here.
 */

#include <stddef.h>
#include <stdint.h>

/* The value of one name (len bytes at name); -ENOENT when unknown. An int
 * constant is sign-extended, as a register holds it (AT_FDCWD). */
int srd_symbol_lookup(const char *name, size_t len, uint64_t *ret);

/* The closest known name, for did-you-mean; NULL when none is close. */
const char *srd_symbol_suggest(const char *name, size_t len);

/*
 * Names and numbers (decimal, 0x hexadecimal, 0 octal; negative ones sign-extended) joined with
 * '|', blanks around each allowed: 0, or -EINVAL with the offending token
 * (neither a number nor a known name, or empty) in *ret_bad / *ret_bad_len
 * (either may be NULL).
 */
int srd_value_parse(const char *s, uint64_t *ret, const char **ret_bad, size_t *ret_bad_len);

/* The names, for listing; n_ret set to their number. */
const char *const *srd_symbol_names(size_t *n_ret);
