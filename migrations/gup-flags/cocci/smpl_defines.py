"""Which lines of a C file are a #define: the semantic patches' position filter.

gup_fast_flags.cocci, gup_fast_only.cocci and gup_longterm.cocci leave a call
inside a #define body alone (its argument can be any expression at each
expansion) through outside_define(p). spatch finds this module beside the
.cocci it runs, as the kernel's make coccicheck COCCI= runs it too: the
.cocci's initialize rule puts its own folder on sys.path.
"""

_define_lines = {}


def _defines(path):
    """The numbers of the lines of path that are a #define or its continuations."""
    if path not in _define_lines:
        lines = set()
        try:
            with open(path, errors="replace") as f:
                text = f.read().split("\n")
        except OSError:
            text = []
        inside = False
        for number, line in enumerate(text, 1):
            code = line.strip()
            if not inside and code.startswith("#"):
                inside = code[1:].lstrip().startswith("define")
            if inside:
                lines.add(number)
                inside = code.endswith("\\")
        _define_lines[path] = lines
    return _define_lines[path]


def outside_define(p):
    """Whether position p (a SmPL position's list) is on no line of a #define."""
    return int(p[0].line) not in _defines(p[0].file)
