"""One run's series directory: each part's patches and cover letter, the tree-wide
cover letter, the atomic patch, and the plan as text."""
import os
import re
import textwrap

from . import routing
from .util import git, run
from .workspace import identity_args

ATOMIC_SUBJECT = "mm/gup: one flag-based get_user_pages() API, tree-wide"
TREEWIDE_SUBJECT = "mm/gup: FOLL_LONGTERM and gup_flags for get_user_pages_fast()"
SUBSYSTEM_SUBJECT = "%s: move to FOLL_LONGTERM and gup_flags"
FAST_ONLY_SUBJECT = "%s: move to get_user_pages_fast_only()"

OVERVIEW = """\
get_user_pages_fast() takes "int write" where every other function of the
family takes gup_flags, and get_user_pages_longterm() is a function of its
own where a flag would do. This moves the tree to one flag-based API:
get_user_pages_fast() takes unsigned int gup_flags (FOLL_WRITE, ...), and
FOLL_LONGTERM is a flag that get_user_pages() and the fast path honour.

The caller patches change no value: FOLL_WRITE is 1, so
"w ? FOLL_WRITE : 0" passed to the old int write is what w was, and
get_user_pages(..., F | FOLL_LONGTERM, ...) does what
get_user_pages_longterm(..., F, ...) did.
"""

FAST_ONLY_OVERVIEW = """\
Then __get_user_pages_fast(), the variant that never sleeps, gives way to
get_user_pages_fast_only(), which takes gup_flags too: the core adds it,
its callers move to it with the same values, and the core removes the
old function.
"""


def _fold(name, people):
    if not people:
        return ""
    return "%s: %s\n" % (name, ",\n    ".join(people))


def _with_headers(text, to, cc, date=None):
    """The patch text with To/Cc after its other headers (and a new Date when given)."""
    head, sep, body = text.partition("\n\n")
    if date is not None:
        head = re.sub(r"^Date: .*$", "Date: " + date, head, count=1, flags=re.M)
    added = (_fold("To", to) + _fold("Cc", cc)).rstrip("\n")
    return head + ("\n" + added if added else "") + sep + body


def _people(to, cc):
    """A patch with no maintainer (v5.0 mm/ has none) goes To its lists."""
    return (to, cc) if to else (cc, [])


def _cc_trailers(repo, commit):
    """The Cc: trailers of a commit (Cc: stable@...): git send-email and b4 send
    copy them in, so the headers say so too."""
    body = git(repo, "log", "-1", "--format=%B", commit)
    return [m.group(1).strip() for m in re.finditer(r"^Cc:\s*(\S.*)$", body, re.M)]


def _union(lists):
    seen = []
    for people in lists:
        for p in people:
            if p not in seen:
                seen.append(p)
    return seen


class Writer:
    """Writes one run's series directory (in a scratch place; the caller moves it in)."""

    def __init__(self, repo, base, tip, parts, recipients, out, author):
        self.repo, self.base, self.tip = repo, base, tip
        self.author = author            # (name, email) of the person sending
        self.parts, self.recipients, self.out = parts, recipients, out

    def format_part(self, number, part):
        where = os.path.join(self.out, part.directory)
        first, last = part.commits[0][0], part.commits[-1][0]
        # The cover letter is from the person sending, not whoever git config names.
        # --no-notes: the group notes are ours, whatever the user's format.notes.
        git(self.repo, *identity_args(self.author), "format-patch", "-q", "--numbered",
            "--no-notes", "--cover-letter", "--subject-prefix", part.subject_prefix,
            "--base", self.base, "-o", where, "%s^..%s" % (first, last))
        files = sorted(os.listdir(where))
        for name, (sha, _) in zip(files[1:], part.commits):
            path = os.path.join(where, name)
            text = _read_patch(path)
            paths = _paths(self.repo, sha)
            to, cc = _people(*self.recipients.for_patch(path, paths))
            cc += [c for c in _cc_trailers(self.repo, sha) if c not in to and c not in cc]
            _write_patch(path, _with_headers(text, to, cc))
            part.patches.append({"file": name, "subject": _subject(text), "to": to, "cc": cc,
                                 "paths": paths})
        self._cover(number, part, os.path.join(where, files[0]))

    def _cover(self, number, part, path):
        text = _read_patch(path)
        to = _union(p["to"] for p in part.patches)
        cc = [c for c in _union(p["cc"] for p in part.patches) if c not in to]
        if part.kind == "core":
            subject = TREEWIDE_SUBJECT + " (%s)" % part.key
        elif part.phase:
            subject = FAST_ONLY_SUBJECT % part.prefix
        else:
            subject = SUBSYSTEM_SUBJECT % part.prefix
        total = len(part.patches)
        text = text.replace("*** SUBJECT HERE ***", subject)
        part.blurb = self._blurb(number, part)
        text = text.replace("*** BLURB HERE ***", part.blurb)
        date = git(self.repo, "log", "-1", "--format=%cD", part.commits[-1][0]).strip()
        _write_patch(path, _with_headers(text, to, cc, date=date))
        part.subject = "[%s 0/%d] %s" % (part.subject_prefix, total, subject)
        part.to, part.cc = to, cc

    def _blurb(self, number, part):
        before = [p for p in self.parts[:number] if p.kind == "core"]
        after = [p for p in self.parts[number + 1:] if p.kind == "core"]
        text = self.overview() + "\n"
        if part.kind == "callers":
            text += _fill(
                "These patches convert the callers under %s. They are part %d of %d of "
                "the change (0000-cover-letter.patch lists every part), and apply on top "
                "of %s; %s needs them in." % (
                    part.key, number + 1, len(self.parts),
                    " and ".join(p.directory for p in before) or "the base",
                    " and ".join(p.directory for p in after) or "nothing"))
        else:
            text += _fill(
                "This is the %s of the core series: part %d of %d of the change "
                "(0000-cover-letter.patch lists every part)." % (part.key, number + 1,
                                                                  len(self.parts)))
        return text + "\n\n" + _routing_text(part) + "\n"

    def overview(self):
        """What the whole change does, the fast-only phase included when there is one."""
        if any(p.phase for p in self.parts):
            return OVERVIEW + "\n" + FAST_ONLY_OVERVIEW
        return OVERVIEW

    def treewide_cover(self, atomic_dir):
        to = _union(p.to for p in self.parts)
        cc = [c for c in _union(p.cc for p in self.parts) if c not in to]
        lines = [self.overview(), "The change comes as %d series, to be applied in this order; "
                           "each one builds, and so does every patch in it:" % len(self.parts),
                 ""]
        for number, part in enumerate(self.parts):
            lines.append("  %s  %d patch%s, %s" % (part.directory, len(part.patches),
                                                   "" if len(part.patches) == 1 else "es",
                                                   part.key))
            lines.append("      through %s%s" % (part.route, "; needs \"%s\"" % part.depends[0]
                                                 if part.depends else ""))
        lines += ["", _fill(
            "The core goes through %s. Each subsystem can take its own series through "
            "its tree once the core patch its series needs (named above) is in; one "
            "that needs none can go at any time. Or the whole set goes through %s with "
            "the subsystem maintainers' acks. The rest of the core series goes last, "
            "after every subsystem series." % (routing.CORE_TREE, routing.CORE_TREE))]
        lines += ["", "The same change as one commit, for a maintainer who prefers it:",
                  "  %s" % atomic_dir, ""]
        stat = git(self.repo, "diff", "--stat=72", "--summary", self.base, self.tip)
        date = git(self.repo, "log", "-1", "--format=%cD", self.tip).strip()
        author = "%s <%s>" % self.author
        total = sum(len(p.patches) for p in self.parts)
        text = ("From %s Mon Sep 17 00:00:00 2001\nFrom: %s\nDate: %s\n"
                "Subject: [PATCH 0/%d] %s\n\n%s\n%s\nbase-commit: %s\n"
                % (self.tip, author, date, total, TREEWIDE_SUBJECT, "\n".join(lines), stat,
                   self.base))
        path = os.path.join(self.out, "0000-cover-letter.patch")
        with open(path, "w") as f:
            f.write(_with_headers(text, to, cc))
        return to, cc

    def atomic(self):
        """One commit with the whole change, as a patch of its own."""
        env = {}
        for who in ("AUTHOR", "COMMITTER"):
            env["GIT_%s_DATE" % who] = git(self.repo, "log", "-1", "--format=%cD",
                                           self.tip).strip()
        subjects = "\n".join("  " + s for p in self.parts for _, s in p.commits)
        author = "%s <%s>" % self.author
        message = "%s\n\n%s\nIt is the following series as one commit:\n\n%s\n\n" \
                  "Signed-off-by: %s\n" % (ATOMIC_SUBJECT, self.overview(), subjects,
                                            author)
        tree = git(self.repo, "rev-parse", self.tip + "^{tree}").strip()
        _, out, _ = run(["git", "-C", self.repo] + identity_args(self.author) +
                        ["commit-tree", tree, "-p", self.base, "-F", "-"], input=message,
                        env=env)
        commit = out.strip()
        where = os.path.join(self.out, "atomic")
        git(self.repo, "format-patch", "-q", "--base", self.base, "-o", where,
            "%s^..%s" % (commit, commit))
        path = os.path.join(where, os.listdir(where)[0])
        text = _read_patch(path)
        to, cc = _people(*self.recipients.for_patch(path, _paths(self.repo, commit)))
        _write_patch(path, _with_headers(text, to, cc))
        return os.path.relpath(path, self.out), to, cc


def _read_patch(path):
    """A patch as text that gives back its bytes (CRLF, Latin-1) when written."""
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        return f.read()


def _write_patch(path, text):
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
        f.write(text)


def _paths(repo, commit):
    """The files commit changes, from git (a patch's headers quote odd names)."""
    out = git(repo, "diff-tree", "-z", "-r", "--name-only", "--no-commit-id", commit)
    return sorted(p for p in out.split("\0") if p)


def _fill(text):
    return textwrap.fill(text, 72, break_long_words=False, break_on_hyphens=False)


def _routing_text(part):
    """What a series needs first and through which tree it goes, for its cover letter."""
    if part.kind == "core":
        return _fill("It goes through %s." % part.route)
    if part.depends:
        return _fill("It needs \"%s\" of the core series, which comes first: it goes "
                     "through %s once that is in, or through %s together with the core."
                     % (part.depends[0], part.route, routing.CORE_TREE))
    return _fill("It needs nothing beyond the base, so it can go through %s at any time "
                 "(or through %s with the core)." % (part.route, routing.CORE_TREE))


def _subject(text):
    m = re.search(r"^Subject: (.*(?:\n[ \t].*)*)", text, re.M)
    return " ".join(m.group(1).split()) if m else ""


def plan_text(parts, atomic, source):
    """The plan: each series in order, its patches with their To and Cc, the atomic patch."""
    lines = ["series, in the order to apply them (recipients from %s):" % source]
    for part in parts:
        lines.append("%s  %s  [%s; prefix from %s]" % (part.directory, part.subject, part.key,
                                                        part.prefix_source))
        for patch in part.patches:
            lines.append("    %s" % patch["subject"])
            lines.append("        To: %s" % (", ".join(patch["to"]) or "-"))
            if patch["cc"]:
                lines.append("        Cc: %s" % ", ".join(patch["cc"]))
    lines.append("atomic  %s" % atomic)
    return "\n".join(lines) + "\n"
