"""Compat code in a module's source: #define bodies read as code, shims, both sides named.

An out-of-tree module carries its own compat code: a #define or a static
inline standing in for a function one side of the API change lacks. The
CI guard reads a file through these, the same way cocci/gup_flags_misuse.cocci
(which parses #define bodies as code, one file at a time) does.
"""
import re

from . import ctokens

_DEFINE_HEAD = re.compile(r"[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?")


def _blank(text):
    """text as spaces, its line ends kept (offsets and line numbers stay)."""
    return re.sub(r"[^\n]", " ", text)


def define_bodies(text):
    """text with each #define's head blanked and its line continuations undone, so
    that a tokenizer reads the bodies as code; every offset stays where it was."""
    out, at = [], 0
    for tok in ctokens.tokenize(text):
        if tok.kind != "pp":
            continue
        m = _DEFINE_HEAD.match(tok.text)
        if not m:
            continue
        body = re.sub(r"\\(?=\n)", " ", tok.text[m.end():])
        out += [text[at:tok.start], _blank(m.group()), body]
        at = tok.end
    out.append(text[at:])
    return "".join(out)


def names_in_code(text, name):
    """True if name is used in the code of text: #define bodies and the names
    #defines define included; comments, strings and #if conditions not."""
    tokens = ctokens.tokenize(text)
    if any(t.kind == "pp" and (_DEFINE_HEAD.match(t.text) or [None, None])[1] == name
           for t in tokens):
        return True
    return any(t.kind == "ident" and t.text == name
               for t in ctokens.tokenize(define_bodies(text)))


def covered(path, text, other_side):
    """The old names whose uses in the file at path are compat code: a header that
    names the other side too ({old name: a name of the new side}; a .c file that
    also names the new side still calls the old function)."""
    if not path.endswith(".h"):
        return set()
    return {old for old, new in other_side.items() if names_in_code(text, new)}


def shims_without(text, name, flag):
    """(line, column) of each definition of name in text whose body does not name
    flag: a #define of it (function-like or an alias), or a function body."""
    found = []
    tokens = ctokens.tokenize(text)
    for i, tok in enumerate(tokens):
        if tok.kind == "pp":
            m = _DEFINE_HEAD.match(tok.text)
            if m and m.group(1) == name and not names_in_code(tok.text[m.end():], flag):
                found.append(tok.start + m.start(1))
        elif tok.kind == "ident" and tok.text == name and i + 1 < len(tokens) \
                and tokens[i + 1].text == "(" and i and tokens[i - 1].kind == "ident" \
                and tokens[i - 1].text != "return":
            close = ctokens.matching(tokens, i + 1)
            if close + 1 < len(tokens) and tokens[close + 1].text == "{":
                end = ctokens.matching(tokens, close + 1)
                if not any(t.kind == "ident" and t.text == flag
                           for t in tokens[close + 1:end]):
                    found.append(tok.start)
    return [_position(text, offset) for offset in found]


def _position(text, offset):
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start
