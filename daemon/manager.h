/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "counters.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "seccomp-redirect.h"

typedef struct AgentConn AgentConn;
typedef struct Container Container;
typedef struct ControlConn ControlConn;
typedef struct InitConn InitConn;

/* The loaded policies, by name. Owns one reference on each. */
typedef struct PolicySet {
        SrdPolicy **policies;
        size_t n;
} PolicySet;

PolicySet *policy_set_free(PolicySet *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicySet *, policy_set_free);
SrdPolicy *policy_set_get(const PolicySet *s, const char *name);

/*
 * Load every *.json in dir. On failure, every diagnostic has been logged
 * and *ret_error says what went wrong in one line (for STATUS= and the
 * control socket). Returns 0, -EINVAL (a bad policy, duplicate names) or the
 * errno of reading the directory.
 */
int policy_set_load(const char *dir, PolicySet **ret, char **ret_error);

typedef struct ManagerConfig {
        const char *listen_path; /* --listen, NULL: socket activation */
        const char *policy_dir;
        const char *default_policy;
        const char *control_path; /* NULL: disabled */
        uid_t *allow_uids; /* besides root */
        size_t n_allow_uids;
        size_t arena_size; /* 0: the library's default */
        bool plain_continue; /* --unsafe-plain-continue: the tests' negative control */
        /* Agent socket limits, 0: the default (AGENT_* below). */
        size_t max_agent_conns;
        size_t max_handoff_size;
        size_t max_handoff_memory;
        uint64_t handoff_timeout_usec;
        /* Bit (1 << SrdPolicySource) per source that may choose a policy; 0: none may. */
        unsigned policy_sources;
        const char *init_dir; /* --init-dir: the init socket and its tokens, NULL: none */
        const char *state_dir; /* --state-dir, NULL: the default, "none": off */
        bool forget_in_flight; /* --unsafe-forget-in-flight: the tests' negative control */
        bool trust_in_flight; /* --unsafe-trust-in-flight: the same for the record's check */
        uint64_t answer_delay_usec; /* --unsafe-test-answer-delay */
} ManagerConfig;

#define STATE_DIR_DEFAULT "/run/seccomp-redirectd/state"

/* A listener systemd gave back from its fd store, until it is rebuilt. */
typedef struct StoredFd {
        int fd;
        char *name;
} StoredFd;

#define AGENT_MAX_CONNS_DEFAULT 64U
#define AGENT_MAX_HANDOFF_SIZE_DEFAULT (1024U * 1024U)
#define AGENT_MAX_HANDOFF_MEMORY_DEFAULT (16U * 1024U * 1024U)
#define AGENT_HANDOFF_TIMEOUT_USEC_DEFAULT (5U * 1000U * 1000U)
#define POLICY_SOURCES_DEFAULT (1U << SRD_POLICY_SOURCE_METADATA)

typedef struct Manager {
        sd_event *event;

        int agent_fd;
        sd_event_source *agent_source;
        char *agent_path; /* bound by us: unlinked on exit if still ours */
        dev_t agent_dev;
        ino_t agent_ino;
        int agent_lock_fd; /* flock on agent_path.lock (also for sockets from systemd) */

        int control_fd;
        sd_event_source *control_source;
        char *control_path; /* bound by us: unlinked on exit if still ours */
        dev_t control_dev;
        ino_t control_ino;
        int control_lock_fd;

        /* --init-dir: seccomp-redirect-init's socket (any uid; tokens decide) */
        int init_fd;
        sd_event_source *init_source;
        char *init_path;
        dev_t init_dev;
        ino_t init_ino;
        int init_lock_fd;
        int init_tokens_fd; /* DIR/tokens, 0700: written by seccomp-redirect-oci */
        InitConn *init_conns;
        size_t n_init_conns;

        sd_event_source *sigterm_source, *sigint_source, *sighup_source;
        sd_event_source *status_source; /* coalesced STATUS= updates */
        sd_event_source *watchdog_source;
        uint64_t watchdog_usec;

        char *policy_dir;
        char *default_policy;
        uid_t *allow_uids;
        size_t n_allow_uids;
        size_t arena_size;
        bool plain_continue;
        unsigned policy_sources;

        size_t max_agent_conns, max_handoff_size, max_handoff_memory;
        uint64_t handoff_timeout_usec;
        size_t n_agent_conns;
        size_t agent_bytes; /* held by the readers of agent_conns */
        RateLimit agent_ratelimit;
        sd_event_source *trim_source; /* malloc_trim() soon after connections went */

        PolicySet *policies;
        bool reload_ok;
        char *reload_error;

        /* Workers that are done write their Container pointer here. */
        int reap_fds[2];
        sd_event_source *reap_source;

        AgentConn *agent_conns;
        ControlConn *control_conns;
        Container *containers;
        size_t n_containers;

        /* Restarts (persist.c): the state directory (-EBADF: not persisting),
         * the listeners from the fd store until they are rebuilt, and the
         * policy that answers for one whose policy is gone. */
        int state_fd;
        char *state_dir;
        StoredFd *stored;
        size_t n_stored;
        SrdPolicy *fail_closed_policy;
        /* The in-flight file, mapped shared: a slot of STATE_SLOT_SIZE bytes
         * per container, which its worker receives into. */
        uint8_t *inflight;
        bool *slot_used;
        bool forget_in_flight;
        bool trust_in_flight;
        uint64_t answer_delay_usec;

        Counters counters; /* of the containers gone (container_counters_total() for all) */
        uint64_t handoffs_refused;
        uint64_t handoffs_accepted;
        bool stopping;
} Manager;

int manager_new(const ManagerConfig *config, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Bind or adopt sockets and load policies: everything that may fail at startup. */
int manager_startup(Manager *m, const ManagerConfig *config);
int manager_run(Manager *m);
int manager_reload(Manager *m);

/* May peer uid talk to us? root always, others only when allowed. */
bool manager_uid_allowed(const Manager *m, uid_t uid);
/* Bookkeeping of refused handoffs, with the reason logged by the caller. */
void manager_count_refused(Manager *m);
/* Give freed heap memory back to the system, at most every MANAGER_TRIM_DELAY_USEC. */
void manager_schedule_trim(Manager *m);
/* Rate limit of the agent socket's refusal messages. */
bool manager_agent_log_allowed(Manager *m);
void manager_update_status(Manager *m);

/* sockets.c: bind or adopt the agent and control sockets, under their locks */
int manager_adopt_sockets(Manager *m, const char *listen_path, const char *control_path);
/* Close them, and remove the ones this daemon bound that are still its own. */
void manager_release_sockets(Manager *m);

/* persist.c */
int manager_open_state_dir(Manager *m, const char *dir);
/* Rebuild every container whose listener came back from the fd store. */
int manager_restore_containers(Manager *m);
/* A listener-* fd from LISTEN_FDS: kept for manager_restore_containers(). */
int manager_keep_stored_fd(Manager *m, int fd, const char *name);
/* Once no listener receives into the in-flight file any more. */
void manager_unmap_inflight(Manager *m);

/* agent-conn.c */
int agent_conn_accept(Manager *m);
AgentConn *agent_conn_free(AgentConn *c);

/* sockets.c: --init-dir */
int manager_bind_init_socket(Manager *m, const char *dir);

/* init-conn.c */
int init_conn_accept(Manager *m);
InitConn *init_conn_free(InitConn *c);

/* control.c */
int control_conn_accept(Manager *m);
ControlConn *control_conn_free(ControlConn *c);
/* The JSON document of the control protocol, malloc'd. */
int control_format_status(Manager *m, char **ret);
/* metrics.c: the OpenMetrics text exposition, malloc'd. */
int control_format_metrics(Manager *m, char **ret);
