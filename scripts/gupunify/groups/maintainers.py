"""Who owns a file and who gets a patch: the tree's MAINTAINERS and get_maintainer.pl.

The ownership rules are get_maintainer.pl's own: an F: or X: pattern
ending in '/' (or naming a directory) covers everything below it, any other
pattern only files at its own depth; '*' and '?' are globs; N: is a regex
on the path. A section's depth is the number of path components its
matching pattern names, and the deepest section owns the file.
"""
import os
import re

import shutil

from ..common.progress import progress
from ..common.util import git, run

GET_MAINTAINER = "scripts/get_maintainer.pl"
# b4's choice (docs/series.md, Groups and recipients): To is everyone responsible, Cc the lists.
GET_MAINTAINER_FLAGS = ["--nogit", "--nogit-fallback", "--nogit-chief-penguins",
                        "--norolestats"]
# get_maintainer.pl orders equally deep sections by Perl's hash order, which
# is random per process: a fixed seed makes a second run write the same To.
STABLE_PERL = {"PERL_HASH_SEED": "0", "PERL_PERTURB_KEYS": "0"}
# What --nogit-chief-penguins leaves out: THE REST's maintainer.
CHIEF_PENGUINS = ("torvalds@linux-foundation.org",)
# What get_maintainer.pl wants to see before it calls a directory a kernel tree.
TOP_LEVEL_FILES = ("COPYING", "CREDITS", "Kbuild", "MAINTAINERS", "Makefile", "README")
TOP_LEVEL_DIRS = ("Documentation", "arch", "include", "drivers", "fs", "init", "ipc",
                  "kernel", "lib", "scripts")


class Section:
    """One MAINTAINERS entry."""

    def __init__(self, name, index):
        self.name = name
        self.index = index
        self.entries = []       # (type letter, value) in file order

    def values(self, kind):
        return [v for k, v in self.entries if k == kind]

    @property
    def catch_all(self):
        """THE REST: its F: * and */ match everything, so it owns nothing."""
        return any(v in ("*", "*/") for v in self.values("F"))

    def __repr__(self):
        return "Section(%r)" % self.name


def parse(text):
    """The sections of a MAINTAINERS file, in file order."""
    sections = []
    name = None
    current = None
    for line in text.splitlines():
        m = re.match(r"^([A-Z]):\s*(.*?)\s*$", line)
        if m and name is not None:
            if current is None:
                current = Section(name, len(sections))
                sections.append(current)
            current.entries.append((m.group(1), m.group(2)))
        elif line.strip():
            name, current = line.strip(), None
        else:
            name, current = None, None
    return sections


def _glob_regex(pattern):
    return pattern.replace(".", r"\.").replace("*", ".*").replace("?", ".")


def pattern_depth(pattern):
    return pattern.count("/") + (0 if pattern.endswith("/") else 1)


# A pattern holding one of these is a regex beyond a glob: no literal prefix.
_REGEX_CHARS = set("|+{()\\^$")
_warned = set()


def _warn(section, kind, pattern, error):
    """Say once per run that a pattern is skipped: get_maintainer.pl would die on it."""
    if (section, kind, pattern) not in _warned:
        _warned.add((section, kind, pattern))
        progress("MAINTAINERS: %s: skipping %s: %s (%s)" % (section, kind, pattern, error))


class _Pattern:
    """get_maintainer.pl's file_match_pattern() for one normalised F: or X: pattern."""

    def __init__(self, section, kind, pattern):
        self.section = section
        self.kind = kind
        self.pattern = pattern
        self.directory = pattern.endswith("/")
        self.slashes = pattern.count("/")
        self.depth = pattern_depth(pattern)
        if _REGEX_CHARS & set(pattern):
            self.prefix = ""
        else:
            self.prefix = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
        # Compiled on first use: the prefix rules most patterns out before.
        self._regex = None

    def matches(self, path):
        if not self.directory and path.count("/") != self.slashes:
            return False
        if not path.startswith(self.prefix):
            return False
        if self._regex is None:
            try:
                self._regex = re.compile(_glob_regex(self.pattern))
            except re.error as e:
                _warn(self.section, self.kind, self.pattern, e)
                self._regex = False
        return bool(self._regex and self._regex.match(path))


def _first_component(prefix):
    """The leading directory a pattern is bound to, or None when it is not bound."""
    return prefix.split("/", 1)[0] if "/" in prefix else None


class Maintainers:
    """A tree's MAINTAINERS, answering who owns a path.

    Each pattern is compiled once, and only F: patterns whose leading
    directory is the path's are tried: a real MAINTAINERS has thousands,
    and a run asks about the same few hundred files many times.
    """

    def __init__(self, text, directories=()):
        self.sections = parse(text)
        self._dirs = set(directories)
        self._files = {}        # section index -> [_Pattern] of its F:
        self._excludes = {}     # section index -> [_Pattern] of its X:
        self._regexes = {}      # section index -> [compiled N:]
        self._by_top = {}       # leading directory -> indices of sections with F: there
        self._anywhere = set()  # indices of sections with an unbound F:, or an N:
        for section in self.sections:
            i = section.index
            self._files[i] = [_Pattern(section.name, "F", self._normalise(v))
                              for v in section.values("F")]
            self._excludes[i] = [_Pattern(section.name, "X", self._normalise(v))
                                 for v in section.values("X")]
            self._regexes[i] = []
            for value in section.values("N"):
                try:
                    self._regexes[i].append(re.compile(value, re.X))
                except re.error as e:
                    _warn(section.name, "N", value, e)
            for pattern in self._files[i]:
                top = _first_component(pattern.prefix)
                if top is None:
                    self._anywhere.add(i)
                else:
                    self._by_top.setdefault(top, set()).add(i)
            if self._regexes[i]:
                self._anywhere.add(i)
        self._matches = {}

    def _normalise(self, pattern):
        if not pattern.endswith("/") and pattern in self._dirs:
            return pattern + "/"
        return pattern

    def matches(self, path):
        """[(depth, section)] of every section covering path, deepest first."""
        if path not in self._matches:
            self._matches[path] = self._match(path)
        return list(self._matches[path])

    def _match(self, path):
        found = []
        candidates = self._anywhere | self._by_top.get(path.split("/", 1)[0], set())
        for i in sorted(candidates):
            if any(x.matches(path) for x in self._excludes[i]):
                continue
            depth = None
            for pattern in self._files[i]:
                if pattern.matches(path):
                    depth = max(depth or 0, pattern.depth)
            for regex in self._regexes[i]:
                if regex.search(path):
                    depth = max(depth or 0, 0)
            if depth is not None:
                found.append((depth, self.sections[i]))
        found.sort(key=lambda ds: (-ds[0], ds[1].index))
        return found

    def owners(self, path):
        """The sections that can own path, most specific first (THE REST never does)."""
        return [s for _, s in self.matches(path) if not s.catch_all]

    def depth(self, path, section):
        for d, s in self.matches(path):
            if s is section:
                return d
        return None

    def recipients(self, paths):
        """(to, cc) for a patch touching paths, the way get_maintainer.pl would answer.

        The fallback when perl or scripts/get_maintainer.pl is missing: M: and
        R: go to To, R: and L: to Cc; K: content keywords are not looked at.
        """
        ordered = []
        for path in paths:
            for depth, section in self.matches(path):
                ordered.append((depth, path, section))
        ordered.sort(key=lambda t: -t[0])
        to, cc = [], []
        for _, _, section in ordered:
            for kind, value in section.entries:
                if kind in "MR" and _address(value) not in CHIEF_PENGUINS:
                    _add(to, value)
                if kind in "RL":
                    _add(cc, _strip_list_note(value) if kind == "L" else value)
        to = [_format(p) for p in to]
        return to, [c for c in map(_format, cc) if c not in to]


def _address(value):
    m = re.search(r"<([^>]+)>", value)
    return (m.group(1) if m else value).strip().lower()


def _name(value):
    return value.split("<")[0].strip().strip('"').lower() if "<" in value else ""


def _format(value):
    """Quote a name the way get_maintainer.pl does: anything beyond words, spaces and -."""
    if "<" not in value:
        return value
    name, rest = value.split("<", 1)
    name = name.strip()
    if re.search(r"[^A-Za-z0-9_ \-]", name) and not name.startswith('"'):
        name = '"%s"' % name
    return "%s <%s" % (name, rest)


def _strip_list_note(value):
    """'linux-mm@kvack.org (moderated for non-subscribers)' -> the address."""
    return value.split()[0] if value else value


def _add(people, value):
    """Add value unless its address or its name is there already, as get_maintainer.pl does."""
    for other in people:
        if _address(other) == _address(value) or (_name(value) and _name(other) == _name(value)):
            return
    people.append(value)


def named_directories(text, directories):
    """The directories among directories that the MAINTAINERS text names as a word
    (an F: or X: value, "F:\tdrivers/x" or "F:drivers/x")."""
    words = set(text.split())
    words |= {w[2:] for w in words if re.match(r"[A-Z]:", w)}
    return {d for d in directories if d in words}


class Recipients:
    """To and Cc for patches against one commit of a repository.

    The tree's own get_maintainer.pl answers when the commit has it and perl
    runs; it works in a directory of its own (MAINTAINERS, .mailmap, the
    script, the tree's directories and the top-level names it looks for) so
    no worktree ever holds stub files.
    Otherwise the MAINTAINERS parser above answers, and says so.
    """

    def __init__(self, repo, commit, workdir):
        text = git(repo, "show", "%s:MAINTAINERS" % commit, check=False)
        directories = [d for d in git(repo, "ls-tree", "-z", "-r", "-d", "--name-only",
                                      commit).split("\0") if d]
        self.maintainers = Maintainers(text, directories)
        # Why a patch may get no recipients at all, for the warning that says so.
        self.problem = None
        if not git(repo, "ls-tree", "--name-only", commit, "MAINTAINERS", check=False).strip():
            self.problem = "the tree has no MAINTAINERS file"
        elif not self.maintainers.sections:
            self.problem = "its MAINTAINERS has no entries"
        script = git(repo, "show", "%s:%s" % (commit, GET_MAINTAINER), check=False)
        self.root = None
        if script and shutil.which("perl"):
            self.root = os.path.join(workdir, "get_maintainer")
            # An F: pattern without a trailing slash is a directory pattern
            # only if get_maintainer.pl sees that directory: give it those that
            # MAINTAINERS names, not the thousands of a kernel tree (made, then
            # removed, they took seconds of a series run).
            for name in set(TOP_LEVEL_DIRS) | named_directories(text, directories):
                os.makedirs(os.path.join(self.root, name), exist_ok=True)
            for name in TOP_LEVEL_FILES:
                open(os.path.join(self.root, name), "w").close()
            with open(os.path.join(self.root, "MAINTAINERS"), "w") as f:
                f.write(text)
            with open(os.path.join(self.root, GET_MAINTAINER), "w") as f:
                f.write(script)
            # get_maintainer.pl maps addresses through the tree's .mailmap.
            mailmap = git(repo, "show", "%s:.mailmap" % commit, check=False)
            with open(os.path.join(self.root, ".mailmap"), "w") as f:
                f.write(mailmap)

    @property
    def source(self):
        return GET_MAINTAINER if self.root else "the MAINTAINERS parser (no %s)" % GET_MAINTAINER

    def for_patch(self, patch_file, paths):
        """(to, cc) for the patch in patch_file, which touches paths."""
        if not self.root:
            return self.maintainers.recipients(paths)

        def ask(extra):
            _, out, _ = run(["perl", GET_MAINTAINER] + GET_MAINTAINER_FLAGS + extra +
                            [os.path.abspath(patch_file)], cwd=self.root, env=STABLE_PERL)
            return [line.strip() for line in out.splitlines() if line.strip()]
        to = ask(["--nol"])
        return to, [a for a in ask(["--nom"]) if a not in to]
