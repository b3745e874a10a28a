"""Find every use of the old GUP API in C source, and classify its flag argument.

This is the inventory half of the conversion: spatch does the rewriting, this
module finds every site lexically (including the ones spatch cannot see:
#define bodies, macro arguments, functions it cannot parse) and says what the
site should become, so the two can be checked against each other and the
leftovers converted or reported.
"""
import re

FAST = "get_user_pages_fast"
LONGTERM = "get_user_pages_longterm"
GUP = "get_user_pages"
FAST_IRQ = "__get_user_pages_fast"
FAST_ONLY = "get_user_pages_fast_only"
# The name each conversion gives a call it rewrites.
RENAMED = {LONGTERM: GUP, FAST_IRQ: FAST_ONLY}

_TOKEN = re.compile(r"""
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
_BOOLEAN_OPS = {"||", "&&", "==", "!=", "<", ">", "<=", ">="}
_ASSIGN = {"=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="}
_OPERAND_END = {"ident", "number", "string"}


class Token:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind, text, start, end):
        self.kind, self.text, self.start, self.end = kind, text, start, end


# A directive's '#' after a line's leading blanks.
_DIRECTIVE = re.compile(r"[ \t]*#")


def tokenize(source):
    """C tokens without white space and comments; '#...' lines are one 'pp' token."""
    tokens = []
    at_line_start = True
    pos = 0
    while pos < len(source):
        if at_line_start:
            # Matched in place: a slice would copy the rest of the file per line.
            m = _DIRECTIVE.match(source, pos)
            if m:
                end = pos
                while True:
                    nl = source.find("\n", end)
                    if nl < 0:
                        end = len(source)
                        break
                    if source[nl - 1] == "\\" or _open_comment(source, pos, nl):
                        end = nl + 1
                        continue
                    end = nl
                    break
                tokens.append(Token("pp", source[pos:end], pos, end))
                pos = end
                continue
        m = _TOKEN.match(source, pos)
        kind = m.lastgroup
        if kind == "space":
            at_line_start = "\n" in m.group()
        elif kind == "comment":
            pass
        else:
            at_line_start = False
            tokens.append(Token(kind, m.group(), m.start(), m.end()))
        pos = m.end()
    return tokens


def _open_comment(source, start, end):
    """True if a /* comment opened in source[start:end] is still open at end."""
    text = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', source[start:end])
    return text.rfind("/*") > text.rfind("*/")


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
        self.call_span = call_span
        self.directives = directives    # a #if (or other directive) among the arguments

    def key(self):
        return "%s:%d:%d" % (self.path, self.line, self.column)


def _matching(tokens, i):
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


def _split_args(tokens, lo, hi):
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


def _is_declaration(tokens, i):
    """A name preceded by a type word (or '*' after one) is being declared."""
    j = i - 1
    while j >= 0 and tokens[j].text == "*":
        j -= 1
    if j < 0:
        return True
    prev = tokens[j]
    return prev.kind == "ident" and prev.text not in ("return", "else", "do", "case")


def scan(path, source, names=(FAST, LONGTERM)):
    """All sites of names in one file's source."""
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
            if re.match(r"\s*#\s*define\b", tok.text):
                for sub in scan_define(path, source, tok, names):
                    line, col = position(sub[0])
                    sites.append(Site(path, sub[1], line, col, "define", [], [], None))
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
        close = _matching(tokens, i + 1)
        parts = _split_args(tokens, i + 2, close)
        spans = [(tokens[a].start, tokens[b - 1].end) if b > a else (None, None)
                 for a, b in parts]
        sites.append(Site(path, tok.text, line, col, "call",
                          [_respace(tokens[a:b]) for a, b in parts], spans,
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


def comments(source):
    """The comments of source, in order."""
    return [m.group() for m in _TOKEN.finditer(source) if m.lastgroup == "comment"]


def _code(text, tokens):
    """The source text from the first token to the last, comments and line breaks kept."""
    return text[tokens[0].start:tokens[-1].end] if tokens else ""


def _respace(tokens):
    """Tokens joined with single spaces where the source had any, comments dropped."""
    out = []
    for k, t in enumerate(tokens):
        if k and tokens[k - 1].end != t.start:
            out.append(" ")
        out.append(t.text)
    return "".join(out)


# ---- classifying an argument -------------------------------------------------

def _top_level(tokens):
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


def _loosest_binary(tokens):
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


def _wrapped(tokens):
    """True if the whole expression is one parenthesised group."""
    return bool(tokens) and tokens[0].text == "(" and _matching(tokens, 0) == len(tokens) - 1


def _is_cast(tokens):
    if not tokens or tokens[0].text != "(":
        return False
    close = _matching(tokens, 0)
    inner = tokens[1:close]
    rest = tokens[close + 1:]
    return (bool(rest) and bool(inner)
            and all(t.kind == "ident" or t.text == "*" for t in inner)
            and _loosest_binary(rest) is None and _is_unary_operand(rest))


def _is_unary_operand(tokens):
    """identifier/constant followed by ->x, .x, [..], (..) postfixes, or a cast of one."""
    if not tokens:
        return False
    if _wrapped(tokens):
        return True
    if _is_cast(tokens):
        return True
    if tokens[0].kind not in ("ident", "number"):
        return False
    k = 1
    while k < len(tokens):
        t = tokens[k].text
        if t in ("->", ".") and k + 1 < len(tokens) and tokens[k + 1].kind == "ident":
            k += 2
        elif t in ("(", "["):
            k = _matching(tokens, k) + 1
        else:
            return False
    return True


def _ternary_literals(tokens):
    """For 'c ? x : y' with literal x and y, return (c_tokens, x, y)."""
    top = _top_level(tokens)
    q = [k for k, t in top if t.text == "?"]
    c = [k for k, t in top if t.text == ":"]
    if len(q) != 1 or len(c) != 1 or not q[0] < c[0]:
        return None
    x = tokens[q[0] + 1:c[0]]
    y = tokens[c[0] + 1:]
    if len(x) == 1 and len(y) == 1:
        return tokens[:q[0]], x[0].text, y[0].text
    return None


TRUE_LITERALS = ("1", "true")
FALSE_LITERALS = ("0", "false")


def classify_write(arg):
    """Classify the write argument of get_user_pages_fast().

    Returns (idiom, replacement): replacement is the gup_flags text, or None
    when the site is left as it is (already a flag value) or left to a human.
    arg may be the argument's source text: its comments and line breaks are
    kept in the replacement.
    """
    tokens = tokenize(arg)
    texts = [t.text for t in tokens]
    code = _code(arg, tokens)
    if texts == ["0"]:
        return "zero", None
    if texts == ["FOLL_WRITE"]:
        return "foll_write_as_write", None
    ternary = _ternary_literals(tokens)
    top = [t.text for _, t in _top_level(tokens)]
    if ternary and ternary[1] == "FOLL_WRITE" and ternary[2] == "0":
        return "flag_form", None
    if len(top) == 3 and top[1] == "&" and "FOLL_WRITE" in (top[0], top[2]) \
            and _loosest_binary(tokens) == "&":
        return "flag_form", None
    if any(t.kind == "ident" and t.text.startswith("FOLL_") for t in tokens):
        return "other_foll_flag", None
    if texts in (["1"], ["true"]):
        return "literal_true", "FOLL_WRITE"
    if texts == ["false"]:
        return "literal_false", "0"
    if ternary and ternary[1] in TRUE_LITERALS + FALSE_LITERALS \
            and ternary[2] in TRUE_LITERALS + FALSE_LITERALS \
            and (ternary[1] in TRUE_LITERALS) != (ternary[2] in TRUE_LITERALS):
        cond = _code(arg, ternary[0])
        if ternary[1] in TRUE_LITERALS:
            return "ternary_literal", "%s ? FOLL_WRITE : 0" % cond
        return "ternary_literal", "%s ? 0 : FOLL_WRITE" % cond
    loosest = _loosest_binary(tokens)
    if loosest in _BOOLEAN_OPS:
        return "boolean", "%s ? FOLL_WRITE : 0" % code
    if loosest is None and texts[:1] == ["!"] and _is_unary_operand(tokens[1:] if texts[1:2] != ["!"] else tokens[2:]):
        return "boolean", "%s ? FOLL_WRITE : 0" % code
    if loosest is None and _is_unary_operand(tokens):
        return "variable", "%s ? FOLL_WRITE : 0" % code
    return "integer", "(%s) ? FOLL_WRITE : 0" % code


def classify_fast_only(arg):
    """Classify the write argument of __get_user_pages_fast().

    The call becomes get_user_pages_fast_only(), whose gup_flags take the
    value classify_write() gives; an argument already in flag form (0,
    FOLL_WRITE, E & FOLL_WRITE, E ? FOLL_WRITE : 0) is kept as it stands.
    Only another FOLL_* value (None) is left to a human.
    """
    idiom, replacement = classify_write(arg)
    if replacement is None and idiom != "other_foll_flag":
        replacement = _code(arg, tokenize(arg))
    return idiom, replacement


def classify_longterm_flags(arg):
    """Classify the gup_flags argument of get_user_pages_longterm()."""
    tokens = tokenize(arg)
    code = _code(arg, tokens)
    if [t.text for t in tokens] == ["0"]:
        return "zero", "FOLL_LONGTERM"
    loosest = _loosest_binary(tokens)
    if loosest == "|" or (loosest is None and _is_unary_operand(tokens)
                          and not _is_cast(tokens)):
        return "simple", "%s | FOLL_LONGTERM" % code
    return "compound", "(%s) | FOLL_LONGTERM" % code
