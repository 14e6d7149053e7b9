// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run top: the running minihv VMs and their exit rates by reason,
 * refreshed every interval, like KVM's kvm_stat.
 *
 *   minihv-run top [-d SECONDS] [-n ITERATIONS] [--batch]
 *
 * It reads /sys/kernel/debug/minihv/<pid>-<vmfd>/stats (kmod/debugfs.c;
 * debugfs mounted, root), so it sees every VM of every process, and
 * prints for each VM the exits per second over the last interval, where
 * its vCPUs' time went (guest, kernel, userspace), and the busiest exit
 * reasons with their rate and mean cost (time from exit to re-entry).
 * On a terminal the screen is redrawn; with --batch (or when stdout is
 * not a terminal) each refresh is appended, for logs and tests.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minihv-run.h"

#define DEBUGFS_DIR	"/sys/kernel/debug/minihv"
#define MAX_VMS		64
#define MAX_REASONS	64
#define SHOW_REASONS	8

struct reason_sample {
	char name[32];
	uint64_t exits;
	uint64_t exit_ns;
};

struct vm_sample {
	char dir[64];		/* <pid>-<vmfd> */
	unsigned int id, vcpus;
	uint64_t exits, guest_ns, kernel_ns, user_ns;
	struct reason_sample r[MAX_REASONS];
	int nr;
};

struct snapshot {
	struct vm_sample vm[MAX_VMS];
	int n;
	double t;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool read_vm(const char *dir, struct vm_sample *vm)
{
	char path[512], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/stats", DEBUGFS_DIR, dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->dir, sizeof(vm->dir), "%s", dir);
	while (fgets(line, sizeof(line), f)) {
		struct reason_sample *r = &vm->r[vm->nr];
		unsigned long long a, b;

		if (sscanf(line, "vm %u", &vm->id) == 1 ||
		    sscanf(line, "vcpus %u", &vm->vcpus) == 1)
			continue;
		if (sscanf(line, "exits %llu", &a) == 1)
			vm->exits = a;
		else if (sscanf(line, "guest_ns %llu", &a) == 1)
			vm->guest_ns = a;
		else if (sscanf(line, "kernel_ns %llu", &a) == 1)
			vm->kernel_ns = a;
		else if (sscanf(line, "user_ns %llu", &a) == 1)
			vm->user_ns = a;
		else if (vm->nr < MAX_REASONS &&
			 sscanf(line, "reason %31s %llu %llu", r->name, &a,
				&b) == 3) {
			r->exits = a;
			r->exit_ns = b;
			vm->nr++;
		}
	}
	fclose(f);
	return true;
}

static int take(struct snapshot *s)
{
	DIR *d = opendir(DEBUGFS_DIR);
	struct dirent *e;

	s->n = 0;
	s->t = now();
	if (!d)
		return -errno;
	while ((e = readdir(d)) && s->n < MAX_VMS) {
		if (e->d_name[0] == '.')
			continue;
		if (read_vm(e->d_name, &s->vm[s->n]))
			s->n++;
	}
	closedir(d);
	return 0;
}

static const struct vm_sample *find_vm(const struct snapshot *s,
				       const struct vm_sample *vm)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->vm[i].id == vm->id && !strcmp(s->vm[i].dir, vm->dir))
			return &s->vm[i];
	return NULL;
}

static const struct reason_sample *find_reason(const struct vm_sample *vm,
					       const char *name)
{
	int i;

	for (i = 0; vm && i < vm->nr; i++)
		if (!strcmp(vm->r[i].name, name))
			return &vm->r[i];
	return NULL;
}

/* One VM's line and its busiest reasons over the interval. */
static void print_vm(const struct vm_sample *vm, const struct vm_sample *old,
		     double dt)
{
	uint64_t g = vm->guest_ns - (old ? old->guest_ns : 0);
	uint64_t k = vm->kernel_ns - (old ? old->kernel_ns : 0);
	uint64_t u = vm->user_ns - (old ? old->user_ns : 0);
	double busy = (double)g + k + u;
	struct reason_sample d[MAX_REASONS];
	int i, j, n = 0;

	if (busy <= 0)
		busy = 1;
	printf("%-6u %-14s %5u %11.0f %7.1f %7.1f %7.1f\n", vm->id, vm->dir,
	       vm->vcpus, (vm->exits - (old ? old->exits : 0)) / dt,
	       100 * g / busy, 100 * k / busy, 100 * u / busy);
	for (i = 0; i < vm->nr; i++) {
		const struct reason_sample *o = find_reason(old,
							    vm->r[i].name);

		d[n] = vm->r[i];
		d[n].exits -= o ? o->exits : 0;
		d[n].exit_ns -= o ? o->exit_ns : 0;
		if (d[n].exits)
			n++;
	}
	/* Busiest first (a few reasons: insertion sort). */
	for (i = 1; i < n; i++) {
		struct reason_sample t = d[i];

		for (j = i; j > 0 && d[j - 1].exits < t.exits; j--)
			d[j] = d[j - 1];
		d[j] = t;
	}
	for (i = 0; i < n && i < SHOW_REASONS; i++)
		printf("         %-16s %11.0f/s   mean %8.0f ns\n", d[i].name,
		       d[i].exits / dt, (double)d[i].exit_ns / d[i].exits);
}

static int usage_top(const char *what)
{
	fprintf(stderr, "minihv-run top: %s\n"
		"usage: minihv-run top [-d SECONDS] [-n ITERATIONS] [--batch]\n",
		what);
	return EXIT_USAGE;
}

int cmd_top(int argc, char **argv)
{
	static struct snapshot a, b;
	struct snapshot *old = &a, *cur = &b, *t;
	double delay = 1;
	long iterations = 0, it;
	bool batch = !isatty(STDOUT_FILENO);
	int i, r;

	for (i = 0; i < argc; i++) {
		char *end;

		if ((!strcmp(argv[i], "-d") || !strcmp(argv[i], "--delay")) &&
		    i + 1 < argc) {
			delay = strtod(argv[++i], &end);
			if (*end || delay <= 0 || delay > 3600)
				return usage_top("-d wants seconds, > 0");
		} else if ((!strcmp(argv[i], "-n") ||
			    !strcmp(argv[i], "--iterations")) && i + 1 < argc) {
			iterations = strtol(argv[++i], &end, 10);
			if (*end || iterations < 0)
				return usage_top("-n wants a count, >= 0");
		} else if (!strcmp(argv[i], "--batch") ||
			   !strcmp(argv[i], "-b")) {
			batch = true;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			printf("usage: minihv-run top [-d SECONDS] [-n ITERATIONS] [--batch]\n"
			       "  live exit rates of the minihv VMs (debugfs)\n"
			       "  -d  refresh interval (default 1 s)\n"
			       "  -n  stop after that many refreshes (default: never)\n"
			       "  -b, --batch  append refreshes, no screen redraw\n");
			return 0;
		} else {
			return usage_top("unknown option");
		}
	}
	r = take(old);
	if (r) {
		fprintf(stderr, "minihv-run top: %s: %s (debugfs mounted? root? minihv loaded?)\n",
			DEBUGFS_DIR, strerror(-r));
		return EXIT_UNUSABLE;
	}
	for (it = 0; !iterations || it < iterations; it++) {
		double dt;

		usleep((useconds_t)(delay * 1e6));
		take(cur);
		dt = cur->t - old->t;
		if (!batch)
			printf("\033[H\033[2J");
		printf("minihv top: %d VM%s, last %.1f s\n", cur->n,
		       cur->n == 1 ? "" : "s", dt);
		printf("%-6s %-14s %5s %11s %7s %7s %7s\n", "VM", "pid-fd",
		       "vCPUs", "exits/s", "guest%", "kern%", "user%");
		for (i = 0; i < cur->n; i++)
			print_vm(&cur->vm[i], find_vm(old, &cur->vm[i]), dt);
		if (batch)
			printf("\n");
		fflush(stdout);
		t = old;
		old = cur;
		cur = t;
	}
	return 0;
}
