# gup-unify: cocci/ -> patches/ -> scripts/ -> reports/
PYTHON  := /usr/bin/python3
CLI     := $(PYTHON) scripts/gup-unify
KERNEL  ?= sample/linux
BRANCH  ?= gup-unify

.PHONY: all deps spatch cicheck test bench

all: spatch

deps:
	@scripts/deps

# Convert KERNEL (default: the bundled sample tree) on branch BRANCH, or only
# write the diff to DIFF=<file>; REPORTS=<dir> moves the report from reports/.
spatch: deps
	$(CLI) spatch $(KERNEL) --branch $(BRANCH) $(if $(DIFF),--diff $(DIFF)) \
		$(if $(REPORTS),--reports $(REPORTS))

# Report callers of the old API in KERNEL (only lines added since SINCE=<rev>);
# FORMAT=gcc|json|sarif. Exit status 1 when something is found.
cicheck:
	$(CLI) cicheck $(KERNEL) $(if $(SINCE),--since $(SINCE)) $(if $(FORMAT),--format $(FORMAT))

test: deps
	$(PYTHON) -m pytest -q -rs tests

# Wall time of make spatch and of a plain spatch --dir on GUP_KERNEL_TREE.
bench: deps
	$(PYTHON) scripts/bench
