"""``.txt`` minutes: MeetBot's reStructuredText-like layout, wrapped at 72 columns."""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Iterator

from gavel.render.links import hms
from gavel.render.view import ItemView, MinutesView

WIDTH = 72
_SPACES = re.compile("( +)")
_SECTION_BREAK = "\n\n\n\n"


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
    return "\n".join(_wrap_spaced([chunk for chunk in _SPACES.split(text) if chunk], indent))


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
    text = f"{item.label}: {item.text}" if item.label else item.text
    return f"{text}  ({item.nick}, {hms(item.time)})"


def _summary(view: MinutesView) -> str:
    lines = [_heading("Meeting summary")]
    if not view.summary:
        lines.append("No items were recorded.")
    after_topic = False
    for group in view.summary:
        if group.topic is None:
            lines.extend(_fill(_entry(item)) for item in group.items)
            continue
        if after_topic:
            lines.append("")
        after_topic = True
        lines.append(_fill(_entry(group.topic)))
        lines.extend(_fill(_entry(item), 2) for item in group.items)
    return "\n".join(lines)


def _ending(view: MinutesView) -> str:
    if view.ended_at is not None:
        return _paragraph(f"Meeting ended at {hms(view.ended_at)} UTC.")
    end = view.unfinished_at or view.started_at
    return _paragraph(f"Meeting not ended (log ends at {hms(end)} UTC).")


def _actions(view: MinutesView) -> str | None:
    if not view.actions:
        return None
    return "\n".join([_heading("Action items"), *(_fill(item.text) for item in view.actions)])


def _actions_by_person(view: MinutesView) -> str | None:
    if not view.actions_by_person:
        return None
    lines = [_heading("Action items, by person")]
    for owner in view.actions_by_person:
        lines.append(f"* {owner.nick}")
        lines.extend(_fill(item.text, 2) for item in owner.actions)
    return "\n".join(lines)


def _people(view: MinutesView) -> str:
    return "\n".join([_heading("People present (lines said)"), *(f"* {p.nick} ({p.lines})" for p in view.people)])


def _votes(view: MinutesView) -> str | None:
    if not view.votes:
        return None
    lines = [_heading("Votes")]
    for vote in view.votes:
        lines.append(_fill(f"{vote.question}  ({vote.nick}, {hms(vote.time)})"))
        for option, voters in vote.results:
            who = ": " + ", ".join(voters) if voters else ""
            lines.append(_fill(f"{option} ({len(voters)}){who}", 2))
    return "\n".join(lines)


def render_text(view: MinutesView) -> str:
    """The ``.txt`` minutes."""
    return "".join(text_chunks(view))


def text_chunks(view: MinutesView) -> Iterator[str]:
    """The ``.txt`` minutes, section by section (so a huge meeting is never one string)."""
    rule = "=" * len(view.page_title)
    # MeetBot breaks this sentence at a fixed place rather than wrapping it, so a long URL stays on the line.
    start = f"Meeting started by {view.owner} at {hms(view.started_at)} UTC.  The full logs are\n"
    start += f"available at {view.log_url} ."
    head = f"{rule}\n{view.page_title}\n{rule}\n\n\n{start}"
    if view.restricted:
        head += "\n\n" + _paragraph("These minutes are restricted: they are not for publication.")
    sections = [
        head,
        _summary(view),
        _ending(view),
        _actions(view),
        _actions_by_person(view),
        _people(view),
        _votes(view),
        f"Generated by gavel {view.version}\n",
    ]
    present = [section for section in sections if section is not None]
    for index, section in enumerate(present):
        yield section if index == 0 else _SECTION_BREAK + section
