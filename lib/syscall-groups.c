/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The syscall groups (syscall-groups.h). A group lists names, not numbers:
 * the loader resolves each as if the rule had named it, skipping those the
 * native architecture does not have (open on arm64), so that one group
 * serves every architecture.
 */
#include <string.h>

#include "diag-internal.h"
#include "macro.h"
#include "syscall-groups.h"

#define MEMBERS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const SrdSyscallGroup groups[] = {
        {"@file-open",
         "open a file by path; what the open may do is in \"arg\": \"flags\" (creat is in @file-write)",
         MEMBERS("open", "openat", "openat2")},
        {"@file-write",
         "create, remove, rename, link or change a file through its path (opening for writing is "
         "@file-open with flags)",
         MEMBERS("creat", "truncate", "mkdir", "mkdirat", "mknod", "mknodat", "rmdir", "unlink", "unlinkat",
                 "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod",
                 "fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "utime", "utimes", "futimesat",
                 "utimensat", "setxattr", "lsetxattr", "removexattr", "lremovexattr")},
        {"@file-read", "read a file's metadata or a link through its path",
         MEMBERS("stat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2", "readlink",
                 "readlinkat", "getxattr", "lgetxattr", "listxattr", "llistxattr", "statfs")},
        {"@chmod", "change a file's mode", MEMBERS("chmod", "fchmod", "fchmodat", "fchmodat2")},
        {"@chown", "change a file's owner", MEMBERS("chown", "fchown", "lchown", "fchownat")},
        {"@xattr", "read or change extended attributes",
         MEMBERS("setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
                 "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr")},
        {"@exec", "run a program", MEMBERS("execve", "execveat")},
        {"@mount", "mount, unmount or move a filesystem",
         MEMBERS("mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig",
                 "fsmount", "fspick", "mount_setattr")},
        {"@ptrace", "trace or read and write another process's memory",
         MEMBERS("ptrace", "process_vm_readv", "process_vm_writev")},
        {"@keyring", "the kernel's key retention service", MEMBERS("add_key", "request_key", "keyctl")},
        {"@socket", "make a socket (the family is \"arg\": \"domain\")", MEMBERS("socket", "socketpair")},
        {"@namespace", "enter or make namespaces", MEMBERS("unshare", "setns")},
        {"@module", "load or unload kernel modules",
         MEMBERS("init_module", "finit_module", "delete_module")},
};

const SrdSyscallGroup *srd_syscall_group(const char *name) {
        for (size_t i = 0; name && i < ELEMENTSOF(groups); i++)
                if (streq(groups[i].name, name))
                        return &groups[i];
        return NULL;
}

const SrdSyscallGroup *srd_syscall_groups(size_t *n_ret) {
        *n_ret = ELEMENTSOF(groups);
        return groups;
}

const char *srd_syscall_group_suggest(const char *name) {
        const char *names[ELEMENTSOF(groups)];

        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                names[i] = groups[i].name;
        return srd_suggest(name, names, ELEMENTSOF(names));
}
