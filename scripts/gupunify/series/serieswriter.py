"""One run's series directory: each part's patches and cover letter, the tree-wide
cover letter, the atomic patch, and the plan as text."""
import os
import re
import textwrap

from ..common import migration
from ..common.repository import identity_args
from ..common.util import git, run
from ..groups import routing
from . import needs

# The tree-wide overview, a plain file: a numbered 0/N mail would need N patches after it.
SUMMARY = "overview.txt"
# A subject line's limit, [PATCH n/m] included (checkpatch and b4 warn past it).
SUBJECT_COLUMNS = 75


def _texts(section):
    """[series:*] of the migration as [(key words, text)], in order."""
    return [(key.split(), text) for key, text in migration.current().ini.items(section)]


def caller_titles():
    """What a series of callers does, by the calls it converts (needs.family()):
    [({old names}, "%s: ...")], from [series:caller_titles]."""
    return [(set(names), text) for names, text in _texts("series:caller_titles")]


def core_titles():
    """What a core part does, most telling first: its title is the first that fits.
    [(provides|changes|removes, name, text)], from [series:core_titles]; a name
    may hold spaces (a [provides:NAME] section's)."""
    return [tuple(key.split(None, 1)) + (text,)
            for key, text in migration.current().ini.items("series:core_titles")]


def _series(key):
    return migration.current().value("series", key)


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
        self.by_dir = {p.directory: p for p in parts}
        self.patch_ids = _patch_ids(repo, base, tip)
        for part in parts:
            part.title = title(part)

    def format_part(self, number, part):
        """The part's patches, and a cover letter when it has more than one."""
        where = os.path.join(self.out, part.directory)
        first, last = part.commits[0][0], part.commits[-1][0]
        single = len(part.commits) == 1
        # The cover letter is from the person sending, not whoever git config names.
        # --no-notes: the group notes are ours, whatever the user's format.notes.
        # A one-patch series has no cover letter: kernel practice, and b4's.
        shape = ["--no-numbered"] if single else ["--numbered", "--cover-letter"]
        git(self.repo, *identity_args(self.author), "format-patch", "-q", *shape,
            "--no-notes", "--subject-prefix", part.subject_prefix,
            "--base", self.base, "-o", where, "%s^..%s" % (first, last))
        files = sorted(os.listdir(where))
        cover = None if single else files.pop(0)
        part.blurb = self._blurb(number, part)
        own = []                # each patch's To and Cc, less its Cc: trailers
        for name, (sha, _) in zip(files, part.commits):
            path = os.path.join(where, name)
            text = _read_patch(path)
            paths = _paths(self.repo, sha)
            to, cc = _people(*self.recipients.for_patch(path, paths))
            own.append((to, cc[:]))
            cc += [c for c in _cc_trailers(self.repo, sha) if c not in to and c not in cc]
            text = self._prerequisites(part, text)
            if single:
                text = _notes(text, part.blurb)
            _write_patch(path, _with_headers(text, to, cc))
            part.patches.append({"file": name, "subject": _subject(text), "to": to, "cc": cc,
                                 "paths": paths})
        # stable@ (a Cc: trailer) goes with its patch, never with a cover letter.
        part.to = _union(to for to, _ in own)
        part.cc = [c for c in _union(cc for _, cc in own) if c not in part.to]
        if single:
            part.subject = part.patches[0]["subject"]
        else:
            self._cover(part, os.path.join(where, cover))

    def _prerequisites(self, part, text):
        """The base-commit trailer with prerequisite-patch-id lines for exactly the
        patches of the series part needs (format-patch names every commit before it)."""
        ids = ["prerequisite-patch-id: %s\n" % self.patch_ids[sha]
               for d in part.depends for sha, _ in self.by_dir[d].commits]
        text = re.sub(r"^prerequisite-patch-id: .*\n", "", text, flags=re.M)
        return re.sub(r"^(base-commit: .*\n)", lambda m: m.group(1) + "".join(ids), text,
                      count=1, flags=re.M)

    def _cover(self, part, path):
        text = _read_patch(path)
        text = text.replace("*** SUBJECT HERE ***", part.title)
        text = text.replace("*** BLURB HERE ***", part.blurb)
        text = self._prerequisites(part, text)
        date = git(self.repo, "log", "-1", "--format=%cD", part.commits[-1][0]).strip()
        _write_patch(path, _with_headers(text, part.to, part.cc, date=date))
        part.subject = _subject(text)      # [PATCH 00/40] past 9 patches, as format-patch

    def _blurb(self, number, part):
        """The cover letter's text (a one-patch series': its notes below ---)."""
        if part.kind == "mm":
            return "%s\n%s\n\n%s\n" % (self.overview(), _fill(
                "The core patches come first where the callers need them, then each "
                "subsystem's callers (one patch per API per MAINTAINERS entry, with its "
                "maintainers in To), then the rest of the core once no caller is left "
                "of what it removes. Every patch builds."), _route_text(part))
        if part.kind == "core":
            what = _fill("This is part %d of the core, one of %d series that make the "
                         "change; the others convert each subsystem's callers and go to "
                         "their own maintainers." % (
                             [p for p in self.parts if p.kind == "core"].index(part) + 1,
                             len(self.parts)))
        else:
            what = _fill("This converts the callers under %s: %s. It is one of %d series "
                         "that make the change, each sent to its own maintainers." % (
                             part.key, _converts_text(part), len(self.parts)))
        text = "" if len(part.commits) == 1 else self.overview() + "\n"
        return "%s%s\n\n%s\n\n%s\n" % (text, what, self._needs_text(part),
                                         _route_text(part))

    def _needs_text(self, part):
        """What the series needs first, by the titles the reader sees on the list."""
        if not part.depends:
            alone = [rule.alone for rule in migration.current().rules
                     if part.converts == [rule.old] and rule.alone]
            return _fill("It needs nothing beyond the base (base-commit below)%s." % (
                ": " + alone[0] if alone else ""))
        lines = ["It needs %s first:" % ("this series" if len(part.depends) == 1 else
                                        "these %d series" % len(part.depends)), ""]
        for need in part.depends:
            other = self.by_dir[need]
            reason = needs.reason(part, need)
            lines.append(textwrap.fill('"%s" (%s): %s' % (other.title, _through(other),
                                                          reason), 72,
                                       initial_indent="  - ", subsequent_indent="    ",
                                       break_long_words=False, break_on_hyphens=False))
        return "\n".join(lines)

    def overview(self):
        """What the whole change does, a later phase's part included when a part of the
        branch provides what it adds ([series] overview_more_when)."""
        mig = migration.current()
        text = mig.text(_series("overview"))
        if mig.ini.has_option("series", "overview_more") and \
                any(_series("overview_more_when") in p.provides for p in self.parts):
            return text + "\n" + mig.text(_series("overview_more"))
        return text

    def summary(self, atomic_dir):
        """The tree-wide overview as a plain file (no mail: no patch follows it)."""
        lines = [self.overview(), "The change comes as %d series, to be applied in this "
                 "order; each one builds, and so does every patch in it:" % len(self.parts),
                 ""]
        for part in self.parts:
            lines.append("  %s  %s" % (part.directory, part.title))
            lines.append("      %d patch%s, %s; through %s" % (
                len(part.patches), "" if len(part.patches) == 1 else "es", part.key,
                _through(part)))
            lines.append("      needs %s" % (", ".join(part.depends) or "nothing beyond "
                                             "the base"))
        lines += ["", _fill(
            "Each series can go through its tree once the series it needs are in; one "
            "that needs none can go at any time. Or the whole set goes through %s with "
            "the subsystem maintainers' acks (make series SHAPE=mm writes it as one "
            "series)." % routing.CORE_TREE)]
        lines += ["", "The same change as one commit, for a maintainer who prefers it:",
                  "  %s" % atomic_dir, "", "base-commit: %s" % self.base, ""]
        with open(os.path.join(self.out, SUMMARY), "w") as f:
            f.write("\n".join(lines))

    def atomic(self):
        """One commit with the whole change, as a patch of its own."""
        env = {}
        for who in ("AUTHOR", "COMMITTER"):
            env["GIT_%s_DATE" % who] = git(self.repo, "log", "-1", "--format=%cD",
                                           self.tip).strip()
        subjects = "\n".join("  " + s for p in self.parts for _, s in p.commits)
        author = "%s <%s>" % self.author
        message = "%s\n\n%s\nIt is the following series as one commit:\n\n%s\n\n" \
                  "Signed-off-by: %s\n" % (_series("atomic_subject"), self.overview(), subjects,
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


def _through(part):
    """The tree a series goes through, as its maintainers name it."""
    if not part.route:
        return "its maintainers' tree"
    if part.route == routing.CORE_TREE:
        return part.route
    name, _, branch = part.route.partition(" ")
    return "%s tree%s" % (name, "'s %s branch" % branch if branch else "")


def _route_text(part):
    """Through which tree the series goes, and who takes it when its entry names nobody."""
    if part.kind == "callers":
        tree = ("the %s" % _through(part)) if part.route else \
            "its maintainers' tree (MAINTAINERS names none)"
        text = ("It can go through %s once the series it needs are in, or through %s "
                "together with them." % (tree, routing.CORE_TREE) if part.depends else
                "It can go through %s at any time, or through %s with the core." % (
                    tree, routing.CORE_TREE))
    else:
        text = "It goes through %s%s." % (routing.CORE_TREE, ", once the series it needs "
                                          "are in" if part.depends else "")
    return _fill(text + (" " + part.unnamed if part.unnamed else ""))


def _converts_text(part):
    """What a series of callers changes, in words."""
    mig = migration.current()
    return ", and ".join(mig.rule(name).converts for name in part.converts) or \
        _series("converts")


def title(part):
    """What a series does in a cover letter's subject, within SUBJECT_COLUMNS with its
    [PATCH n/m]; a one-patch series' is its patch's subject."""
    if len(part.commits) == 1:
        return part.commits[0][1]
    room = SUBJECT_COLUMNS - len("[%s %d/%d] " % (part.subject_prefix, len(part.commits),
                                                   len(part.commits)))
    if part.kind == "mm":
        candidates = [_series("treewide_subject"), _series("atomic_subject")]
    elif part.kind == "core":
        did = {"provides": set(part.provides), "changes": {
            n for n, how in part.breaks.items() if how == "changes"},
            "removes": {n for n, how in part.breaks.items() if how == "removes"}}
        phrases = [text for kind, name, text in core_titles() if name in did[kind]]
        core = _series("core_prefix") + ": "
        candidates = [core + " and ".join(phrases[:2])] if len(phrases) > 1 else []
        candidates += [core + phrase for phrase in phrases]
        candidates.append(part.commits[0][1])
    else:
        converts = set(part.converts)
        titles = caller_titles()
        candidates = [t % part.prefix for names, t in titles if names == converts]
        candidates += [t % part.prefix for names, t in titles if names <= converts]
        candidates.append(part.commits[0][1])
    fits = [c for c in candidates if len(c) <= room]
    return fits[0] if fits else candidates[-1][:room]


def _notes(text, notes):
    """A one-patch series' notes below its --- line, where git am drops them."""
    return re.sub(r"^---\n", lambda m: "---\n" + notes.strip("\n") + "\n\n", text,
                  count=1, flags=re.M)


def _patch_ids(repo, base, tip):
    """{sha: git patch-id --stable} of base..tip, the ids format-patch --base writes."""
    log = git(repo, "log", "-p", "--no-color", "--pretty=format:commit %H",
              "%s..%s" % (base, tip), binary=True)
    out = run(["git", "-C", repo, "patch-id", "--stable"], input=log, binary=True)[1]
    return {sha: pid for pid, sha in (line.split() for line in out.decode().splitlines())}


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
