"""Build checks for every step of a series, on every arch the series touches."""
import concurrent.futures
import contextlib
import fcntl
import hashlib
import json
import os
import re
import time

from . import affected, kbuild, report
from .tree import KernelTree
from .util import UserError, die, git, progress, run, write_atomic
from .workspace import checkout, repository, scratch_dir, series_range

# Diagnostics: "file:line[:col]: warning|error: message", and "cc1: error: ..." ones.
_DIAG = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?:\d+:)? "
                   r"(?P<kind>warning|error|fatal error): (?P<msg>.*)$")
_TOOL_ERROR = re.compile(r"^(?P<file>[\w.+-]+): (?P<kind>error|fatal error): (?P<msg>.*)$")
_BLOCK = re.compile(r"^  (?P<verb>[A-Z][A-Z0-9_]*)(?: \[M\])?\s+(?P<path>\S+)$")


def normalise_path(path, src, objdir):
    """A diagnostic's file as a tree path (or O/... for generated files)."""
    full = path if os.path.isabs(path) else os.path.normpath(os.path.join(objdir, path))
    for root, prefix in ((src, ""), (objdir, "O/")):
        rel = os.path.relpath(full, root)
        if not rel.startswith(".."):
            return prefix + rel
    return path


def diagnostic_key(file, kind, msg):
    """A warning or error as compared across builds: line and column numbers dropped."""
    # gcc quotes with ‘’ or '' depending on the locale a cached compile ran in.
    msg = msg.strip().replace("\u2018", "'").replace("\u2019", "'")
    return "%s: %s: %s" % (file, "error" if kind == "fatal error" else kind, msg)


def parse_build_output(text, src, objdir):
    """Split make -O output into {object: {"warnings": set, "errors": [str]}} and stray errors.

    With --output-sync each recipe prints as one block, headed by its kbuild
    line ("  CC [M]  drivers/x.o", "  CHECK   mm/gup.c"); the diagnostics
    under it belong to that object.
    """
    objects, stray = {}, []
    current = None
    for line in text.splitlines():
        block = _BLOCK.match(line)
        if block:
            path = block.group("path")
            if os.path.isabs(path) or path.startswith(".."):
                # CHECK names the source under $(srctree), CC the object under O=.
                path = normalise_path(path, src, objdir)
                path = path[2:] if path.startswith("O/") else path
            if block.group("verb") in ("CC", "CHECK") and path.endswith((".o", ".c")):
                current = objects.setdefault(path[:-2] + ".o",
                                             {"warnings": set(), "errors": []})
            else:
                current = None
            continue
        m = _DIAG.match(line) or _TOOL_ERROR.match(line)
        if not m:
            continue
        file = normalise_path(m.group("file"), src, objdir) if "line" in m.groupdict() \
            else m.group("file")
        key = diagnostic_key(file, m.group("kind"), m.group("msg"))
        if current is None:
            if m.group("kind") != "warning":
                stray.append(key)
            continue
        if m.group("kind") == "warning":
            current["warnings"].add(key)
        elif key not in current["errors"]:
            current["errors"].append(key)
    return objects, stray


def compare(before, after):
    """New warnings and errors of an object build against its previous build (or none)."""
    old_w = before["warnings"] if before else set()
    old_e = set(before["errors"]) if before else set()
    return sorted(after["warnings"] - old_w), [e for e in after["errors"] if e not in old_e]


class ArchBuild:
    """One (arch, config) build directory of the check: configure once, then build objects."""

    def __init__(self, name, src, workdir, version, jobs, sparse, config_target=None,
                 env=None):
        self.name = name
        self.env = env
        self.config_target = config_target or kbuild.ARCHES[name].config
        self.src = src
        self.version = version
        self.jobs = jobs
        self.sparse = sparse
        self.objdir = os.path.join(workdir, "%s-%s" % (name, self.config_target))
        self.skip = kbuild.missing_toolchain(name)
        self.knobs = []
        self.config = {}
        self.compile_seconds = 0.0
        self.compiled = 0
        self.seconds = {}

    @property
    def label(self):
        return "%s %s" % (self.name, self.config_target)

    def make(self, *targets):
        return kbuild.make(self.name, self.src, self.objdir, self.jobs, self.knobs, *targets,
                           env=self.env)

    def configure(self, base, facts):
        """Configure at base, unless the build directory already is; then make prepare.

        A failure is not raised: it makes the arch skipped, with the reason.
        """
        start = time.monotonic()
        try:
            self.configure_only(base, facts)
            progress("%s: make prepare" % self.label)
            kbuild.checked_make(self.name, self.src, self.objdir, self.jobs, self.knobs,
                                self.label, "prepare", env=self.env)
        except UserError as e:
            self.skip = str(e)
        self.seconds["configure"] = self.seconds.get("configure", 0) + time.monotonic() - start

    def configure_only(self, base, facts):
        """Write .config for base with the knobs, unless the build directory has it already."""
        self.knobs = kbuild.knobs(self.name, self.src, self.version, facts)
        config_ops = [op for knob in self.knobs for op in knob.config]
        stamp_path = os.path.join(self.objdir, ".gup-unify-buildcheck")
        stamp = json.dumps({"base": base, "target": self.config_target, "ops": config_ops,
                            "make": [k.make_vars for k in self.knobs]}, sort_keys=True)
        old = ""
        if os.path.exists(stamp_path):
            with open(stamp_path) as f:
                old = f.read()
        if old != stamp:
            progress("%s: configuring" % self.label)
            kbuild.configure(self.name, self.src, self.objdir, self.jobs, self.knobs,
                             self.config_target, self.label, env=self.env)
            write_atomic(stamp_path, stamp)
        self.config = kbuild.read_config(self.objdir)

    def inputs(self, obj):
        """The tree files obj's last compile read, from kbuild's .cmd file (None: no file)."""
        path = os.path.join(self.objdir, os.path.dirname(obj), ".%s.cmd" % os.path.basename(obj))
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        files = set()
        for token in re.findall(r"[^\s()$\\:=]+", text):
            full = os.path.normpath(os.path.join(self.objdir, token))
            rel = os.path.relpath(full, self.src)
            if not rel.startswith("..") and os.path.isfile(full):
                files.add(rel)
        return files

    def build(self, objects, phase):
        """Compile objects afresh; {object: {"warnings", "errors", "built"}} plus stray errors.

        The wall time is added to self.seconds[phase].
        """
        start = time.monotonic()
        results, stray = {}, []
        for obj in objects:
            try:
                os.unlink(os.path.join(self.objdir, obj))
            except FileNotFoundError:
                pass
        self._make(objects, results, stray)
        # Targets in one directory can race on their .cmd files under -j: the
        # ones that did not come out of the batch are retried alone.
        if len(objects) > 1:
            for obj in objects:
                if not results[obj]["built"] and not results[obj]["errors"]:
                    self._make([obj], results, stray)
        self.seconds[phase] = self.seconds.get(phase, 0) + time.monotonic() - start
        return results, stray

    def _make(self, objects, results, stray):
        targets = ["-k", "--output-sync=target"] + list(objects)
        if self.sparse:
            targets.append("C=1")
        start = time.monotonic()
        _, out = self.make(*targets)
        elapsed = time.monotonic() - start
        parsed, stray_now = parse_build_output(out, self.src, self.objdir)
        stray += stray_now
        for obj in objects:
            got = parsed.get(obj, {"warnings": set(), "errors": []})
            got["built"] = os.path.exists(os.path.join(self.objdir, obj))
            results[obj] = got
        if len(objects) > 1:
            self.compile_seconds += elapsed
            self.compiled += sum(results[o]["built"] for o in objects)


class Lock:
    """An exclusive lock on a check's work directory: a second run waits for the first."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.f = open(self.path, "w")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("another build check is running on this tree: waiting for it (%s)"
                     % self.path)
            fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.f.close()


def place(sources, arches, makefiles, builds):
    """Where each source is compiled: {source: [(arch, None | reason it is not)]}.

    A source builds in its home arch's config; generic mm/ code in every arch
    in play too. A source its home config does not build moves to the first
    other arch in play whose config does.
    """
    placement = {}
    for src in sources:
        home = affected.home_arch(src)
        wanted = [home] + ([a for a in arches if a != home] if affected.is_mm_core(src) else [])
        spots = [(home, why_not(src, home, arches, makefiles, builds))]
        # The extra arches of mm/ code count only where their config builds it.
        spots += [(a, None) for a in wanted[1:]
                  if why_not(src, a, arches, makefiles, builds) is None]
        if spots[0][1] and home == affected.GENERIC and not affected.is_mm_core(src):
            tried = []
            for arch in arches:
                if arch == home:
                    continue
                why = why_not(src, arch, arches, makefiles, builds)
                if why is None:
                    spots.append((arch, None))
                    break
                if why.startswith("not built in "):
                    tried.append(builds[arch].label)
            else:
                if tried:
                    spots[0] = (home, "%s; nor in %s" % (spots[0][1], ", ".join(tried)))
        placement[src] = spots
    return placement


def why_not(src, arch, arches, makefiles, builds):
    """None when arch's config builds src, else the reason it is not built there."""
    build = builds.get(arch)
    if arch not in arches or build is None:
        if arch not in kbuild.ARCHES:
            return "skipped: no toolchain (the check has no cross compiler for arch/%s)" % arch
        return "skipped: %s is not among the arches checked" % arch
    if build.skip:
        return "skipped: " + build.skip
    enabled, reason = makefiles.enabled(src, build.config)
    if enabled is False:
        return "not built in %s: %s" % (build.label, reason)
    return None


def fallback(placement, in_play, makefiles, builds, base, facts):
    """Objects no config in play builds go to an arch's allmodconfig that does, if any.

    sbus, spapr and sh drivers are not x86 objects; trying the allmodconfig
    of each arch in play (configured only when needed, prepared only when it
    builds something) beats reporting them unchecked.
    """
    homeless = [src for src, spots in sorted(placement.items())
                if not any(why is None for _, why in spots)
                and not spots[0][1].startswith("skipped: ")]
    candidates = []
    for name in in_play:
        primary = builds.get(name)
        if homeless and primary and not primary.skip and \
                primary.config_target != "allmodconfig":
            candidates.append(ArchBuild(name, primary.src, os.path.dirname(primary.objdir),
                                        primary.version, primary.jobs, primary.sparse,
                                        "allmodconfig", primary.env))

    def configure_only(build):
        try:
            build.configure_only(base, facts)
        except UserError as e:
            progress("%s: %s" % (build.label, e))
            build.skip = str(e)
    # Configured side by side: in practice every candidate is tried (some
    # object, such as an arm-only staging driver, is homeless everywhere).
    in_parallel(configure_only, candidates)
    tried, chosen = [], []
    for build in candidates:
        tried.append(build.label)
        found = [src for src in homeless if not build.skip
                 and makefiles.enabled(src, build.config)[0] is True]
        if found:
            chosen.append((build, found))
            homeless = [src for src in homeless if src not in found]
    in_parallel(lambda build: build.configure(base, facts), [b for b, _ in chosen])
    for build, found in chosen:
        if build.skip:
            progress("%s: %s" % (build.label, build.skip))
            homeless += found
            continue
        builds["%s-allmodconfig" % build.name] = build
        for src in found:
            placement[src].append(("%s-allmodconfig" % build.name, None))
    for src in homeless:
        arch, why = placement[src][0]
        if tried:
            placement[src][0] = (arch, "%s%s%s" % (why, ", " if "; nor in " in why
                                                   else "; nor in ", ", ".join(tried)))


def run_checkpatch(src, repo, commit):
    """scripts/checkpatch.pl on one commit: (errors, warnings, first lines)."""
    patch = git(repo, "format-patch", "-1", "--stdout", commit)
    _, out, _ = run(["perl", os.path.join(src, "scripts", "checkpatch.pl"), "--no-tree",
                     "--terse", "--show-types", "-"], cwd=src, input=patch, check=False)
    lines = [l for l in out.splitlines() if ": ERROR:" in l or ": WARNING:" in l]
    return {"errors": sum(": ERROR:" in l for l in lines),
            "warnings": sum(": WARNING:" in l for l in lines),
            "messages": lines[:20]}


class Phases:
    """Wall and CPU seconds of each phase of a check, and how loaded the machine was.

    CPU is user + system time of the checker and of every program it ran
    (the compilers): against the wall time it says whether the machine was
    the limit, and it does not change with the load of others' jobs.
    """

    def __init__(self):
        self.rows = []
        self.start = time.monotonic()
        self.load_start = os.getloadavg()

    @staticmethod
    def cpu():
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    @contextlib.contextmanager
    def __call__(self, name):
        wall, cpu = time.monotonic(), self.cpu()
        row = {"phase": name}
        yield row
        row.update(wall=round(time.monotonic() - wall, 1), cpu=round(self.cpu() - cpu, 1),
                   load=round(os.getloadavg()[0], 1))
        self.rows.append(row)

    def as_dict(self):
        return {"phases": self.rows, "total": round(time.monotonic() - self.start, 1),
                "cpu": round(self.cpu(), 1),
                "load": {"start": [round(x, 1) for x in self.load_start],
                         "end": [round(x, 1) for x in os.getloadavg()]}}


def in_parallel(function, items):
    """function(item) for every item at once, in threads: {item: result}, first error raised.

    Each item is an arch's make: most of a make run is make itself reading
    Makefiles, one core each, so arches side by side fill the cores that
    one arch's -j cannot.
    """
    items = list(items)
    if len(items) <= 1:
        return {item: function(item) for item in items}
    with concurrent.futures.ThreadPoolExecutor(len(items)) as pool:
        futures = {item: pool.submit(function, item) for item in items}
        return {item: future.result() for item, future in futures.items()}


def check(kernel_path, branch="gup-unify", base=None, arches=None, sparse=False,
          checkpatch=False, reports_dir=None, jobs=None, configs=None, distcc_hosts=None):
    """Build-check every step of BASE..BRANCH; writes the report, returns the exit status.

    configs maps a check arch to the config target to use instead of its
    default (allmodconfig for x86_64, the defconfig elsewhere); distcc_hosts
    (DISTCC_HOSTS) sends the compiles there, -j their slots unless jobs.
    """
    configs = configs or {}
    phases = Phases()
    env = None
    if distcc_hosts:
        slots, env = kbuild.distcc(distcc_hosts)
        jobs = jobs or slots
    tree = KernelTree(kernel_path)
    where = report.folder(reports_dir, tree)
    # Locked only while a plain directory's import is brought up to date: the
    # check reads commits, and its own work directory has a lock of its own.
    with repository(tree) as repo:
        base, tip = series_range(repo, branch, base)
        commits = git(repo, "rev-list", "--reverse", "%s..%s" % (base, tip)).split()
    if arches:
        unknown = [a for a in list(arches) + list(configs) if a not in kbuild.ARCHES]
        if unknown:
            die("unknown arch %s (known: %s)" % (", ".join(unknown),
                                                 ", ".join(sorted(kbuild.ARCHES))))
    jobs = jobs or os.cpu_count() or 1
    progress("%d steps in %s..%s" % (len(commits), base[:12], branch))
    steps, parent = [], base
    with phases("find objects"):
        for commit in commits:
            sources, notes = affected.step_sources(repo, parent, commit)
            changed = git(repo, "diff", "--name-only", "--no-renames", parent, commit).split()
            steps.append({"commit": commit,
                          "subject": git(repo, "log", "-1", "--format=%s", commit).strip(),
                          "sources": sources, "notes": notes, "changed": changed})
            parent = commit
    every = sorted({s for step in steps for s in step["sources"]})
    in_play = affected.arches_in_play(every)
    if arches:
        in_play = [a for a in in_play if a in arches] + [a for a in arches if a not in in_play]
    digest = hashlib.sha1(os.path.realpath(repo).encode()).hexdigest()[:10]
    workdir = os.path.join(scratch_dir(), "buildcheck", "%s-%s" % (tree.name, digest))
    os.makedirs(workdir, exist_ok=True)
    with Lock(os.path.join(workdir, "lock")):
        with phases("configure"):
            src = os.path.join(workdir, "src")
            checkout(repo, src, base)
            facts = kbuild.tree_facts(src)
            builds = {name: ArchBuild(name, src, workdir, tree.full_version, jobs, sparse,
                                      configs.get(name), env)
                      for name in in_play if name in kbuild.ARCHES}
            in_parallel(lambda b: b.configure(base, facts),
                        [b for b in builds.values() if not b.skip])
            makefiles = kbuild.Makefiles(affected.Source(repo, commits[-1]).read)
            placement = place(every, in_play, makefiles, builds)
            fallback(placement, in_play, makefiles, builds, base, facts)
        exists_at_base = affected.Source(repo, base)
        last = {}
        with phases("baseline"):
            wanted = {name: sorted({kbuild.object_of(s) for s, spots in placement.items()
                                    for arch, why in spots if arch == name and why is None
                                    and exists_at_base.exists(s)})
                      for name, build in builds.items() if not build.skip}
            for name, objs in wanted.items():
                if objs:
                    progress("%s: baseline, %d objects" % (name, len(objs)))
            built = in_parallel(lambda name: builds[name].build(wanted[name], "baseline"),
                                [name for name, objs in wanted.items() if objs])
            for name, (results, _) in built.items():
                for obj, result in results.items():
                    last[(name, obj)] = result
        for number, step in enumerate(steps, 1):
            step["number"] = number
        for joined in runs_of(steps):
            first, end = joined[0]["number"], joined[-1]["number"]
            name = "step %d" % first if len(joined) == 1 else "steps %d-%d" % (first, end)
            progress("%s/%d: %s" % (name, len(steps), joined[-1]["subject"] if len(joined) == 1
                                    else "%d steps changing .c files only" % len(joined)))
            with phases(name) as row:
                redo = run_together(joined, repo, src, placement, builds, last)
            for step in joined:
                step["seconds"] = round(row["wall"] / len(joined), 1)
                step["cpu"] = round(row["cpu"] / len(joined), 1)
            for step in redo:
                with phases("step %d" % step["number"]) as row:
                    checkout(repo, src, step["commit"])
                    step["cells"] = run_step(step, placement, builds, last)
                step["seconds"] += row["wall"]
                step["cpu"] += row["cpu"]
        failed = 0
        for step in steps:
            if checkpatch:
                step["checkpatch"] = run_checkpatch(src, repo, step["commit"])
            step["result"] = step_result(step["cells"])
            failed += step["result"] == "failed"
        checkout(repo, src, base)
    timings = phases.as_dict()
    # The older flat figures, kept for readers of earlier reports.
    rows = {row["phase"]: row["wall"] for row in timings["phases"]}
    timings.update(affected=rows["find objects"], configure=rows["configure"],
                   baseline=rows["baseline"])
    result = {
        "tree": tree.path, "repository": repo, "version": tree.full_version,
        "base": base, "branch": branch, "jobs": jobs, "sparse": sparse,
        "distcc_hosts": distcc_hosts,
        "arches": {name: {"config": b.config_target, "status": "skipped" if b.skip
                          else "checked", "reason": b.skip,
                          "knobs": [k.as_dict() for k in b.knobs],
                          "compiled": b.compiled,
                          "compile_seconds": round(b.compile_seconds, 1),
                          "seconds": {k: round(v, 1) for k, v in b.seconds.items()}}
                   for name, b in builds.items()},
        "steps": [{"commit": s["commit"], "subject": s["subject"], "result": s["result"],
                   "seconds": s["seconds"], "cpu": s["cpu"],
                   "notes": s["notes"], "checkpatch": s.get("checkpatch"),
                   "sources": s["sources"], "cells": s["cells"]} for s in steps],
        "result": "failed" if failed else "passed" if any(
            s["result"] == "passed" for s in steps) else "skipped",
        "timings": timings,
    }
    report.write_pair(result, markdown(result), where, tree.path, "buildcheck",
                      sort_keys=False)
    print_summary(result)
    progress("report: %s" % where)
    # Nothing built at all is no evidence the series builds: not a pass either.
    return 0 if result["result"] == "passed" else 1


def runs_of(steps):
    """The steps in runs whose objects can be compiled together, at the run's last commit.

    A step joins the run before it when it changes only .c files, none that
    a step of the run changes, and builds only those: nothing a compile
    reads but its own .c file then differs between the step and the end of
    the run. Caller conversions are such steps; a header change starts a
    run of its own. (run_together checks it again, object by object.)
    """
    runs, current, seen = [], [], set()
    for step in steps:
        changed = set(step["changed"])
        alone = not changed or not all(p.endswith(".c") for p in changed) or \
            not set(step["sources"]) <= changed
        if current and not alone and not changed & seen:
            current.append(step)
            seen |= changed
            continue
        if current:
            runs.append(current)
        current, seen = ([], set()) if alone else ([step], changed)
        if alone:
            runs.append([step])
    if current:
        runs.append(current)
    return runs


def run_together(run, repo, src, placement, builds, last):
    """Check out the run's last commit, build all its steps' objects in one make per arch.

    A step's objects count as built at that step when their compile read
    nothing a later step of the run changes (kbuild's .cmd file lists every
    file it read): the preprocessed input is the step's own, which the note
    on the step says. The steps returned, whose objects failed or read such
    a file, are to be built again at their own commit.
    """
    checkout(repo, src, run[-1]["commit"])
    built = build_objects(builds, wanted_objects(run, placement))
    redo, later = [], set()
    for step in reversed(run):
        proven = step is run[-1] or all(
            clean_inputs(builds[arch], obj, results[obj], later)
            for arch, (results, _) in built.items()
            for obj in wanted_objects([step], placement).get(arch, []))
        later |= set(step["changed"])
        if not proven:
            redo.append(step)
            continue
        step["cells"] = run_step(step, placement, builds, last, built)
        if len(run) > 1:
            step["notes"].append(
                "built with steps %d-%d at the commit of step %d, one make per arch: no "
                "file its objects read (kbuild's .cmd files) changes after this step"
                % (run[0]["number"], run[-1]["number"], run[-1]["number"]))
    return list(reversed(redo))


def clean_inputs(build, obj, result, changed):
    """True when obj's result stands for its own step: it read none of the files in changed."""
    if not result["built"]:
        # No error: kbuild makes no such object, which its Makefiles and the
        # .config decide, and the run changes .c files only. A failed compile
        # must fail at its own commit.
        return not result["errors"]
    deps = build.inputs(obj)
    return deps is not None and not deps & changed


def step_result(cells):
    """failed, passed, skipped (nothing could be built), or "nothing to build"."""
    kinds = {c["result"] for c in cells.values()}
    for kind in ("failed", "passed", "skipped"):
        if kind in kinds:
            return kind
    return "nothing to build"


def step_todo(step, placement):
    """{arch: [(source, None | why it is not built there)]} of one step."""
    todo = {}
    for src in sorted(step["sources"]):
        for arch, why in placement.get(src, []):
            todo.setdefault(arch, []).append((src, why))
    return todo


def wanted_objects(steps, placement):
    """{arch: [object]} the steps compile, together."""
    wanted = {}
    for step in steps:
        for arch, items in step_todo(step, placement).items():
            wanted.setdefault(arch, set()).update(kbuild.object_of(s) for s, why in items
                                                  if why is None)
    return {arch: sorted(objs) for arch, objs in wanted.items() if objs}


def build_objects(builds, wanted):
    """One make per arch, the arches side by side: {arch: (results, stray)}."""
    return in_parallel(lambda arch: builds[arch].build(wanted[arch], "steps"), sorted(wanted))


def run_step(step, placement, builds, last, built=None):
    """Build one step's objects in each arch; {arch: cell} where a cell lists object results.

    built: the results of a make that already compiled them (a run of steps).
    """
    cells = {}
    todo = step_todo(step, placement)
    if built is None:
        built = build_objects(builds, wanted_objects([step], placement))
    for arch, items in sorted(todo.items()):
        build = builds.get(arch)
        objects = []
        results, stray = built.get(arch, ({}, []))
        for src, why in items:
            obj = kbuild.object_of(src)
            if why is not None:
                skipped = why.startswith("skipped: ")
                objects.append({"object": obj, "result": "skipped" if skipped else "not built",
                                "reason": why[len("skipped: "):] if skipped else why})
                continue
            got = results[obj]
            before = last.get((arch, obj))
            before_built = before["built"] if before else None
            new_w, new_e = compare(before, got)
            entry = {"object": obj}
            if new_e:
                entry.update(result="failed", error=new_e[0], errors=new_e)
            elif not got["built"] and before_built is False and got["errors"]:
                entry.update(result="skipped", reason="it fails at the base too: %s"
                             % got["errors"][0])
            elif not got["built"] and before_built is False:
                entry.update(result="not built", reason="not built in %s: kbuild makes no "
                             "object of it" % build.label)
            elif not got["built"]:
                entry.update(result="failed", error=(got["errors"] + stray
                                                     + ["make built no object"])[0])
            elif new_w:
                entry.update(result="new warnings", warnings=new_w)
            else:
                entry.update(result="passed")
            if new_w and entry["result"] == "failed":
                entry["warnings"] = new_w
            last[(arch, obj)] = got
            objects.append(entry)
        kinds = {o["result"] for o in objects}
        if kinds & {"failed", "new warnings"}:
            verdict = "failed"
        elif "passed" in kinds:
            verdict = "passed"
        else:
            verdict = "skipped"
        cells[arch] = {"result": verdict, "objects": objects}
    return cells


def cell_text(cell):
    if cell is None:
        return "-"
    objs = cell["objects"]
    count = lambda kind: sum(o["result"] == kind for o in objs)
    parts = []
    if count("failed"):
        parts.append("FAILED %d" % count("failed"))
    if count("new warnings"):
        parts.append("%d new warnings" % sum(len(o["warnings"]) for o in objs
                                             if o["result"] == "new warnings"))
    if count("passed"):
        parts.append("passed %d" % count("passed"))
    if count("not built"):
        parts.append("%d not built" % count("not built"))
    if count("skipped"):
        parts.append("%d skipped" % count("skipped"))
    return ", ".join(parts)


def markdown(result):
    arches = list(result["arches"])
    lines = ["# Build check: %s" % result["tree"], "",
             "Steps %s..%s (%d), base %s, -j%d%s: **%s** in %.0f s (finding the objects "
             "%.0f s, worktree and configs %.0f s, baseline %.0f s, steps as below)."
             % (result["base"][:12], result["branch"], len(result["steps"]),
                result["version"], result["jobs"], ", sparse" if result["sparse"] else "",
                result["result"], result["timings"]["total"], result["timings"]["affected"],
                result["timings"]["configure"], result["timings"]["baseline"]),
             "", "| # | step | " + " | ".join(arches) + " | s |",
             "|---|------|" + "|".join("---" for _ in arches) + "|---|"]
    for n, step in enumerate(result["steps"], 1):
        lines.append("| %d | %s | %s | %.0f |" % (n, step["subject"], " | ".join(
            cell_text(step["cells"].get(a)) for a in arches), step["seconds"]))
    lines += ["", "## Timings", ""] + timing_table(result)
    lines += ["", "## Arches", ""]
    for name, a in result["arches"].items():
        lines.append("- %s %s: %s" % (name, a["config"], "skipped: " + a["reason"]
                                      if a["reason"] else "checked"))
        for knob in a["knobs"]:
            lines.append("  - knob %s: %s" % (knob["knob"], knob["reason"]))
    for n, step in enumerate(result["steps"], 1):
        lines += ["", "## %d. %s (%s)" % (n, step["subject"], step["result"]), ""]
        for note in step["notes"]:
            lines.append("- note: " + note)
        if step.get("checkpatch"):
            cp = step["checkpatch"]
            lines.append("- checkpatch: %d errors, %d warnings" % (cp["errors"],
                                                                   cp["warnings"]))
            lines += ["  - " + m for m in cp["messages"]]
        for arch, cell in sorted(step["cells"].items()):
            for o in cell["objects"]:
                if o["result"] == "not built":
                    text = o["reason"]
                else:
                    extra = o.get("error") or o.get("reason")
                    text = o["result"] + (": " + extra if extra else "")
                lines.append("- %s %s: %s" % (arch, o["object"], text))
                lines += ["  - new: " + w for w in o.get("warnings", [])]
    return "\n".join(lines) + "\n"


def timing_table(result):
    """The phases of the check as markdown table lines: wall and CPU seconds, load."""
    t = result["timings"]
    lines = ["Load average (1, 5, 15 min) %s at the start, %s at the end; CPU is user + "
             "system seconds of the checker and the programs it ran." % (
                 "/".join("%.1f" % x for x in t["load"]["start"]),
                 "/".join("%.1f" % x for x in t["load"]["end"])), "",
             "| phase | wall s | CPU s | load |", "|---|---|---|---|"]
    steps = [row for row in t["phases"] if row["phase"].startswith("step")]
    for row in t["phases"]:
        if row not in steps:
            lines.append("| %s | %.1f | %.1f | %.1f |" % (row["phase"], row["wall"], row["cpu"],
                                                          row["load"]))
    if steps:
        lines.append("| steps: %d in %d runs | %.1f | %.1f | %.1f |" % (
            len(result["steps"]), len(steps), sum(r["wall"] for r in steps),
            sum(r["cpu"] for r in steps), max(r["load"] for r in steps)))
    lines.append("| total | %.1f | %.1f | |" % (t["total"], t["cpu"]))
    lines += ["", "| arch | " + " | ".join(PER_ARCH) + " | objects compiled |",
              "|---|" + "---|" * (len(PER_ARCH) + 1)]
    for name, a in result["arches"].items():
        lines.append("| %s %s | %s | %d |" % (name, a["config"], " | ".join(
            "%.1f" % a.get("seconds", {}).get(k, 0) for k in PER_ARCH), a["compiled"]))
    return lines


# The per-arch wall times, each arch's makes running side by side.
PER_ARCH = ("configure", "baseline", "steps")


def print_summary(result):
    arches = list(result["arches"])
    width = max([len(s["subject"]) for s in result["steps"]] + [4])
    width = min(width, 60)
    print("%-3s %-*s  %s" % ("#", width, "step", "  ".join("%-22s" % a for a in arches)))
    for n, step in enumerate(result["steps"], 1):
        print("%-3d %-*s  %s" % (n, width, step["subject"][:width], "  ".join(
            "%-22s" % cell_text(step["cells"].get(a)) for a in arches)))
        for arch, cell in sorted(step["cells"].items()):
            for o in cell["objects"]:
                if o["result"] == "failed":
                    print("    %s %s: %s" % (arch, o["object"], o["error"]))
                elif o["result"] == "new warnings":
                    for w in o["warnings"]:
                        print("    %s %s: new %s" % (arch, o["object"], w))
    for name, a in result["arches"].items():
        for knob in a["knobs"]:
            print("%s: applied %s (%s)" % (name, knob["knob"], knob["reason"]))
        if a["reason"]:
            print("%s: skipped: %s" % (name, a["reason"]))
    t = result["timings"]
    steps = [row for row in t["phases"] if row["phase"].startswith("step")]
    print("time: %s, %d steps %.0f s; total %.0f s wall, %.0f s CPU; load %.1f -> %.1f" % (
        ", ".join("%s %.0f s" % (row["phase"], row["wall"]) for row in t["phases"]
                  if row not in steps), len(result["steps"]), sum(r["wall"] for r in steps),
        t["total"], t["cpu"], t["load"]["start"][0], t["load"]["end"][0]))
    print("result: %s (%.0f s)" % (result["result"], result["timings"]["total"]))


def add_arguments(p):
    p.add_argument("kernel", help="the kernel tree whose repository holds the series")
    p.add_argument("--branch", default="gup-unify", help="the series (default gup-unify)")
    p.add_argument("--base", help="where the series starts (default: merge-base with HEAD)")
    p.add_argument("--arches", help="comma-separated check arches (default: those the "
                                    "series touches; known: %s)"
                                    % ",".join(sorted(kbuild.ARCHES)))
    p.add_argument("--sparse", action="store_true", help="also run sparse (C=1)")
    p.add_argument("--checkpatch", action="store_true",
                   help="also run scripts/checkpatch.pl on each step")
    p.add_argument("--reports", metavar="DIR", help="where reports go (default reports/)")
    p.add_argument("--config", action="append", default=[], metavar="ARCH=TARGET",
                   help="config target for an arch (e.g. x86_64=defconfig); repeatable")
    p.add_argument("-j", "--jobs", type=int, help="parallel jobs (default: the cores, or "
                                                  "the distcc hosts' slots)")
    p.add_argument("--distcc-hosts", metavar="HOSTS",
                   help="send compiles to these distcc hosts through ccache "
                        "(DISTCC_HOSTS syntax, e.g. \"build1/8 build2/16\")")


def main(args):
    configs = {}
    for item in args.config:
        arch, sep, target = item.partition("=")
        if not sep or not target:
            die("--config %s: expected ARCH=TARGET, e.g. x86_64=defconfig" % item)
        configs[arch] = target
    return check(args.kernel, args.branch, args.base,
                 args.arches.split(",") if args.arches else None, args.sparse,
                 args.checkpatch, args.reports, args.jobs, configs, args.distcc_hosts)
