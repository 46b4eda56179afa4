/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control socket: one line in ("status", "reload", "metrics"), one
 * document out (JSON; OpenMetrics text for "metrics"), close.
 * Both directions are non-blocking with a timeout, so a client that never
 * reads or never writes cannot stall the containers.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>

#include "config.h"

#include "container.h"
#include "log.h"
#include "manager.h"

#define CONTROL_TIMEOUT_USEC (5U * 1000U * 1000U)
#define CONTROL_LINE_MAX 256

struct ControlConn {
        Manager *manager;
        LIST_FIELDS(ControlConn, conns);

        int fd;
        pid_t peer_pid;
        char line[CONTROL_LINE_MAX];
        size_t line_len;

        char *out;
        size_t out_len, out_done;

        sd_event_source *io_source;
        sd_event_source *timer_source;
};

ControlConn *control_conn_free(ControlConn *c) {
        if (!c)
                return NULL;

        if (c->manager)
                LIST_REMOVE(conns, c->manager->control_conns, c);
        sd_event_source_disable_unref(c->io_source);
        sd_event_source_disable_unref(c->timer_source);
        safe_close(c->fd);
        free(c->out);
        free(c);
        /* A status reply for many containers is a burst of small json-c
         * allocations (about 2 KiB per container) that malloc would keep;
         * replies are rare, so give the memory back now. */
        (void) malloc_trim(0);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ControlConn *, control_conn_free);

static uint64_t total_hits(Counters *totals, const char *policy, const char *rule) {
        RuleCounter *e = counters_find(totals, policy, rule, false);

        return e ? e->hits : 0;
}

/* Hits from the daemon's own counts: they survive reloads and containers. */
static json_object *status_policy(SrdPolicy *p, Counters *totals) {
        json_object *o = json_object_new_object(), *rules = json_object_new_array();
        const char *name = srd_policy_name(p) ?: "";

        if (!o || !rules) {
                json_object_put(o);
                json_object_put(rules);
                return NULL;
        }
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "file", json_object_new_string(srd_policy_file(p) ?: ""));
        for (size_t i = 0; i < srd_policy_n_rules(p); i++) {
                json_object *r = json_object_new_object();
                const char *rule = srd_policy_rule_name(p, i) ?: "";

                if (!r)
                        break;
                json_object_object_add(r, "name", json_object_new_string(rule));
                json_object_object_add(r, "hits", json_object_new_uint64(total_hits(totals, name, rule)));
                json_object_array_add(rules, r);
        }
        json_object_object_add(o, "rules", rules);
        json_object_object_add(o, "defaultHits",
                               json_object_new_uint64(total_hits(totals, name, "defaultAction")));
        json_object_object_add(o, "pathErrorHits",
                               json_object_new_uint64(total_hits(totals, name, "pathError")));
        return o;
}

static json_object *answers_object(const uint64_t answers[static _SRD_ACTION_MAX]) {
        json_object *o = json_object_new_object();

        for (SrdAction a = 0; o && a < _SRD_ACTION_MAX; a++)
                json_object_object_add(o, srd_action_to_string(a) ?: "?",
                                       json_object_new_uint64(answers[a]));
        return o;
}

/* The container's counts by rule (in the order first hit) and by answer. */
static void status_container_counters(Container *c, json_object *o) {
        json_object *rules = json_object_new_array(), *suppressed = json_object_new_object();
        uint64_t answers[_SRD_ACTION_MAX] = {};

        (void) pthread_mutex_lock(&c->counters.lock);
        for (size_t i = 0; rules && i < c->counters.n_rules; i++) {
                const RuleCounter *e = &c->counters.rules[i];
                json_object *r = json_object_new_object();

                for (size_t a = 0; a < _SRD_ACTION_MAX; a++)
                        answers[a] += e->answers[a];
                if (!r)
                        continue;
                json_object_object_add(r, "name", json_object_new_string(e->rule));
                json_object_object_add(r, "hits", json_object_new_uint64(e->hits));
                json_object_object_add(r, "answers", answers_object(e->answers));
                json_object_object_add(r, "fallbacks", json_object_new_uint64(e->fallbacks));
                json_object_array_add(rules, r);
        }
        (void) pthread_mutex_unlock(&c->counters.lock);
        json_object_object_add(o, "answers", answers_object(answers));
        json_object_object_add(o, "rules", rules);

        for (LogKind k = 0; suppressed && k < _LOG_KIND_MAX; k++)
                json_object_object_add(suppressed, log_kind_to_string(k),
                                       json_object_new_uint64(log_ratelimit_suppressed(&c->ratelimit, k)));
        json_object_object_add(o, "logSuppressed", suppressed);
}

static json_object *status_container(Container *c) {
        json_object *o = json_object_new_object();
        SrdListenerStats st;

        if (!o)
                return NULL;
        json_object_object_add(o, "id", json_object_new_string(c->id));
        json_object_object_add(o, "pid", json_object_new_int64(c->pid));
        json_object_object_add(o, "policy", json_object_new_string(c->policy_name));
        /* Its policy was missing when a restart took it back: every notified call is denied. */
        json_object_object_add(o, "failClosed", json_object_new_boolean(c->fail_closed));
        /* Kept in systemd's fd store and the state directory: survives a restart. */
        json_object_object_add(o, "persisted", json_object_new_boolean(c->key[0] != 0));
        json_object_object_add(
                o, "redirect",
                json_object_new_string(
                        srd_redirect_support_to_string(srd_listener_redirect_support(c->listener)) ?: "?"));
        /* "advisory": the listener cannot pin a continue, so the task can
         * change a path after its check (seccomp-redirectd.policy(5)). */
        json_object_object_add(o, "pathRules",
                               json_object_new_string(srd_listener_path_rules_enforced(c->listener)
                                                              ? "enforced"
                                                              : "advisory"));
        json_object_object_add(o, "notifications", json_object_new_uint64(container_n_notifications(c)));
        json_object_object_add(o, "lastDecision", container_last_decision(c));
        json_object_object_add(o, "busyMs", json_object_new_uint64(container_busy_usec(c) / 1000));
        status_container_counters(c, o);
        if (srd_listener_get_stats(c->listener, &st) >= 0) {
                json_object_object_add(o, "redirects", json_object_new_uint64(st.redirects));
                json_object_object_add(o, "redirectFallbacks", json_object_new_uint64(st.fallbacks));
                json_object_object_add(o, "pins", json_object_new_uint64(st.pins));
                json_object_object_add(o, "arenaUsed", json_object_new_uint64(st.arena_used));
                json_object_object_add(o, "arenaSize", json_object_new_uint64(st.arena_size));
        }
        return o;
}

int control_format_status(Manager *m, char **ret) {
        json_object *root, *policies, *containers, *reload;
        Counters totals;
        char *s;

        root = json_object_new_object();
        if (!root)
                return -ENOMEM;
        container_settle_all(m);
        if (container_counters_total(m, &totals) < 0) {
                counters_done(&totals);
                json_object_put(root);
                return -ENOMEM;
        }

        json_object_object_add(root, "version", json_object_new_string(PACKAGE_VERSION));

        policies = json_object_new_array();
        json_object_object_add(root, "policies", policies);
        for (size_t i = 0; m->policies && i < m->policies->n; i++)
                json_object_array_add(policies, status_policy(m->policies->policies[i], &totals));
        counters_done(&totals);

        containers = json_object_new_array();
        json_object_object_add(root, "containers", containers);
        LIST_FOREACH(containers, c, m->containers)
        json_object_array_add(containers, status_container(c));

        reload = json_object_new_object();
        json_object_object_add(root, "reload", reload);
        json_object_object_add(reload, "ok", json_object_new_boolean(m->reload_ok));
        if (!m->reload_ok && m->reload_error)
                json_object_object_add(reload, "error", json_object_new_string(m->reload_error));

        json_object_object_add(root, "handoffsRefused", json_object_new_uint64(m->handoffs_refused));
        json_object_object_add(root, "agentConnections", json_object_new_uint64(m->n_agent_conns));
        json_object_object_add(root, "agentBytesBuffered", json_object_new_uint64(m->agent_bytes));

        if (asprintf(&s, "%s\n",
                     json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE)) < 0) {
                json_object_put(root);
                return -ENOMEM;
        }
        json_object_put(root);
        *ret = s;
        return 0;
}

/* {"reload":{"ok":true,"policies":3}} or {"reload":{"ok":false,"error":"..."}} */
static int control_format_reload(Manager *m, char **ret) {
        json_object *root = json_object_new_object(), *reload = json_object_new_object();
        char *s;

        if (!root || !reload) {
                json_object_put(root);
                json_object_put(reload);
                return -ENOMEM;
        }
        json_object_object_add(root, "reload", reload);
        json_object_object_add(reload, "ok", json_object_new_boolean(m->reload_ok));
        if (!m->reload_ok)
                json_object_object_add(reload, "error",
                                       json_object_new_string(m->reload_error ?: "unknown error"));
        json_object_object_add(reload, "policies", json_object_new_uint64(m->policies ? m->policies->n : 0));
        if (asprintf(&s, "%s\n",
                     json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE)) < 0) {
                json_object_put(root);
                return -ENOMEM;
        }
        json_object_put(root);
        *ret = s;
        return 0;
}

static int control_conn_answer(ControlConn *c) {
        int r;

        /* The command is the line without its newline (and a CR, for netcat users). */
        c->line[strcspn(c->line, "\r\n")] = 0;
        if (streq(c->line, "status")) {
                r = control_format_status(c->manager, &c->out);
                if (r < 0)
                        return r;
        } else if (streq(c->line, "reload")) {
                log_info("Reload requested by control client pid %d.", (int) c->peer_pid);
                (void) manager_reload(c->manager);
                r = control_format_reload(c->manager, &c->out);
                if (r < 0)
                        return r;
        } else if (streq(c->line, "metrics")) {
                r = control_format_metrics(c->manager, &c->out);
                if (r < 0)
                        return r;
        } else {
                log_debug("Control client pid %d sent unknown command \"%s\".", (int) c->peer_pid, c->line);
                c->out = strdup("{\"error\":\"unknown command\"}\n");
                if (!c->out)
                        return -ENOMEM;
        }
        c->out_len = strlen(c->out);

        (void) shutdown(c->fd, SHUT_RD);
        return sd_event_source_set_io_events(c->io_source, EPOLLOUT);
}

static int control_conn_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ControlConn *c = userdata;
        ssize_t n;
        int r;

        if (!c->out) {
                n = recv(c->fd, c->line + c->line_len, sizeof(c->line) - 1 - c->line_len, 0);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        log_debug_errno(errno, "Control connection from pid %d failed: %m",
                                        (int) c->peer_pid);
                        goto done;
                }
                c->line_len += (size_t) n;
                c->line[c->line_len] = 0;
                /* A line, EOF, or a full buffer: answer what we got. */
                if (n > 0 && !strchr(c->line, '\n') && c->line_len < sizeof(c->line) - 1)
                        return 0;
                r = control_conn_answer(c);
                if (r < 0) {
                        log_warning_errno(r, "Failed to answer control connection from pid %d: %m",
                                          (int) c->peer_pid);
                        goto done;
                }
                return 0;
        }

        n = send(c->fd, c->out + c->out_done, c->out_len - c->out_done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                log_debug_errno(errno, "Control connection from pid %d failed: %m", (int) c->peer_pid);
                goto done;
        }
        c->out_done += (size_t) n;
        if (c->out_done < c->out_len)
                return 0;
done:
        control_conn_free(c);
        return 0;
}

static int control_conn_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ControlConn *c = userdata;

        log_warning("Control connection from pid %d timed out, dropping it.", (int) c->peer_pid);
        control_conn_free(c);
        return 0;
}

int control_conn_accept(Manager *m) {
        _cleanup_(control_conn_freep) ControlConn *c = NULL;
        struct ucred cred = {};
        socklen_t len = sizeof(cred);
        int fd, r;

        fd = accept4(m->control_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        log_warning_errno(errno, "Failed to accept control connection: %m");
                return 0;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                safe_close(fd);
                return log_warning_errno(errno, "Failed to get control peer credentials: %m");
        }
        if (!manager_uid_allowed(m, cred.uid)) {
                log_warning("Refusing control connection from pid %d uid %u: uid not allowed.",
                            (int) cred.pid, (unsigned) cred.uid);
                safe_close(fd);
                return 0;
        }

        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return log_oom();
        }
        c->fd = fd;
        c->peer_pid = cred.pid;

        r = sd_event_add_io(m->event, &c->io_source, c->fd, EPOLLIN, control_conn_on_io, c);
        if (r < 0)
                return log_error_errno(r, "Failed to watch control connection: %m");
        (void) sd_event_source_set_description(c->io_source, "control-conn");

        r = sd_event_add_time_relative(m->event, &c->timer_source, CLOCK_MONOTONIC, CONTROL_TIMEOUT_USEC, 0,
                                       control_conn_on_timeout, c);
        if (r < 0)
                return log_error_errno(r, "Failed to arm control connection timeout: %m");
        (void) sd_event_source_set_description(c->timer_source, "control-conn-timeout");

        c->manager = m;
        LIST_PREPEND(conns, m->control_conns, c);
        TAKE_PTR(c);
        return 0;
}
