"""What becomes of one call of the old API: what spatch made of it checked against the
inventory (converted by spatch or by the driver's fallback, unchanged, or left for a
human), and the driver's own rewrite of it."""
import re

from ..csource import ctokens, idioms, layout

# What a hook's replacement is when the argument goes (docs/migrations.md).
DROPPED = ""


def outcome(rule, original, old, new, old_call, new_call, failed):
    """(outcome, by, reason, idiom, disagreement) of one call (old, in original) and what
    spatch made of it (new, its text new_call); failed is spatch's result when it failed
    on the file."""
    at = rule.argument
    if old.name != rule.old or len(old.args) == rule.new_arity != rule.arity:
        return "unchanged", None, rule.already, "flag_form", None
    if old.directives:
        return "manual", None, idioms.DIRECTIVE, None, None
    if len(old.args) != rule.arity:
        return "manual", None, "unexpected number of arguments", None, None
    idiom, expected = idioms.classify(rule.old, old.args[at])
    if idiom in idioms.by_spatch():
        # The statements around the call decide it: what spatch wrote stands.
        if new_call != old_call or old.name != new.name:
            return "converted", "spatch", None, idiom, None
        return "manual", None, idioms.reasons()[idiom], idiom, None
    if len(old.args) != len(new.args) or old.args[at] != new.args[at] \
            or old.name != new.name:
        if ctokens.comments(old_call) != ctokens.comments(new_call):
            return "converted", "fallback", "spatch dropped a comment inside the call: " \
                "rewritten by the driver, comments kept", idiom, None
        if layout.paren_column(original, old.call_span[0]) + 1 >= layout.WIDTH:
            # spatch would align new lines with it: hundreds of tabs.
            return "converted", "fallback", "the call opens past column %d: rewritten " \
                "in place by the driver, not re-wrapped by spatch" % layout.WIDTH, \
                idiom, None
        if expected == DROPPED:
            extra = None if len(new.args) == len(old.args) - 1 else "(argument dropped)"
        elif len(new.args) != len(old.args):
            # spatch knows more than the argument's text (gup-vmas: a macro the
            # file defines as NULL): it dropped one the inventory would keep.
            extra = "(argument kept)" if expected is None else expected
        else:
            extra = None if _same(new.args[at], expected) else expected
        return "converted", "spatch", None, idiom, extra
    if expected is None:
        outcome = "manual" if idiom in idioms.manual() else "unchanged"
        return outcome, None, idioms.reasons()[idiom], idiom, None
    why = ("spatch failed on this file (%s)" % _last_line(failed[2]) if failed
           else "spatch could not match this call (code it cannot parse, or a macro "
                "argument)")
    return "converted", "fallback", why, idiom, None


def _same(a, b):
    squash = lambda s: re.sub(r"\s+", " ", s or "").strip()
    return squash(a) == squash(b)


def _last_line(text):
    lines = [l for l in (text or "").strip().splitlines() if l.strip()]
    return lines[-1] if lines else "no message"


def rewritten_call(text, site, rule):
    """The call at site in text with its flag argument (and a longterm name) converted.

    The argument is classified as it stands in the source, so comments and
    line breaks inside it are kept.
    """
    start, end = site.call_span
    at = rule.argument
    arg_start, arg_end = site.arg_spans[at]
    _, replacement = idioms.classify(rule.old, text[arg_start:arg_end])
    if replacement == DROPPED:
        # The argument goes with the comma before it (after it, when it is the first).
        if at:
            arg_start = site.arg_spans[at - 1][1]
        else:
            arg_end = site.arg_spans[1][0]
    call = text[start:arg_start] + replacement + text[arg_end:end]
    if site.name == rule.old != rule.new:
        call = rule.new + call[len(site.name):]
    return call
