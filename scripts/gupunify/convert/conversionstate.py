"""What a conversion has done so far: each phase adds to it, the report and the CLI read it."""
import dataclasses


@dataclasses.dataclass
class ConversionState:
    tree: str                   # the tree as given
    repository: str             # the repository holding it (a plain directory's import)
    version: str                # the tree's full kernel version
    core_series: str | None     # the core series applied (patches/v<base>), None for none
    branch: str | None          # the branch made; None when the result is a diff
    fast_only: bool             # the --fast-only phase runs too
    steps: list = dataclasses.field(default_factory=list)   # {step, result[, summary]}
    sites: list = dataclasses.field(default_factory=list)   # sites.Record, in the order found
    renamed: list = dataclasses.field(default_factory=list)     # messages and comments renamed
    groups: list = dataclasses.field(default_factory=list)      # the MAINTAINERS groups
    skipped_files: list = dataclasses.field(default_factory=list)   # {file, reason}
    base_commit: str | None = None
    api_before: dict | None = None  # tree.api_state() at the base
    api_after: dict | None = None   # and at the tip
    timings: dict | None = None     # {step: seconds}
    result: str | None = None       # "converted" or "nothing to do", once known
    diff: str | None = None         # where the diff went, with --diff
    fast_only_series: str | None = None     # the --fast-only phase's core series, if any
    fast_only_groups: list | None = None    # its MAINTAINERS groups, once it committed callers

    def to_json(self):
        """conversion.json's fields: the site records as they write themselves; diff only
        with a diff, the --fast-only phase's fields only when it ran (and committed)."""
        data = dataclasses.asdict(self)
        data["sites"] = [r.to_json() for r in self.sites]
        if self.diff is None:
            del data["diff"]
        if not self.fast_only:
            del data["fast_only_series"]
        if self.fast_only_groups is None:
            del data["fast_only_groups"]
        return data
