// SPDX-License-Identifier: GPL-2.0
/*
 * exit_bench: the cost of one guest exit and re-entry, four ways.
 *
 * A benchmark, not a test: it prints numbers and never judges them.  It
 * runs against $MINIHV_DEV (hvtest.h: /dev/minihv by default, /dev/kvm for
 * KVM) and is meant for the SVM lab under QEMU -icount and the VMX lab
 * in Bochs (lab/bench.sh, `make bench`; Documentation/performance.rst).
 *
 * One VM with one 64-bit vCPU runs four guest loops in turn, each N times
 * and then an OUT to BENCH_DONE_PORT:
 *
 *   cpuid      CPUID leaf 0: exit, handled in the kernel, re-entry.
 *   hypercall  VMMCALL (AMD host) or VMCALL (Intel host: VMMCALL would
 *              #UD) with RAX = MINIHV_HC_NOP: in the kernel on minihv;
 *              KVM answers an unknown number in the kernel too (-KVM_ENOSYS
 *              in RAX), so both are in-kernel round trips.
 *   pio        OUT to BENCH_PORT: KVM_EXIT_IO to userspace, which only
 *              calls KVM_RUN again.
 *   mmio       a store to an unbacked GPA: KVM_EXIT_MMIO to userspace and
 *              back.
 *
 * Only one VM per device: kvm_amd in the QEMU SVM lab soft-locks when
 * many VMs are created and destroyed quickly.
 *
 * The clock is CLOCK_MONOTONIC around the KVM_RUN loop (one KVM_RUN for
 * the in-kernel loops; one per exit for the userspace ones).  Each loop
 * runs once untimed with a few iterations first (faults in the pages, and
 * KVM's MMIO SPTE).
 *
 * usage: exit_bench [N_KERNEL [N_USER]]   (defaults 20000 and 5000)
 *
 * Output: a human-readable table, and per loop one machine-readable line
 *   bench <device> <loop> <exits> <ns>
 * where <device> is "minihv" or "kvm".
 */
#include <cpuid.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>

#include "lib/hvtest.h"
#include "lib/guest.h"

#define BENCH_PORT	0x500
#define BENCH_DONE_PORT	0x501
#define BENCH_MMIO_GPA	0xc0000000UL	/* identity mapped, no slot */
#define WARMUP_ITERS	64

#define S_(x) #x
#define S(x) S_(x)

/* The iteration count is in r8; every loop ends with OUT to the done port. */
GUEST_ASM(bench_guest, ".code64",
	"bench_cpuid:\n"
	"1: xorl %eax, %eax\n"
	"xorl %ecx, %ecx\n"
	"cpuid\n"
	"decq %r8\n"
	"jnz 1b\n"
	"jmp bench_done\n"

	"bench_hcall:\n"
	"1: movl $" S(MINIHV_HC_NOP) ", %eax\n"
	"vmmcall\n"
	"decq %r8\n"
	"jnz 1b\n"
	"jmp bench_done\n"

	"bench_hcall_vmx:\n"
	"1: movl $" S(MINIHV_HC_NOP) ", %eax\n"
	"vmcall\n"
	"decq %r8\n"
	"jnz 1b\n"
	"jmp bench_done\n"

	"bench_pio:\n"
	"movw $" S(BENCH_PORT) ", %dx\n"
	"1: outb %al, %dx\n"
	"decq %r8\n"
	"jnz 1b\n"
	"jmp bench_done\n"

	"bench_mmio:\n"
	"movl $" S(BENCH_MMIO_GPA) ", %ebx\n"
	"1: movl %eax, (%rbx)\n"
	"decq %r8\n"
	"jnz 1b\n"
	"jmp bench_done\n"

	"bench_done:\n"
	"movw $" S(BENCH_DONE_PORT) ", %dx\n"
	"outl %eax, %dx\n"
	"hlt\n"
	"jmp bench_done\n");
GUEST_LABEL(bench_cpuid);
GUEST_LABEL(bench_hcall);
GUEST_LABEL(bench_hcall_vmx);
GUEST_LABEL(bench_pio);
GUEST_LABEL(bench_mmio);

enum loop_kind { IN_KERNEL, TO_USER };

struct loop {
	const char *name;
	const unsigned char *entry;
	enum loop_kind kind;
	uint32_t exit_reason;	/* TO_USER: the exit each iteration makes */
	const char *path;
};

static struct loop loops[] = {
	{ "cpuid", bench_cpuid, IN_KERNEL, 0,
	  "CPUID exit -> kernel handler -> re-entry" },
	{ "hypercall", bench_hcall, IN_KERNEL, 0,
	  "VMMCALL exit -> kernel handler -> re-entry" },
	{ "pio", bench_pio, TO_USER, KVM_EXIT_IO,
	  "OUT exit -> KVM_EXIT_IO to userspace -> KVM_RUN" },
	{ "mmio", bench_mmio, TO_USER, KVM_EXIT_MMIO,
	  "store to unbacked GPA -> KVM_EXIT_MMIO to userspace -> KVM_RUN" },
};

/* An Intel host (VMX): the hypercall loop uses VMCALL instead of VMMCALL. */
static void pick_hypercall(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0, &a, &b, &c, &d) ||
	    b != 0x756e6547 || d != 0x49656e69 || c != 0x6c65746e)
		return;	/* not "GenuineIntel" */
	loops[1].entry = bench_hcall_vmx;
	loops[1].path = "VMCALL exit -> kernel handler -> re-entry";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int is_done(struct gvcpu *v)
{
	return v->run->exit_reason == KVM_EXIT_IO &&
	       v->run->io.port == BENCH_DONE_PORT;
}

/* KVM_RUN, retrying EINTR; dies on anything else. */
static uint32_t run_once(struct gvcpu *v)
{
	int r;

	while ((r = gvcpu_run(v)) == -EINTR)
		;
	if (r) {
		errno = -r;
		guest_die("KVM_RUN");
	}
	return v->run->exit_reason;
}

/*
 * Run @l for @iters iterations from a fresh register state: the number of
 * exits seen by userspace in *user_exits, the elapsed ns as the result.
 */
static uint64_t run_loop(struct gvcpu *v, const struct loop *l, uint64_t iters,
			 uint64_t *user_exits, uint64_t *rax)
{
	struct kvm_regs regs;
	uint64_t t0, t1, n = 0;

	gvcpu_set_mode(v, GM_LONG64, GUEST_CODE_GPA + (l->entry - bench_guest));
	gvcpu_get_regs(v, &regs);
	regs.r8 = iters;
	gvcpu_set_regs(v, &regs);

	t0 = now_ns();
	for (;;) {
		uint32_t reason = run_once(v);

		if (is_done(v))
			break;
		if (l->kind != TO_USER || reason != l->exit_reason) {
			fprintf(stderr, "exit_bench: %s: unexpected exit %s\n",
				l->name, gvcpu_exit_str(v));
			exit(1);
		}
		n++;
	}
	t1 = now_ns();

	gvcpu_get_regs(v, &regs);
	if (regs.r8 != 0) {
		fprintf(stderr, "exit_bench: %s: guest stopped with r8 = %llu\n",
			l->name, (unsigned long long)regs.r8);
		exit(1);
	}
	if (l->kind == TO_USER && n != iters) {
		fprintf(stderr, "exit_bench: %s: %llu exits to userspace, want %llu\n",
			l->name, (unsigned long long)n, (unsigned long long)iters);
		exit(1);
	}
	*user_exits = n;
	*rax = regs.rax;
	return t1 - t0;
}

int main(int argc, char **argv)
{
	uint64_t n_kernel = 20000, n_user = 5000;
	const char *dev = hv_dev_name();
	struct gvcpu *v;
	unsigned int i;

	if (argc > 1)
		n_kernel = strtoull(argv[1], NULL, 0);
	if (argc > 2)
		n_user = strtoull(argv[2], NULL, 0);
	if (!n_kernel || !n_user) {
		fprintf(stderr, "usage: exit_bench [N_KERNEL [N_USER]] (both > 0)\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	pick_hypercall();

	v = guest_create(GM_LONG64, bench_guest, bench_guest_end);

	printf("# exit_bench on %s (%s): in-kernel loops x%llu, userspace loops x%llu\n",
	       dev, hv_dev_path(), (unsigned long long)n_kernel,
	       (unsigned long long)n_user);
	printf("# %-10s %10s %14s %10s %12s  %s\n", "loop", "exits", "elapsed ns",
	       "ns/exit", "exits/s", "path");
	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		const struct loop *l = &loops[i];
		uint64_t iters = l->kind == IN_KERNEL ? n_kernel : n_user;
		uint64_t ns, user_exits, rax;

		run_loop(v, l, WARMUP_ITERS, &user_exits, &rax);
		ns = run_loop(v, l, iters, &user_exits, &rax);
		if (!ns)
			ns = 1;
		printf("# %-10s %10llu %14llu %10.1f %12.0f  %s\n", l->name,
		       (unsigned long long)iters, (unsigned long long)ns,
		       (double)ns / iters, iters * 1e9 / ns, l->path);
		if (l->entry == bench_hcall || l->entry == bench_hcall_vmx)
			printf("# hypercall returned rax = %lld\n", (long long)rax);
		printf("bench %s %s %llu %llu\n", dev, l->name,
		       (unsigned long long)iters, (unsigned long long)ns);
	}
	guest_destroy(v);
	return 0;
}
