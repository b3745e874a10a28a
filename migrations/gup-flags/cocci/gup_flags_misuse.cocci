// SPDX-License-Identifier: GPL-2.0-only
/// In a tree whose get_user_pages_fast() takes gup_flags, find flag
/// arguments of the get_user_pages family that are not built from FOLL_*
/// flags: 1, true, a comparison or other boolean, parenthesised or cast or
/// not, a conditional with such an arm (w ? 1 : 0), or an integer masked
/// with something other than a FOLL_* flag (vma->vm_flags & VM_WRITE). They
/// work only while the value happens to be 0 or FOLL_WRITE (1).
///
//# Trees still on int write are the business of gup_fast_flags.cocci.
//# get_user_pages_remote() is matched in its v5.9+ form (no task argument).
//
// Confidence: Moderate
// Options: --no-includes --include-headers
// Keywords: gup_flags, FOLL_WRITE

virtual context
virtual org
virtual report

@initialize:python@
@@
import re

# The same test as scripts/gupunify/csource/idioms.py flags_ok(), which the CI guard
# uses: tests/test_guard_contract.py holds the two to the same findings.
TOKEN = re.compile(r"\s*(->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[A-Za-z_]\w*"
                   r"|\.?\d(?:[\w.]|[eEpP][+-])*|\S)")
BINARY = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="),
          ("<", ">", "<=", ">="), ("<<", ">>"), ("+", "-"), ("*", "/", "%")]
RANK = dict((op, n) for n, ops in enumerate(BINARY) for op in ops)


def closing(t, k):
    depth = 0
    for j in range(k, len(t)):
        depth += t[j] in "([{"
        depth -= t[j] in ")]}"
        if depth == 0:
            return j
    return len(t)


def top(t):
    """(index, token) outside brackets."""
    out, depth = [], 0
    for k, x in enumerate(t):
        if x in ")]}":
            depth -= 1
        if depth == 0 and x not in ")]}":
            out.append((k, x))
        if x in "([{":
            depth += 1
    return out


def loosest(t):
    best, level, operand = None, None, False
    for k, x in top(t):
        if x in ("?", ","):
            return x
        if x in RANK and operand and (level is None or RANK[x] <= level):
            best, level = x, RANK[x]
            operand = False
        else:
            operand = x not in RANK and x not in ("!", "~")
    return best


def cast(t):
    """(type) operand: a cast is as good as what it casts."""
    if not t or t[0] != "(" or closing(t, 0) >= len(t) - 1:
        return False
    inner, rest = t[1:closing(t, 0)], t[closing(t, 0) + 1:]
    return all(re.match(r"[A-Za-z_]|\*$", x) for x in inner) and loosest(rest) is None \
        and operand(rest)


def operand(t):
    """An identifier or number with ->x, .x, [..], (..) after it, or a group or cast."""
    if t and t[0] == "(" and closing(t, 0) == len(t) - 1 or cast(t):
        return True
    if not t or not re.match(r"\w", t[0]):
        return False
    k = 1
    while k < len(t):
        if t[k] in ("->", ".") and k + 1 < len(t) and re.match(r"[A-Za-z_]", t[k + 1]):
            k += 2
        elif t[k] in ("(", "["):
            k = closing(t, k) + 1
        else:
            return False
    return True


def flags_ok(t):
    if t == ["0"]:
        return True
    if len(t) == 1:
        return bool(re.match(r"[A-Za-z_]", t[0])) and t[0] not in ("true", "false")
    if t[0] == "(" and closing(t, 0) == len(t) - 1:
        return flags_ok(t[1:-1])
    if cast(t):
        return flags_ok(t[closing(t, 0) + 1:])
    op = loosest(t)
    cut = [k for k, x in top(t) if x == op]
    if op == "?":
        colon = [k for k, x in top(t) if x == ":"]
        return len(colon) == 1 and flags_ok(t[cut[0] + 1:colon[0]]) and \
            flags_ok(t[colon[0] + 1:])
    if op == "|":
        bounds = [-1] + cut + [len(t)]
        return all(flags_ok(t[a + 1:b]) for a, b in zip(bounds, bounds[1:]))
    if op == "&":
        return any(x.startswith("FOLL_") for x in t)
    if op is None:
        if t[0] == "~":
            return flags_ok(t[1:])
        return t[0] != "!" and operand(t) and not re.match(r"\.?\d", t[0])
    return False


def not_flags(arg):
    return not flags_ok(TOKEN.findall(arg))

// One rule finds them all, so each call is reported once.
@bad@
expression A, N, P, V, L, M;
expression F : script:python() { not_flags(F) };
position p;
@@
(
get_user_pages_fast@p(A, N, F, P)
|
get_user_pages@p(A, N, F, P, V)
|
get_user_pages_locked@p(A, N, F, P, L)
|
get_user_pages_unlocked@p(A, N, P, F)
|
get_user_pages_remote@p(M, A, N, F, P, V, L)
)

@depends on context@
position bad.p;
@@
(
* get_user_pages_fast@p(...)
|
* get_user_pages@p(...)
|
* get_user_pages_locked@p(...)
|
* get_user_pages_unlocked@p(...)
|
* get_user_pages_remote@p(...)
)

@script:python depends on report@
p << bad.p;
@@
coccilib.report.print_report(p[0], "WARNING: gup_flags argument not built from FOLL_* flags (a bool, literal or integer mask)")

@script:python depends on org@
p << bad.p;
@@
coccilib.org.print_todo(p[0], "gup_flags argument not built from FOLL_* flags")
