"""One step of the caller conversion in a worktree, with a record of each site.

A step is the rules that share a semantic patch (gup-flags: one rule each;
gup-vmas: its four functions), converted by spatch over the files that
mention any of them: one run, or two when some of its files wait for the
step before it.

spatch rewrites what it can parse; the driver checks each call against the
inventory (sites.py) and what spatch made of it (callplan.py), rewrites what
spatch could not reach, puts back what it must not change, and lays the
calls out in kernel style.
"""
import concurrent.futures
import os

from ..common import migration, spatch
from ..common.progress import phase, progress
from ..csource import ctokens, idioms, layout, mentions, sites, source, stale
from . import callplan


def _pairable(site, rule):
    """Sites that stand for the same call before and after a conversion: a call of
    the old name, or of the new one (with the rule's converted mark, if it has one)."""
    if site.kind != "call":
        return False
    if site.name == rule.old or site.name in rule.also:
        return True
    return (site.name == rule.new and
            (not rule.converted_mark or (len(site.args) > rule.argument
                                         and rule.converted_mark in site.args[rule.argument])))


NON_UTF8_NAME = "file name is not UTF-8: not converted, rename it or convert it by hand"


class CallerStep:
    """One step of the caller conversion over a worktree, with its site records.

    Files are read and written as bytes (source.py): a CRLF or Latin-1 file
    is converted with every other byte kept, and a file that cannot be (mixed
    line ends) is left as it is and listed in skipped, with its sites.

    A step's files can be begun (spatch started on them in the background)
    before the step runs, while the step before it still converts others:
    begin() those, then run() does the rest and waits. It is a context
    manager: leaving it waits for whatever it began.
    """

    def __init__(self, wt, rules, workdir):
        self.wt = wt
        self.root = wt.path
        self.rules = rules      # the rules of one semantic patch, in the migration's order
        self.api = rules[0].old     # the step's name in the group notes
        self.workdir = workdir
        self.cocci = rules[0].cocci
        self.names = tuple(dict.fromkeys(name for rule in rules for name in rule.names))
        self.records = []
        self.skipped = []       # [{file, reason}]: files left as they were
        self.renamed = []       # messages and comments naming the removed function
        self.files = []         # the files it may have rewritten
        self._convertible = None    # the files it converts, in path order
        self._originals = {}        # {relpath: (bytes, crlf)} of the files begun
        self._unconvertible = {}    # {relpath: (bytes, why)}: files it cannot write back
        self._before = {}           # {relpath: future of its sites before the step}
        self._spatch = {}           # {relpath: future of spatch's results for its batch}
        self._announced = False     # whether its "N files mention it" line is out
        # Tokenizing is most of the driver's own work: the files as they were
        # are scanned in a thread while spatch runs, which needs none of it;
        # each batch's spatch runs in a thread of its own.
        self._scans = concurrent.futures.ThreadPoolExecutor(1)
        self._runs = concurrent.futures.ThreadPoolExecutor(2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._scans.shutdown(cancel_futures=True)
        self._runs.shutdown(cancel_futures=True)

    @property
    def name(self):
        """What the progress lines and the report call the step."""
        return ", ".join(rule.old for rule in self.rules)

    def convertible(self):
        """The files the step converts, in path order: those that mention its rules'
        old names, but for the core series' files and names that did not decode."""
        if self._convertible is not None:
            return self._convertible
        mentioning = []
        for rule in self.rules:
            with phase("%s: finding the files that mention it" % rule.old):
                mentioning += mentions.files_mentioning(self.wt, rule.old)
        mentioning = list(dict.fromkeys(mentioning))
        core = migration.current().core_files
        self._convertible = []
        for relpath in mentioning:
            if relpath in core:
                continue        # the core series changes its calls, not the conversion
            if "\ufffd" in relpath:
                # git's name did not decode: there is no such path to open.
                self.skipped.append({"file": relpath, "reason": NON_UTF8_NAME})
            else:
                self._convertible.append(relpath)
        # Binary, too large or in a submodule: listed with the reason.
        for rule in self.rules:
            self.skipped += [f for f in mentions.files_left(self.wt, rule.old)
                             if f not in self.skipped]
        return self._convertible

    def begin(self, relpaths, announce=None):
        """Start spatch on relpaths (some of the step's files) in the background, after
        announce(the files it starts on: a file with mixed line ends is not) when given.

        Nothing else may change them until run() ends (begin_beside()).
        """
        batch = []
        for relpath in relpaths:
            path = os.path.join(self.root, relpath)
            data = source.read_bytes(path)
            try:
                crlf = source.line_ends(data)
            except source.Unconvertible as e:
                self._unconvertible[relpath] = data, str(e)
                continue
            self._originals[relpath] = data, crlf
            if crlf:
                # spatch ends the lines it adds with LF: let it see LF only.
                source.write_bytes(path, data.replace(b"\r\n", b"\n"))
            batch.append(relpath)
        if not batch:
            return
        if announce:
            announce(batch)
        # spatch first: the scans hold the interpreter, and would hold up its start.
        results = self._runs.submit(spatch.apply, self.cocci, self.root, batch, self.workdir)
        for relpath in batch:
            self._spatch[relpath] = results
            self._before[relpath] = self._scans.submit(
                sites.scan, relpath, source.text_of(self._originals[relpath][0]), self.names)

    def begin_beside(self, before):
        """Begin the files that before (the step before this one, started) does not
        convert, while it runs; the others wait for it. So does the migration's
        header, which the API state is read from when before ends."""
        theirs = set(before.convertible()) | {migration.current().header}

        def announce(batch):
            # Before spatch's own line, which its thread prints.
            self._announced = True
            rest = len(self.convertible()) - len(batch) - len(self._unconvertible)
            progress("%s: %d files mention it; running %s on %d of them beside %s%s"
                     % (self.name, len(self.convertible()), os.path.basename(self.cocci),
                        len(batch), before.name,
                        ", on the other %d after it" % rest if rest else ""))
        self.begin([f for f in self.convertible() if f not in theirs], announce)

    def start(self):
        """begin() every file of the step not begun yet."""
        begun = set(self._originals) | set(self._unconvertible)
        if not self._announced:
            self._announced = True
            progress("%s: %d files mention it; running %s"
                     % (self.name, len(self.convertible()), os.path.basename(self.cocci)))
        self.begin([f for f in self.convertible() if f not in begun])

    def put_back(self):
        """Undo begin(): wait for its spatch runs, then write the files back as they were."""
        concurrent.futures.wait(set(self._spatch.values()))
        for relpath, (data, _) in self._originals.items():
            source.write_bytes(os.path.join(self.root, relpath), data)

    def run(self):
        files = self.convertible()
        self.start()
        for relpath in files:
            if relpath in self._unconvertible:
                data, why = self._unconvertible[relpath]
                self._leave(relpath, data, why)
        self.files = [f for f in files if f in self._originals]
        for relpath in self.files:
            data, crlf = self._originals[relpath]
            self._file(relpath, data, crlf, self._spatch[relpath].result().get(relpath),
                       self._before[relpath].result())
        return self.records

    def leave_all(self, reason):
        """Record every site of the API as left for a human, for reason; rewrite nothing.

        What a base lacks (a rule's needs, before its core series) cannot be
        written into its callers: the branch would not build.
        """
        for rule in self.rules:
            for relpath in mentions.files_mentioning(self.wt, rule.old):
                if "\ufffd" in relpath:
                    self.skipped.append({"file": relpath, "reason": NON_UTF8_NAME})
                    continue
                data = source.read_bytes(os.path.join(self.root, relpath))
                for s in sites.scan(relpath, source.text_of(data), rule.names):
                    if s.name == rule.old:
                        self.records.append(self._record(rule, s, None, "manual", None,
                                                         reason))
        return self.records

    def _leave(self, relpath, data, why):
        """List a file the conversion cannot write back, with every site in it."""
        found = [(rule, s) for s in sites.scan(relpath, source.text_of(data), self.names)
                 for rule in self.rules if s.name == rule.old]
        if not found:
            return
        reason = "%s: file left as it was, convert by hand" % why
        self.skipped.append({"file": relpath, "reason": reason})
        for rule, s in found:
            self.records.append(self._record(rule, s, None, "manual", None, reason))

    def _file(self, relpath, data, crlf, result, before):
        """Check, complete and record what spatch did to one file; before are its sites."""
        original = source.text_of(data)
        path = os.path.join(self.root, relpath)

        def scan(text):
            # spatch leaves most headers and definitions as they were, and
            # undoing what it did can give back the original.
            return before if text == original else sites.scan(relpath, text, self.names)

        on_disk = source.read_bytes(path)
        text = source.decode(on_disk)
        calls = [[s for s in before if _pairable(s, rule)] for rule in self.rules]
        # The file is tokenized as spatch left it, once more only if the driver
        # rewrites calls, and once after the tidying only if messages are renamed.
        scanned = scan(text)
        count_changed = any(len([s for s in scanned if _pairable(s, rule)]) != len(mine)
                            for rule, mine in zip(self.rules, calls))
        # What spatch did in macro bodies stands only if the file is kept.
        rewritten = set() if count_changed else \
            sites.rewritten_defines(original, text, before, self.names)
        for rule in self.rules:
            for s in before:
                if s.kind != "call" and s.name == rule.old:
                    if s in rewritten:
                        # The semantic patch rewrites macro bodies on purpose (gup-vmas'
                        # NULL vmas): what it did there is the conversion.
                        self.records.append(self._record(rule, s, None, "converted",
                                                         "spatch", None))
                        continue
                    reason = idioms.NOT_A_CALL[s.kind] % {"api": rule.old}
                    self.records.append(self._record(rule, s, None, "manual", None, reason))
        if count_changed:
            # Cannot tell which rewrite belongs to which call: keep the file as it was.
            source.write_bytes(path, data)
            for rule, mine in zip(self.rules, calls):
                for s in mine:
                    self.records.append(self._record(rule, s, None, "manual", None,
                                                     "call count changed under spatch: "
                                                     "file left as it was, convert by hand"))
            return
        for number, (rule, mine) in enumerate(zip(self.rules, calls)):
            if number:
                scanned = scan(text)    # where the previous rule's pass left the calls
            text = self._rule_pass(rule, relpath, original, text, scanned, mine, result,
                                   scan)
        final = source.as_bytes(text, crlf)
        if final != on_disk:
            source.write_bytes(path, final)

    def _rule_pass(self, rule, relpath, original, text, scanned, calls, result, scan):
        """What spatch made of one rule's calls in a file's text: checked, completed,
        laid out and recorded. Returns the text."""
        api = rule.old
        after = [s for s in scanned if _pairable(s, rule)]
        spatch_failed = result is not None and result[0] != 0
        plan = []           # (index, outcome, by, reason, idiom, disagreement)
        rewrites = []       # (span of a call in text, what it becomes)
        for index, (old, new) in enumerate(zip(calls, after)):
            old_call = original[old.call_span[0]:old.call_span[1]]
            new_call = text[new.call_span[0]:new.call_span[1]]
            step = callplan.outcome(rule, original, old, new, old_call, new_call,
                              result if spatch_failed else None)
            if step[1] == "fallback":
                rewritten = callplan.rewritten_call(original, old, rule)
                if ctokens.comments(rewritten) != ctokens.comments(old_call):
                    step = ("manual", None, "the rewrite would drop a comment inside the "
                            "argument: left as it was, convert by hand", step[3], None)
                else:
                    rewrites.append((new.call_span, rewritten))
            plan.append((index,) + step)
            if step[0] != "converted" and new_call != old_call:
                # Whatever spatch did to a call that is not converted is undone,
                # so the report's "unchanged" and "manual" hold for the bytes.
                rewrites.append((new.call_span, old_call))
        for (start, end), replacement in sorted(rewrites, reverse=True):
            text = text[:start] + replacement + text[end:]
        if rewrites:
            scanned = scan(text)
        current = [s for s in scanned if _pairable(s, rule)]
        if any(p[2] == "fallback" for p in plan):
            unparsed = spatch.unparsed_lines(self.root, relpath, self.workdir)
            plan = [p if p[2] != "fallback" else
                    p[:3] + ("%s; spatch left %d lines of this file unparsed" % (p[3], unparsed),)
                    + p[4:] for p in plan]
        notes = {}
        moved = []          # the tidying's edits so far, for the spans of current
        for index in reversed([p[0] for p in plan if p[1] == "converted"]):
            text, notes[index], made = self._tidy(rule, original, text, calls[index],
                                                  current[index], moved)
            moved += made
        final_sites = current   # the tidying changes white space only: same tokens
        renamed = []
        rename = rule.rename
        if rename == "last-call" and notes and not any(
                s.name == api for s in scanned):
            # Its last call is gone: so goes the name from its messages and comments.
            text, renamed = stale.rename(text, api)
            self.renamed += [dict(r, file=relpath, api=api) for r in renamed]
        elif rename == "not-in-code" and notes and not stale.in_code(text, api):
            # Only where no definition is left: those go with the core patches.
            text, renamed = stale.rename(text, api)
            self.renamed += [dict(r, file=relpath, api=api) for r in renamed]
        if renamed:
            final_sites = [s for s in sites.scan(relpath, text, self.names)
                           if _pairable(s, rule)]
        for index, outcome, by, reason, idiom, disagreement in plan:
            if calls[index].name == rule.new != api and not rule.converted_mark:
                continue        # a call of the new API already there: no site
            record = self._record(rule, calls[index], final_sites[index], outcome, by,
                                  reason, idiom)
            if disagreement:
                record.disagreement = "inventory expected %r" % disagreement
            if notes.get(index):
                record.note = notes[index]
            self.records.append(record)
        return text

    def _tidy(self, rule, original, text, old, site, moved):
        """Kernel style for one call (old, in original) that stands at site in text.

        site's offsets are those of text before moved, the edits made to it
        since. Returns the new text, a note when a line of the call is left
        over 80 columns, and the edits made.
        """
        call_span = [layout.shift(o, moved) for o in site.call_span]
        # The argument converted, or where a dropped one was.
        at = min(rule.argument, len(site.arg_spans) - 1)
        flag_span = [layout.shift(o, moved) for o in site.arg_spans[at]]
        old_col = layout.paren_column(original, old.call_span[0])
        text, edits = layout.tidy_call(text, call_span, flag_span, old_col)
        was = layout.widest_line(original, *old.call_span)
        now = layout.widest_line(text, *[layout.shift(o, edits) for o in call_span])
        if now <= layout.WIDTH or now <= was:
            return text, None, edits
        if was > layout.WIDTH:
            return text, ("its line was already %d columns: the argument is rewritten in "
                          "place, the line not re-wrapped (%d columns now)" % (was, now)), edits
        return text, "a line of the call is %d columns now: re-wrap it by hand" % now, edits

    def _record(self, rule, old, new, outcome, by, reason, idiom=None):
        record = sites.Record.of(old, outcome, reason, by, idiom, new)
        record.longterm_candidate = bool(rule.candidates) and \
            old.path.startswith(rule.candidates)
        return record


def summarise(records):
    converted = sum(1 for r in records if r.outcome == "converted")
    manual = sum(1 for r in records if r.outcome == "manual")
    unchanged = sum(1 for r in records if r.outcome == "unchanged")
    return "%d calls converted, %d %s, %d left for a human" % (
        converted, unchanged, migration.current().value("report", "unchanged",
                                                         "already in the new form"), manual)
