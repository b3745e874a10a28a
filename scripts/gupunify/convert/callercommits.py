"""The caller phase: every caller converted tree-wide, then committed group by group."""
import collections
import concurrent.futures
import os
import textwrap

from ..common.repository import zpaths
from ..common.tree import api_state, check_foll_write
from ..common.progress import phase, progress
from ..common.util import git, run
from ..csource import sites
from ..groups import commitformat, maintainers, prefixes, split
from . import callers

# Subjects, longest first: the first that keeps a subject under 75 columns
# with the group's prefix is used.
LONGTERM_SUBJECTS = ("%(prefix)s: use FOLL_LONGTERM, not get_user_pages_longterm()",
                     "%(prefix)s: use FOLL_LONGTERM")
LONGTERM_MESSAGE = """\
get_user_pages() now honours FOLL_LONGTERM: it refuses filesystem-dax
pages exactly as get_user_pages_longterm() did, so
get_user_pages_longterm(s, n, F, p, v) becomes
get_user_pages(s, n, F | FOLL_LONGTERM, p, v). The pages pinned and the
errors returned are the same.%(cma)s

%(scope)s
"""
# What get_user_pages_longterm() also does on a base that migrates long-term
# pins out of CMA areas (v5.1 does, v5.0 does not).
CMA = """ Like get_user_pages_longterm(), it also
migrates pages out of CMA areas before it pins them."""
CMA_MARK = "check_and_migrate_cma_pages"

FAST_SUBJECTS = ("%(prefix)s: pass gup_flags to get_user_pages_fast()",
                 "%(prefix)s: pass gup_flags to GUP fast")
FAST_MESSAGE = """\
get_user_pages_fast() is about to take unsigned int gup_flags instead of
int write. Pass each caller's value in flag form now: 1 and true become
FOLL_WRITE, false becomes 0, and any other expression E becomes
E ? FOLL_WRITE : 0, so that a nonzero value other than 1 cannot turn into
FOLL_TOUCH, FOLL_GET or FOLL_FORCE once the parameter is a mask.

FOLL_WRITE is 1, so every new argument has the same value as the old one
while the parameter is still int write: this changes no behaviour, and the
tree builds before and after.

%(scope)s
"""

FAST_ONLY_SUBJECTS = ("%(prefix)s: use get_user_pages_fast_only()",
                      "%(prefix)s: use GUP fast-only")
FAST_ONLY_MESSAGE = """\
__get_user_pages_fast() is going away. get_user_pages_fast_only() does
the same, never sleeping and never falling back to the slow path, but
takes gup_flags like get_user_pages_fast(). Call it instead, with the
write argument in flag form: 1 and true become FOLL_WRITE, false becomes
0, and any other expression E becomes E ? FOLL_WRITE : 0, so that a
nonzero value other than 1 cannot turn into FOLL_TOUCH, FOLL_GET or
FOLL_FORCE.

The pages pinned and the values returned are the same: this changes no
behaviour.

%(scope)s
"""

# The write argument's rewrite, the same for get_user_pages_fast() and
# __get_user_pages_fast(): %s is the call's first line.
WRITE_SMPL = """\
@@
expression A, N, E, P;
symbol true, false;
@@
%s(
  \\(0\\|E & FOLL_WRITE\\|E ? FOLL_WRITE : 0\\)
|
- 1
+ FOLL_WRITE
|
- true
+ FOLL_WRITE
|
- false
+ 0
|
- E
+ E ? FOLL_WRITE : 0
)
  , P)
"""
WRITE_CAVEAT = ("also puts a compound E in parentheses, and reports FOLL_* values passed "
                "as write and calls in #define bodies instead of rewriting them")
# The semantic patch of each conversion as a commit message gives it (as
# Coccinelle-made kernel commits do): its rewrite, without the guards and
# reports that the full rule in cocci/ adds, which the caveat names.
SMPL = {
    sites.LONGTERM: ("""\
@@
expression S, N, F, P, V;
@@
- get_user_pages_longterm(S, N, F, P, V)
+ get_user_pages(S, N, F | FOLL_LONGTERM, P, V)
""", "also writes FOLL_LONGTERM for 0 | FOLL_LONGTERM, puts a compound F "
         "in parentheses and leaves calls in #define bodies alone"),
    sites.FAST: (WRITE_SMPL % ("  get_user_pages_fast(A, N,\n"), WRITE_CAVEAT),
    sites.FAST_IRQ: (WRITE_SMPL % ("- __get_user_pages_fast(A, N,\n"
                                   "+ get_user_pages_fast_only(A, N,\n"), WRITE_CAVEAT),
}
SMPL_INTRO = ("The semantic patch that makes this change, in essence (the full one %s), "
              "for Coccinelle (https://coccinelle.gitlabpages.inria.fr/website/):")

# Per API: the commit's subjects and body.
MESSAGES = {sites.LONGTERM: (LONGTERM_SUBJECTS, LONGTERM_MESSAGE),
            sites.FAST: (FAST_SUBJECTS, FAST_MESSAGE),
            sites.FAST_IRQ: (FAST_ONLY_SUBJECTS, FAST_ONLY_MESSAGE)}


def _convert_all(wt, workdir, state, apis):
    """Run the conversions of apis tree-wide; ({api: {path: (mode, blob)}} of what each
    changed, the site records of apis, which state's sites then end with).

    Nothing is committed yet: the files a step may have rewritten are hashed
    as they are on disk, where a git add and a commit per step would read
    and write the index of the whole tree several times.
    """
    changes, found = {}, []
    current = {}        # {path: (mode, blob)} as the tree stands, of the files seen so far
    for api in apis:
        now = api_state(wt.path)
        if api == sites.FAST and now["fast_takes"] == "gup_flags":
            progress("get_user_pages_fast() already takes gup_flags here: no write "
                     "argument to convert")
            state.steps.append({"step": api, "result": "already converted"})
            continue
        if api == sites.FAST:
            check_foll_write(now)
        lacking = _lacking(api, now)
        if lacking:
            step = callers.CallerStep(wt, api, workdir)
            records = step.leave_all(lacking)
            found += records
            state.skipped_files.extend(f for f in step.skipped
                                        if f not in state.skipped_files)
            progress("%s: %d call%s left: %s" % (api, len(records),
                                                 "" if len(records) == 1 else "s", lacking))
            state.steps.append({"step": api, "result": "left for a human",
                                 "summary": lacking})
            continue
        step = callers.CallerStep(wt, api, workdir)
        records = step.run()
        found += records
        state.renamed.extend(step.renamed)
        state.skipped_files.extend(f for f in step.skipped if f not in state.skipped_files)
        current.update(wt.entries([p for p in step.files if p not in current]))
        # A symbolic link is written through, to a file that is a path of its own.
        paths = [p for p in step.files if p in current and current[p][0] != SYMLINK]
        made = {path: (current[path][0], blob) for path, blob in zip(paths, wt.hash(paths))
                if blob != current[path][1]}
        current.update(made)
        state.steps.append({"step": api, "result": "converted" if made else "nothing to do",
                             "summary": callers.summarise(records)})
        if made:
            changes[api] = made
    state.sites.extend(found)
    return changes, found


SYMLINK = "120000"

# What a converted call of each API names, and how include/linux/mm.h shows
# that the tree has it (tree.api_state()).
NEEDS = {sites.LONGTERM: ("FOLL_LONGTERM", "foll_longterm"),
         sites.FAST_IRQ: (sites.FAST_ONLY + "()", "has_fast_only")}


def _lacking(api, state):
    """Why api's callers cannot be converted in this tree, or None when they can.

    A base with no core series (v4.19) has neither FOLL_LONGTERM nor
    get_user_pages_fast_only(): a call converted to either would not build.
    """
    if api not in NEEDS or state[NEEDS[api][1]]:
        return None
    return ("%s is absent from this tree (include/linux/mm.h) and no core series for its "
            "base adds it: %s() kept, convert once the tree has it" % (NEEDS[api][0], api))


def commit_callers(wt, workdir, state, context, apis=(sites.LONGTERM, sites.FAST)):
    """Convert every caller of apis, then commit the changes one MAINTAINERS group at a time.

    The conversions run tree-wide first, so each group is known before any
    commit; then, from the same starting point, each group gets its
    longterm commit and its fast commit. Every file is in exactly one
    group, so the groups' diffs add up to the tree-wide ones. The groups'
    size and prefixes follow context's min_sites and prefix_overrides.

    Returns (the site records of apis, the groups as the report lists them,
    or None when nothing changed).
    """
    start = wt.head()
    # The prefixes come from the history of the user's tree, not of the core
    # patches just applied on it; the groups from the MAINTAINERS of start.
    # Neither needs the conversion: both are read while it runs.
    # The files that mention the APIs (mentions.start_search) are read early.
    history = prefixes.History(wt.repo, wt.start, lambda: sorted(
        path for path, names in wt.search.result().files.items() if names & set(apis)))
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        owners = pool.submit(owners_at, wt.repo, start)
        return _commit_groups(wt, workdir, state, context, apis, start, history, owners)


def _commit_groups(wt, workdir, state, context, apis, start, history, owners):
    """commit_callers() with the files' prefix history and the owners (a future) under
    way in the background."""
    changed, mine = _convert_all(wt, workdir, state, apis)
    if not changed:
        return mine, None
    per_file = collections.Counter(r.file for r in mine if r.outcome == "converted")
    for files in changed.values():
        for path in files:
            per_file.setdefault(path, 0)
    owners = owners.result()
    cma = migrates_cma(wt.repo, wt.start)
    groups = split.plan(owners, per_file, context.min_sites)
    with phase("subject prefixes from the history of %d files" % len(per_file)):
        prefixes.assign(wt.repo, wt.start, groups, context.prefix_overrides, history)
    prefixes.warn_guesses([(g.name, g.prefix, g.prefix_source, g.prefix_why) for g in groups])
    commits = []
    for group in groups:
        for api in changed:
            files = {p: changed[api][p] for p in group.files if p in changed[api]}
            if files:
                commits.append(_caller_message(api, group, state.sites, state.renamed, cma)
                               + (files, commitformat.note_text(group.name, api, group.prefix,
                                                              group.prefix_source,
                                                              group.prefix_why)))
    wt.commit_files(start, commits, sorted({p for files in changed.values() for p in files}))
    for record in mine:
        group = split.group_of(groups, record.file)
        record.group = group.name if group else _owner_name(owners, record.file)
    progress("callers committed in %d MAINTAINERS groups" % len(groups))
    return mine, [{"name": g.name, "prefix": g.prefix, "prefix_source": g.prefix_source,
                   "prefix_why": g.prefix_why, "files": g.files, "sites": g.sites,
                   "merged": g.merged} for g in groups]


def migrates_cma(repo, commit):
    """Does get_user_pages_longterm() of commit's tree migrate pages out of CMA areas?"""
    return run(["git", "-C", repo, "grep", "-q", "-F", "-e", CMA_MARK, commit, "--", "mm/gup.c"],
               check=False)[0] == 0


def owners_at(repo, commit):
    """The MAINTAINERS of commit (an empty one when the tree has none)."""
    text = git(repo, "show", "%s:MAINTAINERS" % commit, check=False)
    return maintainers.Maintainers(text, zpaths(git(repo, "ls-tree", "-z", "-r", "-d",
                                                "--name-only", commit)))


def _owner_name(owners, path):
    found = owners.owners(path)
    return found[0].name if found else "no entry for %s" % os.path.dirname(path)


def _caller_message(api, group, records, renamed=(), cma=False):
    """(subject, body) of one group's commit for api; cma: the base migrates
    long-term pins out of CMA areas."""
    mine = [r for r in records if r.api == api and r.outcome == "converted"
            and r.file in group.files]
    count = ("call of %s()" % api if len(mine) == 1
             else "%d calls of %s()" % (len(mine), api))
    files = sorted({r.file for r in mine})
    listed = files[0] if len(files) == 1 else "%s and %s" % (", ".join(files[:-1]), files[-1])
    scope = _fill(commitformat.SCOPE % {"count": count, "files": listed})
    mine = [r for r in renamed if r["file"] in group.files and r["api"] == api]
    if mine:
        scope = _fill(
            "The %s that still named %s() in %s now name%s %s(), as the call does." % (
                _counted(mine), api, ", ".join(sorted({r["file"] for r in mine})),
                "s" if len(mine) == 1 else "", sites.RENAMED[api])) + "\n\n" + scope
    smpl, caveat = SMPL[api]
    scope += "\n\n%s\n\n// <smpl>\n%s// </smpl>" % (_fill(SMPL_INTRO % caveat), smpl)
    subjects, message = MESSAGES[api]
    return _subject(subjects, group.prefix), message % {"scope": scope,
                                                        "cma": CMA if cma else ""}


def _fill(text):
    return textwrap.fill(text, 72, break_long_words=False, break_on_hyphens=False)


def longest_prefix():
    """The columns a subject prefix may have: every caller commit's shortest subject
    with it stays within the subject limit (what _subject() picks from)."""
    tail = max(min(len(t % {"prefix": ""}) for t in subjects)
               for subjects, _ in MESSAGES.values())
    return prefixes.SUBJECT_LIMIT - 1 - tail


def _subject(templates, prefix):
    subjects = [t % {"prefix": prefix} for t in templates]
    return next((s for s in subjects if len(s) < prefixes.SUBJECT_LIMIT), subjects[-1])


def prefix_of(subject):
    """The subsystem prefix of a commit subject ('KVM: x86' of a caller commit)."""
    for template in LONGTERM_SUBJECTS + FAST_SUBJECTS + FAST_ONLY_SUBJECTS:
        tail = template % {"prefix": ""}
        if subject.endswith(tail) and len(subject) > len(tail):
            return subject[:-len(tail)]
    return subject.split(":", 1)[0]


def _counted(renamed):
    """'message and 2 comments' for a list of renamed strings and comments."""
    kinds = collections.Counter(r["kind"] for r in renamed)
    words = {"string": "message", "comment": "comment"}
    return " and ".join("%s%s%s" % ("%d " % n if n > 1 else "", words[k], "s" if n > 1 else "")
                        for k, n in sorted(kinds.items(), reverse=True))
