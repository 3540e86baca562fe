"""The HTML of the minutes' item lists, written in Python: a string per ``CHUNK_ITEMS`` items instead of a template
loop, which yields about 17 chunks per item (a busy meeting has tens of thousands of items). The markup is
exactly that of the macros in ``templates/minutes_items.html`` (the reference: a property test holds the two
equal), escaped the way the template escapes (``markupsafe.escape``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from gavel.render.links import html_text
from gavel.render.view import ItemView

CHUNK_ITEMS = 128  # items per string: the minutes stream, even a section of a huge meeting is never one string


def escape(text: str) -> str:
    """``text`` escaped as the template escapes a value (``markupsafe.escape``: ``&<>"'``), as a plain string."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
    )


def summary_item(item: ItemView, escaped: dict[str, str] | None = None) -> str:
    """One item of the meeting summary: ``<li class="KIND">LABEL: TEXT (NICK, TIME)</li>``.

    ``escaped``: nicks, kinds and labels escaped already (a meeting has few of them and many items)."""
    known = {} if escaped is None else escaped
    kind = known.get(item.kind) or known.setdefault(item.kind, escape(item.kind))
    nick = known.get(item.nick) or known.setdefault(item.nick, escape(item.nick))
    label = ""
    if item.label and item.kind != "link":
        label = f'<b class="label">{known.get(item.label) or known.setdefault(item.label, escape(item.label))}</b>: '
    corrected = ' <span class="details">(corrected)</span>' if item.corrected_from is not None else ""
    text = html_text(item.text)
    # An item's link is its log's URL-quoted name, "#l-" and its line number: mostly nothing to escape (looked for
    # with five searches, 2,100 instructions, against 3,500 for escape's five replacements, and 4,900 for escaping
    # the log's name once: split off, its escaped form looked up and joined again).
    href = item.href
    if "&" in href or "<" in href or ">" in href or '"' in href or "'" in href:
        href = escape(href)
    moment = item.iso_time  # its time of day is hms(item.time)
    return (
        f'<li class="{kind}">{label}<span class="text">{text}</span>{corrected}'
        f' <span class="details">(<a href="{href}">{nick}</a>,'
        f' <time datetime="{moment}">{moment[11:19]}</time>)</span></li>'
    )


def action_item(item: ItemView) -> str:
    """One entry of the action items: ``<li>TEXT</li>``."""
    return f"<li>{html_text(item.text)}</li>"


def _chunks(items: Iterable[ItemView], entry: Callable[[ItemView], str]) -> Iterator[str]:
    rest = iter(items)
    while batch := [entry(item) for item in islice(rest, CHUNK_ITEMS)]:
        yield "\n".join(batch)


def summary_items(items: Iterable[ItemView], escaped: dict[str, str] | None = None) -> Iterator[str]:
    """Jinja filter: the summary entries of ``items``, one a line, ``CHUNK_ITEMS`` at a time: HTML, every value in
    it escaped, as plain strings (the template writes them with autoescape off: wrapped as ``Markup`` each chunk
    was copied twice, once by ``Markup`` and once more by the template's ``escape``). ``escaped``: the nicks, kinds
    and labels escaped so far, which the template shares between its topics' calls (a meeting has few nicks and
    many topics: one dict a topic escaped most nicks again in each)."""
    known: dict[str, str] = {} if escaped is None else escaped
    return _chunks(items, lambda item: summary_item(item, known))


def action_items(items: Iterable[ItemView]) -> Iterator[str]:
    """Jinja filter: the action item entries of ``items``, one a line, ``CHUNK_ITEMS`` at a time (HTML, as
    ``summary_items``)."""
    return _chunks(items, action_item)
