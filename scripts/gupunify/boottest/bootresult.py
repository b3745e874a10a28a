"""What make boottest found, as records: the whole run, each arch, each kernel.

boottest.json is these records' fields (sorted keys, as before). What a boot
printed: the kernel's "tap" is a TapRun of TapTest records, its "console" a
ConsoleScan; its "boot" and "build" are the dicts qemuboot.py and
bootbuild.py make. Each row of an arch's
"cases", a CaseRow, is written {name, <kernel label>: {status, reason, notes}}.
"""
import dataclasses


class _Absent:
    """A fact a record was made without (the tests' recorded boots): not written."""

    def __bool__(self):
        return False

    def __repr__(self):
        return "ABSENT"


ABSENT = _Absent()


def _fields(record):
    """The record's fields, in order, without those it was made without."""
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)
            if getattr(record, f.name) is not ABSENT}


@dataclasses.dataclass
class TapTest:
    """One result of gup_test's TAP: one case on one kernel."""
    number: int
    name: str
    status: str                 # "pass", "fail" or "skip"
    reason: str                 # the SKIP's or TODO's reason ("" without)
    notes: list                 # the case's "# <name>: ..." lines


@dataclasses.dataclass
class TapRun:
    """What gup_test's TAP said on one kernel (tap.parse_tap())."""
    version: int | None
    plan: int | None            # the "1..N" line's N; None: gup_test did not start
    tests: list                 # [TapTest]
    kernel: str | None          # the "# kernel:" line (uname -a)
    uptime: str | None          # the "# uptime:" line
    timing: dict                # gup_benchmark's usec, merged over boots
    totals: dict | None         # the "# Totals:" line; None: gup_test did not finish
    problems: list
    complete: bool = False      # the plan's count of results, and the totals


@dataclasses.dataclass
class ConsoleScan:
    """What a kernel's log said (tap.scan_console())."""
    warnings: list              # the first line of each WARNING:
    oops: list                  # BUG:, Oops, panics, general protection faults
    exit_status: int | None     # gup_test's, as the guest's init printed it
    dax: str | None             # the line saying DAX is enabled
    clocksource: str | None


@dataclasses.dataclass
class CaseCell:
    """One case on one kernel, as the arch's table shows it."""
    status: str                 # "pass", "fail", "skip", or "missing" from the kernel's TAP
    reason: str
    notes: list


@dataclasses.dataclass
class CaseRow:
    """One case on every kernel, side by side (tap.compare())."""
    name: str
    kernels: dict               # {label: CaseCell}, every label of tap.KERNELS

    def to_json(self):
        return dict({"name": self.name},
                    **{label: dataclasses.asdict(c) for label, c in self.kernels.items()})


@dataclasses.dataclass
class KernelBoot:
    """One kernel of one arch: built, packed and booted."""
    commit: str
    arch: str
    build: dict                 # bootbuild's timings and module warnings
    boot: dict                  # qemuboot's record of the boot
    tap: TapRun                 # tap.parse_tap() of what gup_test printed
    console: ConsoleScan        # tap.scan_console() of the kernel log
    api: dict = ABSENT          # tree.api_state() of its source
    family: str = ABSENT        # the guest's family (guests.family())
    knobs: list = ABSENT        # the knobs applied, each {knob, reason}

    def to_json(self):
        return dict(_fields(self), tap=dataclasses.asdict(self.tap),
                    console=dataclasses.asdict(self.console))


@dataclasses.dataclass
class ArchBoot:
    """One arch: its kernels side by side and the verdict."""
    arch: str
    family: str
    branch: str
    accel: str
    accel_reason: str
    kernels: dict               # {label: KernelBoot}
    knobs: list                 # the knobs applied, each {knob, reason}
    cases: list = dataclasses.field(default_factory=list)    # [CaseRow], tap.compare()'s
    timings: dict = dataclasses.field(default_factory=dict)  # {label: merged timing}
    ratios: dict = dataclasses.field(default_factory=dict)   # {key: patched/base}
    problems: list = dataclasses.field(default_factory=list)
    result: str | None = None   # "pass" or "fail", once summarized

    def to_json(self):
        return dict(_fields(self), kernels={k: v.to_json() for k, v in self.kernels.items()},
                    cases=[c.to_json() for c in self.cases])


@dataclasses.dataclass
class BootResult:
    """The whole run: every arch, what was not booted, the arch x case matrix."""
    tree: str
    tree_name: str
    repository: str
    branch: str
    kernels: list               # the labels booted, in order
    arches: dict                # {arch: ArchBoot}
    not_booted: dict            # {arch: why}
    distcc_hosts: str | None = ABSENT
    jobs: int = ABSENT
    matrix: list = dataclasses.field(default_factory=list)   # [{name, arch: {label: status}}]
    problems: list = dataclasses.field(default_factory=list)
    result: str | None = None   # "pass", "fail" or "incomplete", once summarized

    def to_json(self):
        return dict(_fields(self), arches={k: v.to_json() for k, v in self.arches.items()})
