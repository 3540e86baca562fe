"""Finding the URLs in a line of text, and the escaping shared by the HTML writers.

Only http, https, ftp, irc and ircs URLs ever become links: ``javascript:``, ``data:`` and the like
stay plain (escaped) text in every format.
"""

from __future__ import annotations

import re
from datetime import datetime

from gavel.core.records import LINK_SCHEMES

# A URL starts a word with a safe scheme and runs to the next whitespace, quote or angle bracket;
# then _trim drops sentence punctuation and unbalanced closing brackets from its end, so in
# "(see https://x.org/a_(b).)" the URL is "https://x.org/a_(b)".
# The schemes come from the core's LINK_SCHEMES (matched ignoring ASCII case only, as the core does), so the minutes
# and logs link exactly what the core records as a link.
_SCHEMES = "|".join(re.escape(scheme) for scheme in sorted(LINK_SCHEMES, key=len, reverse=True))
URL = re.compile(rf"(?<![\w+.-])((?ai:{_SCHEMES})://[^\s<>\"]+)")
_TRAILING = ".,;:!?'*"
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_UNTIDY_END = frozenset(_TRAILING) | frozenset(_CLOSERS)
REL = "nofollow noopener"


def _trim(url: str) -> str:
    """``url`` without the sentence punctuation and unopened closing brackets at its end."""
    while url:
        last = url[-1]
        unopened = last in _CLOSERS and url.count(_CLOSERS[last]) < url.count(last)
        if last in _TRAILING or unopened:
            url = url[:-1]
        else:
            break
    return url


def split_urls(text: str) -> list[str]:
    """``URL.split(text)``, only faster: the pattern is tried only just before each ``://``.

    A URL's scheme has 3 to 5 letters, so a match whose ``://`` is at ``sep`` starts at ``sep - 5`` to
    ``sep - 3``; trying those in order for each ``://`` in turn finds the same leftmost matches as a
    scan of every position (a property test checks it), at a fraction of the cost.
    """
    parts: list[str] = []
    last = pos = 0  # the end of the last match; where to look for the next "://"
    while (sep := text.find("://", pos)) >= 0:
        for start in range(max(sep - 5, last), sep - 2):
            match = URL.match(text, start)
            if match is not None:
                parts += (text[last:start], match.group(1))
                last = pos = match.end()
                break
        else:
            pos = sep + 3
    parts.append(text[last:])
    return parts


def _parts(text: str) -> list[str]:
    """``text`` split as [text, url, text, url, ..., text] (always odd length, texts may be empty)."""
    parts = split_urls(text)
    for index in range(1, len(parts), 2):
        url = parts[index]
        if url[-1] in _UNTIDY_END:
            kept = _trim(url)
            if kept.endswith("://"):
                kept = ""
            parts[index] = kept
            parts[index + 1] = url[len(kept) :] + parts[index + 1]
    if "" in parts[1::2]:  # a bare "http://": text after all
        merged = [parts[0]]
        for index in range(1, len(parts), 2):
            if parts[index]:
                merged += [parts[index], parts[index + 1]]
            else:
                merged[-1] += parts[index + 1]
        parts = merged
    return parts


def split_links(text: str) -> list[tuple[str, bool]]:
    """``text`` as ``(piece, is_url)`` pieces, in order, without empty pieces; joined they give ``text`` back."""
    if "://" not in text:
        return [(text, False)] if text else []
    return [(part, index % 2 == 1) for index, part in enumerate(_parts(text)) if part]


def escape_html(text: str) -> str:
    """``&``, ``<`` and ``>`` escaped, for element content (inlined ``html.escape(quote=False)``, twice as fast; the
    three searches first, as most text holds none of them: ~1,200 instructions against ~3,300 for the three
    replacements, ``test_escape_html_is_the_standard_librarys``)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def escape_attribute(text: str) -> str:
    """Escaped for a double- or single-quoted attribute value."""
    return escape_html(text).replace('"', "&quot;").replace("'", "&#x27;")


def html_link(url: str) -> str:
    return f'<a href="{escape_attribute(url)}" rel="{REL}">{escape_html(url)}</a>'


def html_text(text: str) -> str:
    """``text`` escaped for HTML element content, its safe URLs made links."""
    if "://" not in text:
        return escape_html(text)
    parts = _parts(text)
    for index in range(1, len(parts), 2):
        parts[index] = html_link(parts[index])
    for index in range(0, len(parts), 2):
        parts[index] = escape_html(parts[index])
    return "".join(parts)


_TWO_DIGITS = tuple(f"{number:02d}" for number in range(100))
"""``"00"`` to ``"99"``: a time's fields looked up, not formatted (formatting a number costs more than its lookup)."""


def hms(moment: datetime) -> str:
    """``14:30:39``: ``hms_reference``, its fields' digits looked up (1,700 instructions against 4,700: every
    minutes item shows its time; ``test_time_stamps_are_their_references``)."""
    two = _TWO_DIGITS
    return f"{two[moment.hour]}:{two[moment.minute]}:{two[moment.second]}"


def hms_reference(moment: datetime) -> str:
    return "%02d:%02d:%02d" % (moment.hour, moment.minute, moment.second)  # noqa: UP031 - as iso_reference


def iso(moment: datetime) -> str:
    """``2016-03-16T14:30:39Z`` (the time must already be UTC): ``iso_reference``, as ``hms`` looks up its fields
    (4,300 instructions against 9,100)."""
    two, year = _TWO_DIGITS, moment.year
    return (
        f"{year if year > 999 else f'{year:04d}'}-{two[moment.month]}-{two[moment.day]}"
        f"T{two[moment.hour]}:{two[moment.minute]}:{two[moment.second]}Z"
    )


def iso_reference(moment: datetime) -> str:
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031 - the plain definition
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )
