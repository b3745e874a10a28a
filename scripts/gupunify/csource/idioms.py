"""The idioms of a converted argument: what each becomes, why one is left.

The migration says both: its hooks.py classifies an argument (per rule),
its [reasons] say why an idiom is left. Shared by the conversion
(convert.py), the CI guard (cicheck.py) and the semantic patches' tests,
so that all three tell the same idioms apart.
"""
from ..common import migration


def reasons():
    """{idiom: why a site of that idiom is left as it is}: the migration's [reasons]."""
    return dict(migration.current().ini.items("reasons"))


def manual():
    """The idioms left for a human (the others are left because already right)."""
    return migration.current().value("idioms", "manual", "").split()


def by_spatch():
    """The idioms whose rewrite only the semantic patch can judge, from the statements
    around the call ([idioms] spatch): a call it rewrote is kept as it wrote it,
    one it did not is left with the idiom's reason."""
    return migration.current().value("idioms", "spatch", "").split()


# Why a use of the function that is not a plain call is left, by Site.kind.
NOT_A_CALL = {
    "define": "inside a #define body: the argument can be any expression at each expansion",
    "reference": "not called here (function pointer or reference)",
    "member": "a struct member of the same name, not the function: left as it is; if it "
              "points to %(api)s(), convert its calls by hand",
}

DIRECTIVE = ("a preprocessor directive (#if ...) inside the argument list: left as it was, "
             "convert each branch by hand")


def classify(api, arg):
    """(idiom, replacement) of the argument arg of a call of api, as the hook its
    rule names says: replacement None when the site is left as it is."""
    mig = migration.current()
    return mig.hooks.CLASSIFY[mig.rule(api).classifier](arg)


def flags_ok(arg):
    """The CI guard's test of an argument in the new form (the migration's hook)."""
    return migration.current().hooks.FLAGS_OK(arg)
