"""Which MAINTAINERS entry each converted file goes to: the per-subsystem groups."""
import os

# A group with fewer converted call sites than this joins its parent entry,
# the next broader section covering all its files, when that is the same
# community: it shares a mailing list with the group, or the group has none.
# (KVM/x86 never joins X86 ARCHITECTURE, libceph never joins NETWORKING.)
MIN_SITES = 2


class Group:
    """The files of one subsystem patch, owned by one MAINTAINERS section."""

    def __init__(self, section, files, directory=None):
        self.section = section
        self.directory = directory      # for files no section owns
        self.files = sorted(files)
        self.sites = 0
        self.merged = []        # names of the sections that joined this one
        self.learned = None     # (prefix, source) from prefixes.assign()
        self.prefix_why = None  # why history gave none, when the prefix is a guess

    @property
    def name(self):
        if self.section:
            return self.section.name
        return "no entry for %s" % self.directory

    @property
    def path_prefix(self):
        return subject_prefix(self.files)

    @property
    def prefix(self):
        """The subject prefix: learned (prefixes.assign) when known, else from the path."""
        return self.learned[0] if self.learned else self.path_prefix

    @property
    def prefix_source(self):
        return self.learned[1] if self.learned else "path"


def subject_prefix(files):
    """A subject prefix from the files' common directory: the last resort.

    drivers/ and arch/ are dropped (media/v4l2-core, powerpc/kvm), a deep path
    keeps its first and last components (infiniband/hfi1), and a lone file in a
    shallow directory adds its name (mm/gup_benchmark, lib/iov_iter).
    """
    dirs = [os.path.dirname(f).split("/") for f in files]
    common = []
    for parts in zip(*dirs):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    if common and common[0] in ("drivers", "arch"):
        common = common[1:]
    if len(common) > 2:
        common = [common[0], common[-1]]
    if len(files) == 1 and len(common) < 2:
        common.append(os.path.splitext(os.path.basename(files[0]))[0])
    return "/".join(common) or "treewide"


def _parent_section(maintainers, group):
    """The most specific section broader than the group's own that covers all its files.

    A section that matches only by an N: regex (depth 0) is nobody's parent.
    """
    own = group.section
    candidates = None
    for path in group.files:
        covering = {s.index: (d, s) for d, s in maintainers.matches(path) if not s.catch_all}
        if candidates is None:
            candidates = covering
        else:
            candidates = {i: min(ds, covering[i], key=lambda x: x[0])
                          for i, ds in candidates.items() if i in covering}
    if not candidates or own is None:
        return None
    own_depth = min(maintainers.depth(p, own) for p in group.files)
    own_lists = set(own.values("L"))
    broader = [(d, s) for d, s in candidates.values()
               if s is not own and 0 < d < own_depth
               and (not own_lists or own_lists & set(s.values("L")))]
    if not broader:
        return None
    return max(broader, key=lambda ds: (ds[0], -ds[1].index))[1]


def _depth(maintainers, group):
    if group.section is None:
        return 0
    return max(maintainers.depth(p, group.section) for p in group.files)


def plan(maintainers, sites_per_file, min_sites=MIN_SITES):
    """Groups for the files in sites_per_file ({path: converted sites}), in series order.

    Each file goes to the deepest section that owns it; a group under
    min_sites joins its parent until it is large enough or has none. The
    order is by prefix, so the series reads like a tree listing.
    """
    groups = {}
    for path in sorted(sites_per_file):
        owners = maintainers.owners(path)
        section = owners[0] if owners else None
        key = section.index if section else os.path.dirname(path)
        group = groups.setdefault(key, Group(section, [], None if section else key))
        group.files.append(path)
        group.sites += sites_per_file[path]
    changed = True
    while changed:
        changed = False
        # Deepest first, so a driver joins its subsystem before that one is judged.
        for key, group in sorted(groups.items(), key=lambda kg: -_depth(maintainers, kg[1])):
            if group.sites >= min_sites or group.section is None:
                continue
            parent = _parent_section(maintainers, group)
            if parent is None:
                continue
            target = groups.setdefault(parent.index, Group(parent, []))
            target.files = sorted(set(target.files) | set(group.files))
            target.sites += group.sites
            target.merged += [group.name] + group.merged
            del groups[key]
            changed = True
            break
    return sorted(groups.values(), key=lambda g: (g.path_prefix, g.name))


def group_of(groups, path):
    for group in groups:
        if path in group.files:
            return group
    return None
