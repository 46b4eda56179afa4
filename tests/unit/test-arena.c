/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The redirect arena: what a task is pointed at never changes, nobody but
 * the daemon can write it, identical targets share their bytes, and a full
 * arena says so instead of overwriting.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"
#include "macro.h"
#include "tests.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Arena *, arena_free);

TEST(size_is_rounded_up_to_pages_and_bounded) {
        _cleanup_(arena_freep) Arena *a = NULL;

        ASSERT_OK(arena_new(100, &a));
        ASSERT_EQ(arena_size(a), (size_t) sysconf(_SC_PAGESIZE));
        ASSERT_EQ(arena_new(0, &a), -EINVAL);
        ASSERT_EQ(arena_new(((size_t) 1 << 30) + 1, &a), -EINVAL);
}

TEST(placed_strings_read_back_nul_terminated_and_identical_ones_share) {
        _cleanup_(arena_freep) Arena *a = NULL;
        uint64_t o1, o2, o3;

        ASSERT_OK(arena_new(4096, &a));
        ASSERT_OK(arena_place(a, "/sandbox/etc/hosts", 18, &o1));
        ASSERT_OK(arena_place(a, "/sandbox/other", 14, &o2));
        ASSERT_OK(arena_place(a, "/sandbox/etc/hosts", 18, &o3));
        ASSERT_EQ(o1, o3);
        ASSERT_TRUE(o1 != o2);
        ASSERT_STREQ(arena_peek(a, o1), "/sandbox/etc/hosts");
        ASSERT_STREQ(arena_peek(a, o2), "/sandbox/other");
        /* One copy each, plus the empty string at 0. */
        ASSERT_EQ(arena_used(a), (size_t) 1 + 19 + 15);
}

TEST(a_prefix_of_a_stored_string_is_a_string_of_its_own) {
        _cleanup_(arena_freep) Arena *a = NULL;
        uint64_t o1, o2;

        ASSERT_OK(arena_new(4096, &a));
        ASSERT_OK(arena_place(a, "/sandbox/ab", 11, &o1));
        ASSERT_OK(arena_place(a, "/sandbox/a", 10, &o2));
        ASSERT_TRUE(o1 != o2);
        ASSERT_STREQ(arena_peek(a, o2), "/sandbox/a");
        ASSERT_STREQ(arena_peek(a, o1), "/sandbox/ab");
}

TEST(bytes_handed_out_never_change_while_the_index_grows) {
        _cleanup_(arena_freep) Arena *a = NULL;
        char first[64], buf[64];
        uint64_t o, off[2000];

        ASSERT_OK(arena_new(1 << 20, &a));
        ASSERT_OK(arena_place(a, "/first", 6, &o));
        memcpy(first, arena_peek(a, o), 7);
        for (int i = 0; i < 2000; i++) {
                int n = snprintf(buf, sizeof(buf), "/sandbox/file-%d", i);

                ASSERT_OK(arena_place(a, buf, (size_t) n, &off[i]));
        }
        ASSERT_EQ(memcmp(arena_peek(a, o), first, 7), 0);
        for (int i = 0; i < 2000; i++) {
                uint64_t again;
                int n = snprintf(buf, sizeof(buf), "/sandbox/file-%d", i);

                ASSERT_STREQ(arena_peek(a, off[i]), buf);
                ASSERT_OK(arena_place(a, buf, (size_t) n, &again));
                ASSERT_EQ(again, off[i]);
        }
}

TEST(full_arena_refuses_new_strings_but_still_finds_old_ones) {
        _cleanup_(arena_freep) Arena *a = NULL;
        char big[3000];
        uint64_t o1, o2, o3;
        size_t used;

        ASSERT_OK(arena_new(4096, &a));
        memset(big, 'x', sizeof(big));
        big[0] = '/';
        ASSERT_OK(arena_place(a, big, 2999, &o1));
        used = arena_used(a);
        big[1] = 'y';
        ASSERT_EQ(arena_place(a, big, 2999, &o2), -ENOSPC);
        ASSERT_EQ(arena_used(a), used);
        big[1] = 'x';
        ASSERT_OK(arena_place(a, big, 2999, &o3));
        ASSERT_EQ(o1, o3);
        /* Exactly filling it is fine. */
        memset(big, 'z', sizeof(big));
        ASSERT_OK(arena_place(a, big, 4096 - used - 1, &o2));
        ASSERT_EQ(arena_used(a), (size_t) 4096);
}

TEST(strings_with_a_nul_inside_are_refused) {
        _cleanup_(arena_freep) Arena *a = NULL;
        uint64_t o;

        ASSERT_OK(arena_new(4096, &a));
        ASSERT_EQ(arena_place(a, "/a\0b", 4, &o), -EINVAL);
        ASSERT_OK(arena_place(a, "", 0, &o));
        ASSERT_EQ(o, (uint64_t) 0);
}

TEST(memfd_is_sealed_against_every_writer_but_our_mapping) {
        _cleanup_(arena_freep) Arena *a = NULL;
        _cleanup_close_ int fd2 = -EBADF;
        char path[64];
        uint64_t o;
        int seals;
        void *m;

        ASSERT_OK(arena_new(4096, &a));
        seals = fcntl(arena_memfd(a), F_GET_SEALS);
        ASSERT_TRUE(seals >= 0);
        ASSERT_TRUE(seals & F_SEAL_FUTURE_WRITE);
        ASSERT_TRUE(seals & F_SEAL_SEAL);
        ASSERT_TRUE(seals & F_SEAL_SHRINK);
        ASSERT_TRUE(seals & F_SEAL_GROW);

        /* No writable mapping, no write(), no resize: not even for us. */
        m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, arena_memfd(a), 0);
        ASSERT_TRUE(m == MAP_FAILED);
        ASSERT_EQ(errno, EPERM);
        ASSERT_TRUE(pwrite(arena_memfd(a), "x", 1, 100) < 0);
        ASSERT_EQ(errno, EPERM);
        ASSERT_TRUE(ftruncate(arena_memfd(a), 0) < 0);

        /* Nor through another open file of the same memfd. */
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d", arena_memfd(a));
        fd2 = open(path, O_RDWR | O_CLOEXEC);
        if (fd2 >= 0) {
                ASSERT_TRUE(pwrite(fd2, "x", 1, 100) < 0);
                ASSERT_EQ(errno, EPERM);
        }

        /* While our own mapping still writes, and readers see it. */
        ASSERT_OK(arena_place(a, "/still-writable", 15, &o));
        m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, arena_memfd(a), 0);
        ASSERT_TRUE(m != MAP_FAILED);
        ASSERT_STREQ((const char *) m + o, "/still-writable");
        (void) munmap(m, 4096);
}

static bool none_alive(pid_t tid, void *userdata) {
        return false;
}

static bool even_alive(pid_t tid, void *userdata) {
        return tid % 2 == 0;
}

TEST(slots_of_gone_tids_come_back_whole_for_targets) {
        _cleanup_(arena_freep) Arena *a = NULL;
        char buf[600];
        uint64_t off, first;
        size_t cap;

        ASSERT_OK(arena_new(8192, &a));
        memset(buf, 'p', sizeof(buf));
        /* 100 tids, slots of 64 bytes and one of 1024 between them. */
        for (pid_t t = 1; t <= 100; t++) {
                ArenaPart p = {.data = buf, .len = t == 61 ? 600 : 40, .nul = true};

                ASSERT_OK(arena_place_transient(a, t, &p, 1, &off));
                ASSERT_OK(arena_slot_of(a, t, &first, &cap));
                ASSERT_EQ(first, off);
                ASSERT_EQ(cap, (size_t) (t == 61 ? 1024 : 64));
        }
        ASSERT_EQ(arena_slot_tids(a), (size_t) 100);
        /* A second call of a tid rewrites its own slot. */
        {
                ArenaPart p = {.data = "/again", .len = 6, .nul = true};

                ASSERT_OK(arena_slot_of(a, 7, &first, NULL));
                ASSERT_OK(arena_place_transient(a, 7, &p, 1, &off));
                ASSERT_EQ(off, first);
                ASSERT_STREQ(arena_peek(a, off), "/again");
        }
        /* Half of them gone: the holes are reused, nothing grows. */
        ASSERT_EQ(arena_reclaim(a, even_alive, NULL), (size_t) (49 * 64 + 1024));
        ASSERT_EQ(arena_slot_tids(a), (size_t) 50);
        for (pid_t t = 1000; t < 1062; t++) {
                ArenaPart p = {.data = buf, .len = 40, .nul = true};

                ASSERT_OK(arena_place_transient(a, t, &p, 1, &off));
        }
        /* All gone: every byte is free for targets again, merged. */
        ASSERT_TRUE(arena_reclaim(a, none_alive, NULL) > 0);
        ASSERT_EQ(arena_slot_bytes(a), (size_t) 0);
        ASSERT_EQ(arena_slot_tids(a), (size_t) 0);
        {
                static char big[8000];

                memset(big, 't', sizeof(big));
                ASSERT_OK(arena_place(a, big, sizeof(big), &off));
        }
}

TEST(a_slot_that_does_not_fit_says_enospc_and_targets_stay) {
        _cleanup_(arena_freep) Arena *a = NULL;
        char buf[5000];
        uint64_t off, t1;

        ASSERT_OK(arena_new(8192, &a));
        memset(buf, 'q', sizeof(buf));
        ASSERT_OK(arena_place(a, "/target", 7, &t1));
        {
                ArenaPart p = {.data = buf, .len = 3000, .nul = true};
                ArenaPart q = {.data = buf, .len = 4000, .nul = true};

                ASSERT_OK(arena_place_transient(a, 1, &p, 1, &off));
                ASSERT_ERROR(arena_place_transient(a, 2, &q, 1, &off), ENOSPC);
                ASSERT_ERROR(arena_place_transient(a, 0, &q, 1, &off), EINVAL);
        }
        ASSERT_STREQ(arena_peek(a, t1), "/target");
}

TESTS_MAIN
