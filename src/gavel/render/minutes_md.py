"""``.md`` minutes for wikis, GitHub and Matrix.

Log text is escaped so it can neither inject HTML nor make links or formatting: ``<``, ``>`` and
``&`` become entities, Markdown punctuation is backslash-escaped, and only safe URLs
(http, https, ftp, irc, ircs) become ``<autolinks>``.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterator
from urllib.parse import quote

from gavel.render.links import escape_html, hms, split_links
from gavel.render.minutes_text import line_chunks
from gavel.render.view import ItemView, MinutesView, Person, VoteView

_PUNCTUATION = "\\`*_[]{}()#!|~^$"
# At the start of a block these would begin a list, a heading, a quote or a thematic break (an ordered list's number
# is ASCII digits in CommonMark: ``\d`` would match other scripts' digits too).
_BLOCK_MARKS = "-+=>"
_BLOCK_START = re.compile(rf"([{re.escape(_BLOCK_MARKS)}]|[{string.digits}]+(?=[.)]))")
_BLOCK_FIRST = frozenset(_BLOCK_MARKS + string.digits)  # the characters a _BLOCK_START match begins with
# Markdown punctuation backslash-escaped, and the HTML specials as entities (one pass).
_ESCAPES = str.maketrans({char: "\\" + char for char in _PUNCTUATION} | {"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_MARKDOWN_PUNCTUATION = re.compile(f"[{re.escape(_PUNCTUATION)}]")
# Characters a link destination keeps as they are; anything else (spaces, brackets ...) is percent-encoded.
_URL_SAFE = "/:?#=&;%+,@!$*'-._~"


@functools.lru_cache(maxsize=4096)  # mostly nicks, each written once per item
def escape_text(text: str) -> str:
    """Plain text that renders as itself in Markdown (no HTML, links or formatting), on one line."""
    return _escape(one_line(text))


def one_line(text: str) -> str:
    """``" ".join(text.split())``: each run of white space one space, none at either end. The common text, whose
    only white space is single spaces between words, is returned as it is without the split and join (6,400
    instructions for an item's text against 2,000 for the tests: a printable text has no white space but spaces;
    ``test_inline_is_its_reference``)."""
    if text.isprintable() and "  " not in text and not text.startswith(" ") and not text.endswith(" "):
        return text
    return " ".join(text.split())


def escape_chars(text: str) -> str:
    """``text.translate(_ESCAPES)``, only faster for the common text with no Markdown punctuation in it: then only
    ``&<>`` change, and three ``replace`` calls cost less than a translation table looked up for every character,
    and three searches less than the three calls (``test_markdown_escape_chars_translates`` compares the two)."""
    if _MARKDOWN_PUNCTUATION.search(text) is not None:
        return text.translate(_ESCAPES)
    return escape_html(text)


def _escape(text: str) -> str:
    text = escape_chars(text)
    return _block_start_escaped(text) if text[:1] in _BLOCK_FIRST else text  # (the pattern only where it may match)


def _block_start_escaped(text: str) -> str:
    """``text`` with a backslash where its start would begin a list, a heading, a quote or a thematic break."""
    match = _BLOCK_START.match(text)
    if match is None:
        return text
    end = match.end()
    return text[:end] + "\\" + text[end:] if match.group()[0].isdigit() else "\\" + text


def inline(text: str) -> str:
    """Escaped text with its safe URLs as autolinks: ``inline_reference``, on one line without the split and join
    where it is already (``one_line``) and with the escaping's searches before its calls."""
    text = one_line(text)
    if "://" not in text:  # (no link to split out: the common case, without split_links' pieces)
        return _escape(text)
    pieces = split_links(text)
    return "".join(f"<{piece}>" if is_url else _escape(piece) for piece, is_url in pieces)


def inline_reference(text: str) -> str:
    """``inline`` plainly: white space runs made one space, Markdown punctuation and ``&<>`` escaped, a block start
    escaped, safe URLs as autolinks."""
    pieces = split_links(" ".join(text.split()))
    return "".join(f"<{piece}>" if is_url else _escape_reference(piece) for piece, is_url in pieces)


def _escape_reference(text: str) -> str:
    return _block_start_escaped(text.translate(_ESCAPES))


def _details(entry: ItemView | VoteView) -> str:
    return f"([{escape_text(entry.nick)}]({entry.href}), {hms(entry.time)})"


def _item(item: ItemView) -> str:
    """``- LABEL: TEXT (NICK, TIME)``: ``_item_reference`` with its calls written out for the common item (neither
    corrected nor timeboxed: its text is its marked text), as a busy meeting has tens of thousands."""
    label = f"**{item.label}:** " if item.label else ""
    text = item.text if item.corrected_from is None and item.timebox_minutes is None else item.marked_text
    clock = item.iso_time[11:19]  # hms(item.time), made once for every format
    return f"- {label}{inline(text)} ([{escape_text(item.nick)}]({item.href}), {clock})"


def _item_reference(item: ItemView) -> str:
    label = f"**{item.label}:** " if item.label else ""
    return f"- {label}{inline(item.marked_text)} {_details(item)}"


def _summary(view: MinutesView) -> Iterator[str]:
    yield from ("## Meeting summary", "")
    if not view.summary:
        yield from ("No items were recorded.", "")
    for group in view.summary:
        if group.topic is not None:
            yield from (f"### {inline(group.topic.marked_text)} {_details(group.topic)}", "")
        if group.items:
            yield from map(_item, group.items)
            yield ""


def _actions(view: MinutesView) -> Iterator[str]:
    if not view.actions:
        return
    yield from ("## Action items", "")
    yield from (f"- {inline(item.text)}" for item in view.actions)
    yield from ("", "## Action items, by person", "")
    for owner in view.actions_by_person:
        yield f"- {escape_text(owner.nick)}"
        yield from (f"  - {inline(item.text)}" for item in owner.actions)
    yield ""


def _votes(view: MinutesView) -> Iterator[str]:
    if not view.votes:
        return
    yield from ("## Votes", "")
    for vote in view.votes:
        yield f"- {inline(vote.question)} {_details(vote)}"
        for option, voters in vote.results:
            who = ": " + ", ".join(escape_text(nick) for nick in voters) if voters else ""
            yield f"  - {escape_text(option)} ({len(voters)}){who}"
    yield ""


def _also_known_as(person: Person) -> str:
    if not person.also_known_as:
        return ""
    return f" (also {', '.join(escape_text(nick) for nick in person.also_known_as)})"


def _lines(view: MinutesView) -> Iterator[str]:
    """Every line of the document; the last is empty, so the document ends with a line break."""
    log = f"[full logs]({view.log_href})"
    yield f"# {escape_text(view.page_title)}"
    yield ""
    yield f"Meeting started by {escape_text(view.started_by)} at {hms(view.started_at)} UTC ({log})."
    yield ""
    if view.restricted:
        yield from ("**These minutes are restricted: they are not for publication.**", "")
    yield from _summary(view)
    if view.ended_at is not None:
        yield f"Meeting ended at {hms(view.ended_at)} UTC ({log})."
    else:
        end = view.unfinished_at or view.started_at
        yield f"**Meeting not ended** (log ends at {hms(end)} UTC; {log})."
    yield ""
    yield from _actions(view)
    yield from ("## People present (lines said)", "")
    yield from (f"- {escape_text(person.nick)} ({person.lines}){_also_known_as(person)}" for person in view.people)
    yield ""
    if view.attendance_taken:
        yield from ("## Attendance", "")
        yield f"- Present: {', '.join(map(escape_text, view.present)) or 'nobody'}"
        yield f"- Regrets: {', '.join(map(escape_text, view.regrets)) or 'none'}"
        yield ""
    if view.agenda:
        yield from ("## Agenda", "")
        for agendum in view.agenda:
            title, proposer = inline(agendum.title), escape_text(agendum.proposer)
            yield f"{agendum.number}. {title} ({proposer}): {agendum.time_text}"
        yield ""
    yield from _votes(view)
    gavel = f"[gavel]({quote(view.info_url, safe=_URL_SAFE)})" if view.info_url else "gavel"
    yield from ("---", "", f"Generated by {gavel} {view.version}", "")


def markdown_chunks(view: MinutesView) -> Iterator[str]:
    """The ``.md`` minutes, ``CHUNK_LINES`` lines at a time (so a huge meeting is never one string)."""
    return line_chunks(_lines(view))


def render_markdown(view: MinutesView) -> str:
    """The ``.md`` minutes."""
    return "".join(markdown_chunks(view))
