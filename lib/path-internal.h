/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The two glob matchers behind srd_glob_match(), for the tests that check
 * them against each other (hidden: not part of the library's interface).
 */

#include <stdbool.h>
#include <stddef.h>

/* 1: match, 0: no match, -EAGAIN: gave up after budget steps. */
int glob_backtrack(const char *pattern, const char *path, size_t budget);
/* O(path * pattern), never gives up; false for patterns over SRD_PATH_MAX. */
bool glob_nfa(const char *pattern, const char *path);
