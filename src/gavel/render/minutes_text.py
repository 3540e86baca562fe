"""``.txt`` minutes: MeetBot's reStructuredText-like layout, wrapped at 72 columns."""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Iterable, Iterator

from gavel.render.links import hms
from gavel.render.view import ItemView, MinutesView, Person

WIDTH = 72
_SPACES = re.compile("( +)")
# Between sections: three empty lines (with the line breaks around them, "\n\n\n\n").
_SECTION_BREAK = ("", "", "")
CHUNK_LINES = 128  # lines per chunk of the streamed minutes (about 10,000 characters)


@functools.cache
def _wrapper(indent: int) -> textwrap.TextWrapper:
    # Long words (URLs) are never broken, nor are words broken at hyphens, so URLs stay whole.
    return textwrap.TextWrapper(
        width=WIDTH,
        initial_indent=" " * indent + "* ",
        subsequent_indent=" " * (indent + 2),
        break_long_words=False,
        break_on_hyphens=False,
    )


def _fill(text: str, indent: int = 0) -> str:
    """A ``* `` list entry: first line at ``indent``, the rest two columns further in."""
    if not text.isprintable():  # tabs, line breaks, odd spaces: the wrapper's rules for those
        return _wrapper(indent).fill(text)
    if text and len(text) + indent + 2 <= WIDTH and text[-1] != " ":
        return " " * indent + "* " + text  # what the wrapper gives for a line that fits, only faster
    if text and text[0] != " " and text[-1] != " ":
        return "\n".join(_wrap_inner_spaced(text, indent))
    return "\n".join(_wrap_spaced([chunk for chunk in _SPACES.split(text) if chunk], indent))


def _wrap_inner_spaced(text: str, indent: int) -> list[str]:
    """What ``_wrap_spaced`` does with a text that has no space at either end, a line at a time: a line holds the
    words and runs of spaces that fit whole: it ends at the last space within one past its room (a space there ends the
    words before it; else the word there does not fit), or after a first word too long for any line, alone; the spaces
    at the cut are dropped (``test_text_fill_matches_textwrap`` compares both with ``textwrap``)."""
    head, room = " " * indent + "* ", WIDTH - indent - 2
    lines: list[str] = []
    while len(text) > room:
        cut = text.rfind(" ", 0, room + 1)
        if cut < 0:  # a first word longer than the line: alone on its line
            cut = text.find(" ")
            if cut < 0:
                break
        lines.append(head + text[:cut].rstrip(" "))
        head, text = " " * (indent + 2), text[cut:].lstrip(" ")
    lines.append(head + text)
    return lines


def _wrap_spaced(chunks: list[str], indent: int) -> list[str]:
    """What ``_wrapper(indent)`` does with text whose only white space is spaces (``chunks``: its words and
    runs of spaces), as a simpler loop: lines filled greedily, a too long word alone on a line, the spaces
    at either end of a line dropped (a property test compares the two)."""
    first, rest = " " * indent + "* ", " " * (indent + 2)
    lines: list[str] = []
    index, count = 0, len(chunks)
    while index < count:
        head = rest if lines else first
        room = WIDTH - len(head)
        if lines and chunks[index][0] == " ":
            index += 1
        start, used = index, 0
        while index < count and used + len(chunks[index]) <= room:
            used += len(chunks[index])
            index += 1
        if index == start and index < count:
            index += 1  # a word longer than the line
        end = index - 1 if index > start and chunks[index - 1][0] == " " else index
        if end > start:
            lines.append(head + "".join(chunks[start:end]))
    return lines


def _paragraph(text: str) -> str:
    return textwrap.fill(text, width=WIDTH, break_long_words=False, break_on_hyphens=False)


def _heading(title: str) -> str:
    return f"{title}\n{'-' * len(title)}\n"


def _entry(item: ItemView) -> str:
    """``LABEL: TEXT  (NICK, TIME)``: ``_entry_reference``, reading the text of the common item (neither corrected
    nor timeboxed: its text is its marked text) without the two property calls, as a busy meeting has tens of
    thousands."""
    text = item.text if item.corrected_from is None and item.timebox_minutes is None else item.marked_text
    clock = item.iso_time[11:19]  # hms(item.time), made once for every format
    return f"{item.label}: {text}  ({item.nick}, {clock})" if item.label else f"{text}  ({item.nick}, {clock})"


def _entry_reference(item: ItemView) -> str:
    text = f"{item.label}: {item.marked_text}" if item.label else item.marked_text
    return f"{text}  ({item.nick}, {hms(item.time)})"


def _summary(view: MinutesView) -> Iterator[str]:
    yield _heading("Meeting summary")
    if not view.summary:
        yield "No items were recorded."
    after_topic = False
    for group in view.summary:
        if group.topic is None:
            yield from (_fill(_entry(item)) for item in group.items)
            continue
        if after_topic:
            yield ""
        after_topic = True
        yield _fill(_entry(group.topic))
        yield from (_fill(_entry(item), 2) for item in group.items)


def _ending(view: MinutesView) -> Iterator[str]:
    if view.ended_at is not None:
        yield _paragraph(f"Meeting ended at {hms(view.ended_at)} UTC.")
    else:
        end = view.unfinished_at or view.started_at
        yield _paragraph(f"Meeting not ended (log ends at {hms(end)} UTC).")


def _actions(view: MinutesView) -> Iterator[str]:
    if view.actions:
        yield _heading("Action items")
        yield from (_fill(item.text) for item in view.actions)


def _actions_by_person(view: MinutesView) -> Iterator[str]:
    if view.actions_by_person:
        yield _heading("Action items, by person")
        for owner in view.actions_by_person:
            yield f"* {owner.nick}"
            yield from (_fill(item.text, 2) for item in owner.actions)


def also_known_as(person: Person) -> str:
    """`` (also sdake, sdake_away)`` after a person who used other nicks, else nothing."""
    return f" (also {', '.join(person.also_known_as)})" if person.also_known_as else ""


def _people(view: MinutesView) -> Iterator[str]:
    yield _heading("People present (lines said)")
    yield from (_fill(f"{p.nick} ({p.lines}){also_known_as(p)}") for p in view.people)


def _attendance(view: MinutesView) -> Iterator[str]:
    if not view.attendance_taken:
        return
    yield _heading("Attendance")
    yield _fill(f"Present: {', '.join(view.present) or 'nobody'}")
    yield _fill(f"Regrets: {', '.join(view.regrets) or 'none'}")


def _agenda(view: MinutesView) -> Iterator[str]:
    if not view.agenda:
        return
    yield _heading("Agenda")
    for agendum in view.agenda:
        yield _fill(f"{agendum.number}. {agendum.title} ({agendum.proposer}): {agendum.time_text}")


def _votes(view: MinutesView) -> Iterator[str]:
    if not view.votes:
        return
    yield _heading("Votes")
    for vote in view.votes:
        yield _fill(f"{vote.question}  ({vote.nick}, {hms(vote.time)})")
        for option, voters in vote.results:
            who = ": " + ", ".join(voters) if voters else ""
            yield _fill(f"{option} ({len(voters)}){who}", 2)


def _head(view: MinutesView) -> Iterator[str]:
    rule = "=" * len(view.page_title)
    # MeetBot breaks this sentence at a fixed place rather than wrapping it, so a long URL stays on the line.
    start = f"Meeting started by {view.started_by} at {hms(view.started_at)} UTC.  The full logs are\n"
    start += f"available at {view.log_url} ."
    yield f"{rule}\n{view.page_title}\n{rule}\n\n\n{start}"
    if view.restricted:
        yield ""
        yield _paragraph("These minutes are restricted: they are not for publication.")


def _generated(view: MinutesView) -> Iterator[str]:
    yield f"Generated by gavel {view.version}\n"


def _lines(view: MinutesView) -> Iterator[str]:
    """Every line of the document, in order, a ``_SECTION_BREAK`` between sections; a section that gives no
    lines (no action items, no votes) is left out, break and all."""
    sections = (
        _head,
        _summary,
        _ending,
        _actions,
        _actions_by_person,
        _people,
        _attendance,
        _agenda,
        _votes,
        _generated,
    )
    first = True
    for section in sections:
        lines = section(view)
        top = next(lines, None)
        if top is None:
            continue
        if not first:
            yield from _SECTION_BREAK
        first = False
        yield top
        yield from lines


def line_chunks(lines: Iterable[str], size: int = CHUNK_LINES) -> Iterator[str]:
    """``"\\n".join(lines)`` as chunks of about ``size`` lines each (never the whole text as one string)."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            chunk = "\n".join(batch)
            if chunk:  # (a first line that is empty, alone)
                yield chunk
            batch = [""]  # joined, it puts the line break before the next chunk's first line
    tail = "\n".join(batch)
    if tail:
        yield tail


def render_text(view: MinutesView) -> str:
    """The ``.txt`` minutes."""
    return "".join(text_chunks(view))


def text_chunks(view: MinutesView) -> Iterator[str]:
    """The ``.txt`` minutes, ``CHUNK_LINES`` lines at a time (so a huge meeting is never one string)."""
    return line_chunks(_lines(view))
