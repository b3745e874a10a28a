"""The --fast-only phase: __get_user_pages_fast() callers, between their own core patches."""
import os

from ..common.tree import api_state
from ..common.progress import progress
from ..csource import sites
from . import callercommits, patches


def phase(wt, workdir, state, context, watch):
    """The --fast-only phase, after the main series.

    patches/<base>/fast-only/series: its patches before @callers add
    get_user_pages_fast_only(), then each MAINTAINERS group's
    __get_user_pages_fast() callers are committed, then the patches after
    @callers remove the old function, but only once no call of it is left
    (a call left for a human would no longer build). A patch whose work the
    tree already shows is not applied again.
    """
    version = context.tree.version
    steps = patches.fast_only_steps(version)
    if steps is None:
        if api_state(wt.path)["has_fast_only"]:
            progress("no fast-only core patches for v%s: converting the %s() callers only"
                     % (version, sites.FAST_IRQ))
        else:
            progress("no fast-only core patches for v%s" % version)
        steps = [], []
    state.fast_only_series = "v%s/%s" % (version, patches.FAST_ONLY) if any(steps) else None
    prep, finish = steps
    if api_state(wt.path)["has_fast_only"]:
        prep = []
    texts = {patch: patches.patch_text_for(patch, wt.identity) for patch in prep + finish}
    wt.materialize([f for text in texts.values() for f in patches.paths_in(text)])
    with watch("fast-only core patches before the callers"):
        patches.apply(wt, prep, texts, state)
    # The core patches may have moved the old name: look for it again.
    wt.mentions = None
    with watch("fast-only callers"):
        found, state.fast_only_groups = callercommits.commit_callers(
            wt, workdir, state, context, apis=(sites.FAST_IRQ,))
    left = [r for r in found if r.outcome == "manual"]
    if not api_state(wt.path)["has_fast_irq"]:
        finish = []
    if left:
        reason = ("not applied: %d call%s of %s() left for a human"
                  % (len(left), "" if len(left) == 1 else "s", sites.FAST_IRQ))
        for patch in finish:
            progress("%s: %s" % (os.path.basename(patch), reason))
            state.steps.append({"step": os.path.basename(patch), "result": reason})
        return
    with watch("fast-only core patches after the callers"):
        patches.apply(wt, finish, texts, state)
