"""What is declared once and repeated elsewhere, held together.

The options: cli.py declares them; the Makefile, make help and the README's
synopsis follow its MAKE_TARGETS and MAKE_VARIABLES. The Debian packages:
scripts/deps names them; the README and ci/ follow scripts/deps --list.
Pointers of the form (FILE, "Section") name a section FILE has. The semantic
patches' outside_define() is smpl_defines.py's alone.
"""
import argparse
import glob
import os
import re
import shlex
import subprocess

from conftest import ROOT
from gupunify import cli

VARIABLES = {v[0]: v for v in cli.MAKE_VARIABLES}
COMMAND_TARGETS = [t for t in cli.MAKE_TARGETS if t[1]]


def make(*args):
    """make in the repository, as a user's shell runs it: no MAKEFLAGS of a calling make,
    and none of the variables in the environment (an exported ARCH is a make variable)."""
    unset = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL") + tuple(VARIABLES)
    env = {k: v for k, v in os.environ.items() if k not in unset}
    out = subprocess.run(["make", "--no-print-directory", "-C", ROOT] + list(args),
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return out


def subcommand_parsers():
    """{subcommand: its parser}, as scripts/gup-unify builds them."""
    (sub,) = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices


def options(parser):
    """{option (its longest name, or the positional's dest): action}, --help aside."""
    return {(max(a.option_strings, key=len) if a.option_strings else a.dest): a
            for a in parser._actions if not isinstance(a, argparse._HelpAction)}


def command_of(target, **variables):
    """The scripts/gup-unify argument list make TARGET VARIABLE=value... runs."""
    out = make("-n", target, *("%s=%s" % kv for kv in variables.items())).stdout
    (line,) = [l for l in out.replace("\\\n", " ").splitlines() if "scripts/gup-unify " in l]
    argv = shlex.split(line)
    return argv[argv.index("scripts/gup-unify") + 1:]


def a_value(action):
    """A value the option takes, other than its default; quotes and a space for a path."""
    if action.nargs == 0:
        return "1", True
    if action.choices:
        value = [c for c in action.choices if c != action.default][-1]
        return value, value
    if action.type is int:
        return "7", 7
    if action.dest == "config":
        # each word of CONFIG= its own --config
        return "x86_64=defconfig mips=tinyconfig", ["x86_64=defconfig", "mips=tinyconfig"]
    if action.dest == "kdir":
        # each word of KDIR= its own --kdir
        return "/k/one /k/two", ["/k/one", "/k/two"]
    path = "/a dir/it's"
    return path, [path] if isinstance(action, argparse._AppendAction) else path


def test_every_subcommand_option_has_a_make_variable_or_is_named_command_line_only():
    """An option added to cli.py fails here until MAKE_TARGETS gives its variable or
    names it command line only; a variable or option named there exists."""
    parsers = subcommand_parsers()
    for target, command, _, variables, cli_only in COMMAND_TARGETS:
        declared = options(parsers[command[0]])
        by_variable = {VARIABLES[v][2] for v in variables}
        assert all(VARIABLES[v][2] for v in variables), target
        assert not by_variable & set(cli_only), target
        assert set(declared) == by_variable | set(cli_only) | set(command[1:]), target


def test_each_make_variable_gives_its_option_and_nothing_else():
    """make TARGET VARIABLE=value runs the subcommand with exactly that option's value."""
    parsers = subcommand_parsers()
    for target, command, _, variables, _ in COMMAND_TARGETS:
        parser = cli.parser()
        base = vars(parser.parse_args(command_of(target)))
        assert base["run"] is dict((s[0], s[4]) for s in cli.SUBCOMMANDS)[command[0]], target
        for fixed in command[1:]:
            assert base[options(parsers[command[0]])[fixed].dest] is True, target
        for variable in variables:
            action = options(parsers[command[0]])[VARIABLES[variable][2]]
            given, parsed = a_value(action)
            got = vars(parser.parse_args(command_of(target, **{variable: given})))
            assert got == dict(base, **{action.dest: parsed}), (target, variable)
            if action.nargs == 0:
                assert command_of(target, **{variable: "0"}) == command_of(target), variable


def test_make_targets_read_only_the_variables_declared_for_them():
    """A variable the Makefile reads for a target and MAKE_TARGETS does not name fails."""
    with open(os.path.join(ROOT, "Makefile")) as f:
        defaulted = re.findall(r"^(\w+)\s*\?=", f.read(), re.M)
    for target, _, _, variables, _ in cli.MAKE_TARGETS:
        warned = make("-n", "--warn-undefined-variables", target).stderr
        read = set(re.findall(r"undefined variable '(\w+)'", warned))
        plain = make("-n", target).stdout
        read |= {v for v in defaulted if make("-n", target, v + "=@changed@").stdout != plain}
        assert read == set(variables), target


def test_makefile_targets_are_the_declared_ones():
    with open(os.path.join(ROOT, "Makefile")) as f:
        text = f.read()
    rules = set(re.findall(r"^([a-z][\w-]*):(?!=)", text, re.M))
    phony = set(re.search(r"^\.PHONY:((?:.*\\\n)*.*)", text, re.M).group(1)
                .replace("\\\n", " ").split())
    declared = {t[0] for t in cli.MAKE_TARGETS}
    assert rules == phony == declared | {"all"}
    assert make("-n").stdout == make("-n", "demo").stdout
    used = {v for t in cli.MAKE_TARGETS for v in t[3]}
    assert used == set(VARIABLES)


def test_make_help_names_every_target_and_variable_within_80_columns():
    text = make("help").stdout
    lines = text.splitlines()
    assert all(len(l) <= 80 for l in lines), [l for l in lines if len(l) > 80]
    for target, _, _, variables, cli_only in cli.MAKE_TARGETS:
        assert any(l.startswith("  %s " % target) for l in lines), target
        assert all(re.search(r"(?<![\w-])%s(?![\w=])" % re.escape(o), text) for o in cli_only)
    for variable, value, _, _ in cli.MAKE_VARIABLES:
        assert any(l.startswith("  %s=%s" % (variable, value)) for l in lines), variable


def marked_block(text, name):
    """The lines between <!-- NAME... --> and <!-- /NAME -->, unindented and unfenced."""
    found = re.findall(r"^[ \t]*<!-- %s\b.*?-->[ \t]*\n(.*?)^[ \t]*<!-- /%s -->" % (name, name),
                       text, re.M | re.S)
    if len(found) != 1:
        return None
    lines = [l for l in found[0].splitlines() if not l.startswith("```")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "".join(l[indent:] + "\n" for l in lines)


def readme():
    (path,) = [p for p in (os.path.join(ROOT, "README"), os.path.join(ROOT, "README.md"))
               if os.path.exists(p)]
    with open(path) as f:
        return f.read()


def test_readme_synopsis_is_make_help():
    """The README's option synopsis is make help's output, so it follows cli.py."""
    block = marked_block(readme(), "synopsis")
    assert block is not None, "README: no <!-- synopsis --> ... <!-- /synopsis --> block"
    assert block == make("help").stdout, "paste make help's output into the block"


def deps_list(*targets):
    out = subprocess.run([os.path.join(ROOT, "scripts", "deps"), "--list"] + list(targets),
                         capture_output=True, text=True, check=True)
    return out.stdout


def packages(listing):
    """{target: [package...]} of scripts/deps --list's output."""
    return {target: named.split() for target, named in
            re.findall(r"^([\w-]+):(.*(?:\n[ \t].*)*)", listing, re.M)}


def test_deps_list_names_every_package_scripts_deps_can_install():
    """--list prints every package of a target, installed or not."""
    with open(os.path.join(ROOT, "scripts", "deps")) as f:
        source = f.read()
    named = set(re.findall(r"^\s*want \S+ (\S+)$", source, re.M))
    named |= set(re.findall(r"\badd ([a-z][\w.+-]+)", source))
    listed = packages(deps_list())
    assert set().union(*listed.values()) == named
    assert packages(deps_list("boottest")) == {"boottest": listed["boottest"]}
    assert "linux-source-6.1" in listed["bench-quick"] and "b4" in listed["test"]


def test_package_lists_are_scripts_deps_list():
    """One place names the packages of every target: scripts/deps. The README or
    one docs/*.md file shows its --list; nothing else there lists packages."""
    listing = deps_list()
    every = set().union(*packages(listing).values())
    paths = [os.path.join(ROOT, "README"), os.path.join(ROOT, "README.md")] + \
        sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    blocks = []
    for path in filter(os.path.exists, paths):
        with open(path) as f:
            text = f.read()
        block = marked_block(text, "packages")
        if block is not None:
            blocks.append(block)
            text = re.sub(r"<!-- packages\b.*<!-- /packages -->", "", text, flags=re.S)
        for line in text.splitlines():
            named = every & set(re.findall(r"[\w.+-]+", line)) - {"git", "python3", "perl",
                                                                   "make", "gcc", "b4", "sparse"}
            assert len(named) < 3, "%s lists packages: %s" % (path, line)
    assert blocks == [listing]


def test_ci_installs_what_scripts_deps_cicheck_lists():
    with open(os.path.join(ROOT, "ci", "gitlab-ci.yml")) as f:
        (install,) = re.findall(r"apt-get install ([^&\n]*)", f.read())
    assert [w for w in install.split() if not w.startswith("-")] == \
        packages(deps_list("cicheck"))["cicheck"]


# (FILE, "Section"): FILE is README or a .md file, by the repository root or
# the pointing file's folder.
POINTER = re.compile(r"\b(README(?:\.md)?|(?:[\w-]+/)*[\w-]+\.md),\s+\"([^\"\n]+)\"")


# A Markdown link to a section: its target is NAME.md#ANCHOR, or #ANCHOR alone.
LINK = re.compile(r"\]\(((?:[\w-]+/)*[\w-]+\.md|README\.md)?#([\w-]+)\)")


def anchor(title):
    """The anchor GitHub and GitLab give a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def headings(path):
    """The section titles of a plain-text (underlined) or Markdown file."""
    with open(path) as f:
        lines = f.read().splitlines()
    found = [m.group(1).strip() for m in map(re.compile(r"^#+\s+(.*)").match, lines) if m]
    found += [title.strip() for title, rule in zip(lines, lines[1:])
              if title.strip() and re.fullmatch(r"(=+|-+)", rule) and len(rule) >= 3]
    return found


# Kernel code and fixtures point at nothing of ours; series/ and reports' tree
# folders are a run's output.
NOT_OURS = {".git", "sample", "patches", "series", "tests/cocci", "tests/hostile",
            "tests/boottest", "tests/guard"}


def test_every_section_a_file_points_at_exists():
    pointers = []
    for folder, dirs, files in os.walk(ROOT):
        here = os.path.relpath(folder, ROOT)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(here, d)) not in NOT_OURS
                   and d != "__pycache__" and here != "reports"]
        for name in files:
            path = os.path.join(folder, name)
            with open(path, errors="replace") as f:
                for number, line in enumerate(f, 1):
                    pointers += [(os.path.relpath(path, ROOT), number) + m
                                 for m in POINTER.findall(line)]
                    pointers += [(os.path.relpath(path, ROOT), number, target or name, "#" + a)
                                 for target, a in LINK.findall(line)]
    assert pointers
    for name, number, target, section in pointers:
        where = [p for p in (os.path.join(ROOT, target),
                             os.path.join(ROOT, os.path.dirname(name), target))
                 if os.path.exists(p)]
        assert where, "%s:%d: no file %s" % (name, number, target)
        titles = headings(where[0])
        if section.startswith("#"):
            assert section[1:] in map(anchor, titles), \
                "%s:%d: %s has no section with the anchor %s" % (name, number, target, section)
        else:
            assert any(t == section or t.split(":")[0] == section for t in titles), \
                "%s:%d: %s has no section \"%s\"" % (name, number, target, section)


def test_the_semantic_patches_share_one_outside_define():
    """outside_define() is defined once, in smpl_defines.py; every semantic patch that
    filters on it imports it from there, and finds the module beside itself."""
    users = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", "tests", "sample")]
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".cocci"):
                with open(path) as f:
                    text = f.read()
                assert "def outside_define" not in text and "def _defines" not in text, \
                    "%s: its own copy of smpl_defines.py's outside_define()" % path
                if "outside_define(" in text:
                    users.append(path)
                    assert "from smpl_defines import outside_define\n" in text, path
                    assert os.path.exists(os.path.join(folder, "smpl_defines.py")), \
                        "%s: no smpl_defines.py beside it (git mv it there)" % path
    assert len(users) >= 3
