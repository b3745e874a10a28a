"""Kernel style on a rewritten call (layout.tidy_call), and the edits it reports."""
import pytest

from gupunify.csource import layout, sites

NAMES = ("get_user_pages_fast", "get_user_pages_longterm", "get_user_pages")


def tidy(before, after):
    """tidy_call on the one call of after, which was the one call of before."""
    (old,) = [s for s in sites.scan("t.c", before, NAMES) if s.kind == "call"]
    (new,) = [s for s in sites.scan("t.c", after, NAMES) if s.kind == "call"]
    text, edits = layout.tidy_call(after, new.call_span, new.arg_spans[2],
                                   layout.paren_column(before, old.call_span[0]))
    # What the edits say of the call's spans is what scanning the result finds.
    (again,) = [s for s in sites.scan("t.c", text, NAMES) if s.kind == "call"]
    assert [layout.shift(o, edits) for o in new.call_span] == list(again.call_span)
    assert [[layout.shift(o, edits) for o in span] for span in new.arg_spans] == \
        [list(span) for span in again.arg_spans]
    return text


def test_continuation_follows_the_open_parenthesis():
    """get_user_pages_longterm( -> get_user_pages( moves ( 9 columns left: so does line 2."""
    before = ("\tret = get_user_pages_longterm(start, npages, gup_flags,\n"
              "\t\t\t\t      pages, NULL);\n")
    after = ("\tret = get_user_pages(start, npages, gup_flags | FOLL_LONGTERM,\n"
             "\t\t\t\t      pages, NULL);\n")
    assert tidy(before, after) == (
        "\tret = get_user_pages(start, npages, gup_flags | FOLL_LONGTERM,\n"
        "\t\t\t     pages, NULL);\n")


@pytest.mark.parametrize("before, after, laid_out", [
    # 94 columns: broken before the flags, then after them, aligned with (
    ("\terr = get_user_pages_fast(uaddr, nr_pages, vma->vm_flags & VM_WRITE, pages);\n",
     "\terr = get_user_pages_fast(uaddr, nr_pages, "
     "(vma->vm_flags & VM_WRITE) ? FOLL_WRITE : 0, pages);\n",
     "\terr = get_user_pages_fast(uaddr, nr_pages,\n"
     "\t\t\t\t  (vma->vm_flags & VM_WRITE) ? FOLL_WRITE : 0,\n"
     "\t\t\t\t  pages);\n"),
    # aligned with ( the flags would end at column 93: two tabs more than the statement
    ("\t\t\tnr = get_user_pages_fast(addr, n, vma->vm_flags & VM_WRITE, pages);\n",
     "\t\t\tnr = get_user_pages_fast(addr, n, "
     "(vma->vm_flags & VM_WRITE) ? FOLL_WRITE : 0, pages);\n",
     "\t\t\tnr = get_user_pages_fast(addr, n,\n"
     "\t\t\t\t\t(vma->vm_flags & VM_WRITE) ? FOLL_WRITE : 0,\n"
     "\t\t\t\t\t\t pages);\n")])
def test_long_lines_break_around_the_flags(before, after, laid_out):
    assert tidy(before, after) == laid_out


def test_shift_moves_only_what_follows_an_edit():
    edits = [(10, 12, 5), (0, 4, 0)]
    assert [layout.shift(o, edits) for o in (3, 9, 10, 12, 20)] == [3, 5, 6, 11, 19]
