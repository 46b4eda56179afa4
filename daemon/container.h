/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

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
} ContainerRecord;

struct Container {
        Manager *manager;
        LIST_FIELDS(Container, containers);

        char *id;
        char *policy_name;
        pid_t pid;
        SrdPolicy *policy; /* own reference; re-pointed on reload */

        SrdListener *listener; /* owns the fd */
        sd_event_source *source;

        uint64_t n_notifications;
        uint64_t n_task_gone;
        RateLimit ratelimit;
};

/*
 * Take over listener fd (closed on failure too) for the process described
 * by record. The policy named by the record must be loaded (-ENOENT
 * otherwise); -ENOTTY / -EBADF when fd is not a seccomp listener.
 */
int container_new_from_record(Manager *m, int fd, const ContainerRecord *record, Container **ret);
Container *container_free(Container *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Container *, container_free);

/* After a reload: follow the policy of the same name, if it still exists. */
void container_repoint_policy(Container *c, const PolicySet *set);

/* Fields for the log lines about this container. */
LogFields container_log_fields(const Container *c);
