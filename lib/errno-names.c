/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names policy authors type: errno names and actions. The errno table is
 * indexed by the <errno.h> constants themselves, so an architecture with
 * different numbers (alpha, mips, sparc) still gets the right ones.
 */
#include <errno.h>
#include <string.h>

#include "diag-internal.h"
#include "macro.h"
#include "seccomp-redirect.h"

static const char *const errno_names[] = {
        [EPERM] = "EPERM",
        [ENOENT] = "ENOENT",
        [ESRCH] = "ESRCH",
        [EINTR] = "EINTR",
        [EIO] = "EIO",
        [ENXIO] = "ENXIO",
        [E2BIG] = "E2BIG",
        [ENOEXEC] = "ENOEXEC",
        [EBADF] = "EBADF",
        [ECHILD] = "ECHILD",
        [EAGAIN] = "EAGAIN",
        [ENOMEM] = "ENOMEM",
        [EACCES] = "EACCES",
        [EFAULT] = "EFAULT",
        [ENOTBLK] = "ENOTBLK",
        [EBUSY] = "EBUSY",
        [EEXIST] = "EEXIST",
        [EXDEV] = "EXDEV",
        [ENODEV] = "ENODEV",
        [ENOTDIR] = "ENOTDIR",
        [EISDIR] = "EISDIR",
        [EINVAL] = "EINVAL",
        [ENFILE] = "ENFILE",
        [EMFILE] = "EMFILE",
        [ENOTTY] = "ENOTTY",
        [ETXTBSY] = "ETXTBSY",
        [EFBIG] = "EFBIG",
        [ENOSPC] = "ENOSPC",
        [ESPIPE] = "ESPIPE",
        [EROFS] = "EROFS",
        [EMLINK] = "EMLINK",
        [EPIPE] = "EPIPE",
        [EDOM] = "EDOM",
        [ERANGE] = "ERANGE",
        [EDEADLK] = "EDEADLK",
        [ENAMETOOLONG] = "ENAMETOOLONG",
        [ENOLCK] = "ENOLCK",
        [ENOSYS] = "ENOSYS",
        [ENOTEMPTY] = "ENOTEMPTY",
        [ELOOP] = "ELOOP",
        [ENOMSG] = "ENOMSG",
        [EIDRM] = "EIDRM",
        [ECHRNG] = "ECHRNG",
        [EL2NSYNC] = "EL2NSYNC",
        [EL3HLT] = "EL3HLT",
        [EL3RST] = "EL3RST",
        [ELNRNG] = "ELNRNG",
        [EUNATCH] = "EUNATCH",
        [ENOCSI] = "ENOCSI",
        [EL2HLT] = "EL2HLT",
        [EBADE] = "EBADE",
        [EBADR] = "EBADR",
        [EXFULL] = "EXFULL",
        [ENOANO] = "ENOANO",
        [EBADRQC] = "EBADRQC",
        [EBADSLT] = "EBADSLT",
        [EBFONT] = "EBFONT",
        [ENOSTR] = "ENOSTR",
        [ENODATA] = "ENODATA",
        [ETIME] = "ETIME",
        [ENOSR] = "ENOSR",
        [ENONET] = "ENONET",
        [ENOPKG] = "ENOPKG",
        [EREMOTE] = "EREMOTE",
        [ENOLINK] = "ENOLINK",
        [EADV] = "EADV",
        [ESRMNT] = "ESRMNT",
        [ECOMM] = "ECOMM",
        [EPROTO] = "EPROTO",
        [EMULTIHOP] = "EMULTIHOP",
        [EDOTDOT] = "EDOTDOT",
        [EBADMSG] = "EBADMSG",
        [EOVERFLOW] = "EOVERFLOW",
        [ENOTUNIQ] = "ENOTUNIQ",
        [EBADFD] = "EBADFD",
        [EREMCHG] = "EREMCHG",
        [ELIBACC] = "ELIBACC",
        [ELIBBAD] = "ELIBBAD",
        [ELIBSCN] = "ELIBSCN",
        [ELIBMAX] = "ELIBMAX",
        [ELIBEXEC] = "ELIBEXEC",
        [EILSEQ] = "EILSEQ",
        [ERESTART] = "ERESTART",
        [ESTRPIPE] = "ESTRPIPE",
        [EUSERS] = "EUSERS",
        [ENOTSOCK] = "ENOTSOCK",
        [EDESTADDRREQ] = "EDESTADDRREQ",
        [EMSGSIZE] = "EMSGSIZE",
        [EPROTOTYPE] = "EPROTOTYPE",
        [ENOPROTOOPT] = "ENOPROTOOPT",
        [EPROTONOSUPPORT] = "EPROTONOSUPPORT",
        [ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT",
        [EOPNOTSUPP] = "EOPNOTSUPP",
        [EPFNOSUPPORT] = "EPFNOSUPPORT",
        [EAFNOSUPPORT] = "EAFNOSUPPORT",
        [EADDRINUSE] = "EADDRINUSE",
        [EADDRNOTAVAIL] = "EADDRNOTAVAIL",
        [ENETDOWN] = "ENETDOWN",
        [ENETUNREACH] = "ENETUNREACH",
        [ENETRESET] = "ENETRESET",
        [ECONNABORTED] = "ECONNABORTED",
        [ECONNRESET] = "ECONNRESET",
        [ENOBUFS] = "ENOBUFS",
        [EISCONN] = "EISCONN",
        [ENOTCONN] = "ENOTCONN",
        [ESHUTDOWN] = "ESHUTDOWN",
        [ETOOMANYREFS] = "ETOOMANYREFS",
        [ETIMEDOUT] = "ETIMEDOUT",
        [ECONNREFUSED] = "ECONNREFUSED",
        [EHOSTDOWN] = "EHOSTDOWN",
        [EHOSTUNREACH] = "EHOSTUNREACH",
        [EALREADY] = "EALREADY",
        [EINPROGRESS] = "EINPROGRESS",
        [ESTALE] = "ESTALE",
        [EUCLEAN] = "EUCLEAN",
        [ENOTNAM] = "ENOTNAM",
        [ENAVAIL] = "ENAVAIL",
        [EISNAM] = "EISNAM",
        [EREMOTEIO] = "EREMOTEIO",
        [EDQUOT] = "EDQUOT",
        [ENOMEDIUM] = "ENOMEDIUM",
        [EMEDIUMTYPE] = "EMEDIUMTYPE",
        [ECANCELED] = "ECANCELED",
        [ENOKEY] = "ENOKEY",
        [EKEYEXPIRED] = "EKEYEXPIRED",
        [EKEYREVOKED] = "EKEYREVOKED",
        [EKEYREJECTED] = "EKEYREJECTED",
        [EOWNERDEAD] = "EOWNERDEAD",
        [ENOTRECOVERABLE] = "ENOTRECOVERABLE",
#ifdef ERFKILL
        [ERFKILL] = "ERFKILL",
#endif
#ifdef EHWPOISON
        [EHWPOISON] = "EHWPOISON",
#endif
};

/* Second names of the same numbers; to_string always gives the first name. */
static const struct {
        const char *name;
        int error;
} errno_aliases[] = {
        {"EWOULDBLOCK", EWOULDBLOCK},
        {"EDEADLOCK", EDEADLOCK},
        {"ENOTSUP", ENOTSUP},
};

_public_ int srd_errno_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
                if (errno_names[i] && streq(errno_names[i], s))
                        return (int) i;
        for (size_t i = 0; i < ELEMENTSOF(errno_aliases); i++)
                if (streq(errno_aliases[i].name, s))
                        return errno_aliases[i].error;
        return -EINVAL;
}

_public_ const char *srd_errno_to_string(int error) {
        if (error <= 0 || (size_t) error >= ELEMENTSOF(errno_names))
                return NULL;
        return errno_names[error];
}

const char *srd_errno_suggest(const char *s) {
        const char *candidates[ELEMENTSOF(errno_names) + ELEMENTSOF(errno_aliases)];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(errno_names); i++)
                if (errno_names[i])
                        candidates[n++] = errno_names[i];
        for (size_t i = 0; i < ELEMENTSOF(errno_aliases); i++)
                candidates[n++] = errno_aliases[i].name;
        return srd_suggest(s, candidates, n);
}

static const char *const action_names[_SRD_ACTION_MAX] = {
        [SRD_ACTION_CONTINUE] = "continue",
        [SRD_ACTION_ERRNO] = "errno",
        [SRD_ACTION_KILL] = "kill",
        [SRD_ACTION_REDIRECT] = "redirect",
};

_public_ const char *srd_action_to_string(SrdAction a) {
        if (a < 0 || a >= _SRD_ACTION_MAX)
                return NULL;
        return action_names[a];
}

_public_ SrdAction srd_action_from_string(const char *s) {
        if (!s)
                return _SRD_ACTION_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(action_names); i++)
                if (streq(action_names[i], s))
                        return (SrdAction) i;
        return _SRD_ACTION_INVALID;
}

const char *srd_action_suggest(const char *s) {
        return srd_suggest(s, (const char *const *) action_names, ELEMENTSOF(action_names));
}
