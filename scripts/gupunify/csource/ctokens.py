"""C tokens, and the shape of an expression: the lexer under the inventory and the idioms.

Not a C parser: enough of one to find a call, split its arguments, and tell
an operand from a binary, boolean or ternary expression.
"""
import operator
import re

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<number>\.?\d(?:[\w.]|[eEpP][+-])*)
  | (?P<op>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^!~<>=?:;,.(){}\[\]#\\])
  | (?P<other>.)
""", re.S | re.X)

# Binary operators by precedence, loosest first; ?: and assignment are looser still.
_BINARY = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="),
           ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"), ("*", "/", "%")]
_PRECEDENCE = {op: level for level, ops in enumerate(_BINARY) for op in ops}
BOOLEAN_OPS = {"||", "&&", "==", "!=", "<", ">", "<=", ">="}
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="}
_OPERAND_END = {"ident", "number", "string"}


class Token(tuple):
    """(kind, text, start, end): a tuple, which the lexer makes without a call of
    Python code per token (most of its time on a kernel file went to __init__)."""
    __slots__ = ()
    kind = property(operator.itemgetter(0))
    text = property(operator.itemgetter(1))
    start = property(operator.itemgetter(2))
    end = property(operator.itemgetter(3))


# A directive's '#' after a line's leading blanks.
_DIRECTIVE = re.compile(r"[ \t]*#")


def tokenize(source):
    """C tokens without white space and comments; '#...' lines are one 'pp' token."""
    tokens = []
    # Bound once: the loop runs once per token of a file.
    append, match, directive, new = tokens.append, TOKEN.match, _DIRECTIVE.match, tuple.__new__
    at_line_start = True
    pos = 0
    size = len(source)
    while pos < size:
        # Matched in place: a slice would copy the rest of the file per line.
        if at_line_start and directive(source, pos):
            end = pos
            while True:
                nl = source.find("\n", end)
                if nl < 0:
                    end = size
                    break
                if source[nl - 1] == "\\" or _open_comment(source, pos, nl):
                    end = nl + 1
                    continue
                end = nl
                break
            append(new(Token, ("pp", source[pos:end], pos, end)))
            pos = end
            continue
        m = match(source, pos)
        kind = m.lastgroup
        end = m.end()
        if kind == "space":
            at_line_start = "\n" in m.group()
        elif kind != "comment":
            at_line_start = False
            append(new(Token, (kind, m.group(), pos, end)))
        pos = end
    return tokens


def _open_comment(source, start, end):
    """True if a /* comment opened in source[start:end] is still open at end."""
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', source[start:end])
    return text.rfind("/*") > text.rfind("*/")


def matching(tokens, i):
    """Index of the bracket closing tokens[i]."""
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j].text
        if t in "([{":
            depth += 1
        elif t in ")]}":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def split_args(tokens, lo, hi):
    """Split tokens[lo:hi] at top-level commas into (start, end) index ranges."""
    parts, depth, first = [], 0, lo
    for j in range(lo, hi):
        t = tokens[j].text
        if t in "([{":
            depth += 1
        elif t in ")]}":
            depth -= 1
        elif t == "," and depth == 0:
            parts.append((first, j))
            first = j + 1
    if first < hi or parts:
        parts.append((first, hi))
    return parts


def comments(source):
    """The comments of source, in order."""
    return [m.group() for m in TOKEN.finditer(source) if m.lastgroup == "comment"]


def code(text, tokens):
    """The source text from the first token to the last, comments and line breaks kept."""
    return text[tokens[0].start:tokens[-1].end] if tokens else ""


def respace(tokens):
    """Tokens joined with single spaces where the source had any, comments dropped."""
    out = []
    for k, t in enumerate(tokens):
        if k and tokens[k - 1].end != t.start:
            out.append(" ")
        out.append(t.text)
    return "".join(out)

def top_level(tokens):
    """The tokens outside any bracket, with their indexes."""
    depth, out = 0, []
    for k, t in enumerate(tokens):
        if t.text in "([{":
            if depth == 0:
                out.append((k, t))
            depth += 1
        elif t.text in ")]}":
            depth -= 1
        elif depth == 0:
            out.append((k, t))
    return out


def loosest_binary(tokens):
    """The loosest top-level operator: '?', '=', ',' or a binary operator; None for a unary/primary."""
    loosest, level = None, None
    prev_operand = False
    depth = 0
    for t in tokens:
        text = t.text
        if text in "([{":
            depth += 1
            continue
        if text in ")]}":
            depth -= 1
            prev_operand = True
            continue
        if depth:
            continue
        if text in ("?", ",") or text in _ASSIGN:
            rank = -2 if text == "," else -1
            if level is None or rank <= level:
                loosest, level = text, rank
            prev_operand = False
        elif text in _PRECEDENCE and prev_operand:
            rank = _PRECEDENCE[text]
            if level is None or rank <= level:
                loosest, level = text, rank
            prev_operand = False
        else:
            prev_operand = t.kind in _OPERAND_END
    return loosest


def wrapped(tokens):
    """True if the whole expression is one parenthesised group."""
    return bool(tokens) and tokens[0].text == "(" and matching(tokens, 0) == len(tokens) - 1


def is_cast(tokens):
    if not tokens or tokens[0].text != "(":
        return False
    close = matching(tokens, 0)
    inner = tokens[1:close]
    rest = tokens[close + 1:]
    return (bool(rest) and bool(inner)
            and all(t.kind == "ident" or t.text == "*" for t in inner)
            and loosest_binary(rest) is None and is_unary_operand(rest))


def is_unary_operand(tokens):
    """identifier/constant followed by ->x, .x, [..], (..) postfixes, or a cast of one."""
    if not tokens:
        return False
    if wrapped(tokens):
        return True
    if is_cast(tokens):
        return True
    if tokens[0].kind not in ("ident", "number"):
        return False
    k = 1
    while k < len(tokens):
        t = tokens[k].text
        if t in ("->", ".") and k + 1 < len(tokens) and tokens[k + 1].kind == "ident":
            k += 2
        elif t in ("(", "["):
            k = matching(tokens, k) + 1
        else:
            return False
    return True


def ternary_literals(tokens):
    """For 'c ? x : y' with literal x and y, return (c_tokens, x, y)."""
    top = top_level(tokens)
    q = [k for k, t in top if t.text == "?"]
    c = [k for k, t in top if t.text == ":"]
    if len(q) != 1 or len(c) != 1 or not q[0] < c[0]:
        return None
    x = tokens[q[0] + 1:c[0]]
    y = tokens[c[0] + 1:]
    if len(x) == 1 and len(y) == 1:
        return tokens[:q[0]], x[0].text, y[0].text
    return None
