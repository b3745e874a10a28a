// SPDX-License-Identifier: GPL-2.0-only
/// In a tree whose get_user_pages_fast() takes gup_flags, find flag
/// arguments of the get_user_pages family that are not built from FOLL_*
/// flags: 1, true, a comparison or other boolean, or an integer masked with
/// something other than a FOLL_* flag (vma->vm_flags & VM_WRITE). They work
/// only while the value happens to be 0 or FOLL_WRITE (1).
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

// One rule finds them all, so each call is reported once.
@bad disable paren, drop_cast@
expression A, N, P, V, L, M, E, E1, E2;
constant C !~ "^FOLL_";
symbol true;
position p;
@@
(
get_user_pages_fast@p(A, N, \(1\|true\|!E\|E1 == E2\|E1 != E2\|E1 < E2\|E1 > E2\|E1 <= E2\|E1 >= E2\|E1 && E2\|E1 || E2\|E & C\), P)
|
get_user_pages@p(A, N, \(1\|true\|!E\|E1 == E2\|E1 != E2\|E1 < E2\|E1 > E2\|E1 <= E2\|E1 >= E2\|E1 && E2\|E1 || E2\|E & C\), P, V)
|
get_user_pages_locked@p(A, N, \(1\|true\|!E\|E1 == E2\|E1 != E2\|E1 < E2\|E1 > E2\|E1 <= E2\|E1 >= E2\|E1 && E2\|E1 || E2\|E & C\), P, L)
|
get_user_pages_unlocked@p(A, N, P, \(1\|true\|!E\|E1 == E2\|E1 != E2\|E1 < E2\|E1 > E2\|E1 <= E2\|E1 >= E2\|E1 && E2\|E1 || E2\|E & C\))
|
get_user_pages_remote@p(M, A, N, \(1\|true\|!E\|E1 == E2\|E1 != E2\|E1 < E2\|E1 > E2\|E1 <= E2\|E1 >= E2\|E1 && E2\|E1 || E2\|E & C\), P, V, L)
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
