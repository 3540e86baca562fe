"""Writing the minutes of a huge meeting streams: no format holds its whole document, or a whole section, at once."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gavel.core.events import Message
from gavel.core.meeting import Meeting, MeetingSettings
from gavel.render.minutes import MINUTES_STREAMS, MINUTES_WRITERS
from gavel.render.view import MinutesView, build_view
from gavel.storage.files import write_atomic
from render_support import read_exact

HUGE, SMALL = 6000, 1500  # minutes items
NICKS = [f"user{n}" for n in range(30)] + ["renée", "李雷"]
SENTENCE = "the patch looks good but we need tests and docs before it lands ✓ naïve café <b>&amp;</b> 42%"
WORDS = SENTENCE.split(" ")
COMMANDS = ("#info", "#info", "#action", "#idea", "#link https://example.org/review", "#agreed", "#topic")
CHAIR_COMMANDS = ("#agreed", "#topic")


def _message(n: int, time: datetime) -> Message:
    """The ``n``th minutes item: mostly from the participants, decisions and topics from the chair. Half the
    action items go to one person, so their part of "action items, by person" grows with the meeting."""
    words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(3 + n % 15))
    command = COMMANDS[n % len(COMMANDS)]
    nick = "chair" if command in CHAIR_COMMANDS else NICKS[n % len(NICKS)]
    if command == "#action":
        owner = NICKS[0] if n % 2 else NICKS[n // 7 % 5]
        return Message(time, nick, f"#action {owner} to {words} {n}")
    return Message(time, nick, f"{command} {words} {n}")


def view_with_items(items: int) -> MinutesView:
    """A meeting with ``items`` minutes items (every kind, topics all through it) and a vote every 1000."""
    settings = MeetingSettings(channel="#big", bot_nick="gavel")
    meeting = Meeting(settings)
    time = datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)
    meeting.handle(Message(time, "chair", "#startmeeting a huge meeting"))
    for n in range(items):
        time += timedelta(seconds=1)
        meeting.handle(_message(n, time))
        if n % 1000 == 500:
            meeting.handle(Message(time, "chair", f"#startvote ship release {n}? yes, no"))
            meeting.handle(Message(time, NICKS[n % 5], "#vote yes"))
            meeting.handle(Message(time, "chair", "#endvote"))
    meeting.handle(Message(time, "chair", "#endmeeting"))
    view = build_view(meeting, log_basename="big.2024-05-01-09.00")
    assert len(view.items) >= items and view.votes and view.actions_by_person
    return view


@pytest.fixture(scope="module")
def views() -> dict[int, MinutesView]:
    return {items: view_with_items(items) for items in (SMALL, HUGE)}


def _peak_while(chunks: Iterable[str], path: Path) -> int:
    """The most memory (bytes, as tracemalloc counts it) taken at any time while ``chunks`` are written to ``path``."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        write_atomic(path, chunks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    return peak - before


@pytest.mark.parametrize("extension", sorted(MINUTES_STREAMS))
def test_writing_huge_minutes_takes_little_memory(
    views: dict[int, MinutesView], extension: str, tmp_path: Path
) -> None:
    peaks, sizes = {}, {}
    for items, view in views.items():
        document = MINUTES_WRITERS[extension](view)
        path = tmp_path / f"{items}{extension}"
        peaks[items] = _peak_while(MINUTES_STREAMS[extension](view), path)
        assert read_exact(path) == document
        sizes[items] = len(document.encode())
    report = f"{extension}: peaks {peaks} bytes for documents of {sizes} bytes"
    assert sizes[HUGE] > 400_000, report
    assert peaks[HUGE] < sizes[HUGE] / 4, report
    # Four times the meeting, four times the document: the memory it takes to write must not follow.
    assert peaks[HUGE] < 1.5 * peaks[SMALL], report
