"""gup-flags: what its data cannot say, for the pipeline's generic code.

CLASSIFY: per [rule:*] idioms key, what a call's argument becomes
(idiom, replacement or None); FLAGS_OK: the test of a gup_flags argument;
CHECKS: per rule, what the tree must hold before its callers are converted
(FOLL_WRITE == 1, or the write-to-flags rewrite changes values); GUARD and
GUARD_FILE: the CI guard's findings for one site, and for one file read with
its compat code (OTHER_SIDE); a module directory's state is None.
"""
from gupunify import cicheck
from gupunify.common.util import die
from gupunify.csource import ctokens, mentions, shims, sites, source

TRUE_LITERALS = ("1", "true")
FALSE_LITERALS = ("0", "false")


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


def foll_write_is_one(state):
    """The write-to-flags rewrite relies on FOLL_WRITE == 1 (docs/series.md)."""
    value = state["foll_write"]
    if value is None:
        die("include/linux/mm.h defines no FOLL_WRITE: cannot convert")
    try:
        number = int(value, 0)
    except ValueError:
        die("FOLL_WRITE is %s, not a number: cannot check it is 1" % value)
    if number != 1:
        die("FOLL_WRITE is %s, not 1: the caller conversion is not value-preserving here" % value)


def classify_longterm(arg):
    """The gup_flags of a get_user_pages() call a longterm call became are already
    in the new form; those of get_user_pages_longterm() get FOLL_LONGTERM."""
    if "FOLL_LONGTERM" in arg:
        return "flag_form", None
    return classify_longterm_flags(arg)


def guard_rules():
    from gupunify.common import migration
    return dict(migration.current().ini.items("guard:rules"))


# A module built on both sides reaches a gone function through a compat header only.
MODULE_GONE = {
    "get_user_pages_longterm": "get_user_pages_longterm() is gone since v5.2: outside a "
        "compat header (a .h naming FOLL_LONGTERM too) the module builds on old kernels only",
    "__get_user_pages_fast": "__get_user_pages_fast() is gone since v5.10: outside a compat "
        "header (a .h naming get_user_pages_fast_only() too) the module builds on old "
        "kernels only",
}
MODULE_WRITE = ("get_user_pages_fast() write argument that is not a gup_flags value: right "
                "on either side of the change only while FOLL_WRITE is 1: `%s`; the "
                "conversion passes `%s`")
# A module may be written for any kernel: where get_user_pages_remote() takes
# its gup_flags, by its number of arguments (v5.0: 8, v5.9: 7, v6.5: 6).
REMOTE_FLAGS_BY_ARITY = {8: 4, 7: 3, 6: 3}
# The old name whose file must also name the other side for its uses to be
# compat code (csource/shims.py).
OTHER_SIDE = {"get_user_pages_longterm": "FOLL_LONGTERM",
              "__get_user_pages_fast": "get_user_pages_fast_only"}


def check_site(site, state, flags_argument):
    """The CI guard's findings for one site, given the tree's api_state(), or None
    for a module directory: one built against kernels on both sides, held to
    gup_flags values with the arguments where its own calls put them.

    A tree with get_user_pages_fast_only() has every use of
    __get_user_pages_fast() as old API; a tree without it has no other
    never-sleeping variant, and its calls are not reported.
    """
    module = state is None
    api = "module" if module else state["fast_takes"]
    fast_only = module or state["has_fast_only"]
    rules = guard_rules()
    if module and site.name in MODULE_GONE and site.kind == "call":
        rule = "longterm-call" if site.name == "get_user_pages_longterm" else "fast-irq-call"
        return [cicheck.Finding(site, rule, "warning", None, MODULE_GONE[site.name])]
    if site.name == "get_user_pages_longterm" and site.kind in ("call", "define"):
        return [cicheck.Finding(site, "longterm-call", "warning", None, rules["longterm-call"])]
    if site.name == "__get_user_pages_fast":
        return _fast_irq(site) if fast_only else []
    if site.name == "get_user_pages_fast" and site.kind == "define" and api == "write":
        return [cicheck.Finding(site, "old-write-arg", "warning", None,
                                "get_user_pages_fast() inside a #define: the conversion "
                                "leaves it; convert its write argument by hand")]
    if site.kind != "call":
        return []
    if site.name == "get_user_pages_fast" and len(site.args) == 4:
        arg = site.args[2]
        if module:
            if not flags_ok(arg):
                replacement = classify_write(arg)[1] or "?"
                return [cicheck.Finding(site, "write-not-flags", "warning", arg,
                                        MODULE_WRITE % (arg, replacement))]
            return []
        if api == "gup_flags":
            if not flags_ok(arg):
                return [cicheck.Finding(site, "write-not-flags", "warning", arg,
                                        "%s: `%s`" % (rules["write-not-flags"], arg))]
            return []
        idiom, replacement = classify_write(arg)
        if idiom == "other_foll_flag":
            return [cicheck.Finding(site, "foll-as-write", "warning", arg,
                                    "%s: `%s`" % (rules["foll-as-write"], arg))]
        if replacement is not None:
            return [cicheck.Finding(site, "old-write-arg", "warning", arg,
                                    "get_user_pages_fast() write argument `%s`: the "
                                    "conversion passes `%s`" % (arg, replacement))]
        return []
    if module and site.name == "get_user_pages_remote":
        index = REMOTE_FLAGS_BY_ARITY.get(len(site.args))
    else:
        index = flags_argument.get(site.name)
    if index is not None and len(site.args) > index and not flags_ok(site.args[index]):
        arg = site.args[index]
        return [cicheck.Finding(site, "bool-as-flags", "warning", arg,
                                "%s(): %s: `%s`" % (site.name, rules["bool-as-flags"], arg))]
    return []


def guard_file(relpath, text, state, flags_argument):
    """The CI guard's findings for one file.

    Off a tree still on int write, #define bodies are read as code (the
    semantic patch reads them so), and the uses of an old name in a header
    that names the other side too are compat code: not reported; a definition
    of get_user_pages_longterm() without FOLL_LONGTERM is, wherever it is.
    Each further read is made only where it can find something: most files
    are tokenized once.
    """
    names = cicheck.names()
    found = sites.scan(relpath, text, names)
    if state is not None and state["fast_takes"] == "write":
        return [f for site in found for f in check_site(site, state, flags_argument)]
    if any(site.kind == "define" for site in found):
        found = sites.scan(relpath, shims.define_bodies(text), names)
    compat = (shims.covered(relpath, text, OTHER_SIDE)
              if any(site.name in OTHER_SIDE for site in found) else set())
    findings = [f for site in found if site.name not in compat
                for f in check_site(site, state, flags_argument)]
    longterm = "get_user_pages_longterm"
    if longterm in mentions.words(source.encode(text), (longterm,)):
        for line, column in shims.shims_without(text, longterm, "FOLL_LONGTERM"):
            site = sites.Site(relpath, longterm, line, column, "definition", [], [], None)
            findings.append(cicheck.Finding(site, "longterm-shim", "warning", None,
                                            guard_rules()["longterm-shim"]))
    return findings


def _fast_irq(site):
    """A call (or a #define using) __get_user_pages_fast() where the new API exists."""
    if site.kind == "define":
        return [cicheck.Finding(site, "fast-irq-call", "warning", None,
                                "%s: inside a #define, convert its write argument by hand"
                                % guard_rules()["fast-irq-call"])]
    if site.kind != "call":
        return []
    arg = site.args[2] if len(site.args) == 4 else None
    idiom, replacement = classify_fast_only(arg) if arg is not None else (None, None)
    if replacement is None:
        why = ("its write argument `%s` is a FOLL_* value other than FOLL_WRITE, fix by hand"
               % arg if idiom == "other_foll_flag" else "unexpected number of arguments")
    else:
        why = "the conversion passes `%s`" % replacement
    return [cicheck.Finding(site, "fast-irq-call", "warning", arg,
                            "%s: %s" % (guard_rules()["fast-irq-call"], why))]


CLASSIFY = {"write": classify_write, "fast_only": classify_fast_only,
            "longterm": classify_longterm}
FLAGS_OK = flags_ok
CHECKS = {"foll_write_is_one": foll_write_is_one}
GUARD = check_site
GUARD_FILE = guard_file
