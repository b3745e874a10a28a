"""Convert an out-of-tree module's directory: a diff of its write arguments, never its files.

A module is built against kernels on both sides of the change, so its
get_user_pages_fast() write arguments become values right on both (E ?
FOLL_WRITE : 0, FOLL_WRITE, 0) whatever kernel it is built against, and a
comment in the argument naming the old parameter (/* write */) goes. A
variable is left: it may carry gup_flags already. get_user_pages_longterm()
and __get_user_pages_fast() cannot be written alike on both sides: they are
converted to the new API only together with a compat step that writes the
header making the new calls build on old kernels (convert/compat.py), and
left as they are without one. The files are copied into a scratch git
repository of the tool's own, rewritten there, and the diff of that copy is
what the user gets: their folder is never written.
"""
import dataclasses
import json
import os
import re
import shutil
import sys

from ..common import migration, outputs, report
from ..common.leftovers import temporary_dir
from ..common.spatch import max_bytes
from ..common.tree import ModuleDir
from ..common.progress import progress
from ..common.util import (die, git, interrupts_held, kept, pause_at, stop_if_stopping,
                           write_atomic)
from ..common.repository import scratch_dir
from ..csource import ctokens, idioms, layout, mentions, shims, sites, source

COMPAT = ("left for the module's compat header: the two sides of the change cannot be "
          "written alike")
COMPAT_CODE = ("compat code: a header that names the other side too (the guard passes it); "
               "left as it is")
WITH_COMPAT = "converted to the new API; the module's compat header keeps old kernels building"
VARIABLE = ("a variable: it may hold gup_flags already; right on both sides while it is "
            "0 or 1 (FOLL_WRITE)")
STALE = "the comment naming the old write parameter goes"
# A comment that names the old parameter, and nothing else: /* write */, /* rw=1 */.
STALE_COMMENT = re.compile(r"(?:/\*|//)\s*(?:is_?)?(?:write|writ\w*|rw|wr)\s*(?:=\s*\w+\s*)?"
                           r"(?:\*/)?\s*$", re.I)


@dataclasses.dataclass
class ModuleConversion:
    """What a module conversion ends with: the run convertreport.summary() prints."""
    run: dict


def convert_module(path, diff_path, reports_dir=None, compat=None):
    """The spatch job on a module directory: the diff at diff_path and the report.

    compat, when given, is called as compat(copy) on the scratch copy (the
    module's files in its layout) once every
    call is converted, the renamed calls (a rule whose new name differs) too; what it changes or adds
    there is in the diff, and what it returns (a dataclass or a dict) is the
    report's "compat". Without it those calls are left as they are.
    """
    mig = migration.current()
    if not mig.ini.has_section("module"):
        die("%s: a module directory, and migration %s converts kernel trees only (no "
            "[module] in its %s)" % (path, mig.name, migration.INI))
    module = ModuleDir(path)
    if not diff_path:
        die("%s: not a kernel tree but a module directory: it is converted to a diff, its "
            "files are left as they are: give --diff FILE (- for standard output)" % path)
    _check_diff_path(diff_path, module)
    where = report.folder(reports_dir, module)
    run = _new_run(module.path)
    files = _sources(module.path, run)
    progress("%s: %d files name the old API" % (module.path, len(files)))
    with temporary_dir(scratch_dir(), "module-") as work:
        copy = os.path.join(work, "module")
        _copy(module.path, copy, files + _other_files(module.path, {f for f, _ in files}))
        before = _snapshot(copy)
        for relpath, data in files:
            _convert_file(copy, relpath, data, run, compat is not None)
        if compat is not None:
            done = compat(copy)
            run["compat"] = dataclasses.asdict(done) if dataclasses.is_dataclass(done) else done
        # Two trees, no commit: no identity, hook or signing of the user's config applies.
        diff = git(copy, "diff", "--binary", "--no-color", "--no-ext-diff", "--src-prefix=a/",
                   "--dst-prefix=b/", before, _snapshot(copy), binary=True)
        pause_at("module-converted")
    run["sites"].sort(key=lambda r: (r.file, r.line, r.column))
    if not diff:
        progress("%s: nothing to do: no call to convert%s" % (
            module.path, "" if diff_path == outputs.STDOUT else "; %s not written" % diff_path))
        run["result"] = "nothing to do"
        return ModuleConversion(run)
    run["result"] = "converted"
    # A stop that landed in a finalizer was printed there and dropped: it ends
    # the run here, before anything is kept.
    stop_if_stopping()
    with interrupts_held():
        if diff_path == outputs.STDOUT:
            sys.stdout.buffer.write(diff)
            sys.stdout.flush()
            run["diff"] = "standard output"
            kept("diff on standard output")
        else:
            write_atomic(diff_path, diff)
            run["diff"] = os.path.abspath(diff_path)
            kept("diff %s" % diff_path)
        report.write_pair(_as_json(run), as_markdown(run), where, module.path, "conversion")
    progress("diff written to %s: apply it in %s with patch -p1 (or git apply)"
             % (run["diff"], module.path))
    progress("report: %s" % where)
    return ModuleConversion(run)


def _new_run(path):
    return {"tree": path, "module": True, "version": None, "branch": None, "sites": [],
            "skipped_files": [], "compat": None}


def rewrite(root, with_compat=True):
    """Convert the module files under root in place, root being a copy the caller owns
    (a build check's scratch copy); returns the run with a record of every site."""
    run = _new_run(root)
    for relpath, data in _sources(root, run):
        _convert_file(root, relpath, data, run, with_compat)
    run["sites"].sort(key=lambda r: (r.file, r.line, r.column))
    return run


def _snapshot(copy):
    """The tree object of the copy as it stands (a git repository made on first use)."""
    if not os.path.isdir(os.path.join(copy, ".git")):
        git(copy, "init", "-q")
    git(copy, "add", "-A")
    return git(copy, "write-tree").strip()


def _check_diff_path(diff_path, module):
    """--diff names a file to write, not a directory or one of the module's sources."""
    if diff_path == outputs.STDOUT:
        return
    if os.path.isdir(diff_path):
        die("--diff %s is a directory: name a file" % diff_path)
    real = os.path.realpath(diff_path)
    if real.startswith(module.path + os.sep) and real.endswith((".c", ".h")):
        die("--diff %s is a source file of the module: name another" % diff_path)


def _sources(root, run):
    """[(relpath, bytes)] of the .c and .h files under root naming the old API; those
    the conversion cannot take are listed in run["skipped_files"] with why."""
    found, budget = [], max_bytes()
    olds = tuple(rule.old for rule in migration.current().rules)
    for top, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            full = os.path.join(top, name)
            if not name.endswith((".c", ".h")) or os.path.islink(full) \
                    or not os.path.isfile(full):
                continue
            relpath = os.path.relpath(full, root)
            data = source.read_bytes(full)
            if not mentions.words(data, olds):
                continue
            why = None
            if len(data) > budget:
                why = mentions.TOO_LARGE % (len(data), budget)
            elif b"\0" in data:
                why = mentions.NUL_BYTES
            else:
                try:
                    source.line_ends(data)
                except source.Unconvertible as e:
                    why = "%s: file left as it was, convert by hand" % e
            if why:
                run["skipped_files"].append({"file": relpath, "reason": why})
            else:
                found.append((relpath, data))
    return found


def _other_files(root, taken):
    """[(relpath, bytes)] of the module's other files (its Makefiles, Kbuild, a compat
    header from an earlier run): what a compat step reads or extends, so that the
    diff shows only what the run changed. Files over the size budget are not source."""
    found, budget = [], max_bytes()
    for top, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            full = os.path.join(top, name)
            relpath = os.path.relpath(full, root)
            if relpath not in taken and os.path.isfile(full) and not os.path.islink(full) \
                    and os.path.getsize(full) <= budget:
                found.append((relpath, source.read_bytes(full)))
    return found


def _copy(root, copy, files):
    for relpath, data in files:
        target = os.path.join(copy, relpath)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        source.write_bytes(target, data)
        shutil.copymode(os.path.join(root, relpath), target)


def _convert_file(copy, relpath, data, run, with_compat):
    """Rewrite one file's calls in the copy (the renamed ones only with_compat),
    record every site."""
    mig = migration.current()
    # Neither side of a renamed call can be written for both kernels: a compat header chooses.
    renamed = {r.old: r.new for r in mig.rules if r.old != r.new}
    crlf = source.line_ends(data)
    text = source.decode(data.replace(b"\r\n", b"\n")) if crlf else source.decode(data)
    # A call inside a #define body is a call too (the guard reads them so).
    found = sites.scan(relpath, shims.define_bodies(text), tuple(r.old for r in mig.rules))
    macros = [(t.start, t.end) for t in ctokens.tokenize(text) if t.kind == "pp"]
    compat_code = shims.covered(relpath, text, getattr(mig.hooks, "OTHER_SIDE", {}))
    edits = []          # (site, edit of _plan(), its record)
    for site in found:
        if site.kind != "call":
            continue
        if site.name in compat_code:
            run["sites"].append(sites.Record.of(site, "unchanged", COMPAT_CODE))
            continue
        if site.name in renamed and not with_compat:
            run["sites"].append(sites.Record.of(site, "manual", COMPAT))
            continue
        record, edit = _plan(site, text)
        run["sites"].append(record)
        if edit is not None:
            edits.append((site, edit, record))
    # From the last call up: the offsets of those before stay good.
    for site, (lo, hi, new, flag_at), record in sorted(edits, key=lambda e: e[0].call_span[0],
                                                       reverse=True):
        start, end = site.call_span
        old_paren = layout.paren_column(text, start)
        was = layout.widest_line(text, start, end)
        text = text[:lo] + new + text[hi:]
        end += len(new) - (hi - lo)
        if site.name in renamed:
            name = renamed[site.name]
            text = text[:start] + name + text[start + len(site.name):]
            moved = len(name) - len(site.name)
            end, flag_at = end + moved, (flag_at[0] + moved, flag_at[1] + moved)
        # Kernel style where the argument shares the line of the call's parenthesis;
        # one on a line of its own (or in a macro) stays where its author put it.
        made = []
        if not any(a <= start < b for a, b in macros) and "\n" not in text[start:flag_at[1]]:
            text, made = layout.tidy_call(text, (start, end), flag_at, old_paren)
        record.note = _long_line_note(was, layout.widest_line(text, start,
                                                              layout.shift(end, made)))
    if edits:
        source.write_bytes(os.path.join(copy, relpath), source.as_bytes(text, crlf))


def _long_line_note(was, now):
    """What the report says of a call's width after its rewrite (as the tree
    conversion says it), or None."""
    if now <= layout.WIDTH or now <= was:
        return None
    if was > layout.WIDTH:
        return ("its line was already %d columns: the argument is rewritten in place, the "
                "line not re-wrapped (%d columns now)" % (was, now))
    return "a line of the call is %d columns now: re-wrap it by hand" % now


def _plan(site, text):
    """(record, edit) for one call; edit is None or (start, end, new text, span of
    the new argument) over the flag argument and the comments and blanks about
    it up to its commas.

    Of get_user_pages_fast(), what the guard passes (a gup_flags value, or a
    variable, which may hold one) stays; what it flags becomes the value
    classify_write() gives. A call a rule renames is renamed (by the caller)
    with its flags as the tree conversion gives them.
    """
    if site.directives:
        return sites.Record.of(site, "manual", idioms.DIRECTIVE), None
    rule = migration.current().rule(site.name)
    if len(site.args) != rule.arity:
        return sites.Record.of(site, "manual", "unexpected number of arguments"), None
    at = rule.argument
    start, end = site.arg_spans[at]
    lo, hi = site.arg_spans[at - 1][1], site.arg_spans[at + 1][0]
    lo = text.index(",", lo) + 1
    hi = text.rindex(",", end, hi)
    if "\\\n" in text[lo:hi]:
        return sites.Record.of(site, "manual", "the argument runs over a macro's line "
                               "continuation: left as it was, convert by hand"), None
    if rule.new != rule.old:
        idiom, replacement = idioms.classify(site.name, text[start:end])
        if replacement is None and idiom in idioms.manual():
            return sites.Record.of(site, "manual", idioms.reasons()[idiom], idiom=idiom), None
        replacement = replacement or text[start:end]
        record = sites.Record.of(site, "converted", WITH_COMPAT, by="driver", idiom=idiom)
        record.after = replacement
        return record, (start, end, replacement, (start, start + len(replacement)))
    arg = _without_stale_comments(text[start:end])
    lead, trail = _without_stale_comments(text[lo:start]), _without_stale_comments(text[end:hi])
    stale = (lead + arg + trail) != text[lo:hi]
    idiom, replacement = idioms.classify(site.name, arg)
    if idioms.flags_ok(arg):
        if not stale:
            return sites.Record.of(site, "unchanged", VARIABLE if idiom == "variable" else
                                   idioms.reasons()[idiom], idiom=idiom), None
        replacement = arg
    elif replacement is None or ctokens.comments(replacement) != ctokens.comments(arg):
        why = (idioms.reasons()[idiom] if replacement is None else "the rewrite would drop a "
               "comment inside the argument: left as it was, convert by hand")
        return sites.Record.of(site, "manual", why, idiom=idiom), None
    record = sites.Record.of(site, "converted", STALE if stale else None, by="driver",
                             idiom=idiom)
    record.after = replacement
    at = lo + len(lead)
    return record, (lo, hi, lead + replacement + trail, (at, at + len(replacement)))


def _without_stale_comments(text):
    """text without the comments that only name the old write parameter (and the
    blanks before each)."""
    out, at = [], 0
    for m in ctokens.TOKEN.finditer(text):
        if m.lastgroup == "comment" and STALE_COMMENT.match(m.group()):
            out.append(text[at:m.start()].rstrip(" \t"))
            at = m.end()
    out.append(text[at:])
    return "".join(out)


def _as_json(run):
    return dict(run, sites=[r.to_json() for r in run["sites"]])


def as_markdown(run):
    """Which calls were changed and why, and which were left, for the module's maintainer."""
    out = ["# gup-unify: %s (out-of-tree module)\n\n" % os.path.basename(run["tree"]),
           "Write arguments of get_user_pages_fast() rewritten to values that mean the same "
           "on kernels before and after the change (FOLL_WRITE is 1). Result: %s.\n\n"
           % run["result"],
           "| file:line | function | before | after | outcome | why |\n"
           "|---|---|---|---|---|---|\n"]
    for r in run["sites"]:
        why = r.reason or "the write argument as a gup_flags value (%s)" % r.idiom
        out.append("| %s:%d | %s() | `%s` | %s | %s | %s |\n" % (
            r.file, r.line, r.api, r.before or "", "`%s`" % r.after if r.after else "",
            r.outcome, why + ("; " + r.note if r.note else "")))
    for skipped in run["skipped_files"]:
        out.append("\nNot converted: %s: %s\n" % (skipped["file"], skipped["reason"]))
    if run["compat"] is not None:
        out.append("\nCompat step: %s\n" % json.dumps(run["compat"], sort_keys=True))
    return "".join(out)
