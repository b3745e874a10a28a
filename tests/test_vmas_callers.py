"""gup-vmas's callers through the driver on a small tree: the sample, its header given the
transitional wrappers, so that its calls may drop vmas (no core series for v4.20)."""
import json

from conftest import git, gup_unify, make_tree

NOVMAS = ("long __get_user_pages_novmas(unsigned long start, unsigned long nr_pages,\n"
          "\t\t\t    unsigned int gup_flags, struct page **pages);\n")

# NULL spelled as a macro the file defines: the semantic patch reads the
# definition, the inventory sees only the word.
MACRO = """\
#include <linux/mm.h>

#define NO_VMAS NULL

long by_macro(unsigned long a, struct page **p)
{
	return get_user_pages(a, 1, 0, p, NO_VMAS);
}
"""


def vmas_tree(path, files):
    tree = make_tree(path)
    header = tree / "include" / "linux" / "mm.h"
    header.write_text(header.read_text().replace("#define FOLL_WRITE",
                                                 NOVMAS + "\n#define FOLL_WRITE"))
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    git(tree, "add", "-A")
    git(tree, "commit", "-qm", "callers")
    return tree


def converted(tmp_path, name, text):
    """make spatch MIGRATION=gup-vmas of a tree holding text as name: (the file on the
    branch, {line: site record} of the file)."""
    tree = vmas_tree(tmp_path / "linux", {name: text})
    done = gup_unify("spatch", str(tree), "--migration", "gup-vmas",
                     "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert done.returncode == 0, done.stderr[-2000:]
    records = json.loads((tmp_path / "rep" / "linux" / "conversion.json").read_text())
    return (git(tree, "show", "gup-unify:" + name),
            {s["line"]: s for s in records["sites"] if s["file"] == name})


def test_a_null_macro_spatch_drops_is_converted_and_the_disagreement_reported(
        tmp_path, need_spatch):
    after, sites = converted(tmp_path, "drivers/toy/macro.c", MACRO)
    assert "return get_user_pages(a, 1, 0, p);" in after
    report = tmp_path / "rep" / "linux"
    (site,) = sites.values()
    assert (site["outcome"], site["by"]) == ("converted", "spatch")
    assert site["disagreement"] == "inventory expected '(argument kept)'"
    assert "- `drivers/toy/macro.c:7` spatch dropped the argument, inventory expected " \
           "'(argument kept)'" in (report / "conversion.md").read_text()


# A call in a macro body: gup_vmas.cocci drops its NULL on purpose (tests/vmas/null_macro);
# the other macro passes vmas through from its user, and stays.
MACRO_BODY = """\
#include <linux/mm.h>

#define pin_one(addr, page) \\
	pin_user_pages(addr, 1, FOLL_WRITE, page, NULL)
#define get_with(addr, page, vmas) \\
	get_user_pages(addr, 1, 0, page, vmas)
#define both(addr, page, vmas) \\
	(pin_user_pages(addr, 1, FOLL_WRITE, page, NULL) + \\
	 get_user_pages(addr, 1, 0, page, vmas))

long use(unsigned long a, struct page **p, struct vm_area_struct **v)
{
	return pin_one(a, p) + get_with(a, p, v) + both(a, p, v);
}
"""


def test_a_macro_body_use_spatch_rewrites_is_recorded_converted_and_one_it_leaves_manual(
        tmp_path, need_spatch):
    after, sites = converted(tmp_path, "drivers/toy/body.c", MACRO_BODY)
    assert "pin_user_pages(addr, 1, FOLL_WRITE, page)\n" in after
    assert "get_user_pages(addr, 1, 0, page, vmas)\n" in after
    assert (sites[4]["kind"], sites[4]["outcome"], sites[4]["by"]) == \
        ("define", "converted", "spatch")
    assert (sites[6]["kind"], sites[6]["outcome"]) == ("define", "manual")
    assert sites[6]["reason"].startswith("inside a #define body")
    # one macro, two uses: each judged by its own call
    assert "(pin_user_pages(addr, 1, FOLL_WRITE, page) + \\\n" in after
    assert (sites[8]["outcome"], sites[9]["outcome"]) == ("converted", "manual")
