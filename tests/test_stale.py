"""Messages and comments naming get_user_pages_longterm() go with its last call."""
import os

from conftest import git, gup_unify

from gupunify.csource import stale

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stale")


def read(path):
    with open(path) as f:
        return f.read()


def test_fixture_messages_and_comments_are_renamed():
    """stale.rename turns the converted name.c into name.res outside its calls."""
    source = read(os.path.join(FIXTURES, "longterm_message.c"))
    # The call itself is the conversion's job: give rename() the converted call.
    source = source.replace("err = get_user_pages_longterm(data & PAGE_MASK, t->nr_pages,\n"
                            "\t\t\t\t      flags, t->pages, NULL);",
                            "err = get_user_pages(data & PAGE_MASK, t->nr_pages,\n"
                            "\t\t\t\t      flags | FOLL_LONGTERM, t->pages, NULL);")
    new, renamed = stale.rename(source, "get_user_pages_longterm")
    assert new == read(os.path.join(FIXTURES, "longterm_message.res"))
    assert [(r["line"], r["kind"]) for r in renamed] == [(6, "comment"), (11, "string"),
                                                         (15, "comment")]
    assert renamed[1]["after"] == '"get_user_pages: err=%d [%d]\\n"'
    # Idempotent: nothing left to rename.
    assert stale.rename(new, "get_user_pages_longterm") == (new, [])


def test_conversion_renames_in_the_commit_that_converts_the_call(tree, tmp_path,
                                                                 need_spatch):
    media = tree / "drivers/media/toy/dma-sg.c"
    text = media.read_text()
    old = "\treturn get_user_pages_longterm(data, n, flags, pages, NULL);\n"
    assert old in text
    media.write_text(text.replace("\tunsigned int flags = 0;\n",
                                  "\tunsigned int flags = 0;\n\tlong err;\n").replace(old, (
        "\t/* get_user_pages_longterm() refuses filesystem-dax pages. */\n"
        "\terr = get_user_pages_longterm(data, n, flags, pages, NULL);\n"
        "\tif (err < 0)\n"
        "\t\tpr_debug(\"get_user_pages_longterm: err=%ld\\n\", err);\n"
        "\treturn err;\n")))
    git(tree, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qam", "msg")
    out = gup_unify("spatch", str(tree), "--reports", str(tmp_path / "rep"),
                    scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    sha = git(tree, "log", "-1", "--format=%H", "--grep",
              "^media: toy: use FOLL_LONGTERM", "gup-unify").strip()
    diff = git(tree, "show", "--format=%B", sha)
    assert '+\t\tpr_debug("get_user_pages: err=%ld\\n", err);' in diff
    assert "+\t/* get_user_pages(FOLL_LONGTERM) refuses filesystem-dax pages. */" in diff
    assert "now name get_user_pages()" in " ".join(diff.split())
    final = git(tree, "show", "gup-unify:drivers/media/toy/dma-sg.c")
    assert "get_user_pages_longterm" not in final
    report = (tmp_path / "rep" / "linux" / "conversion.md").read_text()
    assert "## Messages and comments renamed (2)" in report
    assert "- `drivers/media/toy/dma-sg.c:23` string:" in report


FAST_IRQ_MESSAGE = """\
static u64 perf_virt_to_phys(u64 virt)
{
	/* Try IRQ-safe __get_user_pages_fast first. */
	if (get_user_pages_fast_only(virt, 1, 0, &p) == 1)
		return 1;
	pr_debug("__get_user_pages_fast: no page at %llx\\n", virt);
	return 0;	/* __get_user_pages_fastish is another name */
}
"""


def test_fast_irq_name_becomes_fast_only_in_comments_and_strings():
    """--fast-only: __get_user_pages_fast in a comment or a string becomes
    get_user_pages_fast_only; a longer name that merely starts with it does not."""
    new, renamed = stale.rename(FAST_IRQ_MESSAGE, "__get_user_pages_fast")
    assert new == FAST_IRQ_MESSAGE.replace(
        "/* Try IRQ-safe __get_user_pages_fast first. */",
        "/* Try IRQ-safe get_user_pages_fast_only first. */").replace(
        '"__get_user_pages_fast: no', '"get_user_pages_fast_only: no')
    assert [(r["line"], r["kind"]) for r in renamed] == [(3, "comment"), (6, "string")]
    assert stale.rename(new, "__get_user_pages_fast") == (new, [])
    # The longterm rename leaves it alone, and it leaves longterm's alone.
    assert stale.rename(FAST_IRQ_MESSAGE, "get_user_pages_longterm") == (FAST_IRQ_MESSAGE, [])
    assert not stale.in_code(new, "__get_user_pages_fast")
    assert stale.in_code("int __get_user_pages_fast(void);", "__get_user_pages_fast")
