"""Convert a tree's callers (and apply the core series) as commits on a new branch."""
import os
import re
import tempfile
import textwrap

from . import layout, patches, report, sites, spatch
from .tree import KernelTree, api_state, check_foll_write
from .util import Stopwatch, UserError, die, git, progress, write_atomic
from .workspace import Worktree, branch_exists, identity_args, repository_for

# Where callers keep pages pinned for long (RDMA, vfio-like device DMA): a
# get_user_pages_fast() call there may want FOLL_LONGTERM. A judgement for
# the maintainer, so such sites are only reported (DESIGN.md 3).
LONGTERM_CANDIDATE_PATHS = ("drivers/infiniband/", "drivers/vfio/", "net/rds/",
                            "drivers/fpga/", "drivers/misc/", "drivers/staging/gasket/",
                            "arch/powerpc/mm/mmu_context_iommu.c", "net/xdp/")

SCAN_EXCLUDES = [":!tools", ":!Documentation", ":!scripts"]

LONGTERM_MESSAGE = """\
treewide: call get_user_pages() with FOLL_LONGTERM, not get_user_pages_longterm()

get_user_pages() now honours FOLL_LONGTERM: it refuses filesystem-dax
pages (and on v5.1 migrates pages out of CMA) exactly as
get_user_pages_longterm() did, so get_user_pages_longterm(s, n, F, p, v)
becomes get_user_pages(s, n, F | FOLL_LONGTERM, p, v). The pages pinned and
the errors returned are the same.

%(provenance)s
"""

FAST_MESSAGE = """\
treewide: pass gup_flags, not a write bool, to get_user_pages_fast()

get_user_pages_fast() is about to take unsigned int gup_flags instead of
int write. Pass each caller's value in flag form now: 1 and true become
FOLL_WRITE, false becomes 0, and any other expression E becomes
E ? FOLL_WRITE : 0, so that a nonzero value other than 1 cannot turn into
FOLL_TOUCH, FOLL_GET or FOLL_FORCE once the parameter is a mask.

FOLL_WRITE is 1 in this tree, so every new argument has the same value as
the old one while the parameter is still int write: this commit changes no
behaviour and the tree builds at every step.

%(provenance)s
"""


def files_mentioning(wt, name):
    """Source files of the worktree's tree that mention name, checked out for use."""
    files = wt.grep("-w", name, "--", "*.c", "*.h", *SCAN_EXCLUDES)
    wt.materialize(files)
    return files


def _read(root, relpath):
    with open(os.path.join(root, relpath), errors="replace") as f:
        return f.read()


def _pairable(site, api):
    """Sites that stand for the same call before and after a conversion."""
    if site.kind != "call":
        return False
    if api == sites.FAST:
        return site.name == sites.FAST
    if site.name == sites.LONGTERM:
        return True
    return (site.name == sites.GUP and len(site.args) > 2
            and "FOLL_LONGTERM" in site.args[2])


def _classify(api, arg):
    if api == sites.FAST:
        return sites.classify_write(arg)
    if "FOLL_LONGTERM" in arg:
        return "flag_form", None
    return sites.classify_longterm_flags(arg)


REASONS = {
    "zero": "0 is already the gup_flags value",
    "flag_form": "already a gup_flags value",
    "foll_write_as_write": "FOLL_WRITE passed as write: right value by accident (FOLL_WRITE == 1), kept",
    "other_foll_flag": "a FOLL_* value other than FOLL_WRITE passed as write: its meaning "
                       "changes with gup_flags, fix by hand",
}


class CallerStep:
    """One caller conversion (longterm or fast) over a worktree, with its site records."""

    def __init__(self, wt, api, workdir):
        self.wt = wt
        self.root = wt.path
        self.api = api
        self.workdir = workdir
        self.cocci = spatch.LONGTERM_COCCI if api == sites.LONGTERM else spatch.FAST_COCCI
        self.records = []

    def run(self):
        names = (sites.FAST,) if self.api == sites.FAST else (sites.LONGTERM, sites.GUP)
        files = files_mentioning(self.wt, self.api)
        sources = {f: _read(self.root, f) for f in files}
        progress("%s: %d files mention it; running %s"
                 % (self.api, len(files), os.path.basename(self.cocci)))
        results = spatch.apply(self.cocci, self.root, files, self.workdir)
        for relpath in files:
            self._file(relpath, sources[relpath], results.get(relpath), names)
        return self.records

    def _file(self, relpath, original, result, names):
        before = sites.scan(relpath, original, names)
        for s in before:
            if s.kind != "call" and s.name == self.api:
                reason = ("inside a #define body: the argument can be any expression "
                          "at each expansion" if s.kind == "define"
                          else "not called here (function pointer or reference)")
                self.records.append(self._record(s, None, "manual", None, reason))
        calls = [s for s in before if _pairable(s, self.api)]
        source = _read(self.root, relpath)
        after = [s for s in sites.scan(relpath, source, names) if _pairable(s, self.api)]
        if len(after) != len(calls):
            # Cannot tell which rewrite belongs to which call: keep the file as it was.
            with open(os.path.join(self.root, relpath), "w") as f:
                f.write(original)
            for s in calls:
                self.records.append(self._record(s, None, "manual", None,
                                                 "call count changed under spatch: "
                                                 "file left as it was, convert by hand"))
            return
        spatch_failed = result is not None and result[0] != 0
        plan = []           # (index, outcome, by, reason, idiom, disagreement)
        fallback = []       # (after site, replacement)
        for index, (old, new) in enumerate(zip(calls, after)):
            if old.name == sites.GUP:
                plan.append((index, "unchanged", None,
                             "already get_user_pages() with FOLL_LONGTERM", "flag_form", None))
                continue
            if len(old.args) != (4 if self.api == sites.FAST else 5):
                plan.append((index, "manual", None, "unexpected number of arguments", None, None))
                continue
            idiom, expected = _classify(self.api, old.args[2])
            if old.args[2] != new.args[2] or old.name != new.name:
                extra = None if _same(new.args[2], expected) else expected
                plan.append((index, "converted", "spatch", None, idiom, extra))
            elif expected is None:
                outcome = "manual" if idiom == "other_foll_flag" else "unchanged"
                plan.append((index, outcome, None, REASONS[idiom], idiom, None))
            else:
                why = ("spatch failed on this file (%s)" % _last_line(result[2])
                       if spatch_failed else "spatch could not match this call "
                       "(code it cannot parse, or a macro argument)")
                fallback.append((new, expected))
                plan.append((index, "converted", "fallback", why, idiom, None))
        if fallback:
            source = _fallback(source, self.api, fallback)
            unparsed = spatch.unparsed_lines(self.root, relpath, self.workdir)
            plan = [p if p[2] != "fallback" else
                    p[:3] + ("%s; spatch left %d lines of this file unparsed" % (p[3], unparsed),)
                    + p[4:] for p in plan]
        converted = [p[0] for p in plan if p[1] == "converted"]
        for index in reversed(converted):
            source = self._tidy(relpath, original, source, calls[index], index, names)
        if converted:
            with open(os.path.join(self.root, relpath), "w") as f:
                f.write(source)
        final = [s for s in sites.scan(relpath, source, names) if _pairable(s, self.api)]
        for index, outcome, by, reason, idiom, disagreement in plan:
            record = self._record(calls[index], final[index], outcome, by, reason, idiom)
            if disagreement:
                record["disagreement"] = "inventory expected %r" % disagreement
            self.records.append(record)

    def _tidy(self, relpath, original, source, old, index, names):
        """Kernel style for the index-th call (old, in original) as it now stands in source."""
        def paired(src):
            return [s for s in sites.scan(relpath, src, names) if _pairable(s, self.api)]
        site = paired(source)[index]
        start = site.call_span[0]
        old_col = layout.paren_column(original, old.call_span[0])
        return layout.tidy_call(source, start, site.call_span[1], old_col,
                                lambda src: paired(src)[index].arg_spans[2])

    def _record(self, old, new, outcome, by, reason, idiom=None):
        record = {
            "file": old.path, "line": old.line, "column": old.column + 1,
            "api": old.name, "kind": old.kind, "idiom": idiom,
            "before": old.args[2] if len(old.args) > 2 else None,
            "after": (new.args[2] if new is not None and len(new.args) > 2 else None),
            "outcome": outcome, "by": by, "reason": reason,
        }
        if self.api == sites.FAST and old.path.startswith(LONGTERM_CANDIDATE_PATHS):
            record["longterm_candidate"] = True
        return record


def _same(a, b):
    squash = lambda s: re.sub(r"\s+", " ", s or "").strip()
    return squash(a) == squash(b)


def _last_line(text):
    lines = [l for l in (text or "").strip().splitlines() if l.strip()]
    return lines[-1] if lines else "no message"


def _fallback(source, api, edits):
    """Rewrite the flag argument (and for longterm the name) of each call, back to front."""
    spans = []
    for site, replacement in edits:
        spans.append((site.arg_spans[2], replacement))
        if api == sites.LONGTERM and site.name == sites.LONGTERM:
            start = site.call_span[0]
            spans.append(((start, start + len(sites.LONGTERM)), sites.GUP))
    for (start, end), text in sorted(spans, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def summarise(records):
    converted = sum(1 for r in records if r["outcome"] == "converted")
    manual = sum(1 for r in records if r["outcome"] == "manual")
    unchanged = sum(1 for r in records if r["outcome"] == "unchanged")
    return "%d calls converted, %d already in flag form, %d left for a human" % (
        converted, unchanged, manual)


def _dirty(repo):
    return git(repo, "status", "--porcelain", "--untracked-files=no").strip()


def _author(repo):
    name = git(repo, "config", "user.name", check=False).strip()
    email = git(repo, "config", "user.email", check=False).strip()
    return "%s <%s>" % (name, email) if name and email else None


def convert(kernel, branch="gup-unify", diff_path=None, reports_dir=None,
            allow_dirty=False):
    """The `spatch` job: returns 0, having made the branch (or diff) and the report."""
    watch = Stopwatch()
    tree = KernelTree(kernel)
    spatch.require_spatch()
    repo = repository_for(tree)
    if _dirty(repo) and not allow_dirty:
        die("%s has uncommitted changes: commit or stash them (the conversion starts "
            "from HEAD), or pass --allow-dirty" % tree.path)
    if not diff_path and branch_exists(repo, branch):
        die("branch %s already exists in %s: choose another with BRANCH=" % (branch, repo))
    steps, base = patches.steps_for(tree.version)
    run = {"tree": tree.path, "repository": repo, "version": tree.full_version,
           "core_series": base, "branch": None if diff_path else branch,
           "steps": [], "sites": []}
    with tempfile.TemporaryDirectory(prefix="gup-unify-") as workdir, \
            Worktree(repo, "HEAD", branch) as wt:
        run["base_commit"] = wt.start
        state = api_state(wt.path)
        run["api_before"] = state
        if base and state["fast_takes"] == "gup_flags" and state["foll_longterm"] \
                and not state["has_longterm"]:
            progress("the core series is already in this tree: converting callers only")
            steps, base = list(patches.CALLER_STEPS), None
            run["core_series"] = None
        for step in steps:
            with watch(os.path.basename(step)):
                _do_step(wt, step, workdir, run)
        run["api_after"] = api_state(wt.path)
        run["timings"] = watch.seconds
        if wt.head() == wt.start:
            progress("%s: nothing to do: no call of the old API to convert" % tree.path)
            run["result"] = "nothing to do"
            report.print_summary(run)
            return 0
        if diff_path:
            write_atomic(diff_path, wt.git("diff", wt.start, "HEAD"))
            run["diff"] = os.path.abspath(diff_path)
            progress("diff written to %s" % diff_path)
        else:
            wt.keep()
            progress("branch %s of %s: %d commits on %s"
                     % (branch, repo, len(wt.git("rev-list", "%s..HEAD" % wt.start).split()),
                        wt.start[:12]))
        run["result"] = "converted"
        where = report.write(run, reports_dir, tree.name)
        progress("report: %s" % where)
        report.print_summary(run)
    return 0


def _do_step(wt, step, workdir, run):
    if step in patches.CALLER_STEPS:
        api = sites.LONGTERM if step == patches.CALLERS_LONGTERM else sites.FAST
        state = api_state(wt.path)
        if api == sites.FAST and state["fast_takes"] == "gup_flags":
            progress("get_user_pages_fast() already takes gup_flags here: no write "
                     "argument to convert")
            run["steps"].append({"step": step, "result": "already converted"})
            return
        if api == sites.FAST:
            check_foll_write(state)
        records = CallerStep(wt, api, workdir).run()
        run["sites"].extend(records)
        template = LONGTERM_MESSAGE if api == sites.LONGTERM else FAST_MESSAGE
        provenance = textwrap.fill("Generated by gup-unify with cocci/%s: %s."
                                   % (os.path.basename(spatch.LONGTERM_COCCI
                                                       if api == sites.LONGTERM
                                                       else spatch.FAST_COCCI),
                                      summarise(records)), 72)
        message = template % {"provenance": provenance}
        subject, body = message.split("\n\n", 1)
        made = wt.commit(subject, body)
        run["steps"].append({"step": step, "result": "committed" if made else "nothing to do",
                             "summary": summarise(records)})
        return
    text = patches.patch_text_for(step, _author(wt.repo))
    wt.materialize(patches.paths_in(text))
    try:
        wt.git(*identity_args(wt.repo), "am", "-q", "--signoff", input=text)
    except UserError as e:
        wt.git("am", "--abort", check=False)
        die("core patch %s does not apply to this tree: %s" % (os.path.basename(step), e))
    run["steps"].append({"step": os.path.basename(step), "result": "applied"})
