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
# Every kernel whose headers are installed, except scripts/debug-kernel's
# (make modules KVER=<kver>-storctl-debug builds for it; docs/vm-harness.md).
KVERS      := $(filter-out %-storctl-debug,$(notdir $(patsubst %/build,%,$(wildcard /lib/modules/*/build))))

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
	bench/daemon/run

clean:
	rm -rf $(BUILD)

distclean: clean

# DKMS: the source tree in /usr/src/storctl-<version> (scripts/dkms-tree),
# then dkms add + install for every kernel with headers (kernels outside
# dkms.conf's BUILD_EXCLUSIVE_KERNEL are skipped by dkms).  With DESTDIR
# only the source tree is written (for packaging).
VERSION := $(shell sed -n 's/^project.storctl VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

.PHONY: dkms-install dkms-uninstall
dkms-install:
	@if [ -z "$(DESTDIR)" ] && dkms status -m storctl -v $(VERSION) | grep -q .; then \
		dkms remove -m storctl -v $(VERSION) --all; fi
	rm -rf $(DESTDIR)/usr/src/storctl-$(VERSION)
	scripts/dkms-tree $(DESTDIR)/usr/src/storctl-$(VERSION)
	@if [ -z "$(DESTDIR)" ]; then \
		dkms add -m storctl -v $(VERSION) && \
		for kv in $(KVERS); do dkms install -m storctl -v $(VERSION) -k $$kv; rc=$$?; \
			[ $$rc = 0 ] || [ $$rc = 77 ] || exit $$rc; done; fi

dkms-uninstall:
	@if [ -z "$(DESTDIR)" ] && dkms status -m storctl -v $(VERSION) | grep -q .; then \
		dkms remove -m storctl -v $(VERSION) --all; fi
	rm -rf $(DESTDIR)/usr/src/storctl-$(VERSION)

# Real-host install (docs/install.md lists the tree): `cmake --install` of
# the userspace part (cmake/install.cmake: binaries, unit, man pages,
# completion, default config, state dir) with PREFIX and DESTDIR, plus the
# modules built for $(KVER) under /lib/modules/$(KVER)/updates/storctl
# (use DKMS instead to follow kernel upgrades).  `make uninstall` removes
# exactly the files install put there (install_manifest.txt and the module
# list), the settings file only if unchanged, and our directories if empty.
PREFIX  ?= /usr/local
DESTDIR ?=
MODDIR   = $(DESTDIR)/lib/modules/$(KVER)/updates/storctl
MODLIST  = $(BUILD)/install_modules.txt
# run after the modules are installed without DESTDIR (tests/vm/systemd
# passes DEPMOD=: and brings index files depmod made on the host)
DEPMOD  ?= depmod -a

.PHONY: install install-files uninstall
install: all
	$(MAKE) --no-print-directory install-files

# install without building first (what the install.tree test runs)
install-files:
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)
	@: >$(MODLIST); \
	if [ -d $(BUILD)/modules/$(KVER) ]; then \
		for m in $$(cd $(BUILD)/modules/$(KVER) && find . -name '*.ko' | sort); do \
			install -D -m 0644 $(BUILD)/modules/$(KVER)/$$m $(MODDIR)/$$(basename $$m) || exit 1; \
			echo $(MODDIR)/$$(basename $$m) >>$(MODLIST); done; \
		if [ -z "$(DESTDIR)" ]; then $(DEPMOD) $(KVER); fi; \
	else echo "note: no modules built for $(KVER); installed userspace only"; fi

uninstall:
	@test -f $(BUILD)/install_manifest.txt || { echo "error: nothing installed from $(BUILD)" >&2; exit 1; }
	@conf=$(DESTDIR)/etc/storctl/storctld.conf; \
	while read -r f; do \
		[ -n "$$f" ] || continue; \
		if [ "$$f" = "$$conf" ] && ! cmp -s "$$f" systemd/storctld.conf; then \
			echo "keeping $$f (changed since install)"; continue; fi; \
		rm -f "$$f"; \
	done < <(sed 's|^|$(DESTDIR)|' $(BUILD)/install_manifest.txt; echo; [ ! -f $(MODLIST) ] || cat $(MODLIST)); \
	for d in $(MODDIR) $(DESTDIR)/var/lib/storctl $(DESTDIR)/etc/storctl; do \
		[ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; done; \
	if [ -z "$(DESTDIR)" ] && [ -d /lib/modules/$(KVER) ]; then depmod -a $(KVER); fi; \
	rm -f $(BUILD)/install_manifest.txt $(MODLIST)
