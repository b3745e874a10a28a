"""The git side: a scratch worktree on a new branch, so the user's checkout is never touched."""
import contextlib
import fcntl
import hashlib
import os
import re
import shutil

from . import groupnote, headers
from .util import die, git, interrupts_held, pause_at, phase, progress, run


def scratch_dir():
    base = os.environ.get("GUP_UNIFY_SCRATCH") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gup-unify")
    os.makedirs(base, exist_ok=True)
    return base


def _digest(path):
    return hashlib.sha1(os.path.realpath(path).encode()).hexdigest()[:10]


def toplevel(path):
    """The top of the git checkout holding path, or None when path is in none.

    A repository git refuses to read (another user's, "dubious ownership") is
    an error: treating it as a plain directory would skip the dirty-tree check.
    """
    rc, out, err = run(["git", "-C", path, "rev-parse", "--show-toplevel"], check=False)
    if rc == 0:
        return out.strip()
    if "dubious ownership" in err:
        m = re.search(r"repository at '(.*)'", err)
        die("%s: git refuses the repository %s: another user owns it; run as its owner, "
            "or trust it with git config --global --add safe.directory %s"
            % (path, m.group(1) if m else path, m.group(1) if m else path))
    if "not a git repository" in err:
        return None
    die("%s: git cannot read its repository: %s"
        % (path, (err.strip().splitlines() or ["exit %d" % rc])[-1]))


# Repositories this process holds the lock of: {lock path: repository}.
_held = {}


@contextlib.contextmanager
def repository(tree):
    """The git repository holding tree, locked against other runs until the block ends.

    The lock is a flock on the repository's (common) git directory, or on a
    plain directory itself, so nothing is written there; a second run waits
    for the first. A plain directory is imported into, or brought up to
    date in, a scratch repository of its own first. Nested blocks of one
    process (series runs the spatch job) share the first one's lock.
    """
    top = toplevel(tree.path)
    if top and os.path.realpath(top) == os.path.realpath(tree.path):
        if not git(top, "rev-parse", "--verify", "-q", "HEAD", check=False).strip():
            die("%s: git repository has no commit yet" % tree.path)
        key = git(top, "rev-parse", "--path-format=absolute", "--git-common-dir").strip()
    else:
        key, top = tree.path, None
    key = os.path.realpath(key)
    if key in _held:
        yield _held[key]
        return
    fd = os.open(key, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("another gup-unify run is working on %s: waiting for it to finish" % key)
            fcntl.flock(fd, fcntl.LOCK_EX)
        pause_at("locked")
        _held[key] = top or _import(tree)
        try:
            yield _held[key]
        finally:
            del _held[key]
    finally:
        os.close(fd)


def _import(tree):
    """The scratch repository of a plain directory, its HEAD a snapshot of the directory now.

    A bare repository: the directory is its work tree only while a snapshot
    is taken (git add -A), so the index keeps the directory's stat data and
    a rerun rehashes only what changed. A changed directory gets a new
    commit on top of the last snapshot, so a branch made from that one keeps
    its merge-base.
    """
    repo = os.path.join(scratch_dir(), "repos", "%s-%s.git" % (tree.name, _digest(tree.path)))
    if os.path.isdir(repo):
        if _snapshot(tree, repo):
            progress("%s is not the top of a git checkout and changed since its scratch "
                     "import: took a new snapshot in %s" % (tree.path, repo))
        else:
            progress("%s is not the top of a git checkout: using its scratch import %s"
                     % (tree.path, repo))
        return repo
    progress("%s is not the top of a git checkout: importing it into %s" % (tree.path, repo))
    partial = repo + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        run(["git", "init", "-q", "--bare", partial])
        _snapshot(tree, partial)
        os.replace(partial, repo)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return repo


def _snapshot(tree, repo):
    """Commit the directory's current contents in repo unless HEAD has them; True if it did."""
    env = {"GIT_DIR": repo, "GIT_WORK_TREE": tree.path}
    # Left by a run killed while git held the index; we hold the lock, so no
    # live run is using it.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(repo, "index.lock"))
    with phase("taking a snapshot of %s" % tree.path):
        run(["git", "add", "-A", "."], cwd=tree.path, env=env)
    snapshot = run(["git", "write-tree"], env=env)[1].strip()
    head = git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()
    if head and git(repo, "rev-parse", head + "^{tree}").strip() == snapshot:
        return False
    commit = run(["git", "-C", repo] + identity_args(IMPORT_IDENTITY) +
                 ["commit-tree", snapshot, "-m", "Import of %s" % tree.path] +
                 (["-p", head] if head else []))[1].strip()
    git(repo, "update-ref", "HEAD", commit)
    return True


# Who commits a plain directory's snapshot: a base commit in a scratch
# repository, never part of a patch.
IMPORT_IDENTITY = ("gup-unify import", "import@gup-unify.invalid")
IDENTITY = re.compile(r"^([^<>@]*[^<>@\s])\s*<([^<>\s]+@[^<>\s]+)>$")
# Identities earlier versions signed off with when the user had none: they
# must never reach a patch again.
PLACEHOLDERS = ("gup-unify@localhost", "dev@gup-unify.example")


def parse_identity(text, what="--identity"):
    """(name, email) of "Name <mail>", or a UserError saying what is wrong.

    It goes into From:, the author and the Signed-off-by trailer: a newline
    or other control character in it is refused (headers.py).
    """
    # White space around it is dropped (a trailing \r of a CRLF file too).
    headers.check(what, text.strip())
    m = IDENTITY.match(text.strip())
    if not m:
        die("%s %r: expected \"Name <user@example.org>\"" % (what, text))
    if m.group(2) in PLACEHOLDERS:
        die("--identity %s is a placeholder, not a person: give your own" % text)
    return m.group(1), m.group(2)


def configured_identity(path):
    """(user.name, user.email) of git config at path, "" for what is not set."""
    return tuple(git(path, "config", key, check=False).strip()
                 for key in ("user.name", "user.email"))


def identity(path, explicit=None):
    """(name, email) that commits and sign-offs carry: explicit, else git config at path.

    A Signed-off-by certifies the DCO, so it must name a real person: with
    neither, the run stops before doing anything.
    """
    if explicit:
        return parse_identity(explicit)
    # A repository git refuses to read has no config to ask: say that, not "no identity".
    toplevel(path)
    name, email = configured_identity(path)
    if not (name and email):
        die("no identity to sign the patches off with: set user.name and user.email "
            "(git config) or pass --identity \"Name <mail>\" (make: IDENTITY=)")
    return parse_identity("%s <%s>" % (name, email), "git config user.name and user.email")


def identity_args(identity):
    """-c options making git author, commit and sign off as identity."""
    return ["-c", "user.name=%s" % identity[0], "-c", "user.email=%s" % identity[1]]


# What the tool's own git calls run with: not the user's hooks (a commit-msg
# hook adding a Change-Id, a failing post-checkout, an applypatch-msg that
# rejects our messages) and no signing (commit.gpgSign with no key fails,
# with a key it asks for a passphrase mid-run). The commits are scratch
# work that leaves as patches, which carry neither; the user's hooks and
# signing apply when they git am them on their own branch.
OWN_GIT = ["-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false"]
# The user's config that would change the diffs the tool writes and reads:
# patches without a/ b/ (git apply -p1 and every receiver expect them), or
# with colour codes in them.
PLAIN_DIFFS = {"diff.noprefix": "false", "diff.mnemonicPrefix": "false",
               "color.ui": "never", "color.diff": "never"}


def plain_diffs(environ):
    """Make every git run of this process (and of b4) write plain diffs, whatever the
    user's config says: GIT_CONFIG_COUNT entries, after any the caller has."""
    count = int(environ.get("GIT_CONFIG_COUNT") or 0)
    for n, (key, value) in enumerate(PLAIN_DIFFS.items(), count):
        environ["GIT_CONFIG_KEY_%d" % n], environ["GIT_CONFIG_VALUE_%d" % n] = key, value
    environ["GIT_CONFIG_COUNT"] = str(count + len(PLAIN_DIFFS))


# Where the marker of each branch the tool made lives (see marker()).
MARKERS = "refs/gup-unify/branches/"
BASE_LINE = "Gup-unify-base: "


def branch_ref(branch):
    """The full refname of branch: no tag or other ref of the same name is taken for it."""
    return "refs/heads/" + branch


def branch_exists(repo, branch):
    return bool(git(repo, "rev-parse", "--verify", "-q", branch_ref(branch) + "^{commit}",
                    check=False).strip())


def _common_dir(repo):
    return git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").strip()


def check_refs_writable(repo, branch):
    """Refuse, before any work, what would stop the branch and its marker being made.

    A lock file an interrupted git left (git itself says only "remove the
    file manually"), and a branch that git keeps as a path where this one
    needs a folder or the other way round (gup-unify/x against gup-unify).
    """
    common = _common_dir(repo)
    for ref in (branch_ref(branch), MARKERS + branch, groupnote.REF, "packed-refs"):
        lock = os.path.join(common, ref + ".lock")
        if os.path.lexists(lock):
            die("%s exists, left by an interrupted git: remove it if no git command is "
                "running in %s" % (lock, repo))
    notes = git(repo, "for-each-ref", "--format=%(objecttype)", groupnote.REF).strip()
    if notes and notes != "commit":
        die("%s is a %s, not notes, and gup-unify keeps its notes there: move it (git "
            "update-ref refs/NEW %s, then git update-ref -d %s)"
            % (groupnote.REF, notes, groupnote.REF, groupnote.REF))
    parts = branch.split("/")
    for n in range(1, len(parts)):
        if branch_exists(repo, "/".join(parts[:n])):
            die("branch %s cannot be made in %s: branch %s exists, and git cannot hold "
                "both: pass another --branch" % (branch, repo, "/".join(parts[:n])))
    inside = git(repo, "for-each-ref", "--count=1", "--format=%(refname)",
                 branch_ref(branch) + "/").strip()
    if inside:
        die("branch %s cannot be made in %s: %s exists, and git cannot hold both: pass "
            "another --branch" % (branch, repo, inside))


class Marker:
    """What the tool recorded when it made a branch: its tip, base and identity."""

    def __init__(self, tip, base, who):
        self.tip, self.base, self.who = tip, base, who


def marker(repo, branch):
    """The Marker of branch, or None when the tool has recorded none for it.

    The marker is an annotated tag object under MARKERS (not refs/tags:
    git tag, clone and push leave it alone) pointing at the tip the tool
    wrote; its tagger is the identity the commits carry and its message
    names the base. A ref keeps it through git gc. A branch the user
    renamed or copied has the marker of the tip it points at.
    """
    tip = git(repo, "rev-parse", "--verify", "-q", branch_ref(branch) + "^{commit}",
              check=False).strip()
    markers = dict(line.partition(" ")[::2] for line in git(
        repo, "for-each-ref", "--format=%(refname) %(*objectname)", MARKERS).splitlines())
    own = MARKERS + branch
    ref = own if own in markers else next((r for r, t in markers.items() if t == tip), None)
    if not ref:
        return None
    rc, out, _ = run(["git", "-C", repo, "cat-file", "tag", ref], check=False)
    head, _, message = out.partition("\n\n")
    fields = dict(line.split(" ", 1) for line in head.splitlines() if " " in line)
    base = [line[len(BASE_LINE):] for line in message.splitlines()
            if line.startswith(BASE_LINE)]
    if rc != 0 or fields.get("type") != "commit" or "object" not in fields or not base:
        return None
    who = re.sub(r"\s+\d+\s+[-+]\d{4}$", "", fields.get("tagger", ""))
    return Marker(fields["object"], base[0].strip(), who)


def _resolve_base(repo, base, kernel, base_option):
    """The commit of --base, refusing a name that two refs answer to, or none does."""
    rc, out, err = run(["git", "-C", repo, "rev-parse", "--verify", base + "^{commit}"],
                       check=False)
    if rc == 0 and "ambiguous" in err:
        names = [pattern % base for pattern in ("refs/%s", "refs/tags/%s", "refs/heads/%s",
                                                "refs/remotes/%s")]
        refs = set(git(repo, "for-each-ref", "--format=%(refname)", *names).split())
        die("--base %s is ambiguous: %s name it; give the full name"
            % (base, " and ".join(n for n in names if n in refs) or "several refs"))
    if rc != 0:
        die("%s has no commit %s: name the base as a branch, tag or commit of its repository"
            "%s" % (kernel, base, " (%s)" % base_option if base_option else ""))
    return out.strip()


def series_range(repo, branch, base=None, kernel=None, base_option=None, tip=None):
    """(base, tip) of the series on branch: base is given, else the merge-base of HEAD and it.

    The one reading of BASE..BRANCH for check, boottest and series. A branch
    that is missing, shares no history with HEAD, or adds nothing to base is
    refused in one line, naming kernel (the tree as given, which for a
    plain directory is not repo but its scratch import). base_option is how
    the job takes a base (check: "--base (make: BASE=)"), None for one that
    takes none (boottest, series): a line suggests only what the job accepts.
    tip is the commit to use for a branch not (yet) made: a dry run's.
    """
    kernel = kernel or repo
    tip = tip or git(repo, "rev-parse", "--verify", "-q", branch_ref(branch) + "^{commit}",
                     check=False).strip()
    if not tip:
        die("%s has no branch %s: run make spatch KERNEL=%s first, or pass --branch"
            % (kernel, branch, kernel))
    if base is None:
        base = git(repo, "merge-base", "HEAD", tip, check=False).strip()
        if not base:
            die("%s: %s and HEAD have no common ancestor: check out the branch it was made "
                "from%s" % (kernel, branch, ", or pass " + base_option if base_option else ""))
        if base == tip:
            die("%s: HEAD already contains %s, so there is no series on it: check out the "
                "branch it was made from" % (kernel, branch))
        return base, tip
    base = _resolve_base(repo, base, kernel, base_option)
    if run(["git", "-C", repo, "merge-base", "--is-ancestor", tip, base], check=False)[0] == 0:
        die("%s has no commits after %s: nothing to check" % (branch, base[:12]))
    return base, tip


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
            os.path.basename(repo.rstrip("/")).removesuffix(".git"), _digest(repo)))
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

        The notes (groupnote) are written with the branch, by keep().

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
        stale = [ref for ref in git(self.repo, "for-each-ref", "--format=%(refname)",
                                    MARKERS).split()
                 if not branch_exists(self.repo, ref[len(MARKERS):])]
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
        groupnote.write(self.repo, self.committer, self.notes)


def _quote(path):
    """A path as git fast-import reads it, C-quoted."""
    return '"%s"' % path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def is_import(repo):
    """A scratch import (bare) is the whole directory: nothing uncommitted or untracked."""
    return git(repo, "rev-parse", "--is-bare-repository").strip() == "true"


def zpaths(out):
    """The paths of git's -z output."""
    return [p for p in out.split("\0") if p]
