"""The migration a run carries out: migrations/<name>/, its data read once.

A migration folder says everything that belongs to one API change (its
semantic patches, core series, value tables, texts, guard names, boot
cases); the pipeline reads it from here and names no API of its own.
docs/migrations.md describes the folder.
"""
import configparser
import dataclasses
import importlib.util
import os
import re

from .. import ROOT
from .util import die

MIGRATIONS_DIR = os.path.join(ROOT, "migrations")
DEFAULT = "gup-flags"
INI = "migration.ini"
# A name is a folder under migrations/, never a path out of it.
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclasses.dataclass
class Rule:
    """One converted API: the calls of old become calls of new, by one semantic patch."""
    id: str
    phase: str              # the caller phase that commits it
    old: str                # the function whose calls are converted
    new: str                # what a converted call is named (old when only arguments change)
    cocci: str              # the semantic patch, an absolute path
    arity: int              # the argument count of an old call
    new_arity: int          # that of a converted one (one less when an argument is dropped)
    argument: int           # the argument the value table classifies (0-based)
    classifier: str         # the hooks.CLASSIFY entry that classifies it
    converted_mark: str     # text in argument of a call of new that shows it converted ("")
    already: str            # why a call of new (not old) is left: it is in the new form
    rename: str             # when messages naming old are renamed: last-call, not-in-code or ""
    comment_form: str       # what old becomes in a comment when the line has room ("": new)
    candidates: tuple       # path prefixes whose calls the report marks for a closer look
    subjects: tuple         # commit subjects, %(prefix)s, longest first
    message: str            # commit body, %(scope)s (and the migration's own keys)
    smpl: str               # the SmPL the commit quotes
    caveat: str             # what the full semantic patch also does, for the commit
    needs: tuple            # (what a converted call needs, the api_state key saying the tree has it)
    done: tuple             # api_state conditions under which its calls are already converted
    done_message: str       # the progress line then
    check: str              # the hooks.CHECKS entry the tree must pass before its conversion
    declared: str           # the api_state key saying the header still declares old ("")
    converts: str           # what a series of its callers does, in a cover letter
    alone: str              # why a series of its callers alone needs nothing first ("")

    also: tuple             # other names a converted call may have (a helper spatch calls)

    @property
    def names(self):
        """The names a scan looks for: the old one, what a call becomes, and also."""
        return tuple(dict.fromkeys((self.old, self.new) + self.also))


class Migration:
    """One folder of migrations/, as the pipeline reads it."""

    def __init__(self, name, path):
        self.name = name
        self.path = path
        ini = configparser.ConfigParser(interpolation=None, delimiters=("=",))
        ini.optionxform = str
        try:
            with open(os.path.join(path, INI), encoding="utf-8") as f:
                ini.read_file(f)
        except (OSError, UnicodeDecodeError, configparser.Error) as e:
            die("migration %s: %s cannot be read: %s" % (name, INI, _one_line(e)))
        self.ini = ini
        self.title = self.value("migration", "title")
        self.header = self.value("migration", "header")
        self.bases = dict(pair.split(":", 1) for pair in self.value("migration", "bases").split())
        self.phases = self.value("migration", "phases").split()
        # Files whose calls the core series changes itself: the conversion leaves them.
        self.core_files = frozenset(self.value("migration", "core_files", "").split())
        # api_state conditions under which the core series is already in a tree.
        self.applied = tuple(self.value("migration", "applied", "").split())
        self.rules = [self._rule(section) for section in ini.sections()
                      if section.startswith("rule:")]
        # {name: (text, file, mark)}: a text the commit messages carry as
        # %(name)s when the base's file holds the mark.
        self.fragments = {
            section.split(":", 1)[1]: (self.text(self.value(section, "text")),
                                      self.value(section, "file"), self.value(section, "mark"))
            for section in ini.sections() if section.startswith("fragment:")}
        self._hooks = None

    def value(self, section, key, default=None):
        """A key of migration.ini; a missing one without default is the user's error."""
        if self.ini.has_option(section, key):
            return self.ini.get(section, key)
        if default is None:
            die("migration %s: %s has no %s in [%s]" % (self.name, INI, key, section))
        return default

    def file(self, relpath):
        """A file of the folder, by its path in it."""
        return os.path.join(self.path, relpath)

    def text(self, relpath):
        """A text file of the folder, as it stands."""
        try:
            with open(self.file(relpath), encoding="utf-8") as f:
                return f.read()
        except (OSError, UnicodeDecodeError) as e:
            die("migration %s: %s" % (self.name, _one_line(e)))

    def lines(self, relpath):
        """The lines of a list file of the folder, without comments and blank lines."""
        return [line.strip() for line in self.text(relpath).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]

    def _rule(self, section):
        def get(key, default=None):
            return self.value(section, key, default)
        needs = get("needs", "")
        return Rule(id=section.split(":", 1)[1], phase=get("phase"), old=get("old"),
                    new=get("new"), cocci=self.file(get("cocci")), arity=int(get("arity")),
                    new_arity=int(get("new_arity", get("arity"))),
                    argument=int(get("argument")), classifier=get("idioms"),
                    converted_mark=get("converted_mark", ""),
                    already=get("already", "already %s()" % get("new")),
                    rename=get("rename", ""), comment_form=get("comment_form", ""),
                    candidates=tuple(get("candidates", "").split()),
                    subjects=tuple(self.lines(get("subjects"))),
                    message=self.text(get("message")), smpl=self.text(get("smpl")),
                    caveat=self.text(get("caveat")).strip() if get("caveat", "") else "",
                    needs=tuple(needs.rsplit(None, 1)) if needs else (),
                    done=tuple(get("done", "").split()), done_message=get("done_message", ""),
                    check=get("check", ""), declared=get("declared", ""),
                    converts=get("converts", "%s() calls are converted" % get("old")),
                    alone=get("alone", ""), also=tuple(get("also", "").split()))

    def rule(self, old):
        """The rule that converts calls of old."""
        for rule in self.rules:
            if rule.old == old:
                return rule
        die("migration %s has no rule for %s()" % (self.name, old))

    def argument_of(self, name):
        """The argument a call of name is classified by: that of the first rule that
        converts it or converts to it."""
        return next(rule.argument for rule in self.rules if name in rule.names)

    def phase_rules(self, phase):
        return [rule for rule in self.rules if rule.phase == phase]

    def steps(self, olds):
        """The rules of olds as the conversion's steps, in order: rules of one phase
        that share a semantic patch are one step (one spatch run over the files that
        mention any of them, one commit per group), as that patch converts a file's
        calls of all of them at once."""
        steps = []
        for old in olds:
            rule = self.rule(old)
            step = next((s for s in steps
                         if (s[0].phase, s[0].cocci) == (rule.phase, rule.cocci)), None)
            if step is None:
                steps.append([rule])
            else:
                step.append(rule)
        return steps

    def step_of(self, old):
        """The rules converted in one step with old's (itself included)."""
        rule = self.rule(old)
        return [r for r in self.rules if (r.phase, r.cocci) == (rule.phase, rule.cocci)]

    @property
    def hooks(self):
        """The folder's hooks.py: what its data cannot say (idiom classifiers)."""
        if self._hooks is None:
            path = self.file("hooks.py")
            spec = importlib.util.spec_from_file_location(
                "gupunify_migration_%s" % re.sub(r"\W", "_", self.name), path)
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except FileNotFoundError:
                die("migration %s names a hook but has no hooks.py" % self.name)
            self._hooks = module
        return self._hooks


def holds(state, conditions):
    """Do all conditions hold in an api_state: "key=value", "key" (true) or "!key"
    (false)? An empty list never holds."""
    if not conditions:
        return False
    for condition in conditions:
        key, sep, value = condition.partition("=")
        if sep:
            if str(state[key]) != value:
                return False
        elif bool(state[key.lstrip("!")]) == key.startswith("!"):
            return False
    return True


def _one_line(error):
    return " ".join(str(error).split())


def available():
    """The names of the folders under migrations/ that hold a migration.ini."""
    if not os.path.isdir(MIGRATIONS_DIR):
        return []
    return sorted(d for d in os.listdir(MIGRATIONS_DIR)
                  if os.path.isfile(os.path.join(MIGRATIONS_DIR, d, INI)))


def load(name):
    """The migration called name; an unknown name is the user's error."""
    if not NAME.match(name or "") or name not in available():
        die("no migration %r: known: %s (a folder of %s with a %s)"
            % (name, ", ".join(available()) or "none", MIGRATIONS_DIR, INI))
    return Migration(name, os.path.join(MIGRATIONS_DIR, name))


_current = None


def use(name):
    """Make name the run's migration (the CLI's --migration), loaded once."""
    global _current
    if _current is None or _current.name != name:
        _current = load(name)
    return _current


def current():
    """The run's migration: the one use() chose, else the default."""
    return _current or use(DEFAULT)
