"""Where the old API is mentioned: one git grep of the tree, and the untracked files."""
import collections
import concurrent.futures
import fnmatch
import functools
import os

from . import sites, source
from .util import git, progress
from .workspace import is_import, zpaths

SCAN_FILES = ["*.c", "*.h"]
SCAN_EXCLUDES = [":!tools", ":!Documentation", ":!scripts"]


def files_mentioning(wt, name):
    """Source files of the worktree's tree that mention name, checked out for use.

    Those of both APIs are checked out at once: one read-tree, not two.
    """
    mentions = _mentions(wt)
    wt.materialize([f for files in mentions.values() for f in files])
    return mentions.get(name, [])


def start_search(wt):
    """Start the one git grep of the tree for both APIs, at the worktree's start.

    git grep reads every blob of the tree, the slow part: it runs in the
    repository, so it can start before the worktree is set up, and goes on
    while the first core patches go in, which need none of it; _mentions()
    then asks the index again for the files those changed.
    """
    pool = concurrent.futures.ThreadPoolExecutor(1)
    wt.search = pool.submit(_grep, wt, wt.start, SCAN_FILES)
    pool.shutdown(wait=False)


def _grep(wt, rev, pathspecs):
    """{path: {API names it mentions}} in the commit rev (None: the index)."""
    # A commit is read from the repository, the index from the worktree's.
    where = wt.git if rev is None else functools.partial(git, wt.repo)
    out = where("grep", "-z", "-o", "-w", "-e", sites.LONGTERM, "-e", sites.FAST,
                "-e", sites.FAST_IRQ, *(["--cached"] if rev is None else [rev]), "--",
                *pathspecs, *SCAN_EXCLUDES, check=False)
    # "[rev:]path\0word\n" per match; a path may hold a newline, a word cannot.
    found = collections.defaultdict(set)
    parts = out.split("\0")
    path = parts[0]
    for part in parts[1:]:
        word, _, following = part.partition("\n")
        found[path[len(rev) + 1:] if rev else path].add(word)
        path = following
    return found


def _mentions(wt):
    """{name: files} for both APIs, from start_search()'s git grep of the tree.

    It runs once: the longterm step adds or removes no get_user_pages_fast,
    so what it found for that still holds when the fast step comes.
    """
    if wt.mentions is None:
        found = wt.search.result()
        changed = [p for p in zpaths(wt.git("diff", "--name-only", "-z", "--no-renames",
                                        wt.start, "HEAD"))
                   if any(fnmatch.fnmatchcase(p, f) for f in SCAN_FILES)]
        if changed:
            for path in changed:
                found.pop(path, None)
            found.update(_grep(wt, None, [":(literal)" + p for p in changed]))
        paths = collections.defaultdict(list)
        for path in sorted(found):
            for word in found[path]:
                paths[word].append(path)
        wt.mentions = dict(paths)
    return wt.mentions


UNTRACKED = "untracked, commit it first"


def untracked(repo, run):
    """List the API's sites in files git does not track: the conversion starts from HEAD."""
    if is_import(repo):
        return
    out = git(repo, "ls-files", "-z", "--others", "--exclude-standard", "--", "*.c", "*.h",
              *SCAN_EXCLUDES)
    for relpath in zpaths(out):
        if "\ufffd" in relpath:
            found = []      # git's name did not decode: no path to read it by
        else:
            text = source.text_of(source.read_bytes(os.path.join(repo, relpath)))
            names = (sites.LONGTERM, sites.FAST) + ((sites.FAST_IRQ,) if run["fast_only"]
                                                    else ())
            found = [s for s in sites.scan(relpath, text, names)
                     if s.kind != "member"]
            if not found:
                continue
        progress("not converted: %s: %s" % (relpath, UNTRACKED))
        run["skipped_files"].append({"file": relpath, "reason": UNTRACKED})
        run["sites"].extend(sites.Record.of(s, "manual", UNTRACKED) for s in found)
