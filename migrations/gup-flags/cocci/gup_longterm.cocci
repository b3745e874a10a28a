// SPDX-License-Identifier: GPL-2.0-only
/// get_user_pages_longterm() is folded into get_user_pages(): FOLL_LONGTERM
/// is a gup_flags bit that get_user_pages() honours (refusing fs-dax
/// pages), so get_user_pages_longterm(s, n, F, p, v) becomes
/// get_user_pages(s, n, F | FOLL_LONGTERM, p, v), with 0 | FOLL_LONGTERM
/// folded to FOLL_LONGTERM and a compound F parenthesised.
///
//# Calls inside a #define body are reported, not rewritten.
//
// Confidence: High
// Options: --include-headers --no-includes
// Keywords: get_user_pages_longterm, FOLL_LONGTERM

virtual patch
virtual context
virtual org
virtual report

// Calls inside a #define body are left alone: outside_define(p), from
// smpl_defines.py beside this file, says whether position p is on a line
// of a #define or its continuations. This rule puts the folder of this file
// on the path of the Python of spatch, as make coccicheck COCCI= runs it too.
@initialize:python@
@@
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(cocci.cocci_file)))
sys.dont_write_bytecode = True
from smpl_defines import outside_define

// pzero: no flags; psimple: F needs no parentheses in F | FOLL_LONGTERM;
// pcompound: everything else.
@site disable paren, drop_cast@
expression S, N, P, V, E, E1, E2;
expression list ES;
identifier I;
constant C;
position pzero : script:python() { outside_define(pzero) };
position psimple : script:python() { outside_define(psimple) };
position pcompound : script:python() { outside_define(pcompound) };
@@
(
get_user_pages_longterm@pzero(S, N, 0, P, V)
|
get_user_pages_longterm@psimple(S, N,
  \(I\|C\|E->I\|E.I\|E[E1]\|E(ES)\|(E)\|E1 | E2\), P, V)
|
get_user_pages_longterm@pcompound(S, N, E, P, V)
)

@depends on patch@
expression S, N, P, V, F;
position site.pzero, site.psimple, site.pcompound;
@@
(
- get_user_pages_longterm@pzero
+ get_user_pages
  (S, N,
- 0
+ FOLL_LONGTERM
  , P, V)
|
- get_user_pages_longterm@psimple
+ get_user_pages
  (S, N,
- F
+ F | FOLL_LONGTERM
  , P, V)
|
- get_user_pages_longterm@pcompound
+ get_user_pages
  (S, N,
- F
+ (F) | FOLL_LONGTERM
  , P, V)
)

@depends on context@
position site.pzero, site.psimple, site.pcompound;
@@
(
* get_user_pages_longterm@pzero(...)
|
* get_user_pages_longterm@psimple(...)
|
* get_user_pages_longterm@pcompound(...)
)

@script:python depends on report@
p << site.pzero;
@@
coccilib.report.print_report(p[0], "WARNING: get_user_pages_longterm() is going away: call get_user_pages() with FOLL_LONGTERM")

@script:python depends on report@
p << site.psimple;
@@
coccilib.report.print_report(p[0], "WARNING: get_user_pages_longterm() is going away: call get_user_pages() with F | FOLL_LONGTERM")

@script:python depends on report@
p << site.pcompound;
@@
coccilib.report.print_report(p[0], "WARNING: get_user_pages_longterm() is going away: call get_user_pages() with (F) | FOLL_LONGTERM")

@script:python depends on org@
p << site.pzero;
@@
coccilib.org.print_todo(p[0], "get_user_pages_longterm(): call get_user_pages() with FOLL_LONGTERM")

@script:python depends on org@
p << site.psimple;
@@
coccilib.org.print_todo(p[0], "get_user_pages_longterm(): call get_user_pages() with F | FOLL_LONGTERM")

@script:python depends on org@
p << site.pcompound;
@@
coccilib.org.print_todo(p[0], "get_user_pages_longterm(): call get_user_pages() with (F) | FOLL_LONGTERM")
