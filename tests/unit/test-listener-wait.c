/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Receiving apart from answering, and SRD_HANDLE_WAIT: how a thread of its
 * own per listener (the daemon's way) sleeps in RECV, wakes for a
 * notification, a signal or the filter's hang-up, and picks its policy only
 * once it holds a notification.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "listener-target.h"

/* A receiver thread, as the daemon runs one per container. */
typedef struct Receiver {
        SrdListener *listener;
        SrdEvent event;
        int r;
        atomic_bool done;
        pthread_t thread;
} Receiver;

static void *receiver_run(void *userdata) {
        Receiver *rc = userdata;

        rc->r = srd_listener_receive(rc->listener, SRD_HANDLE_WAIT, &rc->event);
        atomic_store(&rc->done, true);
        return NULL;
}

static void on_wake(int sig) {
}

static int receiver_start(Receiver *rc, SrdListener *l) {
        struct sigaction sa = {.sa_handler = on_wake}; /* no SA_RESTART */

        (void) sigaction(SIGUSR2, &sa, NULL);
        *rc = (Receiver){.listener = l};
        return -pthread_create(&rc->thread, NULL, receiver_run, rc);
}

/* Still sleeping after ms? The receive must not return on its own. */
static bool receiver_sleeps_for(Receiver *rc, int ms) {
        for (int i = 0; i < ms / 10; i++) {
                if (atomic_load(&rc->done))
                        return false;
                usleep(10 * 1000);
        }
        return !atomic_load(&rc->done);
}

static bool receiver_wait(Receiver *rc) {
        for (int i = 0; i < TIMEOUT_MS / 10; i++) {
                if (atomic_load(&rc->done)) {
                        (void) pthread_join(rc->thread, NULL);
                        return true;
                }
                usleep(10 * 1000);
        }
        return false;
}

/*
 * The daemon's way of stopping a worker: a signal with a handler without
 * SA_RESTART, repeated, since one sent just before the receiver went to
 * sleep is lost on it. Then wait for the receiver to return.
 */
static bool receiver_interrupt(Receiver *rc) {
        for (int i = 0; i < 100 && !atomic_load(&rc->done); i++) {
                if (pthread_kill(rc->thread, SIGUSR2) != 0)
                        return false;
                usleep(10 * 1000);
        }
        return receiver_wait(rc);
}

TEST(receive_then_answer_is_what_handle_does) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static SrdEvent e;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        c->str_mask = 1u << 0;
        snprintf(c->str[0], sizeof(c->str[0]), "%s", tmp("deny-split"));
        ASSERT_OK(target_send(&t, c));

        ASSERT_OK(srd_listener_receive(t.listener, SRD_HANDLE_WAIT, &e));
        ASSERT_EQ(e.outcome, SRD_OUTCOME_RECEIVED);
        ASSERT_EQ(e.pid, t.pid);
        ASSERT_EQ(e.nr, SYS_mkdir);
        /* Nothing decided yet: no rule, no hit. */
        ASSERT_EQ(e.verdict.rule, -1);
        ASSERT_EQ(srd_policy_hits(p, RULE_DENY), 0);

        ASSERT_OK(srd_listener_answer(t.listener, p, &e));
        ASSERT_EQ(e.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(e.verdict.rule, RULE_DENY);
        ASSERT_STREQ(e.path[0], tmp("deny-split"));
        ASSERT_EQ(srd_policy_hits(p, RULE_DENY), 1);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -EACCES);

        /* Answered once: a second answer has nothing to answer. */
        ASSERT_ERROR(srd_listener_answer(t.listener, p, &e), ESRCH);
}

TEST(answer_without_a_received_notification_is_refused) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        static SrdEvent e;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        /* Nothing pending: receive says so without sleeping... */
        ASSERT_OK(srd_listener_receive(t.listener, 0, &e));
        ASSERT_EQ(e.outcome, SRD_OUTCOME_NONE);
        /* ...and there is nothing to answer, whatever the event claims. */
        ASSERT_ERROR(srd_listener_answer(t.listener, p, &e), ESRCH);
        e.outcome = SRD_OUTCOME_RECEIVED;
        ASSERT_ERROR(srd_listener_answer(t.listener, p, &e), ESRCH);
        ASSERT_ERROR(srd_listener_receive(t.listener, 1 << 5, &e), EINVAL);
}

TEST(the_policy_is_the_one_given_at_answer_time_not_before_the_sleep) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *before = NULL;
        _cleanup_(srd_policy_unrefp) SrdPolicy *after = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_mkdir);
        static const char allow_all[] =
                "{ \"version\": 1, \"name\": \"after\", \"defaultAction\": \"errno\", "
                "\"defaultErrno\": \"ENOTSUP\", \"rules\": [] }";
        SrdDiagList diag = {};
        Receiver rc;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &before));
        ASSERT_OK(srd_policy_load_buffer(allow_all, sizeof(allow_all) - 1, "after.json", &after, &diag));
        ASSERT_OK(target_start(&t, NULL));

        /* The receiver goes to sleep while "before" is in force... */
        ASSERT_OK(receiver_start(&rc, t.listener));
        ASSERT_TRUE(receiver_sleeps_for(&rc, 200));

        /* ...the policy changes, then the notification comes. */
        c->str_mask = 1u << 0;
        snprintf(c->str[0], sizeof(c->str[0]), "%s", tmp("deny-late"));
        ASSERT_OK(target_send(&t, c));
        ASSERT_TRUE(receiver_wait(&rc));
        ASSERT_OK(rc.r);
        ASSERT_EQ(rc.event.outcome, SRD_OUTCOME_RECEIVED);

        ASSERT_OK(srd_listener_answer(t.listener, after, &rc.event));
        ASSERT_EQ(rc.event.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(rc.event.verdict.rule, -1);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, -ENOTSUP);
        ASSERT_EQ(srd_policy_hits(before, RULE_DENY), 0);
}

TEST(wait_sleeps_until_a_notification_comes) {
        _cleanup_(target_stop) Target t = {};
        _cleanup_(srd_policy_unrefp) SrdPolicy *p = NULL;
        _cleanup_free_ Cmd *c = cmd_new(SYS_getppid);
        Receiver rc;
        long res;

        REQUIRE_TARGET();
        ASSERT_OK(policy_load("{ \"action\": \"errno\" }", &p));
        ASSERT_OK(target_start(&t, NULL));

        ASSERT_OK(receiver_start(&rc, t.listener));
        ASSERT_TRUE(receiver_sleeps_for(&rc, 300));
        ASSERT_OK(target_send(&t, c));
        ASSERT_TRUE(receiver_wait(&rc));
        ASSERT_OK(rc.r);
        ASSERT_EQ(rc.event.outcome, SRD_OUTCOME_RECEIVED);
        ASSERT_EQ(rc.event.nr, SYS_getppid);

        ASSERT_OK(srd_listener_answer(t.listener, p, &rc.event));
        ASSERT_EQ(rc.event.outcome, SRD_OUTCOME_ANSWERED);
        ASSERT_EQ(rc.event.verdict.rule, RULE_GETPPID);
        ASSERT_OK(target_result(&t, &res));
        ASSERT_EQ(res, (long) getpid());
}

TEST(wait_is_interrupted_by_a_signal_with_outcome_none) {
        _cleanup_(target_stop) Target t = {};
        Receiver rc;

        REQUIRE_TARGET();
        ASSERT_OK(target_start(&t, NULL));

        ASSERT_OK(receiver_start(&rc, t.listener));
        ASSERT_TRUE(receiver_sleeps_for(&rc, 200));
        ASSERT_TRUE(receiver_interrupt(&rc));
        ASSERT_OK(rc.r);
        ASSERT_EQ(rc.event.outcome, SRD_OUTCOME_NONE);
}

TEST(wait_ends_with_hangup_when_the_last_task_is_gone) {
        _cleanup_(target_stop) Target t = {};
        Receiver rc;
        bool woke;

        REQUIRE_TARGET();
        ASSERT_OK(target_start(&t, NULL));

        ASSERT_OK(receiver_start(&rc, t.listener));
        ASSERT_TRUE(receiver_sleeps_for(&rc, 200));
        ASSERT_OK(kill(t.pid, SIGKILL));
        ASSERT_EQ(target_wait_death(&t), SIGKILL);

        woke = receiver_wait(&rc);
        if (!woke) {
                /* Before 6.6 a sleeping RECV does not wake on the hang-up:
                 * the daemon signals its worker then. Free the thread. */
                (void) pthread_kill(rc.thread, SIGUSR2);
                ASSERT_TRUE(receiver_wait(&rc));
                SKIP("kernel before 6.6: RECV does not wake on hang-up");
        }
        ASSERT_OK(rc.r);
        ASSERT_EQ(rc.event.outcome, SRD_OUTCOME_HANGUP);
}

TEST(wait_after_a_vanished_notification_is_task_gone_then_sleeps_again) {
        _cleanup_(target_stop) Target t = {};
        static SrdEvent e;
        Receiver rc;

        REQUIRE_TARGET();
        ASSERT_OK(target_start(&t, target_setup_sigusr1_interrupts));
        /* RECV has a count to take and says ENOENT. */
        ASSERT_OK(target_vanish_notification(&t));

        alarm(10);
        ASSERT_OK(srd_listener_receive(t.listener, SRD_HANDLE_WAIT, &e));
        alarm(0);
        ASSERT_EQ(e.outcome, SRD_OUTCOME_TASK_GONE);

        /* Not a hang-up: the next receive sleeps like any other. */
        ASSERT_OK(receiver_start(&rc, t.listener));
        ASSERT_TRUE(receiver_sleeps_for(&rc, 200));
        ASSERT_TRUE(receiver_interrupt(&rc));
        ASSERT_EQ(rc.event.outcome, SRD_OUTCOME_NONE);
}

TESTS_MAIN
