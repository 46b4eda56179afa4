/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The compat branches of the series, on a kernel with IA32_EMULATION and
 * X86_X32_ABI: ia32 syscalls issued with int $0x80 (TS_COMPAT is set for
 * them exactly as for a 32-bit process, and seccomp sees AUDIT_ARCH_I386
 * with the ia32 numbering and registers ebx, ecx, edx, esi, edi, ebp), and
 * an x32 syscall issued with the x32 bit.
 *
 *  - a redirect of an ia32 syscall rewrites the ia32 argument registers
 *    (getpgid(0) -> getpgid(MAGIC) fails with ESRCH) and all six are
 *    restored afterwards; an outer filter judges the rewritten ebp;
 *  - a value or pointer end beyond 32 bits is refused (EINVAL) before the
 *    pointer check (EFAULT); a pointer into a pin below 4 GiB works;
 *  - ia32 sigreturn and rt_sigreturn, and x32 rt_sigreturn, cannot be
 *    redirected (EINVAL).
 *
 * The same source is also built with -m32 (test-redirect-ia32-m32): a real
 * 32-bit process, whose libc enters the kernel through the vDSO's fast
 * path (sysenter/syscall, do_fast_syscall_32(), the sixth argument read
 * from the user stack) rather than int $0x80. That build adds the same
 * getpgid and ebp cases through syscall() and leaves out x32.
 */
#include "redirect-test.h"

#define PG PAGE_SIZE_
#define IA32_GETPGID 132
#define IA32_ACCESS 33
#define IA32_SIGRETURN 119
#define IA32_RT_SIGRETURN 173
#define X32_RT_SIGRETURN (0x40000000 | 513)
#define MAGIC 0x5eed0u
#define EBP_MARK 0x0b0b0b0bu
#define PIN_ADDR 0x50000000UL
#define AUDIT_ARCH_I386_ 0x40000003u

#ifdef __i386__
/*
 * int $0x80 with ebx..ebp loaded from a[] and stored back afterwards. All
 * six are taken, so the pointer to a[] waits on the stack; ebx and ebp are
 * saved by hand.
 */
static long int80(long nr, long a[6])
{
        asm volatile("push %%ebx\n\t"
                     "push %%ebp\n\t"
                     "push %%esi\n\t"
                     "mov 0(%%esi), %%ebx\n\t"
                     "mov 4(%%esi), %%ecx\n\t"
                     "mov 8(%%esi), %%edx\n\t"
                     "mov 16(%%esi), %%edi\n\t"
                     "mov 20(%%esi), %%ebp\n\t"
                     "mov 12(%%esi), %%esi\n\t"
                     "int $0x80\n\t"
                     "xchg %%esi, (%%esp)\n\t"
                     "mov %%ebx, 0(%%esi)\n\t"
                     "mov %%ecx, 4(%%esi)\n\t"
                     "mov %%edx, 8(%%esi)\n\t"
                     "mov %%edi, 16(%%esi)\n\t"
                     "mov %%ebp, 20(%%esi)\n\t"
                     "pop %%ecx\n\t"
                     "mov %%ecx, 12(%%esi)\n\t"
                     "pop %%ebp\n\t"
                     "pop %%ebx\n\t"
                     : "+a"(nr), "+S"(a)
                     :
                     : "ecx", "edx", "edi", "memory", "cc");
        return nr;
}
#else
/*
 * int $0x80 with the six ia32 argument registers loaded from a[] and
 * stored back into a[] afterwards. rbx and rbp are saved by hand, and the
 * red zone is stepped over before pushing.
 */
static long int80(long nr, long a[6])
{
        register long *p asm("r12") = a;

        asm volatile("sub $128, %%rsp\n\t"
                     "push %%rbx\n\t"
                     "push %%rbp\n\t"
                     "mov 0(%%r12), %%rbx\n\t"
                     "mov 8(%%r12), %%rcx\n\t"
                     "mov 16(%%r12), %%rdx\n\t"
                     "mov 24(%%r12), %%rsi\n\t"
                     "mov 32(%%r12), %%rdi\n\t"
                     "mov 40(%%r12), %%rbp\n\t"
                     "int $0x80\n\t"
                     "mov %%rbx, 0(%%r12)\n\t"
                     "mov %%rcx, 8(%%r12)\n\t"
                     "mov %%rdx, 16(%%r12)\n\t"
                     "mov %%rsi, 24(%%r12)\n\t"
                     "mov %%rdi, 32(%%r12)\n\t"
                     "mov %%rbp, 40(%%r12)\n\t"
                     "pop %%rbp\n\t"
                     "pop %%rbx\n\t"
                     "add $128, %%rsp\n\t"
                     : "+a"(nr)
                     : "r"(p)
                     : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
        return nr;
}
#endif

static const long getpgid_regs[6] = { 0, 0x11111111, 0x22222222, 0x33333333, 0x44444444, 0x55555555 };

/* ia32 getpgid(0) with marks in the other five registers; v[0..5] = registers after. */
static int body_getpgid(void *arg, int ctl)
{
        long a[6];

        memcpy(a, getpgid_regs, sizeof(a));
        shm->ret = int80(IA32_GETPGID, a);
        for (int i = 0; i < 6; i++)
                shm->v[i] = a[i];
        shm->done = 1;
        return 0;
}

static int recv_ia32(struct target *t, int nr, struct seccomp_notif *n)
{
        int r = notif_recv(t->listener, n, NOTIF_TIMEOUT_MS);

        if (r < 0)
                return r;
        return n->data.arch == AUDIT_ARCH_I386_ && n->data.nr == nr ? 0 : -EPROTO;
}

static void case_getpgid_regs(void)
{
        const char *name = "ia32 getpgid(0) redirected to getpgid(MAGIC), all six registers replaced";
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct target t;
        int r, st;

        shared_reset();
        r = target_start(&t, IA32_GETPGID, REDIRECT_LISTENER, NULL, body_getpgid, NULL);
        if (r == 0)
                r = recv_ia32(&t, IA32_GETPGID, &n);
        if (!tap_ok(r == 0 && n.data.args[0] == 0 && n.data.args[5] == 0x55555555,
                    "%s: notification with arch I386 and ebp in args[5] (%s)", name, errname(r))) {
                target_kill(&t);
                return;
        }
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, MAGIC);
        for (int i = 1; i < 6; i++)
                redirect_arg(&rr, i, 0x66666660 + i);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == 0, "%s: SEND_REDIRECT accepted (%s)", name, errname(r));
        st = target_wait(&t);
        tap_ok(WIFEXITED(st) && shm->done && shm->ret == -ESRCH, "%s: the call ran on ebx=MAGIC: ESRCH (%s, ret=%ld)",
               name, status_str(st), shm->ret);
        tap_ok(regs_equal(getpgid_regs, shm->v),
               "%s: ebx..ebp hold the task's values afterwards (%#lx %#lx %#lx %#lx %#lx %#lx)", name, shm->v[0],
               shm->v[1], shm->v[2], shm->v[3], shm->v[4], shm->v[5]);
}

/* Outer: ERRNO(EXDEV) for ia32 getpgid whose args[5] (ebp) is EBP_MARK. */
static int setup_ebp_errno(void *arg, int ctl)
{
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386_, 0, 5),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IA32_GETPGID, 0, 3),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * 5),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, EBP_MARK, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EXDEV),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };

        return filter_install(f, ELEMENTSOF(f), 0);
}

static void case_walk_ebp(void)
{
        const char *name = "ia32: the outer walk reads the rewritten ebp";
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct target t;
        int r, st;

        shared_reset();
        r = target_start(&t, IA32_GETPGID, REDIRECT_LISTENER, setup_ebp_errno, body_getpgid, NULL);
        if (r == 0)
                r = recv_ia32(&t, IA32_GETPGID, &n);
        if (!tap_ok(r == 0, "%s: notification (%s)", name, errname(r))) {
                target_kill(&t);
                return;
        }
        rr = redirect_new(n.id);
        redirect_arg(&rr, 5, EBP_MARK);
        r = send_redirect(t.listener, &rr);
        st = target_wait(&t);
        if (expect_hole())
                tap_ok(r == 0 && shm->ret >= 0, "%s: no re-validation, the call ran (%s, ret=%ld)", name,
                       status_str(st), shm->ret);
        else
                tap_ok(r == 0 && shm->ret == -EXDEV, "%s: the outer ERRNO applies (redirect %s, %s, ret=%ld)", name,
                       errname(r), status_str(st), shm->ret);
}

static char *low_path; /* below 4 GiB, so an ia32 syscall can use it */

/* ia32 access(low_path, F_OK); low_path does not exist. */
static int body_access(void *arg, int ctl)
{
        long a[6] = { (long) (uintptr_t) low_path, 0 };

        shm->ret = int80(IA32_ACCESS, a);
        shm->done = 1;
        return 0;
}

static void case_range_and_pointer(void)
{
        const char *name = "ia32 access()";
        struct seccomp_notif_pin_install pin = {};
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct target t;
        int r, st, mfd;

        shared_reset();
        mfd = memfd_pin("/", 2, PG);
        r = mfd < 0 ? mfd : target_start(&t, IA32_ACCESS, REDIRECT_LISTENER, NULL, body_access, NULL);
        if (r == 0)
                r = recv_ia32(&t, IA32_ACCESS, &n);
        if (!tap_ok(r == 0 && n.data.args[0] == (uintptr_t) low_path, "%s: notification (%s)", name, errname(r))) {
                if (mfd >= 0)
                        target_kill(&t);
                return;
        }
        pin = (struct seccomp_notif_pin_install) { .id = n.id, .memfd = mfd, .target_addr = PIN_ADDR, .size = PG };
        r = pin_install_full(t.listener, &pin);
        tap_ok(r == 0 && pin.target_addr == PIN_ADDR, "%s: PIN_INSTALL at %#lx, below 4 GiB (%s)", name, PIN_ADDR,
               errname(r));
        /*
         * The task maps the pin inside its ia32 syscall, so a kernel-chosen
         * address comes from the 32-bit mmap base: usable by the syscall.
         */
        pin = (struct seccomp_notif_pin_install) { .id = n.id, .memfd = mfd, .size = PG };
        r = pin_install_full(t.listener, &pin);
        tap_ok(r == 0 && pin.target_addr + PG <= 0x100000000ULL,
               "%s: a kernel-chosen PIN_INSTALL address lies below 4 GiB (%s, %#llx)", name, errname(r),
               (unsigned long long) pin.target_addr);

        rr = redirect_new(n.id);
        redirect_arg(&rr, 1, 0x100000000ULL | F_OK);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == -EINVAL, "%s: a replaced value with bits above 31 is refused: EINVAL (%s)", name, errname(r));
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, 0xfffff000ULL, 2 * PG, mfd);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == -EINVAL, "%s: a pointer range ending above 4 GiB is refused: EINVAL, before the pointer check (%s)",
               name, errname(r));
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, (uintptr_t) low_path, 2, mfd);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == -EFAULT, "%s: a 32-bit pointer outside the pin: EFAULT (%s)", name, errname(r));
        rr = redirect_new(n.id);
        redirect_ptr(&rr, 0, PIN_ADDR, 2, mfd);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == 0, "%s: a pointer into the pin accepted (%s)", name, errname(r));
        st = target_wait(&t);
        tap_ok(WIFEXITED(st) && shm->done && shm->ret == 0, "%s: access(\"/\") through the pin succeeds (%s, ret=%ld)",
               name, status_str(st), shm->ret);
        close(mfd);
}

static int sigreturn_nr;

static int body_sigreturn(void *arg, int ctl)
{
        long a[6] = {};

#ifdef __x86_64__
        if (sigreturn_nr == X32_RT_SIGRETURN) {
                long out[6];

                shm->ret = raw_syscall6(X32_RT_SIGRETURN, a, out);
        } else
#endif
                shm->ret = int80(sigreturn_nr, a);
        shm->done = 1;
        return 0;
}

/*
 * The supervisor answers with an errno after the refused redirect, so the
 * sigreturn never runs.
 */
static void case_sigreturn(const char *name, int nr, uint32_t arch)
{
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct target t;
        int r, st;

        shared_reset();
        sigreturn_nr = nr;
        r = target_start(&t, nr, REDIRECT_LISTENER, NULL, body_sigreturn, NULL);
        if (r == 0)
                r = notif_recv(t.listener, &n, NOTIF_TIMEOUT_MS);
        if (!tap_ok(r == 0 && n.data.nr == nr && n.data.arch == arch, "%s: notification (%s, nr=%d, arch=%#x)", name,
                    errname(r), r == 0 ? n.data.nr : -1, r == 0 ? n.data.arch : 0)) {
                target_kill(&t);
                return;
        }
        rr = redirect_new(n.id);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == -EINVAL, "%s: SEND_REDIRECT refused: EINVAL (%s)", name, errname(r));
        rr = redirect_new(n.id);
        redirect_arg(&rr, 0, 0);
        r = send_redirect(t.listener, &rr);
        tap_ok(r == -EINVAL, "%s: SEND_REDIRECT with one argument refused: EINVAL (%s)", name, errname(r));
        r = notif_send(t.listener, n.id, -EL2HLT, 0);
        st = target_wait(&t);
        tap_ok(r == 0 && WIFEXITED(st) && shm->done && shm->ret == -EL2HLT,
               "%s: the notification was still pending and takes an errno answer (%s, %s, ret=%ld)", name, errname(r),
               status_str(st), shm->ret);
}

#ifdef __i386__
/*
 * A 32-bit process's libc enters through the vDSO (sysenter or syscall):
 * do_fast_syscall_32() reads the sixth argument from the user stack into
 * ebp. getpgid(0) through syscall(), with EBP_MARK wanted in args[5]...
 */
static int body_fast(void *arg, int ctl)
{
        errno = 0;
        shm->ret = syscall(IA32_GETPGID, 0, 1, 2, 3, 4, 5);
        shm->err = errno;
        shm->done = 1;
        return 0;
}

/* ...rewritten to MAGIC (ESRCH), or in ebp only (the outer ERRNO: EXDEV). */
static void case_fast_path(bool ebp)
{
        const char *name = ebp ? "vDSO fast path: getpgid with ebp rewritten, the outer walk reads it"
                               : "vDSO fast path: getpgid(0) redirected to getpgid(MAGIC)";
        struct seccomp_notif_resp_redirect rr;
        struct seccomp_notif n;
        struct target t;
        int r, st;

        shared_reset();
        r = target_start(&t, IA32_GETPGID, REDIRECT_LISTENER, ebp ? setup_ebp_errno : NULL, body_fast, NULL);
        if (r == 0)
                r = recv_ia32(&t, IA32_GETPGID, &n);
        if (!tap_ok(r == 0 && n.data.args[5] == 5, "%s: notification, args[5] from the user stack (%s, %llu)", name,
                    errname(r), r == 0 ? (unsigned long long) n.data.args[5] : 0ULL)) {
                target_kill(&t);
                return;
        }
        rr = redirect_new(n.id);
        redirect_arg(&rr, ebp ? 5 : 0, ebp ? EBP_MARK : MAGIC);
        r = send_redirect(t.listener, &rr);
        st = target_wait(&t);
        tap_ok(r == 0 && WIFEXITED(st) && shm->done && shm->ret == -1 && shm->err == (ebp ? EXDEV : ESRCH),
               "%s: fails with %s (redirect %s, %s, errno=%s)", name, ebp ? "EXDEV" : "ESRCH", errname(r),
               status_str(st), errname(shm->err));
}
#endif

int main(void)
{
        shared_init();
#ifdef __i386__
        tap_diag("a 32-bit process");
        low_path = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#else
        low_path = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
#endif
        if (!tap_ok(low_path != MAP_FAILED, "a page below 4 GiB for ia32 pointers (%s)", errname(errno)))
                return tap_done();
        strcpy(low_path, "/nonexistent-srd-ia32");

        case_getpgid_regs();
        case_walk_ebp();
        case_range_and_pointer();
        case_sigreturn("ia32 sigreturn", IA32_SIGRETURN, AUDIT_ARCH_I386_);
        case_sigreturn("ia32 rt_sigreturn", IA32_RT_SIGRETURN, AUDIT_ARCH_I386_);
#ifdef __i386__
        case_fast_path(false);
        case_fast_path(true);
#else
        case_sigreturn("x32 rt_sigreturn", X32_RT_SIGRETURN, 0xc000003eu);
#endif
        return tap_done();
}
