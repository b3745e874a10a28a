"""The user's repository as the tool sees it: found and locked (a plain directory
imported), the identity commits carry, the branch and its marker, the series' range."""
import contextlib
import fcntl
import hashlib
import os
import re
import shutil

from . import headers, notes
from .progress import phase, progress
from .util import die, git, pause_at, run


def scratch_dir():
    base = os.environ.get("GUP_UNIFY_SCRATCH") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gup-unify")
    os.makedirs(base, exist_ok=True)
    return base


def path_digest(path):
    """A short name for path (its real path), unique enough for scratch folder names."""
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
    repo = os.path.join(scratch_dir(), "repos", "%s-%s.git" % (tree.name, path_digest(tree.path)))
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
NAME = r"[^<>@]*[^<>@\s]"
EMAIL = r"[^<>\s]+@[^<>\s]+"
IDENTITY = re.compile(r"^(%s)\s*<(%s)>$" % (NAME, EMAIL))
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
    return _not_placeholder(m.group(1), m.group(2), text)


def _not_placeholder(name, email, shown):
    if email in PLACEHOLDERS:
        die("--identity %s is a placeholder, not a person: give your own" % shown)
    return name, email


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
    # Checked as parse_identity() checks a text; shown as one in what is refused.
    what, shown = "git config user.name and user.email", "%s <%s>" % (name, email)
    headers.check(what, shown)
    if not (re.fullmatch(NAME, name) and re.fullmatch(EMAIL, email)):
        die("%s %r: expected \"Name <user@example.org>\"" % (what, shown))
    return _not_placeholder(name, email, shown)


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
    for ref in (branch_ref(branch), MARKERS + branch, notes.REF, "packed-refs"):
        lock = os.path.join(common, ref + ".lock")
        if os.path.lexists(lock):
            die("%s exists, left by an interrupted git: remove it if no git command is "
                "running in %s" % (lock, repo))
    kind = git(repo, "for-each-ref", "--format=%(objecttype)", notes.REF).strip()
    if kind and kind != "commit":
        die("%s is a %s, not notes, and gup-unify keeps its notes there: move it (git "
            "update-ref refs/NEW %s, then git update-ref -d %s)"
            % (notes.REF, kind, notes.REF, notes.REF))
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


def is_import(repo):
    """A scratch import (bare) is the whole directory: nothing uncommitted or untracked."""
    return git(repo, "rev-parse", "--is-bare-repository").strip() == "true"


def zpaths(out):
    """The paths of git's -z output."""
    return [p for p in out.split("\0") if p]
