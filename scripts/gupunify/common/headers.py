"""What goes into a mail header, a subject or a trailer, checked before any work.

A value with a newline in it adds a header or a trailer of its own
(--identity $'Pat <p@example.org>\nSigned-off-by: Mallory <m@example.org>'
forges a sign-off); any other control character is as unsafe in mail. Such a
value is refused in one line, naming it.
"""
import unicodedata

from .util import die

# Control characters, and the line and paragraph separators some mail and
# terminal software ends a line at.
UNSAFE = ("Cc", "Zl", "Zp")


def unsafe_characters(text):
    """The control characters (and line separators) in text, each named, in order."""
    found = []
    for char in text:
        if unicodedata.category(char) in UNSAFE:
            name = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab"}.get(
                char, "a control character")
            found.append("%s (U+%04X)" % (name, ord(char)))
    return list(dict.fromkeys(found))


def check(what, text):
    """Refuse text, the value of what, when a header or trailer cannot carry it as one line."""
    bad = unsafe_characters(text)
    if bad:
        die("%s %r holds %s: it goes into mail headers, subjects and trailers, which take "
            "one line of text" % (what, text, ", ".join(bad)))
