"""Messages and comments that still name a function the conversion removed.

Once a file no longer calls a function the migration removes, a printk
that says "<old>: err=" or a comment naming it misleads whoever reads the log or the code next; upstream renamed them in
the same commit that converted the call, and so does the conversion here,
for each rule of the migration with a rename key (docs/migrations.md).
"""
import re

from ..common import migration
from . import ctokens

LINE_LIMIT = 80


def _pattern(rule):
    return re.compile(r"\b%s\b(\(\))?" % re.escape(rule.old))


def _width(source, at):
    """Columns of the line of source holding offset at."""
    start = source.rfind("\n", 0, at) + 1
    end = source.find("\n", at)
    return len(source[start:end if end >= 0 else None].expandtabs(8))


def _in_comment(source, offset, text, rule):
    """The name in a comment: the rule's comment form, when its line has room."""
    widths = {}

    def repl(n):
        line = source.count("\n", 0, offset + n.start())
        width = widths.get(line, _width(source, offset + n.start()))
        long_form = rule.comment_form
        new = long_form if long_form and width + len(long_form) - len(n.group(0)) <= LINE_LIMIT \
            else rule.new + (n.group(1) or "")
        widths[line] = width + len(new) - len(n.group(0))
        return new
    return _pattern(rule).sub(repl, text)


def in_code(source, name):
    """Does source name name outside its comments and strings (a call, a definition)?"""
    return any(t.kind == "ident" and t.text == name for t in ctokens.tokenize(source))


def rename(source, name):
    """(new source, [{line, kind, before, after}]) with the removed name renamed.

    The old name of name's rule becomes the new one in a string, as
    upstream's messages did; in a comment, the rule's comment form when it
    has one and the line stays within 80 columns, else the new name.
    """
    rule = migration.current().rule(name)
    pattern = _pattern(rule)
    out, renamed, pos = [], [], 0
    for m in ctokens.TOKEN.finditer(source):
        kind = m.lastgroup
        text = m.group()
        if kind not in ("comment", "string") or not pattern.search(text):
            continue
        if kind == "string":
            new = pattern.sub(lambda n: rule.new + (n.group(1) or ""), text)
        else:
            new = _in_comment(source, m.start(), text, rule)
        out.append(source[pos:m.start()] + new)
        pos = m.end()
        line = source.count("\n", 0, m.start()) + 1
        renamed.append({"line": line, "kind": kind, "before": text, "after": new})
    out.append(source[pos:])
    return "".join(out), renamed
