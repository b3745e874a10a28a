# gup-unify: cocci/ -> patches/ -> scripts/ -> reports/
PYTHON  := /usr/bin/python3
CLI     := $(PYTHON) scripts/gup-unify
KERNEL  ?= sample/linux
BRANCH  ?= gup-unify

.PHONY: all demo deps deps-boottest spatch series cicheck advise check test bench boottest

all: demo

# The whole pipeline on the bundled sample tree: conversion, per-subsystem
# series with cover letters and recipients, the atomic patch, the report.
demo: deps
	$(CLI) series sample/linux

deps:
	@scripts/deps

deps-boottest:
	@scripts/deps boottest

# Convert KERNEL (default: the bundled sample tree) on branch BRANCH, or only
# write the diff to DIFF=<file>; REPORTS=<dir> moves the report from reports/.
spatch: deps
	$(CLI) spatch $(KERNEL) --branch $(BRANCH) $(if $(DIFF),--diff $(DIFF)) \
		$(if $(REPORTS),--reports $(REPORTS)) $(if $(MIN_SITES),--min-sites $(MIN_SITES))

# Per-subsystem patch series (series/<tree>/ or OUT=<dir>) and one atomic
# patch from BRANCH, converting KERNEL first when BRANCH is absent;
# DRY_RUN=1 prints the plan and writes nothing; MIN_SITES=<n> (default 2);
# CHECK=1 then build-checks every step as make check does.
series: deps
	$(CLI) series $(KERNEL) --branch $(BRANCH) $(if $(OUT),--output $(OUT)) \
		$(if $(REPORTS),--reports $(REPORTS)) $(if $(DRY_RUN),--dry-run) \
		$(if $(MIN_SITES),--min-sites $(MIN_SITES)) $(if $(CHECK),--check)

# Report callers of the old API in KERNEL (only lines added since SINCE=<rev>);
# FORMAT=gcc|json|sarif. Exit status 1 when something is found.
cicheck:
	$(CLI) cicheck $(KERNEL) $(if $(SINCE),--since $(SINCE)) $(if $(FORMAT),--format $(FORMAT))

# Report GUP calls in KERNEL made in the wrong lock context (mmap_sem held,
# atomic context, a lock taken only around one call); FORMAT=text|json,
# REPORTS=<dir>. Advice only: exit status 0 whatever is found.
advise: deps
	$(CLI) advise $(KERNEL) $(if $(FORMAT),--format $(FORMAT)) \
		$(if $(REPORTS),--reports $(REPORTS))

test: deps
	$(PYTHON) -m pytest -q -rs tests

# Wall time of make spatch and of a plain spatch --dir on GUP_KERNEL_TREE.
bench: deps
	$(PYTHON) scripts/bench

# Build KERNEL at its base and on BRANCH, boot both under QEMU and run the GUP
# tests of boottest/ in them, on ARCH=a,b or all (default x86_64; BOOTS=N
# boots each for the timings, default 3); report in reports/<tree>/boottest.md.
boottest: deps-boottest
	$(CLI) boottest $(KERNEL) --branch $(BRANCH) $(if $(REPORTS),--reports $(REPORTS)) \
		$(if $(BOOTS),--boots $(BOOTS)) $(if $(ARCH),--arch $(ARCH))

# Build every step of the series BASE..BRANCH of KERNEL on each arch it touches
# and compare warnings with the base; ARCHES=x86_64,mips limits the arches,
# CONFIG=x86_64=defconfig changes a config, SPARSE=1 and CHECKPATCH=1 add those.
check: deps
	$(CLI) check $(KERNEL) --branch $(BRANCH) $(if $(BASE),--base $(BASE)) \
		$(if $(ARCHES),--arches $(ARCHES)) $(foreach c,$(CONFIG),--config $(c)) \
		$(if $(SPARSE),--sparse) $(if $(CHECKPATCH),--checkpatch) \
		$(if $(REPORTS),--reports $(REPORTS))
