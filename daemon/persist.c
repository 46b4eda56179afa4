/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Restarts lose no container. Each supervised listener goes into systemd's
 * fd store (FDSTORE=1, FDNAME=listener-KEY) and its record into the state
 * directory (KEY.state, state.h); each worker receives its notifications
 * into its slot of the file "inflight" there, mapped shared, so that what
 * a killed daemon received and did not answer is still there, at no cost
 * per notification (and 256 bytes of memory per container, not a page). A restarted daemon gets the
 * listeners back through LISTEN_FDS/LISTEN_FDNAMES, rebuilds each container from its record and first
 * answers what the slot holds if the kernel still waits for it.
 *
 * Everything read back is checked: a listener without a valid record is
 * closed (the kernel then fails every call its filter notifies with
 * ENOSYS), a record without a listener is removed, a record whose policy
 * is gone is served by a policy that denies everything.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "log.h"
#include "manager.h"
#include "notify.h"
#include "state.h"

#define INFLIGHT_FILE "inflight"
#define INFLIGHT_SIZE ((size_t) STATE_SLOT_MAX * STATE_SLOT_SIZE)

static int map_inflight(Manager *m);

/* Every call a container's filter notifies, denied, while its own policy is missing. */
static const char fail_closed_json[] =
        "{ \"version\": 1, \"name\": \"fail-closed\", \"defaultAction\": \"errno\", "
        "\"defaultErrno\": \"EPERM\", \"rules\": [] }";

int manager_open_state_dir(Manager *m, const char *dir) {
        _cleanup_free_ char *parent = NULL;
        const char *base;
        struct stat st;
        size_t n;
        int r;

        r = srd_policy_load_buffer(fail_closed_json, sizeof(fail_closed_json) - 1, "(fail-closed)",
                                   &m->fail_closed_policy, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to build the fail-closed policy: %m");

        if (!dir || streq(dir, "none"))
                return 0;
        /* The fd store is systemd's: without a notify socket there is nothing to keep the listeners. */
        if (!notify_available()) {
                log_debug("No NOTIFY_SOCKET: containers are not kept across restarts.");
                return 0;
        }

        /* Its parent is the socket directory or systemd's RuntimeDirectory: make only the last level. */
        base = strrchr(dir, '/');
        n = base ? (size_t) (base - dir) : 0;
        if (n > 0) {
                parent = strndup(dir, n);
                if (!parent)
                        return log_oom();
                if (mkdir(parent, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(errno, "Failed to create %s: %m", parent);
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create the state directory %s: %m", dir);
        m->state_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (m->state_fd < 0)
                return log_error_errno(errno, "Failed to open the state directory %s: %m", dir);
        if (fstat(m->state_fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat %s: %m", dir);
        /* What is in there decides which policy a listener gets: ours alone. */
        if (st.st_uid != geteuid() || (st.st_mode & 0022) != 0)
                return log_error_errno(EPERM, "%s must be owned by us and not writable by others.", dir);
        /* One daemon per state directory: another one's start would take its records for orphans. */
        if (flock(m->state_fd, LOCK_EX | LOCK_NB) < 0) {
                r = -errno;
                m->state_fd = safe_close(m->state_fd);
                if (r != -EWOULDBLOCK)
                        return log_error_errno(r, "Failed to lock %s: %m", dir);
                log_warning("Another seccomp-redirectd uses %s: this one's containers are not kept across "
                            "restarts.",
                            dir);
                return 0;
        }
        m->state_dir = strdup(dir);
        if (!m->state_dir)
                return log_oom();
        r = map_inflight(m);
        if (r < 0)
                log_warning_errno(r,
                                  "Cannot map %s/" INFLIGHT_FILE
                                  " (%m): notifications received when the daemon "
                                  "dies will not be answered after a restart.",
                                  dir);
        return 0;
}

int manager_keep_stored_fd(Manager *m, int fd, const char *name) {
        StoredFd *n;

        n = reallocarray(m->stored, m->n_stored + 1, sizeof(StoredFd));
        if (!n) {
                safe_close(fd);
                return log_oom();
        }
        m->stored = n;
        m->stored[m->n_stored] = (StoredFd){.fd = fd, .name = strdup(name)};
        if (!m->stored[m->n_stored].name) {
                safe_close(fd);
                return log_oom();
        }
        m->n_stored++;
        return 0;
}

/* Field 22 of /proc/PID/stat: with the pid, names one process for the system's uptime. */
static int read_starttime(pid_t pid, uint64_t *ret) {
        char p[64], buf[1024], *s;
        _cleanup_close_ int fd = -EBADF;
        unsigned long long t;
        ssize_t n;

        (void) snprintf(p, sizeof(p), "/proc/%d/stat", (int) pid);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        /* The name in parentheses may hold anything, ")" and spaces too: skip to the last ")". */
        s = strrchr(buf, ')');
        if (!s)
                return -EBADMSG;
        /* State is field 3; starttime is 19 fields on. */
        if (sscanf(s + 1,
                   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                   &t) != 1)
                return -EBADMSG;
        *ret = t;
        return 0;
}

static void state_file_name(char *buf, size_t size, const char *key, const char *suffix) {
        (void) snprintf(buf, size, "%s.%s", key, suffix);
}

static void unlink_files(Manager *m, const char *key) {
        char name[STATE_KEY_LEN + 16];

        state_file_name(name, sizeof(name), key, "state");
        (void) unlinkat(m->state_fd, name, 0);
}

static void fdstore_remove(const char *key) {
        (void) notify_send("FDSTOREREMOVE=1\nFDNAME=" STATE_FDNAME_PREFIX "%s", key);
}

/* Write, then rename over: a reader sees the old file or the new one, whole. */
static int write_state(Manager *m, const char *key, const ContainerState *st) {
        _cleanup_free_ char *buf = NULL;
        char name[STATE_KEY_LEN + 16], tmp[STATE_KEY_LEN + 16];
        _cleanup_close_ int fd = -EBADF;
        size_t len;
        int r;

        r = container_state_format(st, &buf, &len);
        if (r < 0)
                return r;
        state_file_name(name, sizeof(name), key, "state");
        state_file_name(tmp, sizeof(tmp), key, "tmp");
        fd = openat(m->state_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (write(fd, buf, len) != (ssize_t) len) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlinkat(m->state_fd, tmp, 0);
                return r;
        }
        if (renameat(m->state_fd, tmp, m->state_fd, name) < 0) {
                r = -errno;
                (void) unlinkat(m->state_fd, tmp, 0);
                return r;
        }
        return 0;
}

static int read_state(Manager *m, const char *key, ContainerState *ret) {
        _cleanup_free_ char *buf = NULL;
        char name[STATE_KEY_LEN + 16];
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;

        state_file_name(name, sizeof(name), key, "state");
        fd = openat(m->state_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (size_t) st.st_size > STATE_MAX_SIZE)
                return -EBADMSG;
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        n = read(fd, buf, (size_t) st.st_size + 1);
        if (n < 0)
                return -errno;
        if (n != st.st_size)
                return -EBADMSG;
        return container_state_parse(buf, (size_t) n, ret);
}

/*
 * The in-flight file: kept when it is the regular file of exactly that
 * size a daemon made (the slots of the containers coming back), else made
 * anew, zeroed. Sparse: memory only for the pages that slots in use touch.
 */
static int map_inflight(Manager *m) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        void *p;

        fd = openat(m->state_fd, INFLIGHT_FILE, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
                        st.st_uid != geteuid() || (size_t) st.st_size != INFLIGHT_SIZE)) {
                log_warning("%s/" INFLIGHT_FILE " is not an in-flight file of ours: starting a new one.",
                            m->state_dir);
                fd = safe_close(fd);
        }
        if (fd < 0) {
                (void) unlinkat(m->state_fd, INFLIGHT_FILE, 0);
                fd = openat(m->state_fd, INFLIGHT_FILE, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            0600);
                if (fd < 0)
                        return -errno;
                if (ftruncate(fd, (off_t) INFLIGHT_SIZE) < 0)
                        return -errno;
        }
        p = mmap(NULL, INFLIGHT_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        m->slot_used = calloc(STATE_SLOT_MAX, sizeof(bool));
        if (!m->slot_used) {
                (void) munmap(p, INFLIGHT_SIZE);
                return -ENOMEM;
        }
        m->inflight = p;
        return 0;
}

void manager_unmap_inflight(Manager *m) {
        if (m->inflight)
                (void) munmap(m->inflight, INFLIGHT_SIZE);
        m->inflight = NULL;
        free(m->slot_used);
        m->slot_used = NULL;
}

/* A free slot, zeroed (no stale id: ids are per filter, but a zeroed one is plainly empty). */
static uint32_t slot_take(Manager *m) {
        for (uint32_t i = 0; m->inflight && i < STATE_SLOT_MAX; i++)
                if (!m->slot_used[i]) {
                        m->slot_used[i] = true;
                        memset(m->inflight + (size_t) i * STATE_SLOT_SIZE, 0, STATE_SLOT_SIZE);
                        return i;
                }
        return STATE_NO_SLOT;
}

static void slot_put(Manager *m, uint32_t slot) {
        if (m->slot_used && slot < STATE_SLOT_MAX)
                m->slot_used[slot] = false;
}

static int new_key(char ret[static STATE_KEY_LEN + 1]) {
        uint8_t b[STATE_KEY_LEN / 2];

        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                return -errno;
        for (size_t i = 0; i < sizeof(b); i++)
                (void) snprintf(ret + 2 * i, 3, "%02x", b[i]);
        return 0;
}

void container_persist(Container *c, const ContainerRecord *record) {
        Manager *m = c->manager;
        LogFields f = container_log_fields(c);
        bool resume = false;
        int r;

        if (m->state_fd < 0)
                return;

        /* A restored container keeps its slot, unless it is not one or another took it. */
        if (record->restored && record->slot < STATE_SLOT_MAX && m->inflight &&
            !m->slot_used[record->slot]) {
                c->slot = record->slot;
                m->slot_used[c->slot] = true;
                resume = true;
        } else
                c->slot = slot_take(m);

        if (record->restored) {
                (void) snprintf(c->key, sizeof(c->key), "%s", record->key);
                if (record->slot != c->slot) {
                        ContainerState st = {
                                .id = (char *) c->id,
                                .policy = c->policy_name,
                                .pid = c->pid,
                                .starttime = record->starttime,
                                .slot = c->slot,
                                .root = (char *) srd_listener_root_name(c->listener),
                        };

                        if (record->slot != STATE_NO_SLOT)
                                log_full(LOG_WARNING, 0, &f,
                                         "Container %s pid %d: its in-flight slot %u is taken, nothing to "
                                         "resume.",
                                         c->id, (int) c->pid, (unsigned) record->slot);
                        r = write_state(m, c->key, &st);
                        if (r < 0)
                                log_full(LOG_WARNING, r, &f,
                                         "Container %s pid %d: cannot update its state: %m", c->id,
                                         (int) c->pid);
                }
        } else {
                ContainerState st = {
                        .id = (char *) c->id,
                        .policy = c->policy_name,
                        .pid = c->pid,
                        .slot = c->slot,
                        .root = (char *) srd_listener_root_name(c->listener),
                };

                if (read_starttime(c->pid, &st.starttime) < 0)
                        st.starttime = 0; /* unknown: any process of that pid will do for status */
                r = new_key(c->key);
                if (r >= 0)
                        r = write_state(m, c->key, &st);
                if (r < 0) {
                        log_full(
                                LOG_WARNING, r, &f,
                                "Container %s pid %d: cannot record its state (%m); a restart will lose it.",
                                c->id, (int) c->pid);
                        c->key[0] = 0;
                        slot_put(m, c->slot);
                        c->slot = STATE_NO_SLOT;
                        return;
                }
        }

        r = c->slot == STATE_NO_SLOT
                    ? -ENOSPC
                    : srd_listener_set_request_buffer(c->listener,
                                                      m->inflight + (size_t) c->slot * STATE_SLOT_SIZE,
                                                      STATE_SLOT_SIZE);
        if (r < 0)
                log_full(LOG_WARNING, r, &f,
                         "Container %s pid %d: no in-flight record (%m); a notification received when the "
                         "daemon dies would not be answered after a restart.",
                         c->id, (int) c->pid);
        else
                c->resume = resume && !m->forget_in_flight;

        if (record->restored)
                return; /* systemd kept it: it is still in the store */
        r = notify_send_fd(srd_listener_fd(c->listener), "FDSTORE=1\nFDNAME=" STATE_FDNAME_PREFIX "%s",
                           c->key);
        if (r <= 0)
                log_full(LOG_WARNING, r, &f,
                         "Container %s pid %d: cannot put its listener in the fd store (%s); a restart will "
                         "lose it.",
                         c->id, (int) c->pid, r < 0 ? strerror(-r) : "no NOTIFY_SOCKET");
}

void container_unpersist(Container *c) {
        Manager *m = c->manager;

        if (!m || m->state_fd < 0 || !c->key[0])
                return;
        /* The fd first: a record without its fd is cleaned up at the next start, the reverse fails closed.
         */
        fdstore_remove(c->key);
        unlink_files(m, c->key);
        c->key[0] = 0;
        /* The worker is joined: nothing receives into the slot any more. */
        slot_put(m, c->slot);
        c->slot = STATE_NO_SLOT;
}

static void drop_stored(Manager *m, StoredFd *s, const char *key) {
        safe_close(s->fd);
        s->fd = -EBADF;
        if (key) {
                fdstore_remove(key);
                if (m->state_fd >= 0)
                        unlink_files(m, key);
        } else
                (void) notify_send("FDSTOREREMOVE=1\nFDNAME=%s", s->name);
}

static int restore_one(Manager *m, StoredFd *s) {
        _cleanup_(container_state_done) ContainerState st = {};
        const char *key = s->name + strlen(STATE_FDNAME_PREFIX);
        ContainerRecord record;
        Container *c;
        uint64_t now_start;
        int fd, r;

        if (!state_key_valid(key, strlen(key))) {
                log_error("Stored fd \"%s\" is not named by a daemon of ours: closing it.", s->name);
                drop_stored(m, s, NULL);
                return 0;
        }
        if (m->state_fd < 0) {
                log_error(
                        "Listener %s came back from the fd store, but there is no state directory: closing "
                        "it (the kernel fails the calls its filter notifies with ENOSYS).",
                        key);
                drop_stored(m, s, key);
                return 0;
        }
        r = read_state(m, key, &st);
        if (r < 0) {
                log_error_errno(
                        r,
                        "Listener %s came back from the fd store without a valid state file %s/%s.state "
                        "(%m): closing it (the kernel fails the calls its filter notifies with "
                        "ENOSYS).",
                        key, m->state_dir, key);
                drop_stored(m, s, key);
                return 0;
        }

        if (st.starttime != 0 && (read_starttime(st.pid, &now_start) < 0 || now_start != st.starttime))
                log_warning(
                        "Container %s: pid %d is not its process any more (gone, or reused); serving its "
                        "listener all the same.",
                        st.id, (int) st.pid);

        record = (ContainerRecord){
                .id = st.id,
                .policy = st.policy,
                .pid = st.pid,
                .restored = true,
                .key = key,
                .root = st.root,
                .starttime = st.starttime,
                .slot = st.slot,
        };
        fd = s->fd;
        s->fd = -EBADF;
        r = container_new_from_record(m, fd, &record, &c); /* takes fd */
        if (r < 0) {
                log_error_errno(r, "Container %s pid %d: cannot serve its listener again (%m): dropping it.",
                                st.id, (int) st.pid);
                fdstore_remove(key);
                unlink_files(m, key);
                return 0;
        }
        LogFields f = container_log_fields(c);
        if (c->fail_closed)
                log_full(LOG_ERR, 0, &f,
                         "Container %s pid %d taken back after a restart, but its policy \"%s\" is missing "
                         "or "
                         "failed to load: every call it notifies is denied (EPERM) until a reload brings it "
                         "back.",
                         c->id, (int) c->pid, c->policy_name);
        else
                log_full(LOG_INFO, 0, &f, "Container %s pid %d taken back after a restart: policy \"%s\".",
                         c->id, (int) c->pid, c->policy_name);
        return 1;
}

/* Records and slots no listener came back for: a container that ended while we were down. */
static void remove_orphans(Manager *m) {
        _cleanup_close_ int dfd = -EBADF;
        struct dirent *de;
        DIR *d;

        dfd = fcntl(m->state_fd, F_DUPFD_CLOEXEC, 3);
        if (dfd < 0)
                return;
        d = fdopendir(dfd);
        if (!d)
                return;
        TAKE_FD(dfd);
        while ((de = readdir(d))) {
                const char *dot = strchr(de->d_name, '.');
                bool live = false;

                if (streq(de->d_name, ".") || streq(de->d_name, "..") || streq(de->d_name, INFLIGHT_FILE))
                        continue;
                /* A .tmp is a write the last daemon did not finish: never a record. */
                if (dot && streq(dot, ".state") && state_key_valid(de->d_name, (size_t) (dot - de->d_name)))
                        LIST_FOREACH(containers, c, m->containers) {
                                if (strncmp(c->key, de->d_name, STATE_KEY_LEN) == 0)
                                        live = true;
                        }
                if (live)
                        continue;
                log_warning("Removing %s/%s: no listener came back for it (its container ended meanwhile, "
                            "or it is not ours).",
                            m->state_dir, de->d_name);
                if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno == EISDIR)
                        (void) unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
        }
        closedir(d);
}

int manager_restore_containers(Manager *m) {
        size_t n = 0;

        for (size_t i = 0; i < m->n_stored; i++) {
                if (restore_one(m, &m->stored[i]) > 0)
                        n++;
                free(m->stored[i].name);
        }
        free(m->stored);
        m->stored = NULL;
        m->n_stored = 0;

        if (m->state_fd >= 0)
                remove_orphans(m);
        if (n > 0) {
                log_info("Took back %zu containers after a restart.", n);
                manager_update_status(m);
        }
        return 0;
}
