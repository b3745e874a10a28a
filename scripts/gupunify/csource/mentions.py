"""Where the old API is mentioned: one git grep -F of the tree, the files that cannot be
converted with why, and the untracked files."""
import collections
import concurrent.futures
import fnmatch
import functools
import os

from ..common import migration, spatch
from ..common.repository import is_import, zpaths
from ..common.progress import progress
from ..common.util import git, run
from . import sites, source

SCAN_FILES = ["*.c", "*.h"]
SCAN_EXCLUDES = [":!tools", ":!Documentation", ":!scripts"]
EXCLUDED = ("tools/", "Documentation/", "scripts/")
# The file modes of a source file (a symbolic link's blob is its target's name).
REGULAR = (b"100644", b"100755")

# Why a file that mentions the API is listed, not converted.
BINARY_ATTRIBUTE = ("marked binary in .gitattributes (-diff): a patch would not show it, "
                    "convert it by hand")
NUL_BYTES = "holds NUL bytes: git takes it as binary, a patch would not show it; " \
    "convert it by hand"
TOO_LARGE = ("%d bytes, over the %d-byte budget per file (GUP_UNIFY_MAX_FILE_BYTES): "
             "not read by spatch or the inventory, convert it by hand")
IN_SUBMODULE = "inside submodule %s: convert it in that repository"
SUBMODULE_NOT_READ = "submodule not checked out: not searched for callers"


def olds():
    """The old names of every rule of the migration: what the search looks for."""
    return tuple(rule.old for rule in migration.current().rules)


_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def files_mentioning(wt, name):
    """Source files of the worktree's tree that mention name, checked out for use.

    Those of both APIs are checked out at once: one read-tree, not two.
    """
    mentions = _mentions(wt)
    wt.materialize([f for files in mentions.values() for f in files])
    return mentions.get(name, [])


def files_left(wt, name):
    """[{file, reason}]: the files mentioning name that the conversion cannot take.

    Binary ones (.gitattributes or NUL bytes), those over the size budget,
    and those inside a submodule (or the submodules it could not look into).
    """
    _mentions(wt)
    return list(wt.mentions.left.get(name, []))


def start_search(repo, rev, checkout=None, status=None):
    """Start the one git grep of the tree for both APIs, at the commit rev of repo; return
    its future (the worktree's search).

    git grep reads every blob of the tree, the slow part: it runs in the
    repository, so it can start before the worktree is set up, and goes on
    while the first core patches go in, which need none of it; _mentions()
    then asks the index again for the files those changed.
    checkout is the user's checkout, status a future of its git status
    (empty when clean): git grep reads the checkout's files from disk, a
    third of the CPU of inflating every blob, and starts beside git status,
    not after it. What it found stands if the status is clean and the
    checkout holds the commit's files as they are (same_as_commit());
    otherwise git grep runs again, on the commit's blobs.
    """
    pool = concurrent.futures.ThreadPoolExecutor(1)
    search = pool.submit(_search, repo, rev, SCAN_FILES, checkout, status)
    pool.shutdown(wait=False)
    return search


# What makes a checkout's bytes differ from the commit's in a way that can
# hide a name from git grep: a clean/smudge filter, a file kept in another
# encoding, files not on disk (a sparse checkout).
REWRITING_CONFIG = r"^(filter\..*|core\.sparsecheckout)$"
REWRITING_ATTRIBUTE = b"working-tree-encoding"


def same_as_commit(checkout, rev):
    """Does checkout (whose status is clean) hold the files of rev byte for byte, but
    for line ends? Then searching its files finds what searching rev's blobs does."""
    if git(checkout, "rev-parse", "--verify", "-q", "HEAD", check=False).strip() != rev:
        return False
    if git(checkout, "config", "--get-regexp", REWRITING_CONFIG, check=False).strip():
        return False
    attributes = zpaths(git(checkout, "ls-files", "-z", "--", ".gitattributes",
                            "*/.gitattributes"))
    attributes = [os.path.join(checkout, p) for p in attributes] + [
        git(checkout, "rev-parse", "--path-format=absolute", "--git-path",
            "info/attributes").strip(),
        os.path.expanduser(git(checkout, "config", "--path", "core.attributesFile",
                               check=False).strip() or os.path.join(
            os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"),
            "git", "attributes"))]
    for path in attributes:
        try:
            with open(path, "rb") as f:
                if REWRITING_ATTRIBUTE in f.read():
                    return False
        except OSError:
            continue            # none there
    return True


class Found:
    """What a search found: {path: names it mentions} and {path: (names, why it is left)}."""

    def __init__(self):
        self.files = {}
        self.left = {}

    def update(self, other):
        self.files.update(other.files)
        self.left.update(other.left)

    def drop(self, path):
        self.files.pop(path, None)
        self.left.pop(path, None)


def _search(repo, rev, pathspecs, checkout=None, status=None):
    """Found in the commit rev of repo, submodules included; its files listed from
    checkout when that is clean (status) and holds them as rev does."""
    where = functools.partial(git, repo)
    # The listing of the tree (and its reading here) and the checks of the
    # checkout go on beside git grep.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        tree = pool.submit(_tree, where, rev)
        same = pool.submit(same_as_commit, checkout, rev) if checkout else None
        found = _grep(where, rev, pathspecs, tree, checkout)
        if checkout and (status.result() or not same.result()):
            found = _grep(where, rev, pathspecs, tree)
        tree = tree.result()
    for path, (mode, commit) in sorted(tree.items()):
        if mode == b"160000" and not path.startswith(EXCLUDED):
            found.left.update(_in_submodule(repo, path, commit))
    return found


def _grep(where, rev, pathspecs, tree=None, checkout=None):
    """Found in the commit rev (None: the index) for pathspecs; where runs git in the
    repository (or, for the index, the worktree).

    git grep -F lists the files (-l -z: one NUL-ended name each, whatever the
    name holds); which names each mentions as a word is checked here on its
    bytes, so that one huge or binary file costs a read, never a minute of
    -o -w matching, and is listed rather than lost. tree is rev's listing
    (or a future of it); checkout, when given, holds rev's files and is
    searched in their place; their blobs are read all the same.
    """
    search = functools.partial(git, checkout) if checkout else where
    out = search("grep", "-l", "-z", "-F", *fixed_strings(olds()),
                 *(["--cached"] if rev is None else [] if checkout else [rev]), "--",
                 *pathspecs, *SCAN_EXCLUDES, check=False, binary=True)
    # "[rev:]path\0" per file.
    skip = len(rev) + 1 if rev and not checkout else 0
    paths = [_name(p)[skip:] for p in out.split(b"\0") if p]
    found = Found()
    if not paths:
        return found
    if isinstance(tree, concurrent.futures.Future):
        tree = tree.result()
    objects = _objects(where, tree if rev else _index(where, paths), paths)
    budget = spatch.max_bytes()
    small = [objects[p][0] for p in paths if p in objects and objects[p][1] <= budget]
    blobs = dict(zip(small, _blobs(where, small)))
    for path in paths:
        if path not in objects:
            continue            # not a blob (a symbolic link's target is not source)
        blob, size = objects[path]
        data = blobs.get(blob)
        if data is None:
            data = where("cat-file", "blob", blob, binary=True)
            found.left[path] = (words(data, olds()), TOO_LARGE % (size, budget))
        elif b"\0" in data:
            found.left[path] = (words(data, olds()), NUL_BYTES)
        else:
            names = words(data, olds())
            if names:
                found.files[path] = names
    return found


def fixed_strings(names):
    """-e arguments finding every file that mentions one of names (a superset:
    a name may be part of another, and may be there not only as a word)."""
    kept = [n for n in names if not any(o != n and o in n for o in names)]
    return [arg for n in kept for arg in ("-e", n)]


def words(data, names):
    """The names data mentions as words (as git grep -w: no letter, digit or _ either side)."""
    found = set()
    for name in names:
        word = name.encode()
        at = data.find(word)
        while at >= 0:
            end = at + len(word)
            if (at == 0 or data[at - 1] not in _WORD) and \
                    (end == len(data) or data[end] not in _WORD):
                found.add(name)
                break
            at = data.find(word, at + 1)
    return found


def _name(raw):
    """A path git printed as bytes; one that is not UTF-8 keeps U+FFFD in place of its
    odd bytes, which callers.py lists as a name it cannot open."""
    return raw.decode("utf-8", "replace")


def _tree(where, rev):
    """{path: (mode, object)} of every entry of the commit rev (one ls-tree: it
    takes no pathspec magic, and a kernel tree lists in a fraction of a second)."""
    return _entries(where("ls-tree", "-r", "-z", rev, binary=True), 2)


def _index(where, paths):
    """{path: (mode, blob)} of paths in the index."""
    return _entries(where("ls-files", "-s", "-z", "--", *[":(literal)" + p for p in paths],
                          binary=True), 1)


def _entries(out, field):
    """git's -z listing as {path: (mode, object)}; field is the object's place in the meta."""
    entries = {}
    for item in out.split(b"\0"):
        if item:
            meta, path = item.split(b"\t", 1)
            meta = meta.split()
            entries[_name(path)] = (meta[0], meta[field].decode())
    return entries


def _objects(where, entries, paths):
    """{path: (blob, size)} of the regular files among paths."""
    wanted = {p: entries[p][1] for p in paths if p in entries and entries[p][0] in REGULAR}
    sizes = where("cat-file", "--batch-check=%(objectsize)",
                  input="".join(b + "\n" for b in wanted.values())).split() if wanted else []
    return {p: (blob, int(size)) for (p, blob), size in zip(wanted.items(), sizes)}


def _blobs(where, blobs):
    """The contents of blobs, in order: one git cat-file for them all."""
    if not blobs:
        return []
    out = where("cat-file", "--batch", input="".join(b + "\n" for b in blobs).encode(),
                binary=True)
    contents, at = [], 0
    for _ in blobs:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        contents.append(out[header_end + 1:header_end + 1 + size])
        at = header_end + 1 + size + 1
    return contents


def _binary_by_attribute(where, paths):
    """The paths .gitattributes marks binary (diff unset: -diff or binary), from the index."""
    if not paths:
        return []
    out = where("check-attr", "--cached", "-z", "--stdin", "diff",
                input="".join(p + "\0" for p in paths).encode(
                    "utf-8", "surrogateescape"), binary=True)
    fields = out.split(b"\0")
    return [_name(fields[i]) for i in range(0, len(fields) - 2, 3)
            if fields[i + 2] == b"unset"]


def _in_submodule(repo, path, commit):
    """{path: (names, reason)} of the files in one submodule that mention the API."""
    checkout = os.path.join(repo, path)
    if is_import(repo) or not os.path.exists(os.path.join(checkout, ".git")):
        return {path: (set(olds()), SUBMODULE_NOT_READ)}
    left = {}
    for name in olds():
        rc, out, _ = run(["git", "-C", checkout, "grep", "-l", "-z", "-F", "-w", "-e", name,
                          commit, "--", *SCAN_FILES], check=False, binary=True)
        if rc not in (0, 1):
            return {path: (set(olds()), SUBMODULE_NOT_READ)}
        for item in out.split(b"\0"):
            if item:
                inner = path + "/" + _name(item)[len(commit) + 1:]
                left.setdefault(inner, (set(), IN_SUBMODULE % path))[0].add(name)
    return left


def _mentions(wt):
    """{name: files} for the rules' old names, from start_search()'s git grep of the tree.

    It runs once: no rule's step adds or removes another rule's old name
    (gup-flags' longterm step writes no fast call), so what it found still
    holds when the next step comes.
    """
    if wt.mentions is None:
        found = wt.search.result()
        changed = [p for p in zpaths(wt.git("diff", "--name-only", "-z", "--no-renames",
                                        wt.start, "HEAD"))
                   if any(fnmatch.fnmatchcase(p, f) for f in SCAN_FILES)]
        if changed:
            for path in changed:
                found.drop(path)
            found.update(_grep(wt.git, None, [":(literal)" + p for p in changed]))
        # .gitattributes as the worktree's index has them (a scratch import has
        # no index of its own to ask).
        for path in _binary_by_attribute(wt.git, list(found.files)):
            found.left[path] = (found.files.pop(path), BINARY_ATTRIBUTE)
        wt.mentions = Mentions(found)
    return wt.mentions.files


class Mentions:
    """{name: [files]} to convert and {name: [{file, reason}]} to list, in path order."""

    def __init__(self, found):
        self.files = collections.defaultdict(list)
        self.left = collections.defaultdict(list)
        for path in sorted(found.files):
            for word in found.files[path]:
                self.files[word].append(path)
        for path in sorted(found.left):
            names, reason = found.left[path]
            for word in names:
                self.left[word].append({"file": path, "reason": reason})
        self.files, self.left = dict(self.files), dict(self.left)


UNTRACKED = "untracked, commit it first"


def untracked(repo, fast_only):
    """The API's sites in files git does not track, which the conversion (from HEAD) leaves:
    ([{file, reason}], [sites.Record])."""
    skipped, left = [], []
    if is_import(repo):
        return skipped, left
    out = git(repo, "ls-files", "-z", "--others", "--exclude-standard", "--", "*.c", "*.h",
              *SCAN_EXCLUDES)
    for relpath in zpaths(out):
        if "\ufffd" in relpath:
            found = []      # git's name did not decode: no path to read it by
        else:
            data = source.read_bytes(os.path.join(repo, relpath))
            mig = migration.current()
            names = tuple(rule.old for rule in mig.rules
                          if rule.phase == mig.phases[0] or fast_only)
            if not words(data, names):
                continue        # most untracked files (generated ones) name none
            if len(data) > spatch.max_bytes():
                found = []      # over the budget: listed, not tokenized
            else:
                found = [s for s in sites.scan(relpath, source.text_of(data), names)
                         if s.kind != "member"]
                if not found:
                    continue
        progress("not converted: %s: %s" % (relpath, UNTRACKED))
        skipped.append({"file": relpath, "reason": UNTRACKED})
        left.extend(sites.Record.of(s, "manual", UNTRACKED) for s in found)
    return skipped, left
