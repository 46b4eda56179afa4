/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "metrics" answer of the control socket: the daemon's counters in the
 * OpenMetrics text format (version 1.0.0), for a scrape or, through
 * `seccomp-redirectctl metrics`, node_exporter's textfile collector.
 * Counts per policy and rule are the daemon's own (counters.h), so they
 * neither reset on a reload nor vanish with a container.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "counters.h"
#include "manager.h"

#define PREFIX "seccomp_redirectd_"

/* A label value: backslash, double quote and newline escaped, nothing else. */
static void put_label(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++)
                switch (*s) {
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                default:
                        fputc(*s, f);
                }
        fputc('"', f);
}

static void put_family(FILE *f, const char *name, const char *type, const char *unit, const char *help) {
        fprintf(f, "# TYPE " PREFIX "%s %s\n", name, type);
        if (unit)
                fprintf(f, "# UNIT " PREFIX "%s %s\n", name, unit);
        fprintf(f, "# HELP " PREFIX "%s %s\n", name, help);
}

/* Seconds from microseconds, as OpenMetrics wants them: "0.000025", "1.0". */
static void put_seconds(FILE *f, uint64_t usec) {
        char buf[64];
        size_t n;

        n = (size_t) snprintf(buf, sizeof(buf), "%" PRIu64 ".%06" PRIu64, usec / 1000000, usec % 1000000);
        while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
                buf[--n] = 0;
        fputs(buf, f);
}

static void put_rule_labels(FILE *f, const RuleCounter *e) {
        fputs("{policy=", f);
        put_label(f, e->policy);
        fputs(",rule=", f);
        put_label(f, e->rule);
}

static void put_counters(FILE *f, const Counters *t) {
        uint64_t cumulative = 0;

        put_family(f, "notifications", "counter", NULL,
                   "Notifications answered, by policy, deciding rule and the action applied.");
        for (size_t i = 0; i < t->n_rules; i++)
                for (SrdAction a = 0; a < _SRD_ACTION_MAX; a++) {
                        fputs(PREFIX "notifications_total", f);
                        put_rule_labels(f, &t->rules[i]);
                        fprintf(f, ",action=\"%s\"} %" PRIu64 "\n", srd_action_to_string(a) ?: "unknown",
                                t->rules[i].answers[a]);
                }

        put_family(f, "rule_hits", "counter", NULL,
                   "Calls decided by a rule, answered or not (the task may have gone first).");
        for (size_t i = 0; i < t->n_rules; i++) {
                fputs(PREFIX "rule_hits_total", f);
                put_rule_labels(f, &t->rules[i]);
                fprintf(f, "} %" PRIu64 "\n", t->rules[i].hits);
        }

        put_family(f, "redirect_fallbacks", "counter", NULL,
                   "Redirect verdicts not carried out as such, answered with redirectFallback or the "
                   "fallback errno.");
        for (size_t i = 0; i < t->n_rules; i++) {
                fputs(PREFIX "redirect_fallbacks_total", f);
                put_rule_labels(f, &t->rules[i]);
                fprintf(f, "} %" PRIu64 "\n", t->rules[i].fallbacks);
        }

        put_family(f, "answer_duration_seconds", "histogram", "seconds",
                   "Time from a notification received to its answer sent.");
        for (size_t b = 0; b <= COUNTERS_N_BUCKETS; b++) {
                cumulative += t->buckets[b];
                fputs(PREFIX "answer_duration_seconds_bucket{le=\"", f);
                if (b < COUNTERS_N_BUCKETS)
                        put_seconds(f, counters_bucket_usec[b]);
                else
                        fputs("+Inf", f);
                fprintf(f, "\"} %" PRIu64 "\n", cumulative);
        }
        fprintf(f, PREFIX "answer_duration_seconds_count %" PRIu64 "\n", t->latency_count);
        fputs(PREFIX "answer_duration_seconds_sum ", f);
        put_seconds(f, t->latency_sum_usec);
        fputc('\n', f);
}

int control_format_metrics(Manager *m, char **ret) {
        _cleanup_free_ char *buf = NULL;
        Counters totals;
        size_t size = 0;
        FILE *f;
        int r;

        container_settle_all(m);
        r = container_counters_total(m, &totals);
        if (r < 0) {
                counters_done(&totals);
                return r;
        }
        f = open_memstream(&buf, &size);
        if (!f) {
                counters_done(&totals);
                return -ENOMEM;
        }

        /* Every rule of the policies in force, hit or not: a series that
         * appears only at its first hit makes rate() and alerts miss it. */
        for (size_t i = 0; m->policies && i < m->policies->n; i++) {
                SrdPolicy *p = m->policies->policies[i];
                const char *name = srd_policy_name(p) ?: "";

                for (size_t j = 0; j < srd_policy_n_rules(p); j++)
                        (void) counters_find(&totals, name, srd_policy_rule_name(p, j) ?: "", true);
                (void) counters_find(&totals, name, "defaultAction", true);
        }
        put_counters(f, &totals);
        counters_done(&totals);

        put_family(f, "containers", "gauge", NULL, "Container processes supervised now, by policy.");
        for (size_t i = 0; m->policies && i < m->policies->n; i++) {
                const char *name = srd_policy_name(m->policies->policies[i]) ?: "";
                uint64_t n = 0;

                LIST_FOREACH(containers, c, m->containers)
                if (streq(c->policy_name, name))
                        n++;
                fputs(PREFIX "containers{policy=", f);
                put_label(f, name);
                fprintf(f, "} %" PRIu64 "\n", n);
        }
        /* Those whose policy vanished in a reload, so that the sum is the total. */
        {
                uint64_t n = 0;

                LIST_FOREACH(containers, c, m->containers)
                if (!policy_set_get(m->policies, c->policy_name))
                        n++;
                if (n > 0)
                        fprintf(f, PREFIX "containers{policy=\"\"} %" PRIu64 "\n", n);
        }

        put_family(f, "handoffs_refused", "counter", NULL, "Handoffs of listeners refused, for any reason.");
        fprintf(f, PREFIX "handoffs_refused_total %" PRIu64 "\n", m->handoffs_refused);
        put_family(f, "handoffs_accepted", "counter", NULL, "Handoffs of listeners taken over.");
        fprintf(f, PREFIX "handoffs_accepted_total %" PRIu64 "\n", m->handoffs_accepted);
        put_family(f, "reload_success", "gauge", NULL,
                   "1 when the last policy reload (or the start) succeeded.");
        fprintf(f, PREFIX "reload_success %d\n", m->reload_ok ? 1 : 0);
        put_family(f, "policies", "gauge", NULL, "Policies loaded.");
        fprintf(f, PREFIX "policies %zu\n", m->policies ? m->policies->n : 0);

        fputs("# EOF\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}
