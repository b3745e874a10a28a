"""Convert a tree's callers (and apply the core series) as commits on a new branch.

The run, start to end: the checks before any work, the worktree, the core
patches (patches.py) around the caller phase (callercommits.py, which
runs callers.py per rule over what mentions.py found), the --fast-only
phase (fastonly.py), then the branch or diff and the report.
"""
import concurrent.futures
import dataclasses
import os
import sys
import tempfile

from ..common import migration, outputs, report, spatch
from ..common.repository import branch_exists, check_refs_writable, is_import
from ..common.runcontext import opened
from ..common.tree import api_state
from ..common.progress import Stopwatch, progress
from ..common.util import (die, git, interrupts_held, kept, pause_at, stop_if_stopping,
                           write_atomic)
from ..common.worktree import Worktree
from ..csource import mentions
from ..groups import split
from . import callercommits, convertreport, fastonly, patches
from .conversionstate import ConversionState


@dataclasses.dataclass
class Conversion:
    """What a conversion ends with: the new tip, and its state the CLI summarizes."""
    tip: str | None     # None when there was nothing to convert
    state: ConversionState | None   # what the CLI summarizes; None for commits not kept


@dataclasses.dataclass
class ConvertOptions:
    """How a conversion runs, beyond its RunContext."""
    diff_path: str | None = None    # write a diff there (or "-") instead of the branch
    allow_dirty: bool = False       # start from HEAD even with uncommitted changes
    keep: bool = True               # false: make the commits, keep no branch, diff or report
    work_repo: str | None = None    # where the commits go instead of the tree's repository
    fast_only: bool = False         # add the migration's second caller phase


def _dirty(repo):
    if is_import(repo):
        return ""
    # --no-optional-locks: a status check must not rewrite the user's index.
    return git(repo, "--no-optional-locks", "status", "--porcelain",
               "--untracked-files=no").strip()


def check_options(branch, min_sites):
    """The options that need no tree, checked before anything else."""
    outputs.check_branch(branch)
    if min_sites < 1:
        die("--min-sites must be at least 1 (got %d)" % min_sites)


def preflight(tree, repo, branch, diff_path, allow_dirty, status=None):
    """What the conversion of tree (in repo) needs, checked before any work. status is
    a future of the checkout's git status, when one is under way."""
    spatch.require_spatch()
    dirty = status.result() if status else _dirty(repo)
    if dirty and not allow_dirty:
        die("%s has uncommitted changes: commit or stash them (the conversion starts "
            "from HEAD), or pass --allow-dirty" % tree.path)
    if not diff_path and branch_exists(repo, branch):
        die("branch %s already exists in %s: choose another with BRANCH=" % (branch, repo))
    if not diff_path:
        check_refs_writable(repo, branch)


def convert(kernel, branch="gup-unify", diff_path=None, reports_dir=None, allow_dirty=False,
            min_sites=split.MIN_SITES, who=None, prefix_overrides=None, fast_only=False):
    """The `spatch` job: make the branch (or diff) and the report; return a Conversion.

    Its tip is None when there was nothing to convert.
    who is the --identity text; without it the tree's git config names the
    author. prefix_overrides ({group: prefix}) take the place of learned
    subject prefixes. fast_only adds the migration's second caller phase:
    the core patches that add what its calls become, its callers converted
    one group at a time, then the removal of the old function.
    """
    check_options(branch, min_sites)
    with opened(kernel, who, branch, reports_dir, min_sites, prefix_overrides) as context:
        return run_conversion(context, ConvertOptions(diff_path, allow_dirty,
                                                      fast_only=fast_only))


def run_conversion(context, options):
    """The conversion of context's tree (a RunContext): what convert() and series run.

    With options.keep false the commits are made but no branch, diff or
    report is: what --dry-run plans from, with options.work_repo a
    throwaway clone of the tree's repository that takes them.
    """
    watch = Stopwatch()
    tree, repo, branch, author = context.tree, context.repo, context.branch, context.identity
    diff_path, allow_dirty, fast_only = options.diff_path, options.allow_dirty, options.fast_only
    mig = migration.current()
    if fast_only and len(mig.phases) < 2:
        die("--fast-only: migration %s has one caller phase only" % mig.name)
    checkout = os.path.realpath(repo) == os.path.realpath(tree.path)
    work = options.work_repo or repo
    start = git(work, "rev-parse", "--verify", "HEAD^{commit}").strip()
    # git status and the one git grep of the tree run side by side: the
    # search reads the checkout's files and keeps what it found only if the
    # status is clean (mentions.start_search).
    pool = concurrent.futures.ThreadPoolExecutor(1)
    status = pool.submit(_dirty, repo)
    pool.shutdown(wait=False)
    search = mentions.start_search(work, start, repo if checkout else None, status)
    preflight(tree, repo, branch, diff_path, allow_dirty, status)
    if diff_path:
        outputs.check_file(diff_path, "--diff", tree.path)
    where = report.folder(context.reports_dir, tree)
    prep, finish, base = patches.steps_for(tree.version)
    state = ConversionState(tree.path, repo, tree.full_version, base,
                            None if diff_path else branch, fast_only)
    listing = None
    if checkout:
        # git walks the whole checkout to find untracked files: side by side
        # with the worktree and the first core patches, which need none of it.
        pool = concurrent.futures.ThreadPoolExecutor(1)
        listing = pool.submit(mentions.untracked, repo, fast_only)
        pool.shutdown(wait=False)
    texts = {patch: patches.patch_text_for(patch, author) for patch in prep + finish}
    # What every core patch touches is checked out with the worktree: one read-tree.
    wt = Worktree(work, start, branch, author,
                  [f for text in texts.values() for f in patches.paths_in(text)])
    wt.search = search
    with tempfile.TemporaryDirectory(prefix="gup-unify-") as workdir, wt:
        pause_at("worktree")
        state.base_commit = wt.start
        before = api_state(wt.path)
        state.api_before = before
        if base and migration.holds(before, migration.current().applied):
            progress("the core series is already in this tree: converting callers only")
            prep, finish, base = [], [], None
            state.core_series = None
        with watch("core patches before the callers"):
            patches.apply(wt, prep, texts, state)
        if listing:
            skipped, left = listing.result()
            state.skipped_files += skipped
            state.sites += left
        with watch("callers"):
            state.groups = callercommits.commit_callers(wt, workdir, state, context)[1] or []
        with watch("core patches after the callers"):
            patches.apply(wt, finish, texts, state)
        if fast_only:
            fastonly.phase(wt, workdir, state, context, watch)
        state.api_after = api_state(wt.path)
        state.timings = watch.seconds
        if wt.head() == wt.start:
            progress("%s: nothing to do: no call of the old API to convert" % tree.path)
            state.result = "nothing to do"
            return Conversion(None, state)
        tip = wt.head()
        if not options.keep:
            wt.write_notes()    # in the throwaway clone, for the plan's split
            return Conversion(tip, None)
        commits = len(wt.git("rev-list", "%s..HEAD" % wt.start).split())
        diff = (wt.git("diff", "--binary", wt.start, "HEAD", binary=True) if diff_path
                else None)
        state.result = "converted"
        # A stop that landed in a finalizer was printed there and dropped: it
        # ends the run here, before anything is kept.
        stop_if_stopping()
        # The branch (or diff) and its report are kept together or not at all.
        with interrupts_held():
            if diff_path == outputs.STDOUT:
                sys.stdout.buffer.write(diff)
                sys.stdout.flush()
                state.diff = "standard output"
                kept("diff on standard output")
            elif diff_path:
                write_atomic(diff_path, diff)
                state.diff = os.path.abspath(diff_path)
                kept("diff %s" % diff_path)
            else:
                wt.keep()
                kept("branch %s of %s" % (branch, repo))
            convertreport.write(state, where)
        if diff_path:
            progress("diff written to %s" % state.diff)
        else:
            progress("branch %s of %s: %d commits on %s" % (branch, repo, commits,
                                                            wt.start[:12]))
        progress("report: %s" % where)
        pause_at("kept")
    return Conversion(tip, state)
