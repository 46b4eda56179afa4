/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "container.h"
#include "log.h"
#include "manager.h"
#include "notify.h"

#define MANAGER_STATUS_INTERVAL_USEC (1U * 1000U * 1000U)
/* How long SIGTERM waits for the workers to leave their RECV. */
#define MANAGER_STOP_TIMEOUT_USEC (2U * 1000U * 1000U)
/* Agent connections that went give their memory back this long after the first of them. */
#define MANAGER_TRIM_DELAY_USEC (100U * 1000U)

bool manager_uid_allowed(const Manager *m, uid_t uid) {
        if (uid == 0)
                return true;
        for (size_t i = 0; i < m->n_allow_uids; i++)
                if (m->allow_uids[i] == uid)
                        return true;
        return false;
}

void manager_count_refused(Manager *m) {
        m->handoffs_refused++;
}

static int manager_on_trim(sd_event_source *s, uint64_t usec, void *userdata) {
        /* A parsed payload is a burst of small allocations all over the heap;
         * free() alone gives none of it back. */
        (void) malloc_trim(0);
        return 0;
}

void manager_schedule_trim(Manager *m) {
        int enabled = SD_EVENT_OFF;
        int r;

        if (!m->event || m->stopping)
                return;
        if (m->trim_source && sd_event_source_get_enabled(m->trim_source, &enabled) >= 0 &&
            enabled != SD_EVENT_OFF)
                return; /* one is coming */
        if (!m->trim_source) {
                r = sd_event_add_time_relative(m->event, &m->trim_source, CLOCK_MONOTONIC,
                                               MANAGER_TRIM_DELAY_USEC, 0, manager_on_trim, m);
                if (r < 0)
                        return;
                (void) sd_event_source_set_description(m->trim_source, "malloc-trim");
        } else {
                (void) sd_event_source_set_time_relative(m->trim_source, MANAGER_TRIM_DELAY_USEC);
        }
        (void) sd_event_source_set_enabled(m->trim_source, SD_EVENT_ONESHOT);
}

bool manager_agent_log_allowed(Manager *m) {
        static const LogFields f = {.container_id = "(agent socket)"};

        return log_ratelimit_below(&m->agent_ratelimit, &f);
}

/* The one-line STATUS= text: what `systemctl status` shows. */
static void manager_format_status(Manager *m, char *buf, size_t size) {
        size_t n_policies = m->policies ? m->policies->n : 0;

        if (!m->reload_ok)
                (void) snprintf(buf, size,
                                "reload failed: %s; supervising %zu container processes with %zu policies",
                                m->reload_error ?: "unknown error", m->n_containers, n_policies);
        else
                (void) snprintf(buf, size, "Supervising %zu container processes with %zu policies",
                                m->n_containers, n_policies);
}

static int manager_send_status(Manager *m, const char *prefix) {
        char status[512];

        manager_format_status(m, status, sizeof(status));
        return notify_send("%sSTATUS=%s", prefix, status);
}

static int manager_on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (!m->stopping)
                (void) manager_send_status(m, "");
        return 0;
}

/*
 * Containers come and go by the hundred: coalesce their STATUS= updates to
 * at most one per second instead of a message each.
 */
void manager_update_status(Manager *m) {
        int enabled = SD_EVENT_OFF, r;

        if (m->stopping || !m->status_source)
                return;
        (void) sd_event_source_get_enabled(m->status_source, &enabled);
        if (enabled != SD_EVENT_OFF)
                return;
        r = sd_event_source_set_time_relative(m->status_source, MANAGER_STATUS_INTERVAL_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->status_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_debug_errno(r, "Failed to schedule a status update: %m");
}

static int manager_on_watchdog(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int r;

        (void) notify_send("WATCHDOG=1");
        r = sd_event_source_set_time_relative(s, m->watchdog_usec / 2);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to re-arm the watchdog timer: %m");
        return 0;
}

static int manager_on_agent(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return agent_conn_accept(userdata);
}

static int manager_on_init(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return init_conn_accept(userdata);
}

static int manager_on_reap(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        container_reap_done(userdata);
        return 0;
}

static int manager_on_control(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        (void) control_conn_accept(userdata);
        return 0;
}

static void manager_stop(Manager *m, const char *why) {
        if (m->stopping)
                return;
        m->stopping = true;
        if (m->state_fd >= 0)
                log_info("Received %s, stopping: %zu container processes stay in the fd store for the next "
                         "start.",
                         why, m->n_containers);
        else
                log_info("Received %s, stopping: %zu container processes lose their supervisor.", why,
                         m->n_containers);
        (void) notify_send("STOPPING=1\nSTATUS=Stopping");
        /* No new handoffs while we go: the runtime then fails fast instead of queuing. */
        (void) sd_event_source_set_enabled(m->agent_source, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(m->init_source, SD_EVENT_OFF);
        (void) sd_event_exit(m->event, 0);
}

static int manager_on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        switch (si->ssi_signo) {
        case SIGHUP:
                (void) manager_reload(m);
                break;
        case SIGTERM:
                manager_stop(m, "SIGTERM");
                break;
        case SIGINT:
                manager_stop(m, "SIGINT");
                break;
        }
        return 0;
}

int manager_reload(Manager *m) {
        PolicySet *set = NULL;
        char *error = NULL;
        int r;

        /* MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match this reload to its request. */
        (void) notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading policies",
                           (unsigned long long) now_monotonic_usec());

        r = policy_set_load(m->policy_dir, &set, &error);
        if (r < 0) {
                free(m->reload_error);
                m->reload_error = error ?: strdup(strerror(-r));
                m->reload_ok = false;
                log_error("Reloading policies from %s failed, keeping the %zu policies loaded before: %s",
                          m->policy_dir, m->policies ? m->policies->n : 0, m->reload_error ?: "?");
        } else {
                PolicySet *old = m->policies;

                m->policies = set;
                LIST_FOREACH(containers, c, m->containers)
                container_repoint_policy(c, set);
                /* Containers hold their own references: the old set can go. */
                policy_set_free(old);
                m->reload_ok = true;
                free(m->reload_error);
                m->reload_error = NULL;
                log_info("Reloaded %zu policies from %s.", set->n, m->policy_dir);
        }

        (void) manager_send_status(m, "READY=1\n");
        return r;
}

int manager_new(const ManagerConfig *config, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->agent_fd = m->control_fd = -EBADF;
        m->agent_lock_fd = m->control_lock_fd = -EBADF;
        m->init_fd = m->init_lock_fd = m->init_tokens_fd = -EBADF;
        m->reap_fds[0] = m->reap_fds[1] = -EBADF;
        m->state_fd = -EBADF;
        m->reload_ok = true;
        m->forget_in_flight = config->forget_in_flight;
        m->trust_in_flight = config->trust_in_flight;
        m->answer_delay_usec = config->answer_delay_usec;

        /* Blocking for the workers' writes, non-blocking for our reads. */
        if (pipe2(m->reap_fds, O_CLOEXEC) < 0)
                return -errno;
        if (fcntl(m->reap_fds[0], F_SETFL, O_NONBLOCK) < 0)
                return -errno;

        /* Absolute, so that status and logs name files unambiguously; a missing dir fails later. */
        m->policy_dir = realpath(config->policy_dir, NULL) ?: strdup(config->policy_dir);
        if (!m->policy_dir)
                return -ENOMEM;
        if (config->default_policy) {
                m->default_policy = strdup(config->default_policy);
                if (!m->default_policy)
                        return -ENOMEM;
        }
        m->arena_size = config->arena_size ?: SRD_ARENA_SIZE_DEFAULT;
        m->plain_continue = config->plain_continue;
        m->policy_sources = config->policy_sources;
        m->max_agent_conns = config->max_agent_conns ?: AGENT_MAX_CONNS_DEFAULT;
        m->max_handoff_size = config->max_handoff_size ?: AGENT_MAX_HANDOFF_SIZE_DEFAULT;
        m->max_handoff_memory = config->max_handoff_memory ?: AGENT_MAX_HANDOFF_MEMORY_DEFAULT;
        m->handoff_timeout_usec = config->handoff_timeout_usec ?: AGENT_HANDOFF_TIMEOUT_USEC_DEFAULT;
        m->agent_ratelimit = RATELIMIT_INIT(1000000U, 20);
        if (config->n_allow_uids > 0) {
                m->allow_uids = calloc(config->n_allow_uids, sizeof(uid_t));
                if (!m->allow_uids)
                        return -ENOMEM;
                memcpy(m->allow_uids, config->allow_uids, config->n_allow_uids * sizeof(uid_t));
                m->n_allow_uids = config->n_allow_uids;
        }

        r = sd_event_new(&m->event);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

int manager_startup(Manager *m, const ManagerConfig *config) {
        _cleanup_free_ char *error = NULL;
        static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
        static const char *const sig_names[] = {"signal-term", "signal-int", "signal-hup"};
        sd_event_source **sig_sources[] = {&m->sigterm_source, &m->sigint_source, &m->sighup_source};
        const char *runtime_dir;
        int r;

        r = policy_set_load(m->policy_dir, &m->policies, &error);
        if (r < 0)
                return log_error_errno(EINVAL, "Invalid policy configuration in %s: %s", m->policy_dir,
                                       error ?: strerror(-r));
        if (m->default_policy && !policy_set_get(m->policies, m->default_policy))
                return log_error_errno(EINVAL, "--default-policy=%s: no policy of that name in %s.",
                                       m->default_policy, m->policy_dir);
        log_info("Loaded %zu policies from %s.", m->policies->n, m->policy_dir);

        /* Before the sockets: LISTEN_FDS also brings the listeners from the fd store. */
        /* systemd's RuntimeDirectory=, unless it names several (a ':'-separated list). */
        runtime_dir = getenv("RUNTIME_DIRECTORY");
        if (runtime_dir && (runtime_dir[0] != '/' || strchr(runtime_dir, ':')))
                runtime_dir = NULL;
        r = manager_open_state_dir(m, config->state_dir ?: runtime_dir ?: STATE_DIR_DEFAULT);
        if (r < 0)
                return r;

        r = manager_adopt_sockets(m, config->listen_path, config->control_path);
        if (r < 0)
                return r;

        if (config->init_dir) {
                r = manager_bind_init_socket(m, config->init_dir);
                if (r < 0)
                        return r;
        }

        r = container_setup_signals();
        if (r < 0)
                return log_error_errno(r, "Failed to set up the workers' wake-up signal: %m");
        r = sd_event_add_io(m->event, &m->reap_source, m->reap_fds[0], EPOLLIN, manager_on_reap, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the workers: %m");
        (void) sd_event_source_set_description(m->reap_source, "worker-reap");
        /* Decided now, before any worker thread logs. */
        (void) log_to_journal();

        /* Before READY=1 and before new handoffs: what the last daemon supervised comes first. */
        r = manager_restore_containers(m);
        if (r < 0)
                return r;

        r = sd_event_add_io(m->event, &m->agent_source, m->agent_fd, EPOLLIN, manager_on_agent, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the agent socket: %m");
        (void) sd_event_source_set_description(m->agent_source, "agent-socket");
        /* Read the connections we have before accepting more: under a flood,
         * a runtime's handoff already in is served, not dropped for room. */
        (void) sd_event_source_set_priority(m->agent_source, SD_EVENT_PRIORITY_NORMAL + 10);

        if (m->init_fd >= 0) {
                r = sd_event_add_io(m->event, &m->init_source, m->init_fd, EPOLLIN, manager_on_init, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the init socket: %m");
                (void) sd_event_source_set_description(m->init_source, "init-socket");
                (void) sd_event_source_set_priority(m->init_source, SD_EVENT_PRIORITY_NORMAL + 10);
        }

        if (m->control_fd >= 0) {
                r = sd_event_add_io(m->event, &m->control_source, m->control_fd, EPOLLIN, manager_on_control,
                                    m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch the control socket: %m");
                (void) sd_event_source_set_description(m->control_source, "control-socket");
        }

        /* Signals are blocked in main(); sd-event receives them through a signalfd. */
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
                r = sd_event_add_signal(m->event, sig_sources[i], sigs[i], manager_on_signal, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch signal %d: %m", sigs[i]);
                (void) sd_event_source_set_description(*sig_sources[i], sig_names[i]);
        }

        r = sd_event_add_time_relative(m->event, &m->status_source, CLOCK_MONOTONIC,
                                       MANAGER_STATUS_INTERVAL_USEC, 0, manager_on_status_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to create the status timer: %m");
        (void) sd_event_source_set_enabled(m->status_source, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->status_source, "status-update");

        /* Our own pings rather than sd_event_set_watchdog(): those go through the blocking sd_notify(). */
        r = sd_watchdog_enabled(false, &m->watchdog_usec);
        if (r < 0)
                log_warning_errno(r, "Ignoring invalid watchdog settings from the environment: %m");
        if (r > 0) {
                r = sd_event_add_time_relative(m->event, &m->watchdog_source, CLOCK_MONOTONIC,
                                               m->watchdog_usec / 2, 0, manager_on_watchdog, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to create the watchdog timer: %m");
                (void) sd_event_source_set_description(m->watchdog_source, "watchdog");
        }

        return 0;
}

int manager_run(Manager *m) {
        int r;

        (void) manager_send_status(m, "READY=1\n");
        log_info("Ready: agent socket %s%s%s.", m->agent_path ?: "from systemd",
                 m->control_fd >= 0 ? ", control socket " : "",
                 m->control_fd >= 0 ? (m->control_path ?: "from systemd") : "");

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}

Manager *manager_free(Manager *m) {
        size_t stuck;

        if (!m)
                return NULL;

        /* Before anything the workers might still use goes. */
        stuck = container_stop_all(m, MANAGER_STOP_TIMEOUT_USEC);
        while (m->agent_conns)
                agent_conn_free(m->agent_conns);
        while (m->control_conns)
                control_conn_free(m->control_conns);
        while (m->init_conns)
                init_conn_free(m->init_conns);

        sd_event_source_disable_unref(m->agent_source);
        sd_event_source_disable_unref(m->control_source);
        sd_event_source_disable_unref(m->init_source);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sighup_source);
        sd_event_source_disable_unref(m->status_source);
        sd_event_source_disable_unref(m->watchdog_source);
        sd_event_source_disable_unref(m->trim_source);
        sd_event_source_disable_unref(m->reap_source);
        safe_close(m->reap_fds[0]);
        if (stuck == 0) /* else a worker may yet write to it */
                safe_close(m->reap_fds[1]);
        manager_release_sockets(m);

        policy_set_free(m->policies);
        srd_policy_unref(m->fail_closed_policy);
        if (stuck == 0) /* else a stuck worker's listener may yet receive into it */
                manager_unmap_inflight(m);
        safe_close(m->state_fd);
        free(m->state_dir);
        for (size_t i = 0; i < m->n_stored; i++) {
                safe_close(m->stored[i].fd);
                free(m->stored[i].name);
        }
        free(m->stored);
        counters_done(&m->counters);
        free(m->reload_error);
        free(m->policy_dir);
        free(m->default_policy);
        free(m->allow_uids);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}
