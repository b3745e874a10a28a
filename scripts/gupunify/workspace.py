"""The git side: a scratch worktree on a new branch, so the user's checkout is never touched."""
import hashlib
import os
import re
import shutil

from .util import die, git, progress, run


def scratch_dir():
    base = os.environ.get("GUP_UNIFY_SCRATCH") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gup-unify")
    os.makedirs(base, exist_ok=True)
    return base


def repository_for(tree):
    """The git repository holding tree; a plain directory is imported into a scratch one."""
    rc, out, _ = run(["git", "-C", tree.path, "rev-parse", "--show-toplevel"], check=False)
    top = out.strip() if rc == 0 else None
    if top and os.path.realpath(top) == os.path.realpath(tree.path):
        if not git(top, "rev-parse", "--verify", "-q", "HEAD", check=False).strip():
            die("%s: git repository has no commit yet" % tree.path)
        return top
    digest = hashlib.sha1(os.path.realpath(tree.path).encode()).hexdigest()[:10]
    repo = os.path.join(scratch_dir(), "repos", "%s-%s" % (tree.name, digest))
    if os.path.isdir(os.path.join(repo, ".git")):
        progress("%s is not the top of a git checkout: using its scratch import %s"
                 % (tree.path, repo))
        return repo
    progress("%s is not the top of a git checkout: importing it into %s" % (tree.path, repo))
    partial = repo + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    run(["git", "init", "-q", partial])
    env = {"GIT_WORK_TREE": tree.path, "GIT_DIR": os.path.join(partial, ".git")}
    run(["git", "add", "-A", "."], cwd=tree.path, env=env)
    run(["git", "commit", "-q", "-m", "Import of %s" % tree.path] + identity_args(partial),
        cwd=tree.path, env=env)
    run(["git", "-C", partial, "reset", "-q", "--hard"])
    os.replace(partial, repo)
    return repo


def identity_args(repo):
    """-c options giving git an identity when the user has none configured."""
    name = git(repo, "config", "user.name", check=False).strip()
    email = git(repo, "config", "user.email", check=False).strip()
    args = []
    if not name:
        args += ["-c", "user.name=gup-unify"]
    if not email:
        args += ["-c", "user.email=gup-unify@localhost"]
    return args


def branch_exists(repo, branch):
    return bool(git(repo, "rev-parse", "--verify", "-q", "refs/heads/" + branch,
                    check=False).strip())


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
    """

    def __init__(self, repo, start, branch):
        self.repo = repo
        self.branch = branch
        self.start = git(repo, "rev-parse", "--verify", start + "^{commit}").strip()
        self.path = os.path.join(scratch_dir(), "worktrees",
                                 "%s-%d" % (os.path.basename(repo), os.getpid()))
        self.kept = False
        self.mentions = None    # what the conversion's one git grep found

    def __enter__(self):
        shutil.rmtree(self.path, ignore_errors=True)
        git(self.repo, "worktree", "prune")
        try:
            git(self.repo, "worktree", "add", "-q", "--detach", "--no-checkout",
                self.path, self.start)
            self.git("sparse-checkout", "set", "--no-cone", "/include/linux/mm.h")
            self.git("checkout", "-q", "--detach", self.start)
        except BaseException:
            # Interrupted half way (Ctrl-C): __exit__ will not run, so clean up here.
            self.__exit__()
            raise
        return self

    def materialize(self, paths):
        """Check out paths (relative to the tree) in the sparse worktree."""
        if paths:
            self.git("sparse-checkout", "add", *["/" + _literal(p) for p in paths])

    def __exit__(self, *exc):
        git(self.repo, "worktree", "remove", "--force", self.path, check=False)
        shutil.rmtree(self.path, ignore_errors=True)
        git(self.repo, "worktree", "prune", check=False)

    def git(self, *args, **kw):
        return git(self.path, *args, **kw)

    def commit(self, subject, body, signoff=True):
        """Commit everything changed; returns False when there was nothing to commit."""
        self.git("add", "-A")
        if not self.git("status", "--porcelain").strip():
            return False
        message = subject + "\n\n" + body.strip() + "\n"
        args = identity_args(self.repo) + ["commit", "-q", "-F", "-"]
        if signoff:
            args.append("--signoff")
        self.git(*args, input=message)
        return True

    def commit_files(self, base, commits):
        """Commit each (subject, body, {path: (mode, blob) or None to delete}) on base,
        signed off as commit() does, and move HEAD to the last of them.

        One git fast-import makes them all: a git commit per commit reads and
        writes the whole index of a kernel tree several times. The last
        commit must have HEAD's tree, so the index and the files stay as they
        are.
        """
        ref = "refs/worktree/gup-unify-commits"
        ident = {}
        for who in ("AUTHOR", "COMMITTER"):
            ident[who] = self.git(*identity_args(self.repo), "var",
                                  "GIT_%s_IDENT" % who).strip()
        signoff = "Signed-off-by: %s" % ident["COMMITTER"].rsplit(" ", 2)[0]
        stream = []
        for n, (subject, body, files) in enumerate(commits):
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
        if self.git("rev-parse", tip + "^{tree}") != self.git("rev-parse", "HEAD^{tree}"):
            die("internal error: the commits do not add up to the converted tree")
        self.git("reset", "-q", "--soft", tip)

    def head(self):
        return self.git("rev-parse", "HEAD").strip()

    def keep(self):
        """Point the new branch at the worktree's HEAD (refusing to move an existing one)."""
        self.git("branch", self.branch, "HEAD")
        self.kept = True


def _quote(path):
    """A path as git fast-import reads it, C-quoted."""
    return '"%s"' % path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
