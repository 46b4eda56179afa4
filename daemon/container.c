/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "container.h"
#include "log.h"

/* Notifications answered per wake-up: enough to drain a burst, small enough
 * that one busy container cannot starve the others (sd-event goes round). */

/* 20 log lines per 5 s per container: a looping workload cannot flood the journal. */
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
        sd_event_source_disable_unref(c->source);
        srd_listener_free(c->listener);
        srd_policy_unref(c->policy);
        free(c->id);
        free(c->policy_name);
        free(c);
        return NULL;
}

void container_repoint_policy(Container *c, const PolicySet *set) {
        SrdPolicy *p = policy_set_get(set, c->policy_name);

        if (!p) {
                LogFields f = container_log_fields(c);

                /* Keep answering with what the container was started with. */
                log_full(LOG_WARNING, 0, &f,
                         "Container %s pid %d: policy \"%s\" no longer exists, keeping the old version.",
                         c->id, (int) c->pid, c->policy_name);
                return;
        }
        if (p == c->policy)
                return;

        srd_policy_unref(c->policy);
        c->policy = srd_policy_ref(p);
}

static const char *action_name(SrdAction a) {
        const char *s = srd_action_to_string(a);
        return s ? s : "?";
}

static const char *event_rule_name(const Container *c, const SrdEvent *ev) {
        if (ev->verdict.rule < 0)
                return "defaultAction";
        return srd_policy_rule_name(c->policy, (size_t) ev->verdict.rule) ?: "?";
}

static void container_log_event(Container *c, const SrdEvent *ev) {
        const char *sysname = srd_syscall_name(ev->nr);
        char sysbuf[32], what[64];
        LogFields f = container_log_fields(c);
        const char *rule = event_rule_name(c, ev);
        int level;

        if (!sysname) {
                (void) snprintf(sysbuf, sizeof(sysbuf), "syscall-%d", ev->nr);
                sysname = sysbuf;
        }

        if (ev->fallback_reason)
                level = LOG_WARNING;
        else if (ev->applied == SRD_ACTION_KILL)
                level = LOG_NOTICE;
        else if (ev->verdict.log)
                level = LOG_INFO;
        else
                level = LOG_DEBUG;

        /* Filtered out anyway: neither format nor count it against the limit. */
        if (level > log_get_max_level())
                return;

        f.rule = rule;
        f.syscall = sysname;
        f.path = ev->path[0][0] ? ev->path[0] : NULL;
        f.action = action_name(ev->applied);
        if (!log_ratelimit_below(&c->ratelimit, &f))
                return;

        if (ev->applied == SRD_ACTION_ERRNO)
                (void) snprintf(what, sizeof(what), "errno %s",
                                srd_errno_to_string(ev->applied_error) ?: "?");
        else
                (void) snprintf(what, sizeof(what), "%s", action_name(ev->applied));

        if (ev->fallback_reason)
                log_full(level, 0, &f,
                         "Container %s pid %d: %s(\"%s\") matched rule \"%s\" (%s), applied "
                         "redirectFallback %s: %s.",
                         c->id, (int) ev->pid, sysname, ev->path[0], rule, action_name(ev->verdict.action),
                         what, ev->fallback_reason);
        else
                log_full(level, 0, &f, "Container %s pid %d: %s(\"%s\") -> rule \"%s\": %s.", c->id,
                         (int) ev->pid, sysname, ev->path[0], rule, what);
}

/*
 * One notification per wake-up: the source is level-triggered, so more that
 * are pending bring us straight back, after every other ready container had
 * its turn. Draining here would cost a poll per notification (to learn that
 * nothing is left) and let one busy container delay the rest.
 */
static int container_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Container *c = userdata;
        Manager *m = c->manager;
        SrdEvent ev;
        int r;

        if (revents & EPOLLIN) {
                r = srd_listener_handle(c->listener, c->policy, SRD_HANDLE_READY, &ev);
                if (r < 0) {
                        LogFields f = container_log_fields(c);

                        log_full(LOG_ERR, r, &f, "Container %s pid %d: listener failed, dropping it: %m", c->id,
                                 (int) c->pid);
                        container_free(c);
                        manager_update_status(m);
                        return 0;
                }
                if (ev.outcome != SRD_OUTCOME_NONE)
                        c->n_notifications++;
                if (ev.outcome == SRD_OUTCOME_TASK_GONE)
                        c->n_task_gone++;
                /* A successful kill usually reports the task gone: by our doing. */
                if (ev.outcome == SRD_OUTCOME_ANSWERED ||
                    (ev.outcome == SRD_OUTCOME_TASK_GONE && ev.applied == SRD_ACTION_KILL))
                        container_log_event(c, &ev);
                /* Pending notifications first; the hang-up is seen again after. */
                return 0;
        }

        /* A listener hangs up when the last task using the filter is gone. */
        if (revents & (EPOLLHUP | EPOLLERR)) {
                LogFields f = container_log_fields(c);

                log_ratelimit_flush(&c->ratelimit, &f);
                log_full(LOG_INFO, 0, &f, "Container %s pid %d gone (%" PRIu64 " notifications).", c->id,
                         (int) c->pid, c->n_notifications);
                container_free(c);
                manager_update_status(m);
        }
        return 0;
}

int container_new_from_record(Manager *m, int fd, const ContainerRecord *record, Container **ret) {
        _cleanup_(container_freep) Container *c = NULL;
        SrdPolicy *p;
        char description[128];
        int r;

        p = policy_set_get(m->policies, record->policy);
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
        c->ratelimit = RATELIMIT_INIT(CONTAINER_LOG_INTERVAL_USEC, CONTAINER_LOG_BURST);
        c->id = strdup(record->id ?: "unknown");
        c->policy_name = strdup(record->policy);
        if (!c->id || !c->policy_name) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->policy = srd_policy_ref(p);

        r = srd_listener_new(fd, &c->listener); /* takes fd, on failure too */
        if (r < 0)
                return r;
        r = srd_listener_set_arena_size(c->listener, m->arena_size);
        if (r < 0)
                return r;

        r = sd_event_add_io(m->event, &c->source, srd_listener_fd(c->listener), EPOLLIN, container_on_io, c);
        if (r < 0)
                return r;
        (void) snprintf(description, sizeof(description), "container-%s-%d", c->id, (int) c->pid);
        (void) sd_event_source_set_description(c->source, description);

        c->manager = m;
        LIST_PREPEND(containers, m->containers, c);
        m->n_containers++;

        if (ret)
                *ret = c;
        TAKE_PTR(c);
        return 0;
}
