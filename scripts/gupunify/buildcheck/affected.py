"""Which objects a step of the series can affect, and in which arch config each one builds."""
import os
import re

from ..common.kbuild import ARCHES
from ..common.util import git
from ..csource.ctokens import tokenize

# A header included by more .c files than this is not followed to all of them:
# only the users of the symbols it changes are built (include/linux/mm.h has
# thousands of includers).
HEADER_FANOUT = 40

# Trees the kernel build does not compile into objects.
NOT_KBUILD = ("tools/", "scripts/", "Documentation/", "usr/")

ARCH_BY_DIR = {arch.arch_dir: name for name, arch in ARCHES.items()}
GENERIC = "x86_64"

_DECL_SKIP = re.compile(r"[#{}\s/*]")
_IDENT_PAREN = re.compile(r"([A-Za-z_]\w*)\s*\($")
_KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "typeof", "__typeof__",
             "defined", "do", "else"}
_DEFINE = re.compile(r"#\s*define\s+([A-Za-z_]\w*)")
# A goto label at column 0 ("done:"): the statement after it is no declaration.
_LABEL = re.compile(r"[A-Za-z_]\w*\s*:(?!:)")
_COMMENT_OR_STRING = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                                re.S)


def declarations(text, header):
    """Top-level functions and macros of a C file: name -> sorted tuple of their declarations.

    A declaration is the text from its column-0 start up to its body or ';',
    whitespace collapsed, so two versions differ exactly when a prototype or
    a macro changed. Static functions of a .c file are left out: no other file
    can call them.
    """
    decls = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _DEFINE.match(line)
        if m:
            body = [line]
            while body[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                body.append(lines[i])
            decls.setdefault(m.group(1), []).append(" ".join(" ".join(body).split()))
            i += 1
            continue
        if not line or _DECL_SKIP.match(line[0]) or _LABEL.match(line):
            i += 1
            continue
        text_so_far, depth, name, end = "", 0, None, False
        j = i
        while j < len(lines) and not end and j < i + 30:
            for ch in lines[j]:
                if ch == "(":
                    if depth == 0 and name is None:
                        found = _IDENT_PAREN.search(text_so_far + "(")
                        name = found.group(1) if found else ""
                        prefix = text_so_far[:found.start()] if found else ""
                    depth += 1
                elif ch == ")":
                    depth -= 1
                elif depth == 0 and ch in ";{=":
                    end = True
                    break
                text_so_far += ch
            text_so_far += " "
            j += 1
        i = max(j, i + 1)
        # No type before the name: a macro call (EXPORT_SYMBOL(), SYSCALL_DEFINE...).
        if not name or not prefix.strip() or name in _KEYWORDS:
            continue
        if not header and re.search(r"\bstatic\b", prefix):
            continue
        decls.setdefault(name, []).append(" ".join(text_so_far.split()))
    return {name: tuple(sorted(texts)) for name, texts in decls.items()}


def changed_symbols(path, old_text, new_text):
    """Functions and macros whose declaration path changes (added, removed or different)."""
    header = path.endswith(".h")
    old = declarations(old_text or "", header)
    new = declarations(new_text or "", header)
    return sorted(n for n in set(old) | set(new) if old.get(n) != new.get(n))


def is_kbuild_source(path):
    return path.endswith(".c") and not path.startswith(NOT_KBUILD)


def resolve_include(including, token, exists):
    """The tree path an #include token in file including names, or None."""
    here = os.path.dirname(including)
    candidates = [os.path.normpath(os.path.join(here, token)), "include/" + token,
                  "include/uapi/" + token]
    parts = including.split("/")
    if parts[0] == "arch" and len(parts) > 2:
        candidates += ["arch/%s/include/%s" % (parts[1], token),
                       "arch/%s/include/uapi/%s" % (parts[1], token),
                       "arch/%s/include/generated/%s" % (parts[1], token)]
    elif token.startswith("asm/"):
        candidates += ["arch/%s/include/%s" % (a, token) for a in sorted(ARCH_BY_DIR)]
    for c in candidates:
        if exists(c):
            return c
    return None


class Source:
    """The tree's sources at one commit, read through git (no checkout needed)."""

    def __init__(self, repo, commit):
        self.repo = repo
        self.commit = commit
        self._files = None
        self._includers = {}    # {frozenset of headers: includers()}: each grep is the tree

    def files(self):
        if self._files is None:
            self._files = set(git(self.repo, "ls-tree", "-r", "-z", "--name-only",
                                  self.commit).split("\0"))
        return self._files

    def exists(self, path):
        return path in self.files()

    def read(self, path):
        if not self.exists(path):
            return None
        return git(self.repo, "show", "%s:%s" % (self.commit, path))

    def grep(self, *args, paths=None):
        """git grep -l at this commit (in paths only, if given); the paths it names."""
        spec = [p for p in paths if p.endswith((".c", ".h"))] if paths is not None \
            else ["*.c", "*.h"]
        if not spec:
            return []
        out = git(self.repo, "grep", "-l", "-z", *args, self.commit, "--", *spec, check=False)
        # "commit:path\0" each: a name may hold a colon or a newline.
        return sorted({p[len(self.commit) + 1:] for p in out.split("\0") if p})

    def code_users(self, paths, names):
        """The paths among paths whose code, not a comment or a string, names one of names.

        A directive's text counts (a #define body calling it, an #ifdef of a
        changed macro), less its comments and strings; an #include does not.
        """
        word = re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, sorted(names))))
        return {p for p in paths if any(_names_one(t, set(names), word)
                                        for t in tokenize(self.read(p) or ""))}

    def includers(self, headers):
        """Files that #include one of headers directly: {path: header}."""
        key = frozenset(headers)
        if key not in self._includers:
            self._includers[key] = self._find_includers(headers)
        return self._includers[key]

    def _find_includers(self, headers):
        patterns = []
        for base in sorted({os.path.basename(h) for h in headers}):
            for pre in "/<\"":
                for post in ">\"":
                    patterns += ["-e", pre + base + post]
        # Fixed strings: an ERE over the whole tree takes seconds per level.
        out = git(self.repo, "grep", "-I", "--null", "-F", *patterns,
                  self.commit, "--", "*.c", "*.h", check=False)
        found = {}
        for path, text in _matches(out, self.commit):
            token = re.match(r'\s*#\s*include\s*[<"]([^">]+)[">]', text)
            target = token and resolve_include(path, token.group(1), self.exists)
            if target in headers:
                found.setdefault(path, target)
        return found

    def including_sources(self, headers, limit=None):
        """The .c files that include one of headers, directly or through other headers.

        Returns ({source: header it reaches}, crowded): the headers in crowded
        reach more than limit .c files, which are left out for them.
        """
        limit = limit or HEADER_FANOUT
        origin = {h: h for h in headers}
        frontier, reached = set(headers), {}
        counts = dict.fromkeys(headers, 0)
        while frontier:
            nxt = set()
            for path, via in sorted(self.includers(frontier).items()):
                if path in origin:
                    continue
                origin[path] = origin[via]
                if path.endswith(".h"):
                    nxt.add(path)
                elif is_kbuild_source(path):
                    reached[path] = origin[via]
                    counts[origin[via]] += 1
            crowded = {h for h, n in counts.items() if n > limit}
            frontier = {h for h in nxt if origin[h] not in crowded}
        crowded = {h for h, n in counts.items() if n > limit}
        return ({src: h for src, h in reached.items() if h not in crowded}, sorted(crowded))


def _matches(out, commit):
    """(path, line) of each match in git grep --null output at commit.

    Each is "commit:path\\0line\\n": a line holds no newline, a path may.
    """
    parts = out.split("\0")
    path = parts[0]
    for part in parts[1:]:
        text, _, following = part.partition("\n")
        yield path[len(commit) + 1:], text
        path = following


def _names_one(token, names, word):
    """Whether a token of C names one of names in code."""
    if token.kind == "ident":
        return token.text in names
    if token.kind != "pp" or re.match(r"\s*#\s*include\b", token.text):
        return False
    return bool(word.search(_COMMENT_OR_STRING.sub(" ", token.text)))



def _witness(header, includers):
    """The includer that stands for a crowded header: a .c file outside arch/ (for a
    header of arch/<a>/, one of arch/<a>/ too), the least deep first (mm/gup.c
    before drivers/x/y/z.c), by name after that."""
    parts = header.split("/")
    own = "/".join(parts[:2]) + "/" if parts[0] == "arch" and len(parts) > 2 else None
    fits = [p for p in includers if is_kbuild_source(p)
            and (not p.startswith("arch/") or (own and p.startswith(own)))]
    return min(fits, key=lambda p: (p.count("/"), p)) if fits else None


def step_sources(repo, parent, commit):
    """The .c files a commit can affect, each with why.

    Returns (sources: {path: reason}, notes: [str]): the .c files it changes,
    the .c files including a header it changes (when few do), and every file
    calling or defining a function or macro whose declaration it changes.
    """
    old, new = Source(repo, parent), Source(repo, commit)
    status = git(repo, "diff", "--name-status", "-z", "--no-renames", parent, commit)
    fields = status.split("\0")
    sources, notes, symbols, touched = {}, [], {}, set()
    # "kind\0path\0" each: the names as they are, not quoted.
    for kind, path in zip(fields[0:-1:2], fields[1::2]):
        touched.add(path)
        if path.startswith(NOT_KBUILD) and path.endswith((".c", ".h")):
            notes.append("%s: not a kernel object (%s is not built by kbuild)"
                         % (path, path.split("/")[0] + "/"))
            continue
        if not path.endswith((".c", ".h")):
            continue
        if kind == "D":
            notes.append("%s: deleted" % path)
        elif path.endswith(".c"):
            sources.setdefault(path, "changed")
        else:
            reached, crowded = new.including_sources({path})
            for src in sorted(reached):
                sources.setdefault(src, "includes %s" % path)
            if crowded:
                # One includer still builds, so that the header's new text
                # compiles in a step where nothing uses what it adds.
                witness = _witness(path, new.includers({path}))
                if witness:
                    sources.setdefault(witness, "includes %s (one of its includers)" % path)
                notes.append("%s: included by more than %d .c files; built %s and those "
                             "using the functions and macros it changes"
                             % (path, HEADER_FANOUT, witness or "none of them"))
        for sym in changed_symbols(path, old.read(path), new.read(path)):
            symbols.setdefault(sym, path)
    if symbols:
        notes.append("declarations changed: %s" % ", ".join(
            "%s (%s)" % (s, p) for s, p in sorted(symbols.items())))
        args = []
        for sym in sorted(symbols):
            args += ["-e", sym]
        # A file the commit does not change reads the same on both sides: the
        # tree is searched once, the old side only in the files it changes.
        users = set(new.grep("-w", "-F", *args))
        users.update(old.grep("-w", "-F", *args, paths=sorted(touched)))
        # A name in a comment is no use of it: mm.h's names are in many.
        users = (users & touched) | new.code_users(sorted(users - touched), symbols)
        headers = set()
        for path in sorted(users - touched):
            if path.startswith(NOT_KBUILD):
                continue
            if path.endswith(".c"):
                sources.setdefault(path, "uses a changed declaration")
            else:
                headers.add(path)
        if headers:
            reached, crowded = new.including_sources(headers)
            for src, header in sorted(reached.items()):
                sources.setdefault(src, "includes %s, which uses a changed declaration"
                                   % header)
            for header in crowded:
                notes.append("%s uses a changed declaration and is included by more than "
                             "%d .c files: those are not followed" % (header, HEADER_FANOUT))
    return sources, notes


def home_arch(path):
    """The check arch whose config builds path: its arch/ directory's, else the generic one."""
    parts = path.split("/")
    if parts[0] == "arch" and len(parts) > 2:
        return ARCH_BY_DIR.get(parts[1], parts[1])
    return GENERIC


def is_mm_core(path):
    """Generic mm/ code that every arch in play compiles differently (fast walks, HUGEPD)."""
    return path.startswith("mm/")


def arches_in_play(paths):
    """The check arches a set of sources needs: their homes, plus the generic one."""
    arches = {home_arch(p) for p in paths}
    if any(not p.startswith("arch/") for p in paths):
        arches.add(GENERIC)
    return sorted(arches)


def place(sources, arches, makefiles, builds):
    """Where each source is compiled: {source: [(arch, None | reason it is not)]}.

    A source builds in its home arch's config; generic mm/ code in every arch
    in play too. A source its home config does not build moves to the first
    other arch in play whose config does.
    """
    placement = {}
    for src in sources:
        home = home_arch(src)
        wanted = [home] + ([a for a in arches if a != home] if is_mm_core(src) else [])
        spots = [(home, why_not(src, home, arches, makefiles, builds))]
        # The extra arches of mm/ code count only where their config builds it.
        spots += [(a, None) for a in wanted[1:]
                  if why_not(src, a, arches, makefiles, builds) is None]
        if spots[0][1] and home == GENERIC and not is_mm_core(src):
            tried = []
            for arch in arches:
                if arch == home:
                    continue
                why = why_not(src, arch, arches, makefiles, builds)
                if why is None:
                    spots.append((arch, None))
                    break
                if why.startswith("not built in "):
                    tried.append(builds[arch].label)
            else:
                if tried:
                    spots[0] = (home, "%s; nor in %s" % (spots[0][1], ", ".join(tried)))
        placement[src] = spots
    return placement


def why_not(src, arch, arches, makefiles, builds):
    """None when arch's config builds src, else the reason it is not built there."""
    build = builds.get(arch)
    if arch not in arches or build is None:
        if arch not in ARCHES:
            return "skipped: no toolchain (the check has no cross compiler for arch/%s)" % arch
        return "skipped: %s is not among the arches checked" % arch
    if build.skip:
        return "skipped: " + build.skip
    enabled, reason = makefiles.enabled(src, build.config)
    if enabled is False:
        return "not built in %s: %s" % (build.label, reason)
    return None
