"""What a run found and did, as Markdown for people and JSON for programs."""
import collections
import json
import os

from .. import ROOT
from ..groups import prefixes
from . import migration, outputs
from .util import die, kept, write_atomic

REPORTS_DIR = os.path.join(ROOT, "reports")
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


def markdown(run):
    records = run["sites"]
    out = ["# gup-unify: %s (%s)" % (run["tree"], run["version"]), ""]
    out.append("Result: **%s**%s. Core series: %s. Base commit %s."
               % (run["result"], " on branch `%s`" % run["branch"] if run.get("branch") else
                  " as diff %s" % run.get("diff", ""), run["core_series"] or "none for this base",
                  run["base_commit"][:12]))
    out += ["", "## Steps", "", "| step | result | summary |", "|---|---|---|"]
    for s in run["steps"]:
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
                                     g.get("prefix_why")) for g in run.get("groups", [])])
    skipped = run.get("skipped_files", [])
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
        out += ["- `%s:%d` spatch wrote `%s`, %s" % (r.file, r.line, r.after, r.disagreement)
                for r in disagree]
    mig = migration.current()
    renamed = run.get("renamed", [])
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
            _cell(r.file), r.line, r.api, _before(r), _after(r), r.outcome, r.by or ""))
    if run.get("timings"):
        out += ["", "## Timings (s)", ""]
        out += ["- %s: %.1f" % kv for kv in run["timings"].items()]
    return "\n".join(out) + "\n"


# What a site without a flag argument is, for the "before" cell of its row.
WHAT = {"call": "a call", "define": "in a #define", "reference": "a reference (no call)",
        "member": "a struct member of that name"}


def _cell(text):
    """text as one table cell: a | would end the cell, a newline the row."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text):
    """text as a code span in one table cell (GFM reads \\| in a code span as |)."""
    text = _cell(text)
    fence = "``" if "`" in text else "`"
    return "%s%s%s" % (fence, " %s " % text if fence == "``" else text, fence)


def _before(record):
    """The flag argument a site had, or what the site is when it has none."""
    return _code(record.before) if record.before is not None else WHAT[record.kind]


def _after(record):
    """The flag argument a site has now, or why it was left."""
    if record.after is not None:
        return _code(record.after)
    return "left: " + _cell(record.reason or "") if record.outcome == "manual" else "-"


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


def folder(reports_dir, tree):
    """reports_dir/<tree name>, checked before any work: the run may write there."""
    if reports_dir and os.path.exists(reports_dir) and not os.path.isdir(reports_dir):
        die("reports directory %s is a file, not a directory" % reports_dir)
    where = os.path.join(reports_dir or REPORTS_DIR, tree.name)
    outputs.check_folder(where, "reports directory", "reports", tree.path)
    return where


def write_pair(data, text, where, tree_path, stem, sort_keys=True):
    """Write stem.json (data) and stem.md (text) in the tree's reports folder, atomically.

    Every report of every job is written here: the folder is marked as the
    reports of tree_path (outputs.py) and each file replaced whole.
    sort_keys=False keeps data's own order (buildcheck's per-step records
    read best as made).
    """
    outputs.mark(where, "reports", tree_path)
    write_atomic(os.path.join(where, stem + ".json"),
                 json.dumps(data, indent=1, sort_keys=sort_keys) + "\n")
    write_atomic(os.path.join(where, stem + ".md"), text)
    kept("report %s" % os.path.join(where, stem + ".md"))
    return where


def write(run, where):
    """The conversion report: conversion.md and conversion.json (with the counts per group)."""
    data = dict(run, sites=[r.to_json() for r in run["sites"]],
                counts_per_group=counts(run["sites"], by="group"))
    return write_pair(data, markdown(run), where, run["tree"], "conversion")


def summary(run):
    """What the CLI prints after a conversion: sites per API and outcome, files left, result."""
    by = collections.Counter((r.api, r.outcome) for r in run["sites"])
    out = ["%-24s %-10s %d" % (api, outcome, n) for (api, outcome), n in sorted(by.items())]
    out += ["not converted: %s: %s" % (skipped["file"], skipped["reason"])
            for skipped in run.get("skipped_files", [])]
    out.append("result: %s" % run["result"])
    return "\n".join(out) + "\n"


def _mermaid(summary):
    """The needs as a Mermaid graph: an arrow from each series to those needing it,
    less the arrows another path implies (series.json lists every need)."""
    series = summary["series"]
    ids = {p["directory"]: "s%d" % n for n, p in enumerate(series, 1)}
    lines = ["```mermaid", "graph LR"]
    for part in series:
        label = "%s<br/>%s" % (part["directory"], part["title"])
        lines.append('  %s["%s"]' % (ids[part["directory"]],
                                     label.replace('"', "#quot;")))
    for part in series:
        implied = {d for need in part["depends"] for d in
                   next(p for p in series if p["directory"] == need)["depends"]}
        lines += ["  %s --> %s" % (ids[need], ids[part["directory"]])
                  for need in part["depends"] if need not in implied]
    return lines + ["```"]


def series_markdown(summary):
    out = ["# gup-unify series: %s" % summary["tree"], "",
           "Branch `%s` (%s on base %s), written to `%s` as %s. Recipients from %s." % (
               summary["branch"], summary["tip"][:12], summary["base_commit"][:12],
               summary["output"], "one series through mm" if summary.get("shape") == "mm"
               else "one series per MAINTAINERS group and core part",
               summary["recipients_from"]),
           "Applying every series below in order gives tree %s, the same as the atomic "
           "patch `%s`." % (summary["verified_tree"][:12], summary["atomic"]["file"]),
           "", "| # | series | patches | group | prefix (from) | To |",
           "|---|---|---:|---|---|---|"]
    for number, part in enumerate(summary["series"], 1):
        out.append("| %d | `%s` %s | %d | %s | `%s:` (%s) | %s |" % (
            number, part["directory"], _cell(part["title"]), len(part["patches"]),
            _cell(part["key"]), _cell(part["prefix"]), _cell(part["prefix_source"]),
            _cell(", ".join(part["to"]) or "-")))
    out += prefixes.report_section([(p["key"], p["prefix"], p["prefix_source"],
                                     p.get("prefix_why")) for p in summary["series"]])
    out += ["", "## What each series needs first", "",
            "Each series applies on the base commit and the series it needs (and on "
            "nothing more); an arrow goes from a series to each series that needs it.", ""]
    out += _mermaid(summary)
    out += ["", "| series | goes through | needs first | why |", "|---|---|---|---|"]
    out += ["| `%s` | %s | %s | %s |" % (
        p["directory"], _cell(p["route"] or "its maintainers' tree (no T:)"),
        ", ".join("`%s`" % d for d in p["depends"]) or "nothing beyond the base",
        _cell("; ".join("%s: %s" % (d, p["why"][d]) for d in p["depends"]) or "-"))
        for p in summary["series"]]
    if summary.get("b4"):
        out += ["", "## b4 prep branches", "",
                "`b4 send -o` on each gives the patches and recipients of its series here.", ""]
        out += ["- `%s`: %d patches" % (b["branch"], b["patches"]) for b in summary["b4"]]
    out += ["", "## Patches", ""]
    for part in summary["series"]:
        out.append("- `%s` %s" % (part["directory"], part["subject"]))
        out += ["  - %s (%d files)" % (p["subject"], len(p["paths"])) for p in part["patches"]]
    out += ["", "## Timings (s)", ""]
    out += ["- %s: %.1f" % kv for kv in summary["timings"].items()]
    return "\n".join(out) + "\n"


def write_series(summary, where):
    """The series report: series.md and series.json."""
    return write_pair(summary, series_markdown(summary), where, summary["tree"], "series")
