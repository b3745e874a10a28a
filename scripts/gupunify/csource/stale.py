"""Messages and comments that still name a function the conversion removed.

Once a file no longer calls get_user_pages_longterm(), a printk that says
"get_user_pages_longterm: err=" or a comment naming it misleads whoever
reads the log or the code next; upstream renamed them in the same commit
that converted the call, and so does the conversion here. The same goes
for __get_user_pages_fast() ("Try IRQ-safe __get_user_pages_fast first"),
which becomes get_user_pages_fast_only().
"""
import re

from . import ctokens, sites

LINE_LIMIT = 80
_NAME = re.compile(r"\b%s\b(\(\))?" % sites.LONGTERM)
_FAST_IRQ = re.compile(r"\b%s\b" % sites.FAST_IRQ)


def _width(source, at):
    """Columns of the line of source holding offset at."""
    start = source.rfind("\n", 0, at) + 1
    end = source.find("\n", at)
    return len(source[start:end if end >= 0 else None].expandtabs(8))


def _in_comment(source, offset, text):
    """The name in a comment: the long-term call it now is, when its line has room."""
    widths = {}

    def repl(n):
        line = source.count("\n", 0, offset + n.start())
        width = widths.get(line, _width(source, offset + n.start()))
        long_form = "%s(FOLL_LONGTERM)" % sites.GUP
        new = long_form if width + len(long_form) - len(n.group(0)) <= LINE_LIMIT \
            else sites.GUP + (n.group(1) or "")
        widths[line] = width + len(new) - len(n.group(0))
        return new
    return _NAME.sub(repl, text)


def in_code(source, name):
    """Does source name name outside its comments and strings (a call, a definition)?"""
    return any(t.kind == "ident" and t.text == name for t in ctokens.tokenize(source))


def rename(source, name=sites.LONGTERM):
    """(new source, [{line, kind, before, after}]) with the removed name renamed.

    get_user_pages_longterm in a string becomes get_user_pages, as
    upstream's messages did; in a comment, get_user_pages(FOLL_LONGTERM)
    when the line stays within 80 columns, else get_user_pages().
    __get_user_pages_fast becomes get_user_pages_fast_only in both.
    """
    pattern = _NAME if name == sites.LONGTERM else _FAST_IRQ
    out, renamed, pos = [], [], 0
    for m in ctokens.TOKEN.finditer(source):
        kind = m.lastgroup
        text = m.group()
        if kind not in ("comment", "string") or not pattern.search(text):
            continue
        if name == sites.FAST_IRQ:
            new = pattern.sub(sites.FAST_ONLY, text)
        elif kind == "string":
            new = _NAME.sub(lambda n: sites.GUP + (n.group(1) or ""), text)
        else:
            new = _in_comment(source, m.start(), text)
        out.append(source[pos:m.start()] + new)
        pos = m.end()
        line = source.count("\n", 0, m.start()) + 1
        renamed.append({"line": line, "kind": kind, "before": text, "after": new})
    out.append(source[pos:])
    return "".join(out), renamed
