# SPDX-License-Identifier: GPL-2.0
#
# minihv: the module (kbuild, see Kbuild), the userspace tools, the
# selftests, and the emulated labs that run them.
#
#   make              module (sparse-checked, warnings are errors),
#                     minihv-run, selftests, the labs' base initramfs
#   make demo         boot the SVM lab, load minihv, show minihv-run check
#   make check        every lab and test; LABS="svm vmx vmx-smp novirt" T=PATTERN
#                     PAGING=hw|shadow|both (minihv with NPT/EPT, without, both)
#   make lab-run LAB=svm FILES="..." CMD='...'   run anything in a lab
#   make lab-shell LAB=svm                       interactive lab shell
#   make checkpatch   the kernel's checkpatch.pl on our sources
#   make bench        exit, APIC and boot costs, minihv against KVM (both labs)
#   make fuzz         the fuzzer's long run (FUZZ_CALLS=1000000 per device
#                     and paging mode) in the SVM lab; LABS="svm vmx" adds
#                     the VMX lab
#   make deps         install the Debian packages all this needs
#   make check-debug  the selftests in the debug lab: a kernel built once
#                     (make debug-kernel, ~17-60 min) with KASAN, lockdep,
#                     kmemleak, UBSAN; DEBUG_LABS="svm" T= PAGING=
#
# The kernel is the newest Debian kernel with image and headers installed
# (lab/kver.sh); override with KVER=.

KVER	?= $(shell lab/kver.sh 2>/dev/null)
KDIR	?= /lib/modules/$(KVER)/build
B	:= build
CC	:= gcc
UCFLAGS	:= -static -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE
LINUX_SRC_TAR = $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))

LABS	?= svm vmx vmx-smp novirt
T	?=
PAGING	?= both
LAB	?= svm

USER_SRC := $(wildcard userspace/*.c userspace/lib/*.c)
USER_HDR := $(wildcard userspace/*.h userspace/lib/*.h) uapi/minihv.h
TEST_LIB := $(wildcard selftests/lib/*.c)
TEST_HDR := $(wildcard selftests/lib/*.h) uapi/minihv.h
TESTS	 := $(patsubst selftests/%.c,$(B)/selftests/%,$(wildcard selftests/*_test.c))
FUZZ_SRC := $(wildcard selftests/fuzz/*.c)
FUZZ_HDR := $(wildcard selftests/fuzz/*.h)
KSFT	 := $(B)/ksft/kselftest_harness.h

include tests/Makefile.inc

.PHONY: all module userspace selftests lab-base deps check demo lab-run \
	lab-shell checkpatch clean bench fuzz deps-debug debug-kernel \
	debug-module check-debug

all: module userspace selftests lab-base

deps:
	@lab/deps.sh

# Sparse (C=2) on every file; any compiler or sparse warning fails.
module:
	@test -n "$(KVER)" || { echo "no kernel headers: run 'make deps'"; exit 1; }
	@mkdir -p $(B)
	@{ $(MAKE) -C $(KDIR) M=$(CURDIR) C=2 modules 2>&1; \
	   echo $$? > $(B)/module.rc; } | tee $(B)/module.log
	@test "$$(cat $(B)/module.rc)" = 0
	@if grep -E 'warning:|error:' $(B)/module.log; then \
		echo "module: the build above has warnings"; exit 1; fi

userspace: $(B)/userspace/minihv-run

$(B)/userspace/minihv-run: $(USER_SRC) $(USER_HDR)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -Iuapi -Iuserspace -o $@ $(USER_SRC)

selftests: $(TESTS) $(B)/selftests/fuzz_test

# The fuzzer (selftests/fuzz/fuzz.c): one more binary that run.sh runs in
# every lab, like the tests.
$(B)/selftests/fuzz_test: $(FUZZ_SRC) $(FUZZ_HDR) $(TEST_LIB) $(TEST_HDR)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -Iuapi -Iselftests -o $@ $(FUZZ_SRC) $(TEST_LIB) -lpthread

# trace_test builds in the --trace decoder (userspace/trace.c) to test it.
$(B)/selftests/trace_test: userspace/trace.c userspace/trace.h

$(B)/selftests/%: selftests/%.c $(TEST_LIB) $(TEST_HDR) $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -I$(B)/ksft -Iuapi -Iselftests -o $@ $< $(TEST_LIB) -lpthread

# Kernel files we use but never commit: the kselftest harness and
# checkpatch, from the installed linux-source package.
$(B)/linux-src.stamp:
	@test -n "$(LINUX_SRC_TAR)" || { echo "no linux-source: run 'make deps'"; exit 1; }
	@mkdir -p $(B)/linux-src
	tar -xf $(LINUX_SRC_TAR) -C $(B)/linux-src --strip-components=1 \
		--wildcards '*/tools/testing/selftests/kselftest*.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	@touch $@

$(KSFT): $(B)/linux-src.stamp
	@mkdir -p $(@D)
	cp $(B)/linux-src/tools/testing/selftests/kselftest*.h $(@D)/

lab-base: module userspace selftests
	@mkdir -p $(B)/lab
	lab/initramfs.sh $(B)/lab/base.cpio $(KVER)

# The README's two commands: each installs what is missing first.
check: deps
	@$(MAKE) --no-print-directory all
	@LABS="$(LABS)" T="$(T)" PAGING="$(PAGING)" lab/check.sh

demo: deps
	@$(MAKE) --no-print-directory all $(B)/bench/exit_bench
	@lab/demo.sh

# The debug lab (Documentation/labs.rst): Debian's linux-source-6.1 with
# KASAN, lockdep, atomic-sleep checks, kmemleak and UBSAN, KVM as modules
# (lab/debug.config), built once into build/debug-kernel/
# (lab/debug-kernel.sh); minihv built against it; the labs booted on it
# with kmemleak=on and a kmemleak scan after the tests (lab/kmemleak.sh).
# Results in build/lab-debug/LAB/.
DEBUG_LABS	?= svm
DEBUG_CMDLINE	?= kmemleak=on
DEBUG_TIMEOUT	?= 3600
DEBUG_KERNEL	:= $(CURDIR)/$(B)/debug-kernel
DEBUG_MOD	:= $(CURDIR)/$(B)/debug/mod

deps-debug:
	@lab/deps.sh debug

debug-kernel: deps-debug
	@lab/debug-kernel.sh

# The module from a copy of the sources (like the notrace one), so that
# the normal build's objects stay as they are; warnings are errors.
debug-module: debug-kernel
	@rm -rf $(DEBUG_MOD)
	@mkdir -p $(DEBUG_MOD)
	@git ls-files --cached --others --exclude-standard Kbuild kmod arch uapi | \
		tar -cf - -T - | tar -xf - -C $(DEBUG_MOD)
	@{ $(MAKE) -C $(DEBUG_KERNEL)/linux M=$(DEBUG_MOD) modules 2>&1; \
	   echo $$? > $(B)/debug/module.rc; } | tee $(B)/debug/module.log
	@test "$$(cat $(B)/debug/module.rc)" = 0
	@if grep -E 'warning:|error:' $(B)/debug/module.log; then \
		echo "debug-module: the build above has warnings"; exit 1; fi
	@cp $(DEBUG_MOD)/minihv.ko $(B)/debug/minihv.ko

check-debug: deps debug-module
	@$(MAKE) --no-print-directory userspace selftests
	@mkdir -p $(B)/lab-debug
	@LAB_MODULE=$(B)/debug/minihv.ko LAB_MODBASE=$(DEBUG_KERNEL)/modules \
		LAB_GUEST_KVER=$(KVER) lab/initramfs.sh $(B)/lab-debug/base.cpio \
		"$$(cat $(DEBUG_KERNEL)/kernelrelease)"
	@echo "# debug lab kernel $$(cat $(DEBUG_KERNEL)/kernelrelease) ($(DEBUG_CMDLINE))"
	@LAB_DIR=$(CURDIR)/$(B)/lab-debug \
		LAB_KERNEL=$(DEBUG_KERNEL)/linux/arch/x86/boot/bzImage \
		LAB_CMDLINE='$(DEBUG_CMDLINE)' LAB_TIMEOUT=$(DEBUG_TIMEOUT) \
		MINIHV_BOOT_TIMEOUT=$${MINIHV_BOOT_TIMEOUT:-900} \
		CHECK_HOST=0 CHECK_KMEMLEAK=1 LABS="$(DEBUG_LABS)" T="$(T)" \
		PAGING="$(PAGING)" lab/check.sh

lab-run:
	@lab/lab.sh $(LAB) --files "$(FILES)" --cmd '$(CMD)'

# The fuzzer's long run (selftests/fuzz/fuzz.c): fuzz_test alone, through
# run.sh, on minihv (PAGING modes) and KVM; FUZZ_CALLS calls each, no time
# limit unless FUZZ_SECONDS is set.  The SVM lab unless LABS is given.
# `make check` runs the short pass (20 s each) with the other tests.
FUZZ_CALLS ?= 1000000
FUZZ_LABS := $(if $(filter command line environment,$(origin LABS)),$(LABS),svm)
fuzz: deps
	@$(MAKE) --no-print-directory all
	@FUZZ_CALLS=$(FUZZ_CALLS) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		LAB_TIMEOUT=$${LAB_TIMEOUT:-172800} LABS="$(FUZZ_LABS)" \
		T=fuzz_test PAGING="$(PAGING)" lab/check.sh

lab-shell:
	@lab/lab.sh $(LAB) --shell

# Benchmark, minihv against KVM in the SVM and VMX labs (exits, APIC timer
# ticks and IPIs, shadow paging, Linux boots): no pass/fail
# (lab/bench.sh, Documentation/performance.rst).
# The binaries live outside build/selftests (lab/initramfs.sh copies that
# whole folder into every lab); lab/bench.sh passes them to the lab itself.
bench: all $(B)/bench/exit_bench $(B)/bench/fault_bench \
	$(B)/bench/apic_bench $(B)/bench/minihv-notrace.ko
	@lab/bench.sh

# The module with every minihv tracepoint compiled out (MINIHV_NO_TRACE=1,
# Kbuild), for the bench's "tracepoints disabled vs compiled out" table:
# built from a copy of the sources, so build/ and the real module stay apart.
NOTRACE_DIR := $(CURDIR)/$(B)/bench/notrace
$(B)/bench/minihv-notrace.ko: module
	rm -rf $(NOTRACE_DIR)
	mkdir -p $(NOTRACE_DIR)
	git ls-files --cached --others --exclude-standard Kbuild kmod arch uapi | \
		tar -cf - -T - | tar -xf - -C $(NOTRACE_DIR)
	$(MAKE) -C $(KDIR) M=$(NOTRACE_DIR) MINIHV_NO_TRACE=1 modules
	cp $(NOTRACE_DIR)/minihv.ko $@

$(B)/bench/fault_bench: selftests/bench/fault_bench.c $(TEST_LIB) $(TEST_HDR) $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -I$(B)/ksft -Iuapi -Iselftests -o $@ $< $(TEST_LIB) -lpthread

$(B)/bench/apic_bench: selftests/bench/apic_bench.c $(TEST_LIB) $(TEST_HDR) $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -I$(B)/ksft -Iuapi -Iselftests -o $@ $< $(TEST_LIB) -lpthread

$(B)/bench/exit_bench: selftests/bench/exit_bench.c $(TEST_LIB) $(TEST_HDR) $(KSFT)
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -I$(B)/ksft -Iuapi -Iselftests -o $@ $< $(TEST_LIB) -lpthread

# Kernel code must be checkpatch-clean.  Userspace and tests too, except
# for what the kselftest style needs (SKIP-style macros that return,
# braces around EXPECT_*() TH_LOG() pairs, no ARRAY_SIZE, __noreturn or
# __printf in libc).
KERNEL_FILES = $(shell git ls-files 'kmod/*.[chS]' 'arch/*.[ch]' 'arch/*.S' \
	'uapi/*.h')
USER_FILES = $(shell git ls-files 'userspace/*.[ch]' 'selftests/*.[ch]' \
	'tests/*.[ch]')
CHECKPATCH = $(B)/linux-src/scripts/checkpatch.pl --no-tree --quiet --terse

checkpatch: $(B)/linux-src.stamp
	@$(CHECKPATCH) -f $(KERNEL_FILES)
	@$(CHECKPATCH) --ignore MACRO_WITH_FLOW_CONTROL,BRACES,ARRAY_SIZE \
		--ignore EMBEDDED_FUNCTION_NAME,SPLIT_STRING,CONST_STRUCT \
		--ignore PREFER_DEFINED_ATTRIBUTE_MACRO,EMBEDDED_FILENAME \
		-f $(USER_FILES)
	@echo "checkpatch: clean"

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(B)
