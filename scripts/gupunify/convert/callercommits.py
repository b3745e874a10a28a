"""The caller phase: every caller converted tree-wide, then committed group by group."""
import collections
import concurrent.futures
import contextlib
import os
import textwrap

from ..common import migration
from ..common.repository import zpaths
from ..common.tree import api_state
from ..common.progress import phase, progress
from ..common.util import git, run
from ..groups import commitformat, maintainers, prefixes, split
from . import callers
SMPL_INTRO = ("The semantic patch that makes this change, in essence (the full one %s), "
              "for Coccinelle (https://coccinelle.gitlabpages.inria.fr/website/):")


def _convert_all(wt, workdir, state, apis):
    """Run the conversions of apis tree-wide; ({api: {path: (mode, blob)}} of what each
    changed, the site records of apis, which state's sites then end with).

    Nothing is committed yet: the files a step may have rewritten are hashed
    as they are on disk, where a git add and a commit per step would read
    and write the index of the whole tree several times.

    Each step's spatch starts on the files the step before it does not
    convert while that step runs (gup-flags: the fast step's 46 files beside
    the longterm step); its other files wait for that step to end.
    """
    changes, found = {}, []
    current = {}        # {path: (mode, blob)} as the tree stands, of the files seen so far
    mig = migration.current()
    steps = mig.steps(apis)
    with contextlib.ExitStack() as running:
        ahead = None    # (the next step, begun; the API state its begin was planned on)
        for index, rules in enumerate(steps):
            api = rules[0].old
            now = api_state(wt.path)
            step = None
            if ahead:
                step, planned = ahead
                ahead = None
                if now != planned:
                    # The step before changed what its plan read: begin it again.
                    step.put_back()
                    step = None
            if _done(rules, now):
                progress(rules[0].done_message)
                state.steps.append({"step": api, "result": "already converted"})
                continue
            _check(rules, now)
            if step is None:
                step = running.enter_context(callers.CallerStep(wt, rules, workdir))
            lacking = _lacking_step(rules, now)
            if lacking:
                records = step.leave_all(lacking)
                found += records
                state.skipped_files.extend(f for f in step.skipped
                                            if f not in state.skipped_files)
                progress("%s: %d call%s left: %s" % (step.name, len(records),
                                                     "" if len(records) == 1 else "s", lacking))
                state.steps.append({"step": step.name, "result": "left for a human",
                                     "summary": lacking})
                continue
            following = steps[index + 1] if index + 1 < len(steps) else None
            ahead_too = following and not _done(following, now) and \
                not _lacking_step(following, now)
            if ahead_too:
                # What would refuse the tree refuses it now, before any spatch run.
                _check(following, now)
            step.start()
            if ahead_too:
                after = running.enter_context(callers.CallerStep(wt, following, workdir))
                after.begin_beside(step)
                ahead = after, now
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
            state.steps.append({"step": step.name,
                                "result": "converted" if made else "nothing to do",
                                "summary": callers.summarise(records)})
            if made:
                changes[api] = made
    state.sites.extend(found)
    return changes, found


def _done(rules, now):
    """Whether the tree (its API state now) shows every rule of a step done already."""
    return all(migration.holds(now, rule.done) for rule in rules)


def _check(rules, now):
    """Refuse the tree (die) where a rule of the step needs what it lacks (CHECKS)."""
    for rule in rules:
        if rule.check:
            migration.current().hooks.CHECKS[rule.check](now)


def _lacking_step(rules, now):
    """Why the callers of one step's rules cannot be converted in this tree, or None."""
    return next(filter(None, (_lacking(rule.old, now) for rule in rules)), None)


SYMLINK = "120000"

def _lacking(api, state):
    """Why api's callers cannot be converted in this tree, or None when they can.

    What a converted call names (the rule's needs) comes with the core
    series; a base with none (gup-flags: v4.19) lacks it, and a call
    converted to it would not build.
    """
    rule = migration.current().rule(api)
    if not rule.needs or state[rule.needs[1]]:
        return None
    return ("%s is absent from this tree (%s) and no core series for its "
            "base adds it: %s() kept, convert once the tree has it"
            % (rule.needs[0], migration.current().header, api))


def commit_callers(wt, workdir, state, context, apis=None):
    """Convert every caller of apis, then commit the changes one MAINTAINERS group at a time.

    apis are old names of the migration's rules; by default those of its
    first caller phase.

    The conversions run tree-wide first, so each group is known before any
    commit; then, from the same starting point, each group gets its
    longterm commit and its fast commit. Every file is in exactly one
    group, so the groups' diffs add up to the tree-wide ones. The groups'
    size and prefixes follow context's min_sites and prefix_overrides.

    Returns (the site records of apis, the groups as the report lists them,
    or None when nothing changed).
    """
    if apis is None:
        mig = migration.current()
        apis = tuple(rule.old for rule in mig.phase_rules(mig.phases[0]))
    start = wt.head()
    # The prefixes come from the history of the user's tree, not of the core
    # patches just applied on it; the groups from the MAINTAINERS of start.
    # Neither needs the conversion: both are read while it runs.
    # The files that mention the APIs (mentions.start_search) are read early,
    # less the migration's header: it declares them, the core patches change
    # it, and a path in include/linux/ is the dearest to read (git log
    # compares it with each of the directory's 1500 entries in every commit
    # there); asked for, it is read then.
    header = migration.current().header
    history = prefixes.History(wt.repo, wt.start, lambda: sorted(
        path for path, names in wt.search.result().files.items()
        if names & set(apis) and path != header))
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
    fragments = fragments_at(wt.repo, wt.start)
    groups = split.plan(owners, per_file, context.min_sites)
    with phase("subject prefixes from the history of %d files" % len(per_file)):
        prefixes.assign(wt.repo, wt.start, groups, context.prefix_overrides, history)
    prefixes.warn_guesses([(g.name, g.prefix, g.prefix_source, g.prefix_why) for g in groups])
    commits = []
    for group in groups:
        for api in changed:
            files = {p: changed[api][p] for p in group.files if p in changed[api]}
            if files:
                commits.append(_caller_message(api, group, state.sites, state.renamed,
                                               fragments, paths=sorted(files))
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


def fragments_at(repo, commit):
    """The names of the migration's text fragments whose mark commit's tree holds
    (gup-flags: cma, on a base whose old function migrates out of CMA areas)."""
    return {name for name, (_, path, mark) in migration.current().fragments.items()
            if run(["git", "-C", repo, "grep", "-q", "-F", "-e", mark, commit, "--", path],
                   check=False)[0] == 0}


def owners_at(repo, commit):
    """The MAINTAINERS of commit (an empty one when the tree has none)."""
    text = git(repo, "show", "%s:MAINTAINERS" % commit, check=False)
    return maintainers.Maintainers(text, zpaths(git(repo, "ls-tree", "-z", "-r", "-d",
                                                "--name-only", commit)))


def _owner_name(owners, path):
    found = owners.owners(path)
    return found[0].name if found else "no entry for %s" % os.path.dirname(path)


def _caller_message(api, group, records, renamed=(), fragments=(), paths=()):
    """(subject, body) of one group's commit for api's step; fragments: the names of
    the migration's text fragments that the base calls for; paths: the files the
    commit changes, named when none of the step's own calls in them was converted
    (a semantic patch that converts other rules' calls too)."""
    rule = migration.current().rule(api)
    olds = [r.old for r in migration.current().step_of(api)]
    mine = [r for r in records if r.api in olds and r.outcome == "converted"
            and r.file in group.files]
    files = sorted({r.file for r in mine})
    if files:
        called = _listed(["%s()" % old for old in olds if any(r.api == old for r in mine)])
        count = ("call of %s" % called if len(mine) == 1
                 else "%d calls of %s" % (len(mine), called))
    else:
        count, files = "calls", list(paths)
    scope = _fill(commitformat.SCOPE % {"count": count, "files": _listed(files)})
    mine = [r for r in renamed if r["file"] in group.files and r["api"] in olds]
    if mine:
        scope = _fill(
            "The %s that still named %s() in %s now name%s %s(), as the call does." % (
                _counted(mine), api, ", ".join(sorted({r["file"] for r in mine})),
                "s" if len(mine) == 1 else "", rule.new)) + "\n\n" + scope
    scope += "\n\n%s\n\n// <smpl>\n%s// </smpl>" % (_fill(SMPL_INTRO % rule.caveat), rule.smpl)
    values = {name: text if name in fragments else ""
              for name, (text, _, _) in migration.current().fragments.items()}
    return _subject(rule.subjects, group.prefix), rule.message % dict(values, scope=scope)


def _listed(items):
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else "%s and %s" % (", ".join(items[:-1]), items[-1])


def _fill(text):
    return textwrap.fill(text, 72, break_long_words=False, break_on_hyphens=False)


def longest_prefix():
    """The columns a subject prefix may have: every caller commit's shortest subject
    with it stays within the subject limit (what _subject() picks from)."""
    tail = max(min(len(t % {"prefix": ""}) for t in rule.subjects)
               for rule in migration.current().rules)
    return prefixes.SUBJECT_LIMIT - 1 - tail


def _subject(templates, prefix):
    subjects = [t % {"prefix": prefix} for t in templates]
    return next((s for s in subjects if len(s) < prefixes.SUBJECT_LIMIT), subjects[-1])


def prefix_of(subject):
    """The subsystem prefix of a commit subject ('KVM: x86' of a caller commit)."""
    for template in [t for rule in migration.current().rules for t in rule.subjects]:
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
