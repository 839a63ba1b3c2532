"""Claim text made inert for every place a report shows it.

Claim files are untrusted, and YAML double-quoted escapes (`"\\e]52;..."`) put
control characters into a claim that its bytes never held, so the file check
alone cannot keep them out. Every writer in this package passes claim text
(ids, titles, names, file paths, reasons) through `printable`, which shows each
character Python's `repr` would escape as that escape: what a reader sees is
what the file says, and nothing reaches a terminal, a CI log or an XML parser
that could act on it.
"""

from __future__ import annotations

__all__ = ["printable"]


def printable(text: str, keep: str = "") -> str:
    """`text` with each non-printable character (C0 and C1 controls, DEL, line and paragraph
    separators, bidirectional and other format characters, lone surrogates, non-characters)
    written as its escape; characters in `keep` (a format's own line breaks) stay.

    The result also holds only characters XML 1.0 allows."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)


_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(character: str) -> str:
    if character in _SHORT:
        return _SHORT[character]
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
