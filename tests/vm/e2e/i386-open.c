/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A real i386 program (static, -m32) for e2e-i386: opens a file the way
 * named on the command line and reports what it got, so that the daemon
 * sees the calls of a true compat task, 32-bit pointers and all.
 *
 *   i386-open int80-open PATH     open(2), i386 number 5, by int $0x80
 *   i386-open int80-openat PATH   openat(2), i386 number 295
 *   i386-open libc PATH           the C library's open() (openat nowadays)
 *
 * Prints what it read; exits 0 when it opened and read the file, 42 when
 * what it read starts with "SECRET" (the file the policy protects), else
 * the errno (< 100) of the failed open, 100 and up for its own failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long int80(long nr, long a, long b, long c, long d) {
        long r;

        __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
        return r;
}

int main(int argc, char *argv[]) {
        char buf[64] = "";
        long fd;
        ssize_t n;

        if (argc != 3 || sizeof(void *) != 4)
                return 100;
        if (strcmp(argv[1], "int80-open") == 0)
                fd = int80(5, (long) argv[2], O_RDONLY, 0, 0);
        else if (strcmp(argv[1], "int80-openat") == 0)
                fd = int80(295, AT_FDCWD, (long) argv[2], O_RDONLY, 0);
        else if (strcmp(argv[1], "libc") == 0) {
                fd = open(argv[2], O_RDONLY);
                if (fd < 0)
                        fd = -errno;
        } else
                return 101;

        if (fd < 0) {
                printf("i386-open %s %s: %s\n", argv[1], argv[2], strerror((int) -fd));
                return -fd < 100 ? (int) -fd : 102;
        }
        n = read((int) fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return 103;
        buf[n] = '\0';
        printf("i386-open %s %s: read \"%s\"\n", argv[1], argv[2], buf);
        return strncmp(buf, "SECRET", 6) == 0 ? 42 : 0;
}
