// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_test: what a hostile guest or /dev/minihv user tries, one test
 * per attack (Documentation/security.rst lists them).
 *
 * Each test runs against /dev/minihv (nested and shadow paging) and, as
 * the differential, against /dev/kvm: a guest or an ioctl may end its own
 * VM (with a clear exit reason) but never hurt the host.  The lab judges
 * the host side: it must finish (no hang) with a clean kernel log (no
 * WARN, BUG, oops, slab corruption).  A test whose failure would hang the
 * host sets an alarm first, so that a hang shows as this test's failure
 * when only the vCPU thread is stuck.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib/harness.h"
#include "lib/guest.h"
#include "lib/hvtest.h"

/* ---- guest-visible CPU state: CR8, MSRs, intercepts (VMX and SVM) ---- */

/* ---- ioctl input: FPU, sregs, memslots, timers ---- */

/* ---- backends: decoder, world switch, failed entry, triple fault ---- */

/* ---- speculative-execution mitigations ---- */

TEST_HARNESS_MAIN
