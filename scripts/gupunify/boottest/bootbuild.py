"""The boot test's kernel: tinyconfig and its fragments, the image and the test module.

The fragments: boottest/kernel.config (or a migration's boot/config in its
place), boottest/config/<arch>.config, the knobs.

Built through kbuild (ARCH=, CROSS_COMPILE=, the knobs, O=, ccache) like make check's.
"""
import os
import re
import shutil
import time

from ..common import kbuild
from ..common.repository import scratch_dir
from ..common.progress import phase
from ..common.util import die, run, write_atomic
from . import guests

FRAGMENT = os.path.join(guests.BOOTTEST_DIR, "kernel.config")
JOBS = 2


def arch_fragment(arch):
    return os.path.join(guests.BOOTTEST_DIR, "config", arch + ".config")


def _fragment_lines(path):
    with open(path) as f:
        return [line.strip() for line in f
                if line.startswith("CONFIG_") or re.match(r"# CONFIG_\w+ is not set", line)]


def ccache_counts(stats_log):
    """(hits, misses) of the compilations logged to stats_log (CCACHE_STATSLOG).

    A log of our own: ccache's global counters also count whoever else
    shares the cache.
    """
    if not os.path.exists(stats_log):
        return 0, 0
    with open(stats_log) as f:
        lines = f.read().splitlines()
    hits = sum(line in ("direct_cache_hit", "preprocessed_cache_hit") for line in lines)
    return hits, lines.count("cache_miss")


def configure(src, build, log, arch, knobs, jobs=JOBS, env=None, fragment=FRAGMENT):
    """tinyconfig + fragments + knobs, olddefconfig; dies naming symbols that did not stick.

    fragment is the every-arch one (a migration's boot/config replaces
    boottest/kernel.config). The knobs go in as a fragment of their own,
    merged last, as kbuild.configure() merges them for make check. jobs and
    env are make's -j and environment: kbuild.distcc()'s with distcc hosts.
    """
    knob_fragment = os.path.join(build, "boottest-knobs.config")
    os.makedirs(build, exist_ok=True)
    write_atomic(knob_fragment, "".join(line + "\n" for line in kbuild.knob_lines(knobs)))
    fragments = [fragment, arch_fragment(arch), knob_fragment]

    def step(name, rc):
        if rc:
            die("%s failed in %s: see %s" % (name, src, log.name))
    step("tinyconfig", kbuild.make(arch, src, build, jobs, knobs, "tinyconfig", env=env,
                                   log=log)[0])
    rc, out, err = run(["scripts/kconfig/merge_config.sh", "-m", "-O", build,
                        os.path.join(build, ".config")] + fragments, cwd=src, check=False)
    log.write(out + err)
    step("scripts/kconfig/merge_config.sh", rc)
    step("olddefconfig", kbuild.make(arch, src, build, jobs, knobs, "olddefconfig", env=env,
                                     log=log)[0])
    with open(os.path.join(build, ".config")) as f:
        missing = kbuild.missing_config(f.read(), [line for path in fragments
                                                   for line in _fragment_lines(path)])
    if missing:
        die("%s: olddefconfig dropped %s" % (src, ", ".join(missing)))


def build_kernel(src, build, log, clean, arch, knobs, jobs=JOBS, distcc_env=None, *,
                 fragment=FRAGMENT, with_module=True):
    """Configure and build the image and the module; returns the timings and warnings,
    and the module's path (None when with_module is False).

    With distcc hosts, jobs and distcc_env are kbuild.distcc()'s. fragment:
    configure()'s; with_module False builds the image alone (a migration's
    boot cases run without boottest/module).
    """
    timings = {}
    if clean:
        shutil.rmtree(build, ignore_errors=True)
    start = time.monotonic()
    configure(src, build, log, arch, knobs, jobs, distcc_env, fragment)
    timings["config_s"] = round(time.monotonic() - start, 1)
    start = time.monotonic()
    stats_log = os.path.join(build, "ccache-stats.log")
    if os.path.exists(stats_log):
        os.unlink(stats_log)
    # Paths relative to the scratch dir: base and patched (../../src from each
    # build dir) then share every object the series does not change.
    env = dict(distcc_env or {}, CCACHE_STATSLOG=stats_log,
               CCACHE_BASEDIR=os.path.join(scratch_dir(), "boottest"))
    with phase("%s: building %s" % (arch, guests.GUESTS[arch].target)):
        rc, out = kbuild.make(arch, src, build, jobs, knobs, guests.GUESTS[arch].target,
                              env=env, log=log)
    timings["kernel_s"] = round(time.monotonic() - start, 1)
    if rc:
        last = [line for line in out.splitlines() if "rror" in line][-1:] or ["exit %d" % rc]
        die("kernel build failed in %s: %s (log: %s)" % (build, last[0], log.name))
    if not with_module:
        timings["ccache_hits"], timings["ccache_misses"] = ccache_counts(stats_log)
        return timings, None
    moddir = os.path.join(os.path.dirname(build), "module")
    shutil.rmtree(moddir, ignore_errors=True)
    shutil.copytree(os.path.join(guests.BOOTTEST_DIR, "module"), moddir)
    start = time.monotonic()
    rc, out = kbuild.make(arch, src, build, jobs, knobs, "M=" + moddir, "modules", env=env,
                          log=log)
    timings["module_s"] = round(time.monotonic() - start, 1)
    if rc:
        die("module build failed against %s: see %s" % (build, log.name))
    timings["ccache_hits"], timings["ccache_misses"] = ccache_counts(stats_log)
    warnings = [line for line in out.splitlines() if "warning:" in line]
    timings["module_warnings"] = sorted(set(
        line.replace(moddir + "/", "") for line in warnings if line.startswith(moddir)))
    # -Wextra also warns in the tree's own headers (unused parameters of
    # inline stubs...): counted, not ours to fix.
    timings["module_header_warnings"] = len(warnings) - len(
        [line for line in warnings if line.startswith(moddir)])
    return timings, os.path.join(moddir, "gup_unify_test.ko")
