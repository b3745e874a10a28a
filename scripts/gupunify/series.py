"""The `series` job: per-subsystem patch series and one atomic patch, from the branch."""
import concurrent.futures
import contextlib
import dataclasses
import filecmp
import os
import shutil
import tempfile

from . import ROOT, b4prep, buildcheck, buildreport, convert, outputs, report, split
from .maintainers import Recipients
from .serieswriter import Writer, plan_text
from .subseries import annotate, split_commits
from .tree import KernelTree
from .util import Stopwatch, die, git, interrupts_held, kept, pause_at, progress, run, warn
from .workspace import (branch_exists, configured_identity, identity, repository,
                        scratch_dir, series_range)

SERIES_DIR = os.path.join(ROOT, "series")


@dataclasses.dataclass
class Outcome:
    """What a series run ends with: its exit status, and what the CLI prints."""
    status: int = 0
    plan: str = ""          # plan_text(): the series in order, with their recipients
    check: str = ""         # with --check, make check's table
    conversion: str = ""    # report.summary() of the conversion, when this run made the branch

def verify(repo, base, out, parts, atomic_path):
    """Apply every sub-series in order, then the atomic patch, each on base: same tree?"""
    with tempfile.TemporaryDirectory(prefix="gup-unify-index-") as tmp:
        trees = []
        for patch_lists in ([[os.path.join(out, p.directory, x["file"]) for x in p.patches]
                             for p in parts], [[os.path.join(out, atomic_path)]]):
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index-%d" % len(trees))}
            run(["git", "-C", repo, "read-tree", base], env=env)
            for paths in patch_lists:
                for path in paths:
                    run(["git", "-C", repo, "apply", "--cached", path], env=env)
            trees.append(run(["git", "-C", repo, "write-tree"], env=env)[1].strip())
    return trees[0] == trees[1], trees[0]


def _same_dir(a, b):
    if not os.path.isdir(b):
        return False
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.diff_files or cmp.funny_files:
        return False
    return all(_same_dir(os.path.join(a, d), os.path.join(b, d)) for d in cmp.common_dirs)


def _replace_dir(new, final):
    """Put new at final in two renames, so an interruption leaves one or the other whole."""
    old = None
    if os.path.exists(final):
        old = "%s.old.%d" % (final, os.getpid())
        os.replace(final, old)
    os.replace(new, final)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def _warn_unaddressed(parts, recipients):
    patches = [p for part in parts for p in part.patches]
    nobody = [p for p in patches if not p["to"] and not p["cc"]]
    if nobody:
        why = ": %s" % recipients.problem if recipients.problem else ""
        warn("%d of %d patches have no recipients (no To, no Cc)%s; address them by hand "
             "before sending" % (len(nobody), len(patches), why))


def _throwaway(repo, where):
    """A bare clone of repo in where, sharing its objects: what --dry-run works in.

    The commits, trees and worktrees of a dry run go to the clone, which
    goes with where, so nothing is written in repo. The clone starts at
    repo's HEAD and signs off with repo's identity.
    """
    clone = os.path.join(where, "repo.git")
    run(["git", "clone", "-q", "--bare", "--shared", "--no-tags", repo, clone])
    git(clone, "update-ref", "--no-deref", "HEAD", git(repo, "rev-parse", "HEAD").strip())
    for key, value in zip(("user.name", "user.email"), configured_identity(repo)):
        if value:
            git(clone, "config", key, value)
    return clone


def make_series(kernel, branch="gup-unify", out=None, reports_dir=None, dry_run=False,
                allow_dirty=False, min_sites=None, check=False, who=None,
                prefix_overrides=None, b4=False, fast_only=False):
    """The `series` job: write the series (or, dry, only plan them); return an Outcome.

    With b4, each series also becomes a b4 prep branch (b4prep.hand_off).

    With check, every step of the branch is then build-checked (make check),
    and the status is the checker's. who is the --identity text; without it
    the tree's git config names the person sending. fast_only is spatch's
    --fast-only, for a branch this run has to make.
    """
    kwargs = {} if min_sites is None else {"min_sites": min_sites}
    convert.check_options(branch, kwargs.get("min_sites", split.MIN_SITES))
    tree = KernelTree(kernel)
    if b4:
        b4prep.require_b4()
    author = identity(tree.path, who)
    with repository(tree) as repo:
        return _make_series(tree, repo, branch, out, reports_dir, dry_run, allow_dirty,
                            kwargs, check, author, prefix_overrides, b4, fast_only)


def _make_series(tree, repo, branch, out, reports_dir, dry_run, allow_dirty, kwargs, check,
                 author, prefix_overrides, b4, fast_only):
    watch = Stopwatch()
    outcome = Outcome()
    need_branch = not branch_exists(repo, branch)
    if need_branch:
        convert.preflight(tree, repo, branch, None, allow_dirty)
    out = os.path.realpath(out or os.path.join(SERIES_DIR, tree.name))
    outputs.check_folder(out, "output directory", "series", tree.path)
    where = report.folder(reports_dir, tree)
    if outputs.overlap(out, where):
        die("output directory %s and reports folder %s overlap: replacing the one would "
            "take the other; choose apart" % (out, where))
    with contextlib.ExitStack() as cleanup:
        scratch_parent = os.path.dirname(out)
        if dry_run:
            scratch_parent = cleanup.enter_context(tempfile.TemporaryDirectory(
                prefix="gup-unify-dry-run-", dir=scratch_dir()))
            repo = _throwaway(repo, scratch_parent)
        if need_branch:
            with watch("convert"):
                conversion = convert.convert(tree.path, branch, None, reports_dir,
                                             allow_dirty, keep=not dry_run, work_repo=repo,
                                             who="%s <%s>" % author,
                                             prefix_overrides=prefix_overrides,
                                             fast_only=fast_only, **kwargs)
            tip = conversion.tip
            if conversion.run:
                outcome.conversion = report.summary(conversion.run)
            if tip is None:
                progress("nothing to convert: no series to write")
                return outcome
        # A dry run's conversion keeps no branch: its tip stands for it.
        base, tip = series_range(repo, tip if need_branch else branch, kernel=tree.path)
        parts = split_commits(repo, base, tip)
        annotate(repo, base, parts, prefix_overrides)
        progress("%d series from %d commits on %s" % (
            len(parts), sum(len(p.commits) for p in parts), base[:12]))
        os.makedirs(scratch_parent, exist_ok=True)
        scratch = tempfile.mkdtemp(prefix=".%s.partial." % os.path.basename(out),
                                   dir=scratch_parent)
        try:
            with tempfile.TemporaryDirectory(prefix="gup-unify-") as workdir:
                recipients = Recipients(repo, base, workdir)
                writer = Writer(repo, base, tip, parts, recipients, scratch, author)
                with watch("format-patch and recipients"):
                    pool = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1)
                    try:
                        futures = [pool.submit(writer.format_part, n, p)
                                   for n, p in enumerate(parts)]
                        for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                            fut.result()
                            progress("series %d/%d written" % (done, len(parts)))
                    finally:
                        # On Ctrl-C or an error the parts not started are dropped
                        # (a with block would run them all); a running one ends with
                        # its git or perl call.
                        pool.shutdown(cancel_futures=True)
                    atomic, atomic_to, atomic_cc = writer.atomic()
                    writer.treewide_cover(atomic)
                outputs.mark(scratch, "series", tree.path)
                with watch("verify"):
                    same, tree_id = verify(repo, base, scratch, parts, atomic)
            if not same:
                die("the series and the atomic patch give different trees: not written")
            _warn_unaddressed(parts, recipients)
            outcome.plan = plan_text(parts, atomic, recipients.source)
            if dry_run:
                return outcome
            if _same_dir(scratch, out):
                progress("%s is up to date: nothing new" % out)
                if b4:
                    b4prep.hand_off(repo, parts, author, out)
                return _check(outcome, tree, branch, base, reports_dir) if check else outcome
            # Made while this run worked? Then it is not ours to replace.
            outputs.check_folder(out, "output directory", "series", tree.path)
            summary = {"tree": tree.path, "repository": repo, "branch": branch,
                       "base_commit": base, "tip": tip, "output": out,
                       "recipients_from": recipients.source, "verified_tree": tree_id,
                       "atomic": {"file": atomic, "to": atomic_to, "cc": atomic_cc},
                       "series": [{"directory": p.directory, "kind": p.kind, "key": p.key,
                                   "phase": p.phase,
                                   "prefix": p.prefix, "prefix_source": p.prefix_source,
                                   "prefix_why": p.prefix_why,
                                   "route": p.route, "depends": p.depends,
                                   "subject": p.subject, "to": p.to, "cc": p.cc,
                                   "patches": p.patches} for p in parts],
                       "timings": watch.seconds}
            # The series and their report are kept together or not at all.
            with interrupts_held():
                _replace_dir(scratch, out)
                scratch = None
                kept("series %s" % out)
                report.write_series(summary, where)
        finally:
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)
    if b4:
        summary["b4"] = b4prep.hand_off(repo, parts, author, out)
        report.write_series(summary, where)
    pause_at("written")
    progress("series: %s (apply the directories in the order listed; atomic/ is the same "
             "change as one commit)" % out)
    progress("report: %s" % where)
    if check:
        return _check(outcome, tree, branch, base, reports_dir)
    return outcome


def _check(outcome, tree, branch, base, reports_dir):
    """--check: make check on the series' steps; its table and exit status are the run's."""
    result = buildcheck.check(tree.path, branch, base, reports_dir=reports_dir)
    outcome.status, outcome.check = buildcheck.status(result), buildreport.summary(result)
    return outcome
