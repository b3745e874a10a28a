"""The conversion's report: conversion.md for people, conversion.json for programs, and
the lines the CLI prints after a conversion."""
import collections

from ..common import migration, report
from ..common.report import cell, code
from ..groups import prefixes

# The renamed section's words where the migration's [report] has none.
RENAMED = ("They named a function the migration removes in a file that no longer calls it; "
           "each is renamed in the commit that converts the file's calls.")


def counts(records, by="api"):
    """{api (or group): {idiom-or-reason: {outcome: n}}}"""
    table = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    for r in records:
        table[getattr(r, by) or "-"][r.idiom or r.kind][r.outcome] += 1
    return table


def _bar(n, scale):
    return "#" * max(1, round(n * scale)) if n else ""


def markdown(state):
    records = state.sites
    out = ["# gup-unify: %s (%s)" % (state.tree, state.version), ""]
    out.append("Result: **%s**%s. Core series: %s. Base commit %s."
               % (state.result, " on branch `%s`" % state.branch if state.branch else
                  " as diff %s" % (state.diff or ""), state.core_series or "none for this base",
                  state.base_commit[:12]))
    out += ["", "## Steps", "", "| step | result | summary |", "|---|---|---|"]
    for s in state.steps:
        out.append("| %s | %s | %s |" % (s["step"], s["result"], s.get("summary", "")))
    by_outcome = collections.Counter(r.outcome for r in records)
    widest = max(by_outcome.values() or [1])
    out += ["", "## Sites", "", "```"]
    for outcome in ("converted", "unchanged", "manual"):
        n = by_outcome.get(outcome, 0)
        out.append("%-10s %4d %s" % (outcome, n, _bar(n, 40.0 / widest)))
    out += ["```", "", "| API | idiom | converted | unchanged | left for a human |",
            "|---|---|---:|---:|---:|"]
    for api, idioms in sorted(counts(records).items()):
        for idiom, c in sorted(idioms.items()):
            out.append("| %s | %s | %d | %d | %d |" % (api, idiom, c["converted"],
                                                      c["unchanged"], c["manual"]))
    out += _per_group(records)
    out += prefixes.report_section([(g["name"], g["prefix"], g["prefix_source"],
                                     g.get("prefix_why")) for g in state.groups])
    skipped = state.skipped_files
    out += ["", "## Files not converted (%d)" % len(skipped), ""]
    out += ["- `%s`: %s" % (f["file"], f["reason"]) for f in skipped] or ["None."]
    manual = [r for r in records if r.outcome == "manual"]
    out += ["", "## Left for a human (%d)" % len(manual), ""]
    out += ["- `%s:%d` %s: %s" % (r.file, r.line, r.api, r.reason) for r in manual] \
        or ["None."]
    fallback = [r for r in records if r.by == "fallback"]
    out += ["", "## Converted outside spatch (%d): review these" % len(fallback), ""]
    out += ["- `%s:%d` %s -> %s: %s" % (r.file, r.line, _before(r), _after(r), r.reason)
            for r in fallback] or ["None."]
    noted = [r for r in records if r.note]
    if noted:
        out += ["", "## Converted, with a note (%d)" % len(noted), ""]
        out += ["- `%s:%d` %s" % (r.file, r.line, r.note) for r in noted]
    disagree = [r for r in records if r.disagreement]
    if disagree:
        out += ["", "## spatch and the inventory disagree (%d)" % len(disagree), ""]
        out += ["- `%s:%d` spatch %s, %s" % (
            r.file, r.line, "dropped the argument" if r.after is None else "wrote `%s`" % r.after,
            r.disagreement) for r in disagree]
    mig = migration.current()
    renamed = state.renamed
    out += ["", "## Messages and comments renamed (%d)" % len(renamed), "",
            mig.value("report", "renamed", RENAMED), ""]
    out += ["- `%s:%d` %s: `%s` -> `%s`" % (r["file"], r["line"], r["kind"], r["before"],
                                           r["after"]) for r in renamed] or ["None."]
    if mig.ini.has_option("report", "candidates"):
        candidates = [r for r in records if r.longterm_candidate]
        out += ["", "## %s (%d)" % (mig.value("report", "candidates_title"), len(candidates)),
                "", mig.value("report", "candidates"), ""]
        out += ["- `%s:%d`" % (r.file, r.line) for r in candidates] or ["None."]
    out += ["", "## Every site", "", "| site | API | before | after | outcome | by |",
            "|---|---|---|---|---|---|"]
    for r in records:
        out.append("| %s:%d | %s | %s | %s | %s | %s |" % (
            cell(r.file), r.line, r.api, _before(r), _after(r), r.outcome, r.by or ""))
    if state.timings:
        out += ["", "## Timings (s)", ""]
        out += ["- %s: %.1f" % kv for kv in state.timings.items()]
    return "\n".join(out) + "\n"


# What a site without a flag argument is, for the "before" cell of its row.
WHAT = {"call": "a call", "define": "in a #define", "reference": "a reference (no call)",
        "member": "a struct member of that name"}


def _before(record):
    """The flag argument a site had, or what the site is when it has none."""
    return code(record.before) if record.before is not None else WHAT[record.kind]


def _after(record):
    """The flag argument a site has now, or why it was left."""
    if record.after is not None:
        return code(record.after)
    return "left: " + cell(record.reason or "") if record.outcome == "manual" else "-"


def _per_group(records):
    """Per MAINTAINERS group: the counts, and a bar of the converted sites."""
    table = collections.defaultdict(collections.Counter)
    for r in records:
        group = r.group or "-"
        table[group][r.outcome] += 1
        table[group]["candidates"] += bool(r.longterm_candidate)
    if not table:
        return []
    widest = max(c["converted"] for c in table.values()) or 1
    out = ["", "## Per subsystem (MAINTAINERS group)", "",
           "| group | converted | unchanged | left for a human | long-term candidates | |",
           "|---|---:|---:|---:|---:|---|"]
    for group, c in sorted(table.items(), key=lambda gc: (-gc[1]["converted"], gc[0])):
        out.append("| %s | %d | %d | %d | %d | `%s` |" % (
            group, c["converted"], c["unchanged"], c["manual"], c["candidates"],
            _bar(c["converted"], 20.0 / widest)))
    return out


def write(state, where):
    """The conversion report: conversion.md and conversion.json (with the counts per group)."""
    data = dict(state.to_json(), counts_per_group=counts(state.sites, by="group"))
    return report.write_pair(data, markdown(state), where, state.tree, "conversion")


def summary(sites, skipped_files, result):
    """What the CLI prints after a conversion (of a tree or of a module directory): sites per
    API and outcome, files left, result."""
    by = collections.Counter((r.api, r.outcome) for r in sites)
    out = ["%-24s %-10s %d" % (api, outcome, n) for (api, outcome), n in sorted(by.items())]
    out += ["not converted: %s: %s" % (skipped["file"], skipped["reason"])
            for skipped in skipped_files]
    out.append("result: %s" % result)
    return "\n".join(out) + "\n"
