"""The layout of scripts/gupunify/ holds: packages in pipeline order, each importing
only those before it; no module over 400 lines but those listed with their reason;
every package says where it stands in its __init__ docstring.

python3 tests/test_house.py prints the import graph by package."""
import ast
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "scripts", "gupunify")
# The pipeline, lowest first: a package imports only packages before it. The flat
# modules beside cli.py (cicheck, advise, cli) may import any of them.
ORDER = ("common", "csource", "groups", "convert", "series", "buildcheck", "boottest")
LIMIT = 400
# Modules over LIMIT lines, each with the reason it stays whole for now.
OVER_LIMIT = {
    # The kernel build layer: arch table, cross compilers, make and its output:
    # one call chain from an arch to make.
    "common/kbuild.py": "one job: the kernel build layer",
    # Every way a group's subject prefix is found (history, MAINTAINERS, kernel
    # style, overrides) and said: one decision and its reasons.
    "groups/prefixes.py": "one job: the subject prefix of a group",
    # Every subcommand, option and make variable declared in one place, and
    # each job's output printed: the command line, as the contracts want it.
    "cli.py": "one job: the command line",
}


def _modules():
    for folder, _, files in os.walk(PACKAGE):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.relpath(os.path.join(folder, name), PACKAGE)


def _package(module):
    """The package of a module path relative to PACKAGE ("" for the flat ones)."""
    return module.split(os.sep)[0] if os.sep in module else ""


def _imported_packages(module):
    """The packages of gupunify that module imports (relative imports, at any depth)."""
    tree = ast.parse(open(os.path.join(PACKAGE, module), encoding="utf-8").read())
    here = module.split(os.sep)[:-1]
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
        target = base + (node.module.split(".") if node.module else [])
        if target:
            found.add(target[0])
        else:
            # "from .. import x": x is a package of gupunify, or ROOT and the like.
            found.update(a.name for a in node.names if a.name in ORDER)
    return found & set(ORDER)


def import_graph():
    """{package: {packages it imports}} over every module ("" stands for the flat ones)."""
    graph = {}
    for module in _modules():
        package = _package(module)
        graph.setdefault(package, set()).update(_imported_packages(module) - {package})
    return graph


def test_no_package_imports_one_above_it():
    upward = []
    for module in _modules():
        package = _package(module)
        if package not in ORDER:
            continue
        for other in _imported_packages(module):
            if ORDER.index(other) > ORDER.index(package):
                upward.append("%s imports %s" % (module, other))
    assert upward == []


def test_no_module_is_over_the_limit_unless_it_is_one_job():
    long = {m: sum(1 for _ in open(os.path.join(PACKAGE, m), encoding="utf-8"))
            for m in _modules()}
    over = sorted("%s (%d lines)" % (m, n) for m, n in long.items()
                  if n > LIMIT and m not in OVER_LIMIT)
    assert over == []
    # An entry for a module now short enough, or gone, is dropped from the list.
    assert sorted(m for m in OVER_LIMIT if long.get(m, 0) <= LIMIT) == []


def test_every_package_places_itself_in_the_pipeline():
    for package in ("",) + ORDER:
        path = os.path.join(PACKAGE, package, "__init__.py")
        doc = ast.get_docstring(ast.parse(open(path, encoding="utf-8").read()))
        assert doc and len(doc.split()) >= 8, path


def test_the_order_is_the_one_the_package_docstring_gives():
    doc = ast.get_docstring(ast.parse(open(os.path.join(PACKAGE, "__init__.py"),
                                           encoding="utf-8").read()))
    listed = [line.split()[0].rstrip("/") for line in doc.splitlines()
              if line.startswith("    ") and line.split()[0].endswith("/")]
    assert tuple(listed) == ORDER


if __name__ == "__main__":
    # The import graph by package, for a closing note.
    for package, imports in sorted(import_graph().items()):
        print("%-11s -> %s" % (package or "(flat)", " ".join(
            sorted(imports, key=ORDER.index)) or "-"))
