"""The branch as sub-series: core parts, and one per MAINTAINERS group of caller commits
(the "maintainers" shape), or the whole branch as one series through mm (the "mm" shape,
as upstream took the change in v5.2)."""
import os
import re

from ..common import migration, notes
from ..common.util import die, git
from ..convert import callercommits
from ..groups import commitformat, prefixes, routing
from . import needs

SHAPES = ("maintainers", "mm")


class SubSeries:
    """A run of consecutive commits that go out together, with their own cover letter."""

    def __init__(self, kind, key, commits, phase=None, note=None):
        self.kind = kind            # "core", "callers", or "mm" (the whole branch)
        self.key = key              # MAINTAINERS section, or the core part's name
        self.phase = phase          # "fast-only" for that phase's callers
        self.commits = commits      # [(sha, subject)], oldest first
        self.note = note            # callers: the first commit's CallerNote, if it has one
        self.directory = None
        self.patches = []           # [{file, subject, to, cc, paths}]
        self.subject, self.to, self.cc = None, [], []     # of its cover letter
        self.prefix_source = "core series" if kind == "core" else None
        self.prefix_why = None      # why history gave none, when the prefix is a guess
        if note and note.prefix:
            self.prefix_source, self.prefix_why = note.source, note.why
        self.files = []             # every file its commits touch
        self.route, self.tree, self.net, self.unnamed = None, None, False, None  # routing
        self.depends, self.why = [], {}     # needs.compute(): directories, and why each
        self.blurb = None           # the text of its cover letter

    @property
    def prefix(self):
        if self.kind == "mm":
            return "mm/gup"
        if self.note and self.note.prefix:
            return self.note.prefix
        # A core patch, or a caller commit of an earlier release: its subject says.
        return callercommits.prefix_of(self.commits[0][1])

    @property
    def subject_prefix(self):
        """What [PATCH ...] says: netdev wants the target tree named."""
        return "PATCH net-next" if self.net else "PATCH"


def annotate(repo, base, tip, parts, overrides):
    """Each part's files, where its subject prefix came from, its route and needs.

    A caller part's note says where its prefix came from; only a branch of an
    earlier release, whose notes do not, has it found again in the history.
    """
    owners = callercommits.owners_at(repo, base)
    sections = {s.name: s for s in owners.sections}
    for part in parts:
        part.files = sorted({f for sha, _ in part.commits for f in
                             git(repo, "show", "--format=", "--name-only", "-z",
                                 sha).split("\x00") if f})
    callers = [p for p in parts if p.kind == "callers"]
    unnoted = [p for p in callers if not (p.note and p.note.prefix)]
    if unnoted:
        # Every such caller file's history in one pass.
        known = prefixes.History(repo, base).histories(sorted({f for p in unnoted
                                                              for f in p.files}))
    for part in unnoted:
        part.prefix_source, part.prefix_why = prefixes.source_of(
            repo, base, part.prefix, part.files, sections.get(part.key), overrides, known)
    prefixes.warn_guesses([(p.key, p.prefix, p.prefix_source, p.prefix_why)
                           for p in callers])
    routing.plan(owners, parts, lambda part: part.files)
    needs.compute(repo, base, tip, parts)


def _commits(repo, base, tip):
    """(sha, subject, body on one line, group note or None) of each commit, oldest first."""
    out = git(repo, "log", "--reverse", *notes.log_args(),
              "--format=%H%x00%s%x00%N%x00%B%x01", "%s..%s" % (base, tip))
    commits = []
    for entry in filter(None, (e.strip("\n") for e in out.split("\x01"))):
        sha, subject, note, body = entry.split("\x00", 3)
        commits.append((sha, subject, " ".join(body.split()), commitformat.parse(note)))
    return commits


def _caller_group(subject, body, note):
    """(group, phase) of a caller commit: from its note, else (a branch made before
    the notes) from its message; None for a core patch."""
    mig = migration.current()
    if note:
        return note.group, _later_phase(mig, mig.rule(note.api))
    legacy = commitformat.legacy_group(subject, body,
                                       [os.path.basename(rule.cocci) for rule in mig.rules])
    if legacy is None:
        return None
    group, rule_file = legacy
    return group, next((_later_phase(mig, rule) for rule in mig.rules
                        if os.path.basename(rule.cocci) == rule_file), None)


def _later_phase(mig, rule):
    """The phase of rule when it is not the first: a caller commit of a later phase
    (gup-flags' --fast-only) goes after the core patch adding what its calls
    become, in a series of its own even for a group with one from the first."""
    return rule.phase if rule.phase != mig.phases[0] else None


def split_commits(repo, base, tip, shape="maintainers"):
    """The branch as sub-series: core patches before the callers, one per group, core after;
    with shape "mm", one series of every commit in branch order."""
    if shape == "mm":
        part = SubSeries("mm", "the whole change, through mm",
                         [(sha, subject) for sha, subject, _, _ in _commits(repo, base, tip)])
        part.prefix_source = "core series"
        part.directory = "01-mm-gup-tree-wide"
        return [part]
    parts = []
    for sha, subject, body, note in _commits(repo, base, tip):
        caller = _caller_group(subject, body, note)
        if caller:
            kind, (key, phase) = "callers", caller
        else:
            kind, key, phase = "core", None, None
        if parts and (parts[-1].kind, parts[-1].key, parts[-1].phase) == (kind, key, phase):
            parts[-1].commits.append((sha, subject))
        else:
            parts.append(SubSeries(kind, key, [(sha, subject)], phase, note if caller else None))
    seen = set()
    for part in parts:
        if part.kind == "callers" and (part.phase, part.key) in seen:
            die("the commits of %s are not consecutive on the branch: cannot make one series "
                "of them" % part.key)
        seen.add((part.phase, part.key))
    cores = [p for p in parts if p.kind == "core"]
    for number, part in enumerate(cores):
        part.key = "core, part %d of %d" % (number + 1, len(cores))
    for number, part in enumerate(parts):
        part.directory = "%02d-%s" % (number + 1, _folder(part, cores))
    return parts


def _folder(part, cores):
    """What a series' folder says after its number: core-1-of-2 for the core's parts
    (never a caller group's prefix: 01-mm-gup_benchmark and 10-mm-gup_benchmark read
    alike), the group's prefix for callers, -fast-only for that phase's."""
    if part.kind == "core":
        return "core-%d-of-%d" % (cores.index(part) + 1, len(cores)) if len(cores) > 1 \
            else "core"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", part.prefix).strip("-")
    return name + ("-fast-only" if part.phase else "")
