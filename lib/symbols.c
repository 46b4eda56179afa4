/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Symbolic argument values (symbols.h): what policy authors read in strace
 * output and man pages, taken from the system headers so that each has the
 * native architecture's value (O_DIRECTORY differs between x86_64 and
 * arm64).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/keyctl.h>
#include <linux/openat2.h>

#include "diag-internal.h"
#include "macro.h"
#include "symbols.h"

typedef struct Symbol {
        const char *name;
        int64_t value;
} Symbol;

#define C(x) \
        { #x, (int64_t) (x) }
static const Symbol symbols[] = {
        /* open(2), openat(2), openat2(2) flags */
        C(O_RDONLY),
        C(O_WRONLY),
        C(O_RDWR),
        C(O_ACCMODE),
        C(O_CREAT),
        C(O_EXCL),
        C(O_NOCTTY),
        C(O_TRUNC),
        C(O_APPEND),
        C(O_NONBLOCK),
        C(O_NDELAY),
        C(O_DSYNC),
        C(O_SYNC),
        C(O_RSYNC),
        C(O_ASYNC),
        C(O_DIRECT),
        C(O_LARGEFILE),
        C(O_DIRECTORY),
        C(O_NOFOLLOW),
        C(O_NOATIME),
        C(O_CLOEXEC),
        C(O_PATH),
        C(O_TMPFILE),
        /* openat2's open_how.resolve */
        C(RESOLVE_NO_XDEV),
        C(RESOLVE_NO_MAGICLINKS),
        C(RESOLVE_NO_SYMLINKS),
        C(RESOLVE_BENEATH),
        C(RESOLVE_IN_ROOT),
        C(RESOLVE_CACHED),
        /* dirfds and *at flags */
        C(AT_FDCWD),
        C(AT_SYMLINK_NOFOLLOW),
        C(AT_REMOVEDIR),
        C(AT_SYMLINK_FOLLOW),
        C(AT_NO_AUTOMOUNT),
        C(AT_EMPTY_PATH),
        C(AT_EACCESS),
        C(AT_RECURSIVE),
        C(AT_STATX_SYNC_AS_STAT),
        C(AT_STATX_FORCE_SYNC),
        C(AT_STATX_DONT_SYNC),
        /* access(2) */
        C(F_OK),
        C(R_OK),
        C(W_OK),
        C(X_OK),
        /* socket(2) */
        C(AF_UNSPEC),
        C(AF_UNIX),
        C(AF_LOCAL),
        C(AF_INET),
        C(AF_INET6),
        C(AF_NETLINK),
        C(AF_PACKET),
        C(AF_BLUETOOTH),
        C(AF_ALG),
        C(AF_VSOCK),
        C(AF_KEY),
        C(AF_APPLETALK),
        C(AF_X25),
        C(AF_AX25),
        C(AF_IPX),
        C(AF_CAN),
        C(AF_TIPC),
        C(AF_RDS),
        C(AF_XDP),
        C(AF_MPLS),
        C(AF_BRIDGE),
        C(AF_NFC),
        C(AF_LLC),
        C(AF_IEEE802154),
        C(AF_KCM),
        C(AF_QIPCRTR),
        C(AF_SMC),
        C(AF_RXRPC),
        C(AF_ISDN),
        C(AF_PPPOX),
        C(AF_DECnet),
        C(AF_ATMPVC),
        C(AF_ATMSVC),
        C(AF_ROSE),
        C(AF_NETROM),
        C(AF_SECURITY),
        C(AF_WANPIPE),
        C(AF_IRDA),
        C(AF_SNA),
        C(AF_PHONET),
        C(AF_CAIF),
        C(AF_IUCV),
        C(AF_IB),
        C(AF_MCTP),
        C(SOCK_STREAM),
        C(SOCK_DGRAM),
        C(SOCK_RAW),
        C(SOCK_RDM),
        C(SOCK_SEQPACKET),
        C(SOCK_DCCP),
        C(SOCK_PACKET),
        C(SOCK_NONBLOCK),
        C(SOCK_CLOEXEC),
        C(IPPROTO_IP),
        C(IPPROTO_ICMP),
        C(IPPROTO_TCP),
        C(IPPROTO_UDP),
        C(IPPROTO_IPV6),
        C(IPPROTO_ICMPV6),
        C(IPPROTO_RAW),
        C(IPPROTO_SCTP),
        C(IPPROTO_UDPLITE),
        C(IPPROTO_MPTCP),
        /* modes */
        C(S_IRWXU),
        C(S_IRUSR),
        C(S_IWUSR),
        C(S_IXUSR),
        C(S_IRWXG),
        C(S_IRGRP),
        C(S_IWGRP),
        C(S_IXGRP),
        C(S_IRWXO),
        C(S_IROTH),
        C(S_IWOTH),
        C(S_IXOTH),
        C(S_ISUID),
        C(S_ISGID),
        C(S_ISVTX),
        C(S_IFMT),
        C(S_IFREG),
        C(S_IFDIR),
        C(S_IFLNK),
        C(S_IFCHR),
        C(S_IFBLK),
        C(S_IFIFO),
        C(S_IFSOCK),
        /* mmap(2), mprotect(2) */
        C(PROT_NONE),
        C(PROT_READ),
        C(PROT_WRITE),
        C(PROT_EXEC),
        C(MAP_SHARED),
        C(MAP_PRIVATE),
        C(MAP_FIXED),
        C(MAP_ANONYMOUS),
        C(MAP_FIXED_NOREPLACE),
        /* clone(2), unshare(2), setns(2) */
        C(CLONE_VM),
        C(CLONE_FS),
        C(CLONE_FILES),
        C(CLONE_SIGHAND),
        C(CLONE_PIDFD),
        C(CLONE_PTRACE),
        C(CLONE_VFORK),
        C(CLONE_PARENT),
        C(CLONE_THREAD),
        C(CLONE_NEWNS),
        C(CLONE_SYSVSEM),
        C(CLONE_SETTLS),
        C(CLONE_PARENT_SETTID),
        C(CLONE_CHILD_CLEARTID),
        C(CLONE_UNTRACED),
        C(CLONE_CHILD_SETTID),
        C(CLONE_NEWCGROUP),
        C(CLONE_NEWUTS),
        C(CLONE_NEWIPC),
        C(CLONE_NEWUSER),
        C(CLONE_NEWPID),
        C(CLONE_NEWNET),
        C(CLONE_IO),
        C(CLONE_NEWTIME),
        /* mount(2), umount2(2) */
        C(MS_RDONLY),
        C(MS_NOSUID),
        C(MS_NODEV),
        C(MS_NOEXEC),
        C(MS_SYNCHRONOUS),
        C(MS_REMOUNT),
        C(MS_MANDLOCK),
        C(MS_DIRSYNC),
        C(MS_NOATIME),
        C(MS_NODIRATIME),
        C(MS_BIND),
        C(MS_MOVE),
        C(MS_REC),
        C(MS_SILENT),
        C(MS_UNBINDABLE),
        C(MS_PRIVATE),
        C(MS_SLAVE),
        C(MS_SHARED),
        C(MS_RELATIME),
        C(MS_STRICTATIME),
        C(MS_LAZYTIME),
        C(MNT_FORCE),
        C(MNT_DETACH),
        C(MNT_EXPIRE),
        C(UMOUNT_NOFOLLOW),
        /* ptrace(2) requests */
        C(PTRACE_TRACEME),
        C(PTRACE_PEEKTEXT),
        C(PTRACE_PEEKDATA),
        C(PTRACE_PEEKUSER),
        C(PTRACE_POKETEXT),
        C(PTRACE_POKEDATA),
        C(PTRACE_POKEUSER),
        C(PTRACE_CONT),
        C(PTRACE_KILL),
        C(PTRACE_SINGLESTEP),
        C(PTRACE_ATTACH),
        C(PTRACE_DETACH),
        C(PTRACE_SYSCALL),
        C(PTRACE_SETOPTIONS),
        C(PTRACE_GETEVENTMSG),
        C(PTRACE_SEIZE),
        C(PTRACE_INTERRUPT),
        C(PTRACE_LISTEN),
        /* prctl(2) options */
        C(PR_SET_NO_NEW_PRIVS),
        C(PR_GET_NO_NEW_PRIVS),
        C(PR_SET_SECCOMP),
        C(PR_GET_SECCOMP),
        C(PR_SET_DUMPABLE),
        C(PR_GET_DUMPABLE),
        C(PR_SET_NAME),
        C(PR_GET_NAME),
        C(PR_CAPBSET_DROP),
        C(PR_CAP_AMBIENT),
        C(PR_SET_PDEATHSIG),
        C(PR_SET_PTRACER),
        C(PR_SET_KEEPCAPS),
        C(PR_SET_SECUREBITS),
        C(PR_SET_MM),
        /* keyctl(2) operations */
        C(KEYCTL_GET_KEYRING_ID),
        C(KEYCTL_JOIN_SESSION_KEYRING),
        C(KEYCTL_UPDATE),
        C(KEYCTL_REVOKE),
        C(KEYCTL_READ),
        C(KEYCTL_SEARCH),
        C(KEYCTL_SETPERM),
        C(KEYCTL_LINK),
        C(KEYCTL_UNLINK),
        /* ioctl(2) requests that cross a terminal or a namespace */
        C(TIOCSTI),
        C(TIOCLINUX),
        C(TIOCSCTTY),
};
#undef C

static const char *names[ELEMENTSOF(symbols)];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_init(void) {
        for (size_t i = 0; i < ELEMENTSOF(symbols); i++)
                names[i] = symbols[i].name;
}

const char *const *srd_symbol_names(size_t *n_ret) {
        (void) pthread_once(&names_once, names_init);
        *n_ret = ELEMENTSOF(symbols);
        return names;
}

int srd_symbol_lookup(const char *name, size_t len, uint64_t *ret) {
        for (size_t i = 0; i < ELEMENTSOF(symbols); i++)
                if (strlen(symbols[i].name) == len && memcmp(symbols[i].name, name, len) == 0) {
                        /* Sign-extended, as a register holds an int: AT_FDCWD is 0xffffffffffffff9c. */
                        *ret = (uint64_t) symbols[i].value;
                        return 0;
                }
        return -ENOENT;
}

const char *srd_symbol_suggest(const char *name, size_t len) {
        const char *const *all;
        char buf[64];
        size_t n = 0;

        if (len >= sizeof buf)
                return NULL;
        memcpy(buf, name, len);
        buf[len] = '\0';
        all = srd_symbol_names(&n);
        return srd_suggest(buf, all, n);
}

static bool parse_number(const char *s, size_t len, uint64_t *ret) {
        char buf[32], *end;

        if (len == 0 || len >= sizeof buf)
                return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        errno = 0;
        if (buf[0] == '-') {
                long long v = strtoll(buf, &end, 0);

                if (errno != 0 || *end || end == buf + 1)
                        return false;
                *ret = (uint64_t) v;
                return true;
        }
        if (buf[0] < '0' || buf[0] > '9')
                return false;
        /* 0x hexadecimal, 0 octal (modes: 0755), else decimal. */
        unsigned long long v = strtoull(buf, &end, 0);

        if (errno != 0 || *end)
                return false;
        *ret = v;
        return true;
}

int srd_value_parse(const char *s, uint64_t *ret, const char **ret_bad, size_t *ret_bad_len) {
        uint64_t v = 0;

        if (!s || !ret)
                return -EINVAL;
        for (;;) {
                const char *bar = strchr(s, '|'), *t = s;
                size_t len = bar ? (size_t) (bar - s) : strlen(s);
                uint64_t part;

                while (len > 0 && (*t == ' ' || *t == '\t'))
                        t++, len--;
                while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
                        len--;
                if (!parse_number(t, len, &part) && srd_symbol_lookup(t, len, &part) < 0) {
                        if (ret_bad)
                                *ret_bad = t;
                        if (ret_bad_len)
                                *ret_bad_len = len;
                        return -EINVAL;
                }
                v |= part;
                if (!bar)
                        break;
                s = bar + 1;
        }
        *ret = v;
        return 0;
}
