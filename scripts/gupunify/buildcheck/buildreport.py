"""make check's report: the step x arch table, the timings, as Markdown and as text."""


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
    arches = list(result.arches)
    lines = ["# Build check: %s" % result.tree, "",
             "Steps %s..%s (%d), base %s, -j%d%s: **%s** in %.0f s (finding the objects "
             "%.0f s, worktree and configs %.0f s, baseline %.0f s, steps as below)."
             % (result.base[:12], result.branch, len(result.steps),
                result.version, result.jobs, ", sparse" if result.sparse else "",
                result.result, result.timings["total"], result.timings["affected"],
                result.timings["configure"], result.timings["baseline"]),
             "", "| # | step | " + " | ".join(arches) + " | s |",
             "|---|------|" + "|".join("---" for _ in arches) + "|---|"]
    for n, step in enumerate(result.steps, 1):
        lines.append("| %d | %s | %s | %.0f |" % (n, step.subject, " | ".join(
            cell_text(step.cells.get(a)) for a in arches), step.seconds))
    lines += ["", "## Timings", ""] + timing_table(result)
    lines += ["", "## Arches", ""]
    for name, a in result.arches.items():
        lines.append("- %s %s: %s" % (name, a.config, "skipped: " + a.reason
                                      if a.reason else "checked"))
        for knob in a.knobs:
            lines.append("  - knob %s: %s" % (knob["knob"], knob["reason"]))
    for n, step in enumerate(result.steps, 1):
        lines += ["", "## %d. %s (%s)" % (n, step.subject, step.result), ""]
        for note in step.notes:
            lines.append("- note: " + note)
        if step.checkpatch:
            cp = step.checkpatch
            lines.append("- checkpatch: %d errors, %d warnings" % (cp["errors"],
                                                                   cp["warnings"]))
            lines += ["  - " + m for m in cp["messages"]]
        for arch, cell in sorted(step.cells.items()):
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
    t = result.timings
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
            len(result.steps), len(steps), sum(r["wall"] for r in steps),
            sum(r["cpu"] for r in steps), max(r["load"] for r in steps)))
    lines.append("| total | %.1f | %.1f | |" % (t["total"], t["cpu"]))
    lines += ["", "| arch | " + " | ".join(PER_ARCH) + " | objects compiled |",
              "|---|" + "---|" * (len(PER_ARCH) + 1)]
    for name, a in result.arches.items():
        lines.append("| %s %s | %s | %d |" % (name, a.config, " | ".join(
            "%.1f" % a.seconds.get(k, 0) for k in PER_ARCH), a.compiled))
    return lines


# The per-arch wall times, each arch's makes running side by side.
PER_ARCH = ("configure", "baseline", "steps")


def summary(result):
    """The text the check prints: the step x arch table, what failed, knobs, times, result."""
    arches = list(result.arches)
    width = max([len(s.subject) for s in result.steps] + [4])
    width = min(width, 60)
    out = ["%-3s %-*s  %s" % ("#", width, "step", "  ".join("%-22s" % a for a in arches))]
    for n, step in enumerate(result.steps, 1):
        out.append("%-3d %-*s  %s" % (n, width, step.subject[:width], "  ".join(
            "%-22s" % cell_text(step.cells.get(a)) for a in arches)))
        for arch, cell in sorted(step.cells.items()):
            for o in cell["objects"]:
                if o["result"] == "failed":
                    out.append("    %s %s: %s" % (arch, o["object"], o["error"]))
                elif o["result"] == "new warnings":
                    out += ["    %s %s: new %s" % (arch, o["object"], w) for w in o["warnings"]]
    for name, a in result.arches.items():
        out += ["%s: applied %s (%s)" % (name, knob["knob"], knob["reason"])
                for knob in a.knobs]
        if a.reason:
            out.append("%s: skipped: %s" % (name, a.reason))
    t = result.timings
    steps = [row for row in t["phases"] if row["phase"].startswith("step")]
    out.append("time: %s, %d steps %.0f s; total %.0f s wall, %.0f s CPU; load %.1f -> %.1f" % (
        ", ".join("%s %.0f s" % (row["phase"], row["wall"]) for row in t["phases"]
                  if row not in steps), len(result.steps), sum(r["wall"] for r in steps),
        t["total"], t["cpu"], t["load"]["start"][0], t["load"]["end"][0]))
    out.append("result: %s (%.0f s)" % (result.result, result.timings["total"]))
    return "\n".join(out) + "\n"
