/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pin's immunity: once PIN_INSTALL has mapped the memfd into the task
 * it can be neither unmapped, remapped, made writable nor mapped over,
 * from the task or a sibling thread; it is sealed (VmFlags "sl") and
 * read-only; and nobody can write the memfd through another fd, while the
 * supervisor's own pre-seal mapping keeps working (F_SEAL_FUTURE_WRITE).
 * Nor can the task write the pinned bytes through the kernel's other doors
 * into its memory (/proc/self/mem, process_vm_writev, PTRACE_POKEDATA of a
 * fork child that shares the pin, userfaultfd filling the memfd's hole,
 * madvise), and nobody can cut them with ftruncate or punch a hole into
 * them (F_SEAL_SHRINK, required by PIN_INSTALL).
 */
#include <linux/falloc.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "redirect-test.h"

#define NR __NR_getppid
#define PG PAGE_SIZE_
#define CONTENT "pinned-content"
#define UPDATED "updated-by-supervisor"

enum {
        R_CONTENT,
        R_MUNMAP,
        R_MUNMAP_PART,
        R_MPROTECT,
        R_MPROTECT_RW,
        R_MREMAP_GROW,
        R_MREMAP_SHRINK,
        R_MREMAP_MOVE,
        R_MAP_FIXED,
        R_PKEY_MPROTECT,
        _R_MAX,
};

static const char *const attempt_names[_R_MAX] = {
        [R_CONTENT] = "content readable",
        [R_MUNMAP] = "munmap",
        [R_MUNMAP_PART] = "munmap of the second page",
        [R_MPROTECT] = "mprotect to PROT_NONE",
        [R_MPROTECT_RW] = "mprotect to read-write",
        [R_MREMAP_GROW] = "mremap grow with MAYMOVE",
        [R_MREMAP_SHRINK] = "mremap shrink",
        [R_MREMAP_MOVE] = "mremap to a fixed new address",
        [R_MAP_FIXED] = "mmap MAP_FIXED over it",
        [R_PKEY_MPROTECT] = "pkey_mprotect (pkey -1) to PROT_NONE",
};

#define THREAD_BASE 9
#define R_SMAPS 20
#define R_WRITE_SIG 21
#define R_UPDATED 22
/* The other doors (errno, 0 = the write went through, -1 = it wrote nothing). */
#define W_PROC_MEM 23
#define W_VM_WRITEV 24
#define W_POKEDATA 25
#define W_POKE_INTACT 26
#define W_UFFD 27
#define W_MADV_REMOVE 28
#define W_MADV_DONTNEED 29
#define W_INTACT 30

static int err_of(int r)
{
        return r < 0 ? errno : 0;
}

/* Tries everything against the pin at a; stores errnos (0 = it worked) at base. */
static void attack(char *a, int base)
{
        void *p, *spare;

        shm->v[base + R_CONTENT] = memcmp(a, CONTENT, sizeof(CONTENT)) == 0;
        shm->v[base + R_MUNMAP] = err_of(munmap(a, 2 * PG));
        shm->v[base + R_MUNMAP_PART] = err_of(munmap(a + PG, PG));
        shm->v[base + R_MPROTECT] = err_of(mprotect(a, PG, PROT_NONE));
        shm->v[base + R_MPROTECT_RW] = err_of(mprotect(a, PG, PROT_READ | PROT_WRITE));
        p = mremap(a, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
        shm->v[base + R_MREMAP_GROW] = p == MAP_FAILED ? errno : 0;
        p = mremap(a, 2 * PG, PG, 0);
        shm->v[base + R_MREMAP_SHRINK] = p == MAP_FAILED ? errno : 0;
        spare = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p = mremap(a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, spare);
        shm->v[base + R_MREMAP_MOVE] = p == MAP_FAILED ? errno : 0;
        p = mmap(a, PG, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        shm->v[base + R_MAP_FIXED] = p == MAP_FAILED ? errno : 0;
        shm->v[base + R_PKEY_MPROTECT] = err_of(pkey_mprotect(a, PG, PROT_NONE, -1));
}

static long write_result(ssize_t n)
{
        return n > 0 ? 0 : n == 0 ? -1 : errno;
}

/* PTRACE_POKEDATA into a stopped fork child, which inherited the pin. */
static void poke_child(char *a)
{
        long peek;
        pid_t pid;
        int st;

        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                ptrace(PTRACE_TRACEME, 0, 0, 0);
                raise(SIGSTOP);
                _exit(0);
        }
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
                shm->v[W_POKEDATA] = -2;
                return;
        }
        shm->v[W_POKEDATA] = ptrace(PTRACE_POKEDATA, pid, a, (void *) 0x5858585858585858L) == 0 ? 0 : errno;
        errno = 0;
        peek = ptrace(PTRACE_PEEKDATA, pid, a, 0);
        shm->v[W_POKE_INTACT] = errno == 0 && memcmp(&peek, CONTENT, sizeof(peek)) == 0;
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
}

/*
 * Registering the pin with userfaultfd would let UFFDIO_COPY fill the
 * memfd's hole (its second page) without write permission.
 */
static long uffd_register(char *a)
{
        struct uffdio_api api = { .api = UFFD_API };
        struct uffdio_register reg = {
                .range = { .start = (uintptr_t) a, .len = 2 * PG },
                .mode = UFFDIO_REGISTER_MODE_MISSING,
        };
        long r;
        int fd;

        fd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
        if (fd < 0)
                return -2;
        if (ioctl(fd, UFFDIO_API, &api) < 0) {
                close(fd);
                return -2;
        }
        r = ioctl(fd, UFFDIO_REGISTER, &reg) == 0 ? 0 : errno;
        close(fd);
        return r;
}

/* Writes to the pin through the kernel rather than the mapping; all must fail. */
static void other_doors(char *a)
{
        struct iovec local = { .iov_base = (void *) "XXXX", .iov_len = 4 };
        struct iovec remote = { .iov_base = a, .iov_len = 4 };
        int fd;

        fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
        shm->v[W_PROC_MEM] = fd < 0 ? -2 : write_result(pwrite(fd, "XXXX", 4, (off_t) (uintptr_t) a));
        if (fd >= 0)
                close(fd);
        shm->v[W_VM_WRITEV] = write_result(process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
        poke_child(a);
        shm->v[W_UFFD] = uffd_register(a);
        shm->v[W_MADV_REMOVE] = err_of(madvise(a, PG, MADV_REMOVE));
        /* Dropping the page tables is allowed; the bytes come back from the memfd. */
        shm->v[W_MADV_DONTNEED] = err_of(madvise(a, 2 * PG, MADV_DONTNEED));
        shm->v[W_INTACT] = memcmp(a, CONTENT, sizeof(CONTENT)) == 0 && a[PG] == 0;
}

static void *thread_attack(void *a)
{
        attack(a, THREAD_BASE);
        return NULL;
}

/* 1 if /proc/self/smaps shows the mapping at a sealed and not writable. */
static int smaps_sealed(uintptr_t a)
{
        char line[512], start[32];
        bool in = false;
        FILE *f = fopen("/proc/self/smaps", "re");
        int r = -1;

        if (!f)
                return -1;
        snprintf(start, sizeof(start), "%lx-", (unsigned long) a);
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, start, strlen(start)) == 0)
                        in = true;
                else if (in && strncmp(line, "VmFlags:", 8) == 0) {
                        r = strstr(line, " sl") && !strstr(line, " wr") && !strstr(line, " mw");
                        break;
                }
        }
        fclose(f);
        return r;
}

static int body(void *arg, int ctl)
{
        pthread_t th;
        char *a;
        pid_t pid;
        int st;

        syscall(NR); /* the supervisor pins while this is pending */
        a = (char *) (uintptr_t) shm->addr;
        if (!a)
                return 3;
        shm->v[R_SMAPS] = smaps_sealed((uintptr_t) a);
        attack(a, 0);
        if (pthread_create(&th, NULL, thread_attack, a) != 0)
                return 4;
        pthread_join(th, NULL);
        other_doors(a);

        fflush(stdout);
        pid = fork();
        if (pid == 0) {
                *(volatile char *) a = 'X';
                _exit(0);
        }
        waitpid(pid, &st, 0);
        shm->v[R_WRITE_SIG] = WIFSIGNALED(st) ? WTERMSIG(st) : 0;

        sync_send(ctl); /* ask the supervisor to update the content */
        sync_recv(ctl);
        shm->v[R_UPDATED] = memcmp(a, UPDATED, sizeof(UPDATED)) == 0;
        shm->done = 1;
        return 0;
}

/*
 * The seal answers EPERM. Making the mapping writable is refused earlier,
 * with EACCES, because the pin never had VM_MAYWRITE; either way it fails.
 */
static void check_attempt(const char *who, int i, long err)
{
        if (i == R_PKEY_MPROTECT && err == ENOSYS)
                tap_skip(attempt_names[i], "%s: no pkey_mprotect in this kernel", who);
        else if (i == R_MPROTECT_RW)
                tap_ok(err == EACCES || err == EPERM, "%s: %s fails with EACCES or EPERM (got %s)", who,
                       attempt_names[i], errname((int) err));
        else
                tap_ok(err == EPERM, "%s: %s fails with EPERM (got %s)", who, attempt_names[i], errname((int) err));
}

static void check_writes(int mfd)
{
        char path[64];
        int fd2;
        void *p;

        tap_ok(pwrite(mfd, "x", 1, 0) < 0 && errno == EPERM, "write through the supervisor's memfd fd fails: EPERM");
        snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
        fd2 = open(path, O_RDWR | O_CLOEXEC);
        tap_ok(fd2 >= 0 && pwrite(fd2, "x", 1, 0) < 0 && errno == EPERM,
               "write through another fd of the memfd (reopened O_RDWR) fails: EPERM (%s)", errname(errno));
        p = fd2 >= 0 ? mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0) : MAP_FAILED;
        tap_ok(p == MAP_FAILED && errno == EPERM, "new shared writable mapping of the memfd fails: EPERM (%s)",
               errname(errno));
        /* F_SEAL_SHRINK: the pinned bytes cannot be cut off or punched out after validation. */
        tap_ok(ftruncate(mfd, PG) < 0 && errno == EPERM, "ftruncate of the memfd to one page fails: EPERM (%s)",
               errname(errno));
        tap_ok(fd2 >= 0 && ftruncate(fd2, 0) < 0 && errno == EPERM,
               "ftruncate through another fd of the memfd fails: EPERM (%s)", errname(errno));
        tap_ok(fd2 >= 0 && fallocate(fd2, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PG) < 0 && errno == EPERM,
               "punching a hole into the memfd fails: EPERM (%s)", errname(errno));
        if (fd2 >= 0)
                close(fd2);
}

static void check_doors(void)
{
        static const struct {
                int i;
                const char *name;
        } doors[] = {
                { W_PROC_MEM, "a write through /proc/self/mem" },
                { W_VM_WRITEV, "process_vm_writev to itself" },
                { W_POKEDATA, "PTRACE_POKEDATA into a fork child sharing the pin" },
                { W_UFFD, "UFFDIO_REGISTER of the pin (UFFDIO_COPY could fill the memfd's hole)" },
                { W_MADV_REMOVE, "madvise(MADV_REMOVE)" },
        };

        for (size_t k = 0; k < ELEMENTSOF(doors); k++) {
                long v = shm->v[doors[k].i];

                if (v == -2)
                        tap_ok(false, "task: %s: could not set the attempt up", doors[k].name);
                else
                        tap_ok(v != 0, "task: %s fails (%s)", doors[k].name,
                               v == -1 ? "wrote nothing" : errname((int) v));
        }
        tap_ok(shm->v[W_POKE_INTACT] == 1, "task: PTRACE_PEEKDATA of the child's pin still reads the content");
        tap_diag("madvise(MADV_DONTNEED) on the pin: %s", errname((int) shm->v[W_MADV_DONTNEED]));
        tap_ok(shm->v[W_INTACT] == 1, "task: after all of it the pin still holds the content and a zero second page");
}

int main(void)
{
        struct target t;
        struct seccomp_notif n;
        uint64_t a = 0;
        char *w;
        int r, mfd, st;

        shared_init();
        /* The supervisor maps the memfd writable before sealing it. */
        mfd = memfd_sealed(CONTENT, sizeof(CONTENT), 2 * PG, 0);
        w = mfd >= 0 ? mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0) : MAP_FAILED;
        r = w != MAP_FAILED && fcntl(mfd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK) == 0 ? 0 : -errno;
        if (!tap_ok(r == 0, "memfd mapped writable, then sealed F_SEAL_FUTURE_WRITE|F_SEAL_SHRINK (%s)", errname(r)))
                return tap_done();

        r = target_start(&t, NR, REDIRECT_LISTENER, NULL, body, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (r == 0)
                r = pin_install(t.listener, n.id, mfd, 2 * PG, &a);
        if (!tap_ok(r == 0, "PIN_INSTALL of 2 pages into the target (%s, %#llx)", errname(r), (unsigned long long) a)) {
                target_kill(&t);
                return tap_done();
        }
        shm->addr = a;
        notif_continue(t.listener, n.id);
        r = sync_recv(t.ctl);
        memcpy(w, UPDATED, sizeof(UPDATED));
        sync_send(t.ctl);
        st = target_wait(&t);
        if (!tap_ok(r == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && shm->done, "target ran its attacks (%s)",
                    status_str(st)))
                return tap_done();

        tap_ok(shm->v[R_SMAPS] == 1, "smaps: the pin is VM_SEALED (sl) and not writable (%ld)", shm->v[R_SMAPS]);
        tap_ok(shm->v[R_CONTENT] == 1, "task: %s", attempt_names[R_CONTENT]);
        for (int i = R_MUNMAP; i < _R_MAX; i++)
                check_attempt("task", i, shm->v[i]);
        tap_ok(shm->v[THREAD_BASE + R_CONTENT] == 1, "sibling thread: %s", attempt_names[R_CONTENT]);
        for (int i = R_MUNMAP; i < _R_MAX; i++)
                check_attempt("sibling thread", i, shm->v[THREAD_BASE + i]);
        tap_ok(shm->v[R_WRITE_SIG] == SIGSEGV, "a store to the pin faults with SIGSEGV (signal %ld)",
               shm->v[R_WRITE_SIG]);
        check_doors();
        tap_ok(shm->v[R_UPDATED] == 1, "the supervisor's pre-seal writable mapping still updates the pin");
        check_writes(mfd);
        return tap_done();
}
