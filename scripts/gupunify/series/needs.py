"""Which series each series needs first, from what their patches use, convert and remove.

A series needs another, earlier on the branch, when
- its patches use what that one's core patches add to the migration's
  header (its [provides:*]: gup-flags' new flag, for one): a caller series
  passing a new flag needs the core patch that adds it; one that only
  changes values of old names needs nothing;
- it is a core part that removes a function, or changes its prototype,
  whose calls that earlier series converts (a rule's old function): those
  calls would break without it;
- it is a core part and that one is the core part before it: the core is
  one series of mm, cut where the callers go;
- it does not apply without it: it changes a file that one changes too, and
  `git apply` on the base and its other needs fails.
Only an earlier series can be needed: every step of the branch builds, so
a core patch never breaks a call converted after it.

The needs are closed (a need's needs are needs too) and in branch order:
applying them on the base, then the series, is what `git am` of the series
wants, and their patches are its prerequisite-patch-id lines.
"""
import re
import tempfile

from ..common import migration
from ..common.util import git, run


def provides():
    """{name: (regex of a core commit's header diff adding it, regex of a diff using
    it)}: the migration's [provides:NAME] sections."""
    mig = migration.current()
    return {section.split(":", 1)[1]: (mig.value(section, "adds"), mig.value(section, "uses"))
            for section in mig.ini.sections() if section.startswith("provides:")}


# A removed line declaring or defining a function: a type, then its name and "(".
DECLARATION = re.compile(r"^-\s*(?!(?:return|else|case|goto|do)\b)"
                         r"(?:[A-Za-z_]\w*[\s*]+)+?([A-Za-z_]\w*)\s*\(")
CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def family():
    """The functions whose callers the tool converts (the rules' old names, in order):
    what a series says it does."""
    return tuple(rule.old for rule in migration.current().rules)


def diffs(repo, base, tip):
    """{sha: its diff} of every commit of base..tip, in one git call."""
    # -U6: the statement a changed argument line belongs to, for converted().
    out = git(repo, "log", "-p", "-U6", "--no-color", "--format=%x01%H",
              "%s..%s" % (base, tip))
    found = {}
    for entry in out.split("\x01")[1:]:
        sha, _, diff = entry.partition("\n")
        found[sha.strip()] = diff
    return found


def _header_diff(diff):
    """The part of a commit's diff that changes the migration's header."""
    m = re.search(r"^diff --git a/%s .*?(?=^diff --git |\Z)"
                  % re.escape(migration.current().header), diff, re.M | re.S)
    return m.group(0) if m else ""


def provided(diff):
    """What of provides() a core commit adds to the header."""
    header = _header_diff(diff)
    return {name for name, (adds, _) in provides().items() if re.search(adds, header, re.M)}


def used(diff):
    """What of provides() a commit's added lines use."""
    return {name for name, (_, uses) in provides().items() if re.search(uses, diff, re.M)}


def converted(diff):
    """The functions whose calls a commit changes: those named in the statement of
    each removed line (a call's name is often on a context line above the one
    changing its arguments)."""
    names, before, in_hunk = set(), [], False
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            in_hunk = False
        elif line.startswith("@@"):
            in_hunk, before = True, []
        elif in_hunk and line[:1] in (" ", "-"):
            before.append(line[1:])
            if line[:1] == "-":
                statement = [line[1:]]
                for prev in reversed(before[:-1]):
                    if not prev.strip() or prev.rstrip().endswith((";", "{", "}")):
                        break
                    statement.insert(0, prev)
                names.update(CALL.findall(" ".join(statement)))
    return names


def _declarations(diff, sign):
    """{name: its declarations}: the declarations and definitions on one side of a diff
    (sign "-" the old, "+" the new) that the commit touches, each as one normalised
    statement; a prototype spans lines and often keeps its first one, changing only
    the parameters below it."""
    found, statement = {}, []

    def close():
        if any(line.startswith(sign) for line in statement):
            text = " ".join(" ".join(line[1:] for line in statement).split())
            m = DECLARATION.match("-" + text)
            if m:
                found.setdefault(m.group(1), set()).add(text)
        statement.clear()

    in_hunk = False
    for line in diff.splitlines():
        if line.startswith("diff --git ") or line.startswith("@@"):
            close()
            in_hunk = line.startswith("@@")
        elif in_hunk and line[:1] in (" ", sign):
            statement.append(line)
            directive = statement[0][1:].lstrip().startswith("#")
            if not line[1:].strip() or line.rstrip().endswith((";", "{", "}", "*/")) or \
                    directive and not line.rstrip().endswith("\\"):
                close()
    close()
    return found


def broken(diff):
    """{function: "removes" or "changes"}: declarations or definitions a commit
    removes, and whether it adds one of the same name back (a new prototype)."""
    removed, added = _declarations(diff, "-"), _declarations(diff, "+")
    return {name: "changes" if name in added else "removes"
            for name, texts in removed.items() if not texts <= added.get(name, set())}


WHAT = {"removes": "removes", "changes": "gives a new prototype"}


class Graph:
    """The needs of each part of a branch (SubSeries, in branch order)."""

    def __init__(self, repo, base, parts, diff_of):
        self.repo, self.base, self.parts, self.diff_of = repo, base, parts, diff_of

    def _diffs(self, part):
        return [self.diff_of[sha] for sha, _ in part.commits]

    def compute(self):
        """Set part.depends (directories, branch order) and part.why {directory: reason},
        and what the part does: converts (the family() calls it converts), provides
        (what of provides() it adds), breaks ({family() function: "removes" or
        "changes"})."""
        olds = family()
        providers = {}          # what of provides() -> the first part adding it
        for number, part in enumerate(self.parts):
            diffs = self._diffs(part)
            part.converts = sorted(set().union(*map(converted, diffs)) & set(olds),
                                   key=olds.index)
            part.provides = sorted(set().union(*map(provided, diffs)))
            part.breaks = {}
            for diff in diffs:
                for name, how in broken(diff).items():
                    if name in olds:
                        part.breaks.setdefault(name, how)
            why = {}
            earlier = self.parts[:number]
            for name in sorted(set().union(*map(used, self._diffs(part)))):
                if providers.get(name) is not None:
                    why.setdefault(providers[name].directory,
                                   "it adds %s, which this series uses" % name)
            if part.kind == "core":
                cores = [p for p in earlier if p.kind == "core"]
                if cores:
                    why.setdefault(cores[-1].directory, "the core part before this one")
                breaks = {}
                for diff in self._diffs(part):
                    for name, how in broken(diff).items():
                        breaks.setdefault(name, how)
                for other in earlier:
                    calls = set().union(*map(converted, self._diffs(other))) & set(breaks)
                    if calls and other.directory not in why:
                        why[other.directory] = "it converts the calls of %s, which this " \
                            "series %s" % (" and ".join("%s()" % c for c in sorted(calls)),
                                           " and ".join(sorted({WHAT[breaks[c]]
                                                                for c in calls})))
            for diff in self._diffs(part):
                for name in provided(diff):
                    providers.setdefault(name, part)
            part.why = why
            part.depends = self._closed(part, why)
            self._textual(part, earlier)

    def _closed(self, part, why):
        """The needs of part: those in why, and theirs, in branch order."""
        names = set(why)
        for other in self.parts:
            if other.directory in names:
                names.update(other.depends)
        return [p.directory for p in self.parts if p.directory in names]

    def _textual(self, part, earlier):
        """Add what part does not apply without: earlier parts changing its files."""
        overlap = [p for p in earlier if p.directory not in part.depends
                   and set(p.files) & set(part.files)]
        if not overlap or self.applies(part, part.depends):
            return
        for other in overlap:
            part.why[other.directory] = "it changes lines this series changes too"
        part.depends = self._closed(part, part.why)

    def applies(self, part, depends):
        """Does part apply with git apply on the base and depends (directories)?"""
        chain = [p for p in self.parts if p.directory in depends] + [part]
        with tempfile.TemporaryDirectory(prefix="gup-unify-needs-") as tmp:
            env = {"GIT_INDEX_FILE": tmp + "/index"}
            git(self.repo, "read-tree", self.base, env=env)
            for p in chain:
                for sha, _ in p.commits:
                    # Bytes: a Latin-1 file must reach git apply as it is.
                    patch = git(self.repo, "diff-tree", "-p", "--binary", "--no-color",
                                sha + "^", sha, binary=True)
                    rc = run(["git", "-C", self.repo, "apply", "--cached"], env=env,
                             input=patch, check=False, binary=True)[0]
                    if rc:
                        return False
        return True


def reason(part, need):
    """Why part needs need (a directory), in words."""
    return part.why.get(need, "another series this one needs needs it")


def compute(repo, base, tip, parts):
    """Each part's depends and why, from the commits of base..tip."""
    Graph(repo, base, parts, diffs(repo, base, tip)).compute()


def reduced(parts):
    """The graph's edges (need, part) without those another path implies: what to draw."""
    by_dir = {p.directory: p for p in parts}
    edges = []
    for part in parts:
        implied = {d for need in part.depends for d in by_dir[need].depends}
        edges += [(need, part.directory) for need in part.depends if need not in implied]
    return edges
