"""A later caller phase (gup-flags: --fast-only): its callers, between their own core patches."""
import os

from ..common import migration
from ..common.tree import api_state
from ..common.progress import progress
from . import callercommits, patches


def phase(wt, workdir, state, context, watch):
    """The migration's second caller phase (gup-flags: fast-only), after the main series.

    patches/<base>/<phase>/series: its patches before @callers add what its
    calls become, then each
    MAINTAINERS group's callers of the phase's rules are committed, then the
    patches after @callers remove the old function, but only once no call
    of it is left (a call left for a human would no longer build). A patch
    whose work the tree already shows is not applied again.
    """
    version = context.tree.version
    mig = migration.current()
    name = mig.phases[1]
    rules = mig.phase_rules(name)
    olds = tuple(rule.old for rule in rules)
    has_new = lambda: all(api_state(wt.path)[rule.needs[1]] for rule in rules if rule.needs)
    steps = patches.phase_steps(version, name)
    if steps is None:
        if has_new():
            progress("no %s core patches for v%s: converting the %s callers only"
                     % (name, version, ", ".join("%s()" % old for old in olds)))
        else:
            progress("no %s core patches for v%s" % (name, version))
        steps = [], []
    state.fast_only_series = ("v%s/%s" % (version, patches.phase_folder(name)) if any(steps)
                              else None)
    prep, finish = steps
    if has_new():
        prep = []
    texts = {patch: patches.patch_text_for(patch, wt.identity) for patch in prep + finish}
    wt.materialize([f for text in texts.values() for f in patches.paths_in(text)])
    with watch("%s core patches before the callers" % name):
        patches.apply(wt, prep, texts, state)
    # The core patches may have moved the old name: look for it again.
    wt.mentions = None
    with watch("%s callers" % name):
        found, state.fast_only_groups = callercommits.commit_callers(
            wt, workdir, state, context, apis=olds)
    left = [r for r in found if r.outcome == "manual"]
    if not any(api_state(wt.path)[rule.declared] for rule in rules if rule.declared):
        finish = []
    if left:
        reason = ("not applied: %d call%s of %s left for a human"
                  % (len(left), "" if len(left) == 1 else "s",
                     ", ".join("%s()" % old for old in olds)))
        for patch in finish:
            progress("%s: %s" % (os.path.basename(patch), reason))
            state.steps.append({"step": os.path.basename(patch), "result": reason})
        return
    with watch("%s core patches after the callers" % name):
        patches.apply(wt, finish, texts, state)
