"""One (arch, config) build directory of make check, and what its compiles said.

    ArchBuild(name, src, workdir, ...)  configure() once at the base (make
                             prepare), then build(objects, phase): each object
                             compiled afresh, with its warnings and errors
    parse_build_output(text, src, objdir)
                             make -O output split by object
    compare(before, after)   the new warnings and errors of an object's build
    in_parallel(f, items)    the arches' makes side by side
"""
import concurrent.futures
import json
import os
import re
import time

from ..common import kbuild
from ..common.progress import progress
from ..common.util import UserError, write_atomic

# Diagnostics: "file:line[:col]: warning|error: message", and "cc1: error: ..." ones.
_DIAG = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?:\d+:)? "
                   r"(?P<kind>warning|error|fatal error): (?P<msg>.*)$")
_TOOL_ERROR = re.compile(r"^(?P<file>[\w.+-]+): (?P<kind>error|fatal error): (?P<msg>.*)$")
_BLOCK = re.compile(r"^  (?P<verb>[A-Z][A-Z0-9_]*)(?: \[M\])?\s+(?P<path>\S+)$")


def normalise_path(path, src, objdir):
    """A diagnostic's file as a tree path (or O/... for generated files)."""
    full = path if os.path.isabs(path) else os.path.normpath(os.path.join(objdir, path))
    for root, prefix in ((src, ""), (objdir, "O/")):
        rel = os.path.relpath(full, root)
        if not rel.startswith(".."):
            return prefix + rel
    return path


def diagnostic_key(file, kind, msg):
    """A warning or error as compared across builds: line and column numbers dropped."""
    # gcc quotes with ‘’ or '' depending on the locale a cached compile ran in.
    msg = msg.strip().replace("\u2018", "'").replace("\u2019", "'")
    return "%s: %s: %s" % (file, "error" if kind == "fatal error" else kind, msg)


def parse_build_output(text, src, objdir):
    """Split make -O output into {object: {"warnings": set, "errors": [str]}} and stray errors.

    With --output-sync each recipe prints as one block, headed by its kbuild
    line ("  CC [M]  drivers/x.o", "  CHECK   mm/gup.c"); the diagnostics
    under it belong to that object.
    """
    objects, stray = {}, []
    current = None
    for line in text.splitlines():
        block = _BLOCK.match(line)
        if block:
            path = block.group("path")
            if os.path.isabs(path) or path.startswith(".."):
                # CHECK names the source under $(srctree), CC the object under O=.
                path = normalise_path(path, src, objdir)
                path = path[2:] if path.startswith("O/") else path
            if block.group("verb") in ("CC", "CHECK") and path.endswith((".o", ".c")):
                current = objects.setdefault(path[:-2] + ".o",
                                             {"warnings": set(), "errors": []})
            else:
                current = None
            continue
        m = _DIAG.match(line) or _TOOL_ERROR.match(line)
        if not m:
            continue
        file = normalise_path(m.group("file"), src, objdir) if "line" in m.groupdict() \
            else m.group("file")
        key = diagnostic_key(file, m.group("kind"), m.group("msg"))
        if current is None:
            if m.group("kind") != "warning":
                stray.append(key)
            continue
        if m.group("kind") == "warning":
            current["warnings"].add(key)
        elif key not in current["errors"]:
            current["errors"].append(key)
    return objects, stray


def compare(before, after):
    """New warnings and errors of an object build against its previous build (or none)."""
    old_w = before["warnings"] if before else set()
    old_e = set(before["errors"]) if before else set()
    return sorted(after["warnings"] - old_w), [e for e in after["errors"] if e not in old_e]


class ArchBuild:
    """One (arch, config) build directory of the check: configure once, then build objects."""

    def __init__(self, name, src, workdir, version, jobs, sparse, config_target=None,
                 env=None):
        self.name = name
        self.env = env
        self.config_target = config_target or kbuild.ARCHES[name].config
        self.src = src
        self.version = version
        self.jobs = jobs
        self.sparse = sparse
        self.objdir = os.path.join(workdir, "%s-%s" % (name, self.config_target))
        self.skip = kbuild.missing_toolchain(name)
        self.knobs = []
        self.config = {}
        self.compile_seconds = 0.0
        self.compiled = 0
        self.seconds = {}

    @property
    def label(self):
        return "%s %s" % (self.name, self.config_target)

    def make(self, *targets):
        return kbuild.make(self.name, self.src, self.objdir, self.jobs, self.knobs, *targets,
                           env=self.env)

    def configure(self, base, facts):
        """Configure at base, unless the build directory already is; then make prepare.

        A failure is not raised: it makes the arch skipped, with the reason.
        """
        start = time.monotonic()
        try:
            self.configure_only(base, facts)
            progress("%s: make prepare" % self.label)
            kbuild.checked_make(self.name, self.src, self.objdir, self.jobs, self.knobs,
                                self.label, "prepare", env=self.env)
        except UserError as e:
            self.skip = str(e)
        self.seconds["configure"] = self.seconds.get("configure", 0) + time.monotonic() - start

    def configure_only(self, base, facts):
        """Write .config for base with the knobs, unless the build directory has it already."""
        self.knobs = kbuild.knobs(self.name, self.src, self.version, facts)
        stamp_path = os.path.join(self.objdir, ".gup-unify-buildcheck")
        # The knobs' lines, as kbuild.configure() merges them
        stamp = json.dumps({"base": base, "target": self.config_target,
                            "fragment": kbuild.knob_lines(self.knobs),
                            "make": [k.make_vars for k in self.knobs]}, sort_keys=True)
        old = ""
        if os.path.exists(stamp_path):
            with open(stamp_path) as f:
                old = f.read()
        if old != stamp:
            progress("%s: configuring" % self.label)
            kbuild.configure(self.name, self.src, self.objdir, self.jobs, self.knobs,
                             self.config_target, self.label, env=self.env)
            write_atomic(stamp_path, stamp)
        self.config = kbuild.read_config(self.objdir)

    def inputs(self, obj):
        """The tree files obj's last compile read, from kbuild's .cmd file (None: no file)."""
        path = os.path.join(self.objdir, os.path.dirname(obj), ".%s.cmd" % os.path.basename(obj))
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        files = set()
        for token in re.findall(r"[^\s()$\\:=]+", text):
            full = os.path.normpath(os.path.join(self.objdir, token))
            rel = os.path.relpath(full, self.src)
            if not rel.startswith("..") and os.path.isfile(full):
                files.add(rel)
        return files

    def build(self, objects, phase):
        """Compile objects afresh; {object: {"warnings", "errors", "built"}} plus stray errors.

        The wall time is added to self.seconds[phase].
        """
        start = time.monotonic()
        results, stray = {}, []
        for obj in objects:
            try:
                os.unlink(os.path.join(self.objdir, obj))
            except FileNotFoundError:
                pass
        self._make(objects, results, stray)
        # Targets in one directory can race on their .cmd files under -j: the
        # ones that did not come out of the batch are retried alone.
        if len(objects) > 1:
            for obj in objects:
                if not results[obj]["built"] and not results[obj]["errors"]:
                    self._make([obj], results, stray)
        self.seconds[phase] = self.seconds.get(phase, 0) + time.monotonic() - start
        return results, stray

    def _make(self, objects, results, stray):
        targets = ["-k", "--output-sync=target"] + list(objects)
        if self.sparse:
            targets.append("C=1")
        start = time.monotonic()
        _, out = self.make(*targets)
        elapsed = time.monotonic() - start
        parsed, stray_now = parse_build_output(out, self.src, self.objdir)
        stray += stray_now
        for obj in objects:
            got = parsed.get(obj, {"warnings": set(), "errors": []})
            got["built"] = os.path.exists(os.path.join(self.objdir, obj))
            results[obj] = got
        if len(objects) > 1:
            self.compile_seconds += elapsed
            self.compiled += sum(results[o]["built"] for o in objects)


def in_parallel(function, items):
    """function(item) for every item at once, in threads: {item: result}, first error raised.

    Each item is an arch's make: most of a make run is make itself reading
    Makefiles, one core each, so arches side by side fill the cores that
    one arch's -j cannot.
    """
    items = list(items)
    if len(items) <= 1:
        return {item: function(item) for item in items}
    pool = concurrent.futures.ThreadPoolExecutor(len(items))
    try:
        futures = {item: pool.submit(function, item) for item in items}
        return {item: future.result() for item, future in futures.items()}
    finally:
        # On a stop the items not started are dropped; the running ones end
        # with their make, which the stop has ended (util.run).
        pool.shutdown(cancel_futures=True)
