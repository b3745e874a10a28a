"""Kernel coding style on the lines a conversion touched, and only there."""
import re

WIDTH = 80


def visual(text):
    """Width of text on screen, tabs to 8."""
    col = 0
    for ch in text:
        col = (col // 8 + 1) * 8 if ch == "\t" else col + 1
    return col


def indent_to(col):
    return "\t" * (col // 8) + " " * (col % 8)


def _line_bounds(source, offset):
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    return start, len(source) if end < 0 else end


def widest_line(source, start, end):
    """Visual width of the widest line holding part of source[start:end]."""
    first, _ = _line_bounds(source, start)
    _, last = _line_bounds(source, end)
    return max(visual(line) for line in source[first:last].split("\n"))


def paren_column(source, call_start):
    """Visual column of the open parenthesis of the call starting at call_start."""
    line_start, _ = _line_bounds(source, call_start)
    return visual(source[line_start:source.index("(", call_start)])


def shift(offset, edits):
    """Where offset of a source is after edits ((start, end, new length), in order) to it."""
    for start, end, length in edits:
        if offset >= end:
            offset += length - (end - start)
    return offset


def _replace(source, start, end, new, edits):
    """source with source[start:end] replaced by new, the edit recorded in edits."""
    edits.append((start, end, len(new)))
    return source[:start] + new + source[end:]


def tidy_call(source, call_span, flag_span, old_paren_col):
    """Tidy one rewritten call in source; returns the new source and its edits.

    Continuation lines aligned with the old open parenthesis follow it to
    its new column; a comment-only line gets its neighbour's indentation
    (spatch may leave one behind with a space before tabs), another line
    with a space before a tab is aligned with the parenthesis; a line over 80
    columns is broken before the flag argument, aligned with the parenthesis.
    call_span and flag_span are the call's and the flag argument's (start,
    end) in source. Only white space between tokens changes, so the edits
    ((start, end, new length), for shift()) give every other offset anew
    without scanning the file again.
    A call that opens past the last column cannot be aligned with its
    parenthesis: its lines are left as they are (the caller says so).
    """
    edits = []
    call_start, call_end = call_span
    first_start, _ = _line_bounds(source, call_start)
    new_col = paren_column(source, call_start) + 1
    if new_col >= WIDTH:
        return source, edits
    leads = []          # (offset of a line, length of its lead, the new lead)
    offset = first_start
    previous_indent = None
    for k, line in enumerate(source[first_start:call_end].split("\n")):
        if k:
            body = line.lstrip(" \t")
            old = lead = line[:len(line) - len(body)]
            if body and old_paren_col != new_col - 1 and visual(lead) == old_paren_col + 1:
                lead = indent_to(new_col)
            elif re.match(r"/\*.*\*/\s*$", body) and " \t" in lead and previous_indent:
                lead = previous_indent
            elif body and " \t" in lead:
                # spatch's reflow inside a multi-line expression can stack the
                # next line's indentation on its own; kernel style aligns with (.
                lead = indent_to(new_col)
            if lead != old:
                leads.append((offset, len(old), lead))
            previous_indent = lead
        offset += len(line) + 1
    # Last line first, so each edit's offsets are those of the source it applies to.
    for start, length, lead in reversed(leads):
        source = _replace(source, start, start + length, lead, edits)
    arg_start, _ = (shift(o, edits) for o in flag_span)
    line_start, line_end = _line_bounds(source, arg_start)
    if visual(source[line_start:line_end]) > WIDTH:
        cut = arg_start
        while source[cut - 1] in " \t":
            cut -= 1
        if source[cut - 1] == "," and cut > line_start:
            source = _replace(source, cut, arg_start, "\n" + indent_to(new_col), edits)
    arg_start, arg_end = (shift(o, edits) for o in flag_span)
    line_start, line_end = _line_bounds(source, arg_start)
    if visual(source[line_start:line_end]) > WIDTH and source[arg_end:arg_end + 2] == ", ":
        source = _replace(source, arg_end + 1, arg_end + 2, "\n" + indent_to(new_col), edits)
    arg_start, arg_end = (shift(o, edits) for o in flag_span)
    line_start, line_end = _line_bounds(source, arg_start)
    if visual(source[line_start:line_end]) > WIDTH and \
            source[line_start:arg_start].strip(" \t") == "":
        # Too long even under the parenthesis: the usual fallback of two
        # more tabs than the statement.
        statement = source[first_start:call_start]
        lead = statement[:len(statement) - len(statement.lstrip(" \t"))] + "\t\t"
        source = _replace(source, line_start, arg_start, lead, edits)
    return source, edits
