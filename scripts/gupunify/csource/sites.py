"""Find every use of the migration's old API in C source, and record what became of each.

This is the inventory half of the conversion: spatch does the rewriting, this
module finds every site lexically (including the ones spatch cannot see:
#define bodies, macro arguments, functions it cannot parse), and a Record
says what became of each, for the report; idioms.py says what a site's flag
argument should become, so the two can be checked against each other and the
leftovers converted or reported.
"""
import dataclasses
import re

from ..common import migration
from .ctokens import matching, respace, split_args, tokenize

_DEFINE = re.compile(r"\s*#\s*define\b")


class Site:
    """One occurrence of an API name: a call, a use in a #define, a reference or a member."""

    def __init__(self, path, name, line, column, kind, args, arg_spans, call_span,
                 directives=False):
        self.path = path
        self.name = name
        self.line = line
        self.column = column
        self.kind = kind            # "call", "define", "reference" or "member"
        self.args = args            # argument texts, comments stripped
        self.arg_spans = arg_spans  # (start, end) of each argument's code
        self.call_span = call_span  # the call's (start, end); a use in a #define: the directive's
        self.directives = directives    # a #if (or other directive) among the arguments

    def key(self):
        return "%s:%d:%d" % (self.path, self.line, self.column)

def _is_declaration(tokens, i):
    """A name preceded by a type word (or '*' after one) is being declared."""
    j = i - 1
    while j >= 0 and tokens[j].text == "*":
        j -= 1
    if j < 0:
        return True
    prev = tokens[j]
    return prev.kind == "ident" and prev.text not in ("return", "else", "do", "case")


def scan(path, source, names=None):
    """All sites of names (by default, the migration's old ones) in one file's source."""
    if names is None:
        names = tuple(rule.old for rule in migration.current().rules)
    tokens = tokenize(source)
    sites = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def position(offset):
        lo, hi = 0, len(line_starts)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid
        return lo + 1, offset - line_starts[lo]

    for i, tok in enumerate(tokens):
        if tok.kind == "pp":
            if _DEFINE.match(tok.text):
                for sub in scan_define(path, source, tok, names):
                    line, col = position(sub[0])
                    sites.append(Site(path, sub[1], line, col, "define", [], [],
                                      (tok.start, tok.end)))
            continue
        if tok.kind != "ident" or tok.text not in names:
            continue
        line, col = position(tok.start)
        prev = tokens[i - 1].text if i else ""
        if prev in ("struct", "union", "enum", "goto"):
            continue        # a tag or a label: another namespace, not the function
        following = tokens[i + 1].text if i + 1 < len(tokens) else ""
        if prev in ("->", "."):
            # A struct member of the same name (a function pointer, an
            # initializer): not the API, whatever it points to.
            sites.append(Site(path, tok.text, line, col, "member", [], [], None))
            continue
        if following != "(":
            prev = tokens[i - 1].text if i else ""
            if prev == "(" and i >= 2 and tokens[i - 2].text.startswith("EXPORT_SYMBOL"):
                continue
            sites.append(Site(path, tok.text, line, col, "reference", [], [], None))
            continue
        if _is_declaration(tokens, i):
            continue
        close = matching(tokens, i + 1)
        parts = split_args(tokens, i + 2, close)
        spans = [(tokens[a].start, tokens[b - 1].end) if b > a else (None, None)
                 for a, b in parts]
        sites.append(Site(path, tok.text, line, col, "call",
                          [respace(tokens[a:b]) for a, b in parts], spans,
                          (tok.start, tokens[close].end),
                          any(t.kind == "pp" for t in tokens[i + 2:close])))
    return sites


def scan_define(path, source, pp, names):
    """(offset, name) of each name used inside one #define token."""
    body = pp.text
    found = []
    for m in re.finditer(r"\b(%s)\b" % "|".join(map(re.escape, names)), body):
        found.append((pp.start + m.start(), m.group(1)))
    return found


@dataclasses.dataclass
class Record:
    """What became of one site of the old API: made by of(), carried to the report.

    to_json() is the record of conversion.json (reports/README): the fields
    below in order, the last four only when they apply.
    """
    file: str
    line: int
    column: int             # from 1, as editors count
    api: str                # the old function
    kind: str               # Site.kind
    idiom: str | None       # idioms.classify()'s name for the flag argument
    before: str | None      # the flag argument, then
    after: str | None       # and now
    outcome: str            # "converted", "unchanged" or "manual"
    by: str | None          # who converted it: "spatch" or "fallback"
    reason: str | None      # why it was left, or converted outside spatch
    longterm_candidate: bool = False    # under a rule's candidates paths: a closer look
    disagreement: str | None = None     # spatch wrote other than the inventory expects
    note: str | None = None             # the call converted, a line left long
    group: str | None = None            # the MAINTAINERS group it was committed in

    OPTIONAL = ("longterm_candidate", "disagreement", "note", "group")

    @classmethod
    def of(cls, site, outcome, reason, by=None, idiom=None, now=None):
        """The record of site, a Site of the original source; now is where it stands
        after the conversion, if anywhere. A call that has lost arguments (the one
        classified dropped, or a helper taking fewer) has no argument after."""
        at = migration.current().argument_of(site.name)
        kept = now is not None and len(now.args) == len(site.args) > at
        return cls(site.path, site.line, site.column + 1, site.name, site.kind, idiom,
                   site.args[at] if len(site.args) > at else None,
                   now.args[at] if kept else None, outcome, by, reason)

    def to_json(self):
        return {name: value for name, value in dataclasses.asdict(self).items()
                if value or name not in self.OPTIONAL}


def rewritten_defines(original, text, before, names):
    """The sites of before in #define bodies whose use spatch rewrote.

    The directives naming the API are paired in order, before and after, and
    in each the uses of each name in order: a use whose call changed was
    rewritten (gup-vmas drops a NULL in a macro body on purpose), one left as
    it was stays for a human. Directives that no longer pair up are judged whole.
    """
    defines = [s for s in before if s.kind == "define"]
    if not defines or text == original:
        return set()
    word = re.compile(r"\b(%s)\b" % "|".join(map(re.escape, names)))
    now = [t.text for t in tokenize(text)
           if t.kind == "pp" and _DEFINE.match(t.text) and word.search(t.text)]
    spans = sorted({s.call_span for s in defines})
    if len(now) != len(spans):
        return {s for s in defines if original[s.call_span[0]:s.call_span[1]] not in now}
    rewritten = set()
    for span, after in zip(spans, now):
        mine = [s for s in defines if s.call_span == span]     # in the order of scan_define()
        was = _uses(original[span[0]:span[1]], word)
        is_now = _uses(after, word)
        if [name for name, _ in was] != [name for name, _ in is_now]:
            if original[span[0]:span[1]] != after:
                rewritten.update(mine)
            continue
        rewritten.update(s for s, old, new in zip(mine, was, is_now) if old != new)
    return rewritten


def _uses(directive, word):
    """(name, its call) of each use of a name in a #define, in order: the call's
    tokens from the name to its closing parenthesis, line continuations left out."""
    uses = []
    for m in word.finditer(directive):
        tokens = [t for t in tokenize(directive[m.start():]) if t.text != "\\"]
        end = matching(tokens, 1) + 1 \
            if len(tokens) > 1 and tokens[1].text == "(" else 1
        uses.append((m.group(1), respace(tokens[:end])))
    return uses
