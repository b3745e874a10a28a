"""The CI guard: find callers of the old GUP API, and bools passed where gup_flags go.

A kernel tree is checked against the API its include/linux/mm.h declares. A
module directory (not a kernel tree) is built against kernels on both sides
of the change, so it is held to what is right on both: gup_flags values
(0, FOLL_WRITE, E ? FOLL_WRITE : 0) and no get_user_pages_longterm() or
__get_user_pages_fast() outside compat code that names the other side too.
"""
import json
import os
import re
import urllib.parse

from .common import spatch
from .common.tree import KernelTree, api_state, tree_or_module
from .common.progress import warn
from .common.util import die, run
from .csource import idioms, mentions, shims, sites, source

# The API a module directory is held to: gup_flags values that mean the same on
# both sides of the change.
MODULE = "module"

RULES = {
    "longterm-call": "get_user_pages_longterm() is gone: call get_user_pages() with "
                     "FOLL_LONGTERM",
    "write-not-flags": "get_user_pages_fast() takes gup_flags: this argument is not built "
                       "from FOLL_* flags",
    "old-write-arg": "get_user_pages_fast() write argument that the conversion would change",
    "foll-as-write": "a FOLL_* value other than FOLL_WRITE passed as the write bool: its "
                     "meaning changes with gup_flags",
    "bool-as-flags": "passed where gup_flags are expected, but not built from FOLL_* "
                     "flags (a bool, literal or other integer)",
    "fast-irq-call": "__get_user_pages_fast() is old API where get_user_pages_fast_only() "
                     "exists: call that, with gup_flags",
    "longterm-shim": "defines get_user_pages_longterm() without FOLL_LONGTERM: where the "
                     "kernel has FOLL_LONGTERM, the pages are not pinned long-term",
    "not-checked": "not checked: the file is over the size budget per file",
}
# A module built on both sides reaches a gone function through a compat header only.
MODULE_GONE = {
    sites.LONGTERM: "get_user_pages_longterm() is gone since v5.2: outside a compat header "
                    "(a .h naming FOLL_LONGTERM too) the module builds on old kernels only",
    sites.FAST_IRQ: "__get_user_pages_fast() is gone since v5.10: outside a compat header "
                    "(a .h naming get_user_pages_fast_only() too) the module builds on old "
                    "kernels only",
}
MODULE_WRITE = ("get_user_pages_fast() write argument that is not a gup_flags value: right "
                "on either side of the change only while FOLL_WRITE is 1: `%s`; the "
                "conversion passes `%s`")
NOT_CHECKED = "not checked: the file is %d bytes, over the %d-byte budget per file (%s)"

# Where each function of the family takes its gup_flags (0-based argument index)
# in v5.0/v5.1; flags_arguments() reads the tree's own prototypes, because the
# positions move (get_user_pages_remote() lost its task argument in v5.9).
FLAGS_ARGUMENT = {
    "get_user_pages": 2,
    sites.FAST_ONLY: 2,
    "get_user_pages_locked": 2,
    "get_user_pages_unlocked": 3,
    "get_user_pages_remote": 4,
}
NAMES = (sites.FAST, sites.LONGTERM, sites.FAST_IRQ) + tuple(FLAGS_ARGUMENT)
# A module may be written for any kernel: where get_user_pages_remote() takes
# its gup_flags, by its number of arguments (v5.0: 8, v5.9: 7, v6.5: 6).
REMOTE_FLAGS_BY_ARITY = {8: 4, 7: 3, 6: 3}


class Finding:
    def __init__(self, site, rule, level, argument, message):
        self.site, self.rule, self.level = site, rule, level
        self.argument, self.message = argument, message

    def as_dict(self):
        return {"file": self.site.path, "line": self.site.line,
                "column": self.site.column + 1, "function": self.site.name,
                "rule": self.rule, "level": self.level, "argument": self.argument,
                "message": self.message}


def flags_arguments(path):
    """{function: index of its gup_flags parameter} from the tree's include/linux/mm.h."""
    with open(os.path.join(path, "include/linux/mm.h"), errors="replace") as f:
        mm_h = f.read()
    found = dict(FLAGS_ARGUMENT)
    for name in FLAGS_ARGUMENT:
        m = re.search(r"\blong\s+%s\s*\(([^)]*)\)" % name, mm_h)
        if m:
            params = [p for p in m.group(1).split(",")]
            for index, param in enumerate(params):
                if re.search(r"\bgup_flags\b", param):
                    found[name] = index
    return found


def check_site(site, api, flags_argument=FLAGS_ARGUMENT, fast_only=False):
    """Findings for one site, given the tree's API ("write" or "gup_flags", or
    MODULE for a module directory, held to gup_flags with the arguments where
    the module's own calls put them).

    fast_only: the tree has get_user_pages_fast_only(), so every use of
    __get_user_pages_fast() is old API; a tree without it has no other
    never-sleeping variant, and its calls are not reported.
    """
    if api == MODULE and site.name in MODULE_GONE and site.kind == "call":
        rule = "longterm-call" if site.name == sites.LONGTERM else "fast-irq-call"
        return [Finding(site, rule, "warning", None, MODULE_GONE[site.name])]
    if site.name == sites.LONGTERM and site.kind in ("call", "define"):
        return [Finding(site, "longterm-call", "warning", None, RULES["longterm-call"])]
    if site.name == sites.FAST_IRQ:
        return _fast_irq(site) if fast_only else []
    if site.name == sites.FAST and site.kind == "define" and api == "write":
        return [Finding(site, "old-write-arg", "warning", None,
                        "get_user_pages_fast() inside a #define: the conversion leaves it; "
                        "convert its write argument by hand")]
    if site.kind != "call":
        return []
    if site.name == sites.FAST and len(site.args) == 4:
        arg = site.args[2]
        if api == MODULE:
            if not idioms.flags_ok(arg):
                replacement = idioms.classify_write(arg)[1] or "?"
                return [Finding(site, "write-not-flags", "warning", arg,
                                MODULE_WRITE % (arg, replacement))]
            return []
        if api == "gup_flags":
            if not idioms.flags_ok(arg):
                return [Finding(site, "write-not-flags", "warning", arg,
                                "%s: `%s`" % (RULES["write-not-flags"], arg))]
            return []
        idiom, replacement = idioms.classify_write(arg)
        if idiom == "other_foll_flag":
            return [Finding(site, "foll-as-write", "warning", arg,
                            "%s: `%s`" % (RULES["foll-as-write"], arg))]
        if replacement is not None:
            return [Finding(site, "old-write-arg", "warning", arg,
                            "get_user_pages_fast() write argument `%s`: the conversion "
                            "passes `%s`" % (arg, replacement))]
        return []
    if api == MODULE and site.name == "get_user_pages_remote":
        index = REMOTE_FLAGS_BY_ARITY.get(len(site.args))
    else:
        index = flags_argument.get(site.name)
    if index is not None and len(site.args) > index and not idioms.flags_ok(site.args[index]):
        arg = site.args[index]
        return [Finding(site, "bool-as-flags", "warning", arg,
                        "%s(): %s: `%s`" % (site.name, RULES["bool-as-flags"], arg))]
    return []


def _fast_irq(site):
    """A call (or a #define using) __get_user_pages_fast() where the new API exists."""
    if site.kind == "define":
        return [Finding(site, "fast-irq-call", "warning", None,
                        "%s: inside a #define, convert its write argument by hand"
                        % RULES["fast-irq-call"])]
    if site.kind != "call":
        return []
    arg = site.args[2] if len(site.args) == 4 else None
    idiom, replacement = idioms.classify_fast_only(arg) if arg is not None else (None, None)
    if replacement is None:
        why = ("its write argument `%s` is a FOLL_* value other than FOLL_WRITE, fix by hand"
               % arg if idiom == "other_foll_flag" else "unexpected number of arguments")
    else:
        why = "the conversion passes `%s`" % replacement
    return [Finding(site, "fast-irq-call", "warning", arg,
                    "%s: %s" % (RULES["fast-irq-call"], why))]


def _revision(root, since):
    """The commit --since names; one-line refusal of an empty or unknown revision."""
    if not since.strip():
        die("--since: empty revision: name a commit, tag or branch")
    rc, out, _ = run(["git", "-C", root, "rev-parse", "--is-inside-work-tree"], check=False)
    if rc != 0 or out.strip() != "true":
        die("--since %s: %s is not in a git checkout: lines added since a revision need one"
            % (since, root))
    rc, out, _ = run(["git", "-C", root, "rev-parse", "--verify", "-q", "--end-of-options",
                      since + "^{commit}"], check=False)
    if rc != 0:
        die("--since %s: not a revision of %s" % (since, root))
    return out.strip()


def _added_lines(root, commit):
    """{file: set of line numbers added since commit} (git diff -U0), paths from root.

    --relative keeps a tree that is a subdirectory of its repository to
    itself, with its own paths. The file of each diff is taken from git's
    NUL-separated list in the same order, never parsed from the headers,
    which quote odd names.
    """
    diff = ["git", "-C", root, "diff", "--relative", "--no-color", "--no-ext-diff", commit]
    spec = ["--", "*.c", "*.h"]
    names = [p for p in run(diff + ["--name-only", "-z"] + spec)[1].split("\0") if p]
    out = run(diff + ["-U0"] + spec, binary=True)[1]
    added, index = {}, -1
    for line in out.split(b"\n"):
        if line.startswith(b"diff --git "):
            index += 1
        elif line.startswith(b"@@ ") and 0 <= index < len(names):
            m = re.match(rb"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)
            start, count = int(m.group(1)), int(m.group(2) or 1)
            added.setdefault(names[index], set()).update(range(start, start + count))
    return added


def _candidate_files(root, module=False):
    """The .c and .h files under root that may mention NAMES, submodules checked out
    included; the submodules that are not, with a warning that they were not read.
    A module directory's files are all read, tracked by git or not (a folder
    unpacked inside some other checkout is still the module).

    git grep -F with one fixed string finds them at grep speed (an ERE with
    \\b took twenty times as long); check() keeps those that hold a name as
    a word. Names are read as bytes: one that is not UTF-8 is still opened.
    """
    fixed = mentions.fixed_strings(NAMES)
    rc = None
    if not module:
        rc, out, _ = run(["git", "-C", root, "grep", "--recurse-submodules", "-l", "-z", "-F",
                          *fixed, "--", "*.c", "*.h", ":!tools", ":!Documentation",
                          ":!scripts"], check=False, binary=True)
    if rc in (0, 1):
        _warn_unread_submodules(root)
        return [source.decode(p) for p in out.split(b"\0") if p]
    _, out, _ = run(["grep", "-rlZF", "--include=*.c", "--include=*.h", *fixed, "."],
                    cwd=root, check=False, binary=True)
    return sorted(source.decode(p[2:]) for p in out.split(b"\0")
                  if p and not p.startswith((b"./tools/", b"./Documentation/", b"./scripts/")))


def _warn_unread_submodules(root):
    """Say which submodules git grep could not look into (not checked out)."""
    out = run(["git", "-C", root, "ls-files", "-s", "-z"], binary=True)[1]
    for item in out.split(b"\0"):
        if item.startswith(b"160000 "):
            path = source.decode(item.split(b"\t", 1)[1])
            if not os.path.exists(os.path.join(root, path, ".git")):
                warn("%s: submodule not checked out: its files were not checked" % path)


def _not_checked(relpath, data, budget):
    """Findings for each line of a file over the size budget that mentions a name."""
    text = source.decode(data)
    found, line, line_start = [], 1, 0
    for m in re.finditer(r"(?<![A-Za-z0-9_])(%s)(?![A-Za-z0-9_])"
                         % "|".join(map(re.escape, NAMES)), text, re.A):
        line += text.count("\n", line_start, m.start())
        line_start = text.rfind("\n", 0, m.start()) + 1
        site = sites.Site(relpath, m.group(1), line, m.start() - line_start, "reference", [],
                          [], None)
        found.append(Finding(site, "not-checked", "warning", None,
                             NOT_CHECKED % (len(data), budget, spatch.MAX_BYTES_ENV)))
    return found


def _file_findings(relpath, text, api, flags_argument, fast_only):
    """Findings for one file's text.

    Off a tree still on int write, #define bodies are read as code (the
    semantic patch reads them so), and the uses of an old name in a header
    that names the other side too are compat code: not reported; a definition
    of get_user_pages_longterm() without FOLL_LONGTERM is, wherever it is.
    Each further read is made only where it can find something: most files
    are tokenized once.
    """
    found = sites.scan(relpath, text, NAMES)
    if api == "write":
        return [f for site in found for f in check_site(site, api, flags_argument, fast_only)]
    if any(site.kind == "define" for site in found):
        found = sites.scan(relpath, shims.define_bodies(text), NAMES)
    compat = (shims.covered(relpath, text)
              if any(site.name in shims.OTHER_SIDE for site in found) else set())
    findings = [f for site in found if site.name not in compat
                for f in check_site(site, api, flags_argument, fast_only)]
    if sites.LONGTERM in mentions.words(source.encode(text), (sites.LONGTERM,)):
        for line, column in shims.shims_without(text, sites.LONGTERM, "FOLL_LONGTERM"):
            site = sites.Site(relpath, sites.LONGTERM, line, column, "definition", [], [],
                              None)
            findings.append(Finding(site, "longterm-shim", "warning", None,
                                    RULES["longterm-shim"]))
    return findings


def check(path, since=None):
    """(api, findings) for the tree or module directory at path, limited to lines
    added since `since`."""
    tree = tree_or_module(path)
    commit = _revision(tree.path, since) if since is not None else None
    if isinstance(tree, KernelTree):
        state = api_state(tree.path)
        api, fast_only = state["fast_takes"], state["has_fast_only"]
        flags_argument = flags_arguments(tree.path)
    else:
        # A module is built against kernels with and without get_user_pages_fast_only().
        api, fast_only, flags_argument = MODULE, True, FLAGS_ARGUMENT
    added = _added_lines(tree.path, commit) if commit else None
    files = sorted(added) if added is not None else _candidate_files(tree.path, api == MODULE)
    budget = spatch.max_bytes()
    findings = []
    for relpath in files:
        try:
            data = source.read_bytes(os.path.join(tree.path, relpath))
        except (FileNotFoundError, IsADirectoryError):
            continue
        if len(data) > budget:
            # Tokenizing it would hold up the whole check: its lines are listed.
            findings.extend(f for f in _not_checked(relpath, data, budget)
                            if added is None or f.site.line in added[relpath])
            continue
        if not mentions.words(data, NAMES):
            continue
        findings.extend(f for f in _file_findings(relpath, source.text_of(data), api,
                                                  flags_argument, fast_only)
                        if added is None or f.site.line in added[relpath])
    findings.sort(key=lambda f: (f.site.path, f.site.line, f.site.column))
    return api, findings


def as_gcc(findings):
    return "".join("%s:%d:%d: %s: %s [gup-unify/%s]\n" % (
        f.site.path, f.site.line, f.site.column + 1, f.level, f.message, f.rule)
        for f in findings)


def as_json(path, api, since, findings):
    return json.dumps({"tree": os.path.abspath(path), "api": api, "since": since,
                       "findings": [f.as_dict() for f in findings]}, indent=1) + "\n"


def as_sarif(findings):
    levels = {"warning": "warning", "note": "note"}
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gup-unify",
                "informationUri": "https://example.invalid/gup-unify",
                "rules": [{"id": rule, "shortDescription": {"text": text}}
                          for rule, text in sorted(RULES.items())]}},
            "results": [{
                "ruleId": f.rule,
                "level": levels[f.level],
                "message": {"text": f.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": urllib.parse.quote(
                        f.site.path, errors="surrogateescape")},
                    "region": {"startLine": f.site.line,
                               "startColumn": f.site.column + 1}}}]}
                for f in findings]}]}, indent=1) + "\n"
