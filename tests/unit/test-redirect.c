/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The redirector's arena generations: a container that keeps making new
 * targets is redirected for ever, every call's targets land in one
 * generation, and bytes a task may have been pointed at are never written
 * again (a task's pin of an old generation keeps what it had).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- transient slots (issue 11: pinned continue) ------------------------- */

/* Which tids exist, for redirector_set_alive(): a bitmap over tids 1..4095. */
typedef struct Live {
        bool alive[4096];
} Live;

static bool live_alive(pid_t tid, void *userdata) {
        const Live *l = userdata;

        return tid > 0 && tid < 4096 && l->alive[tid];
}

/* A unique path for call i of tid, len bytes. */
static void unique(char *buf, size_t len, pid_t tid, uint64_t i) {
        int n = snprintf(buf, len + 1, "/tmp/%d/%llu.", (int) tid, (unsigned long long) i);

        if ((size_t) n < len)
                memset(buf + n, 'q', len - (size_t) n);
        buf[len] = '\0';
}

TEST(unique_paths_from_a_fixed_set_of_tids_never_roll_a_generation) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        static Live live;
        char buf[4096];
        uint64_t off[3];

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, 256 << 10));
        redirector_set_alive(rd, live_alive, &live);
        for (pid_t t = 100; t < 132; t++)
                live.alive[t] = true;

        /* 32 tids, 200,000 calls with a new path each (mkstemp), lengths
         * from 20 to 4000 bytes, some with a literal target and an
         * open_how besides: 40 MB of transient bytes through 256 KiB, where
         * every tid ends up holding a 4 KiB slot. */
        for (uint64_t i = 0; i < 200000; i++) {
                pid_t tid = 100 + (pid_t) (i % 32);
                size_t len = 20 + (size_t) ((i * 7919) % (i % 97 == 0 ? 3980 : 200));
                uint8_t how[24] = {(uint8_t) i};
                RedirectItem it[3] = {
                        {.data = buf, .len = len, .transient = true},
                        {.data = "/sandbox/target", .len = 15},
                        {.data = how, .len = sizeof(how), .blob = true, .transient = true},
                };

                unique(buf, len, tid, i);
                ASSERT_OK(redirector_place(rd, tid, it, i % 3 == 0 ? 3 : 1, off));
                ASSERT_STREQ(arena_peek(redirector_arena(rd), off[0]), buf);
        }
        ASSERT_EQ(redirector_generation(rd), 1);
        ASSERT_TRUE(arena_slot_tids(redirector_arena(rd)) <= 32);
}

TEST(tids_that_come_and_go_never_roll_a_generation) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        static Live live;
        char buf[300];
        uint64_t off;

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, 16 << 10));
        redirector_set_alive(rd, live_alive, &live);
        /* A shell loop: every call from a new short-lived process. At most
         * 8 exist at once; 50,000 tids over the run (4095 reused). */
        for (uint64_t i = 0; i < 50000; i++) {
                pid_t tid = 1 + (pid_t) (i % 4095);
                RedirectItem it = {.data = buf, .len = 250, .transient = true};

                live.alive[tid] = true;
                if (i >= 8)
                        live.alive[1 + (pid_t) ((i - 8) % 4095)] = false;
                unique(buf, it.len, tid, i);
                ASSERT_OK(redirector_place(rd, tid, &it, 1, &off));
        }
        ASSERT_EQ(redirector_generation(rd), 1);
}

TEST(slot_reuse_never_changes_bytes_a_live_tid_was_pointed_at) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        static Live live;
        static char last[64][1100]; /* what each live tid was last pointed at */
        static uint64_t last_off[64];
        static uint64_t last_gen[64];
        const uint8_t *pins[64] = {};
        uint64_t pin_gen[64] = {};
        size_t size;
        char buf[1100];
        uint64_t seed = 42, checks = 0, refused = 0;
        int r;

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, 32768));
        redirector_set_alive(rd, live_alive, &live);

        for (uint64_t i = 0; i < 100000; i++) {
                pid_t tid;
                size_t len;
                uint64_t off;
                RedirectItem it;

                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                tid = 1 + (pid_t) ((seed >> 33) % 60);
                len = 24 + (size_t) ((seed >> 13) % ((seed >> 40) % 50 == 0 ? 1000 : 100));
                /* Now and then a tid dies (and may come back as a new task). */
                if ((seed >> 7) % 13 == 0 && live.alive[tid]) {
                        live.alive[tid] = false;
                        last_gen[tid] = 0;
                        continue;
                }
                live.alive[tid] = true;
                /* A new call: its previous one has returned. */
                last_gen[tid] = 0;
                unique(buf, len, tid, i);
                it = (RedirectItem){.data = buf, .len = len, .transient = true};
                r = redirector_place(rd, tid, &it, 1, &off);
                if (r == 0 && i % 4 == 0) {
                        /* And distinct targets, which fill generations up. */
                        char t[200];
                        uint64_t toff;
                        RedirectItem target = {.data = t, .len = sizeof(t) - 1};

                        unique(t, target.len, 0, i);
                        ASSERT_OK(redirector_place(rd, tid, &target, 1, &toff));
                        /* Where the call's own bytes may now be, in a new generation. */
                        r = redirector_place(rd, tid, &it, 1, &off);
                }
                if (r == -ENOSPC) {
                        /* Refused (too many live slots, too often): the
                         * tid is pointed at nothing new. */
                        refused++;
                        continue;
                }
                ASSERT_OK(r);
                if (pin_gen[redirector_generation(rd) % 64] != redirector_generation(rd)) {
                        /* What a task's pin of this generation shows (one
                         * 64 generations older is not looked at any more). */
                        size = arena_size(redirector_arena(rd));
                        if (pins[redirector_generation(rd) % 64])
                                (void) munmap((void *) pins[redirector_generation(rd) % 64], size);
                        pin_gen[redirector_generation(rd) % 64] = redirector_generation(rd);
                        pins[redirector_generation(rd) % 64] = mmap(NULL, size, PROT_READ, MAP_SHARED,
                                                                    arena_memfd(redirector_arena(rd)), 0);
                        ASSERT_TRUE(pins[redirector_generation(rd) % 64] != MAP_FAILED);
                }
                memcpy(last[tid], buf, len + 1);
                last_off[tid] = off;
                last_gen[tid] = redirector_generation(rd);

                /* Every other live tid still reads what it was pointed at,
                 * in the generation it was pointed into. */
                for (pid_t t = 1; t <= 60; t++) {
                        if (!live.alive[t] || t == tid || last_gen[t] == 0)
                                continue;
                        ASSERT_TRUE(last_gen[t] + 64 > redirector_generation(rd));
                        ASSERT_STREQ((const char *) pins[last_gen[t] % 64] + last_off[t], last[t]);
                        checks++;
                }
        }
        printf("# %llu checks, %llu generations, %llu calls refused\n", (unsigned long long) checks,
               (unsigned long long) redirector_generation(rd), (unsigned long long) refused);
        /* The targets make it roll, which puts old generations into the check. */
        ASSERT_TRUE(redirector_generation(rd) > 10);
        ASSERT_EQ(refused, 0);
}

TEST(a_generation_rolls_only_when_live_tids_exceed_capacity) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        static Live live;
        char buf[64];
        uint64_t off;
        RedirectItem it = {.data = buf, .len = 40, .transient = true};

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, 8192));
        redirector_set_alive(rd, live_alive, &live);

        /* 64-byte slots: 8192 bytes hold 127 of them beside the empty string. */
        for (pid_t t = 1; t <= 127; t++) {
                live.alive[t] = true;
                unique(buf, it.len, t, 0);
                ASSERT_OK(redirector_place(rd, t, &it, 1, &off));
        }
        /* Again, with new paths: every tid reuses its own slot. */
        for (pid_t t = 1; t <= 127; t++) {
                unique(buf, it.len, t, 1);
                ASSERT_OK(redirector_place(rd, t, &it, 1, &off));
        }
        ASSERT_EQ(redirector_generation(rd), 1);

        /* A 128th live tid: nothing to reclaim, a new generation. */
        live.alive[128] = true;
        unique(buf, it.len, 128, 0);
        ASSERT_OK(redirector_place(rd, 128, &it, 1, &off));
        ASSERT_EQ(redirector_generation(rd), 2);

        /* Ten die; 117 of the old ones and 9 new ones fill it again. */
        for (pid_t t = 1; t <= 10; t++)
                live.alive[t] = false;
        for (pid_t t = 11; t <= 127; t++) {
                unique(buf, it.len, t, 2);
                ASSERT_OK(redirector_place(rd, t, &it, 1, &off));
        }
        for (pid_t t = 200; t < 209; t++) {
                live.alive[t] = true;
                unique(buf, it.len, t, 0);
                ASSERT_OK(redirector_place(rd, t, &it, 1, &off));
        }
        ASSERT_EQ(arena_slot_tids(redirector_arena(rd)), (size_t) 127);
        ASSERT_EQ(redirector_generation(rd), 2);

        /* Full; ten more die and ten new ones take their slots over. */
        for (pid_t t = 11; t <= 20; t++)
                live.alive[t] = false;
        for (pid_t t = 300; t < 310; t++) {
                live.alive[t] = true;
                unique(buf, it.len, t, 0);
                ASSERT_OK(redirector_place(rd, t, &it, 1, &off));
        }
        ASSERT_EQ(redirector_generation(rd), 2);
        ASSERT_EQ(arena_slot_tids(redirector_arena(rd)), (size_t) 127);
}

TEST(live_tids_beyond_capacity_roll_a_few_generations_then_get_enospc) {
        _cleanup_(redirector_freep) Redirector *rd = NULL;
        static Live live;
        char buf[64];
        uint64_t off;
        RedirectItem it = {.data = buf, .len = 40, .transient = true};
        int r = 0, enospc = 0;

        ASSERT_OK(redirector_new(&rd));
        ASSERT_OK(redirector_set_arena_size(rd, 4096));
        redirector_set_alive(rd, live_alive, &live);
        /* 1000 live tasks in path syscalls over and over, 63 slots a
         * generation: the daemon must not keep making generations. */
        for (pid_t t = 1; t <= 1000; t++)
                live.alive[t] = true;
        for (int round = 0; round < 20; round++)
                for (pid_t t = 1; t <= 1000; t++) {
                        unique(buf, it.len, t, (uint64_t) round);
                        r = redirector_place(rd, t, &it, 1, &off);
                        if (r == -ENOSPC)
                                enospc++;
                        else
                                ASSERT_OK(r);
                }
        printf("# %llu generations, %d calls refused\n", (unsigned long long) redirector_generation(rd),
               enospc);
        ASSERT_TRUE(redirector_generation(rd) <= 5);
        ASSERT_TRUE(enospc > 0);
        /* A literal target still goes in once there is room for it. */
        it = (RedirectItem){.data = "/sandbox/x", .len = 10};
        ASSERT_OK(redirector_place(rd, 1, &it, 1, &off));
}

TESTS_MAIN
