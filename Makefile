# storctl top-level Makefile: a thin wrapper around CMake (userspace) and
# Kbuild (kernel modules).  See README.md.
#
#   make                    userspace + modules for the running kernel
#   make modules KVER=...   modules for one installed kernel (or KDIR=...)
#   make modules-all        modules for every kernel with headers installed
#   make check              deps, build for all kernels, unit + VM tests
#   make demo               deps, build, narrated tour in a sandbox VM

SHELL      := /bin/bash
BUILD      ?= build
KVER       ?= $(shell uname -r)
KDIR       ?= /lib/modules/$(KVER)/build
JOBS       ?= $(shell nproc)
CTEST_ARGS ?=
SRC        := $(abspath .)
# Every kernel whose headers are installed.
KVERS      := $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/*/build)))

.PHONY: all userspace modules modules-all check test unit vm-test demo \
	deps clean distclean bench

all: userspace
	@if [ -d "$(KDIR)" ]; then $(MAKE) --no-print-directory modules; \
	else echo "note: no headers for $(KVER) at $(KDIR); skipping modules (make modules-all builds for installed kernels)"; fi

deps:
	scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD)

userspace: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Modules are built out of a per-kernel shadow tree of symlinks, so builds
# for different kernels never share object files:
#   $(BUILD)/modules/<kver>/<module>/<module>.ko
modules:
	@test -d "$(KDIR)" || { echo "error: no kernel build dir $(KDIR)" >&2; exit 1; }
	@kv=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$(KDIR)/include/generated/utsrelease.h" 2>/dev/null); \
	kv=$${kv:-$(KVER)}; \
	out="$(SRC)/$(BUILD)/modules/$$kv"; \
	mkdir -p "$$out" && cp -rsf "$(SRC)/kernel/." "$$out/" && \
	$(MAKE) -C "$(KDIR)" M="$$out" STORCTL_INCLUDE="$(SRC)/include" \
		STORCTL_KERNEL="$(SRC)/kernel" modules && \
	echo "modules for $$kv in $$out"

modules-all:
	@test -n "$(KVERS)" || { echo "error: no kernel headers installed (make deps)" >&2; exit 1; }
	@set -e; for kv in $(KVERS); do $(MAKE) --no-print-directory modules KVER=$$kv KDIR=/lib/modules/$$kv/build; done

unit: userspace
	cd $(BUILD) && ctest -L unit --output-on-failure $(CTEST_ARGS)

vm-test: userspace modules-all
	cd $(BUILD) && ctest -L vm --output-on-failure $(CTEST_ARGS)

check:
	BUILD=$(BUILD) JOBS=$(JOBS) CTEST_ARGS="$(CTEST_ARGS)" scripts/check

test: check

demo: deps
	$(MAKE) --no-print-directory userspace
	$(MAKE) --no-print-directory modules-all
	scripts/demo

bench: userspace modules-all
	bench/ramdisk/run
	bench/cache/run
	bench/remote/run

clean:
	rm -rf $(BUILD)

distclean: clean

# Real-host install: the storctl binary and the modules built for $(KVER).
PREFIX  ?= /usr/local
DESTDIR ?=
MODDIR   = $(DESTDIR)/lib/modules/$(KVER)/updates/storctl
MODULES  = ramdisk/stor_ramdisk.ko

.PHONY: install uninstall
install: all
	install -D -m 0755 $(BUILD)/bin/storctl $(DESTDIR)$(PREFIX)/sbin/storctl
	@if [ -f $(BUILD)/modules/$(KVER)/$(firstword $(MODULES)) ]; then \
		for m in $(MODULES); do install -D -m 0644 $(BUILD)/modules/$(KVER)/$$m $(MODDIR)/$$(basename $$m) || exit 1; done; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi; \
	else echo "note: no modules built for $(KVER); installed userspace only"; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/storctl
	rm -rf $(MODDIR)
	@if [ -z "$(DESTDIR)" ] && [ -d /lib/modules/$(KVER) ]; then depmod -a $(KVER); fi
