"""gup-vmas: what its data cannot say, for the pipeline's generic code.

CLASSIFY: what a call's vmas argument becomes (idiom, replacement or None;
"" drops it); GUARD: the CI guard's findings for one site.
"""
import configparser
import os
import re

from gupunify import cicheck

OLD_ARITY = {"get_user_pages": 5, "pin_user_pages": 5,
             "get_user_pages_remote": 7, "pin_user_pages_remote": 7}
VMAS_ARGUMENT = {"get_user_pages": 4, "pin_user_pages": 4,
                 "get_user_pages_remote": 5, "pin_user_pages_remote": 5}
_NULL = re.compile(r"\(*\s*(\(\s*struct\s+vm_area_struct\s*\*\s*\*\s*\)\s*)?(NULL|0)\s*\)*\Z")
_ONE_VMA = re.compile(r"&\s*[A-Za-z_]\w*\Z")


def classify_vmas(arg):
    """The vmas argument: NULL in any spelling is dropped; a vma is left for the
    semantic patch's context-aware rewrites, or a human."""
    code = re.sub(r"/\*.*?\*/|//[^\n]*", " ", arg, flags=re.S).strip()
    if _NULL.match(code) and code.count("(") == code.count(")"):
        return "null", ""
    if _ONE_VMA.match(code):
        return "one_vma", None
    return "vmas_array", None


def check_site(site, state, flags_argument):
    """A call that still passes vmas: an error where the tree's API takes none,
    a warning where it still does (the call breaks when the argument goes)."""
    if site.kind != "call" or len(site.args) != OLD_ARITY.get(site.name):
        return []
    arg = site.args[VMAS_ARGUMENT[site.name]]
    level = "error" if state and state.get("vmas_form") == "without" else "warning"
    idiom, _ = classify_vmas(arg)
    rules = _guard_rules()
    if idiom == "null":
        return [cicheck.Finding(site, "null-vmas", level, arg, rules["null-vmas"])]
    return [cicheck.Finding(site, "vmas-argument", level, arg, rules["vmas-argument"])]


def _guard_rules():
    """[guard:rules] of this folder's migration.ini: the messages of the findings."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str
    ini.read(os.path.join(os.path.dirname(os.path.abspath(__file__)), "migration.ini"))
    return dict(ini.items("guard:rules"))


CLASSIFY = {"vmas": classify_vmas}
CHECKS = {}
GUARD = check_site
