"""A converted module's compat header: written only when a call needs it.

    apply(moddir, module=None)  after the conversion of moddir: finds the calls
                                that cannot be spelled alike before and after the
                                API change (compattext.py), writes the header, the
                                probe and its Kbuild fragment, includes the header
                                where a call needs it and the fragment in the
                                module's Kbuild; returns an Added. A second run
                                changes nothing.
    module_name(moddir)         the module's name: its Kbuild's first obj-m
"""
import dataclasses
import os
import re

from ..common.util import die, write_atomic
from ..csource import ctokens, source
from . import compattext


@dataclasses.dataclass
class Added:
    """What apply() wrote, relative to the module directory, and why."""
    module: str
    header: str | None = None
    fragment: str | None = None
    probe: str | None = None
    makefile: str | None = None
    includes: list = dataclasses.field(default_factory=list)
    reasons: list = dataclasses.field(default_factory=list)     # "file:line: why"
    notes: list = dataclasses.field(default_factory=list)       # what it left alone, and why


def kbuild_file(moddir):
    """The module's Kbuild file (Kbuild before Makefile, as kbuild reads them)."""
    for name in ("Kbuild", "Makefile"):
        if os.path.isfile(os.path.join(moddir, name)):
            return name
    return None


def module_name(moddir):
    name = kbuild_file(moddir)
    found = None
    if name:
        with open(os.path.join(moddir, name), errors="replace") as f:
            m = re.search(r"^\s*obj-(?:m|\$\(CONFIG_\w+\))\s*[:+]?=\s*([\w-]+)\.o\b",
                          f.read(), re.M)
        found = m.group(1) if m else None
    found = found or os.path.basename(os.path.abspath(moddir))
    ident = re.sub(r"\W", "_", found.replace("-", "_")).lower()
    return ident if re.match(r"[a-z_]", ident) else "m_" + ident


def _sources(moddir, skip):
    for root, dirs, files in os.walk(moddir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), moddir)
            if name.endswith((".c", ".h")) and rel not in skip:
                yield rel


def _line(text, offset):
    return text.count("\n", 0, offset) + 1


def needs(path, text):
    """(parts, reasons, notes) of one file: which compat parts its calls need."""
    tokens = ctokens.tokenize(text)
    parts, reasons, notes = set(), [], []
    for i, t in enumerate(tokens):
        if t.kind != "ident" or i + 1 >= len(tokens) or tokens[i + 1].text != "(":
            continue
        if i and tokens[i - 1].text in ("->", "."):
            continue
        close = ctokens.matching(tokens, i + 1)
        args = ctokens.split_args(tokens, i + 2, close)
        idents = {x.text for x in tokens[i + 2:close] if x.kind == "ident"}
        where = "%s:%d" % (path, _line(text, t.start))
        if t.text == "get_user_pages" and len(args) == 5 and "FOLL_LONGTERM" in {
                x.text for x in tokens[args[2][0]:args[2][1]]}:
            parts.add(compattext.LONGTERM)
            reasons.append("%s: get_user_pages() with FOLL_LONGTERM: get_user_pages_longterm() "
                           "before v5.2" % where)
        elif t.text == "get_user_pages_fast_only":
            parts.add(compattext.FAST_ONLY)
            reasons.append("%s: get_user_pages_fast_only(): __get_user_pages_fast() before it"
                           % where)
        elif "FOLL_LONGTERM" in idents and t.text.startswith(("get_user_pages", "pin_user_pages")):
            notes.append("%s: %s() with FOLL_LONGTERM: no long-term form of it before v5.2; "
                         "the header does not map it" % (where, t.text))
    return parts, reasons, notes


def _insert_at(text):
    """Where an #include goes: after the last #include of the file's leading
    directives, else after those directives (an include guard)."""
    at = None
    last_include = None
    for t in ctokens.tokenize(text):
        if t.kind != "pp":
            if at is None:
                # Code first: the include goes on a line of its own before it.
                return text.rfind("\n", 0, t.start) + 1
            break
        at = t.end
        if re.match(r"\s*#\s*include\b", t.text):
            last_include = t.end
    if at is None:
        return len(text)
    end = last_include if last_include is not None else at
    nl = text.find("\n", end)
    return len(text) if nl < 0 else nl + 1


def _add_include(moddir, rel, header_rel):
    """Include the header in rel, once; the file's bytes and line ends kept."""
    path = os.path.join(moddir, rel)
    data = source.read_bytes(path)
    crlf = b"\r\n" in data and data.count(b"\r\n") == data.count(b"\n")
    text = source.decode(data).replace("\r\n", "\n") if crlf else source.decode(data)
    target = os.path.relpath(header_rel, os.path.dirname(rel) or ".")
    line = '#include "%s"' % target
    if re.search(r'^\s*#\s*include\s+"%s"' % re.escape(target), text, re.M):
        return False
    at = _insert_at(text)
    if at == len(text) and text and not text.endswith("\n"):
        line = "\n" + line
    text = text[:at] + line + "\n" + text[at:]
    write_atomic(path, source.encode(text.replace("\n", "\r\n") if crlf else text))
    return True


HOOK_COMMENT = "# gup-unify: the get_user_pages() API side of the kernel being built"


def _hook(moddir, fragment_rel):
    """Include the fragment from the module's Kbuild file, after its obj-m lines."""
    name = kbuild_file(moddir)
    if name is None:
        die("%s: no Kbuild or Makefile: the compat header's probe has nowhere to go"
            % moddir)
    path = os.path.join(moddir, name)
    with open(path, errors="surrogateescape", newline="") as f:
        text = f.read()
    line = "include $(if $(KERNELRELEASE),$(src)/%s)" % fragment_rel
    if line in text:
        return None
    lines = text.splitlines(keepends=True)
    at = None
    for n, l in enumerate(lines):
        if re.match(r"\s*obj-(?:m|\$\(CONFIG_\w+\))\s*[:+]?=", l):
            at = n
            while at + 1 < len(lines) and lines[at].rstrip("\r\n").endswith("\\"):
                at += 1
            break
    if at is None:
        die("%s: no obj-m line: cannot tell where the kbuild part is" % path)
    nl = "\r\n" if lines[at].endswith("\r\n") else "\n"
    if not lines[at].endswith("\n"):
        lines[at] += nl
    lines.insert(at + 1, HOOK_COMMENT + nl + line + nl)
    write_atomic(path, "".join(lines))
    return name


def _write(moddir, rel, text):
    path = os.path.join(moddir, rel)
    if os.path.isfile(path):
        with open(path) as f:
            if f.read() == text:
                return
    write_atomic(path, text)


def apply(moddir, module=None):
    """Write what the converted module in moddir needs to build on both sides."""
    module = module or module_name(moddir)
    n = compattext.names(module)
    added = Added(module)
    skip = {n["header"]}
    per_file = {}
    for rel in _sources(moddir, skip):
        text = source.decode(source.read_bytes(os.path.join(moddir, rel)))
        parts, reasons, notes = needs(rel, text)
        added.reasons += reasons
        added.notes += notes
        if parts:
            per_file[rel] = parts
    parts = [p for p in compattext.PARTS if any(p in ps for ps in per_file.values())]
    if not parts:
        return added
    _write(moddir, n["header"], compattext.header(module, parts))
    _write(moddir, n["probe"], compattext.probe_source(module, parts))
    _write(moddir, n["fragment"], compattext.fragment(module, parts))
    added.header, added.probe, added.fragment = n["header"], n["probe"], n["fragment"]
    added.makefile = _hook(moddir, n["fragment"])
    for rel in sorted(per_file):
        if _add_include(moddir, rel, n["header"]):
            added.includes.append(rel)
    return added
