/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory of the agent socket under a flood: 64 peers, each sending 4 MiB of
 * garbage slowly (16 KiB every 20 ms, reconnecting whenever the daemon drops
 * it, until its 4 MiB are out). A third send a JSON object whose string
 * never ends, a third random bytes, a third complete payloads of ~960 KiB
 * of tiny annotations, one per connection (parsed, then refused: no fd).
 * Throughout, a canary container handed over before
 * the flood must get its policy's answers, and a runtime handing over a new
 * container in the middle of the flood must get through. The daemon's RSS
 * must stay within 64 MiB of its baseline and come back down afterwards:
 * "back down" is within 8 MiB of the baseline, 5 s after the last peer left.
 *
 * SRD_FLOOD_NO_ASSERT=1 prints the figures without failing on them (to
 * measure a daemon built without the limits).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest-util.h"
#include "tests.h"

#define N_PEERS 64
#define PER_PEER (4U * 1024U * 1024U)
#define CHUNK (16U * 1024U)
#define TICK_USEC 20000U
#ifdef __SANITIZE_ADDRESS__
/* AddressSanitizer keeps freed memory in quarantine (256 MiB): the bounds
 * on what a flood costs are checked in the plain build (tools/test). */
#define RSS_MARGIN_KIB (1024L * 1024L)
#define RSS_BACK_KIB (1024L * 1024L)
#else
#define RSS_MARGIN_KIB (64L * 1024L)
#define RSS_BACK_KIB (8L * 1024L)
#endif

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static const char policy[] =
        "{\n"
        "  \"version\": 1,\n"
        "  \"name\": \"flood\",\n"
        "  \"defaultAction\": \"continue\",\n"
        "  \"rules\": [\n"
        "    { \"name\": \"no-forbidden\", \"names\": [\"mkdir\", \"mkdirat\"],\n"
        "      \"path\": { \"glob\": \"/tmp/forbidden*\" }, \"action\": \"errno\", \"errno\": \"EACCES\" }\n"
        "  ]\n"
        "}\n";

static const char *const notified[] = {"openat", "mkdir", "mkdirat", NULL};

typedef struct Peer {
        int fd;
        size_t sent; /* of PER_PEER, over all its connections */
        size_t conn_sent; /* on this connection */
        unsigned connections;
} Peer;

/* The third kind of peer: complete handoffs of ~960 KiB of tiny annotations
 * (no fd, so each is refused after the parse). A parse builds a tree of
 * tens of thousands of json-c objects: it shows what parsing costs, and
 * what the heap keeps afterwards. */
static char *tree_payload;
static size_t tree_payload_len;

static int make_tree_payload(void) {
        size_t cap = 960u * 1024u, n;

        tree_payload = malloc(cap + 64);
        if (!tree_payload)
                return -ENOMEM;
        n = (size_t) snprintf(tree_payload, cap,
                              "{\"ociVersion\":\"1.0.2\",\"fds\":[],\"pid\":1,\"state\":{\"id\":\"tree\","
                              "\"annotations\":{");
        for (unsigned i = 0; n + 32 < cap; i++)
                n += (size_t) snprintf(tree_payload + n, cap + 64 - n, "\"k%u\":\"v\",", i);
        n += (size_t) snprintf(tree_payload + n, cap + 64 - n, "\"end\":\"v\"}}}");
        tree_payload_len = n;
        return 0;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint8_t rng_byte(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (uint8_t) rng_state;
}

static int canary_check(Target *t) {
        char forbidden[64];
        long r;

        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-flood-%d", (int) getpid());
        r = target_mkdir(t, forbidden);
        if (r != -EACCES) {
                printf("# canary: mkdir %s -> %ld, expected -EACCES\n", forbidden, r);
                return -EIO;
        }
        r = target_openat(t, "/dev/null", O_RDONLY);
        if (r < 0) {
                printf("# canary: openat /dev/null -> %ld\n", r);
                return -EIO;
        }
        return 0;
}

/* One tick of one peer: (re)connect, send up to CHUNK bytes without blocking. */
static void peer_tick(Peer *p, const char *agent, int index, const char *object_garbage,
                      const uint8_t *random_garbage) {
        const char *data;
        size_t n;
        ssize_t k;

        if (p->sent >= PER_PEER)
                return;
        if (p->fd < 0) {
                p->fd = itest_unix_connect(agent, SOCK_STREAM);
                if (p->fd < 0)
                        return; /* backlog full or refused: try again next tick */
                (void) fcntl(p->fd, F_SETFL, O_NONBLOCK);
                p->connections++;
                p->conn_sent = 0;
                /* Every connection starts the way a payload would. */
                if (index % 3 == 0)
                        (void) send(p->fd, "{\"a\":\"", 6, MSG_NOSIGNAL);
        }
        n = MIN((size_t) CHUNK, PER_PEER - p->sent);
        if (index % 3 == 0)
                data = object_garbage;
        else if (index % 3 == 1)
                data = (const char *) random_garbage + (p->sent % CHUNK);
        else {
                data = tree_payload + p->conn_sent;
                n = MIN(n, tree_payload_len - p->conn_sent);
        }
        k = send(p->fd, data, n, MSG_NOSIGNAL);
        if (k > 0) {
                p->sent += (size_t) k;
                p->conn_sent += (size_t) k;
                if (index % 3 == 2 && p->conn_sent == tree_payload_len) {
                        /* One complete payload per connection, like a runtime. */
                        close(p->fd);
                        p->fd = -1;
                }
        } else if (k < 0 && errno != EAGAIN) {
                /* Dropped by the daemon: come back with the rest. */
                close(p->fd);
                p->fd = -1;
        }
}

TEST(flood_of_slow_garbage_peers) {
        static Peer peers[N_PEERS];
        static char object_garbage[CHUNK];
        static uint8_t random_garbage[2 * CHUNK];
        char dir[ITEST_PATH_MAX], forbidden[64];
        bool assert_figures = !getenv("SRD_FLOOD_NO_ASSERT");
        long baseline, peak = 0, after = -1, rss;
        unsigned checks = 0, connections = 0;
        uint64_t t0, t_end, t_mid_done = 0, last_check = 0;
        bool all_sent = false, mid_handed = false;
        json_object *s = NULL;
        Target canary, mid;
        Daemon d;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        (void) signal(SIGPIPE, SIG_IGN);
        ASSERT_OK(itest_raise_nofile(4096));
        memset(object_garbage, 'x', sizeof(object_garbage));
        ASSERT_OK(make_tree_payload());
        for (size_t i = 0; i < sizeof(random_garbage); i++)
                random_garbage[i] = rng_byte();

        ASSERT_OK(itest_tmpdir("flood", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&d, dir));
        ASSERT_OK(daemon_add_policy(&d, "flood.json", policy));
        ASSERT_OK(daemon_start(&d, NULL, NULL));
        ASSERT_OK(target_start(&canary, notified));
        ASSERT_OK(target_handoff(&canary, d.agent, "canary", "policy=flood"));
        ASSERT_OK(status_wait_container(d.control, "canary", true, 3000));
        ASSERT_OK(canary_check(&canary));
        ASSERT_OK(target_start(&mid, notified));
        (void) usleep(300000);
        baseline = daemon_rss_kib(&d);
        ASSERT_TRUE(baseline > 0);
        printf("# daemon RSS baseline: %ld KiB\n", baseline);

        for (size_t i = 0; i < N_PEERS; i++)
                peers[i] = (Peer){.fd = -1};
        t0 = itest_now_usec();
        t_end = t0 + 60u * 1000000u;
        while (!all_sent && itest_now_usec() < t_end) {
                uint64_t now;

                all_sent = true;
                for (size_t i = 0; i < N_PEERS; i++) {
                        peer_tick(&peers[i], d.agent, (int) i, object_garbage, random_garbage);
                        all_sent = all_sent && peers[i].sent >= PER_PEER;
                }
                rss = daemon_rss_kib(&d);
                ASSERT_TRUE(rss > 0); /* alive */
                peak = MAX(peak, rss);

                now = itest_now_usec();
                if (now - last_check >= 200000u) {
                        last_check = now;
                        ASSERT_OK(canary_check(&canary));
                        checks++;
                }
                /* A runtime's handoff in the thick of it must get through. */
                if (!mid_handed && now - t0 >= 2000000u) {
                        ASSERT_OK(target_handoff(&mid, d.agent, "mid-flood", "policy=flood"));
                        mid_handed = true;
                        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-mid-%d",
                                        (int) getpid());
                        ASSERT_EQ(target_mkdir(&mid, forbidden), -EACCES);
                        t_mid_done = itest_now_usec();
                }
                (void) usleep(TICK_USEC);
        }
        for (size_t i = 0; i < N_PEERS; i++) {
                connections += peers[i].connections;
                if (peers[i].fd >= 0)
                        close(peers[i].fd);
                peers[i].fd = -1;
        }
        printf("# flood: %d peers sent %u MiB each over %u connections in %.1f s; canary checked %u times\n",
               N_PEERS, PER_PEER >> 20, connections, (double) (itest_now_usec() - t0) / 1e6, checks);
        if (mid_handed)
                printf("# new container handed over %.1f s into the flood: answered\n",
                       (double) (t_mid_done - t0) / 1e6);
        ASSERT_TRUE(all_sent);
        ASSERT_TRUE(mid_handed);

        /* The peers are gone: RSS back down within 5 s. */
        for (int i = 0; i < 50; i++) {
                (void) usleep(100000);
                after = daemon_rss_kib(&d);
                if (after - baseline <= RSS_BACK_KIB && i >= 10)
                        break;
        }
        ASSERT_OK(canary_check(&canary));
        ASSERT_OK(control_status(d.control, &s));
        printf("# daemon RSS: baseline %ld KiB, peak %ld KiB (+%ld KiB), after %ld KiB (+%ld KiB); "
               "handoffsRefused %lld, agentConnections %lld, agentBytesBuffered %lld\n",
               baseline, peak, peak - baseline, after, after - baseline, status_int(s, "handoffsRefused"),
               status_int(s, "agentConnections"), status_int(s, "agentBytesBuffered"));
        ASSERT_NOT_NULL(status_container(s, "mid-flood"));
        json_object_put(s);
        (void) target_stop(&mid);
        (void) target_stop(&canary);
        free(tree_payload);
        if (!assert_figures)
                return;
        ASSERT_TRUE(peak - baseline <= RSS_MARGIN_KIB);
        ASSERT_TRUE(after - baseline <= RSS_BACK_KIB);
        ASSERT_TRUE(daemon_log_contains(&d, "--max-handoff"));
}

TEST(large_payloads_are_parsed_and_their_memory_returned) {
        char dir[ITEST_PATH_MAX];
        long baseline, peak = 0, after = -1;
        long long refused0, refused1;
        json_object *s = NULL;
        uint64_t t0;
        Target canary;
        Daemon d;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        (void) signal(SIGPIPE, SIG_IGN);
        ASSERT_OK(make_tree_payload());
        ASSERT_OK(itest_tmpdir("flood-parse", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&d, dir));
        ASSERT_OK(daemon_add_policy(&d, "flood.json", policy));
        ASSERT_OK(daemon_start(&d, NULL, NULL));
        ASSERT_OK(target_start(&canary, notified));
        ASSERT_OK(target_handoff(&canary, d.agent, "canary", "policy=flood"));
        ASSERT_OK(status_wait_container(d.control, "canary", true, 3000));
        (void) usleep(300000);
        baseline = daemon_rss_kib(&d);
        ASSERT_OK(control_status(d.control, &s));
        refused0 = status_int(s, "handoffsRefused");
        json_object_put(s);

        /* 32 complete payloads of ~960 KiB, each a tree of ~70,000 json-c
         * objects once parsed, one after the other as fast as they go. */
        t0 = itest_now_usec();
        for (int i = 0; i < 32; i++) {
                int fd = -1;

                ASSERT_OK(handoff_send(d.agent, tree_payload, tree_payload_len, NULL, 0, true, &fd));
                /* Wait for the daemon's verdict (it hangs up) while sampling its RSS. */
                for (int j = 0; j < 500; j++) {
                        struct pollfd p = {.fd = fd, .events = POLLIN};

                        peak = MAX(peak, daemon_rss_kib(&d));
                        if (poll(&p, 1, 2) > 0)
                                break;
                }
                close(fd);
                ASSERT_OK(canary_check(&canary));
        }
        printf("# 32 payloads of %zu bytes parsed in %.1f s\n", tree_payload_len,
               (double) (itest_now_usec() - t0) / 1e6);
        for (int i = 0; i < 50; i++) {
                (void) usleep(100000);
                after = daemon_rss_kib(&d);
                if (after - baseline <= RSS_BACK_KIB && i >= 10)
                        break;
        }
        ASSERT_OK(control_status(d.control, &s));
        refused1 = status_int(s, "handoffsRefused");
        json_object_put(s);
        printf("# daemon RSS: baseline %ld KiB, peak %ld KiB (+%ld KiB), after %ld KiB (+%ld KiB); "
               "refused %lld (no fd)\n",
               baseline, peak, peak - baseline, after, after - baseline, refused1 - refused0);
        (void) target_stop(&canary);
        free(tree_payload);
        tree_payload = NULL;
        /* All read to the end and parsed: the refusal names the container, it is no limit's. */
        ASSERT_TRUE(daemon_log_contains(&d, "for container tree pid 1"));
        if (getenv("SRD_FLOOD_NO_ASSERT"))
                return;
        ASSERT_EQ(refused1 - refused0, 32);
        ASSERT_TRUE(peak - baseline <= RSS_MARGIN_KIB);
        ASSERT_TRUE(after - baseline <= RSS_BACK_KIB);
}

/* Each limit on its own, small enough to hit on purpose. */
TEST(each_limit_alone) {
        static const char *const extra[] = {
                "--max-connections", "4", "--max-handoff-size", "8K", "--handoff-timeout", "500ms", NULL};
        char dir[ITEST_PATH_MAX], big[9000], forbidden[64];
        int silent[4], dribbler;
        struct pollfd p;
        uint64_t t0;
        Target t;
        Daemon d;
        size_t off;
        int n;

        if (itest_skip_reason())
                SKIP(itest_skip_reason());
        (void) signal(SIGPIPE, SIG_IGN);
        ASSERT_OK(itest_tmpdir("limits", dir, sizeof(dir)));
        ASSERT_OK(daemon_prepare(&d, dir));
        ASSERT_OK(daemon_add_policy(&d, "flood.json", policy));
        ASSERT_OK(daemon_start(&d, extra, NULL));
        (void) snprintf(forbidden, sizeof(forbidden), "/tmp/forbidden-limits-%d", (int) getpid());

        /* --max-connections: 4 silent peers hold every slot; a runtime still gets in. */
        off = daemon_log_size(&d);
        for (int i = 0; i < 4; i++) {
                silent[i] = itest_unix_connect(d.agent, SOCK_STREAM);
                ASSERT_TRUE(silent[i] >= 0);
        }
        (void) usleep(100000);
        ASSERT_OK(target_start(&t, notified));
        ASSERT_OK(target_handoff(&t, d.agent, "c-limit", "policy=flood"));
        ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        ASSERT_OK(daemon_wait_log_after(&d, off, "(--max-connections): dropping the oldest", 2000));
        for (int i = 0; i < 4; i++)
                close(silent[i]);

        /* --max-handoff-size: a payload one byte over 8 KiB... */
        off = daemon_log_size(&d);
        n = snprintf(big, sizeof(big),
                     "{\"fds\":[],\"pid\":1,\"state\":{\"id\":\"big\",\"annotations\":{\"a\":\"");
        memset(big + n, 'a', 8193 - (size_t) n - 4);
        memcpy(big + 8193 - 4, "\"}}}", 4);
        ASSERT_OK(handoff_send(d.agent, big, 8193, NULL, 0, false, NULL));
        ASSERT_OK(daemon_wait_log_after(&d, off, "larger than 8192 bytes (--max-handoff-size)", 2000));
        /* ...while one of exactly 8 KiB is read to the end (and refused for naming no policy). */
        memcpy(big + 8192 - 4, "\"}}}", 4);
        ASSERT_OK(handoff_send(d.agent, big, 8192, NULL, 0, false, NULL));
        ASSERT_OK(daemon_wait_log_after(&d, off, "for container big", 2000));

        /* --handoff-timeout: a peer that keeps sending a byte every 50 ms is dropped after 500 ms. */
        off = daemon_log_size(&d);
        dribbler = itest_unix_connect(d.agent, SOCK_STREAM);
        ASSERT_TRUE(dribbler >= 0);
        t0 = itest_now_usec();
        for (int i = 0; i < 60; i++) {
                if (send(dribbler, i == 0 ? "{" : " ", 1, MSG_NOSIGNAL) < 0)
                        break;
                p = (struct pollfd){.fd = dribbler, .events = POLLIN};
                if (poll(&p, 1, 50) > 0)
                        break;
        }
        printf("# dribbling peer dropped after %.2f s\n", (double) (itest_now_usec() - t0) / 1e6);
        ASSERT_TRUE(itest_now_usec() - t0 < 1500000u);
        ASSERT_TRUE(itest_now_usec() - t0 >= 450000u);
        close(dribbler);
        ASSERT_OK(daemon_wait_log_after(&d, off, "within 0.5s (--handoff-timeout)", 2000));

        ASSERT_EQ(target_mkdir(&t, forbidden), -EACCES);
        (void) target_stop(&t);
}

TESTS_MAIN
