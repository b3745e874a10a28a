"""The b4 hand-off: one `b4 prep` branch per series, checked with `b4 send -o`.

b4 (Debian's 0.12) cannot take a format-patch directory: a series must be a
prep branch whose first commit is an empty cover commit holding the cover
letter, its To:/Cc: trailers and b4's tracking data. Each branch forks at
the commit before its series on the converted branch, so that b4 sends
exactly the patches of series/. Recipients are series-wide in b4 (a
per-patch one survives only as a Cc: trailer), so every message of a
branch goes to the union that its cover letter in series/ goes to.
Nothing is sent: the check writes the messages to a scratch directory, with
sendemail.smtpserver set for that one command only.
"""
import email
import email.policy
import email.utils
import json
import os
import re
import shutil
import tempfile

from .util import die, git, progress, run
from .workspace import Worktree, identity_args, scratch_dir

MARKER = "--- b4-submit-tracking ---"
SENDMAIL = "/usr/sbin/sendmail"     # never run: b4 send -o only writes files


def require_b4():
    if not shutil.which("b4"):
        die("b4 not found: install Debian's b4 (make b4 does, through scripts/deps b4)")


def branch_name(part):
    """b4/gup-unify-NN-<group>, as b4 prep -n names it (its slug is lower case)."""
    return "b4/" + re.sub(r"\W+", "-", "gup-unify-" + part.directory).strip("-").lower()


def _env(author, send=False):
    """git -c settings for b4 and the git it runs, in this process only."""
    pairs = [("user.name", author[0]), ("user.email", author[1])]
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


def _tracking(message, part):
    """b4's tracking block of a new cover commit, with the series' extra prefix."""
    block = message[message.index(MARKER):]
    head, brace, data = block.partition("{")
    tracking = json.loads(brace + data)
    tracking["series"]["prefixes"] = ["net-next"] if part.net else []
    return head + json.dumps(tracking, indent=2)


def _up_to_date(repo, part):
    """True when the branch holds this series as it would be made now."""
    branch = branch_name(part)
    last = part.commits[-1][0]
    if git(repo, "rev-parse", branch + "^{tree}").strip() != \
            git(repo, "rev-parse", last + "^{tree}").strip():
        return False
    count = len(part.commits)
    cover = git(repo, "log", "-1", "--format=%B", "%s~%d" % (branch, count))
    return cover.split(MARKER)[0].strip() == cover_text(part).strip()


def make_branch(repo, part, author):
    """Create the prep branch of part: cover commit from b4, then the series' commits."""
    name = branch_name(part)[len("b4/"):]
    first, last = part.commits[0][0], part.commits[-1][0]
    env = _env(author)
    # b4 prep -n wants to be on a branch: a temporary one at the fork point.
    base = "gup-unify-b4-base-%d" % os.getpid()
    with Worktree(repo, first + "^", None, author) as wt:
        wt.git("checkout", "-q", "-b", base)
        try:
            run(["b4", "prep", "-n", name], cwd=wt.path, env=env)
        finally:
            git(repo, "branch", "-D", base, check=False)
        message = wt.git("log", "-1", "--format=%B")
        wt.git(*identity_args(author), "commit", "-q", "--amend", "--allow-empty", "-F", "-",
               input=cover_text(part) + "\n" + _tracking(message, part))
        wt.git(*identity_args(author), "cherry-pick", "%s^..%s" % (first, last))


def _addresses(msg, *names):
    return {a.lower() for _, a in email.utils.getaddresses(
        [v for n in names for v in msg.get_all(n, [])]) if a}


def check_branch(repo, part, author, series_dir, workdir):
    """b4 send -o on the branch: same patches (patch-id) and recipients as series/?

    Returns a list of problems (empty when it matches).
    """
    out = os.path.join(workdir, part.directory)
    with Worktree(repo, branch_name(part), None, author) as wt:
        wt.git("checkout", "-q", branch_name(part))
        run(["b4", "send", "-o", out, "--no-sign"], cwd=wt.path, env=_env(author, send=True))
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


def hand_off(repo, parts, author, series_dir):
    """Make (or find up to date) every prep branch, then check each with b4 send -o."""
    require_b4()
    existing = [p for p in parts
                if git(repo, "rev-parse", "--verify", "-q", "refs/heads/" + branch_name(p),
                       check=False).strip()]
    stale = [p for p in existing if not _up_to_date(repo, p)]
    if stale:
        die("%s already exists with other content: delete it (git branch -D) to remake it"
            % branch_name(stale[0]))
    for part in parts:
        if part in existing:
            progress("%s is up to date" % branch_name(part))
            continue
        make_branch(repo, part, author)
        progress("%s: its cover letter and %d patch%s" % (
            branch_name(part), len(part.patches), "" if len(part.patches) == 1 else "es"))
    results = []
    with tempfile.TemporaryDirectory(prefix="b4-send-", dir=scratch_dir()) as workdir:
        for part in parts:
            problems = check_branch(repo, part, author, series_dir, workdir)
            results.append({"branch": branch_name(part), "patches": len(part.patches),
                            "problems": problems})
    bad = [r for r in results if r["problems"]]
    if bad:
        die("b4 send -o on %s does not give series/: %s" % (bad[0]["branch"],
                                                            "; ".join(bad[0]["problems"])))
    progress("b4: %d prep branches; b4 send -o on each gives the patches and recipients "
             "of series/ (send one with: git checkout BRANCH && b4 send)" % len(results))
    return results
