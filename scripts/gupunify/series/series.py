"""The `series` job: per-subsystem patch series and one atomic patch, from the branch."""
import concurrent.futures
import contextlib
import dataclasses
import filecmp
import json
import os
import shutil
import tempfile

from .. import ROOT
from ..common import leftovers, notes, outputs, report
from ..common.repository import (MARKERS, branch_exists, configured_identity, scratch_dir,
    series_range)
from ..common.runcontext import opened
from ..common.progress import Stopwatch, progress, warn
from ..common.util import die, git, interrupts_held, kept, pause_at, run, stop_if_stopping
from ..convert import convert, convertreport
from ..groups import split
from ..groups.maintainers import Recipients
from . import b4prep, needs, rerun, seriesreport
from .ownbranch import made_range
from .serieswriter import Writer, plan_text
from .subseries import SHAPES, annotate, split_commits

SERIES_DIR = os.path.join(ROOT, "series")


@dataclasses.dataclass
class Outcome:
    """What a series run ends with: its exit status, and what the CLI prints."""
    status: int = 0
    plan: str = ""          # plan_text(): the series in order, with their recipients
    check: str = ""         # with --check, make check's table
    conversion: str = ""    # convertreport.summary(), when this run made the branch

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
    repo's HEAD and signs off with repo's identity; it has repo's markers
    and notes, which say which branch is the tool's and how it splits.
    """
    clone = os.path.join(where, "repo.git")
    run(["git", "clone", "-q", "--bare", "--shared", "--no-tags", repo, clone])
    refs = git(repo, "for-each-ref", "--format=create %(refname) %(objectname)", MARKERS,
               notes.REF)
    if refs:
        git(clone, "update-ref", "--stdin", input=refs)
    git(clone, "update-ref", "--no-deref", "HEAD", git(repo, "rev-parse", "HEAD").strip())
    for key, value in zip(("user.name", "user.email"), configured_identity(repo)):
        if value:
            git(clone, "config", key, value)
    return clone


@dataclasses.dataclass
class SeriesOptions:
    """How a series run goes, beyond its RunContext."""
    out: str | None = None          # where the series go (None: series/<tree>)
    dry_run: bool = False           # only plan them; write nothing
    allow_dirty: bool = False       # as for the conversion, when the branch has to be made
    # A callable (tree, branch, base, reports_dir) -> (status, text) that
    # build-checks every step of the branch under the same lock (cli passes
    # make check's); its status is the run's.
    check: object = None
    b4: bool = False                # each series also a b4 prep branch (b4prep.hand_off)
    fast_only: bool = False         # spatch's --fast-only, for a branch this run has to make
    # How the series are cut (subseries.SHAPES): one per MAINTAINERS group and
    # core part, or "mm", one series of the whole branch.
    shape: str = "maintainers"


def make_series(kernel, branch="gup-unify", reports_dir=None, who=None, min_sites=None,
                prefix_overrides=None, options=None):
    """The `series` job: write the series (or, dry, only plan them); return an Outcome.

    who is the --identity text; without it the tree's git config names the
    person sending. options: SeriesOptions.
    """
    options = options or SeriesOptions()
    min_sites = split.MIN_SITES if min_sites is None else min_sites
    convert.check_options(branch, min_sites)
    if options.shape not in SHAPES:
        die("unknown series shape %r: choose %s" % (options.shape, " or ".join(SHAPES)))
    if options.b4:
        b4prep.require_b4()
    with opened(kernel, who, branch, reports_dir, min_sites, prefix_overrides) as context:
        return _make_series(context, options)


def _make_series(context, options):
    watch = Stopwatch()
    outcome = Outcome()
    tree, repo, branch, author = context.tree, context.repo, context.branch, context.identity
    dry_run, check, b4 = options.dry_run, options.check, options.b4
    if b4:
        b4prep.preflight(repo)
    need_branch = not branch_exists(repo, branch)
    if need_branch:
        convert.preflight(tree, repo, branch, None, options.allow_dirty)
    out = os.path.realpath(options.out or os.path.join(SERIES_DIR, tree.name))
    outputs.check_folder(out, "output directory", "series", tree.path)
    where = report.folder(context.reports_dir, tree)
    if outputs.overlap(out, where):
        die("output directory %s and reports folder %s overlap: replacing the one would "
            "take the other; choose apart" % (out, where))
    if not need_branch and not dry_run:
        # The branch is checked to be the tool's (and the identity its) first:
        # a rerun is up to date only for what the tool made.
        base, tip = made_range(repo, branch, tree.path, author, context.explicit_identity)
        print_ = _fingerprint(context, options, base, tip, out, where)
        plan = rerun.unchanged(repo, where, out, print_, b4)
        if plan is not None:
            progress("%s is up to date: nothing new since the last run on %s (%s)"
                     % (out, branch, tip[:12]))
            outcome.plan = plan
            return _check(outcome, context, check, base) if check else outcome
    with contextlib.ExitStack() as cleanup:
        scratch_parent = os.path.dirname(out)
        if dry_run:
            scratch_parent = cleanup.enter_context(leftovers.temporary_dir(
                scratch_dir(), "gup-unify-dry-run-"))
            repo = _throwaway(repo, scratch_parent)
        if need_branch:
            with watch("convert"):
                conversion = convert.run_conversion(context, convert.ConvertOptions(
                    allow_dirty=options.allow_dirty, keep=not dry_run, work_repo=repo,
                    fast_only=options.fast_only))
            tip = conversion.tip
            if conversion.state:
                outcome.conversion = convertreport.summary(
                    conversion.state.sites, conversion.state.skipped_files, conversion.state.result)
            if tip is None:
                progress("nothing to convert: no series to write")
                return outcome
        # A dry run's conversion keeps no branch: its tip stands for it.
        if need_branch:
            base, tip = series_range(repo, branch, kernel=tree.path, tip=tip)
        else:
            base, tip = made_range(repo, branch, tree.path, author, context.explicit_identity)
        parts = split_commits(repo, base, tip, options.shape)
        annotate(repo, base, tip, parts, context.prefix_overrides)
        progress("%d series from %d commits on %s" % (
            len(parts), sum(len(p.commits) for p in parts), base[:12]))
        os.makedirs(scratch_parent, exist_ok=True)
        # Named by this run's pid: what a killed run left is removed here.
        leftovers.sweep_replaced(out)
        scratch = leftovers.aside_dir(scratch_parent, ".%s.partial." % os.path.basename(out))
        try:
            pause_at("partial")
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
                    if len(parts) > 1:
                        writer.summary(atomic)
                outputs.mark(scratch, "series", tree.path)
                with watch("verify"):
                    same, tree_id = verify(repo, base, scratch, parts, atomic)
            if not same:
                die("the series and the atomic patch give different trees: not written")
            _warn_unaddressed(parts, recipients)
            outcome.plan = plan_text(parts, atomic, recipients.source)
            if dry_run:
                if b4:
                    outcome.plan += b4prep.plan_text(repo, base, parts)
                return outcome
            if _same_dir(scratch, out):
                progress("%s is up to date: nothing new" % out)
                handed = b4prep.hand_off(repo, base, parts, author, out) if b4 else []
                _remember(context, options, base, tip, out, where, outcome.plan, handed)
                return _check(outcome, context, check, base) if check else outcome
            # Made while this run worked? Then it is not ours to replace.
            outputs.check_folder(out, "output directory", "series", tree.path)
            summary = {"tree": tree.path, "repository": repo, "branch": branch,
                       "base_commit": base, "tip": tip, "output": out, "shape": options.shape,
                       "recipients_from": recipients.source, "verified_tree": tree_id,
                       "atomic": {"file": atomic, "to": atomic_to, "cc": atomic_cc},
                       "series": [{"directory": p.directory, "kind": p.kind, "key": p.key,
                                   "phase": p.phase,
                                   "prefix": p.prefix, "prefix_source": p.prefix_source,
                                   "prefix_why": p.prefix_why,
                                   "route": p.route, "tree": p.tree,
                                   "depends": p.depends,
                                   "why": {d: needs.reason(p, d) for d in p.depends},
                                   "title": p.title, "subject": p.subject,
                                   "to": p.to, "cc": p.cc,
                                   "patches": p.patches} for p in parts],
                       "timings": watch.seconds}
            # A stop that landed in a finalizer was printed there and dropped: it
            # ends the run here, before anything is kept.
            stop_if_stopping()
            # The series and their report are kept together or not at all.
            with interrupts_held():
                rerun.forget(where)
                _replace_dir(scratch, out)
                scratch = None
                kept("series %s" % out)
                seriesreport.write(summary, where)
        finally:
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)
    if b4:
        summary["b4"] = b4prep.hand_off(repo, base, parts, author, out)
        seriesreport.write(summary, where)
    _remember(context, options, base, tip, out, where, outcome.plan, summary.get("b4", []))
    pause_at("written")
    progress("series: %s (apply the directories in the order listed; atomic/ is the same "
             "change as one commit)" % out)
    progress("report: %s" % where)
    if check:
        return _check(outcome, context, check, base)
    return outcome


def _fingerprint(context, options, base, tip, out, where):
    """rerun.fingerprint() of a series run with these options."""
    chosen = {"reports": where, "author": context.identity, "b4": options.b4,
              "prefixes": context.prefix_overrides, "shape": options.shape}
    return rerun.fingerprint(context.repo, base, tip, out,
                             json.loads(json.dumps(chosen, sort_keys=True, default=str)))


def _remember(context, options, base, tip, out, where, plan, handed):
    """Record what this run wrote, so that a rerun with nothing new stops at once."""
    print_ = _fingerprint(context, options, base, tip, out, where)
    rerun.record(context.repo, where, out, print_, plan, [h["branch"] for h in handed])


def _check(outcome, context, check, base):
    """--check: make check on the series' steps; its table and exit status are the run's."""
    outcome.status, outcome.check = check(context.tree, context.branch, base,
                                          context.reports_dir)
    return outcome
