/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI listenerPath handoff: a runtime connects, sends one
 * ContainerProcessState JSON object with the seccomp listener fd(s) attached
 * (SCM_RIGHTS), and closes. Everything here is untrusted input from a peer:
 * it is bounded (size, fd count, nesting), checked field by field, and no
 * received fd survives an error.
 *
 * Decisions worth knowing (see also lib/seccomp-redirect.h):
 * - Error messages never quote the peer's bytes (they end up in logs); they
 *   name the offending field instead.
 * - JSON null counts as absent for optional fields; for required ones it is a
 *   wrong type. Unknown fields are ignored; fields this library does not use
 *   (state.ociVersion, state.pid, non-policy annotations) are not checked, so
 *   a runtime's quirk there cannot refuse a container. A repeated key takes
 *   the last value (json-c's behaviour, and Go's).
 * - Strings must be valid UTF-8 without NUL characters: a "\u0000" would
 *   otherwise silently truncate the C string (e.g. a policy name).
 */

#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "json-util.h"
#include "macro.h"
#include "seccomp-redirect.h"

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

#define LISTENER_FD_NAME "seccompFd"
#define POLICY_METADATA_KEY "policy"
#define POLICY_ANNOTATION "seccomp-redirect.policy"
#define POLICY_NAME_MAX 64U
#define METADATA_SEPARATORS ",; \t\n\r\v\f"
#define READER_INITIAL_SIZE 4096U

/*
 * The public struct has no room for the resolved policy name (it is a
 * substring of the metadata), so handoffs are allocated with this wrapper.
 * SrdHandoff objects therefore only come from srd_handoff_parse() and the
 * reader; the public member comes first so both pointers are the same.
 */
typedef struct Handoff {
        SrdHandoff public;
        char *policy; /* validated name, NULL when none or invalid */
        bool policy_invalid; /* one was named, but not validly */
        /* The same per source, so that the caller can tell which source named
         * one: the operator decides which sources may choose. */
        char *source_policy[_SRD_POLICY_SOURCE_MAX];
        bool source_invalid[_SRD_POLICY_SOURCE_MAX];
} Handoff;

/*
 * Where the top-level JSON object ends. runc 1.1.5 keeps the connection
 * open after sending (it closes only a copy of the socket), so EOF alone
 * cannot be the end; the brace that closes the first object is. This only
 * tracks nesting and strings, byte by byte, without allocating: the payload
 * is parsed once, by srd_handoff_parse(), when it is complete, so what a
 * connection holds between reads is its raw bytes and nothing else (a json-c
 * tree of a half-received payload can be many times its size).
 */
typedef enum ScanState {
        SCAN_START, /* whitespace before the value */
        SCAN_VALUE, /* inside the top-level object */
        SCAN_STRING,
        SCAN_ESCAPE, /* after a backslash in a string */
        SCAN_DONE, /* the object closed at scan_end */
        SCAN_GIVE_UP, /* not an object, unbalanced, or a NUL: only EOF ends it, the parser says why */
} ScanState;

struct SrdHandoffReader {
        int fd; /* not owned */
        char *buf;
        size_t len, size;
        size_t max_size; /* the payload limit, at most SRD_HANDOFF_MAX_SIZE */
        int fds[SRD_HANDOFF_MAX_FDS];
        size_t n_fds;
        bool have_fds; /* an SCM_RIGHTS message was seen: no further ones allowed */
        bool finished; /* returned 1 or an error: the connection is done */
        ScanState scan;
        size_t depth; /* open objects and arrays */
        size_t scan_end; /* bytes up to and including the closing brace */
};

DEFINE_TRIVIAL_CLEANUP_FUNC(SrdHandoff *, srd_handoff_free);

/* Sets *ret_error (when asked for; an out-parameter, its old value is not looked at) and
 * returns error, so callers can "return set_error(...)". */
_printf_(3, 4) static int set_error(char **ret_error, int error, const char *fmt, ...) {
        va_list ap;
        char *m;

        if (!ret_error)
                return error;

        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL; /* the errno still tells what happened */
        va_end(ap);

        *ret_error = m;
        return error;
}

/* ------------------------------------------------------------------------ */
/* Policy names.                                                            */

/* [A-Za-z0-9._-]{1,64}, and not "." or "..": the name may end up in paths or logs. */
static bool policy_name_is_valid(const char *s, size_t n) {
        if (n == 0 || n > POLICY_NAME_MAX)
                return false;
        if (s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.')))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

/*
 * Find "policy=NAME" among the key=value pairs of the metadata.
 * Returns 1 with the name and its length set, 0 when no pair has the key, and
 * -EINVAL when the key is there but unusable (invalid name, or given twice:
 * two different names would be ambiguous, and the runtime asked explicitly).
 */
static int metadata_find_policy(const char *metadata, const char **ret_name, size_t *ret_len) {
        const char *name = NULL;
        size_t len = 0;

        for (const char *p = metadata; *p;) {
                size_t n, klen;
                const char *eq;

                p += strspn(p, METADATA_SEPARATORS);
                n = strcspn(p, METADATA_SEPARATORS);
                if (n == 0)
                        break;

                eq = memchr(p, '=', n);
                klen = eq ? (size_t) (eq - p) : 0;
                if (eq && klen == strlen(POLICY_METADATA_KEY) && memcmp(p, POLICY_METADATA_KEY, klen) == 0) {
                        if (name)
                                return -EINVAL;
                        name = eq + 1;
                        len = n - klen - 1;
                }
                p += n;
        }

        if (!name)
                return 0;
        if (!policy_name_is_valid(name, len))
                return -EINVAL;

        *ret_name = name;
        *ret_len = len;
        return 1;
}

/* What each source names: a valid name, nothing, or something invalid. */
static int handoff_resolve_sources(Handoff *h) {
        const SrdHandoff *p = &h->public;
        const char *name = NULL;
        size_t len = 0;
        int r = 0;

        if (p->metadata)
                r = metadata_find_policy(p->metadata, &name, &len);
        if (r < 0)
                h->source_invalid[SRD_POLICY_SOURCE_METADATA] = true;
        else if (r > 0) {
                h->source_policy[SRD_POLICY_SOURCE_METADATA] = strndup(name, len);
                if (!h->source_policy[SRD_POLICY_SOURCE_METADATA])
                        return -ENOMEM;
        }

        if (p->policy_annotation) {
                if (!policy_name_is_valid(p->policy_annotation, strlen(p->policy_annotation)))
                        h->source_invalid[SRD_POLICY_SOURCE_ANNOTATION] = true;
                else {
                        h->source_policy[SRD_POLICY_SOURCE_ANNOTATION] = strdup(p->policy_annotation);
                        if (!h->source_policy[SRD_POLICY_SOURCE_ANNOTATION])
                                return -ENOMEM;
                }
        }
        return 0;
}

/* Metadata first; the annotation only when the metadata does not name a policy at all. */
static int handoff_resolve_policy(Handoff *h) {
        SrdPolicySource s = SRD_POLICY_SOURCE_METADATA;
        int r;

        r = handoff_resolve_sources(h);
        if (r < 0)
                return r;

        if (!h->source_policy[s] && !h->source_invalid[s])
                s = SRD_POLICY_SOURCE_ANNOTATION;
        if (h->source_invalid[s]) {
                /* named but invalid: no policy, and no silent fallback */
                h->policy_invalid = true;
                return 0;
        }
        if (!h->source_policy[s])
                return 0;

        h->policy = strdup(h->source_policy[s]);
        if (!h->policy)
                return -ENOMEM;
        return 0;
}

/* ------------------------------------------------------------------------ */
/* The JSON payload.                                                        */

static bool is_json_whitespace(const char *buf, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (!strchr(" \t\r\n", buf[i]))
                        return false;
        return true;
}

static int parse_json(const char *buf, size_t len, json_object **ret, char **ret_error) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_unrefp) json_object *o = NULL;
        enum json_tokener_error e;
        size_t end;

        tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
        if (!tok)
                return -ENOMEM;
        /* Both runtimes emit strict JSON; be strict about syntax, lenient about content. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);

        o = json_tokener_parse_ex(tok, buf, (int) len);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (e == json_tokener_continue) {
                /* End of input: a final NUL ends a bare value, anything else is cut short. */
                o = json_tokener_parse_ex(tok, "", 1);
                e = json_tokener_get_error(tok);
                end = len;
                if (e != json_tokener_success) {
                        if (is_json_whitespace(buf, len))
                                return set_error(ret_error, -EINVAL, "handoff: the payload is empty");
                        return set_error(ret_error, -EINVAL,
                                         "handoff: truncated JSON: the payload ends after %zu bytes", len);
                }
        }
        if (e != json_tokener_success)
                return set_error(ret_error, -EINVAL, "handoff: invalid JSON at byte %zu: %s", end,
                                 json_tokener_error_desc(e));
        if (end < len && !is_json_whitespace(buf + end, len - end))
                return set_error(ret_error, -EINVAL,
                                 "handoff: trailing data after the JSON value at byte %zu", end);

        *ret = TAKE_PTR(o);
        return 0;
}

/* A JSON null is treated like an absent key: Go's omitempty and crun both omit empty fields. */
static json_object *get_field(json_object *obj, const char *key, bool *ret_present) {
        json_object *v = NULL;
        bool present = json_object_object_get_ex(obj, key, &v);

        if (ret_present)
                *ret_present = present;
        return v;
}

/* where names the field in messages, e.g. "state.id". *ret stays NULL when absent and optional. */
static int get_string(json_object *obj, const char *key, const char *where, bool required, char **ret,
                      char **ret_error) {
        bool present;
        json_object *v = get_field(obj, key, &present);
        const char *s;
        size_t n;

        if (!present && required)
                return set_error(ret_error, -EINVAL, "handoff: \"%s\" is missing", where);
        if (!v && !required)
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return set_error(ret_error, -EINVAL, "handoff: \"%s\" must be a string", where);

        s = json_object_get_string(v);
        n = (size_t) json_object_get_string_len(v);
        if (strlen(s) != n)
                return set_error(ret_error, -EINVAL, "handoff: \"%s\" must not contain NUL characters",
                                 where);
        if (required && n == 0)
                return set_error(ret_error, -EINVAL, "handoff: \"%s\" must not be empty", where);

        *ret = strdup(s);
        if (!*ret)
                return -ENOMEM;
        return 0;
}

static int parse_pid(json_object *root, pid_t *ret, char **ret_error) {
        bool present;
        json_object *v = get_field(root, "pid", &present);
        int64_t pid;

        if (!present)
                return set_error(ret_error, -EINVAL, "handoff: \"pid\" is missing");
        /* Doubles ("1.0", "1e3") are refused: both runtimes send integers. */
        if (!json_object_is_type(v, json_type_int))
                return set_error(ret_error, -EINVAL, "handoff: \"pid\" must be a positive integer");
        /* Values beyond int64 read back as INT64_MAX, so they fail the range check too. */
        pid = json_object_get_int64(v);
        if (pid <= 0 || pid > INT_MAX)
                return set_error(ret_error, -EINVAL, "handoff: \"pid\" must be a positive integer");

        *ret = (pid_t) pid;
        return 0;
}

static int parse_fd_names(json_object *root, SrdHandoff *h, char **ret_error) {
        bool present;
        json_object *v = get_field(root, "fds", &present);
        size_t n;

        if (!present)
                return set_error(ret_error, -EINVAL, "handoff: \"fds\" is missing");
        if (!json_object_is_type(v, json_type_array))
                return set_error(ret_error, -EINVAL, "handoff: \"fds\" must be an array of strings");
        n = json_object_array_length(v);
        if (n > SRD_HANDOFF_MAX_FDS)
                return set_error(ret_error, -EINVAL,
                                 "handoff: \"fds\" has %zu entries, at most %d are allowed", n,
                                 SRD_HANDOFF_MAX_FDS);

        h->fd_names = calloc(n + 1, sizeof(char *));
        if (!h->fd_names)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                const char *s;

                if (!json_object_is_type(e, json_type_string))
                        return set_error(ret_error, -EINVAL, "handoff: \"fds[%zu]\" must be a string", i);
                s = json_object_get_string(e);
                if (strlen(s) != (size_t) json_object_get_string_len(e))
                        return set_error(ret_error, -EINVAL,
                                         "handoff: \"fds[%zu]\" must not contain NUL characters", i);

                h->fd_names[i] = strdup(s);
                if (!h->fd_names[i])
                        return -ENOMEM;
                h->n_fd_names++;
        }
        return 0;
}

static int parse_state(json_object *root, SrdHandoff *h, char **ret_error) {
        bool present;
        json_object *state = get_field(root, "state", &present), *annotations;
        int r;

        if (!present)
                return set_error(ret_error, -EINVAL, "handoff: \"state\" is missing");
        if (!json_object_is_type(state, json_type_object))
                return set_error(ret_error, -EINVAL, "handoff: \"state\" must be an object");

        r = get_string(state, "id", "state.id", true, &h->container_id, ret_error);
        if (r < 0)
                return r;
        r = get_string(state, "status", "state.status", false, &h->status, ret_error);
        if (r < 0)
                return r;
        r = get_string(state, "bundle", "state.bundle", false, &h->bundle, ret_error);
        if (r < 0)
                return r;

        annotations = get_field(state, "annotations", NULL);
        if (!annotations)
                return 0;
        if (!json_object_is_type(annotations, json_type_object))
                return set_error(ret_error, -EINVAL, "handoff: \"state.annotations\" must be an object");

        return get_string(annotations, POLICY_ANNOTATION, "state.annotations." POLICY_ANNOTATION, false,
                          &h->policy_annotation, ret_error);
}

_public_ SrdHandoff *srd_handoff_free(SrdHandoff *h) {
        if (!h)
                return NULL;

        free(h->oci_version);
        free(h->metadata);
        free(h->container_id);
        free(h->status);
        free(h->bundle);
        free(h->policy_annotation);
        for (size_t i = 0; h->fd_names && i < h->n_fd_names; i++)
                free(h->fd_names[i]);
        free(h->fd_names);
        /* A caller that took an fd over may have overwritten it with a negative value. */
        for (size_t i = 0; h->fds && i < h->n_fds; i++)
                safe_close(h->fds[i]);
        free(h->fds);
        free(((Handoff *) h)->policy);
        for (size_t i = 0; i < _SRD_POLICY_SOURCE_MAX; i++)
                free(((Handoff *) h)->source_policy[i]);
        free(h);
        return NULL;
}

_public_ int srd_handoff_parse(const char *buf, size_t len, SrdHandoff **ret, char **ret_error) {
        _cleanup_(json_object_unrefp) json_object *root = NULL;
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
        Handoff *handoff;
        int r;

        if ((!buf && len > 0) || !ret)
                return set_error(ret_error, -EINVAL, "handoff: invalid arguments");
        if (len > SRD_HANDOFF_MAX_SIZE)
                return set_error(ret_error, -EMSGSIZE, "handoff: the payload is larger than %u bytes",
                                 SRD_HANDOFF_MAX_SIZE);
        /* json-c would stop at a NUL byte or take it for the end of input: refuse it up front. */
        if (len > 0 && memchr(buf, 0, len))
                return set_error(ret_error, -EINVAL, "handoff: the payload contains a NUL byte");

        r = parse_json(buf ? buf : "", len, &root, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(root, json_type_object))
                return set_error(ret_error, -EINVAL, "handoff: the payload must be a JSON object");

        handoff = calloc(1, sizeof(Handoff));
        if (!handoff)
                return -ENOMEM;
        h = &handoff->public;

        r = get_string(root, "ociVersion", "ociVersion", false, &h->oci_version, ret_error);
        if (r < 0)
                return r;
        r = parse_fd_names(root, h, ret_error);
        if (r < 0)
                return r;
        r = parse_pid(root, &h->pid, ret_error);
        if (r < 0)
                return r;
        r = get_string(root, "metadata", "metadata", false, &h->metadata, ret_error);
        if (r < 0)
                return r;
        r = parse_state(root, h, ret_error);
        if (r < 0)
                return r;
        r = handoff_resolve_policy(handoff);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(h);
        return 0;
}

_public_ const char *srd_handoff_policy(const SrdHandoff *h) {
        if (!h)
                return NULL;
        return ((const Handoff *) h)->policy;
}

_public_ int srd_handoff_get_policy(const SrdHandoff *h, const char **ret) {
        const Handoff *handoff = (const Handoff *) h;

        if (!h || !ret)
                return -EINVAL;
        *ret = handoff->policy;
        if (handoff->policy)
                return 0;
        return handoff->policy_invalid ? -EBADMSG : -ENOENT;
}

_public_ int srd_handoff_get_policy_from(const SrdHandoff *h, SrdPolicySource source, const char **ret) {
        const Handoff *handoff = (const Handoff *) h;

        if (!h || !ret || source < 0 || source >= _SRD_POLICY_SOURCE_MAX)
                return -EINVAL;
        *ret = handoff->source_policy[source];
        if (*ret)
                return 0;
        return handoff->source_invalid[source] ? -EBADMSG : -ENOENT;
}

static const char *const policy_source_table[_SRD_POLICY_SOURCE_MAX] = {
        [SRD_POLICY_SOURCE_METADATA] = "metadata",
        [SRD_POLICY_SOURCE_ANNOTATION] = "annotation",
};

_public_ const char *srd_policy_source_to_string(SrdPolicySource s) {
        if (s < 0 || s >= _SRD_POLICY_SOURCE_MAX)
                return NULL;
        return policy_source_table[s];
}

_public_ SrdPolicySource srd_policy_source_from_string(const char *s) {
        for (size_t i = 0; s && i < _SRD_POLICY_SOURCE_MAX; i++)
                if (streq(s, policy_source_table[i]))
                        return (SrdPolicySource) i;
        return _SRD_POLICY_SOURCE_INVALID;
}

_public_ int srd_handoff_listener_fd(const SrdHandoff *h) {
        int found = -ENOENT;

        if (!h)
                return -EINVAL;
        /* fds[i] names fd i: without a one-to-one mapping no fd can be trusted to be the listener. */
        if (h->n_fd_names != h->n_fds)
                return -EINVAL;

        for (size_t i = 0; i < h->n_fd_names; i++) {
                if (!streq(h->fd_names[i], LISTENER_FD_NAME))
                        continue;
                if (found >= 0)
                        return -EINVAL; /* two listeners: which one? */
                found = (int) i;
        }
        if (found < 0)
                return found;
        if (h->fds[found] < 0)
                return -EBADF; /* taken over by the caller already */
        return h->fds[found];
}

/* ------------------------------------------------------------------------ */
/* Reading one connection.                                                  */

/*
 * The reader borrows fd: the caller keeps owning the socket (its event source
 * usually does) and closes it after srd_handoff_reader_free(). Received fds
 * are owned by the reader until handed over in the SrdHandoff.
 */
_public_ int srd_handoff_reader_new(int fd, SrdHandoffReader **ret) {
        SrdHandoffReader *r;

        if (fd < 0 || !ret)
                return -EINVAL;

        r = calloc(1, sizeof(SrdHandoffReader));
        if (!r)
                return -ENOMEM;
        r->fd = fd;
        r->max_size = SRD_HANDOFF_MAX_SIZE;
        *ret = r;
        return 0;
}

static void reader_close_fds(SrdHandoffReader *reader) {
        for (size_t i = 0; i < reader->n_fds; i++)
                safe_close(reader->fds[i]);
        reader->n_fds = 0;
}

_public_ int srd_handoff_reader_set_max_size(SrdHandoffReader *r, size_t max_size) {
        if (!r || max_size == 0 || max_size > SRD_HANDOFF_MAX_SIZE)
                return -EINVAL;
        r->max_size = max_size;
        return 0;
}

_public_ size_t srd_handoff_reader_allocated(const SrdHandoffReader *r) {
        return r ? r->size : 0;
}

_public_ SrdHandoffReader *srd_handoff_reader_free(SrdHandoffReader *r) {
        if (!r)
                return NULL;
        reader_close_fds(r);
        free(r->buf);
        free(r);
        return NULL;
}

/* Ends the connection: nothing received is kept, no fd survives. Returns error. */
static int reader_fail(SrdHandoffReader *reader, int error) {
        reader_close_fds(reader);
        free(reader->buf);
        reader->buf = NULL;
        reader->len = reader->size = 0;
        reader->finished = true;
        return error;
}

static bool cmsg_carries_fds(const struct cmsghdr *c) {
        return c->cmsg_level == SOL_SOCKET && (c->cmsg_type == SCM_RIGHTS || c->cmsg_type == SCM_PIDFD);
}

static size_t cmsg_n_fds(const struct cmsghdr *c) {
        if (c->cmsg_len < CMSG_LEN(0))
                return 0;
        return (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
}

static int cmsg_fd(const struct cmsghdr *c, size_t i) {
        int fd;

        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        return fd;
}

/* Every fd the kernel installed for this message, whatever else is wrong with it. */
static void message_close_fds(struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
                if (cmsg_carries_fds(c))
                        for (size_t i = 0; i < cmsg_n_fds(c); i++)
                                safe_close(cmsg_fd(c, i));
}

/* Checks the control data of one message without taking anything; the caller closes on error. */
static int message_check_control(const SrdHandoffReader *reader, struct msghdr *mh, char **ret_error) {
        bool rights = reader->have_fds;

        if (mh->msg_flags & MSG_CTRUNC)
                return set_error(ret_error, -EBADMSG,
                                 "handoff: control data truncated (more than %d fds sent?)",
                                 SRD_HANDOFF_MAX_FDS);

        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                size_t n;

                /* SCM_CREDENTIALS, SCM_SECURITY, SCM_PIDFD only come when the socket asked
                 * for them (SO_PASSCRED, ...): the agent socket must not. */
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        return set_error(ret_error, -EBADMSG,
                                         "handoff: unexpected control message (level %d, type %d)",
                                         c->cmsg_level, c->cmsg_type);
                if (c->cmsg_len < CMSG_LEN(0) || (c->cmsg_len - CMSG_LEN(0)) % sizeof(int) != 0)
                        return set_error(ret_error, -EBADMSG, "handoff: malformed SCM_RIGHTS message");
                /* The spec puts the fds in the first message; the kernel may merge stream data
                 * in front of them, so "first" means the first message that has fds. */
                if (rights)
                        return set_error(ret_error, -EBADMSG, "handoff: fds sent in more than one message");
                rights = true;

                n = cmsg_n_fds(c);
                if (n > SRD_HANDOFF_MAX_FDS)
                        return set_error(ret_error, -EBADMSG,
                                         "handoff: %zu fds sent, at most %d are allowed", n,
                                         SRD_HANDOFF_MAX_FDS);
                for (size_t i = 0; i < n; i++)
                        if (cmsg_fd(c, i) < 0)
                                return set_error(ret_error, -EBADMSG, "handoff: invalid fd number received");
        }
        return 0;
}

static void message_take_fds(SrdHandoffReader *reader, struct msghdr *mh) {
        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                for (size_t i = 0; i < cmsg_n_fds(c); i++)
                        reader->fds[reader->n_fds++] = cmsg_fd(c, i);
                reader->have_fds = true;
        }
}

static int reader_grow(SrdHandoffReader *reader) {
        size_t size;
        char *b;

        if (reader->len < reader->size)
                return 0;

        /* One byte beyond the limit, so an oversized payload is noticed, not cut. */
        size = reader->size == 0 ? READER_INITIAL_SIZE : reader->size * 2;
        size = MIN(size, reader->max_size + 1);
        if (size <= reader->len)
                /* No room must be left for a recv() of 0 bytes: that reads as EOF. */
                return -EMSGSIZE;

        b = realloc(reader->buf, size);
        if (!b)
                return -ENOMEM;
        reader->buf = b;
        reader->size = size;
        return 0;
}

/* Scan the last n bytes received: true once the top-level object has closed. */
static bool reader_scan(SrdHandoffReader *reader, size_t n) {
        for (size_t i = reader->len - n; i < reader->len; i++) {
                char c = reader->buf[i];

                if (c == 0) {
                        /* srd_handoff_parse() refuses it; only EOF can end such a payload now. */
                        reader->scan = SCAN_GIVE_UP;
                        return false;
                }
                switch (reader->scan) {
                case SCAN_START:
                        if (c == '{') {
                                reader->depth = 1;
                                reader->scan = SCAN_VALUE;
                        } else if (!strchr(" \t\r\n", c))
                                reader->scan = SCAN_GIVE_UP;
                        break;
                case SCAN_VALUE:
                        if (c == '"')
                                reader->scan = SCAN_STRING;
                        else if (c == '{' || c == '[')
                                reader->depth++;
                        else if ((c == '}' || c == ']') && --reader->depth == 0) {
                                reader->scan = SCAN_DONE;
                                reader->scan_end = i + 1;
                                return true;
                        }
                        break;
                case SCAN_STRING:
                        if (c == '\\')
                                reader->scan = SCAN_ESCAPE;
                        else if (c == '"')
                                reader->scan = SCAN_VALUE;
                        break;
                case SCAN_ESCAPE:
                        reader->scan = SCAN_STRING;
                        break;
                case SCAN_DONE:
                case SCAN_GIVE_UP:
                        return reader->scan == SCAN_DONE;
                }
        }
        return false;
}

/* EOF or the closing brace (end bytes of the buffer): parse it and hand the fds over. */
static int reader_finish(SrdHandoffReader *reader, size_t end, SrdHandoff **ret, char **ret_error) {
        _cleanup_(srd_handoff_freep) SrdHandoff *h = NULL;
        int r;

        if (end == 0)
                return reader_fail(reader, set_error(ret_error, -EBADMSG,
                                                     "handoff: the peer closed the connection without "
                                                     "sending a payload"));

        /* Anything the peer sent after the object is not part of the payload. */
        r = srd_handoff_parse(reader->buf, end, &h, ret_error);
        if (r < 0)
                return reader_fail(reader, r);

        if (h->n_fd_names != reader->n_fds)
                return reader_fail(reader,
                                   set_error(ret_error, -EINVAL,
                                             "handoff: \"fds\" names %zu fd(s) but %zu were received",
                                             h->n_fd_names, reader->n_fds));

        if (reader->n_fds > 0) {
                h->fds = malloc(reader->n_fds * sizeof(int));
                if (!h->fds)
                        return reader_fail(reader, -ENOMEM);
                memcpy(h->fds, reader->fds, reader->n_fds * sizeof(int));
                h->n_fds = reader->n_fds;
                reader->n_fds = 0;
        }

        free(reader->buf);
        reader->buf = NULL;
        reader->len = reader->size = 0;
        reader->finished = true;
        *ret = TAKE_PTR(h);
        return 1;
}

_public_ int srd_handoff_reader_feed(SrdHandoffReader *reader, SrdHandoff **ret, char **ret_error) {
        int r;

        if (!reader || !ret)
                return set_error(ret_error, -EINVAL, "handoff: invalid arguments");
        if (reader->finished)
                return set_error(ret_error, -EINVAL, "handoff: the connection was already read to its end");

        for (;;) {
                /* Room for the fds plus one foreign message header, so that a stray
                 * SCM_CREDENTIALS is reported as such rather than as truncation. */
                union {
                        struct cmsghdr align;
                        uint8_t buf[CMSG_SPACE(sizeof(int) * SRD_HANDOFF_MAX_FDS) + CMSG_SPACE(64)];
                } control;
                struct iovec iov;
                struct msghdr mh = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = &control,
                        .msg_controllen = sizeof(control),
                };
                ssize_t n;

                /* The limit may have been lowered between calls. */
                r = reader->len > reader->max_size ? -EMSGSIZE : reader_grow(reader);
                if (r == -EMSGSIZE)
                        return reader_fail(reader, set_error(ret_error, r,
                                                             "handoff: the payload is larger than %zu bytes",
                                                             reader->max_size));
                if (r < 0)
                        return reader_fail(reader, r);

                iov = (struct iovec){reader->buf + reader->len, reader->size - reader->len};
                n = recvmsg(reader->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return 0;
                        r = negative_errno();
                        return reader_fail(reader, set_error(ret_error, r, "handoff: receiving failed: %m"));
                }

                r = message_check_control(reader, &mh, ret_error);
                if (r < 0) {
                        message_close_fds(&mh);
                        return reader_fail(reader, r);
                }
                message_take_fds(reader, &mh);

                if (n == 0)
                        return reader_finish(reader, reader->len, ret, ret_error);

                reader->len += (size_t) n;
                if (reader_scan(reader, (size_t) n) && reader->scan_end <= reader->max_size)
                        return reader_finish(reader, reader->scan_end, ret, ret_error);
                if (reader->len > reader->max_size)
                        return reader_fail(reader, set_error(ret_error, -EMSGSIZE,
                                                             "handoff: the payload is larger than %zu bytes",
                                                             reader->max_size));
        }
}
