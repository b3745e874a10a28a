// SPDX-License-Identifier: GPL-2.0-only
/// __get_user_pages_fast() gives way to get_user_pages_fast_only(start,
/// nr_pages, gup_flags, pages), which never sleeps and never falls back,
/// as before, but takes gup_flags like its sibling get_user_pages_fast().
/// Rename each call and rewrite its third argument into the gup_flags
/// value with the same meaning, by the table gup_fast_flags.cocci uses: 1
/// and true become FOLL_WRITE, false becomes 0, and any other expression E
/// becomes E ? FOLL_WRITE : 0 (parenthesised unless E is a plain boolean or
/// a simple operand). Passing E through would be wrong for any nonzero
/// value other than 1: 0x02 is FOLL_TOUCH, 0x04 FOLL_GET, 0x10 FOLL_FORCE.
///
//# Values already in flag form (0, E & FOLL_WRITE, E ? FOLL_WRITE : 0)
//# keep their argument; only the name changes. FOLL_WRITE passed as the
//# write argument happens to have the right value; it is kept and
//# reported. Any other FOLL_* value passed as write, and calls inside a
//# #define body (whose argument can be any expression at each expansion),
//# are reported and left to a human. The definitions and the prototype
//# belong to the core patches: only calls are matched.
//
// Confidence: High
// Options: --include-headers --no-includes
// Keywords: __get_user_pages_fast, get_user_pages_fast_only, FOLL_WRITE

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

// Every call is put in exactly one class, the first that fits: a
// disjunction tries its branches in order.
@site disable paren, drop_cast@
expression A, N, P, E, E1, E2;
expression list ES;
identifier I, FLAG =~ "^FOLL_";
type T;
constant C;
symbol true, false;
position pkeep : script:python() { outside_define(pkeep) };
position pmisuse : script:python() { outside_define(pmisuse) };
position pfoll : script:python() { outside_define(pfoll) };
position ptrue : script:python() { outside_define(ptrue) };
position pfalse : script:python() { outside_define(pfalse) };
position pternary : script:python() { outside_define(pternary) };
position pbool : script:python() { outside_define(pbool) };
position pother : script:python() { outside_define(pother) };
@@
(
__get_user_pages_fast@pkeep(A, N, \(0\|E & FOLL_WRITE\|E ? FOLL_WRITE : 0\), P)
|
__get_user_pages_fast@pmisuse(A, N, FOLL_WRITE, P)
|
__get_user_pages_fast@pfoll(A, N, <+... FLAG ...+>, P)
|
__get_user_pages_fast@ptrue(A, N, \(1\|true\), P)
|
__get_user_pages_fast@pfalse(A, N, false, P)
|
__get_user_pages_fast@pternary(A, N, E ? \(1\|true\) : \(0\|false\), P)
|
__get_user_pages_fast@pternary(A, N, E ? \(0\|false\) : \(1\|true\), P)
|
__get_user_pages_fast@pbool(A, N,
  \(!E\|E1 == E2\|E1 != E2\|E1 < E2\|E1 > E2\|E1 <= E2\|E1 >= E2\|
    E1 && E2\|E1 || E2\|I\|C\|E->I\|E.I\|E[E1]\|E(ES)\|(T)E\|(E)\), P)
|
__get_user_pages_fast@pother(A, N, E, P)
)

// One rule does every rewrite, the name and the argument together: a
// position cannot be inherited past a rule that modified the code. Each
// literal has its own branch, because a disjunction of literals moves a
// trailing comment in front of the new token.
@depends on patch@
expression A, N, P, E, W;
symbol true, false;
position site.pkeep, site.pmisuse, site.ptrue, site.pfalse, site.pternary, site.pbool;
position site.pother;
@@
(
- __get_user_pages_fast@pkeep
+ get_user_pages_fast_only
  (...)
|
- __get_user_pages_fast@pmisuse
+ get_user_pages_fast_only
  (...)
|
- __get_user_pages_fast@ptrue
+ get_user_pages_fast_only
  (A, N,
- 1
+ FOLL_WRITE
  , P)
|
- __get_user_pages_fast@ptrue
+ get_user_pages_fast_only
  (A, N,
- true
+ FOLL_WRITE
  , P)
|
- __get_user_pages_fast@pfalse
+ get_user_pages_fast_only
  (A, N,
- false
+ 0
  , P)
|
- __get_user_pages_fast@pternary
+ get_user_pages_fast_only
  (A, N, E ?
- 1
+ FOLL_WRITE
  :
  0
  , P)
|
- __get_user_pages_fast@pternary
+ get_user_pages_fast_only
  (A, N, E ?
- 1
+ FOLL_WRITE
  :
- false
+ 0
  , P)
|
- __get_user_pages_fast@pternary
+ get_user_pages_fast_only
  (A, N, E ?
- true
+ FOLL_WRITE
  :
  0
  , P)
|
- __get_user_pages_fast@pternary
+ get_user_pages_fast_only
  (A, N, E ?
- true
+ FOLL_WRITE
  :
- false
+ 0
  , P)
|
- __get_user_pages_fast@pternary
+ get_user_pages_fast_only
  (A, N, E ?
  0
  :
- 1
+ FOLL_WRITE
  , P)
|
- __get_user_pages_fast@pternary
+ get_user_pages_fast_only
  (A, N, E ?
- false
+ 0
  :
- 1
+ FOLL_WRITE
  , P)
|
- __get_user_pages_fast@pternary
+ get_user_pages_fast_only
  (A, N, E ?
  0
  :
- true
+ FOLL_WRITE
  , P)
|
- __get_user_pages_fast@pternary
+ get_user_pages_fast_only
  (A, N, E ?
- false
+ 0
  :
- true
+ FOLL_WRITE
  , P)
|
- __get_user_pages_fast@pbool
+ get_user_pages_fast_only
  (A, N,
- W
+ W ? FOLL_WRITE : 0
  , P)
|
- __get_user_pages_fast@pother
+ get_user_pages_fast_only
  (A, N,
- W
+ (W) ? FOLL_WRITE : 0
  , P)
)

@depends on context@
position site.pkeep, site.pmisuse, site.pfoll, site.ptrue, site.pfalse, site.pternary;
position site.pbool, site.pother;
@@
(
* __get_user_pages_fast@pkeep(...)
|
* __get_user_pages_fast@pmisuse(...)
|
* __get_user_pages_fast@pfoll(...)
|
* __get_user_pages_fast@ptrue(...)
|
* __get_user_pages_fast@pfalse(...)
|
* __get_user_pages_fast@pternary(...)
|
* __get_user_pages_fast@pbool(...)
|
* __get_user_pages_fast@pother(...)
)

@script:python depends on report@
p << site.pkeep;
@@
coccilib.report.print_report(p[0], "WARNING: __get_user_pages_fast() is going away: call get_user_pages_fast_only(), the flag argument as it is")

@script:python depends on report@
p << site.pmisuse;
@@
coccilib.report.print_report(p[0], "WARNING: __get_user_pages_fast() write argument is FOLL_WRITE: right value by accident (FOLL_WRITE == 1), kept; call get_user_pages_fast_only()")

@script:python depends on report@
p << site.pfoll;
@@
coccilib.report.print_report(p[0], "ERROR: __get_user_pages_fast() write argument is a FOLL_* value other than FOLL_WRITE: its meaning changes with gup_flags, fix by hand")

@script:python depends on report@
p << site.ptrue;
@@
coccilib.report.print_report(p[0], "WARNING: __get_user_pages_fast() write argument 1/true: call get_user_pages_fast_only() with FOLL_WRITE")

@script:python depends on report@
p << site.pfalse;
@@
coccilib.report.print_report(p[0], "WARNING: __get_user_pages_fast() write argument false: call get_user_pages_fast_only() with 0")

@script:python depends on report@
p << site.pternary;
@@
coccilib.report.print_report(p[0], "WARNING: __get_user_pages_fast() write argument is a 1/0 ternary: call get_user_pages_fast_only() with FOLL_WRITE in it")

@script:python depends on report@
p << site.pbool;
@@
coccilib.report.print_report(p[0], "WARNING: __get_user_pages_fast() write argument is a boolean: call get_user_pages_fast_only() with E ? FOLL_WRITE : 0")

@script:python depends on report@
p << site.pother;
@@
coccilib.report.print_report(p[0], "WARNING: __get_user_pages_fast() write argument is an integer, not a flag: call get_user_pages_fast_only() with (E) ? FOLL_WRITE : 0")

@script:python depends on org@
p << site.pkeep;
@@
coccilib.org.print_todo(p[0], "__get_user_pages_fast() is going away: call get_user_pages_fast_only(), the flag argument as it is")

@script:python depends on org@
p << site.pmisuse;
@@
coccilib.org.print_todo(p[0], "__get_user_pages_fast() write argument is FOLL_WRITE: right value by accident (FOLL_WRITE == 1), kept; call get_user_pages_fast_only()")

@script:python depends on org@
p << site.pfoll;
@@
coccilib.org.print_todo(p[0], "__get_user_pages_fast() write argument is a FOLL_* value other than FOLL_WRITE: its meaning changes with gup_flags, fix by hand")

@script:python depends on org@
p << site.ptrue;
@@
coccilib.org.print_todo(p[0], "__get_user_pages_fast() write argument 1/true: call get_user_pages_fast_only() with FOLL_WRITE")

@script:python depends on org@
p << site.pfalse;
@@
coccilib.org.print_todo(p[0], "__get_user_pages_fast() write argument false: call get_user_pages_fast_only() with 0")

@script:python depends on org@
p << site.pternary;
@@
coccilib.org.print_todo(p[0], "__get_user_pages_fast() write argument is a 1/0 ternary: call get_user_pages_fast_only() with FOLL_WRITE in it")

@script:python depends on org@
p << site.pbool;
@@
coccilib.org.print_todo(p[0], "__get_user_pages_fast() write argument is a boolean: call get_user_pages_fast_only() with E ? FOLL_WRITE : 0")

@script:python depends on org@
p << site.pother;
@@
coccilib.org.print_todo(p[0], "__get_user_pages_fast() write argument is an integer, not a flag: call get_user_pages_fast_only() with (E) ? FOLL_WRITE : 0")
