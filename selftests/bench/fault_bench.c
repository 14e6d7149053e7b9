// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench: a page-table-heavy guest, to compare shadow paging with
 * nested paging (lab/bench.sh runs it on minihv loaded both ways).
 *
 * A benchmark, not a test: it prints numbers and never judges them.  One
 * 64-bit vCPU switches to its own 4-level tables mapping 64 pages of
 * linear memory (onto 16 frames), then, N rounds: writes each of the 64
 * pages and reloads CR3.  With nested paging that costs no exit after the
 * first round; with shadow paging each CR3 load drops the shadow tree and
 * each of the 64 writes faults into the hypervisor again.
 *
 * usage: fault_bench [ROUNDS]   (default 2000)
 *
 * Output: one line
 *   fbench <device> <paging> <rounds> <ns>
 * where <device> is "minihv" or "kvm", <paging> "hw" or "shadow" (from
 * MINIHV_GET_INFO's TDP flag; always "hw" for KVM).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lib/hvtest.h"
#include "lib/guest.h"

#define DONE_PORT	0x501
#define PML4		0x70000UL
#define PDPT		0x71000UL
#define PD_VA		0x72000UL
#define PT_VA		0x73000UL
#define PD_LOW		0x74000UL
#define FRAMES		0x80000UL
#define VA		0x40000000UL

/* Rounds in r8. */
GUEST_ASM(fault_guest, ".code64",
	"movl $0x70000, %eax\n"
	"movq %rax, %cr3\n"
	"1: movl $64, %ecx\n"
	"movl $0x40000000, %edi\n"
	"2: movl %ecx, (%rdi)\n"
	"addl $0x1000, %edi\n"
	"decl %ecx\n"
	"jnz 2b\n"
	"movq %cr3, %rax\n"
	"movq %rax, %cr3\n"
	"decq %r8\n"
	"jnz 1b\n"
	"movw $0x501, %dx\n"
	"outb %al, %dx\n"
	"hlt\n");

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void build_tables(struct gvm *vm)
{
	int i;

	gvm_write64(vm, PML4, PDPT | 3);
	gvm_write64(vm, PDPT, PD_LOW | 3);
	gvm_write64(vm, PDPT + 8, PD_VA | 3);
	gvm_write64(vm, PD_LOW, 0x83);		/* 2 MiB at 0 */
	gvm_write64(vm, PD_VA, PT_VA | 3);
	for (i = 0; i < 64; i++)
		gvm_write64(vm, PT_VA + i * 8, (FRAMES + (i & 15) * 0x1000) | 3);
}

/* One run of @rounds rounds: the elapsed ns. */
static uint64_t run(struct gvcpu *v, uint64_t rounds)
{
	struct kvm_regs regs;
	uint64_t t0, t1;
	int r;

	gvcpu_set_mode(v, GM_LONG64, GUEST_CODE_GPA);
	gvcpu_get_regs(v, &regs);
	regs.r8 = rounds;
	gvcpu_set_regs(v, &regs);
	t0 = now_ns();
	while ((r = gvcpu_run(v)) == -EINTR)
		;
	t1 = now_ns();
	if (r) {
		errno = -r;
		guest_die("KVM_RUN");
	}
	if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != DONE_PORT) {
		fprintf(stderr, "fault_bench: unexpected exit %s\n", gvcpu_exit_str(v));
		exit(1);
	}
	return t1 - t0;
}

static const char *paging(void)
{
	struct minihv_info info;
	int fd, r;

	if (dev_is_kvm())
		return "hw";
	fd = hv_open_dev();
	if (fd < 0)
		return "?";
	r = hv_get_info(fd, &info);
	close(fd);
	if (r)
		return "?";
	return (info.flags & MINIHV_INFO_TDP) ? "hw" : "shadow";
}

int main(int argc, char **argv)
{
	uint64_t rounds = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000;
	struct gvcpu *v = guest_create(GM_LONG64, fault_guest, fault_guest_end);
	uint64_t ns;

	build_tables(v->vm);
	run(v, 4);		/* warm-up: fault in the pages */
	ns = run(v, rounds);
	printf("# fault_bench: %llu rounds of 64 page writes + MOV CR3: %llu ns (%.0f ns/round)\n",
	       (unsigned long long)rounds, (unsigned long long)ns,
	       rounds ? (double)ns / rounds : 0.0);
	printf("fbench %s %s %llu %llu\n", hv_dev_name(), paging(),
	       (unsigned long long)rounds, (unsigned long long)ns);
	guest_destroy(v);
	return 0;
}
