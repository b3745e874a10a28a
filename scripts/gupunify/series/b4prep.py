"""The b4 hand-off: one `b4 prep` branch per series, checked with `b4 send -o`.

b4 (Debian's 0.12) cannot take a format-patch directory: a series must be a
prep branch whose first commit is an empty cover commit holding the cover
letter, its To:/Cc: trailers and b4's tracking data (the form `b4 prep -n`
writes). Each branch forks from the public base, with the series it needs
(needs()) re-made on it below the cover commit, so that b4 sends exactly the
patches of series/. Recipients are series-wide in b4 (a per-patch one
survives only as a Cc: trailer), so every message of a branch goes to the
union that its cover letter in series/ goes to.

The branches are made with git plumbing (commit-tree on a private index),
not with `b4 prep -n` and cherry-pick in a checkout: nothing runs the
user's hooks (a commit-msg hook adding a Change-Id broke b4's tracking
data) or signs (commit.gpgsign with no usable key stopped the run), no
temporary branch is needed, and a branch appears only whole, with one
update-ref at the end.
Nothing is sent: the check writes the messages to a scratch directory, with
sendemail.smtpserver set for that one command only.
"""
import concurrent.futures
import datetime
import email
import email.policy
import email.utils
import json
import os
import re
import shutil
import tempfile
import threading
import uuid

from ..common.repository import scratch_dir
from ..common.progress import progress
from ..common.util import die, git, run, write_atomic

MARKER = "--- b4-submit-tracking ---"
SENDMAIL = "/usr/sbin/sendmail"     # never run: b4 send -o only writes files
# b4 0.12's cover letter template, with the base and the needed patches named
# as git format-patch --base does (_send_config).
COVER_TEMPLATE = """\
${cover}

---
${shortlog}

${diffstat}
---
base-commit: %s
%schange-id: ${change_id}

Best regards,
-- 
${signature}
"""


def require_b4():
    if not shutil.which("b4"):
        die("b4 not found: install Debian's b4 (make b4 does, through scripts/deps b4)")


def preflight(repo):
    """Refuse, before any work, a repository where no b4/... branch can be made."""
    if git(repo, "rev-parse", "--verify", "-q", "refs/heads/b4", check=False).strip():
        die("%s has a branch named b4, so git cannot add the b4/... prep branches: rename "
            "it (git branch -m b4 NEW-NAME) and run again" % repo)


def branch_name(part):
    """b4/gup-unify-NN-<group>, as b4 prep -n names it (its slug is lower case)."""
    return "b4/" + re.sub(r"\W+", "-", "gup-unify-" + part.directory).strip("-").lower()


def _env(author, send=False):
    """git -c settings for b4 and the git it runs, in this process only.

    The user's hooks and signing are off for them: b4 send -o commits
    nothing, but a hook the user has (post-checkout, say) must not change
    or stop what the check sees.
    """
    pairs = [("user.name", author[0]), ("user.email", author[1]),
             ("core.hooksPath", os.devnull), ("commit.gpgsign", "false")]
    if send:
        # Without an SMTP server b4 picks its web endpoint, which wants signing.
        pairs.append(("sendemail.smtpserver", SENDMAIL))
    env = {"GIT_CONFIG_COUNT": str(len(pairs))}
    for i, (key, value) in enumerate(pairs):
        env["GIT_CONFIG_KEY_%d" % i], env["GIT_CONFIG_VALUE_%d" % i] = key, value
    return env


def cover_text(part):
    """The cover commit's message above b4's tracking data: subject, text, To/Cc."""
    subject = part.subject.split("] ", 1)[1]
    trailers = ["To: %s" % p for p in part.to] + ["Cc: %s" % p for p in part.cc]
    return "%s\n\n%s\n\n%s\n" % (subject, part.blurb.strip(), "\n".join(trailers))


def needs(part, parts):
    """The series part needs below it, in branch order: its depends (series.py's
    graph, needs.py), which already holds the needs of its needs."""
    return [p for p in parts if p.directory in part.depends]


def _fields(repo, sha):
    """(message, env) to re-make commit sha as it is: its author, committer and dates."""
    out = git(repo, "log", "-1", "--format=%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B",
              "--date=raw", sha)
    an, ae, ad, cn, ce, cd, message = out.split("\x00", 6)
    return message, {"GIT_AUTHOR_NAME": an, "GIT_AUTHOR_EMAIL": ae, "GIT_AUTHOR_DATE": ad,
                     "GIT_COMMITTER_NAME": cn, "GIT_COMMITTER_EMAIL": ce,
                     "GIT_COMMITTER_DATE": cd}


def _commit(repo, tree, parent, message, env):
    """A commit made with plumbing: no hook runs, nothing is signed."""
    return run(["git", "-C", repo, "commit-tree", "--no-gpg-sign", tree, "-p", parent,
                "-F", "-"], input=message, env=env)[1].strip()


def _replay(repo, onto, shas, what):
    """shas re-made, in order, on onto (author, dates and message kept): the new tip.

    A commit whose parent is already onto is kept as it is; one whose
    parent has onto's tree keeps its own tree. The others are applied to a
    private index; one that does not apply stops the run before any branch
    is made.
    """
    with tempfile.TemporaryDirectory(prefix="gup-unify-b4-", dir=scratch_dir()) as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        loaded = None
        for sha in shas:
            parent, parent_tree, onto_tree, tree = git(
                repo, "rev-parse", sha + "^", sha + "^^{tree}", onto + "^{tree}",
                sha + "^{tree}").split()
            if parent == onto:
                onto = sha
                continue
            if parent_tree == onto_tree:
                message, ident = _fields(repo, sha)
                onto = _commit(repo, tree, onto, message, ident)
                continue
            if loaded != onto:
                run(["git", "-C", repo, "read-tree", onto], env=env)
            diff = git(repo, "diff-tree", "-p", "--binary", "--full-index", "--no-renames",
                       sha + "^", sha, binary=True)
            rc, _, err = run(["git", "-C", repo, "apply", "--cached", "-"], input=diff,
                             env=env, check=False, binary=True)
            if rc:
                die("%s: commit %s does not apply on the base with the series it needs, so "
                    "its b4 branch cannot be made (%s)" % (what, sha[:12],
                                                          (err.decode(errors="replace").strip()
                                                           .splitlines() or ["?"])[-1]))
            tree = run(["git", "-C", repo, "write-tree"], env=env)[1].strip()
            message, ident = _fields(repo, sha)
            onto = loaded = _commit(repo, tree, onto, message, ident)
    return onto


def _fork(repo, base, part, parts):
    """The commit the branch's cover commit sits on: base plus the series part needs."""
    shas = [sha for p in needs(part, parts) for sha, _ in p.commits]
    return _replay(repo, base, shas, branch_name(part))


def _tracking(part):
    """b4's tracking data of a new series, as b4 prep -n writes it (base-branch: none,
    as b4 writes for a series enrolled at a commit: b4 reads the base below the cover)."""
    slug = branch_name(part)[len("b4/"):]
    tracking = {"series": {
        "revision": 1,
        "change-id": "%s-%s-%s" % (datetime.date.today().strftime("%Y%m%d"), slug,
                                   uuid.uuid4().hex[:12]),
        "base-branch": None,
        "prefixes": ["net-next"] if part.net else []}}
    return "%s\n# This section is used internally by b4 prep for tracking purposes.\n%s" % (
        MARKER, json.dumps(tracking, indent=2))


def _up_to_date(repo, base, part, parts):
    """True when the branch holds this series as it would be made now."""
    branch = branch_name(part)
    count = len(part.commits)
    cover = "%s~%d" % (branch, count)
    if not git(repo, "rev-parse", "--verify", "-q", cover + "^", check=False).strip():
        return False
    first, last = part.commits[0][0], part.commits[-1][0]
    if git(repo, "diff", "--binary", "--full-index", cover, branch) != \
            git(repo, "diff", "--binary", "--full-index", first + "^", last):
        return False
    found = git(repo, "rev-parse", "--verify", "-q", cover + "^", check=False).strip()
    if found != _fork(repo, base, part, parts):
        return False
    message = git(repo, "log", "-1", "--format=%B", cover)
    return message.split(MARKER)[0].strip() == cover_text(part).strip()


def make_branch(repo, base, part, parts, author):
    """Create the prep branch of part: base, what it needs, its cover commit, its commits."""
    name = branch_name(part)
    fork = _fork(repo, base, part, parts)
    tree = git(repo, "rev-parse", fork + "^{tree}").strip()
    who = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
           "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]}
    cover = _commit(repo, tree, fork, cover_text(part) + "\n" + _tracking(part), who)
    tip = _replay(repo, cover, [sha for sha, _ in part.commits], name)
    # Where b4 looks for the cover letter, whatever the user's b4.prep-cover-strategy.
    git(repo, "config", "branch.%s.b4-prep-cover-strategy" % name, "commit")
    _send_config(repo, base, part, parts)
    # Last, in one step: create the branch only if it is still absent.
    git(repo, "update-ref", "-m", "gup-unify: b4 prep branch", "refs/heads/" + name, tip, "")


def _addresses(msg, *names):
    return {a.lower() for _, a in email.utils.getaddresses(
        [v for n in names for v in msg.get_all(n, [])]) if a}


def _send_config(repo, base, part, parts):
    """For a series that needs others: b4 send on its branch names base and those patches.

    b4 0.12 names the commit below the cover as base-commit, which for such
    a series is the last of the patches it needs, not a public commit. Its
    cover template can say otherwise, and git reads config for one branch
    alone (includeIf "onbranch:"): the template, as git format-patch --base
    writes base-commit and prerequisite-patch-id, goes in the repository's
    git directory and applies on that branch only, to the check below and
    to a b4 send the user runs.
    """
    name = branch_name(part)
    key = "includeIf.onbranch:%s.path" % name
    shas = [sha for p in needs(part, parts) for sha, _ in p.commits]
    if not shas:
        git(repo, "config", "--unset-all", key, check=False)
        return
    folder = os.path.join(git(repo, "rev-parse", "--path-format=absolute",
                              "--git-common-dir").strip(), "gup-unify-b4")
    os.makedirs(folder, exist_ok=True)
    stem = os.path.join(folder, name[len("b4/"):])
    ids = [_patch_id(repo, git(repo, "show", "--format=", sha)) for sha in shas]
    write_atomic(stem + ".template", COVER_TEMPLATE % (
        base, "".join("prerequisite-patch-id: %s\n" % i for i in ids)))
    write_atomic(stem + ".config", "[b4]\n\tprep-cover-template = %s\n" % (
        stem + ".template"))
    git(repo, "config", key, stem + ".config")


# git worktree add reads every worktree's entry in .git/worktrees (is the
# branch checked out there?) while another thread's add or remove writes one:
# "failed to read .git/worktrees/wt-01-IB-tiny/commondir". One at a time.
_WORKTREES = threading.Lock()


def check_branch(repo, part, author, series_dir, workdir):
    """b4 send -o on the branch: same patches (patch-id) and recipients as series/?

    Returns a list of problems (empty when it matches). The worktree b4
    runs in has no file checked out (b4 send reads commits only), but an
    index of the whole branch marked skip-worktree: b4 wants a clean status.
    """
    out = os.path.join(workdir, part.directory)
    wt = os.path.join(workdir, "wt-" + part.directory)
    with _WORKTREES:
        git(repo, "-c", "core.hooksPath=" + os.devnull, "worktree", "add", "-q", "-f",
            "--no-checkout", wt, branch_name(part))
    try:
        sparse = git(wt, "rev-parse", "--git-path", "info/sparse-checkout").strip()
        os.makedirs(os.path.dirname(os.path.join(wt, sparse)), exist_ok=True)
        with open(os.path.join(wt, sparse), "w") as f:
            f.write("/.no-file-of-the-tree\n")
        git(wt, "-c", "core.sparseCheckout=true", "read-tree", "-mu", "HEAD")
        run(["b4", "send", "-o", out, "--no-sign"], cwd=wt,
            env=_env(author, send=True))
    finally:
        with _WORKTREES:
            git(repo, "worktree", "remove", "--force", wt, check=False)
    problems = []
    messages = []
    for name in sorted(os.listdir(out)):
        with open(os.path.join(out, name), "rb") as f:
            messages.append((name, email.message_from_binary_file(f, policy=email.policy.default)))
    want = {a.lower() for _, a in email.utils.getaddresses(part.to + part.cc)}
    sender = author[1].lower()
    ours = [os.path.join(series_dir, part.directory, p["file"]) for p in part.patches]
    patches = [m for m in messages if not re.search(r"\b0+/\d+\]", str(m[1]["Subject"]))]
    if len(patches) != len(ours):
        problems.append("%d patches from b4, %d in series/" % (len(patches), len(ours)))
    for (name, msg), path in zip(patches, ours):
        if _patch_id(repo, msg.as_bytes(policy=email.policy.SMTP).decode(errors="replace")) != \
                _patch_id(repo, open(path).read()):
            problems.append("%s is not the patch of %s" % (name, os.path.basename(path)))
    # b4 also sends the cover letter to whoever a patch's own Cc: trailer names
    # (stable@ of a Fixes: patch): b4's choice; series/ keeps them on their patch.
    trailers = set().union(*(_trailer_people(m) for _, m in patches))
    for name, msg in messages:
        got = _addresses(msg, "To", "Cc") - {sender}
        cover = all(msg is not m for _, m in patches)
        extra = got - want - _trailer_people(msg) - (trailers if cover else set())
        missing = want - got
        if extra or missing:
            problems.append("%s: recipients differ (extra %s, missing %s)" % (
                name, sorted(extra) or "none", sorted(missing) or "none"))
    return problems


def _trailer_people(msg):
    """Addresses a patch names in its own Cc:/To: trailers (b4 and git send-email add them)."""
    body = msg.get_body(("plain",))
    text = body.get_content() if body else ""
    return {a.lower() for _, a in email.utils.getaddresses(
        re.findall(r"^(?:Cc|To): (.*)$", text, re.M))}


def _patch_id(repo, text):
    return run(["git", "-C", repo, "patch-id", "--stable"], input=text)[1].split(" ")[0]


def _existing(repo, parts):
    heads = set(git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/b4/").split())
    return [p for p in parts if "refs/heads/" + branch_name(p) in heads]


def plan_text(repo, base, parts):
    """What hand_off would do, for --dry-run: each branch, made or up to date."""
    preflight(repo)
    existing = _existing(repo, parts)
    lines = ["b4 prep branches (none is made by a dry run):"]
    for part in parts:
        name = branch_name(part)
        if part in existing:
            state = "up to date" if _up_to_date(repo, base, part, parts) else \
                "exists with other content: the run would stop (delete it to remake it)"
            lines.append("  %s  %s" % (name, state))
            continue
        below = needs(part, parts)
        lines.append("  %s  would be made: a cover commit and %d patch%s on %s%s" % (
            name, len(part.commits), "" if len(part.commits) == 1 else "es", base[:12],
            " + " + ", ".join(p.directory for p in below) if below else ""))
    return "\n".join(lines) + "\n"


def hand_off(repo, base, parts, author, series_dir):
    """Make (or find up to date) every prep branch, then check each with b4 send -o."""
    require_b4()
    preflight(repo)
    existing = _existing(repo, parts)
    stale = [p for p in existing if not _up_to_date(repo, base, p, parts)]
    if stale:
        die("%s already exists with other content: delete it (git branch -D) to remake it"
            % branch_name(stale[0]))
    for number, part in enumerate(parts, 1):
        if part in existing:
            _send_config(repo, base, part, parts)
            progress("b4 %d/%d: %s is up to date" % (number, len(parts), branch_name(part)))
            continue
        make_branch(repo, base, part, parts, author)
        progress("b4 %d/%d: %s: its cover letter and %d patch%s" % (
            number, len(parts), branch_name(part), len(part.patches),
            "" if len(part.patches) == 1 else "es"))
    results = [None] * len(parts)
    with tempfile.TemporaryDirectory(prefix="b4-send-", dir=scratch_dir()) as workdir:
        def check(number):
            return check_branch(repo, parts[number], author, series_dir, workdir)
        pool = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1)
        try:
            futures = {pool.submit(check, n): n for n in range(len(parts))}
            for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
                part = parts[futures[fut]]
                results[futures[fut]] = {"branch": branch_name(part),
                                         "patches": len(part.patches),
                                         "problems": fut.result()}
                progress("b4 send -o %d/%d: %s" % (done, len(parts), branch_name(part)))
        finally:
            pool.shutdown(cancel_futures=True)
    bad = [r for r in results if r["problems"]]
    if bad:
        die("b4 send -o on %s does not give series/: %s" % (bad[0]["branch"],
                                                            "; ".join(bad[0]["problems"])))
    progress("b4: %d prep branches; b4 send -o on each gives the patches and recipients "
             "of series/ (send one with: git checkout BRANCH && b4 send)" % len(results))
    return results
