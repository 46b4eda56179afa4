/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "counters.h"
#include "list.h"
#include "log.h"
#include "manager.h"
#include "seccomp-redirect.h"

/*
 * Everything needed to rebuild a Container around its listener fd. Small on
 * purpose: it is what gets persisted next to the fd (systemd's fd store) so
 * that a restarted daemon can pick its containers up again.
 */
typedef struct ContainerRecord {
        const char *id;
        const char *policy;
        pid_t pid;
        const char *bundle; /* the OCI bundle (state.bundle), NULL: none */
} ContainerRecord;

/*
 * One per supervised container process. Its notifications are answered by a
 * thread of its own that sleeps in RECV: the kernel wakes exactly that
 * thread (on the task's CPU, with SYNC_WAKE_UP), and a task that makes the
 * daemon's read of its memory hang (userfaultfd, FUSE) stalls nobody else.
 * The main thread keeps the bookkeeping: it sees the listener hang up,
 * hands over reloaded policies, reports status, and frees the object once
 * the worker has said it is done (Manager.reap_fd).
 */
struct Container {
        Manager *manager;
        LIST_FIELDS(Container, containers);

        char *id;
        char *policy_name;
        pid_t pid;

        /* The newest policy for this container, under policy_lock; the
         * worker takes its own reference when policy_gen moves. */
        pthread_mutex_t policy_lock;
        SrdPolicy *policy;
        unsigned policy_gen;

        SrdListener *listener; /* owns the fd; the worker's alone while it runs */
        sd_event_source *source; /* the listener's hang-up, in the main thread */
        sd_event_source *kick_source; /* re-signals the worker until it is done */

        pthread_t worker;
        void *worker_stack; /* ours, with its guard page: unmapped after the join */
        bool worker_started;
        int reap_fd; /* Manager.reap_fds[1], copied: the worker never touches the manager */
        bool stop; /* atomic: the main thread wants the worker gone */
        int worker_error; /* the listener failure that ended the worker */

        /* The last call answered with other than a continue (denied,
         * redirected, killed), for status: under last_lock. */
        pthread_mutex_t last_lock;
        char *last_syscall, *last_written, *last_resolved, *last_rule, *last_answer;

        uint64_t busy_since_usec; /* atomic: since when the worker is on one notification, 0 idle */
        uint64_t n_notifications; /* atomic */
        RateLimit ratelimit; /* the worker's, until it is done */
        Counters counters; /* by rule and answer; left to Manager.counters when it goes */
};

/*
 * Take over listener fd (closed on failure too) for the process described
 * by record. The policy named by the record must be loaded (-ENOENT
 * otherwise); -ENOTTY / -EBADF when fd is not a seccomp listener.
 */
int container_new_from_record(Manager *m, int fd, const ContainerRecord *record, Container **ret);
Container *container_free(Container *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Container *, container_free);

/* The last call not answered with a continue, as a JSON object (NULL: none yet). */
struct json_object *container_last_decision(Container *c);

/* After a reload: follow the policy of the same name, if it still exists. */
void container_repoint_policy(Container *c, const PolicySet *set);

/* The signal that interrupts a worker's RECV: install its handler first. */
int container_setup_signals(void);

/* Join and free the containers whose workers said they are done (their
 * pointers came through Manager.reap_fds). */
void container_reap_done(Manager *m);

/* Stop every worker, waiting at most timeout_usec for them, and free what
 * stopped; a worker stuck in the kernel is left to the process exit (and
 * counted in the return value: reap_fd must then stay open). */
size_t container_stop_all(Manager *m, uint64_t timeout_usec);

uint64_t container_n_notifications(const Container *c);
/* How long the worker has been on the notification at hand, 0 when it waits
 * for one: a container whose memory will not be read shows here. */
uint64_t container_busy_usec(const Container *c);

/* Give workers that are answering a moment to count the call (for status and metrics). */
void container_settle_all(Manager *m);
/* The counts of every container, live and gone, added up in ret (counters_done() it). */
int container_counters_total(Manager *m, Counters *ret);

/* Fields for the log lines about this container. */
LogFields container_log_fields(const Container *c);
