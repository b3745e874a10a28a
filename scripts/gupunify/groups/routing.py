"""Through which tree each series goes, named as maintainers name it, and who takes it.

The core goes through mm. A group of callers goes through its subsystem's
tree (the T: lines of MAINTAINERS, the group's own entry first, then the
broader ones owning its files), named as its maintainers speak of it:
"rdma" for .../rdma/rdma.git, "net-next", "media" for linuxtv's
media_tree.git, "powerpc/linux" where the repository's own name says
nothing. A networking group goes through net-next, which its subject says
([PATCH net-next n/m]), as netdev asks. An entry without M: names nobody
who takes it: its series goes To its lists, and the cover letter says so.
What each series needs first is needs.py's.
"""
import re

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


# Repository names that say nothing of the tree alone: their owner's
# directory goes with them (xen/tip is not the x86 tip tree).
GENERIC = ("linux", "linux-2.6", "tip")


def tree_name(line):
    """A T: line as maintainers name the tree: "rdma", "net-next", "tip locking/core"."""
    words = line.split()
    if words and words[0] in ("git", "hg", "quilt", "topgit"):
        words = words[1:]
    if not words:
        return line.strip()
    url, branch = words[0].rstrip("/"), " ".join(words[1:])
    parts = [p for p in re.split(r"[/:]+", url) if p]
    name = re.sub(r"_tree$", "", re.sub(r"\.git$", "", parts[-1])) if parts else url
    owner = parts[-2] if len(parts) > 1 else ""
    if name in GENERIC and owner and owner != name:
        name = "%s/%s" % (owner, name)
    elif name.startswith("linux-") and not re.match(r"linux-[\d.]+$", name):
        name = name[len("linux-"):]
    return (name + " " + branch).strip()


def _unnamed(section, files):
    """Who takes a series whose entry names no maintainer: a sentence, or None."""
    if section is None:
        return ("No MAINTAINERS entry covers %s: its patches go To the lists that do." %
                (files[0] if len(files) == 1 else "its files"))
    if not section.values("M"):
        lists = section.values("L")
        return ("%s names no maintainer (no M: in MAINTAINERS): its patches go To %s." % (
            section.name, "its list%s, %s" % ("" if len(lists) == 1 else "s",
                                               ", ".join(lists)) if lists else "its lists"))
    return None


def plan(owners, parts, files_of):
    """Set each part's route (a tree's name), tree (its T: line), net flag and
    unnamed (who takes a series whose entry has no M:) in place."""
    sections = {s.name: s for s in owners.sections}
    mm = next((s for s in owners.sections if s.name == MM), None)
    for part in parts:
        section = mm if part.kind != "callers" else sections.get(part.key)
        part.net = part.kind == "callers" and is_net(section)
        trees = _trees(owners, section, files_of(part) if part.kind == "callers" else [])
        part.tree = trees[0] if trees else None
        if section is mm or part.kind != "callers":
            part.route = CORE_TREE
        elif part.net:
            nexts = [t for t in trees if "net-next" in t]
            part.route, part.tree = "net-next", nexts[0] if nexts else None
        elif trees:
            part.route = tree_name(trees[0])
        else:
            part.route = None
        part.unnamed = _unnamed(section, files_of(part))
