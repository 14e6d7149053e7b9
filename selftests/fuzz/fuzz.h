/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz: a syzkaller-style fuzzer for /dev/minihv (and /dev/kvm), see
 * fuzz.c for what it does and how to read its output.
 */
#ifndef _FUZZ_H
#define _FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FUZZ_RING	64	/* calls remembered for a failure report */
#define FUZZ_WHAT	112	/* bytes of one call's description */

/* One remembered call: what it was, what it returned. */
struct fuzz_call {
	uint64_t seq;		/* 0: unused */
	uint32_t episode;
	uint16_t thread;
	uint16_t done;		/* 1 once the call returned */
	long ret;
	int err;
	char what[FUZZ_WHAT];
};

/* Shared between the parent and the episode processes (MAP_SHARED). */
struct fuzz_shared {
	uint64_t calls;		/* ioctls and other calls made */
	uint64_t guests;	/* VMs created */
	uint64_t max_calls;	/* 0: no limit */
	uint64_t seq;		/* ring position */
	int stop;		/* the parent says: finish now */
	struct fuzz_call ring[FUZZ_RING];
};

/* Options, set by the parent before any episode (fork copies them). */
struct fuzz_opts {
	uint64_t seed;
	unsigned int threads;	/* worker threads per episode */
	unsigned int vcpus;	/* vCPUs in an episode's main VM */
	bool no_spin;		/* the guest code never loops without exits */
	bool no_cr8;		/* no MOV to CR8 (QEMU 7.2 TCG aborts) */
	bool avail_tss;		/* TR: a present, available TSS (ditto) */
	bool lme_pae;		/* LME only with PAE (QEMU 7.2 TCG hangs) */
	bool kvm;		/* the device is KVM: spare its known WARN */
	bool verbose;		/* every call on stderr */
	const char *skip;	/* comma-separated op names never generated */
};

extern struct fuzz_shared *fz_shared;
extern struct fuzz_opts fz_opts;

/* splitmix64: one state per thread, seeded from (seed, episode, thread). */
struct rng {
	uint64_t s;
};

static inline uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static inline bool one_in(struct rng *r, unsigned int n)
{
	return rnd_below(r, n) == 0;
}

static inline uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b)
{
	struct rng r = { seed ^ (a * 0x100000001b3ULL) ^ (b << 48) };

	rnd(&r);
	return rnd(&r);
}

/* A boundary value (0, 1, -1, 2^n +- 1, ...) or a random one. */
uint64_t rnd_interesting(struct rng *r);

/* Run one episode (in a child process): returns the exit status. */
int fuzz_episode(uint32_t episode);

/*
 * Guest code generation (gen.c).  gen_program() fills @len bytes at @p
 * (guest-physical @gpa) with templates of sensitive instructions and
 * random bytes; gen_template() appends one template, returning its size.
 */
void gen_program(struct rng *r, uint8_t *p, size_t len, uint64_t gpa);
size_t gen_template(struct rng *r, uint8_t *p, size_t room);
/* The MMIO access a rewriting thread changes under the decoder. */
size_t gen_mmio_loop(struct rng *r, uint8_t *p, size_t room, uint64_t gpa);
/* Instruction bytes for the rewriter: an instruction, maybe partial. */
size_t gen_insn_bytes(struct rng *r, uint8_t *p, size_t room);
/* Another vCPU's loop that keeps flipping bytes at @target. */
size_t gen_smc_writer(struct rng *r, uint8_t *p, size_t room, uint64_t gpa,
		      uint64_t target);
/* An interesting MSR index. */
uint32_t rnd_msr(struct rng *r);

#endif /* _FUZZ_H */
