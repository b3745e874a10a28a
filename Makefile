# gup-unify: cocci/ -> patches/ -> scripts/ -> reports/
PYTHON  := /usr/bin/python3
CLI     := $(PYTHON) scripts/gup-unify
KERNEL  ?= sample/linux
BRANCH  ?= gup-unify

# A yes/no option is on only when it is 1, yes or true: DRY_RUN=0 is off.
on = $(filter 1 yes true,$(1))
# A value as one shell word, whatever it holds (KERNEL="/src/my linux"); a
# leading ~/ still means $HOME, as it did unquoted.
q = $(if $(filter ~/%,$(firstword $(1))),"$$HOME"/'$(subst ','\'',$(subst ^^~/,,^^$(1)))',$\
	'$(subst ','\'',$(1))')
# MIGRATION=<name>: the API change to carry out, a folder of migrations/
# (default gup-flags); every job reads its data from there.
migration = $(if $(MIGRATION),--migration $(call q,$(MIGRATION)))
# What spatch, series and b4 share: who signs off, and subject prefixes to use.
sendable = $(if $(IDENTITY),--identity $(call q,$(IDENTITY))) \
	$(if $(PREFIX_FILE),--prefix-file $(call q,$(PREFIX_FILE)))

.PHONY: all demo deps deps-boottest spatch series b4 cicheck advise check test test-real bench \
	bench-quick boottest help

all: demo

# The whole pipeline on the bundled sample tree: conversion, per-subsystem
# series with cover letters and recipients, the atomic patch, the report.
# The sample is not for sending, so it is signed off by an example identity
# and works on a machine with no git identity (IDENTITY= gives another).
DEMO_IDENTITY := Example Developer <developer@example.org>
demo:
	@scripts/deps demo
	@echo "make demo: signing the sample series off as $(or $(IDENTITY),$(DEMO_IDENTITY)) (IDENTITY= to change)"
	$(CLI) series sample/linux --identity "$(or $(IDENTITY),$(DEMO_IDENTITY))"

# What each target installs when missing: scripts/deps <target>, whose
# --list prints every target's packages.
deps:
	@scripts/deps core

deps-boottest:
	@scripts/deps boottest

# Convert KERNEL (default: the bundled sample tree) on branch BRANCH, or only
# write the diff to DIFF=<file>; REPORTS=<dir> moves the report from reports/;
# FAST_ONLY=1 adds the __get_user_pages_fast() -> get_user_pages_fast_only() phase.
spatch: deps
	$(CLI) spatch $(call q,$(KERNEL)) $(migration) --branch $(call q,$(BRANCH)) \
		$(if $(DIFF),--diff $(call q,$(DIFF))) $(if $(REPORTS),--reports $(call q,$(REPORTS))) \
		$(if $(MIN_SITES),--min-sites $(call q,$(MIN_SITES))) \
		$(if $(call on,$(FAST_ONLY)),--fast-only) $(sendable)

# Per-subsystem patch series (series/<tree>/ or OUT=<dir>) and one atomic
# patch from BRANCH, converting KERNEL first when BRANCH is absent;
# DRY_RUN=1 prints the plan and writes nothing; MIN_SITES=<n> (default 2);
# CHECK=1 then build-checks every step as make check does; FAST_ONLY=1 as
# for spatch, when the branch is made; SHAPE=mm writes one series through mm
# with the callers inside (default SHAPE=maintainers: one per group).
series: deps
	$(if $(call on,$(CHECK)),@scripts/deps check)
	$(CLI) series $(call q,$(KERNEL)) $(migration) --branch $(call q,$(BRANCH)) \
		$(if $(SHAPE),--shape $(call q,$(SHAPE))) \
		$(if $(OUT),--output $(call q,$(OUT))) $(if $(REPORTS),--reports $(call q,$(REPORTS))) \
		$(if $(call on,$(DRY_RUN)),--dry-run) $(if $(MIN_SITES),--min-sites $(call q,$(MIN_SITES))) \
		$(if $(call on,$(CHECK)),--check) $(if $(call on,$(FAST_ONLY)),--fast-only) $(sendable)

# make series, and one b4 prep branch per series (b4/gup-unify-NN-<group>),
# each checked offline with b4 send -o against series/. Sends nothing;
# DRY_RUN=1 prints the series and the branches it would make, and makes none.
b4:
	@scripts/deps b4
	$(CLI) series $(call q,$(KERNEL)) $(migration) --branch $(call q,$(BRANCH)) --b4 \
		$(if $(SHAPE),--shape $(call q,$(SHAPE))) \
		$(if $(OUT),--output $(call q,$(OUT))) $(if $(REPORTS),--reports $(call q,$(REPORTS))) \
		$(if $(call on,$(DRY_RUN)),--dry-run) \
		$(if $(MIN_SITES),--min-sites $(call q,$(MIN_SITES))) \
		$(if $(call on,$(FAST_ONLY)),--fast-only) $(sendable)

# Report callers of the old API in KERNEL (only lines added since SINCE=<rev>);
# FORMAT=gcc|json|sarif. The tool exits 1 when something is found, 2 on bad
# input; make turns any failure into its own 2 ("Error 1" or "Error 2" says which).
cicheck:
	@scripts/deps cicheck
	$(CLI) cicheck $(call q,$(KERNEL)) $(migration) $(if $(SINCE),--since $(call q,$(SINCE))) \
		$(if $(FORMAT),--format $(call q,$(FORMAT)))

# Report GUP calls in KERNEL made in the wrong lock context (mmap_sem held,
# atomic context, a lock taken only around one call); FORMAT=text|json,
# REPORTS=<dir>. Advice only: exit status 0 whatever is found.
advise: deps
	$(CLI) advise $(call q,$(KERNEL)) $(migration) $(if $(FORMAT),--format $(call q,$(FORMAT))) \
		$(if $(REPORTS),--reports $(call q,$(REPORTS)))

# The targets and the variables each reads, from scripts/gupunify/cli.py.
help:
	@$(PYTHON) scripts/make-help

test:
	@scripts/deps test
	$(PYTHON) -m pytest -q -rs tests

# The whole suite with every test of a real tree included, on
# GUP_KERNEL_TREE=<a v5.0 or v5.1.15 git checkout> (docs/trees.md, "When to
# run make test-real"): a test of the tree that skips fails here, so it
# also installs the compilers of every guest.
test-real:
	@test -n "$(GUP_KERNEL_TREE)" || { echo "make test-real: GUP_KERNEL_TREE=<a v5.0 or \
	v5.1.15 git checkout> is required (docs/trees.md)" >&2; exit 2; }
	@scripts/deps test boottest
	GUP_KERNEL_TREE=$(call q,$(GUP_KERNEL_TREE)) GUP_TEST_REAL=1 $(PYTHON) -m pytest -q -rs tests

# On GUP_KERNEL_TREE (v5.0; GUP_KERNEL_TREE_V5_1 adds a v5.1.15 tree): make
# check against a full build, make spatch against a plain spatch --dir on each
# tree, cicheck against git grep -lw, make advise, spatch and series behind 100k
# and 300k synthetic commits (scripts/bench-history, built once in the scratch),
# make b4 and its rerun with nothing new, ending with a table of the ratios;
# BENCH=check|spatch|scan|advise|history|b4 runs one part only.
bench:
	@scripts/deps bench
	BENCH=$(BENCH) $(PYTHON) scripts/bench

# Under a minute, no legacy tree: grouping and cicheck on linux-source-6.1,
# the sample's whole pipeline, each against scripts/bench-quick.json (the
# last release's figures, rewritten only with UPDATE=1).
bench-quick:
	@scripts/deps bench-quick
	$(PYTHON) scripts/bench-quick $(if $(UPDATE),--update)

# Build KERNEL at its base and on BRANCH, boot both under QEMU and run the GUP
# tests of boottest/ in them, on ARCH=a,b or all (default x86_64; BOOTS=N
# boots each for the timings, default 3); report in reports/<tree>/boottest.md;
# DISTCC_HOSTS="host/slots ..." sends the compiles to distcc hosts.
boottest: deps-boottest
	$(CLI) boottest $(call q,$(KERNEL)) $(migration) --branch $(call q,$(BRANCH)) \
		$(if $(REPORTS),--reports $(call q,$(REPORTS))) $(if $(BOOTS),--boots $(call q,$(BOOTS))) \
		$(if $(ARCH),--arch $(call q,$(ARCH))) \
		$(if $(DISTCC_HOSTS),--distcc-hosts $(call q,$(DISTCC_HOSTS)))

# Build every step of the series BASE..BRANCH of KERNEL on each arch it touches
# and compare warnings with the base; ARCHES=x86_64,mips limits the arches,
# CONFIG=x86_64=defconfig changes a config, SPARSE=1 and CHECKPATCH=1 add those;
# DISTCC_HOSTS="host/slots ..." sends the compiles to distcc hosts.
# MODULE=<dir> KDIR="<dir> ...": an out-of-tree module instead, built before
# and after its conversion against each kernel (a prepared build directory
# such as Debian's headers, or a source tree the tool prepares once).
check:
	@scripts/deps check $(if $(MODULE),modules,$(if $(call on,$(SPARSE)),sparse) \
		$(if $(DISTCC_HOSTS),distcc))
	$(CLI) check $(if $(MODULE),$(call q,$(MODULE)) $(foreach k,$(KDIR),--kdir $(call q,$(k))),\
		$(call q,$(KERNEL)) --branch $(call q,$(BRANCH)) $(foreach k,$(KDIR),--kdir $(call q,$(k))) \
		$(if $(BASE),--base $(call q,$(BASE))) $(if $(ARCHES),--arches $(call q,$(ARCHES))) \
		$(foreach c,$(CONFIG),--config $(call q,$(c))) $(if $(call on,$(SPARSE)),--sparse) \
		$(if $(call on,$(CHECKPATCH)),--checkpatch) \
		$(if $(DISTCC_HOSTS),--distcc-hosts $(call q,$(DISTCC_HOSTS)))) \
		$(if $(REPORTS),--reports $(call q,$(REPORTS))) $(migration)
