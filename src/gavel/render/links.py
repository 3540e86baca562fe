"""Finding the URLs in a line of text, and the escaping shared by the HTML writers.

Only http, https, ftp, irc and ircs URLs ever become links: ``javascript:``, ``data:`` and the like
stay plain (escaped) text in every format.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

# A URL runs to the next whitespace, quote or angle bracket; the scheme must start a word.
_URL = re.compile(r"(?<![\w+.-])(?:https?|ftp|ircs?)://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,;:!?'*"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
REL = "nofollow noopener"


def _trim(url: str) -> str:
    """Drop sentence punctuation after a URL, and closing brackets it does not open."""
    while url:
        last = url[-1]
        unopened = last in _CLOSERS and url.count(_CLOSERS[last]) < url.count(last)
        if last in _TRAILING or unopened:
            url = url[:-1]
        else:
            break
    return url


def split_links(text: str) -> list[tuple[str, bool]]:
    """``text`` as ``(piece, is_url)`` pieces, in order; joined they give ``text`` back."""
    if "://" not in text:
        return [(text, False)] if text else []
    pieces: list[tuple[str, bool]] = []
    position = 0
    for match in _URL.finditer(text):
        url = _trim(match.group())
        if url.endswith("://"):
            continue
        start = match.start()
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((url, True))
        position = start + len(url)
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def html_link(url: str) -> str:
    return f'<a href="{escape(url)}" rel="{REL}">{escape(url, quote=False)}</a>'


def html_text(text: str) -> str:
    """``text`` escaped for HTML element content, its safe URLs made links."""
    if "://" not in text:
        return escape(text, quote=False)
    return "".join(html_link(piece) if is_url else escape(piece, quote=False) for piece, is_url in split_links(text))


def hms(moment: datetime) -> str:
    """``14:30:39``."""
    return f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"


def iso(moment: datetime) -> str:
    """``2016-03-16T14:30:39Z`` (the time must already be UTC)."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"
