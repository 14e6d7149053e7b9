/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minihv-run: userspace front end for /dev/minihv (and, for comparison,
 * /dev/kvm).
 */
#ifndef _MINIHV_RUN_H
#define _MINIHV_RUN_H

#define MINIHV_RUN_DEFAULT_DEV	"/dev/minihv"

/* Exit codes */
#define EXIT_USABLE	0	/* check: the device can run VMs */
#define EXIT_UNUSABLE	1	/* check: it cannot; the verdict says why */
#define EXIT_USAGE	2	/* bad command line */

/* "minihv-run check [--dev PATH]": returns the exit code. */
int cmd_check(const char *dev_path);

/* "minihv-run top [-d SECONDS] [-n N] [--batch]" (top.c). */
int cmd_top(int argc, char **argv);

/* "minihv-run run ...": argv[0] is "run"; returns the exit code (run.c). */
int cmd_run(int argc, char **argv);

#endif /* _MINIHV_RUN_H */
