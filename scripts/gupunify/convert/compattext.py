"""The text of a module's compat header and of the Kbuild probe that configures it.

Two calls of the new API have no spelling that also builds on a kernel
before the change: get_user_pages() with FOLL_LONGTERM, whose old form is
get_user_pages_longterm(), and get_user_pages_fast_only(), whose old form is
__get_user_pages_fast() with an int write. The module keeps the new
spelling; on an old kernel the header maps it to the old function with the
same meaning. Which side a kernel is on, the probe finds by compiling
against it: a version number is wrong on a distribution kernel with
backports, a grep of its headers cannot tell "not yet added" from
"removed", and FOLL_* flags are enum members in later kernels, invisible to
the preprocessor.

Each probe macro is 1 on the new side, 2 on the old, 0 when the kernel has
neither (the header then stops the build rather than pin pages without the
long-term check).
"""

LONGTERM = "longterm"
FAST_ONLY = "fast_only"
PARTS = (LONGTERM, FAST_ONLY)

# The value FOLL_LONGTERM has had since v5.2, above every FOLL_* bit of the
# kernels that have get_user_pages_longterm() (v4.15 to v5.1: FOLL_ANON is
# 0x8000). The wrapper removes it before any old function sees the flags.
FOLL_LONGTERM_VALUE = "0x10000"


def names(module):
    """The files' names and the macros' prefix for a module."""
    return {"header": "%s_gup_compat.h" % module, "fragment": "%s_gup_compat.mk" % module,
            "probe": "%s_gup_compat_probe.c.in" % module, "macro": module.upper() + "_GUP_",
            "module": module}


def macro(module, part):
    return names(module)["macro"] + part.upper()


# Per part: (what compiling means the new side, what means the old side),
# each a C body compiled after <linux/mm.h>.
PROBES = {
    LONGTERM: ("unsigned int gup_unify_probe = FOLL_LONGTERM;",
               "long gup_unify_probe(void)\n"
               "{ return get_user_pages_longterm(0, 0, 0, NULL, NULL); }"),
    FAST_ONLY: ("int gup_unify_probe(void)\n"
                "{ return get_user_pages_fast_only(0, 0, 0, NULL); }",
                "int gup_unify_probe(void)\n"
                "{ return __get_user_pages_fast(0, 0, 0, NULL); }"),
}


def probe_source(module, parts):
    """The C file the fragment compiles, once per question (-D<MACRO>_NEW or _OLD)."""
    n = names(module)
    lines = ["/*",
             " * Written by gup-unify for %s: compiled by %s" % (module, n["fragment"]),
             " * against the kernel being built, to find which side of the",
             " * get_user_pages() API change it is on; never linked.",
             " */",
             "#include <linux/mm.h>", ""]
    first = True
    for part in parts:
        for side, body in zip(("NEW", "OLD"), PROBES[part]):
            lines.append("#%s defined(%s_%s)" % ("if" if first else "elif",
                                                 macro(module, part), side))
            lines.append(body)
            first = False
    lines += ["#endif", ""]
    return "\n".join(lines)


def fragment(module, parts):
    """The Kbuild fragment: one compile per question, the answers as -D flags.

    It reads only what the kernel's top Makefile exports (CC, the include
    and C flags), so it works from any module Makefile; it finds the probe
    next to itself, and does nothing outside the kbuild pass.
    """
    n = names(module)
    var = module.replace("_", "-") + "-gup"
    lines = ["# Written by gup-unify: which side of the get_user_pages() API change the",
             "# kernel being built is on, found by compiling %s against it." % n["probe"],
             "# Sets %s for %s." % (", ".join(macro(module, p) for p in parts), n["header"]),
             "# Included from the module's Kbuild (or Makefile); does nothing outside kbuild.",
             "ifneq ($(KERNELRELEASE),)",
             "%s-dir := $(dir $(lastword $(MAKEFILE_LIST)))" % var,
             "# $(call %s-compiles,MACRO): 1 when the probe compiles with -DMACRO" % var,
             "%s-compiles = $(shell $(CC) $(NOSTDINC_FLAGS) $(LINUXINCLUDE) \\" % var,
             "\t-include $(srctree)/include/linux/compiler_types.h $(KBUILD_CPPFLAGS) \\",
             "\t$(KBUILD_CFLAGS) $(KBUILD_CFLAGS_MODULE) -DMODULE \\",
             "\t-Werror=implicit-function-declaration -D$(1) -c -x c \\",
             "\t$(%s-dir)%s -o /dev/null >/dev/null 2>&1 && echo 1)" % (var, n["probe"]),
             "# 1: the new API; 2: the old one; 0: neither (the header stops the build)"]
    for part in parts:
        m = macro(module, part)
        answer = "%s-%s" % (var, part.replace("_", "-"))
        lines += ["%s := $(if $(call %s-compiles,%s_NEW),1,$(if $(call %s-compiles,%s_OLD),2,0))"
                  % (answer, var, m, var, m),
                  "subdir-ccflags-y += -D%s=$(%s)" % (m, answer)]
    lines += ["endif", ""]
    return "\n".join(lines)


def header(module, parts):
    """The header: nothing on the new side, the old functions on the old."""
    n = names(module)
    guard = n["header"].upper().replace(".", "_")
    out = ["/*",
           " * Written by gup-unify. %s calls the get_user_pages() API as it" % module,
           " * stands after the change to gup_flags; on a kernel before it, the calls",
           " * below go to the old functions with the same meaning. Which side the",
           " * kernel is on, %s finds by compiling against it." % n["fragment"],
           " */",
           "#ifndef %s" % guard, "#define %s" % guard, "",
           "#include <linux/mm.h>", ""]
    for part in parts:
        m = macro(module, part)
        out += ["#ifndef %s" % m,
                '#error "%s: %s is not set: include %s from the module\'s Kbuild"'
                % (n["header"], m, n["fragment"])]
        out += (_longterm if part == LONGTERM else _fast_only)(module, m)
        out += ["#endif", ""]
    out += ["#endif /* %s */" % guard, ""]
    return "\n".join(out)


def _longterm(module, m):
    return [
        "#elif %s == 0" % m,
        '#error "this kernel has neither FOLL_LONGTERM nor get_user_pages_longterm(): '
        'no long-term pin is safe here"',
        "#elif %s == 2" % m,
        "/*",
        " * Before FOLL_LONGTERM: get_user_pages_longterm() refuses the pages a",
        " * long-term pin must not hold (fs-dax). The flag gets the value it has",
        " * since v5.2, unused by these kernels, and is taken off before the call.",
        " */",
        "#define FOLL_LONGTERM %s" % FOLL_LONGTERM_VALUE,
        "static inline long %s_get_user_pages(unsigned long start, unsigned long nr_pages,"
        % module,
        "\t\tunsigned int gup_flags, struct page **pages, struct vm_area_struct **vmas)",
        "{",
        "\tif (gup_flags & FOLL_LONGTERM)",
        "\t\treturn get_user_pages_longterm(start, nr_pages, gup_flags & ~FOLL_LONGTERM,",
        "\t\t\t\t\t       pages, vmas);",
        "\treturn get_user_pages(start, nr_pages, gup_flags, pages, vmas);",
        "}",
        "#define get_user_pages(start, nr_pages, gup_flags, pages, vmas) \\",
        "\t%s_get_user_pages(start, nr_pages, gup_flags, pages, vmas)" % module,
    ]


def _fast_only(module, m):
    return [
        "#elif %s == 0" % m,
        '#error "this kernel has neither get_user_pages_fast_only() nor '
        '__get_user_pages_fast()"',
        "#elif %s == 2" % m,
        "/*",
        " * Before get_user_pages_fast_only(): __get_user_pages_fast() takes an",
        " * int write. It knows no other flag: a call asking for more (a long-term",
        " * pin) pins nothing, as a fast-only walk may, and the caller's slow path",
        " * takes over.",
        " */",
        "static inline int %s_get_user_pages_fast_only(unsigned long start, int nr_pages,"
        % module,
        "\t\tunsigned int gup_flags, struct page **pages)",
        "{",
        "\tif (gup_flags & ~FOLL_WRITE)",
        "\t\treturn 0;",
        "\treturn __get_user_pages_fast(start, nr_pages, gup_flags & FOLL_WRITE ? 1 : 0,",
        "\t\t\t\t     pages);",
        "}",
        "#define get_user_pages_fast_only(start, nr_pages, gup_flags, pages) \\",
        "\t%s_get_user_pages_fast_only(start, nr_pages, gup_flags, pages)" % module,
    ]
