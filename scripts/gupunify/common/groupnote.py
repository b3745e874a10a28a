"""The MAINTAINERS group of a caller commit, carried as a git note.

series splits the branch by group. A note (refs/notes/gup-unify), not the
commit message, carries it: git format-patch and b4 send leave notes out,
so nothing of it reaches a patch, and the commits are the same with or
without it. A branch made before the notes has the group only in its
message: series falls back to reading it there.
"""
from .util import git

REF = "refs/notes/gup-unify"
GROUP = "Gup-unify-group"
API = "Gup-unify-api"


def text(group, api):
    """The note of a caller commit converting api's calls in group."""
    return "%s: %s\n%s: %s\n" % (GROUP, group, API, api)


def parse(note):
    """{"group": ..., "api": ...} of a note's text, or None when it is not ours."""
    fields = {}
    for line in note.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key in (GROUP, API):
            fields["group" if key == GROUP else "api"] = value
    return fields if "group" in fields and "api" in fields else None


def log_args():
    """What git log needs for %N to give these notes and no others the user shows."""
    return ["--no-notes", "--notes=" + REF]


def write(repo, committer, notes):
    """Add notes ([(commit, text)]) to REF as one notes commit by committer (git's
    "Name <mail> time zone"), on top of the notes already there."""
    if not notes:
        return
    message = "gup-unify: the MAINTAINERS group of each caller commit\n"
    stream = ["commit " + REF, "committer " + committer,
              "data %d" % len(message.encode()), message]
    old = git(repo, "rev-parse", "--verify", "-q", REF, check=False).strip()
    if old:
        stream.append("from " + old)
    for commit, note in notes:
        stream += ["N inline " + commit, "data %d" % len(note.encode()), note]
    git(repo, "fast-import", "--quiet", "--done", input="\n".join(stream) + "\ndone\n")
