"""C source files as bytes: read without loss, written back with the line ends they had.

A tree holds files that are not UTF-8 (Latin-1 comments, stray bytes) and
files with CRLF line ends. Text is decoded as UTF-8 with surrogateescape, so
every other byte comes back unchanged when it is encoded again, and a file
whose lines all end in CRLF is handled with LF line ends and written back
with CRLF. A file with both kinds cannot be written back faithfully once a
line is added or removed, so it is refused (Unconvertible).
"""


class Unconvertible(Exception):
    """A file the conversion must leave as it is; the message says why."""


def decode(data):
    return data.decode("utf-8", "surrogateescape")


def encode(text):
    return text.encode("utf-8", "surrogateescape")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def text_of(data):
    """The text of data with LF line ends (CRLF turned into LF), for reading only."""
    return decode(data.replace(b"\r\n", b"\n"))


def line_ends(data):
    """True when every line of data ends in CRLF, False when none does.

    Unconvertible when some do and some do not.
    """
    crlf = data.count(b"\r\n")
    if crlf and crlf != data.count(b"\n"):
        raise Unconvertible("mixed line ends (%d of %d lines end in CRLF)"
                            % (crlf, data.count(b"\n")))
    return bool(crlf)


def as_bytes(text, crlf):
    """The file's bytes for text (LF line ends), with CRLF put back when it had them."""
    data = encode(text)
    return data.replace(b"\n", b"\r\n") if crlf else data


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)
