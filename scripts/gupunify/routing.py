"""Through which tree each series goes, and which core patch it needs first.

The core goes through mm. A group of callers goes through its subsystem's
tree (the T: lines of MAINTAINERS, the group's own entry first, then the
broader ones owning its files); a networking group through net-next, which
its subject says ([PATCH net-next n/m]), as netdev asks. A group converting
get_user_pages_longterm() callers needs the core patch that teaches
get_user_pages() FOLL_LONGTERM; get_user_pages_fast() callers need nothing
new (FOLL_WRITE is old); a group moving to get_user_pages_fast_only() (the
--fast-only phase) needs the core patch that adds it.
"""
import re

from .util import git

NETDEV = "netdev@vger.kernel.org"
CORE_TREE = "mm"
MM = "MEMORY MANAGEMENT"


def is_net(section):
    """A networking group: a NETWORKING entry, or netdev as list and no tree of its own.

    (vhost lists netdev but has its own tree; RDS lists netdev and has none.)
    """
    return bool(section) and (section.name.startswith("NETWORKING")
                              or (NETDEV in " ".join(section.values("L"))
                                  and not section.values("T")))


def _trees(owners, section, files):
    """T: lines (without the SCM word), the group's own entry first, then broader ones."""
    sections = [section] if section else []
    for path in files:
        sections += [s for s in owners.owners(path) if s not in sections]
    trees = []
    for s in sections:
        for value in s.values("T"):
            tree = value.split(None, 1)[-1]
            if tree not in trees:
                trees.append(tree)
    return trees


# What a core commit provides and a caller commit then depends on: the line
# its diff adds to mm.h, and the name a caller's diff adds.
LONGTERM = (r"^\+#define FOLL_LONGTERM\b", r"^\+.*\bFOLL_LONGTERM\b")
FAST_ONLY = (r"^\+.*\bget_user_pages_fast_only\s*\(", r"^\+.*\bget_user_pages_fast_only\b")


def adds(repo, sha, api):
    """Does this commit add the API (api: LONGTERM or FAST_ONLY) to mm.h?"""
    diff = git(repo, "show", "--format=", sha, "--", "include/linux/mm.h")
    return bool(re.search(api[0], diff, re.M))


def uses(repo, sha, api):
    """Does this commit's diff add a use of the API?"""
    diff = git(repo, "show", "--format=", sha)
    return bool(re.search(api[1], diff, re.M))


def plan(repo, owners, parts, files_of):
    """Set each part's route (text), net flag and depends ([subject]) in place."""
    sections = {s.name: s for s in owners.sections}
    provider = fast_only = None
    for part in parts:
        if part.kind == "core":
            mm = [s for p in files_of(part) for s in owners.owners(p)
                  if s.name == MM]
            trees = _trees(owners, mm[0] if mm else None, [])
            part.route = CORE_TREE + (" (%s)" % trees[0] if trees else "")
            part.net, part.depends = False, []
            for sha, subject in part.commits:
                if provider is None and adds(repo, sha, LONGTERM):
                    provider = subject
                if fast_only is None and adds(repo, sha, FAST_ONLY):
                    fast_only = subject
            continue
        section = sections.get(part.key)
        part.net = is_net(section)
        trees = _trees(owners, section, files_of(part))
        if section and section.name == MM:
            part.route = CORE_TREE + (" (%s)" % trees[0] if trees else "")
        elif part.net:
            nexts = [t for t in trees if "net-next" in t]
            part.route = "net-next" + (" (%s)" % nexts[0] if nexts else "")
        elif trees:
            part.route = trees[0]
        else:
            part.route = "its maintainers' tree (no T: in MAINTAINERS)"
        part.depends = ([provider] if provider and any(uses(repo, sha, LONGTERM)
                                                       for sha, _ in part.commits) else [])
        if fast_only and any(uses(repo, sha, FAST_ONLY) for sha, _ in part.commits):
            part.depends.append(fast_only)
