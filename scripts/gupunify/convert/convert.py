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
from ..common.tree import KernelTree, api_state
from ..common.util import (Stopwatch, die, git, interrupts_held, kept, pause_at, progress,
    write_atomic)
from ..common.workspace import (Worktree, branch_exists, check_refs_writable, identity, is_import,
    repository)
from ..csource import mentions
from ..groups import split
from . import callercommits, fastonly, patches


@dataclasses.dataclass
class Conversion:
    """What a conversion ends with: the new tip, and the run the CLI summarizes."""
    tip: str | None     # None when there was nothing to convert
    run: dict | None    # what report.summary() prints; None for commits not kept


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


def preflight(tree, repo, branch, diff_path, allow_dirty):
    """What the conversion of tree (in repo) needs, checked before any work."""
    spatch.require_spatch()
    if _dirty(repo) and not allow_dirty:
        die("%s has uncommitted changes: commit or stash them (the conversion starts "
            "from HEAD), or pass --allow-dirty" % tree.path)
    if not diff_path and branch_exists(repo, branch):
        die("branch %s already exists in %s: choose another with BRANCH=" % (branch, repo))
    if not diff_path:
        check_refs_writable(repo, branch)


def convert(kernel, branch="gup-unify", diff_path=None, reports_dir=None,
            allow_dirty=False, min_sites=split.MIN_SITES, keep=True, work_repo=None,
            who=None, prefix_overrides=None, fast_only=False):
    """The `spatch` job: make the branch (or diff) and the report; return a Conversion.

    Its tip is None when there was nothing to convert. With keep false the
    commits are made but no branch, diff or report is: what --dry-run plans
    from, with work_repo a throwaway clone of the tree's repository that
    takes them.
    who is the --identity text; without it the tree's git config names the
    author. prefix_overrides ({group: prefix}) take the place of learned
    subject prefixes. fast_only adds the migration's second caller phase:
    the core patches that add what its calls become, its callers converted
    one group at a time, then the removal of the old function.
    """
    check_options(branch, min_sites)
    mig = migration.current()
    if fast_only and len(mig.phases) < 2:
        die("--fast-only: migration %s has one caller phase only" % mig.name)
    tree = KernelTree(kernel)
    author = identity(tree.path, who)
    with repository(tree) as repo:
        return _convert(tree, repo, branch, diff_path, reports_dir, allow_dirty, min_sites,
                        keep, work_repo, author, prefix_overrides, fast_only)


def _convert(tree, repo, branch, diff_path, reports_dir, allow_dirty, min_sites, keep,
             work_repo, author, prefix_overrides, fast_only):
    watch = Stopwatch()
    preflight(tree, repo, branch, diff_path, allow_dirty)
    if diff_path:
        outputs.check_file(diff_path, "--diff", tree.path)
    where = report.folder(reports_dir, tree)
    prep, finish, base = patches.steps_for(tree.version)
    run = {"tree": tree.path, "repository": repo, "version": tree.full_version,
           "core_series": base, "branch": None if diff_path else branch,
           "steps": [], "sites": [], "renamed": [], "groups": [], "skipped_files": [],
           "fast_only": fast_only}
    untracked, listing = {"skipped_files": [], "sites": [], "fast_only": fast_only}, None
    if os.path.realpath(repo) == os.path.realpath(tree.path):
        # git walks the whole checkout to find untracked files: side by side
        # with the worktree and the first core patches, which need none of it.
        pool = concurrent.futures.ThreadPoolExecutor(1)
        listing = pool.submit(mentions.untracked, repo, untracked)
        pool.shutdown(wait=False)
    texts = {patch: patches.patch_text_for(patch, author) for patch in prep + finish}
    # What every core patch touches is checked out with the worktree: one read-tree.
    wt = Worktree(work_repo or repo, "HEAD", branch, author,
                  [f for text in texts.values() for f in patches.paths_in(text)])
    mentions.start_search(wt)
    with tempfile.TemporaryDirectory(prefix="gup-unify-") as workdir, wt:
        pause_at("worktree")
        run["base_commit"] = wt.start
        state = api_state(wt.path)
        run["api_before"] = state
        if base and migration.holds(state, migration.current().applied):
            progress("the core series is already in this tree: converting callers only")
            prep, finish, base = [], [], None
            run["core_series"] = None
        with watch("core patches before the callers"):
            patches.apply(wt, prep, texts, run)
        if listing:
            listing.result()
        run["skipped_files"] += untracked["skipped_files"]
        run["sites"] += untracked["sites"]
        with watch("callers"):
            callercommits.commit_callers(wt, workdir, run, min_sites, prefix_overrides)
        with watch("core patches after the callers"):
            patches.apply(wt, finish, texts, run)
        if fast_only:
            fastonly.phase(wt, workdir, run, tree.version, min_sites, prefix_overrides, watch)
        run["api_after"] = api_state(wt.path)
        run["timings"] = watch.seconds
        if wt.head() == wt.start:
            progress("%s: nothing to do: no call of the old API to convert" % tree.path)
            run["result"] = "nothing to do"
            return Conversion(None, run)
        tip = wt.head()
        if not keep:
            wt.write_notes()    # in the throwaway clone, for the plan's split
            return Conversion(tip, None)
        commits = len(wt.git("rev-list", "%s..HEAD" % wt.start).split())
        diff = (wt.git("diff", "--binary", wt.start, "HEAD", binary=True) if diff_path
                else None)
        run["result"] = "converted"
        # The branch (or diff) and its report are kept together or not at all.
        with interrupts_held():
            if diff_path == outputs.STDOUT:
                sys.stdout.buffer.write(diff)
                sys.stdout.flush()
                run["diff"] = "standard output"
                kept("diff on standard output")
            elif diff_path:
                write_atomic(diff_path, diff)
                run["diff"] = os.path.abspath(diff_path)
                kept("diff %s" % diff_path)
            else:
                wt.keep()
                kept("branch %s of %s" % (branch, repo))
            report.write(run, where)
        if diff_path:
            progress("diff written to %s" % run["diff"])
        else:
            progress("branch %s of %s: %d commits on %s" % (branch, repo, commits,
                                                            wt.start[:12]))
        progress("report: %s" % where)
        pause_at("kept")
    return Conversion(tip, run)
