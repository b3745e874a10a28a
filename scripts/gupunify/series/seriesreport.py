"""The series report: series.md for people, series.json for programs."""
from ..common import report
from ..common.report import cell
from ..groups import prefixes


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


def markdown(summary):
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
            number, part["directory"], cell(part["title"]), len(part["patches"]),
            cell(part["key"]), cell(part["prefix"]), cell(part["prefix_source"]),
            cell(", ".join(part["to"]) or "-")))
    out += prefixes.report_section([(p["key"], p["prefix"], p["prefix_source"],
                                     p.get("prefix_why")) for p in summary["series"]])
    out += ["", "## What each series needs first", "",
            "Each series applies on the base commit and the series it needs (and on "
            "nothing more); an arrow goes from a series to each series that needs it.", ""]
    out += _mermaid(summary)
    out += ["", "| series | goes through | needs first | why |", "|---|---|---|---|"]
    out += ["| `%s` | %s | %s | %s |" % (
        p["directory"], cell(p["route"] or "its maintainers' tree (no T:)"),
        ", ".join("`%s`" % d for d in p["depends"]) or "nothing beyond the base",
        cell("; ".join("%s: %s" % (d, p["why"][d]) for d in p["depends"]) or "-"))
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


def write(summary, where):
    """The series report: series.md and series.json."""
    return report.write_pair(summary, markdown(summary), where, summary["tree"], "series")
