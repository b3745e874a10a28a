// SPDX-License-Identifier: GPL-2.0-only
/// Advise on the lock context of get_user_pages() calls (advice, no rewrite):
/// [A] get_user_pages_fast() or get_user_pages_unlocked() called with
///     current->mm's mmap_sem held: their slow path takes mmap_sem itself, a
///     second down_read() that deadlocks behind a waiting writer (or at once
///     under down_write());
/// [B] get_user_pages() with mmap_sem taken only around that one call on
///     current->mm and no vmas: get_user_pages_unlocked() or
///     get_user_pages_fast() does the locking and may drop the lock on a fault;
/// [C] get_user_pages_fast() where sleeping is not allowed (spinlock held,
///     interrupts, bottom halves or preemption off, RCU read side, hard IRQ
///     handler): its fallback sleeps; only __get_user_pages_fast()
///     (get_user_pages_fast_only() after gup-unify's fast-only phase, and
///     upstream from 5.8) never does.
/// The pin_user_pages*() twins of 5.6+ are checked the same way, and both
/// spellings of the lock (down_read(&mm->mmap_sem), mmap_read_lock(mm)).
///
//# One function at a time: a lock taken by a caller, released by a helper,
//# or a GUP call made inside a helper is not seen. An mm counts as
//# current->mm when written so or held in a variable set from current->mm
//# (or get_task_mm(current)) in the same function. A threaded IRQ handler
//# is told apart only when registered in the same file. trylock forms are
//# not followed.
//
// Confidence: Moderate
// Options: --no-includes --include-headers
// Keywords: mmap_sem, mmap_lock, get_user_pages_fast, spin_lock

virtual context
virtual org
virtual report

@initialize:python@
@@
# (file, function, variable) of the variables holding current->mm, and the
# thread functions of threaded IRQ handlers: filled by the rules below.
current_mm = set()
irq_threads = set()
only_if = {}
seen = set()

def is_current_mm(mm, p):
    mm = "".join(mm.split())     # spatch prints current->mm as "current -> mm"
    return mm in ("current->mm", "get_task_mm(current)") or \
        (p[0].file, p[0].current_element, mm) in current_mm

def first(cls, p):
    """True once per call and class, however many locks reach it."""
    key = (p[0].file, p[0].line, p[0].column, cls)
    if key in seen:
        return False
    seen.add(key)
    return True

@cur_decl@
identifier mm;
type T;
position p;
symbol current;
@@
T mm@p = \(current->mm\|get_task_mm(current)\);

@script:python@
mm << cur_decl.mm;
p << cur_decl.p;
@@
current_mm.add((p[0].file, p[0].current_element, mm))

@cur_assign@
identifier mm;
position p;
symbol current;
@@
mm@p = \(current->mm\|get_task_mm(current)\)

@script:python@
mm << cur_assign.mm;
p << cur_assign.p;
@@
current_mm.add((p[0].file, p[0].current_element, mm))

// A lock taken as "if (cond && lock(mm))" is held only on cond's paths.
@conditional@
expression C;
identifier lock =~ "^(down_(read|write)(_killable|_nested)?|mmap_(read|write)_lock(_killable|_nested)?)$";
position p1;
@@
C && lock@p1(...)

@script:python@
c << conditional.C;
p1 << conditional.p1;
@@
only_if[(p1[0].file, p1[0].line, p1[0].column)] = c

@held exists@
expression M, M2;
identifier lock =~ "^(down_(read|write)(_killable|_nested)?|mmap_(read|write)_lock(_killable|_nested)?)$";
identifier gup =~ "^(get|pin)_user_pages_(fast|unlocked)$";
position p1, p;
@@
(
lock@p1(&M->mmap_sem, ...)
|
lock@p1(&M->mmap_lock, ...)
|
lock@p1(M, ...)
)
... when != \(up_read(&M2->mmap_sem)\|up_write(&M2->mmap_sem)\|up_read(&M2->mmap_lock)\|up_write(&M2->mmap_lock)\|mmap_read_unlock(M2)\|mmap_write_unlock(M2)\)
gup@p(...)

@script:python@
p << held.p;
mm << held.M;
@@
if not is_current_mm(mm, p) or not first("A", p):
    cocci.include_match(False)

@only_around@
expression M, S, N, F, P, E;
identifier lock =~ "^(down_(read|write)|mmap_(read|write)_lock)$";
identifier killable =~ "^(down_(read|write)_killable|mmap_(read|write)_lock_killable)$";
identifier unlock =~ "^(up_(read|write)|mmap_(read|write)_unlock)$";
identifier gup =~ "^(get|pin)_user_pages$";
statement S1;
position p1, p;
@@
(
lock@p1(\(&M->mmap_sem\|&M->mmap_lock\|M\));
|
if (killable@p1(\(&M->mmap_sem\|&M->mmap_lock\|M\))) S1
)
(
gup@p(S, N, F, P, NULL);
|
E = gup@p(S, N, F, P, NULL);
)
unlock(\(&M->mmap_sem\|&M->mmap_lock\|M\));

@script:python@
p << only_around.p;
mm << only_around.M;
@@
if not is_current_mm(mm, p) or not first("B", p):
    cocci.include_match(False)

@spinning exists@
expression L;
identifier lock =~ "^((raw_)?spin_lock(_irq|_irqsave|_bh|_nested|_irqsave_nested)?|(read|write)_lock(_irq|_irqsave|_bh)?)$";
identifier gup =~ "^(get|pin)_user_pages_fast$";
position p1, p;
@@
lock@p1(L, ...)
... when != \(spin_unlock(L)\|spin_unlock_irq(L)\|spin_unlock_irqrestore(L, ...)\|spin_unlock_bh(L)\|raw_spin_unlock(L)\|raw_spin_unlock_irq(L)\|raw_spin_unlock_irqrestore(L, ...)\|raw_spin_unlock_bh(L)\|read_unlock(L)\|read_unlock_irq(L)\|read_unlock_irqrestore(L, ...)\|read_unlock_bh(L)\|write_unlock(L)\|write_unlock_irq(L)\|write_unlock_irqrestore(L, ...)\|write_unlock_bh(L)\)
gup@p(...)

@script:python@
p << spinning.p;
@@
if not first("C", p):
    cocci.include_match(False)

@atomic exists@
identifier off =~ "^(local_irq_disable|local_irq_save|preempt_disable|get_cpu|local_bh_disable|rcu_read_lock)$";
identifier on =~ "^(local_irq_enable|local_irq_restore|preempt_enable|preempt_enable_no_resched|put_cpu|local_bh_enable|rcu_read_unlock)$";
identifier gup =~ "^(get|pin)_user_pages_fast$";
position p1, p;
@@
off@p1(...)
... when != on(...)
gup@p(...)

@script:python@
p << atomic.p;
@@
if not first("C", p):
    cocci.include_match(False)

@threaded@
identifier thread;
expression E1, E2, E3;
@@
\(request_threaded_irq(E1, E2, thread, ...)\|devm_request_threaded_irq(E3, E1, E2, thread, ...)\)

@script:python@
thread << threaded.thread;
@@
irq_threads.add(thread)

@handler exists@
typedef irqreturn_t;
identifier fn;
identifier gup =~ "^(get|pin)_user_pages_fast$";
position p;
@@
irqreturn_t fn(...)
{
...
gup@p(...)
...
}

@script:python@
fn << handler.fn;
p << handler.p;
@@
if fn in irq_threads or not first("C", p):
    cocci.include_match(False)

// Context mode: star each call that has a finding.

@depends on context@
identifier held.gup;
position held.p;
@@
* gup@p(...)

@depends on context@
identifier only_around.gup;
position only_around.p;
@@
* gup@p(...)

@depends on context@
identifier spinning.gup;
position spinning.p;
@@
* gup@p(...)

@depends on context@
identifier atomic.gup;
position atomic.p;
@@
* gup@p(...)

@depends on context@
identifier handler.gup;
position handler.p;
@@
* gup@p(...)

// Report and org modes: one line each, "[class] function(): reason".

@initialize:python depends on report@
@@
def say(cls, p, text):
    level = "INFO" if cls == "B" else "WARNING"
    coccilib.report.print_report(p[0], "%s: [%s] %s(): %s" % (
        level, cls, p[0].current_element, text))

@initialize:python depends on org@
@@
def say(cls, p, text):
    coccilib.org.print_todo(p[0], "[%s] %s(): %s" % (cls, p[0].current_element, text))

@script:python depends on report || org@
p << held.p;
p1 << held.p1;
gup << held.gup;
lock << held.lock;
@@
cond = only_if.get((p1[0].file, p1[0].line, p1[0].column))
say("A", p, "%s() with current->mm's mmap lock held (%s() at line %s%s): its slow "
    "path takes that lock again, a deadlock%s" % (gup, lock, p1[0].line,
    ", only if %s: check that this path can have both" % cond if cond else "",
    " at once" if "write" in lock else " behind a waiting writer"))

@script:python depends on report || org@
p << only_around.p;
gup << only_around.gup;
flags << only_around.F;
@@
if "FOLL_LONGTERM" in flags:
    # _unlocked() refuses FOLL_LONGTERM (docs/api.md; 6.1 WARNs), _fast() takes it.
    better = "%s_fast() does the locking itself (%s_unlocked() refuses " \
        "FOLL_LONGTERM)" % (gup, gup)
else:
    better = "%s_unlocked() or %s_fast() does the locking itself" % (gup, gup)
say("B", p, "current->mm's mmap lock is taken only around this %s(): %s" % (gup, better))

@script:python depends on report || org@
p << spinning.p;
p1 << spinning.p1;
gup << spinning.gup;
lock << spinning.lock;
@@
say("C", p, "%s() may sleep, but %s() at line %s holds a spinning lock: only "
    "__get_user_pages_fast() (get_user_pages_fast_only()) never sleeps" %
    (gup, lock, p1[0].line))

@script:python depends on report || org@
p << atomic.p;
p1 << atomic.p1;
gup << atomic.gup;
off << atomic.off;
@@
say("C", p, "%s() may sleep, but %s() at line %s made sleeping illegal: only "
    "__get_user_pages_fast() (get_user_pages_fast_only()) never sleeps" %
    (gup, off, p1[0].line))

@script:python depends on report || org@
p << handler.p;
gup << handler.gup;
@@
say("C", p, "%s() may sleep, but this is a hard IRQ handler (returns irqreturn_t, "
    "not a threaded handler's thread): only __get_user_pages_fast() "
    "(get_user_pages_fast_only()) never sleeps" % gup)
