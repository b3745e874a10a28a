"""The CI guard: find uses of the old API of the migration (its hooks.GUARD says what each is).

A kernel tree is checked against the API its header declares (api_state()).
A module directory (not a kernel tree) is built against kernels on both
sides of the change: the hooks get no state for it (None), and hold it to
what is right on both.
"""
import concurrent.futures
import json
import os
import re
import urllib.parse

from .common import migration, spatch
from .common.tree import KernelTree, api_state, tree_or_module
from .common.progress import warn
from .common.util import die, run
from .csource import mentions, sites, source

# The API a module directory is held to, as the json output's "api" names it.
MODULE = "module"
NOT_CHECKED_RULE = "not checked: the file is over the size budget per file"
NOT_CHECKED = "not checked: the file is %d bytes, over the %d-byte budget per file (%s)"


def rules():
    """{rule: what it finds}: the migration's [guard:rules], and the guard's own."""
    return dict(migration.current().ini.items("guard:rules"), **{"not-checked": NOT_CHECKED_RULE})


def names():
    """The names the guard looks for: the migration's [guard] names."""
    return tuple(migration.current().value("guard", "names").split())


def _flags_defaults():
    """{function: index of its flags argument} where the tree's header does not say."""
    return {name: int(index) for name, index
            in migration.current().ini.items("guard:flags_argument")}


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
    """{function: index of its flags parameter} from the tree's header: the positions
    move between kernels (the migration's [guard:flags_argument] says where they are
    when the header does not)."""
    mig = migration.current()
    with open(os.path.join(path, mig.header), errors="replace") as f:
        header = f.read()
    param = re.compile(r"\b%s\b" % re.escape(mig.value("guard", "flags_param")))
    found = _flags_defaults()
    for name in list(found):
        m = re.search(r"\blong\s+%s\s*\(([^)]*)\)" % name, header)
        if m:
            params = [p for p in m.group(1).split(",")]
            for index, p in enumerate(params):
                if param.search(p):
                    found[name] = index
    return found


def check_site(site, state, flags_argument):
    """The findings for one site, given the tree's api_state() (None for a module
    directory): the migration's guard."""
    return migration.current().hooks.GUARD(site, state, flags_argument)


def file_findings(relpath, text, state, flags_argument):
    """The findings for one file: each site's, unless the migration's hooks read
    the file as a whole (GUARD_FILE: compat code, #define bodies)."""
    whole = getattr(migration.current().hooks, "GUARD_FILE", None)
    if whole is not None:
        return whole(relpath, text, state, flags_argument)
    return [f for site in sites.scan(relpath, text, names())
            for f in check_site(site, state, flags_argument)]


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


# A kernel tree is searched in two parts: the files outside drivers/ are
# read and tokenized while git grep goes through drivers/, the larger part.
FIRST = ["*.c", "*.h", ":!drivers", ":!tools", ":!Documentation", ":!scripts"]
SECOND = ["drivers/*.c", "drivers/*.h"]


def _candidate_files(root, module=False):
    """The .c and .h files under root that may mention names(), submodules checked out
    included; the submodules that are not, with a warning that they were not read.
    A module directory's files are all read, tracked by git or not (a folder
    unpacked inside some other checkout is still the module).

    git grep -F with one fixed string finds them at grep speed (an ERE with
    \\b took twenty times as long); check() keeps those that hold a name as
    a word. Names are read as bytes: one that is not UTF-8 is still opened.
    A generator: the files of FIRST come while git grep reads SECOND.
    """
    fixed = mentions.fixed_strings(names())
    rc = None
    if not module:
        grep = ["git", "-C", root, "grep", "--recurse-submodules", "-l", "-z", "-F", *fixed,
                "--"]
        rc, out, _ = run(grep + FIRST, check=False, binary=True)
    if rc in (0, 1):
        _warn_unread_submodules(root)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            second = pool.submit(run, grep + SECOND, check=False, binary=True)
            yield from (source.decode(p) for p in out.split(b"\0") if p)
            rc, out, err = second.result()
        if rc not in (0, 1):
            die("git grep in %s failed: %s" % (root, (err.strip().splitlines() or ["?"])[-1]))
        yield from (source.decode(p) for p in out.split(b"\0") if p)
        return
    _, out, _ = run(["grep", "-rlZF", "--include=*.c", "--include=*.h", *fixed, "."],
                    cwd=root, check=False, binary=True)
    yield from sorted(source.decode(p[2:]) for p in out.split(b"\0")
                      if p and not p.startswith((b"./tools/", b"./Documentation/",
                                                 b"./scripts/")))


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
                         % "|".join(map(re.escape, names())), text, re.A):
        line += text.count("\n", line_start, m.start())
        line_start = text.rfind("\n", 0, m.start()) + 1
        site = sites.Site(relpath, m.group(1), line, m.start() - line_start, "reference", [],
                          [], None)
        found.append(Finding(site, "not-checked", "warning", None,
                             NOT_CHECKED % (len(data), budget, spatch.MAX_BYTES_ENV)))
    return found


def check(path, since=None):
    """(api, findings) for the tree or module directory at path, limited to lines
    added since `since`."""
    tree = tree_or_module(path)
    commit = _revision(tree.path, since) if since is not None else None
    if isinstance(tree, KernelTree):
        state = api_state(tree.path)
        api = state[migration.current().value("guard", "form")]
        flags_argument = flags_arguments(tree.path)
    else:
        state, api, flags_argument = None, MODULE, _flags_defaults()
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
        if not mentions.words(data, names()):
            continue
        findings.extend(f for f in file_findings(relpath, source.text_of(data), state,
                                                 flags_argument)
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
    levels = {"error": "error", "warning": "warning", "note": "note"}
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gup-unify",
                "informationUri": "https://example.invalid/gup-unify",
                "rules": [{"id": rule, "shortDescription": {"text": text}}
                          for rule, text in sorted(rules().items())]}},
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
