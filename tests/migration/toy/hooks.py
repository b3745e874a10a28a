"""toy: a NULL cookie is dropped, any other is left for a human."""
from gupunify import cicheck


def classify_cookie(arg):
    if arg.strip() == "NULL":
        return "null", ""
    if arg.strip().startswith("&"):
        return "address", None
    return "cookie_used", None


def check_site(site, state, flags_argument):
    if site.kind == "call" and len(site.args) == 3:
        return [cicheck.Finding(site, "frob-cookie", "warning", site.args[2],
                                "frob() takes no cookie any more: `%s`" % site.args[2])]
    return []


CLASSIFY = {"cookie": classify_cookie}
CHECKS = {}
GUARD = check_site
