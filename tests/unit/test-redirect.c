/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The redirector's arena generations: a container that keeps making new
 * targets is redirected for ever, every call's targets land in one
 * generation, and bytes a task may have been pointed at are never written
 * again (a task's pin of an old generation keeps what it had).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "macro.h"
#include "redirect.h"
#include "tests.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Redirector *, redirector_free);

#define ARENA ((size_t) 1 << 20)

static size_t count_fds(void) {
        size_t n = 0;

        for (int fd = 0; fd < 4096; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        n++;
        return n;
}

static size_t count_arena_mappings(void) {
        char *line = NULL;
        size_t n = 0, len = 0;
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return SIZE_MAX;
        while (getline(&line, &len, f) > 0)
                if (strstr(line, "seccomp-redirectd-arena"))
                        n++;
        free(line);
        fclose(f);
        return n;
}

/* A distinct target of len bytes for counter i. */
static void target(char *buf, size_t len, uint64_t i) {
        int n = snprintf(buf, len + 1, "/sandbox/%020llu/", (unsigned long long) i);

        memset(buf + n, 'x', len - (size_t) n);
        buf[len] = '\0';
}

TEST(more_than_a_gib_of_distinct_targets_keeps_being_placed) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        static char buf[4000 + 1];
        const size_t len = 4000;
        const uint64_t total = ((uint64_t) 1 << 30) + ((uint64_t) 64 << 20);
        uint64_t placed = 0, i = 0, gen = 0, rotations = 0;
        size_t fds_before = count_fds();

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, ARENA));

        for (; placed < total; i++) {
                RedirectItem it = {.data = buf, .len = len};
                uint64_t off;
                const char *back;

                target(buf, len, i);
                ASSERT_OK(redirector_place(rd, 1, &it, 1, &off));
                if (redirector_generation(rd) != gen) {
                        gen = redirector_generation(rd);
                        rotations++;
                }
                back = arena_peek(redirector_arena(rd), off);
                ASSERT_NOT_NULL(back);
                ASSERT_TRUE(memcmp(back, buf, len + 1) == 0);
                placed += len + 1;
        }
        printf("# %llu distinct targets, %llu bytes, %llu generations of %zu bytes\n",
               (unsigned long long) i, (unsigned long long) placed, (unsigned long long) rotations, ARENA);
        ASSERT_TRUE(placed > ((uint64_t) 1 << 30));
        ASSERT_TRUE(rotations > 1000);
        /* Old generations are let go: one fd, one mapping, whatever came before. */
        ASSERT_EQ(count_fds(), fds_before + 1);
        ASSERT_EQ(count_arena_mappings(), (size_t) 1);
}

TEST(a_pinned_old_generation_keeps_its_bytes_after_the_next_one_starts) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        char first[200], buf[3000];
        RedirectItem it = {.data = first};
        uint64_t off, off2;
        size_t size;
        const uint8_t *pin;
        uint8_t *copy;
        int fd;

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, 8192));
        it.len = (size_t) snprintf(first, sizeof(first), "/sandbox/first");
        ASSERT_OK(redirector_place(rd, 1, &it, 1, &off));
        ASSERT_EQ(redirector_generation(rd), 1);

        /* A task's pin of generation 1, as PIN_INSTALL would make it. */
        fd = arena_memfd(redirector_arena(rd));
        size = arena_size(redirector_arena(rd));
        pin = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        ASSERT_TRUE(pin != MAP_FAILED);
        copy = malloc(size);
        ASSERT_NOT_NULL(copy);

        /* Fill it up and go on into generation 2 and 3. */
        memset(buf, 'y', sizeof(buf));
        buf[0] = '/';
        for (int k = 0, copied = 0; redirector_generation(rd) < 3; k++) {
                buf[1 + k % 26] = (char) ('a' + k % 26);
                it = (RedirectItem){.data = buf, .len = sizeof(buf) - 1 - (size_t) k};
                ASSERT_OK(redirector_place(rd, 1, &it, 1, &off2));
                if (redirector_generation(rd) == 2 && !copied) {
                        /* Generation 1 as it was when it was let go. */
                        memcpy(copy, pin, size);
                        copied = 1;
                }
        }
        ASSERT_STREQ((const char *) pin + off, "/sandbox/first");
        ASSERT_EQ(memcmp(copy, pin, size), 0);
        /* Generation 1 is dropped by the daemon, and lives on in the pin. */
        ASSERT_TRUE(arena_memfd(redirector_arena(rd)) >= 0);
        free(copy);
        (void) munmap((void *) pin, size);
}

TEST(one_call_s_targets_go_into_one_generation) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        static char a[3000], b[3000];
        uint8_t how[24] = {1};
        RedirectItem it[3];
        uint64_t off[3];
        const Arena *ar;

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, 8192));
        memset(a, 'a', sizeof(a) - 1);
        memset(b, 'b', sizeof(b) - 1);
        a[0] = b[0] = '/';
        it[0] = (RedirectItem){.data = a, .len = sizeof(a) - 1};
        ASSERT_OK(redirector_place(rd, 1, it, 1, off));
        ASSERT_EQ(redirector_generation(rd), 1);

        /* 3000 + 3000 + 24 more do not fit behind the first 3000: all three
         * go to generation 2, none is left behind in generation 1. */
        b[1] = 'c';
        it[0] = (RedirectItem){.data = b, .len = sizeof(b) - 1};
        b[1] = 'c';
        it[1] = (RedirectItem){.data = a, .len = 100};
        it[2] = (RedirectItem){.data = how, .len = sizeof(how), .blob = true};
        ASSERT_OK(redirector_place(rd, 1, it, 1, off));
        ASSERT_EQ(redirector_generation(rd), 1);
        memset(b, 'd', sizeof(b) - 1);
        b[0] = '/';
        it[0] = (RedirectItem){.data = b, .len = sizeof(b) - 1};
        ASSERT_OK(redirector_place(rd, 1, it, 3, off));
        ASSERT_EQ(redirector_generation(rd), 2);
        ar = redirector_arena(rd);
        ASSERT_TRUE(memcmp(arena_peek(ar, off[0]), b, sizeof(b)) == 0);
        ASSERT_TRUE(memcmp(arena_peek(ar, off[1]), a, 100) == 0);
        ASSERT_EQ(arena_peek(ar, off[1])[100], '\0');
        ASSERT_TRUE(memcmp(arena_peek(ar, off[2]), how, sizeof(how)) == 0);
}

TEST(targets_that_no_empty_arena_holds_are_e2big_and_nothing_breaks) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        static char big[4096];
        RedirectItem it = {.data = big, .len = sizeof(big) - 1};
        uint64_t off;

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, 4096));
        memset(big, 'z', sizeof(big) - 1);
        big[0] = '/';
        /* 4095 bytes and a NUL, behind the empty string at offset 0. */
        ASSERT_ERROR(redirector_place(rd, 1, &it, 1, &off), E2BIG);
        it.len = 4094;
        ASSERT_OK(redirector_place(rd, 1, &it, 1, &off));
        ASSERT_EQ(redirector_set_arena_size(rd, 8192), -EBUSY);
}

TESTS_MAIN
