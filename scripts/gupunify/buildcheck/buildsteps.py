"""The steps of make check: which run together, each step's objects built and judged."""
import contextlib
import os
import time

from ..common import kbuild
from ..common.progress import phase
from ..common.worktree import checkout
from .archbuild import compare, in_parallel


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
        with phase("check: " + name):
            yield row
        row.update(wall=round(time.monotonic() - wall, 1), cpu=round(self.cpu() - cpu, 1),
                   load=round(os.getloadavg()[0], 1))
        self.rows.append(row)

    def as_dict(self):
        return {"phases": self.rows, "total": round(time.monotonic() - self.start, 1),
                "cpu": round(self.cpu(), 1),
                "load": {"start": [round(x, 1) for x in self.load_start],
                         "end": [round(x, 1) for x in os.getloadavg()]}}


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
