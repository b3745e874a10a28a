// SPDX-License-Identifier: GPL-2.0-only
/// get_user_pages(), pin_user_pages(), get_user_pages_remote() and
/// pin_user_pages_remote() lose their struct vm_area_struct **vmas argument.
/// A NULL vmas argument is dropped, in every form it is written: NULL, 0,
/// a cast of either, or a macro the same file defines as one of those.
/// A single page whose vma is wanted is rewritten when the rewrite keeps
/// the meaning:
///  - ret = get_user_pages_remote(mm, addr, 1, F, &page, &vma, NULL);
///    if (ret <= 0) S
///    becomes page = get_user_page_vma_remote(mm, addr, F, &vma), with ret
///    given the count the call returned (0, -errno or 1), when S leaves
///    (return, break, continue, goto) or the success path is an else, and
///    S does not read page;
///  - ret = CALL(..., addr, 1, ..., &vma, ...); of any of the four, the
///    mmap lock kept (locked NULL), becomes the call without vmas followed
///    by if (ret > 0) vma = vma_lookup(mm, addr); under the same lock.
///
//# Every other use of vmas is left as it is and reported with its reason:
//# an array of several pages, a call that may drop the mmap lock (locked
//# not NULL), a result the rewrite cannot test, an address or mm the
//# rewrite would read twice. The NULL macro test reads the calling file
//# only, not the headers it includes.
//
// Confidence: High
// Options: --include-headers --no-includes
// Keywords: get_user_pages, pin_user_pages, vmas, get_user_page_vma_remote

virtual patch
virtual context
virtual org
virtual report

// The SmPL lexer also scans this Python, so it avoids hash signs,
// backslash literals (chr(92) is the backslash) and apostrophes.
@initialize:python@
@@
import re

_NULL_FORMS = ("NULL", "0", "(structvm_area_struct**)NULL", "(structvm_area_struct**)0")
_BLANK = "[ " + chr(9) + chr(10) + chr(13) + "]"
_values_by_file = {}
_kinds = {}

def _bare(text):
    text = re.sub(_BLANK + "+", "", text)
    while text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1]
    return text

def is_null(text):
    return _bare(text) in _NULL_FORMS

def _macro_values(path):
    if path not in _values_by_file:
        found = {}
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        pattern = chr(35) + "[ " + chr(9) + "]*define[ " + chr(9) + "]+(" + chr(92) + "w+)[ " + chr(9) + "]+([^" + chr(10) + "]*)"
        for name, value in re.findall(pattern, text):
            found.setdefault(name, []).append(value.strip())
        _values_by_file[path] = found
    return _values_by_file[path]

// null_macro: every object-like definition of name in the calling file is a NULL form.
def null_macro(name, p):
    values = _macro_values(p[0].file).get(name, [])
    return bool(values) and all(is_null(v) for v in values)

def _word(name):
    return chr(92) + "b" + re.escape(name) + chr(92) + "b"

// reread_safe: an expression the lookup may evaluate a second time has no
// call, no side effect, and is not the variable the call assigns.
def reread_safe(text, assigned):
    if re.search("[A-Za-z0-9_)]" + _BLANK + "*[(]|[+][+]|--|[^=!<>]=[^=]", text):
        return False
    return re.search(_word(assigned), text) is None

// leaves: the statement ends in return, break, continue or goto.
def leaves(text):
    body = text.strip()
    while body.endswith("}"):
        body = body[:-1].rstrip()
    if not body.endswith(";"):
        return False
    last = re.split("[;{}]", body[:-1])[-1].strip()
    return re.match("(return|break|continue|goto)(" + _BLANK + ".*)?$", last, re.S) is not None

def mentions(text, name):
    return re.search(_word(name), text) is not None

def left_reason(n, v, locked, p):
    if handled(p) or core(p):
        return None
    if not v.strip().startswith("&"):
        return "vmas is an array or a pointer from elsewhere: each reader needs vma_lookup() of its address under the same mmap lock"
    if _bare(n) != "1":
        return "one vma pointer for more than one page"
    if not is_null(locked):
        return "the call may drop the mmap lock (locked is not NULL): the vma can be gone when it is read"
    return "the result is not kept and tested where the rewrite can keep its meaning"

_MESSAGES = {
    "null": "WARNING: the vmas argument is NULL and is going away: drop it",
    "helper": "WARNING: one page and its vma: call get_user_page_vma_remote()",
    "lookup": "WARNING: one page and its vma, the mmap lock kept: drop vmas, vma_lookup() after the call",
    "left": "ERROR: the vmas argument is going away and its vma is read: %s; convert by hand",
}

def _key(p):
    return (p[0].file, p[0].line, p[0].column)

// The core series own calls: the helper and the wrappers that let a call
// leave vmas out during the conversion (a wrapper calling itself would
// recurse).
_CORE = ("get_user_page_vma_remote", "__get_user_pages_remote_novmas",
         "__pin_user_pages_remote_novmas", "__get_user_pages_novmas",
         "__pin_user_pages_novmas")

def core(p):
    return p[0].current_element in _CORE

def handle(p, how, reason=""):
    _kinds[_key(p)] = (how, reason)

def kind(p):
    return _kinds.get(_key(p), (None, ""))[0]

def message(p):
    how, reason = _kinds[_key(p)]
    return _MESSAGES[how].replace("%s", reason)

def handled(p):
    return kind(p) is not None

// A NULL vmas argument, written as NULL, 0 or a cast of either.
@nullvmas@
expression M, S, N, F, P, L;
expression Z : script:python() { is_null(Z) };
position p;
@@
(
\(get_user_pages@p\|pin_user_pages@p\)(S, N, F, P, Z)
|
\(get_user_pages_remote@p\|pin_user_pages_remote@p\)(M, S, N, F, P, Z, L)
)

@script:python nullvmas_ok@
p << nullvmas.p;
@@
if core(p):
    cocci.include_match(False)
else:
    handle(p, "null")

// A macro the calling file defines as NULL only.
@nullmacro@
expression M, S, N, F, P, L;
identifier Z;
position p;
@@
(
\(get_user_pages@p\|pin_user_pages@p\)(S, N, F, P, Z)
|
\(get_user_pages_remote@p\|pin_user_pages_remote@p\)(M, S, N, F, P, Z, L)
)

@script:python nullmacro_ok@
Z << nullmacro.Z;
p << nullmacro.p;
@@
if null_macro(Z, p) and not core(p):
    handle(p, "null")
else:
    cocci.include_match(False)

// One page and its vma, the result tested at once: the helper.
@helper@
local idexpression struct page *P;
local idexpression struct vm_area_struct *V;
idexpression E;
expression M, A, F;
statement S, S1;
position p;
@@
E = get_user_pages_remote@p(M, A, 1, F, &P, &V, NULL);
(
if (E <= 0) S else S1
|
if (unlikely(E <= 0)) S else S1
|
if (E <= 0) S
|
if (unlikely(E <= 0)) S
)

@script:python helper_ok@
P << helper.P;
E << helper.E;
S << helper.S;
S1 << helper.S1 = "";
p << helper.p;
@@
if core(p) or mentions(S, P) or not (S1 or leaves(S)):
    cocci.include_match(False)
else:
    handle(p, "helper")

// One page and its vma, the lock kept: look the vma up after the call.
@lookup@
local idexpression struct vm_area_struct *V;
idexpression E;
expression M, A, F, P;
position p;
@@
(
E = \(get_user_pages@p\|pin_user_pages@p\)(A, 1, F, P, &V);
|
E = \(get_user_pages_remote@p\|pin_user_pages_remote@p\)(M, A, 1, F, P, &V, NULL);
)

@script:python lookup_ok@
E << lookup.E;
M << lookup.M = "current->mm";
A << lookup.A;
p << lookup.p;
@@
if handled(p) or core(p):
    cocci.include_match(False)
elif not (reread_safe(A, E) and reread_safe(M, E)):
    handle(p, "left", "the address or mm has a side effect or is the result: vma_lookup() cannot read it again")
    cocci.include_match(False)
else:
    handle(p, "lookup")

// Every other call with a vmas argument: left for a human.
@other@
expression M, S, N, F, P, L;
expression V : script:python() { not is_null(V) };
position p;
@@
(
\(get_user_pages@p\|pin_user_pages@p\)(S, N, F, P, V)
|
\(get_user_pages_remote@p\|pin_user_pages_remote@p\)(M, S, N, F, P, V, L)
)

@script:python left@
N << other.N;
V << other.V;
L << other.L = "NULL";
p << other.p;
@@
reason = left_reason(N, V, L, p)
if reason is None:
    cocci.include_match(False)
else:
    handle(p, "left", reason)

@depends on context@
position p : script:python() { handled(p) };
@@
* \(get_user_pages@p\|pin_user_pages@p\|get_user_pages_remote@p\|pin_user_pages_remote@p\)(...)

@shown depends on report || org@
position p : script:python() { handled(p) };
@@
\(get_user_pages@p\|pin_user_pages@p\|get_user_pages_remote@p\|pin_user_pages_remote@p\)(...)

@script:python depends on report@
p << shown.p;
@@
coccilib.report.print_report(p[0], message(p))

@script:python depends on org@
p << shown.p;
@@
coccilib.org.print_todo(p[0], message(p))

@depends on patch@
expression M, S, N, F, P, V, L;
position p : script:python() { kind(p) == "null" };
@@
(
\(get_user_pages@p\|pin_user_pages@p\)(S, N, F, P
- , V
  )
|
\(get_user_pages_remote@p\|pin_user_pages_remote@p\)(M, S, N, F, P
- , V
  , L)
)

@depends on patch@
local idexpression struct page *P;
local idexpression struct vm_area_struct *V;
idexpression E;
expression M, A, F;
position p : script:python() { kind(p) == "helper" };
@@
- E = get_user_pages_remote@p(M, A, 1, F, &P, &V, NULL);
+ P = get_user_page_vma_remote(M, A, F, &V);
+ E = IS_ERR_OR_NULL(P) ? PTR_ERR(P) : 1;

@depends on patch@
local idexpression struct vm_area_struct *V;
idexpression E;
expression M, A, F, P;
position p : script:python() { kind(p) == "lookup" };
@@
(
  E = \(get_user_pages@p\|pin_user_pages@p\)(A, 1, F, P
- , &V
  );
+ if (E > 0)
+ 	V = vma_lookup(current->mm, A);
|
  E = \(get_user_pages_remote@p\|pin_user_pages_remote@p\)(M, A, 1, F, P
- , &V
  , NULL);
+ if (E > 0)
+ 	V = vma_lookup(M, A);
)
