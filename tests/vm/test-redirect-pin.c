/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pin's immunity: once PIN_INSTALL has mapped the memfd into the task
 * it can be neither unmapped, remapped, made writable nor mapped over,
 * from the task or a sibling thread; it is sealed (VmFlags "sl") and
 * read-only; and nobody can write the memfd through another fd, while the
 * supervisor's own pre-seal mapping keeps working (F_SEAL_FUTURE_WRITE).
 */
#include <pthread.h>

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
};

#define THREAD_BASE 9
#define R_SMAPS 20
#define R_WRITE_SIG 21
#define R_UPDATED 22

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
        if (i == R_MPROTECT_RW)
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
        if (fd2 >= 0)
                close(fd2);
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
        r = w != MAP_FAILED && fcntl(mfd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0 ? 0 : -errno;
        if (!tap_ok(r == 0, "memfd mapped writable, then sealed F_SEAL_FUTURE_WRITE (%s)", errname(r)))
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
        tap_ok(shm->v[R_UPDATED] == 1, "the supervisor's pre-seal writable mapping still updates the pin");
        check_writes(mfd);
        return tap_done();
}
