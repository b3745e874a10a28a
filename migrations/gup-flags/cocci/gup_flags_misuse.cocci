// SPDX-License-Identifier: GPL-2.0-only
/// In a tree whose get_user_pages_fast() takes gup_flags, find flag
/// arguments of the get_user_pages family that are not built from FOLL_*
/// flags: 1, true, a comparison or other boolean, parenthesised or cast or
/// not, a conditional with such an arm (w ? 1 : 0), or an integer masked
/// with something other than a FOLL_* flag (vma->vm_flags & VM_WRITE). They
/// work only while the value happens to be 0 or FOLL_WRITE (1).
/// Also find calls of get_user_pages_longterm() and __get_user_pages_fast(),
/// gone from such trees, outside a compat header (a .h that names
/// FOLL_LONGTERM, or get_user_pages_fast_only(), as the other side), and
/// shims defining get_user_pages_longterm() without FOLL_LONGTERM, which
/// drop the long-term pinning. An out-of-tree module built on both sides of
/// the change is held to the same.
///
//# Trees still on int write are the business of gup_fast_flags.cocci.
//# get_user_pages_remote() is matched with its task argument (before v5.9),
//# without it (v5.9) and without vmas (v6.5): a module may be built on any.
//# Calls inside #define bodies are matched: Coccinelle parses them as code.
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


SHIM = "WARNING: defines get_user_pages_longterm() without FOLL_LONGTERM: the pages " \
    "are not pinned long-term"
DEFINE = re.compile(r"\s*\x23\s*define\s+get_user_pages_longterm\(")
CONTINUED = chr(92)     # a backslash ending a line of a macro


def old_call(p, why):
    coccilib.report.print_report(p, "WARNING: " + why)


# Lines of directives that name without using: conditions, messages, includes.
NOT_CODE = re.compile(r"\s*\x23\s*(if|ifdef|ifndef|elif|else|endif|undef|include|error|"
                      r"warning|pragma)\b")


def compat_header(path, name):
    """A header naming the other side (name) in its code, #define bodies and the
    names #defines define included: its uses of the gone function are compat code."""
    if not path.endswith(".h"):
        return False
    with open(path, errors="replace") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)
    lines = text.replace(CONTINUED + "\n", " ").split("\n")
    code = "\n".join(line for line in lines if not NOT_CODE.match(line))
    return re.search(r"\b%s\b" % name, code) is not None


def define_shim(p):
    """Report the function-like macro get_user_pages_longterm(...) whose body holds
    the call at p, when the body does not name FOLL_LONGTERM."""
    with open(p.file, errors="replace") as f:
        lines = f.read().split("\n")
    first = int(p.line) - 1
    while first > 0 and lines[first - 1].rstrip().endswith(CONTINUED):
        first -= 1
    last = int(p.line) - 1
    while last + 1 < len(lines) and lines[last].rstrip().endswith(CONTINUED):
        last += 1
    if DEFINE.match(lines[first]) and \
            not re.search(r"\bFOLL_LONGTERM\b", "\n".join(lines[first:last + 1])):
        print("%s:%d:%d-%d: %s" % (p.file, first + 1, 0, 0, SHIM))

// One rule finds them all, so each call is reported once.
@bad@
expression A, N, P, V, L, M, T;
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
|
get_user_pages_remote@p(T, M, A, N, F, P, V, L)
|
get_user_pages_remote@p(M, A, N, F, P, L)
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

@longterm_call@
position p;
@@
get_user_pages_longterm@p(...)

@fast_irq_call@
position p;
@@
__get_user_pages_fast@p(...)

@longterm_shim@
position p;
type T;
@@
T get_user_pages_longterm@p(...) {
... when != FOLL_LONGTERM
}

@longterm_alias@
position p;
identifier name = get_user_pages_longterm;
expression E;
@@
#define name@p E

// A function-like #define of get_user_pages_longterm: found by the call in its body.
@in_body@
position p;
@@
get_user_pages@p(...)

@script:python depends on report@
p << longterm_call.p;
@@
if not compat_header(p[0].file, "FOLL_LONGTERM"):
    old_call(p[0], "get_user_pages_longterm() is gone: call get_user_pages() with FOLL_LONGTERM")

@script:python depends on report@
p << fast_irq_call.p;
@@
if not compat_header(p[0].file, "get_user_pages_fast_only"):
    old_call(p[0], "__get_user_pages_fast() is gone: call get_user_pages_fast_only()")

@script:python depends on report@
p << longterm_shim.p;
@@
coccilib.report.print_report(p[0], SHIM)

@script:python depends on report@
p << longterm_alias.p;
E << longterm_alias.E;
@@
if "FOLL_LONGTERM" not in E:
    coccilib.report.print_report(p[0], SHIM)

@script:python depends on report@
p << in_body.p;
@@
define_shim(p[0])

@script:python depends on org@
p << bad.p;
@@
coccilib.org.print_todo(p[0], "gup_flags argument not built from FOLL_* flags")
