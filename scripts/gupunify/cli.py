"""gup-unify's command line: every subcommand and option declared once; the jobs' output printed.

A subcommand is named after the module doing its job (convert, buildcheck);
spatch and check, the names the README and the make targets use, stay as
aliases. The jobs return their results; what goes to stdout is printed here.
"""
import argparse
import json
import os
import signal
import sys
import time

from . import advise, cicheck
from .boottest import bootreport, boottest, guests, qemuboot, tap
from .buildcheck import buildcheck, buildreport
from .common import gitenv, kbuild, migration, outputs, report, util, workspace
from .convert import callercommits, convert
from .csource import source
from .groups import prefixes, split
from .series import series, subseries

DESCRIPTION = "gup-unify: convert a kernel tree to the flag-based get_user_pages API."


def _kernel(p, help="the kernel tree"):
    p.add_argument("kernel", help=help)


def _branch(p, help):
    p.add_argument("--branch", default="gup-unify", help=help)


def _reports(p):
    p.add_argument("--reports", metavar="DIR", help="where reports go (default reports/)")


def _allow_dirty(p, help):
    p.add_argument("--allow-dirty", action="store_true", help=help)


def _min_sites(p, help):
    p.add_argument("--min-sites", type=int, default=split.MIN_SITES, metavar="N", help=help)


def _sendable(p, identity_help):
    """Who signs off, and the subject prefixes to use: convert and series alike."""
    p.add_argument("--identity", metavar='"NAME <MAIL>"', help=identity_help)
    p.add_argument("--prefix", action="append", default=[], metavar="GROUP=PREFIX",
                   help="subject prefix of a group (its MAINTAINERS entry or path prefix), "
                        "instead of the one learned from git history; repeatable")
    p.add_argument("--prefix-file", action="append", default=[], metavar="FILE",
                   help="GROUP=PREFIX lines, as --prefix")


def _prefixes(args):
    """{group: prefix} of --prefix and --prefix-file, each fit for a subject."""
    return prefixes.parse_overrides(args.prefix, args.prefix_file,
                                    longest=callercommits.longest_prefix())


def _fast_only(p, help):
    p.add_argument("--fast-only", action="store_true", help=help)


def _migration(p):
    p.add_argument("--migration", default=migration.DEFAULT, metavar="NAME",
                   help="the API change to carry out: a folder of migrations/ (default %s; "
                        "known: %s)" % (migration.DEFAULT, ", ".join(migration.available())))


def _distcc_hosts(p):
    p.add_argument("--distcc-hosts", metavar="HOSTS",
                   help="send compiles to these distcc hosts through ccache "
                        "(DISTCC_HOSTS syntax, e.g. \"build1/8 build2/16\"; -j their slots)")


def convert_options(p):
    _kernel(p)
    _branch(p, "branch to create (default gup-unify)")
    p.add_argument("--diff", metavar="FILE",
                   help="only write the diff to FILE (- for standard output), make no branch")
    _reports(p)
    _allow_dirty(p, "run although the tree has uncommitted changes (they are not converted)")
    _min_sites(p, "a MAINTAINERS group with fewer converted calls joins its parent entry "
                  "(default %d)" % split.MIN_SITES)
    _sendable(p, "author and sign-off of the commits (default: git config user.name and "
                 "user.email of the tree)")
    _fast_only(p, "then the migration's second caller phase, between the core patches that "
                  "add what its calls become and those that remove the old function "
                  "(gup-flags: the fast-only phase)")


def run_convert(args):
    """The sites per API and outcome, and the result, on stdout."""
    done = convert.convert(args.kernel, args.branch, args.diff, args.reports, args.allow_dirty,
                           args.min_sites, who=args.identity,
                           prefix_overrides=_prefixes(args),
                           fast_only=args.fast_only)
    # With --diff -, standard output is the diff's alone.
    print(report.summary(done.run), end="",
          file=sys.stderr if args.diff == outputs.STDOUT else sys.stdout)
    return 0


def series_options(p):
    _kernel(p)
    _branch(p, "the converted branch; made by the spatch job when absent")
    p.add_argument("--output", metavar="DIR", help="where the series go (default series/<tree>)")
    _reports(p)
    p.add_argument("--dry-run", action="store_true",
                   help="print the plan (series, order, recipients); write nothing")
    _allow_dirty(p, "convert HEAD although the tree has uncommitted changes")
    _min_sites(p, "as for spatch, when the branch has to be made")
    p.add_argument("--check", action="store_true",
                   help="then build-check every step of the branch (as the check job)")
    p.add_argument("--b4", action="store_true",
                   help="also make one b4 prep branch per series (b4/gup-unify-NN-...), "
                        "checked offline with b4 send -o")
    p.add_argument("--shape", choices=subseries.SHAPES, default="maintainers",
                   help="maintainers: one thread per MAINTAINERS group and core part "
                        "(default); mm: one series through mm with the callers inside, "
                        "in branch order")
    _sendable(p, "author and sign-off of the commits and cover letters (default: git config "
                 "user.name and user.email of the tree)")
    _fast_only(p, "as for spatch, when the branch has to be made")


def run_series(args):
    """The conversion's summary when it made the branch, the plan, the build table (--check)."""
    done = series.make_series(args.kernel, args.branch, args.output, args.reports, args.dry_run,
                              args.allow_dirty, args.min_sites, args.check, who=args.identity,
                              prefix_overrides=_prefixes(args),
                              b4=args.b4, fast_only=args.fast_only, shape=args.shape)
    print(done.conversion + done.plan + done.check, end="")
    return done.status


def cicheck_options(p):
    _kernel(p)
    p.add_argument("--since", metavar="REV", help="only lines added since this git revision")
    p.add_argument("--format", choices=("gcc", "json", "sarif"), default="gcc")


def run_cicheck(args):
    """The findings on stdout, and a total line on stderr; 0 when clean, 1 when a
    warning was found."""
    with util.phase("cicheck: %s" % args.kernel) as scan:
        api, findings = cicheck.check(args.kernel, args.since)
    if args.format == "json":
        text = cicheck.as_json(args.kernel, api, args.since, findings)
    elif args.format == "sarif":
        text = cicheck.as_sarif(findings)
    else:
        text = cicheck.as_gcc(findings)
    # An argument quoted from a Latin-1 file goes out with the file's bytes.
    sys.stdout.buffer.write(source.encode(text))
    sys.stdout.flush()
    warnings = sum(f.level == "warning" for f in findings)
    util.progress("cicheck: %s: %s (%s) in %s%s, %.1f s" % (
        args.kernel, _counted(len(findings), "finding"), _counted(warnings, "warning"),
        _counted(len({f.site.path for f in findings}), "file"),
        ", lines added since %s" % args.since if args.since is not None else "",
        time.monotonic() - scan.start))
    return 1 if warnings else 0


def _counted(n, noun):
    return "%d %s%s" % (n, noun, "" if n == 1 else "s")


def boottest_options(p):
    _kernel(p, "the kernel tree (a git checkout with the gup-unify branch)")
    _branch(p, "the patched branch (default gup-unify)")
    p.add_argument("--arch", default="x86_64", metavar="A,B|all",
                   help="the arches to boot (default x86_64; all: %s)" % ",".join(guests.ALL))
    p.add_argument("--only", choices=tap.KERNELS, help="build and boot one kernel only")
    p.add_argument("--clean", action="store_true",
                   help="start from an empty build directory (ccache still applies)")
    p.add_argument("--tcg", action="store_true", help="do not use KVM even when usable")
    p.add_argument("--boots", type=int, default=3, metavar="N",
                   help="boots of each kernel whose timings are merged (default 3)")
    p.add_argument("--timeout", type=int, help="seconds per boot (default %d KVM, %d TCG)"
                   % (qemuboot.KVM_TIMEOUT, qemuboot.TCG_TIMEOUT))
    _distcc_hosts(p)
    _reports(p)


def run_boottest(args):
    res = boottest.main(args)
    print(bootreport.summary(res), end="")
    return bootreport.status(res)


def buildcheck_options(p):
    _kernel(p, "the kernel tree whose repository holds the series")
    _branch(p, "the series (default gup-unify)")
    p.add_argument("--base", help="where the series starts (default: merge-base with HEAD)")
    p.add_argument("--arches", help="comma-separated check arches (default: those the series "
                                    "touches; known: %s)" % ",".join(sorted(kbuild.ARCHES)))
    p.add_argument("--sparse", action="store_true", help="also run sparse (C=1)")
    p.add_argument("--checkpatch", action="store_true",
                   help="also run scripts/checkpatch.pl on each step")
    _reports(p)
    p.add_argument("--config", action="append", default=[], metavar="ARCH=TARGET",
                   help="config target for an arch (e.g. x86_64=defconfig); repeatable")
    p.add_argument("-j", "--jobs", type=int, help="parallel jobs (default: the cores, or "
                                                  "the distcc hosts' slots)")
    _distcc_hosts(p)


def run_buildcheck(args):
    if args.jobs is not None and args.jobs < 1:
        util.die("-j must be at least 1 (got %d)" % args.jobs)
    configs = {}
    for item in args.config:
        arch, sep, target = item.partition("=")
        if not sep or not target:
            util.die("--config %s: expected ARCH=TARGET, e.g. x86_64=defconfig" % item)
        if arch not in kbuild.ARCHES:
            util.die("--config %s: unknown arch %s (known: %s)"
                     % (item, arch, ", ".join(sorted(kbuild.ARCHES))))
        if configs.get(arch, target) != target:
            util.die("--config %s: %s already has --config %s=%s: give one per arch"
                     % (item, arch, arch, configs[arch]))
        configs[arch] = target
    result = buildcheck.check(args.kernel, args.branch, args.base,
                              args.arches.split(",") if args.arches else None, args.sparse,
                              args.checkpatch, args.reports, args.jobs, configs,
                              args.distcc_hosts)
    print(buildreport.summary(result), end="")
    return buildcheck.status(result)


def advise_options(p):
    _kernel(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    _reports(p)


def run_advise(args):
    """The advice on stdout; advice is not failure."""
    data = advise.main(args)
    if args.format == "json":
        print(json.dumps(data, indent=1, sort_keys=True))
    else:
        print(advise.as_text(data), end="")
    return 0


# (name, aliases, help, options, run), in the order --help lists them.
SUBCOMMANDS = (
    ("convert", ["spatch"], "convert the callers, apply the core series, commit on a new branch",
     convert_options, run_convert),
    ("series", [], "per-subsystem patch series with cover letters and recipients, and one "
                   "atomic patch, from the branch", series_options, run_series),
    ("cicheck", [], "report callers of the old API (exit 1 if any)",
     cicheck_options, run_cicheck),
    ("boottest", [], "build and boot the kernel before and after the series under QEMU, run "
                     "the GUP tests in it", boottest_options, run_boottest),
    ("buildcheck", ["check"], "build every step of the series on the arches it touches "
                              "(exit 1 if a step fails)", buildcheck_options, run_buildcheck),
    ("advise", [], "report GUP calls made in the wrong lock context (advice, no rewrite)",
     advise_options, run_advise),
)


class Parser(argparse.ArgumentParser):
    """argparse's parser, its errors one line as the jobs' are (no usage block)."""

    def error(self, message):
        self.exit(2, "%s: error: %s (see %s --help)\n" % (self.prog, message, self.prog))


def parser():
    p = Parser(prog="gup-unify", description=DESCRIPTION)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    sub = p.add_subparsers(dest="command", required=True)
    for name, aliases, text, options, job in SUBCOMMANDS:
        # Not argparse's aliases: their parser is the subcommand's, and its
        # errors would name convert to a user who typed spatch. An alias
        # gets a parser of its own, unlisted (no help): its subcommand's
        # line names it.
        listed = sub.add_parser(name, help=text + "".join("; also named %s" % a for a in aliases))
        for one in [listed] + [sub.add_parser(alias) for alias in aliases]:
            options(one)
            _migration(one)
            one.set_defaults(run=job)
    return p


def _check_paths(args):
    """An empty path would pass for no option at all; a folder cannot be standard output."""
    for option in ("diff", "output", "reports"):
        value = getattr(args, option, None)
        if value == "":
            util.die("--%s is empty: name a %s" % (option, "file" if option == "diff"
                                                    else "directory"))
        if value == outputs.STDOUT and option != "diff":
            util.die("--%s -: the %s a folder, standard output cannot take it: name a "
                     "directory" % (option, "series are" if option == "output"
                                    else "reports go to"))


def main(argv=None):
    args = parser().parse_args(argv)
    util.set_quiet(args.quiet)
    util.stop_on_signals()
    workspace.plain_diffs(os.environ)
    try:
        _check_paths(args)
        migration.use(args.migration)
        gitenv.check(args.kernel)
        util.progress_interval()    # a bad value refused before any work
        return args.run(args)
    except util.UserError as e:
        print("gup-unify: error: %s" % e, file=sys.stderr)
        return 2
    except OSError as e:
        # What the file system refused (a name too long, a full disk, no
        # permission) is the user's to fix too: one line, not a traceback.
        print("gup-unify: error: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        # Ctrl-C or SIGTERM: what threads still run ends with their programs.
        util.end_running()
        stop = e if isinstance(e, util.Interrupted) else util.Interrupted()
        kept = util.kept_so_far()
        print("gup-unify: %s; %s" % ("interrupted" if stop.signum == signal.SIGINT
                                     else "stopped by SIGTERM",
                                     "kept " + ", ".join(kept) if kept else "nothing was kept"),
              file=sys.stderr)
        return stop.status
