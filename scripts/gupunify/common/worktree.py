"""Worktrees of the user's repository: the scratch, sparse one a conversion commits in,
so the user's checkout is never touched, and the full one builds check out."""
import os
import re
import shutil

from . import notes
from .repository import (BASE_LINE, MARKERS, OWN_GIT, branch_ref, identity_args,
    path_digest, scratch_dir)
from .progress import phase, progress
from .util import die, git, interrupts_held


def checkout(repo, path, commit):
    """A full worktree of repo at commit in path (returned), reused between runs.

    make check and make boottest build in it: kept, it keeps their out-of-tree
    builds warm. Its untracked files go; a folder in path that is not a
    worktree of repo is replaced.
    """
    listed = git(repo, "worktree", "list", "--porcelain")
    if os.path.isdir(path) and ("worktree %s\n" % os.path.realpath(path)) in listed + "\n":
        with phase("checking out %s" % commit[:12]):
            git(path, *OWN_GIT, "checkout", "-q", "--detach", "--force", commit)
            git(path, "clean", "-fdxq")
        return path
    shutil.rmtree(path, ignore_errors=True)
    git(repo, "worktree", "prune")
    progress("checking out %s in %s" % (commit[:12], path))
    with phase("checking out %s" % commit[:12]):
        git(repo, *OWN_GIT, "worktree", "add", "-q", "--detach", path, commit)
    return path


def _literal(path):
    """path as a sparse-checkout (gitignore) pattern that matches only itself."""
    path = re.sub(r"([\\*?\[ ])", r"\\\1", path)
    return path.replace("\n", "?").replace("\r", "?")


class Worktree:
    """A temporary, sparse worktree of repo at start, removed on exit.

    Only the files a step reads or changes are checked out (materialize()),
    which makes it seconds instead of a minute for a kernel tree; commits
    still carry the whole tree. The branch is created only by keep(), so an
    interrupted run leaves neither branch nor worktree behind.

    The sparse patterns go straight into the worktree's own
    info/sparse-checkout and every git command here gets
    core.sparseCheckout=true on its command line: git sparse-checkout would
    set extensions.worktreeConfig in the user's .git/config.

    Made only under repository()'s lock, so every other worktree of ours
    for repo belongs to a run that was killed: __enter__ removes them.
    paths (with include/linux/mm.h, which every run reads) are checked out
    as it is set up, with the same read-tree.
    """

    def __init__(self, repo, start, branch, identity, paths=()):
        self.repo = repo
        self.identity = identity
        self.branch = branch
        self.start = git(repo, "rev-parse", "--verify", start + "^{commit}").strip()
        self.family = os.path.join(os.path.realpath(scratch_dir()), "worktrees", "%s-%s-" % (
            os.path.basename(repo.rstrip("/")).removesuffix(".git"), path_digest(repo)))
        self.path = self.family + str(os.getpid())
        self.kept = False
        self.search = None      # the conversion's one git grep, under way
        self.mentions = None    # what it found
        self.present = set()    # the paths checked out
        self.first = sorted({"include/linux/mm.h", *paths})
        self.notes = []         # [(commit, note)] for keep() to write
        self.committer = None

    def __enter__(self):
        self._remove_stale()
        try:
            git(self.repo, "worktree", "add", "-q", "--detach", "--no-checkout",
                self.path, self.start)
            info = os.path.join(self.git("rev-parse", "--absolute-git-dir").strip(), "info")
            os.makedirs(info, exist_ok=True)
            self.sparse = os.path.join(info, "sparse-checkout")
            with open(self.sparse, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.writelines("/%s\n" % _literal(p) for p in self.first)
            self.git("read-tree", "-mu", "HEAD")
            self.present.update(self.first)
        except BaseException:
            # Interrupted half way (Ctrl-C): __exit__ will not run, so clean up here.
            self.__exit__()
            raise
        return self

    def _remove_stale(self):
        """Remove the worktrees (registered or only on disk) of killed runs on repo."""
        stale = set()
        for line in git(self.repo, "worktree", "list", "--porcelain").splitlines():
            if line.startswith("worktree ") and line[9:].startswith(self.family):
                stale.add(line[9:])
        parent = os.path.dirname(self.family)
        if os.path.isdir(parent):
            stale.update(os.path.join(parent, name) for name in os.listdir(parent)
                         if os.path.join(parent, name).startswith(self.family))
        for path in sorted(stale):
            if path != self.path:
                progress("removing %s, left by a run that was killed" % path)
            # A run killed inside git worktree add leaves it locked.
            git(self.repo, "worktree", "unlock", path, check=False)
            git(self.repo, "worktree", "remove", "--force", path, check=False)
            shutil.rmtree(path, ignore_errors=True)
        git(self.repo, "worktree", "prune")

    def materialize(self, paths):
        """Check out paths (relative to the tree) in the sparse worktree.

        Each read-tree goes through the whole index of the tree (tens of
        thousands of paths against every pattern): a path already out costs
        none.
        """
        paths = sorted(set(paths) - self.present)
        if paths:
            with open(self.sparse, "a", encoding="utf-8", errors="surrogateescape") as f:
                f.writelines("/%s\n" % _literal(p) for p in paths)
            self.git("read-tree", "-mu", "HEAD")
            self.present.update(paths)

    def __exit__(self, *exc):
        # A second Ctrl-C must not leave a half-removed worktree: this takes
        # milliseconds.
        with interrupts_held():
            git(self.repo, "worktree", "remove", "--force", self.path, check=False)
            shutil.rmtree(self.path, ignore_errors=True)
            git(self.repo, "worktree", "prune", check=False)

    def git(self, *args, **kw):
        # A split index: git am and read-tree then write the few entries they
        # change, not the whole index of a kernel tree (6 MB) each time; and
        # no automatic gc of the user's repository in the middle of a run.
        # Nothing but the checked-out paths is ever written here, so git need
        # not look on disk for the 63k others each time it reads the index.
        return git(self.path, "-c", "core.sparseCheckout=true", "-c", "core.splitIndex=true",
                   "-c", "maintenance.auto=false",
                   "-c", "sparse.expectFilesOutsideOfPatterns=true", *OWN_GIT, *args, **kw)

    def entries(self, paths):
        """{path: (mode, blob)} of the index entries of paths."""
        out = self.git("ls-files", "-s", "-z", "--", *[":(literal)" + p for p in paths]) \
            if paths else ""
        found = {}
        for item in out.split("\0"):
            if item:
                meta, path = item.split("\t", 1)
                mode, blob, _ = meta.split()
                found[path] = (mode, blob)
        return found

    def hash(self, paths):
        """The blobs of paths (relative to the tree) as they are on disk, now stored.

        One git hash-object for them all, through the filters git add uses;
        the index is not touched.
        """
        if not paths:
            return []
        return self.git("hash-object", "-w", "--stdin-paths",
                        input="".join(_quote(p) + "\n" for p in paths)).split()

    def commit_files(self, base, commits, paths):
        """Commit each (subject, body, {path: (mode, blob) or None to delete}, note) on
        base, signed off by the identity, and move HEAD to the last of them.

        The notes (commitformat) are written with the branch, by keep().

        One git fast-import makes them all: a git commit per commit reads and
        writes the whole index of a kernel tree several times. paths are
        the files changed on disk since base: the index takes them as they
        are, and the last commit must have the tree it then has.
        """
        ref = "refs/worktree/gup-unify-commits"
        ident = {}
        for who in ("AUTHOR", "COMMITTER"):
            ident[who] = self.git(*identity_args(self.identity), "var",
                                  "GIT_%s_IDENT" % who).strip()
        signoff = "Signed-off-by: %s" % ident["COMMITTER"].rsplit(" ", 2)[0]
        stream = []
        for n, (subject, body, files, _) in enumerate(commits):
            message = subject + "\n\n" + body.strip() + "\n\n" + signoff + "\n"
            stream += ["commit %s" % ref,
                       "author %s" % ident["AUTHOR"],
                       "committer %s" % ident["COMMITTER"],
                       "data %d" % len(message.encode()), message]
            if n == 0:
                stream.append("from %s" % base)
            for path, blob in sorted(files.items()):
                stream.append("D %s" % _quote(path) if blob is None
                              else "M %s %s %s" % (blob[0], blob[1], _quote(path)))
            stream.append("")
        self.git("fast-import", "--quiet", "--done", input="\n".join(stream) + "done\n")
        tip = self.git("rev-parse", ref).strip()
        self.git("update-ref", "-d", ref)
        self.git("update-index", "-z", "--add", "--remove", "--stdin",
                 input="".join(p + "\0" for p in paths))
        if self.git("rev-parse", tip + "^{tree}") != self.git("write-tree"):
            die("internal error: the commits do not add up to the converted tree")
        self.git("reset", "-q", "--soft", tip)
        made = self.git("rev-list", "--reverse", "%s..%s" % (base, tip)).split()
        self.notes += [(sha, note) for sha, (_, _, _, note) in zip(made, commits) if note]
        self.committer = ident["COMMITTER"]

    def head(self):
        return self.git("rev-parse", "HEAD").strip()

    def keep(self):
        """Make the new branch at the worktree's HEAD, with its marker (refusing to move
        an existing branch): one ref transaction, so there is neither without the other."""
        tip = self.head()
        self.committer = self.committer or self.git(*identity_args(self.identity), "var",
                                                    "GIT_COMMITTER_IDENT").strip()
        tag = self.git("mktag", input="object %s\ntype commit\ntag gup-unify/%s\ntagger %s"
                       "\n\ngup-unify made branch %s\n\n%s%s\n" % (
                           tip, self.branch, self.committer, self.branch, BASE_LINE,
                           self.start)).strip()
        # One listing, not a rev-parse per marker: a repository keeps one for
        # every branch the tool ever made.
        refs = set(git(self.repo, "for-each-ref", "--format=%(refname)", MARKERS,
                       branch_ref("")).splitlines())
        stale = [ref for ref in refs if ref.startswith(MARKERS)
                 and branch_ref(ref[len(MARKERS):]) not in refs]
        if stale:
            # Markers of branches since deleted: one could be in the way of this
            # one's (gup-unify against gup-unify/x).
            git(self.repo, "update-ref", "--stdin",
                input="".join("delete %s\n" % ref for ref in stale))
        git(self.repo, "update-ref", "-m", "branch: Created from HEAD by gup-unify", "--stdin",
            input="create %s %s\nupdate %s %s\n" % (branch_ref(self.branch), tip,
                                                    MARKERS + self.branch, tag))
        self.kept = True
        self.write_notes()

    def write_notes(self):
        """The notes of the commits made, in the repository (a branch made without
        them still splits: series falls back to the messages)."""
        notes.write(self.repo, self.committer, self.notes)


def _quote(path):
    """A path as git fast-import reads it, C-quoted."""
    return '"%s"' % path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
