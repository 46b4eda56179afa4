/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Symbolic values against the system headers: every name the library knows
 * has the header's value (sign-extended like a register for negative ints),
 * and "A|B", octal modes and errors parse as the policy(5) page says.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
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

#include "macro.h"
#include "symbols.h"
#include "tests.h"

static const struct {
        const char *name;
        int64_t value;
} headers[] = {
#define C(x) {#x, (int64_t) (x)}
        C(AF_ALG), C(AF_APPLETALK), C(AF_ATMPVC), C(AF_ATMSVC), C(AF_AX25), C(AF_BLUETOOTH),
        C(AF_BRIDGE), C(AF_CAIF), C(AF_CAN), C(AF_DECnet), C(AF_IB), C(AF_IEEE802154), C(AF_INET),
        C(AF_INET6), C(AF_IPX), C(AF_IRDA), C(AF_ISDN), C(AF_IUCV), C(AF_KCM), C(AF_KEY), C(AF_LLC),
        C(AF_LOCAL), C(AF_MCTP), C(AF_MPLS), C(AF_NETLINK), C(AF_NETROM), C(AF_NFC), C(AF_PACKET),
        C(AF_PHONET), C(AF_PPPOX), C(AF_QIPCRTR), C(AF_RDS), C(AF_ROSE), C(AF_RXRPC),
        C(AF_SECURITY), C(AF_SMC), C(AF_SNA), C(AF_TIPC), C(AF_UNIX), C(AF_UNSPEC), C(AF_VSOCK),
        C(AF_WANPIPE), C(AF_X25), C(AF_XDP), C(AT_EACCESS), C(AT_EMPTY_PATH), C(AT_FDCWD),
        C(AT_NO_AUTOMOUNT), C(AT_RECURSIVE), C(AT_REMOVEDIR), C(AT_STATX_DONT_SYNC),
        C(AT_STATX_FORCE_SYNC), C(AT_STATX_SYNC_AS_STAT), C(AT_SYMLINK_FOLLOW),
        C(AT_SYMLINK_NOFOLLOW), C(CLONE_CHILD_CLEARTID), C(CLONE_CHILD_SETTID), C(CLONE_FILES),
        C(CLONE_FS), C(CLONE_IO), C(CLONE_NEWCGROUP), C(CLONE_NEWIPC), C(CLONE_NEWNET),
        C(CLONE_NEWNS), C(CLONE_NEWPID), C(CLONE_NEWTIME), C(CLONE_NEWUSER), C(CLONE_NEWUTS),
        C(CLONE_PARENT), C(CLONE_PARENT_SETTID), C(CLONE_PIDFD), C(CLONE_PTRACE), C(CLONE_SETTLS),
        C(CLONE_SIGHAND), C(CLONE_SYSVSEM), C(CLONE_THREAD), C(CLONE_UNTRACED), C(CLONE_VFORK),
        C(CLONE_VM), C(F_OK), C(IPPROTO_ICMP), C(IPPROTO_ICMPV6), C(IPPROTO_IP), C(IPPROTO_IPV6),
        C(IPPROTO_MPTCP), C(IPPROTO_RAW), C(IPPROTO_SCTP), C(IPPROTO_TCP), C(IPPROTO_UDP),
        C(IPPROTO_UDPLITE), C(KEYCTL_GET_KEYRING_ID), C(KEYCTL_JOIN_SESSION_KEYRING),
        C(KEYCTL_LINK), C(KEYCTL_READ), C(KEYCTL_REVOKE), C(KEYCTL_SEARCH), C(KEYCTL_SETPERM),
        C(KEYCTL_UNLINK), C(KEYCTL_UPDATE), C(MAP_ANONYMOUS), C(MAP_FIXED), C(MAP_FIXED_NOREPLACE),
        C(MAP_PRIVATE), C(MAP_SHARED), C(MNT_DETACH), C(MNT_EXPIRE), C(MNT_FORCE), C(MS_BIND),
        C(MS_DIRSYNC), C(MS_LAZYTIME), C(MS_MANDLOCK), C(MS_MOVE), C(MS_NOATIME), C(MS_NODEV),
        C(MS_NODIRATIME), C(MS_NOEXEC), C(MS_NOSUID), C(MS_PRIVATE), C(MS_RDONLY), C(MS_REC),
        C(MS_RELATIME), C(MS_REMOUNT), C(MS_SHARED), C(MS_SILENT), C(MS_SLAVE), C(MS_STRICTATIME),
        C(MS_SYNCHRONOUS), C(MS_UNBINDABLE), C(O_ACCMODE), C(O_APPEND), C(O_ASYNC), C(O_CLOEXEC),
        C(O_CREAT), C(O_DIRECT), C(O_DIRECTORY), C(O_DSYNC), C(O_EXCL), C(O_LARGEFILE), C(O_NDELAY),
        C(O_NOATIME), C(O_NOCTTY), C(O_NOFOLLOW), C(O_NONBLOCK), C(O_PATH), C(O_RDONLY), C(O_RDWR),
        C(O_RSYNC), C(O_SYNC), C(O_TMPFILE), C(O_TRUNC), C(O_WRONLY), C(PROT_EXEC), C(PROT_NONE),
        C(PROT_READ), C(PROT_WRITE), C(PR_CAPBSET_DROP), C(PR_CAP_AMBIENT), C(PR_GET_DUMPABLE),
        C(PR_GET_NAME), C(PR_GET_NO_NEW_PRIVS), C(PR_GET_SECCOMP), C(PR_SET_DUMPABLE),
        C(PR_SET_KEEPCAPS), C(PR_SET_MM), C(PR_SET_NAME), C(PR_SET_NO_NEW_PRIVS),
        C(PR_SET_PDEATHSIG), C(PR_SET_PTRACER), C(PR_SET_SECCOMP), C(PR_SET_SECUREBITS),
        C(PTRACE_ATTACH), C(PTRACE_CONT), C(PTRACE_DETACH), C(PTRACE_GETEVENTMSG),
        C(PTRACE_INTERRUPT), C(PTRACE_KILL), C(PTRACE_LISTEN), C(PTRACE_PEEKDATA),
        C(PTRACE_PEEKTEXT), C(PTRACE_PEEKUSER), C(PTRACE_POKEDATA), C(PTRACE_POKETEXT),
        C(PTRACE_POKEUSER), C(PTRACE_SEIZE), C(PTRACE_SETOPTIONS), C(PTRACE_SINGLESTEP),
        C(PTRACE_SYSCALL), C(PTRACE_TRACEME), C(RESOLVE_BENEATH), C(RESOLVE_CACHED),
        C(RESOLVE_IN_ROOT), C(RESOLVE_NO_MAGICLINKS), C(RESOLVE_NO_SYMLINKS), C(RESOLVE_NO_XDEV),
        C(R_OK), C(SOCK_CLOEXEC), C(SOCK_DCCP), C(SOCK_DGRAM), C(SOCK_NONBLOCK), C(SOCK_PACKET),
        C(SOCK_RAW), C(SOCK_RDM), C(SOCK_SEQPACKET), C(SOCK_STREAM), C(S_IFBLK), C(S_IFCHR),
        C(S_IFDIR), C(S_IFIFO), C(S_IFLNK), C(S_IFMT), C(S_IFREG), C(S_IFSOCK), C(S_IRGRP),
        C(S_IROTH), C(S_IRUSR), C(S_IRWXG), C(S_IRWXO), C(S_IRWXU), C(S_ISGID), C(S_ISUID),
        C(S_ISVTX), C(S_IWGRP), C(S_IWOTH), C(S_IWUSR), C(S_IXGRP), C(S_IXOTH), C(S_IXUSR),
        C(TIOCLINUX), C(TIOCSCTTY), C(TIOCSTI), C(UMOUNT_NOFOLLOW), C(W_OK), C(X_OK)
#undef C
};

TEST(every_name_has_the_header_value) {
        const char *const *names;
        size_t n;

        names = srd_symbol_names(&n);
        /* Both ways: each name of the library is checked here, each checked here is in the library. */
        ASSERT_EQ(n, ELEMENTSOF(headers));
        for (size_t i = 0; i < ELEMENTSOF(headers); i++) {
                uint64_t v;

                ASSERT_OK(srd_symbol_lookup(headers[i].name, strlen(headers[i].name), &v));
                if (v != (uint64_t) headers[i].value) {
                        printf("# %s: library 0x%llx, header 0x%llx\n", headers[i].name, (unsigned long long) v,
                               (unsigned long long) headers[i].value);
                        test_failed_ = 1;
                }
        }
        for (size_t i = 0; i < n; i++) {
                bool found = false;

                for (size_t j = 0; j < ELEMENTSOF(headers) && !found; j++)
                        found = streq(names[i], headers[j].name);
                ASSERT_TRUE(found);
        }
}

TEST(parse) {
        const char *bad = NULL;
        size_t bad_len = 0;
        uint64_t v;

        ASSERT_OK(srd_value_parse("O_WRONLY|O_RDWR", &v, NULL, NULL));
        ASSERT_EQ(v, (uint64_t) (O_WRONLY | O_RDWR));
        ASSERT_OK(srd_value_parse("O_ACCMODE | O_CREAT | O_TRUNC", &v, NULL, NULL));
        ASSERT_EQ(v, (uint64_t) 579);
        ASSERT_OK(srd_value_parse("AF_PACKET", &v, NULL, NULL));
        ASSERT_EQ(v, (uint64_t) 17);
        ASSERT_OK(srd_value_parse("0755", &v, NULL, NULL));
        ASSERT_EQ(v, (uint64_t) 0755);
        ASSERT_OK(srd_value_parse("0x40|S_ISUID", &v, NULL, NULL));
        ASSERT_EQ(v, (uint64_t) (0x40 | S_ISUID));
        ASSERT_OK(srd_value_parse("AT_FDCWD", &v, NULL, NULL));
        ASSERT_EQ(v, (uint64_t) (int64_t) -100);
        ASSERT_OK(srd_value_parse("18446744073709551615", &v, NULL, NULL));
        ASSERT_EQ(v, UINT64_MAX);

        ASSERT_ERROR(srd_value_parse("O_WRONLY|AF_PAKET", &v, &bad, &bad_len), EINVAL);
        ASSERT_EQ(bad_len, (size_t) 8);
        ASSERT_TRUE(strncmp(bad, "AF_PAKET", 8) == 0);
        ASSERT_STREQ(srd_symbol_suggest(bad, bad_len), "AF_PACKET");
        ASSERT_ERROR(srd_value_parse("O_WRONLY||O_TRUNC", &v, &bad, &bad_len), EINVAL);
        ASSERT_EQ(bad_len, (size_t) 0);
        ASSERT_ERROR(srd_value_parse("", &v, NULL, NULL), EINVAL);
        ASSERT_ERROR(srd_value_parse("18446744073709551616", &v, NULL, NULL), EINVAL);
        ASSERT_ERROR(srd_value_parse("0x", &v, NULL, NULL), EINVAL);
        ASSERT_ERROR(srd_value_parse("-", &v, NULL, NULL), EINVAL);
        ASSERT_ERROR(srd_value_parse("o_wronly", &v, NULL, NULL), EINVAL);
}

TESTS_MAIN
