"""For any events and any crash point, the meeting rebuilt from its journal is the meeting the live bot had.

The live path appends every event the core consumes to the journal before the core sees it (and, at
``#startmeeting``, what the core already knew of services accounts). So a process killed at any point and
restarted rebuilds exactly the same meeting: state, chairs, accounts, minutes.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.app.executor import MeetingExecutor, Outputs
from gavel.core.events import AccountChange, Event, Join, Message, NickChange, Quit
from gavel.core.meeting import Meeting, MeetingSettings, MeetingState
from gavel.render.minutes_json import render_json
from gavel.render.view import build_view
from gavel.storage.journal import JournalDir
from strategies import NICKS, T0, accounts, event_lists, settings_strategy

RUNS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Chat:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)

    def set_topic(self, text: str) -> None:
        pass


@st.composite
def before_the_meeting(draw: st.DrawFn) -> list[Event]:
    """What the transport tells a channel before anyone starts a meeting: who is here and logged in to what."""
    events: list[Event] = []
    time = T0 - timedelta(minutes=5)
    for _ in range(draw(st.integers(0, 8))):
        time += timedelta(seconds=draw(st.integers(0, 30)))
        nick = draw(st.sampled_from(NICKS))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            events.append(AccountChange(time, nick, draw(accounts)))
        elif kind == 1:
            events.append(Join(time, nick, draw(accounts)))
        elif kind == 2:
            events.append(NickChange(time, nick, draw(st.sampled_from(NICKS))))
        else:
            events.append(Quit(time, nick))
    return events


def snapshot(meeting: Meeting) -> dict[str, Any]:
    """Everything a meeting holds that its minutes, chairs and decisions depend on."""
    state: dict[str, Any] = {
        "state": meeting.state,
        "name": meeting.name,
        "title": meeting.title,
        "owner": meeting.owner,
        "started_at": meeting.started_at,
        "ended_at": meeting.ended_at,
        "topic": meeting.current_topic,
        "lines": meeting.lines,
        "last_activity": meeting.last_activity,
        "lurking": meeting.lurking,
        "restricted": meeting.restricted,
        "items": list(meeting.items),
        "votes": [(v.question, v.options, v.tally()) for v in meeting.votes],
        "open_vote": None if meeting.open_vote is None else (meeting.open_vote.question, meeting.open_vote.tally()),
        "chairs": meeting.chairs,
        "chair_accounts": {nick: meeting.chair_account(nick) for nick in meeting.chairs},
        "accounts": meeting.known_accounts(),
        "people": meeting.people(),
        "bot": [nick for nick in NICKS if meeting.is_bot(nick)],
    }
    # Who is a chair, asked for every nick with every account the test uses.
    state["is_chair"] = [meeting.is_chair(nick, account) for nick in NICKS for account in (None, "acct-a", "acct-b")]
    if meeting.started_at is not None:
        state["minutes"] = render_json(build_view(meeting, log_basename="m", meeting_id="x"))
    return state


def run_until_crash(root: Path, meeting_settings: MeetingSettings, events: list[Event], crash: int) -> MeetingExecutor:
    live = MeetingExecutor(
        lambda: meeting_settings,
        Outputs(output_dir=root / "out", durable=False),
        new_id=lambda: "live0001",
        chat=Chat(),
        journals=lambda started, meeting_id, record: JournalDir(root / "journal").create(
            "net", meeting_settings.channel, started, meeting_id=meeting_id, settings=record
        ),
    )
    for event in events[:crash]:
        live.process(event)
    return live


@RUNS
@given(
    meeting_settings=settings_strategy,
    before=before_the_meeting(),
    during=event_lists(max_size=30),
    crash=st.integers(min_value=0, max_value=80),
    changed=st.booleans(),
)
def test_a_meeting_rebuilt_from_its_journal_equals_the_live_one(
    meeting_settings: MeetingSettings, before: list[Event], during: list[Event], crash: int, changed: bool
) -> None:
    events = before + during
    crash = min(crash, len(events))
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        live = run_until_crash(root, meeting_settings, events, crash)
        pending = JournalDir(root / "journal").pending() if live.journal is None else []
        assert pending == []  # no journal outlives its meeting
        if live.journal is None:
            assert live.meeting.state is not MeetingState.RUNNING
            return
        live.sync()  # what the bot acknowledged; then the process dies
        live.journal.close()
        (path,) = sorted((root / "journal").glob("*.journal"))
        # The restarted bot may come back under another nick and another configuration: the journal says what the
        # meeting ran with.
        after = meeting_settings
        if changed:
            after = replace(
                meeting_settings, bot_nick="Gavel_", idle_end_minutes=1, max_length_minutes=2, default_name=None
            )
        rebuilt = MeetingExecutor(lambda: after, Outputs(output_dir=root / "out"), new_id=lambda: "new0001")
        lines = rebuilt.resume(path)
        assert rebuilt.meeting_id == "live0001"
        assert snapshot(rebuilt.meeting) == snapshot(live.meeting)
        assert lines == live.meeting.lines
        # And it goes on as the live one would have: both end alike.
        end = Message((events[crash - 1].time if crash else T0) + timedelta(hours=9), live.meeting.owner, "#endmeeting")
        live.meeting.handle(end)
        rebuilt.meeting.handle(end)
        assert snapshot(rebuilt.meeting) == snapshot(live.meeting)
