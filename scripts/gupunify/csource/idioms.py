"""The idioms of a flag argument: what each becomes, why one is left, what flags are.

Shared by the conversion (convert.py), the CI guard (cicheck.py) and the
semantic patches' tests, so that all three tell the same idioms apart.
"""
from . import ctokens
from .sites import FAST, FAST_IRQ

# Why a site is left as it is, by its idiom (the report's reasons).
REASONS = {
    "zero": "0 is already the gup_flags value",
    "flag_form": "already a gup_flags value",
    "foll_write_as_write": "FOLL_WRITE passed as write: right value by accident (FOLL_WRITE == 1), kept",
    "other_foll_flag": "a FOLL_* value other than FOLL_WRITE passed as write: its meaning "
                       "changes with gup_flags, fix by hand",
}

# Why a use of the function that is not a plain call is left, by Site.kind.
NOT_A_CALL = {
    "define": "inside a #define body: the argument can be any expression at each expansion",
    "reference": "not called here (function pointer or reference)",
    "member": "a struct member of the same name, not the function: left as it is; if it "
              "points to %(api)s(), convert its calls by hand",
}

DIRECTIVE = ("a preprocessor directive (#if ...) inside the argument list: left as it was, "
             "convert each branch by hand")

TRUE_LITERALS = ("1", "true")
FALSE_LITERALS = ("0", "false")


def classify(api, arg):
    """(idiom, replacement) of the flag argument arg of a call of api (sites.FAST,
    sites.FAST_IRQ or sites.LONGTERM, or a get_user_pages() call it became)."""
    if api == FAST:
        return classify_write(arg)
    if api == FAST_IRQ:
        return classify_fast_only(arg)
    if "FOLL_LONGTERM" in arg:
        return "flag_form", None
    return classify_longterm_flags(arg)


def classify_write(arg):
    """Classify the write argument of get_user_pages_fast().

    Returns (idiom, replacement): replacement is the gup_flags text, or None
    when the site is left as it is (already a flag value) or left to a human.
    arg may be the argument's source text: its comments and line breaks are
    kept in the replacement.
    """
    tokens = ctokens.tokenize(arg)
    texts = [t.text for t in tokens]
    code = ctokens.code(arg, tokens)
    if texts == ["0"]:
        return "zero", None
    if texts == ["FOLL_WRITE"]:
        return "foll_write_as_write", None
    ternary = ctokens.ternary_literals(tokens)
    top = [t.text for _, t in ctokens.top_level(tokens)]
    if ternary and ternary[1] == "FOLL_WRITE" and ternary[2] == "0":
        return "flag_form", None
    if len(top) == 3 and top[1] == "&" and "FOLL_WRITE" in (top[0], top[2]) \
            and ctokens.loosest_binary(tokens) == "&":
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
        cond = ctokens.code(arg, ternary[0])
        if ternary[1] in TRUE_LITERALS:
            return "ternary_literal", "%s ? FOLL_WRITE : 0" % cond
        return "ternary_literal", "%s ? 0 : FOLL_WRITE" % cond
    loosest = ctokens.loosest_binary(tokens)
    if loosest in ctokens.BOOLEAN_OPS:
        return "boolean", "%s ? FOLL_WRITE : 0" % code
    if loosest is None and texts[:1] == ["!"] and \
            ctokens.is_unary_operand(tokens[1:] if texts[1:2] != ["!"] else tokens[2:]):
        return "boolean", "%s ? FOLL_WRITE : 0" % code
    if loosest is None and ctokens.is_unary_operand(tokens):
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
        replacement = ctokens.code(arg, ctokens.tokenize(arg))
    return idiom, replacement


def classify_longterm_flags(arg):
    """Classify the gup_flags argument of get_user_pages_longterm()."""
    tokens = ctokens.tokenize(arg)
    code = ctokens.code(arg, tokens)
    if [t.text for t in tokens] == ["0"]:
        return "zero", "FOLL_LONGTERM"
    loosest = ctokens.loosest_binary(tokens)
    if loosest == "|" or (loosest is None and ctokens.is_unary_operand(tokens)
                          and not ctokens.is_cast(tokens)):
        return "simple", "%s | FOLL_LONGTERM" % code
    return "compound", "(%s) | FOLL_LONGTERM" % code


def flags_ok(arg):
    """True if a gup_flags argument is built from FOLL_* flags (or is an opaque flags value).

    0, FOLL_* names, | of such, c ? F : G, F & mask and ~F are flag values; a
    variable, field or call is taken as a flags value it holds, and a cast is
    what it casts. Other literals and boolean or arithmetic expressions are not.
    cocci/gup_flags_misuse.cocci makes the same test (tests/test_guard_contract.py).
    """
    tokens = ctokens.tokenize(arg)
    return bool(tokens) and _flags_ok(tokens)


def _flags_ok(tokens):
    texts = [t.text for t in tokens]
    if texts == ["0"]:
        return True
    if len(tokens) == 1:
        return tokens[0].kind == "ident" and texts[0] not in ("true", "false")
    if ctokens.wrapped(tokens):
        return _flags_ok(tokens[1:-1])
    if ctokens.is_cast(tokens):
        return _flags_ok(tokens[ctokens.matching(tokens, 0) + 1:])
    loosest = ctokens.loosest_binary(tokens)
    top = [k for k, t in ctokens.top_level(tokens) if t.text == loosest]
    if loosest == "?":
        colon = [k for k, t in ctokens.top_level(tokens) if t.text == ":"]
        return len(colon) == 1 and _flags_ok(tokens[top[0] + 1:colon[0]]) and \
            _flags_ok(tokens[colon[0] + 1:])
    if loosest == "|":
        bounds = [-1] + top + [len(tokens)]
        return all(_flags_ok(tokens[a + 1:b]) for a, b in zip(bounds, bounds[1:]))
    if loosest == "&":
        return any(t.kind == "ident" and t.text.startswith("FOLL_") for t in tokens)
    if loosest is None:
        if texts[0] == "~":
            return _flags_ok(tokens[1:])
        return texts[0] != "!" and ctokens.is_unary_operand(tokens) and \
            not (tokens[0].kind == "number")
    return False
