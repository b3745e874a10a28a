"""The tool's git notes (refs/notes/gup-unify): read and written, their text aside.

A note, not the commit message, carries what series needs of a caller
commit (groups/commitformat.py says what): git format-patch and b4 send
leave notes out, so nothing of it reaches a patch, and the commits are the
same with or without it.
"""
from .util import git

REF = "refs/notes/gup-unify"


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
