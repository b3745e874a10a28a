"""make check MODULE='s report: per kernel, the module before and after its conversion."""

# What a probe value means, per part (compattext.py).
SIDES = {"LONGTERM": {1: "FOLL_LONGTERM (new)", 2: "get_user_pages_longterm() (old)",
                      0: "neither: the header stops the build"},
         "FAST_ONLY": {1: "get_user_pages_fast_only() (new)",
                       2: "__get_user_pages_fast() (old)",
                       0: "neither: the header stops the build"}}


def probe_text(probe):
    if not probe:
        return "no probe (no compat header)"
    parts = []
    for macro, value in sorted(probe.items()):
        part = macro.rsplit("_GUP_", 1)[-1]
        parts.append("%s=%d %s" % (macro, value, SIDES.get(part, {}).get(value, "?")))
    return ", ".join(parts)


def _side(side):
    warnings = sum(len(d["warnings"]) for d in side["objects"].values())
    errors = sum(len(d["errors"]) for d in side["objects"].values()) + len(side["stray"])
    return "%s, %d warning%s, %d error%s" % (side["status"], warnings,
                                              "" if warnings == 1 else "s",
                                              errors, "" if errors == 1 else "s")


def _diagnostics(side):
    lines = []
    for obj, d in side["objects"].items():
        lines += ["  - %s: %s" % (obj, w) for w in d["warnings"] + d["errors"]]
    return lines + ["  - %s" % e for e in side["stray"]]


def markdown(result):
    conv, compat = result["conversion"], result["conversion"]["compat"]
    lines = ["# Module check: %s" % result["module"], "",
             "Module %s: **%s**. Converted %d file%s%s." % (
                 result["name"], result["result"], len(conv["files"]),
                 "" if len(conv["files"]) == 1 else "s",
                 "; compat header %s (probe %s, included from %s)" % (
                     compat["header"], compat["fragment"], compat["makefile"])
                 if compat["header"] else "; no compat header needed"), ""]
    if compat["reasons"]:
        lines += ["## Why the compat header", ""] + ["- " + r for r in compat["reasons"]] + [""]
    if compat["notes"] or conv["failed"]:
        lines += ["## Left alone", ""] + ["- " + n for n in compat["notes"] + conv["failed"]]
        lines += [""]
    lines += ["## Kernels", "", "| kernel | version | before | after | probe | new |",
              "|---|---|---|---|---|---|"]
    for k in result["kernels"]:
        lines.append("| %s | %s | %s | %s | %s | %d |" % (
            k["kdir"], k["version"], _side(k["before"]), _side(k["after"]),
            probe_text(k["probe"]), sum(len(d["warnings"]) + len(d["errors"])
                                        for d in k["new"].values())))
    for k in result["kernels"]:
        lines += ["", "### %s (%s): %s" % (k["version"], k["kdir"], k["result"]), ""]
        for knob in k["knobs"]:
            lines.append("- knob %s: %s" % (knob["knob"], knob["reason"]))
        for name in ("before", "after"):
            lines.append("- %s: %s" % (name, _side(k[name])))
            lines += _diagnostics(k[name])
        for obj, d in k["new"].items():
            lines += ["- new in %s: %s" % (obj, w) for w in d["warnings"] + d["errors"]]
    lines += ["", "## The conversion", "", "```diff", result["diff"].rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


def summary(result):
    """What make check MODULE= prints: one line per kernel, the new diagnostics, the result."""
    out = []
    compat = result["conversion"]["compat"]
    out.append("%s: %d files converted, %s" % (
        result["name"], len(result["conversion"]["files"]),
        "compat header %s" % compat["header"] if compat["header"] else "no compat header"))
    for k in result["kernels"]:
        out.append("%s: before %s; after %s; probe: %s" % (
            k["version"], _side(k["before"]), _side(k["after"]), probe_text(k["probe"])))
        for obj, d in k["new"].items():
            out += ["    %s: new %s" % (obj, w) for w in d["warnings"] + d["errors"]]
        if k["after"]["status"] != "built":
            out += ["    " + line.strip() for line in _diagnostics(k["after"])]
    out.append("result: %s" % result["result"])
    return "\n".join(out) + "\n"
