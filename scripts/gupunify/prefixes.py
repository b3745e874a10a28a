"""Subject prefixes per group, learned from the tree's git history.

Maintainers ask for the prefix their subsystem uses (`drm/via:`, `IB/hfi1:`,
`KVM: x86:`), taken from `git log` of the files, never made up from paths.
This does what Coccinelle's tools/splitpatch.ml does: the leading words
ending in ':' of each file's recent commit subjects, recent commits weighing
more, intersected over the group's files, the best scoring common one
chosen. Without history, the MAINTAINERS entry's short name or the path.
"""
import collections
import concurrent.futures
import os
import re

from . import headers, split
from .util import die, git

HISTORY_DEPTH = 30      # commits per file
RANGES = 5              # recency ranges: the newest fifth weighs 1, the next 1/2, ...
SUBJECT_LIMIT = 75      # columns of a commit subject, prefix included
ABBREVIATION = re.compile(r"\(([A-Za-z0-9][A-Za-z0-9/_.-]*)\)$")
SOURCES = ("override", "history", "MAINTAINERS", "path")


def tags(subject):
    """'KVM: x86' for 'KVM: x86: fix foo': the leading words ending in ':'."""
    words = []
    for word in subject.split():
        if not word.endswith(":") or len(word) == 1:
            break
        words.append(word)
    return " ".join(words)[:-1] or None


def file_scores(repo, rev, path):
    """{prefix: weight} from the recent subjects of path (renames followed)."""
    out = git(repo, "log", "--follow", "--no-merges", "-n", str(HISTORY_DEPTH),
              "--format=%s", rev, "--", path, check=False)
    found = [t for t in map(tags, out.splitlines()) if t]
    scores = collections.Counter()
    for rank, prefix in enumerate(found):
        scores[prefix] += 1.0 / (1 + rank * RANGES // len(found))
    return scores


class History:
    """file_scores() of files, each asked for as soon as it is known.

    `git log --follow` takes exactly one path, and diffs the whole tree
    where the file was created: asked in the background, jobs (default the
    cores) at a time, while the conversion still tokenizes and writes the
    other files, they cost the run little wall time of their own.
    """

    def __init__(self, repo, rev, jobs=None):
        self.repo, self.rev = repo, rev
        self.pool = concurrent.futures.ThreadPoolExecutor(jobs or os.cpu_count() or 1)
        self.asked = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pool.shutdown(cancel_futures=True)

    def ask(self, files):
        """Start asking git for the files not asked for yet."""
        for path in files:
            if path not in self.asked:
                self.asked[path] = self.pool.submit(file_scores, self.repo, self.rev, path)

    def scores(self, files):
        """{path: file_scores()} of files, waiting for those under way."""
        self.ask(files)
        return {path: self.asked[path].result() for path in files}


def history(repo, rev, files, jobs=None):
    """{path: file_scores()} of files."""
    with History(repo, rev, jobs) as known:
        return known.scores(files)


def from_history(repo, rev, files, jobs=None, known=None):
    """The best prefix common to every file's history, or None.

    known ({path: file_scores()}) saves asking git again for its files.
    """
    known = dict(known or {})
    known.update(history(repo, rev, [f for f in files if f not in known], jobs))
    per_file = [known[f] for f in files]
    if not per_file or not all(per_file):
        return None
    common = set(per_file[0])
    for scores in per_file[1:]:
        common &= set(scores)
    if not common:
        return None
    return max(sorted(common), key=lambda p: sum(s[p] for s in per_file))


def from_maintainers(section, files):
    """The short name a MAINTAINERS title ends with, when the files bear it out.

    '(LIBCEPH)' gives libceph for net/ceph, '(KVM/x86)' gives 'KVM: x86' for
    arch/x86/kvm (an upper-case subsystem over a lower-case part reads the
    kernel's way). Every part of the name (less a leading "lib") must name a
    directory or file of the group: '(UIOVEC)' is not a prefix for
    lib/iov_iter.c, nor '(V4L/DVB)' for drivers/media/v4l2-core.
    """
    m = ABBREVIATION.search(section.name) if section else None
    if not m:
        return None
    name = m.group(1)
    names = {n.lower() for f in files for n in re.split(r"[/.]", f)}
    for part in name.lower().split("/"):
        if part not in names and not (part.startswith("lib") and part[3:] in names):
            return None
    if name.isupper():
        return name.lower()
    return re.sub(r"^([A-Z0-9]+)/(?=[a-z0-9])", r"\1: ", name)


def parse_overrides(pairs, files=(), longest=None):
    """{group: prefix} from GROUP=PREFIX arguments and lines of files ('#' comments).

    Each prefix goes into subjects: one with a control character, or longer
    than longest columns, is refused, naming the line it came from. A file
    is UTF-8 (a BOM is dropped); a group given two different prefixes is
    refused naming both places.
    """
    items = [("--prefix %r" % pair, pair) for pair in pairs]
    for path in files:
        items += [("--prefix-file %s line %d" % (path, number), line)
                  for number, line in _lines(path)]
    overrides, where = {}, {}
    for place, item in items:
        group, sep, prefix = item.partition("=")
        prefix = prefix.strip().rstrip(":").strip()
        if not sep or not group.strip() or not prefix:
            die("%s: expected GROUP=PREFIX (GROUP a MAINTAINERS entry or the path prefix "
                "of a group)" % place)
        headers.check(place + ": prefix", prefix)
        if longest is not None and len(prefix) > longest:
            die("%s: prefix %r has %d columns: a subject keeps to %d columns, so a prefix "
                "may have %d at most" % (place, prefix, len(prefix), SUBJECT_LIMIT, longest))
        key = group.strip().lower()
        if key in overrides and overrides[key] != prefix:
            die("%s gives group %r the prefix %r, %s gave it %r: keep one"
                % (place, group.strip(), prefix, where[key], overrides[key]))
        overrides[key] = prefix
        where.setdefault(key, place)
    return overrides


def _lines(path):
    """(number, line) of the GROUP=PREFIX lines of a --prefix-file, stripped."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        die("--prefix-file %s: %s" % (path, e.strerror))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = []
    for number, raw in enumerate(data.splitlines(), 1):
        if raw.lstrip().startswith(b"#"):
            continue        # a comment's bytes go nowhere
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as e:
            die("--prefix-file %s line %d: byte %#04x is not UTF-8: save the file as UTF-8"
                % (path, number, raw[e.start]))
        if line and not line.startswith("#"):
            lines.append((number, line))
    return lines


def source_of(repo, rev, prefix, files, section, overrides=None):
    """Which source gives prefix for these files (a branch made earlier has its subjects)."""
    overrides = overrides or {}
    path = split.subject_prefix(files)
    if overrides.get(path.lower()) == prefix or \
            (section and overrides.get(section.name.lower()) == prefix):
        return "override"
    for source, find in (("history", lambda: from_history(repo, rev, files)),
                         ("MAINTAINERS", lambda: from_maintainers(section, files)),
                         ("path", lambda: path)):
        found = find()
        if found:
            return source if found == prefix else "as on the branch"
    return "as on the branch"


def assign(repo, rev, groups, overrides=None, asked_before=None):
    """Give each group its prefix and its source; an override naming no group is an error.

    asked_before is a History of repo at rev that may already hold some files.
    """
    overrides = dict(overrides or {})
    # Every group's history asked for at once: most groups have one file,
    # which alone would leave all cores but one idle.
    asked = [g for g in groups if not {g.name.lower(), g.path_prefix.lower()} & set(overrides)]
    files = sorted({f for g in asked for f in g.files})
    known = asked_before.scores(files) if asked_before else history(repo, rev, files)
    for group in groups:
        keys = {group.name.lower(), group.path_prefix.lower()}
        chosen = [overrides.pop(k) for k in sorted(keys) if k in overrides]
        if chosen:
            group.learned = (chosen[0], "override")
            continue
        for source, prefix in (("history", lambda: from_history(repo, rev, group.files,
                                                                known=known)),
                               ("MAINTAINERS", lambda: from_maintainers(group.section, group.files)),
                               ("path", lambda: group.path_prefix)):
            found = prefix()
            if found:
                group.learned = (found, source)
                break
    if overrides:
        die("--prefix names no group: %s (the groups: %s)" % (
            ", ".join(repr(k) for k in sorted(overrides)), "; ".join(g.name for g in groups)))
