"""gup-unify: migrate a kernel tree to the flag-based get_user_pages API.

The packages follow the pipeline, each importing only those before it:

    common/     running programs, the tree, the scratch worktree, locks, reports
    csource/    C source: tokens, the old API's sites, the idioms of a flag argument
    groups/     MAINTAINERS groups, subject prefixes, the tree each series goes through
    convert/    1. callers converted and the core series applied, on the tool's branch
    series/     2. per-maintainer patch series, the atomic patch, b4 branches
    buildcheck/ 3. every step built on every arch it touches
    boottest/   4. kernels before and after booted in QEMU, gup_test run in them

cicheck (the CI guard) and advise (the lock-context advisor) read a tree and
write findings; cli declares every subcommand and option.
"""
import os

# gup-unify's own checkout: cocci/, patches/, boottest/, and where series/
# and reports/ go by default.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
