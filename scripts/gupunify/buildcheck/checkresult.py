"""What make check found, as records: per arch, per step, and the whole check.

buildcheck.json is these records in field order (dataclasses.asdict); the
cells of a step ({arch: {result, objects}}) and the timings stay as they
are written.
"""
import dataclasses


@dataclasses.dataclass
class ArchResult:
    config: str                 # the config target built
    status: str                 # "checked" or "skipped"
    reason: str | None          # why it was skipped
    knobs: list                 # the knobs applied, each {knob, reason}
    compiled: int               # objects compiled
    compile_seconds: float
    seconds: dict               # {configure, baseline, steps: wall seconds}


@dataclasses.dataclass
class StepResult:
    commit: str
    subject: str
    result: str                 # "passed", "failed", "skipped" or "nothing to build"
    seconds: float
    cpu: float
    notes: list                 # what the step's objects were found from
    checkpatch: dict | None     # {errors, warnings, messages}, with --checkpatch
    sources: list               # the .c files the step can affect
    cells: dict                 # {arch: {result, objects}}


@dataclasses.dataclass
class CheckResult:
    tree: str
    repository: str
    version: str
    base: str
    branch: str
    jobs: int
    sparse: bool
    distcc_hosts: str | None
    arches: dict                # {arch: ArchResult}
    steps: list                 # [StepResult], in branch order
    result: str                 # "passed", "failed" or "skipped"
    timings: dict               # phases, totals and load

    def to_json(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data):
        """The records of a buildcheck.json."""
        return cls(**dict(data, arches={k: ArchResult(**v) for k, v in data["arches"].items()},
                          steps=[StepResult(**s) for s in data["steps"]]))
