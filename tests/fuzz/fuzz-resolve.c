/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The resolver walks paths a hostile task chose, through links whose bodies
 * it chose too. Input: one byte for the final-component mode, one for the
 * openat2 RESOLVE_* flags, then the path. The fuzzer resolves it for
 * itself, standing in a scratch tree of symbolic links (loops, absolute and
 * relative bodies, magic links, dangling ones), and checks the result
 * against the kernel: when both succeed they name the same object; when
 * only one does, that is a bug (outside /proc, whose contents move).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[] = "/tmp/srd-fuzz-resolve-XXXXXX";
static int top_fd = -1;

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f) {
        (void) remove(path);
        return 0;
}

static void remove_tree(void) {
        (void) nftw(top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_tree(void) {
        static const char *const links[][2] = {
                {"a/b", "l1"},       {"/tmp", "abs"},        {"l3", "l2"},
                {"l2", "l3"},        {"..", "up"},           {"/proc/self/cwd", "cw"},
                {"nowhere", "dang"}, {"a/../a/b/f", "lf"},   {"/dev/fd", "df"},
                {".", "dot"},        {"a/b/../../l1", "l4"},
        };

        /* No chdir(): libFuzzer keeps relative paths to its corpus. */
        if (!mkdtemp(top))
                abort();
        top_fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top_fd < 0 || mkdirat(top_fd, "a", 0755) < 0 || mkdirat(top_fd, "a/b", 0755) < 0)
                abort();
        atexit(remove_tree);
        if (close(openat(top_fd, "a/b/f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
                abort();
        for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
                if (symlinkat(links[i][0], top_fd, links[i][1]) < 0)
                        abort();
}

static void check_result(const char *path, ResolveFinal final, uint64_t flags, int r, const char *got) {
        struct open_how how = {.flags = O_PATH | O_CLOEXEC |
                                        (final == RESOLVE_FINAL_NOFOLLOW ? O_NOFOLLOW : 0),
                               .resolve = flags};
        struct stat a, b;
        long fd;
        int err;

        if (r == 0 && got[0] != '/')
                return; /* a pipe or socket behind a magic link */
        if (r == 0 && (strstr(got, "//") || strstr(got, "/./") || strstr(got, "/../")))
                abort();
        /* "" is the dirfd itself (the caller checks AT_EMPTY_PATH, which
         * openat2 lacks); CREATE and PARENT may name what does not exist. */
        if ((final != RESOLVE_FINAL_FOLLOW && final != RESOLVE_FINAL_NOFOLLOW) || path[0] == '\0')
                return;
        /* A scoped walk through ".." fails with EAGAIN whenever anything on
         * the system was renamed meanwhile (rename_lock): try again, and
         * compare nothing if it keeps saying so. And a walk through more than
         * 20 links can fail with ELOOP once: when its RCU walk gives up, the
         * kernel walks again without resetting the count of links the first
         * attempt followed (total_link_count, set once per do_filp_open() in
         * fs/namei.c), so both attempts count against MAXSYMLINKS. Seen
         * twice in 10 million runs on a loaded machine; a real ELOOP stays. */
        for (int i = 0; i < 8; i++) {
                fd = syscall(SYS_openat2, top_fd, path, &how, sizeof(how));
                if (fd >= 0 || (errno != EAGAIN && errno != ELOOP))
                        break;
        }
        if (fd < 0 && errno == EAGAIN)
                return;
        err = fd < 0 ? errno : 0;
        if (fd >= 0 && r == 0) {
                if (fstat((int) fd, &a) < 0 || lstat(got, &b) < 0 || a.st_dev != b.st_dev ||
                    a.st_ino != b.st_ino) {
                        fprintf(stderr,
                                "resolver and kernel name different objects: \"%s\" (final %d, resolve "
                                "0x%llx): "
                                "resolver \"%s\"\n",
                                path, (int) final, (unsigned long long) flags, got);
                        abort();
                }
        } else if ((fd >= 0) != (r == 0) && !strstr(path, "proc") && !strstr(path, "cw") &&
                   !strstr(path, "df") && !strstr(path, "dev") && r != -EOVERFLOW && r != -EREMOTE) {
                fprintf(stderr,
                        "resolver and kernel disagree: \"%s\" (final %d, resolve 0x%llx): resolver %s, "
                        "kernel %s\n",
                        path, (int) final, (unsigned long long) flags, r == 0 ? got : strerror(-r),
                        fd >= 0 ? "opens it" : strerror(err));
                abort();
        }
        if (fd >= 0)
                close((int) fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint64_t flag_sets[] = {0,
                                             RESOLVE_IN_ROOT,
                                             RESOLVE_BENEATH,
                                             RESOLVE_NO_SYMLINKS,
                                             RESOLVE_NO_MAGICLINKS,
                                             RESOLVE_NO_XDEV};
        char path[PATH_MAX], got[PATH_MAX];
        ResolveFinal final;
        uint64_t flags;
        int r;

        if (top_fd < 0)
                make_tree();
        if (size < 2 || size - 2 >= sizeof(path))
                return 0;
        final = (ResolveFinal) (data[0] % _RESOLVE_FINAL_MAX);
        flags = flag_sets[data[1] % (sizeof(flag_sets) / sizeof(flag_sets[0]))];
        memcpy(path, data + 2, size - 2);
        path[size - 2] = '\0';
        if (strlen(path) != size - 2)
                return 0;

        r = resolve_task_path(getpid(), top_fd, path, final, flags, got, sizeof(got));
        if (r > 0 || (r == 0 && got[0] == '\0'))
                abort();
        check_result(path, final, flags, r, got);
        return 0;
}
