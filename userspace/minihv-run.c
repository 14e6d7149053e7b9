// SPDX-License-Identifier: GPL-2.0
/*
 * minihv-run: command line front end.
 *
 *   minihv-run check [--dev PATH]   is this machine able to run minihv VMs?
 *   minihv-run run -k KERNEL ...    run a guest (run.c)
 *   minihv-run top [-d S] [-n N]    live exit rates of the VMs (top.c)
 */
#include <stdio.h>
#include <string.h>

#include "minihv-run.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: minihv-run <command> [options]\n"
		"\n"
		"commands:\n"
		"  check [--dev PATH]  report whether this machine can run VMs\n"
		"                      with minihv (or with KVM: --dev /dev/kvm);\n"
		"                      exit 0 if usable, 1 if not\n"
		"  run -k KERNEL ...   boot a guest kernel (run --help for options)\n"
		"  top [-d S] [-n N] [--batch]\n"
		"                      live exit rates of the running VMs\n"
		"  help, --help, -h    show this text\n"
		"\n"
		"options:\n"
		"  --dev PATH          device to use (default %s)\n"
		"\n"
		"exit status: 0 usable/success, 1 not usable, 2 bad usage\n",
		MINIHV_RUN_DEFAULT_DEV);
}

static int usage_error(const char *fmt, const char *what)
{
	fprintf(stderr, "minihv-run: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\nTry 'minihv-run --help'.\n");
	return EXIT_USAGE;
}

static int check_main(int argc, char **argv)
{
	const char *dev = MINIHV_RUN_DEFAULT_DEV;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dev")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a PATH argument, e.g. --dev /dev/kvm",
						   argv[i]);
			dev = argv[++i];
		} else if (!strncmp(argv[i], "--dev=", 6)) {
			dev = argv[i] + 6;
		} else if (!strcmp(argv[i], "--help") ||
			   !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else {
			return usage_error("check: unknown option '%s' (check takes only --dev PATH)",
					   argv[i]);
		}
	}
	if (!*dev)
		return usage_error("%s", "--dev needs a non-empty PATH");
	return cmd_check(dev);
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "check"))
		return check_main(argc - 2, argv + 2);
	if (!strcmp(cmd, "top"))
		return cmd_top(argc - 2, argv + 2);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return usage_error("unknown option '%s': give a command first (check, run, --help)",
				   cmd);
	return usage_error("unknown command '%s': use check, run or --help", cmd);
}
