/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Make one raw syscall and say how it ended, for test-ctl-run-tables.py:
 *
 *   syscall-helper NR ARG0 ... ARG5
 *
 * Each ARG is a number (a register, as explain --json gives it), "@PATH" (a
 * pointer to the string PATH) or "how:FLAGS" (a pointer to a struct open_how
 * with those flags, for openat2). Prints "ok RET" or "errno N" with write(2)
 * and exits 0; a killed helper is its caller's to notice. Linked statically
 * and using nothing but the syscall under test, write and exit, so that a
 * policy that denies the dynamic loader's opens does not stop it.
 */
#include <errno.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        static struct open_how how;
        uint64_t a[6] = {};
        char out[64];
        long nr, r;
        int n;

        if (argc != 8)
                return 2;
        nr = strtol(argv[1], NULL, 10);
        for (int i = 0; i < 6; i++) {
                const char *s = argv[2 + i];

                if (s[0] == '@')
                        a[i] = (uint64_t) (uintptr_t) (s + 1);
                else if (strncmp(s, "how:", 4) == 0) {
                        how.flags = strtoull(s + 4, NULL, 10);
                        a[i] = (uint64_t) (uintptr_t) &how;
                } else
                        a[i] = strtoull(s, NULL, 10);
        }
        r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (r < 0)
                n = snprintf(out, sizeof out, "errno %d\n", errno);
        else
                n = snprintf(out, sizeof out, "ok %ld\n", r);
        if (write(STDOUT_FILENO, out, (size_t) n) != n)
                return 3;
        return 0;
}
