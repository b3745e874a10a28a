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

# What the options name is imported here; each job's own modules are imported
# by its run_*(): a command starts without the code of the other five.
from .boottest import guests, qemuboot, tap
from .common import gitenv, kbuild, migration, outputs, progress, repository, tree, util
from .convert import callercommits
from .groups import prefixes, split
from .series import subseries

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
    from .convert import compat, convert, convertreport, moddir
    if isinstance(tree.tree_or_module(args.kernel), tree.ModuleDir):
        run = moddir.convert_module(args.kernel, args.diff, args.reports, compat=compat.apply).run
        text = convertreport.summary(run["sites"], run["skipped_files"], run["result"])
    else:
        state = convert.convert(args.kernel, args.branch, args.diff, args.reports,
                                args.allow_dirty, args.min_sites, who=args.identity,
                                prefix_overrides=_prefixes(args),
                                fast_only=args.fast_only).state
        text = convertreport.summary(state.sites, state.skipped_files, state.result)
    # With --diff -, standard output is the diff's alone.
    print(text, end="",
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


def _check_series(tree, branch, base, reports_dir):
    """series --check: make check on the series' steps, its exit status and table."""
    from .buildcheck import buildcheck, buildreport
    result = buildcheck.check(tree, branch, reports_dir, buildcheck.CheckOptions(base))
    return buildcheck.status(result), buildreport.summary(result)


def run_series(args):
    """The conversion's summary when it made the branch, the plan, the build table (--check)."""
    from .series import series
    options = series.SeriesOptions(args.output, args.dry_run, args.allow_dirty,
                                   _check_series if args.check else None, args.b4,
                                   args.fast_only, args.shape)
    done = series.make_series(args.kernel, args.branch, args.reports, args.identity,
                              args.min_sites, _prefixes(args), options)
    print(done.conversion + done.plan + done.check, end="")
    return done.status


def cicheck_options(p):
    _kernel(p)
    p.add_argument("--since", metavar="REV", help="only lines added since this git revision")
    p.add_argument("--format", choices=("gcc", "json", "sarif"), default="gcc")


def run_cicheck(args):
    """The findings on stdout, and a total line on stderr; 0 when clean, 1 when an
    error or a warning was found."""
    from . import cicheck
    from .csource import source
    with progress.phase("cicheck: %s" % args.kernel) as scan:
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
    errors = sum(f.level == "error" for f in findings)
    progress.progress("cicheck: %s: %s (%s%s) in %s%s, %.1f s" % (
        args.kernel, _counted(len(findings), "finding"),
        _counted(errors, "error") + ", " if errors else "", _counted(warnings, "warning"),
        _counted(len({f.site.path for f in findings}), "file"),
        ", lines added since %s" % args.since if args.since is not None else "",
        time.monotonic() - scan.start))
    return 1 if warnings or errors else 0


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
    from .boottest import bootreport, boottest
    options = boottest.BootOptions(args.branch, args.arch, args.only, args.clean, args.tcg,
                                   args.boots, args.timeout, args.distcc_hosts)
    res = boottest.main(args.kernel, args.reports, options)
    print(bootreport.summary(res), end="")
    return bootreport.status(res)


def buildcheck_options(p):
    _kernel(p, "the kernel tree whose repository holds the series (with --kdir: the "
               "out-of-tree module's directory)")
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
    p.add_argument("--kdir", action="append", default=[], metavar="DIR",
                   help="build the out-of-tree module in the given directory before and "
                        "after its conversion against this kernel: a prepared build "
                        "directory, or a source tree the tool prepares; repeatable")


def run_buildcheck(args):
    from .buildcheck import buildcheck, buildreport, module, modulereport
    if args.jobs is not None and args.jobs < 1:
        util.die("-j must be at least 1 (got %d)" % args.jobs)
    if args.kdir:
        result = module.check(args.kernel, args.kdir, args.reports, args.jobs)
        print(modulereport.summary(result), end="")
        return module.status(result)
    if not os.path.exists(os.path.join(args.kernel, "mm")) and module.is_module_dir(args.kernel):
        util.die("%s is an out-of-tree module: name the kernels to build it against with "
                 "--kdir DIR (make check MODULE=%s KDIR=DIR)" % (args.kernel, args.kernel))
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
    options = buildcheck.CheckOptions(args.base, args.arches.split(",") if args.arches else None,
                                      args.sparse, args.checkpatch, args.jobs, configs,
                                      args.distcc_hosts)
    result = buildcheck.check(args.kernel, args.branch, args.reports, options)
    print(buildreport.summary(result), end="")
    return buildcheck.status(result)


def advise_options(p):
    _kernel(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    _reports(p)


def run_advise(args):
    """The advice on stdout; advice is not failure."""
    from . import advise
    data = advise.main(args.kernel, args.reports)
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


# make's side of the command line, read by make help (scripts/make-help) and
# held against the Makefile and the README by tests/test_contracts.py.
# (VARIABLE, its value's form, the option it gives or None, what it does);
# a variable means the same option in every target that reads it.
MAKE_VARIABLES = (
    ("KERNEL", "DIR", "kernel", "the kernel tree (default sample/linux)"),
    ("MIGRATION", "NAME", "--migration", "the API change, a folder of migrations/ "
                                         "(default %s)" % migration.DEFAULT),
    ("MODULE", "DIR", "kernel", "check: an out-of-tree module's directory instead of a series"),
    ("KDIR", '"DIR ..."', "--kdir", "check MODULE=: the kernels to build it against (prepared "
                                    "build directories or source trees)"),
    ("BRANCH", "NAME", "--branch", "the converted branch (default gup-unify)"),
    ("DIFF", "FILE", "--diff", "only write the diff to FILE (- for stdout), make no branch"),
    ("OUT", "DIR", "--output", "where the series go (default series/<tree>)"),
    ("REPORTS", "DIR", "--reports", "where the reports go (default reports/)"),
    ("DRY_RUN", "1", "--dry-run", "print the plan, write nothing"),
    ("MIN_SITES", "N", "--min-sites", "a group with fewer converted calls joins its parent "
                                      "entry (default %d)" % split.MIN_SITES),
    ("CHECK", "1", "--check", "then build-check every step, as make check"),
    ("SHAPE", "maintainers|mm", "--shape", "one series per MAINTAINERS group (default), "
                                           "or one through mm"),
    ("FAST_ONLY", "1", "--fast-only", "also the migration's second caller phase "
                                      "(gup-flags: fast-only)"),
    ("IDENTITY", '"NAME <MAIL>"', "--identity", "author and sign-off (default: git config "
                                                "user.name and user.email of the tree)"),
    ("PREFIX_FILE", "FILE", "--prefix-file", "GROUP=PREFIX lines: the subject prefix of "
                                             "a group"),
    ("SINCE", "REV", "--since", "only lines added since the git revision REV"),
    ("FORMAT", "F", "--format", "output format: cicheck gcc|json|sarif, advise text|json"),
    ("ARCH", "A,B|all", "--arch", "the arches to boot (default x86_64)"),
    ("BOOTS", "N", "--boots", "boots of each kernel whose timings are merged (default 3)"),
    ("BASE", "REV", "--base", "where the series starts (default: merge-base with HEAD)"),
    ("ARCHES", "A,B", "--arches", "the arches to check (default: those the series touches)"),
    ("CONFIG", "ARCH=TARGET", "--config", "config target of an arch, e.g. x86_64=defconfig; "
                                          "several space-separated"),
    ("SPARSE", "1", "--sparse", "also run sparse (C=1)"),
    ("CHECKPATCH", "1", "--checkpatch", "also run scripts/checkpatch.pl on each step"),
    ("DISTCC_HOSTS", '"HOST/N ..."', "--distcc-hosts", "send the compiles to these distcc "
                                                       "hosts"),
    ("GUP_KERNEL_TREE", "DIR", None, "test-real: the v5.0 or v5.1.15 git checkout every "
                                     "real-tree test reads"),
    ("BENCH", "PART", None, "run one part of make bench: check|spatch|scan|advise|b4|history"),
    ("UPDATE", "1", None, "rewrite scripts/bench-quick.json with this run's figures"),
)

# (target, the subcommand it runs and its fixed options, what it does, the
# variables it reads, the subcommand's options left to the command line).
MAKE_TARGETS = (
    ("demo", None, "the whole pipeline on the bundled sample tree, signed off by an "
                   "example identity", ("IDENTITY",), ()),
    ("spatch", ("convert",), "convert the callers, apply the core series, commit on a new "
                             "branch",
     ("KERNEL", "MIGRATION", "BRANCH", "DIFF", "REPORTS", "MIN_SITES", "FAST_ONLY",
      "IDENTITY", "PREFIX_FILE"), ("--allow-dirty", "--prefix")),
    ("series", ("series",), "per-subsystem patch series with cover letters and "
                            "recipients, and one atomic patch",
     ("KERNEL", "MIGRATION", "BRANCH", "OUT", "REPORTS", "DRY_RUN", "MIN_SITES", "CHECK",
      "SHAPE", "FAST_ONLY", "IDENTITY", "PREFIX_FILE"), ("--allow-dirty", "--prefix", "--b4")),
    ("b4", ("series", "--b4"), "make series, and one b4 prep branch per series checked "
                               "offline; sends nothing",
     ("KERNEL", "MIGRATION", "BRANCH", "OUT", "REPORTS", "DRY_RUN", "MIN_SITES", "SHAPE",
      "FAST_ONLY", "IDENTITY", "PREFIX_FILE"), ("--allow-dirty", "--prefix", "--check")),
    ("cicheck", ("cicheck",), "report callers of the old API (exit 1 if any)",
     ("KERNEL", "MIGRATION", "SINCE", "FORMAT"), ()),
    ("advise", ("advise",), "report GUP calls made in the wrong lock context (advice, "
                            "exit 0)", ("KERNEL", "MIGRATION", "FORMAT", "REPORTS"), ()),
    ("check", ("buildcheck",), "build every step of the series on the arches it touches, "
                               "compare warnings with the base",
     ("KERNEL", "MIGRATION", "BRANCH", "BASE", "ARCHES", "CONFIG", "SPARSE", "CHECKPATCH",
      "REPORTS", "DISTCC_HOSTS", "MODULE", "KDIR"), ("--jobs",)),
    ("boottest", ("boottest",), "build and boot KERNEL at its base and on BRANCH under "
                                "QEMU, run the GUP tests",
     ("KERNEL", "MIGRATION", "BRANCH", "REPORTS", "BOOTS", "ARCH", "DISTCC_HOSTS"),
     ("--only", "--clean", "--tcg", "--timeout")),
    ("test", None, "install what the tests need, run the test suite", (), ()),
    ("test-real", None, "the whole suite with every test of a real tree, none skipped",
     ("GUP_KERNEL_TREE",), ()),
    ("bench", None, "time the jobs on GUP_KERNEL_TREE against their baselines",
     ("BENCH",), ()),
    ("bench-quick", None, "time the jobs on linux-source-6.1 and the sample against the "
                          "last release", ("UPDATE",), ()),
    ("deps", None, "install what the core targets need", (), ()),
    ("deps-boottest", None, "install what make boottest needs", (), ()),
    ("help", None, "this list", (), ()),
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
    progress.set_quiet(args.quiet)
    util.stop_on_signals()
    repository.plain_diffs(os.environ)
    try:
        _check_paths(args)
        migration.use(args.migration)
        gitenv.check(args.kernel)
        progress.progress_interval()    # a bad value refused before any work
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
