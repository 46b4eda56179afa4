/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <json-c/json.h>

#include "container.h"
#include "log.h"

/* Interrupts a worker's sleep in RECV; blocked in every other thread. */
#define CONTAINER_WAKE_SIGNAL SIGUSR2
/* A signal sent just before the worker went to sleep is lost on it. */
#define CONTAINER_KICK_USEC (50U * 1000U)
/* The worker's stack: room for the deepest decision; one guard page
 * below. Only what is touched is resident: one page while it sleeps, as
 * the unit runs the daemon (bench-memory), since path buffers come from a
 * shared pool and not from here. Ours, not glibc's cached ones: unmapped at the
 * join, so that the memory of containers that went comes back. */
#define CONTAINER_WORKER_STACK ((size_t) 256 * 1024)
#define CONTAINER_GUARD ((size_t) 4096)

/* How long a status or metrics request waits, in all, for workers to count the call at hand. */
#define CONTAINER_SETTLE_USEC (20U * 1000U)

/* 20 log lines per 5 s per container and kind of line: a looping workload cannot flood the journal. */
#define CONTAINER_LOG_INTERVAL_USEC (5U * 1000U * 1000U)
#define CONTAINER_LOG_BURST 20U

LogFields container_log_fields(const Container *c) {
        return (LogFields){
                .container_id = c->id,
                .policy = c->policy_name,
        };
}

Container *container_free(Container *c) {
        if (!c)
                return NULL;

        if (c->manager) {
                LIST_REMOVE(containers, c->manager->containers, c);
                c->manager->n_containers--;
        }
        /* Only once the worker is joined: it uses all of this. */
        sd_event_source_disable_unref(c->source);
        sd_event_source_disable_unref(c->kick_source);
        srd_listener_free(c->listener);
        srd_policy_unref(c->policy);
        (void) pthread_mutex_destroy(&c->policy_lock);
        (void) pthread_mutex_destroy(&c->last_lock);
        counters_done(&c->counters);
        free(c->last_syscall);
        free(c->last_written);
        free(c->last_resolved);
        free(c->last_rule);
        free(c->last_answer);
        free(c->id);
        free(c->policy_name);
        free(c);
        return NULL;
}

void container_repoint_policy(Container *c, const PolicySet *set) {
        SrdPolicy *p = policy_set_get(set, c->policy_name), *old = NULL;

        if (!p) {
                LogFields f = container_log_fields(c);

                /* Keep answering with what the container was started with. */
                if (c->fail_closed)
                        log_full(LOG_WARNING, 0, &f,
                                 "Container %s pid %d: policy \"%s\" still missing, every call it notifies "
                                 "stays denied.",
                                 c->id, (int) c->pid, c->policy_name);
                else
                        log_full(LOG_WARNING, 0, &f,
                                 "Container %s pid %d: policy \"%s\" no longer exists, keeping the old version.",
                                 c->id, (int) c->pid, c->policy_name);
                return;
        }
        if (c->fail_closed) {
                LogFields f = container_log_fields(c);

                log_full(LOG_NOTICE, 0, &f, "Container %s pid %d: policy \"%s\" is back, no longer failing closed.",
                         c->id, (int) c->pid, c->policy_name);
                c->fail_closed = false;
        }
        /* The worker holds its own reference to the old one until it has
         * taken the new one, at its next notification. */
        (void) pthread_mutex_lock(&c->policy_lock);
        if (p != c->policy) {
                old = c->policy;
                c->policy = srd_policy_ref(p);
                __atomic_store_n(&c->policy_gen, c->policy_gen + 1, __ATOMIC_RELEASE);
        }
        (void) pthread_mutex_unlock(&c->policy_lock);
        srd_policy_unref(old);
}

/* In the worker: the newest policy, taken only when a reload changed it. */
static void container_follow_policy(Container *c, SrdPolicy **policy, unsigned *gen) {
        SrdPolicy *p;

        if (*policy && __atomic_load_n(&c->policy_gen, __ATOMIC_ACQUIRE) == *gen)
                return;
        (void) pthread_mutex_lock(&c->policy_lock);
        p = srd_policy_ref(c->policy);
        *gen = c->policy_gen;
        (void) pthread_mutex_unlock(&c->policy_lock);
        srd_policy_unref(*policy);
        *policy = p;
}

static const char *action_name(SrdAction a) {
        const char *s = srd_action_to_string(a);
        return s ? s : "?";
}

static const char *event_rule_name(const SrdPolicy *p, const SrdEvent *ev) {
        switch (ev->verdict.rule) {
        case SRD_RULE_DEFAULT:
                return "defaultAction";
        case SRD_RULE_PATH_ERROR:
                return "pathError";
        case SRD_RULE_KERNEL:
                return "kernel";
        }
        return srd_policy_rule_name(p, (size_t) ev->verdict.rule) ?: "?";
}

/* "openat", "open/i386" (decoded to its native namesake), "syscall-5/i386". */
static const char *event_syscall_name(const SrdEvent *ev, char *buf, size_t size) {
        const char *name = ev->native_nr >= 0 ? srd_syscall_name(ev->native_nr) : NULL;
        bool native = ev->native_nr == ev->nr;

        if (name && native)
                return name;
        if (name)
                (void) snprintf(buf, size, "%s/arch-0x%08x", name, (unsigned) ev->arch);
        else
                (void) snprintf(buf, size, "syscall-%d/arch-0x%08x", ev->nr, (unsigned) ev->arch);
        return buf;
}

/* "errno EACCES", "redirect", "kill": what the call got. */
static void event_answer(const SrdEvent *ev, char *buf, size_t size) {
        if (ev->applied == SRD_ACTION_ERRNO)
                (void) snprintf(buf, size, "errno %s", srd_errno_to_string(ev->applied_error) ?: "?");
        else
                (void) snprintf(buf, size, "%s", action_name(ev->applied));
}

/* In the worker, with the policy it decided with. */
static void container_log_event(Container *c, const SrdPolicy *p, const SrdEvent *ev) {
        char sysbuf[64], what[64];
        const char *sysname, *rule, *w0, *w1, *w2;
        bool unplaced = ev->verdict.rule == SRD_RULE_PATH_ERROR || ev->verdict.rule == SRD_RULE_KERNEL;
        bool other_name;
        LogFields f;
        LogKind kind;
        int level;

        /* Each kind has its own budget (log.h): a flood of continued calls
         * cannot use up the lines of the calls an operator must see. */
        if (ev->fallback_reason) {
                level = LOG_WARNING;
                kind = LOG_KIND_FALLBACK;
        } else if (ev->verdict.rule == SRD_RULE_PATH_ERROR) {
                level = LOG_WARNING;
                kind = LOG_KIND_ERROR;
        } else if (ev->applied == SRD_ACTION_KILL) {
                level = LOG_NOTICE;
                kind = LOG_KIND_KILL;
        } else if (unplaced) {
                level = LOG_INFO;
                kind = LOG_KIND_ERROR;
        } else if (ev->verdict.log) {
                level = LOG_INFO;
                kind = LOG_KIND_RULE;
        } else {
                level = LOG_DEBUG;
                kind = LOG_KIND_DEBUG;
        }

        /* Filtered out anyway (nearly every call, at the default level):
         * neither look anything up, nor count it against the limit. */
        if (level > log_get_max_level())
                return;

        sysname = event_syscall_name(ev, sysbuf, sizeof(sysbuf));
        rule = event_rule_name(p, ev);
        /* Rules judged the resolved path; say what the task wrote too, when
         * that is another name for it (a link, "..", /proc/self/...). */
        other_name = ev->written[0][0] && !streq(ev->written[0], ev->path[0]);
        w0 = other_name ? " (written \"" : "";
        w1 = other_name ? ev->written[0] : "";
        w2 = other_name ? "\")" : "";
        f = container_log_fields(c);
        f.rule = rule;
        f.syscall = sysname;
        f.path = ev->path[0][0] ? ev->path[0] : NULL;
        f.action = action_name(ev->applied);
        if (!log_ratelimit_below_kind(&c->ratelimit, kind, &f))
                return;

        event_answer(ev, what, sizeof(what));

        if (ev->fallback_reason && ev->redirect_fallback)
                log_full(level, 0, &f,
                         "Container %s pid %d: %s(\"%s\"%s%s%s) matched rule \"%s\" (%s), applied "
                         "redirectFallback %s: %s.",
                         c->id, (int) ev->pid, sysname, ev->path[0], w0, w1, w2, rule,
                         action_name(ev->verdict.action), what, ev->fallback_reason);
        else if (ev->fallback_reason)
                /* The path last: a line is cut at 4 KiB, and a path may be that
                 * long, but the reason must survive. */
                log_full(level, 0, &f,
                         "Container %s pid %d: %s matched rule \"%s\" (%s), not carried out (%s), answered "
                         "%s; path \"%s\"%s%s%s.",
                         c->id, (int) ev->pid, sysname, rule, action_name(ev->verdict.action),
                         ev->fallback_reason, what, ev->path[0], w0, w1, w2);
        else if (unplaced)
                log_full(level, 0, &f,
                         "Container %s pid %d: %s(\"%s\"%s%s%s) cannot be placed (%s), applied %s: %s.",
                         c->id, (int) ev->pid, sysname, ev->path[0], w0, w1, w2,
                         ev->path_error_reason ?: "?", rule, what);
        else
                log_full(level, 0, &f, "Container %s pid %d: %s(\"%s\"%s%s%s) -> rule \"%s\": %s%s.", c->id,
                         (int) ev->pid, sysname, ev->path[0], w0, w1, w2, rule, what,
                         ev->pinned ? " (pinned)" : "");
}

static void replace_str(char **p, const char *s) {
        free(*p);
        *p = s ? strdup(s) : NULL;
}

/* For status: the path as written next to what the rules judged. */
static void container_note_decision(Container *c, const SrdPolicy *p, const SrdEvent *ev) {
        char sysbuf[64], what[64];
        const char *sysname;

        if (ev->applied == SRD_ACTION_CONTINUE)
                return;
        sysname = event_syscall_name(ev, sysbuf, sizeof(sysbuf));
        event_answer(ev, what, sizeof(what));

        pthread_mutex_lock(&c->last_lock);
        replace_str(&c->last_syscall, sysname);
        replace_str(&c->last_written, ev->written[0][0] ? ev->written[0] : NULL);
        replace_str(&c->last_resolved, ev->path[0][0] ? ev->path[0] : NULL);
        replace_str(&c->last_rule, event_rule_name(p, ev));
        replace_str(&c->last_answer, what);
        pthread_mutex_unlock(&c->last_lock);
}

static void add_str(json_object *o, const char *key, const char *s) {
        json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

json_object *container_last_decision(Container *c) {
        json_object *o = NULL;

        pthread_mutex_lock(&c->last_lock);
        if (c->last_syscall && (o = json_object_new_object())) {
                add_str(o, "syscall", c->last_syscall);
                add_str(o, "written", c->last_written);
                add_str(o, "resolved", c->last_resolved);
                add_str(o, "rule", c->last_rule);
                add_str(o, "answer", c->last_answer);
        }
        pthread_mutex_unlock(&c->last_lock);
        return o;
}

static void counter_add(uint64_t *counter) {
        __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

uint64_t container_n_notifications(const Container *c) {
        return __atomic_load_n(&c->n_notifications, __ATOMIC_RELAXED);
}

uint64_t container_busy_usec(const Container *c) {
        uint64_t since = __atomic_load_n(&c->busy_since_usec, __ATOMIC_RELAXED), now = now_monotonic_usec();

        return since > 0 && now > since ? now - since : 0;
}

/*
 * The task sees its answer before the worker has counted it: a status
 * asked for right after a call returned would miss that call. Wait a
 * little for workers on a notification to be done with it; one stuck in a
 * read of a hostile task's memory is not waited for long.
 */
void container_settle_all(Manager *m) {
        uint64_t deadline = now_monotonic_usec() + CONTAINER_SETTLE_USEC;

        LIST_FOREACH(containers, c, m->containers) {
                uint64_t since = __atomic_load_n(&c->busy_since_usec, __ATOMIC_ACQUIRE);

                while (since != 0 && now_monotonic_usec() < deadline &&
                       __atomic_load_n(&c->busy_since_usec, __ATOMIC_ACQUIRE) == since)
                        (void) usleep(50);
        }
}

int container_counters_total(Manager *m, Counters *ret) {
        int r;

        counters_init(ret);
        r = counters_merge(ret, &m->counters);
        LIST_FOREACH(containers, c, m->containers) {
                int k = counters_merge(ret, &c->counters);

                if (k < 0)
                        r = k;
        }
        return r;
}

static void wake_handler(int sig) {
        /* Nothing to do: being run ends the worker's RECV with EINTR. */
}

int container_setup_signals(void) {
        struct sigaction sa = {.sa_handler = wake_handler}; /* no SA_RESTART */
        sigset_t ss;

        sigemptyset(&sa.sa_mask);
        if (sigaction(CONTAINER_WAKE_SIGNAL, &sa, NULL) < 0)
                return -errno;
        /* Workers unblock it for themselves; the main thread never takes it. */
        sigemptyset(&ss);
        sigaddset(&ss, CONTAINER_WAKE_SIGNAL);
        return -pthread_sigmask(SIG_BLOCK, &ss, NULL);
}

/*
 * The worker: sleep in RECV, answer, repeat, until the listener hangs up,
 * fails, or the main thread asks it to stop. It never frees the container:
 * it hands the pointer back through reap_fd and the main thread joins it.
 */
static void *container_worker(void *userdata) {
        Container *c = userdata;
        SrdPolicy *policy = NULL;
        unsigned gen = 0;
        uint64_t start;
        bool answered;
        sigset_t ss;
        SrdEvent ev;
        /* Where the last deciding rule is counted: a loop hits the same
         * rule over and over, and then counting is a few stores. */
        struct {
                bool valid;
                unsigned gen;
                int rule;
                size_t index;
        } counted = {};
        int r;

        sigemptyset(&ss);
        sigaddset(&ss, CONTAINER_WAKE_SIGNAL);
        (void) pthread_sigmask(SIG_UNBLOCK, &ss, NULL);

        while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
                /* First what a killed daemon received and never answered: the
                 * task waits for it, and the kernel will not send it again. */
                if (c->resume) {
                        c->resume = false;
                        r = srd_listener_resume(c->listener, &ev);
                        if (r == 0 && ev.outcome == SRD_OUTCOME_RECEIVED) {
                                LogFields f = container_log_fields(c);

                                log_full(LOG_INFO, 0, &f,
                                         "Container %s pid %d: answering the notification of pid %d (syscall %d) "
                                         "the previous daemon received.",
                                         c->id, (int) c->pid, (int) ev.pid, ev.nr);
                        } else if (r == 0 && ev.outcome == SRD_OUTCOME_ANSWERED) {
                                LogFields f = container_log_fields(c);

                                log_full(LOG_WARNING, 0, &f,
                                         "Container %s pid %d: denied the notification of pid %d the previous "
                                         "daemon received: %s.",
                                         c->id, (int) c->pid, (int) ev.pid, ev.fallback_reason);
                                continue;
                        }
                } else
                        r = srd_listener_receive(c->listener, SRD_HANDLE_WAIT, &ev);
                if (r < 0) {
                        c->worker_error = r;
                        break;
                }
                if (ev.outcome == SRD_OUTCOME_HANGUP)
                        break;
                if (ev.outcome == SRD_OUTCOME_NONE) /* a signal: look at stop */
                        continue;
                counter_add(&c->n_notifications);
                if (ev.outcome == SRD_OUTCOME_TASK_GONE)
                        continue;

                /* Picked now, not before the sleep: a reload may have come. */
                container_follow_policy(c, &policy, &gen);
                start = now_monotonic_usec();
                __atomic_store_n(&c->busy_since_usec, start, __ATOMIC_RELAXED);
                /* The tests' window for a kill between receive and answer (busy in status meanwhile). */
                if (c->answer_delay_usec > 0)
                        (void) usleep((useconds_t) MIN(c->answer_delay_usec, (uint64_t) 60000000));
                r = srd_listener_answer(c->listener, policy, &ev);
                if (r < 0) {
                        __atomic_store_n(&c->busy_since_usec, 0, __ATOMIC_RELAXED);
                        c->worker_error = r;
                        break;
                }
                /* A successful kill usually reports the task gone: by our doing. */
                answered = ev.outcome == SRD_OUTCOME_ANSWERED ||
                           (ev.outcome == SRD_OUTCOME_TASK_GONE && ev.applied == SRD_ACTION_KILL);
                if (!counted.valid || counted.gen != gen || counted.rule != ev.verdict.rule) {
                        /* (gen, rule) names one rule of one policy version:
                         * the policy object could be freed and another one
                         * made at its address, a generation cannot repeat. */
                        counted.valid = counters_index(&c->counters, c->policy_name,
                                                       event_rule_name(policy, &ev), &counted.index) >= 0;
                        counted.gen = gen;
                        counted.rule = ev.verdict.rule;
                }
                if (counted.valid)
                        counters_note_at(&c->counters, counted.index, answered, ev.applied,
                                         ev.fallback_reason != NULL, now_monotonic_usec() - start);
                else
                        (void) counters_note(&c->counters, c->policy_name, event_rule_name(policy, &ev),
                                             answered, ev.applied, ev.fallback_reason != NULL,
                                             now_monotonic_usec() - start);
                if (answered) {
                        container_log_event(c, policy, &ev);
                        container_note_decision(c, policy, &ev);
                }
                /* Idle only once counted and noted: container_settle_all() waits for this. */
                __atomic_store_n(&c->busy_since_usec, 0, __ATOMIC_RELEASE);
        }

        srd_policy_unref(policy);
        /* A pointer is far below PIPE_BUF: written whole or not at all. */
        while (write(c->reap_fd, &c, sizeof(c)) < 0 && errno == EINTR)
                ;
        return NULL;
}

static int container_on_kick(sd_event_source *s, uint64_t usec, void *userdata) {
        Container *c = userdata;

        (void) pthread_kill(c->worker, CONTAINER_WAKE_SIGNAL);
        (void) sd_event_source_set_time_relative(s, CONTAINER_KICK_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/*
 * Ask the worker to go; it says so through reap_fd, container_reap() frees.
 * It may have been on its way into RECV, where the signal no longer reaches
 * it: with kick, a timer repeats the signal until it is done.
 */
static void container_stop(Container *c, bool kick) {
        int r;

        if (__atomic_exchange_n(&c->stop, true, __ATOMIC_ACQ_REL))
                return;
        if (!c->worker_started)
                return;
        (void) pthread_kill(c->worker, CONTAINER_WAKE_SIGNAL);
        if (!kick)
                return;
        r = sd_event_add_time_relative(c->manager->event, &c->kick_source, CLOCK_MONOTONIC,
                                       CONTAINER_KICK_USEC, 0, container_on_kick, c);
        if (r < 0) {
                LogFields f = container_log_fields(c);

                log_full(LOG_WARNING, r, &f, "Container %s pid %d: cannot arm the stop timer: %m", c->id,
                         (int) c->pid);
        }
}

/*
 * Since 6.6 a RECV sleeping on a filter whose last task is gone wakes up
 * (ENOENT, and poll says POLLHUP): the worker sees the hang-up itself.
 */
static bool recv_wakes_on_hangup(void) {
        static int cached = -1;
        struct utsname u;
        unsigned major = 0, minor = 0;

        if (cached >= 0)
                return cached;
        cached = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
                 (major > 6 || (major == 6 && minor >= 6));
        return cached;
}

/*
 * A listener hangs up when the last task using its filter is gone. Since 6.6
 * that also wakes the worker's RECV, older kernels need the signal.
 */
static int container_on_hangup(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        /* Level-triggered: it would fire on until the worker is done. */
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        container_stop(userdata, true);
        return 0;
}

static void container_reap(Container *c) {
        Manager *m = c->manager;
        LogFields f = container_log_fields(c);

        if (c->worker_started) {
                (void) pthread_join(c->worker, NULL);
                c->worker_started = false;
                (void) munmap(c->worker_stack, CONTAINER_GUARD + CONTAINER_WORKER_STACK);
                c->worker_stack = NULL;
        }

        log_ratelimit_flush(&c->ratelimit, &f);
        /* Gone for good (or its listener broke): nothing to take back after
         * a restart. When the daemon stops, everything stays for the next. */
        if (!m->stopping)
                container_unpersist(c);
        /* Its counts stay in the totals per policy and rule. */
        if (counters_merge(&m->counters, &c->counters) < 0)
                log_oom();
        if (c->worker_error < 0)
                log_full(LOG_ERR, c->worker_error, &f,
                         "Container %s pid %d: listener failed, dropping it: %m", c->id, (int) c->pid);
        else if (!m->stopping)
                log_full(LOG_INFO, 0, &f, "Container %s pid %d gone (%" PRIu64 " notifications).", c->id,
                         (int) c->pid, container_n_notifications(c));
        container_free(c);
        manager_update_status(m);
}

void container_reap_done(Manager *m) {
        Container *c;

        while (read(m->reap_fds[0], &c, sizeof(c)) == (ssize_t) sizeof(c))
                container_reap(c);
}

size_t container_stop_all(Manager *m, uint64_t timeout_usec) {
        uint64_t end = now_monotonic_usec() + timeout_usec;
        size_t stuck = 0;

        /* The event loop is done: this loop repeats the signals itself. */
        LIST_FOREACH(containers, c, m->containers) {
                container_stop(c, false);
        }

        for (;;) {
                struct pollfd pfd = {.fd = m->reap_fds[0], .events = POLLIN};
                bool running = false;

                container_reap_done(m);
                LIST_FOREACH(containers, i, m->containers) {
                        if (i->worker_started) {
                                running = true;
                                (void) pthread_kill(i->worker, CONTAINER_WAKE_SIGNAL);
                        }
                }
                if (!running)
                        break;
                if (now_monotonic_usec() >= end)
                        break;
                (void) poll(&pfd, 1, (int) (CONTAINER_KICK_USEC / 1000U));
        }

        /* Stuck in the kernel (a read of memory that never arrives): its
         * container stays allocated for it; the process exit ends it. */
        for (Container *c = m->containers, *next; c; c = next) {
                next = c->containers_next;
                if (!c->worker_started) {
                        container_free(c);
                        continue;
                }
                LIST_REMOVE(containers, m->containers, c);
                m->n_containers--;
                c->manager = NULL;
                stuck++;
        }
        if (stuck > 0)
                log_warning("%zu container workers did not stop in time, leaving them to the exit.", stuck);
        return stuck;
}

static int container_start_worker(Container *c) {
        pthread_attr_t attr;
        char name[16];
        void *stack;
        int r;

        stack = mmap(NULL, CONTAINER_GUARD + CONTAINER_WORKER_STACK, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (stack == MAP_FAILED)
                return -errno;
        if (mprotect((uint8_t *) stack + CONTAINER_GUARD, CONTAINER_WORKER_STACK, PROT_READ | PROT_WRITE) <
            0) {
                r = -errno;
                (void) munmap(stack, CONTAINER_GUARD + CONTAINER_WORKER_STACK);
                return r;
        }

        r = pthread_attr_init(&attr);
        if (r == 0) {
                r = pthread_attr_setstack(&attr, (uint8_t *) stack + CONTAINER_GUARD,
                                          CONTAINER_WORKER_STACK);
                if (r == 0)
                        r = pthread_create(&c->worker, &attr, container_worker, c);
                (void) pthread_attr_destroy(&attr);
        }
        if (r != 0) {
                (void) munmap(stack, CONTAINER_GUARD + CONTAINER_WORKER_STACK);
                return -r;
        }
        c->worker_stack = stack;
        c->worker_started = true;

        /* For top -H and ps -L: which container a busy thread serves. */
        (void) snprintf(name, sizeof(name), "srd-%d", (int) c->pid);
        (void) pthread_setname_np(c->worker, name);
        return 0;
}

/*
 * Where the container's paths are named. From its bundle's rootfs where
 * the runtime names one: a task that chroot()s at once, before we look
 * (runc and crun go on once the listener is sent), is still named by the
 * container's names. A task whose root is not inside that rootfs is not
 * the bundle's container: -EXDEV, refused. Without a readable bundle,
 * the container's process's root as it is now.
 */
static int container_set_root(Container *c, const ContainerRecord *record) {
        _cleanup_close_ int rootfs = -EBADF;
        LogFields f = container_log_fields(c);
        int r;

        /* After a restart, the root it had at handover: the process may have moved since. */
        if (record->restored)
                return srd_listener_set_root_name(c->listener, record->root);
        if (record->bundle) {
                r = srd_bundle_open_rootfs(record->bundle, &rootfs);
                if (r >= 0) {
                        r = srd_listener_set_root_in(c->listener, record->pid, rootfs);
                        if (r == -EXDEV)
                                log_full(LOG_ERR, r, &f,
                                         "Container %s pid %d: its root is not inside its bundle's rootfs "
                                         "(%s); refused.",
                                         c->id, (int) record->pid, record->bundle);
                        else if (r < 0)
                                log_full(LOG_ERR, r, &f,
                                         "Container %s pid %d: cannot find its bundle's rootfs from its "
                                         "root (%m); refused.",
                                         c->id, (int) record->pid);
                        return r == -ESRCH ? r : (r < 0 ? -EXDEV : 0);
                }
                log_full(LOG_WARNING, r, &f,
                         "Container %s pid %d: cannot read the rootfs of bundle %s (%m); its root is taken "
                         "from its process now.",
                         c->id, (int) record->pid, record->bundle);
        }
        /* The container's root now, before its tasks can chroot further in. */
        r = srd_listener_set_root_of(c->listener, record->pid);
        if (r < 0)
                log_full(LOG_WARNING, r, &f,
                         "Container %s pid %d: cannot read its root (%m); paths are named in each task's own "
                         "root.",
                         c->id, (int) record->pid);
        return 0;
}

static bool policy_has_path_rules(const SrdPolicy *p) {
        _cleanup_free_ int *nrs = NULL;
        size_t n = 0;

        if (srd_policy_syscalls(p, &nrs, &n) < 0)
                return true; /* cannot tell: say what the profile lets through */
        for (size_t i = 0; i < n; i++)
                if (srd_policy_has_path_rule(p, nrs[i]))
                        return true;
        return false;
}

/*
 * The daemon judges only what the runtime's profile notifies. Where that
 * profile lets io_uring or open_by_handle_at run, a task reaches files
 * with no path the policy's rules see: the operator hears of it once, at
 * handover (seccomp-redirectd.policy(5), SECURITY MODEL).
 */
static void container_warn_unjudged(Container *c, const ContainerRecord *record) {
        _cleanup_free_ char *names = NULL;
        LogFields f = container_log_fields(c);
        int r;

        if (!record->bundle || record->restored || !policy_has_path_rules(c->policy))
                return;
        r = srd_bundle_unjudged(record->bundle, &names);
        if (r < 0)
                log_full(LOG_DEBUG, r, &f, "Container %s: cannot read the seccomp profile of bundle %s (%m).",
                         c->id, record->bundle);
        else if (names)
                log_full(LOG_WARNING, 0, &f,
                         "Container %s pid %d: its seccomp profile lets %s run without notifying the daemon: "
                         "io_uring's opens and files opened by handle have no path policy \"%s\" can judge. "
                         "Refuse them in the profile.",
                         c->id, (int) c->pid, names, c->policy_name);
}

int container_new_from_record(Manager *m, int fd, const ContainerRecord *record, Container **ret) {
        _cleanup_(container_freep) Container *c = NULL;
        SrdPolicy *p;
        char description[128];
        int r;

        p = policy_set_get(m->policies, record->policy);
        /* Taken back after a restart with its policy gone: deny, never continue. */
        if (!p && record->restored)
                p = m->fail_closed_policy;
        if (!p) {
                safe_close(fd);
                return -ENOENT;
        }

        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->pid = record->pid;
        c->slot = STATE_NO_SLOT;
        c->reap_fd = m->reap_fds[1];
        (void) pthread_mutex_init(&c->policy_lock, NULL);
        (void) pthread_mutex_init(&c->last_lock, NULL);
        counters_init(&c->counters);
        c->ratelimit = RATELIMIT_INIT(CONTAINER_LOG_INTERVAL_USEC, CONTAINER_LOG_BURST);
        c->id = strdup(record->id ?: "unknown");
        c->policy_name = strdup(record->policy);
        if (!c->id || !c->policy_name) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->policy = srd_policy_ref(p);
        c->fail_closed = p == m->fail_closed_policy;
        c->answer_delay_usec = m->answer_delay_usec;

        r = srd_listener_new(fd, &c->listener); /* takes fd, on failure too */
        if (r < 0)
                return r;
        r = srd_listener_set_arena_size(c->listener, m->arena_size);
        if (r < 0)
                return r;
        r = srd_listener_set_id(c->listener, record->id); /* not c->id: "unknown" would be one file for all */
        if (r < 0)
                return r;
        r = container_set_root(c, record);
        if (r < 0)
                return r;
        container_warn_unjudged(c, record);
        if (m->plain_continue)
                (void) srd_listener_set_pinned_continue(c->listener, false);
        if (m->trust_in_flight)
                (void) srd_listener_set_check_resumed(c->listener, false);

        /* No EPOLLIN: that is the worker's. Hang-ups are always reported.
         * Where RECV itself wakes on a hang-up, the worker sees it and no
         * watch is needed: one fewer waiter woken on every notification. */
        if (!recv_wakes_on_hangup()) {
                r = sd_event_add_io(m->event, &c->source, srd_listener_fd(c->listener), 0, container_on_hangup,
                                    c);
                if (r < 0)
                        return r;
                (void) snprintf(description, sizeof(description), "container-%s-%d", c->id, (int) c->pid);
                (void) sd_event_source_set_description(c->source, description);
        }

        c->manager = m;
        LIST_PREPEND(containers, m->containers, c);
        m->n_containers++;

        /* Before the worker runs: it receives into the slot this maps. */
        container_persist(c, record);

        r = container_start_worker(c);
        if (r < 0) {
                container_unpersist(c);
                return r;
        }

        if (ret)
                *ret = c;
        TAKE_PTR(c);
        return 0;
}
