"""Subject prefixes per group, learned from the tree's git history.

Maintainers ask for the prefix their subsystem uses (`drm/via:`, `IB/hfi1:`,
`KVM: x86:`), taken from `git log` of the files, never made up from paths.
This does what Coccinelle's tools/splitpatch.ml does: the leading words
ending in ':' of each file's recent commit subjects, recent commits weighing
more, intersected over the group's files, the best scoring common one
chosen. History is read in bounded passes shared by every file, and a
tree's import commit is no prefix. Without history, a guess in kernel style
(or the MAINTAINERS entry's short name), which the run names loudly.
"""
import collections
import concurrent.futures
import os
import re

from ..common import headers
from ..common.progress import warn
from ..common.util import die, git
from . import split

HISTORY_DEPTH = 30      # commits per file
RANGES = 5              # recency ranges: the newest fifth weighs 1, the next 1/2, ...
SUBJECT_LIMIT = 75      # columns of a commit subject, prefix included
# How far back history is read, in commits (all files together, not each):
# the RECENT last for every file, then back to RECENT * DEEPER for the files
# with fewer than HISTORY_DEPTH commits there. A clone of a million commits
# costs no more than one of 20000. Each window is a second of a core (git
# log of many paths, which a commit-graph's Bloom filters do not speed up)
# taken from spatch: on 2 cores, make spatch on v5.0 behind 300000 commits
# took 1.07-1.16 times its one-commit time (make bench BENCH=history).
RECENT = 10000
DEEPER = 2
ABBREVIATION = re.compile(r"\(([A-Za-z0-9][A-Za-z0-9/_.-]*)\)$")
SOURCES = ("override", "history", "MAINTAINERS", "kernel style")
GUESSES = ("MAINTAINERS", "kernel style")


def tags(subject):
    """'KVM: x86' for 'KVM: x86: fix foo': the leading words ending in ':'."""
    words = []
    for word in subject.split():
        if not word.endswith(":") or len(word) == 1:
            break
        words.append(word)
    return " ".join(words)[:-1] or None


def weigh(subjects):
    """{prefix: weight} of a file's subjects, newest first."""
    found = [t for t in map(tags, subjects) if t]
    scores = collections.Counter()
    for rank, prefix in enumerate(found):
        scores[prefix] += 1.0 / (1 + rank * RANGES // len(found))
    return scores


class Imported:
    """A parentless commit (a tree's import, a shallow clone's edge): it adds
    every file it has, so its subject says nothing of a file's subsystem."""

    def __init__(self, sha, subject):
        self.sha, self.subject = sha, subject

    def __str__(self):
        return 'history: only the import commit %s ("%s"), which adds every file; not ' \
               'used' % (self.sha[:12], self.subject)


class FileHistory:
    """A file's last HISTORY_DEPTH subjects, newest first, and what else was seen."""

    def __init__(self):
        self.subjects = []
        self.seen = set()       # their commits
        self.imported = None    # Imported, when such a commit added the file
        self.added = None       # the commit that added the file under this name
        self.cut = False        # whether older history was left unread (the bound)

    @property
    def scores(self):
        return weigh(self.subjects)

    @property
    def full(self):
        return len(self.subjects) >= HISTORY_DEPTH

    def take(self, sha, parents, subject):
        if self.full or sha in self.seen:
            return
        self.seen.add(sha)
        if parents:
            self.subjects.append(subject)
        else:
            self.imported = Imported(sha, subject)


# The edges found, by (repository, commit, skip): without a commit-graph each
# is a walk of skip commits, and the end of one window is the start of the next.
_edges = {}


def _edge(repo, rev, skip):
    """(sha, commit date) of the skip-th commit back from the commit rev, or None past
    the root."""
    key = (repo, rev, skip)
    if key not in _edges:
        _edges[key] = git(repo, "log", "-1", "--skip=%d" % skip, "--format=%H %ct",
                          rev, aside=True).split() or None
    return _edges[key]


def _read(repo, rev, files, skip, count):
    """The commits of files among the count before the skip-th back from rev: ({path:
    [(sha, parents, subject, status)], newest first}, whether history goes on beyond).

    One `git log` for every file: no --follow, which takes one path and turns
    off history pruning and the commit-graph's Bloom filters. --full-history
    and --no-merges list each file's commits as --follow does until a rename.
    A window further back starts at its first commit (the commits before it
    are not walked again) and ends at the date of the next one; a topic
    branch merged later that forked before it is left out.
    """
    start = _edge(repo, rev, skip) if skip else [rev]
    beyond = _edge(repo, rev, skip + count)
    commits = {path: [] for path in files}
    if not start:
        return commits, False
    window = _since(beyond)
    for part in _parts(files):
        # --no-renames: two of files joined by a move would come as one "R100 old
        # new" entry (diff.renames is on by default); as "D old", "A new" the new
        # name is seen added and followed. --literal-pathspecs: a file named
        # ":(top)x.c" is no pathspec magic.
        # Read beside spatch, which the run waits for first.
        out = git(repo, "--literal-pathspecs", "log", "--no-merges", "--full-history",
                  "--no-renames", "-z", *window, "--format=%x01%H%x02%P%x02%s",
                  "--name-status", start[0], "--", *part, aside=True)
        for record in out.split("\x01")[1:]:
            head, _, changes = record.partition("\x00")
            sha, parents, subject = head.split("\x02", 2)
            fields = changes.lstrip("\n").split("\x00")
            for status, path in zip(fields[0::2], fields[1::2]):
                if path in commits:
                    commits[path].append((sha, parents, subject, status))
    return commits, beyond is not None


def _since(edge):
    """git log's option for the commits after edge ((sha, date), or None: all of them)."""
    return ["--max-age=%d" % (int(edge[1]) + 1)] if edge else []


def _parts(files):
    """files in the git logs that read them: those under the top-level directory that
    holds the most of them, and the others.

    git log compares every entry of each tree it walks into with every path
    it is given: with the paths of drivers/ and of arch/, mm/, include/ in one
    log, each of the latter is compared with the 140 entries of drivers/ in
    every commit to a driver. Apart, each log walks the commits again (a
    tenth of a second per 10000 without a commit-graph), and the two take
    three quarters of the one's time on the kernel behind 300000 commits.
    """
    by_top = collections.defaultdict(list)
    for path in files:
        by_top[path.split("/")[0]].append(path)
    widest = max(sorted(by_top), key=lambda top: len(by_top[top]))
    others = [path for top in sorted(by_top) if top != widest for path in by_top[top]]
    return [by_top[widest]] + ([others] if others else [])


def _take(history, commits):
    """Add commits (newest first, as _read() gives them) to a file's history."""
    for sha, parents, subject, status in commits:
        history.take(sha, parents, subject)
        if status == "A" and parents:
            history.added = sha


def _renamed_from(repo, sha, path):
    """The name path had before sha, when sha made it by a rename."""
    out = git(repo, "diff-tree", "-r", "-M", "-z", "--name-status", sha + "^", sha)
    fields = out.split("\x00")
    for n, status in enumerate(fields):
        if status.startswith("R") and n + 2 < len(fields) and fields[n + 2] == path:
            return fields[n + 1]
    return None


def _follow(repo, history, sha, old, end):
    """The subjects of old, the name before sha, renames followed on, back to the commit
    end (sha, date) where the windows end, or to the root when end is None.

    A file seldom touched made by a rename has fewer than HISTORY_DEPTH
    commits however far back: unbounded, git log --follow walked all the
    history behind the rename, after the windows (1.6 s on v5.0 behind
    100000 commits, which the run waited for).
    """
    out = git(repo, "--literal-pathspecs", "log", "--follow", "--no-merges", *_since(end), "-n",
              str(HISTORY_DEPTH - len(history.subjects)), "--format=%H%x02%P%x02%s",
              sha + "^", "--", old)
    for line in out.splitlines():
        history.take(*line.split("\x02", 2))


# What was read, by (repository, commit, path): series reads again what the
# conversion it ran read just before, and history at a commit never changes.
_read_before = {}


def read_history(repo, rev, files):
    """{path: FileHistory} of files at rev, read in two bounded passes side by side.

    Every file's commits among the RECENT last, then, for the files with
    fewer than HISTORY_DEPTH there (and not added there), among the next
    RECENT * (DEEPER - 1). The second pass reads every file, beside the
    first rather than after it: on a clone without a commit-graph's help
    each takes a second of one core. --follow only for a file made by a
    rename with too few commits since, and no further back than the windows.
    """
    rev = git(repo, "rev-parse", "--verify", rev + "^{commit}").strip()
    kept = {path: _read_before.get((repo, rev, path)) for path in files}
    files = sorted(path for path, history in kept.items() if history is None)
    known = {path: FileHistory() for path in files}
    if not files:
        return kept
    _edge(repo, rev, RECENT)        # where the first window ends and the second starts
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        deeper = pool.submit(_read, repo, rev, files, RECENT, RECENT * (DEEPER - 1))
        recent, more = _read(repo, rev, files, 0, RECENT)
        older, beyond = deeper.result()
    for path in files:
        _take(known[path], recent[path])
    if more:
        for path in files:
            history = known[path]
            if not history.full and not history.added:
                _take(history, older[path])
                history.cut = beyond and not history.full
    for path in sorted(files):
        history = known[path]
        if history.added and not history.full:
            old = _renamed_from(repo, history.added, path)
            if old:
                end = _edge(repo, rev, RECENT * DEEPER)
                _follow(repo, history, history.added, old, end)
                history.cut = end is not None and not history.full
    _read_before.update(((repo, rev, path), history) for path, history in known.items())
    kept.update(known)
    return kept


class History:
    """The histories of the files asked for, read together when first needed.

    likely, when given, names the files likely to be asked for (those that
    mention the API being converted): they are read in the background from
    the start, while the conversion runs, and only files it missed are read
    again, together, when histories() wants them.
    """

    def __init__(self, repo, rev, likely=None):
        self.repo, self.rev = repo, rev
        self.known = {}
        self.early = None
        if likely:
            pool = concurrent.futures.ThreadPoolExecutor(1)
            self.early = pool.submit(lambda: read_history(repo, rev, likely()))
            pool.shutdown(wait=False)

    def histories(self, files):
        """{path: FileHistory} of files."""
        if self.early:
            early, self.early = self.early, None
            self.known.update(early.result())
        missing = sorted({f for f in files if f not in self.known})
        if missing:
            self.known.update(read_history(self.repo, self.rev, missing))
        return {path: self.known[path] for path in files}

    def scores(self, files):
        """{path: {prefix: weight}} of files."""
        return {path: h.scores for path, h in self.histories(files).items()}


def history(repo, rev, files):
    """{path: {prefix: weight}} of files."""
    return History(repo, rev).scores(files)


def from_history(repo, rev, files, known=None):
    """The best prefix common to every file's history, or None.

    known ({path: {prefix: weight}}) saves asking git again for its files.
    """
    return _common(_scores(repo, rev, files, known))


def _scores(repo, rev, files, known):
    known = dict(known or {})
    known.update(history(repo, rev, [f for f in files if f not in known]))
    return [known[f] for f in files]


def _common(per_file):
    if not per_file or not all(per_file):
        return None
    common = set(per_file[0])
    for scores in per_file[1:]:
        common &= set(scores)
    if not common:
        return None
    return max(sorted(common), key=lambda p: sum(s[p] for s in per_file))


def why_not_history(histories):
    """Why the files' history gives no prefix, in the words of the report."""
    imported = [h.imported for h in histories.values() if h.imported and not h.subjects]
    if imported and len(imported) == len(histories):
        return str(imported[0])
    bound = " among the last %d read" % (RECENT * DEEPER)
    if not all(h.subjects for h in histories.values()):
        cut = any(h.cut and not h.subjects for h in histories.values())
        return "history: %s no commit%s" % (
            "a file has" if len(histories) > 1 else "the file has",
            bound if cut else " of its own")
    unscored = [h for h in histories.values() if not h.scores]
    if unscored:
        return "history: no subject with a prefix%s" % (
            bound if any(h.cut for h in unscored) else "")
    return "history: no prefix common to its %d files" % len(histories)


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


# Kernel style, for a group its history gives no prefix: the forms the
# subsystems write their subjects in (facts of git log of their files), from
# the path less drivers/ and arch/. A subsystem whose prefix is
# "subsystem/component" is in SLASH, the others write "subsystem:
# component"; the component is the driver's directory, or a lone file's name.
SUBSYSTEMS = (      # (directory, the subsystem's own name, the wider one it is part of)
    ("drivers/gpu/drm/", "drm", None),
    ("drivers/video/fbdev/", "fbdev", None),
    ("drivers/infiniband/core/", "RDMA", None),
    ("drivers/infiniband/", "IB", "RDMA"),
)
# Top-level directories whose first component below is the subsystem itself
# (fs/ext4, kernel/futex.c, lib/iov_iter.c): "ext4:", "futex:". Some
# subsystems write another name than their directory's.
NAMED_BELOW = {"fs", "kernel", "lib", "block", "crypto", "security", "sound", "ipc", "init"}
NAMES = {"net/xdp": "xsk", "net/ceph": "libceph", "kernel/events": "perf"}
KVM = {"x86": "x86", "powerpc": "PPC", "s390": "s390", "arm": "arm", "arm64": "arm64",
       "mips": "MIPS"}
SLASH = {"drm", "IB", "RDMA", "mm", "net", "xen", "vfio", "rapidio", "iommu", "platform", "sched",
         "x86", "powerpc", "s390", "arm", "arm64", "mips", "sparc", "riscv", "ia64", "parisc",
         "alpha", "m68k", "sh", "xtensa", "um", "nds32", "nios2", "openrisc", "microblaze",
         "hexagon", "csky", "arc", "unicore32", "c6x", "h8300"}
# Below a subsystem, directories that hold drivers rather than name one.
CONTAINERS = {"hw", "sw", "ulp", "devices", "host", "interface"}
# Below arch/<arch>/, directories that hold parts rather than name one: their
# subjects name the part (x86/sgx for kernel/cpu/sgx/, arm64/mte for kernel/mte.c);
# cpu/ names one itself when nothing deeper does (x86/cpu for kernel/cpu/common.c).
ARCH_CONTAINERS = {"kernel", "cpu"}


def kernel_forms(path):
    """The prefixes path's subsystem would write, narrowest first.

    drivers/scsi/st.c gives "scsi: st", "scsi"; drivers/gpu/drm/via/x.c
    "drm/via", "drm"; arch/x86/kvm/mmu.c "KVM: x86", "KVM"; kernel/futex.c
    "futex"; mm/gup.c "mm/gup", "mm".
    """
    parts = path.split("/")
    stem = os.path.splitext(parts[-1])[0]
    wider = None
    if parts[0] == "arch" and len(parts) > 3 and parts[2] == "kvm":
        return ["KVM: %s" % KVM.get(parts[1], parts[1]), "KVM"]
    if parts[:2] == ["virt", "kvm"]:
        return ["KVM"]
    if "/".join(parts[:2]) in NAMES:
        return [NAMES["/".join(parts[:2])]]
    for directory, name, wider in SUBSYSTEMS:
        if path.startswith(directory):
            below = path[len(directory):].split("/")
            break
    else:
        wider = None
        if parts[0] in NAMED_BELOW and len(parts) > 1:
            return [os.path.splitext(parts[1])[0]]
        if parts[0] in ("drivers", "arch") and len(parts) > 2:
            name, below = parts[1], parts[2:]
        elif parts[0] in ("drivers", "arch") or len(parts) == 1:
            return [stem]
        else:
            name, below = parts[0], parts[1:]
    dirs = [d for d in below[:-1] if d not in CONTAINERS]
    if parts[0] == "arch":
        dirs = [d for n, d in enumerate(dirs) if d not in ARCH_CONTAINERS
                or (d != "kernel" and n == len(dirs) - 1)]
    component = dirs[0] if dirs else os.path.splitext(below[-1])[0]
    if component.startswith(name + "_"):
        component = component[len(name) + 1:]
    joined = "%s/%s" if name in SLASH else "%s: %s"
    forms = [name] if component == name else [joined % (name, component), name]
    return forms + ([wider] if wider else [])


def from_kernel_style(files):
    """The narrowest kernel-style prefix every file's subsystem writes, or the path's."""
    per_file = [kernel_forms(f) for f in files]
    for form in per_file[0]:
        if all(form in forms for forms in per_file):
            return form
    return split.subject_prefix(files)


def _guess(section, files):
    """(prefix, source) when history gives none: KVM's own form first, then a
    MAINTAINERS short name the files bear out, then the kernel style of the path."""
    if all(kernel_forms(f)[-1] == "KVM" for f in files):
        return from_kernel_style(files), "kernel style"
    found = from_maintainers(section, files)
    if found:
        return found, "MAINTAINERS"
    return from_kernel_style(files), "kernel style"


def source_of(repo, rev, prefix, files, section, overrides=None, known=None):
    """(source, why) of prefix for these files (a branch made earlier has its subjects).

    known ({path: FileHistory}) saves reading the files' history again.
    """
    overrides = overrides or {}
    path = split.subject_prefix(files)
    if overrides.get(path.lower()) == prefix or \
            (section and overrides.get(section.name.lower()) == prefix):
        return "override", None
    histories = known if known is not None else History(repo, rev).histories(files)
    histories = {f: histories[f] for f in files}
    found = _common([h.scores for h in histories.values()])
    if found:
        return ("history" if found == prefix else "as on the branch"), None
    guessed, source = _guess(section, files)
    return (source if guessed == prefix else "as on the branch"), why_not_history(histories)


def assign(repo, rev, groups, overrides=None, asked_before=None):
    """Give each group its prefix, its source and, for a guess, why history gave none;
    an override naming no group is an error.

    asked_before is a History of repo at rev that may already hold some files.
    """
    overrides = dict(overrides or {})
    asked = [g for g in groups if not {g.name.lower(), g.path_prefix.lower()} & set(overrides)]
    files = sorted({f for g in asked for f in g.files})
    known = (asked_before or History(repo, rev)).histories(files)
    for group in groups:
        keys = {group.name.lower(), group.path_prefix.lower()}
        chosen = [overrides.pop(k) for k in sorted(keys) if k in overrides]
        if chosen:
            group.learned = (chosen[0], "override")
            continue
        histories = {f: known[f] for f in group.files}
        found = _common([h.scores for h in histories.values()])
        if found:
            group.learned = (found, "history")
        else:
            group.learned = _guess(group.section, group.files)
            group.prefix_why = why_not_history(histories)
    if overrides:
        die("--prefix names no group: %s (the groups: %s)" % (
            ", ".join(repr(k) for k in sorted(overrides)), "; ".join(g.name for g in groups)))


def _fix_lines(rows):
    """The guesses as a --prefix-file: a '#' line naming where a run of them came
    from (and why history gave none), then a GROUP=PREFIX line each."""
    lines, said = [], None
    for group, prefix, source, why in sorted(rows, key=lambda r: (r[2], r[3] or "")):
        if (source, why) != said:
            lines.append("# %s%s" % (source, "; " + why if why else ""))
            said = (source, why)
        lines.append("%s=%s" % (group, prefix))
    return lines


_warned = set()


def warn_guesses(rows):
    """One loud warning naming each guessed prefix, with the --prefix-file line that
    fixes it. rows: (group, prefix, source, why); a series run that converts
    first names each only once."""
    rows = [r for r in rows if r[2] in GUESSES and r[:2] not in _warned]
    if not rows:
        return
    _warned.update(r[:2] for r in rows)
    warn("\n".join(["%d subject prefix%s guessed, not taken from the files' history: "
                    "check %s with the subsystem (git log of its files, its list); these "
                    "lines, as a --prefix-file, set %s:" % (
                        len(rows), "es" if len(rows) > 1 else "",
                        "each" if len(rows) > 1 else "it", "them" if len(rows) > 1 else "it")]
                    + ["  " + line for line in _fix_lines(rows)]))


def report_section(rows):
    """The report's Markdown lines on the guessed prefixes; rows as for warn_guesses()."""
    rows = [r for r in rows if r[2] in GUESSES]
    if not rows:
        return []
    return ["", "## Subject prefixes guessed (%d): check these" % len(rows), "",
            "No history of the files gives these; as a --prefix-file, after a check "
            "and a fix, these lines set them:", "", "```"] + _fix_lines(rows) + ["```"]
