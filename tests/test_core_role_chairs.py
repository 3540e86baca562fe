"""Chairs by role (Matrix power levels, ``RoleChairs``) are listed among the chairs: the core, the minutes, the
archive's meeting page."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from starlette.testclient import TestClient

from gavel.app.archiving import archive_record
from gavel.core import Meeting, MeetingSettings, Message
from gavel.core.effects import LogLine
from gavel.core.events import Event, Join, NickChange, RoleChairs
from gavel.render.minutes_json import render_json
from gavel.render.view import build_view
from gavel.storage.archive import open_archive
from gavel.web.app import create_app
from strategies import T0, says

A, B, C, D = "@alice:x", "@bob:x", "@carol:x", "@dave:x"


def room_meeting() -> tuple[Meeting, list[LogLine]]:
    """alice starts; bob (a moderator) speaks, then renames; carol (a moderator) never speaks; dave (a
    moderator, then demoted) speaks; eve is chaired by ``#chair`` and is a moderator too (listed once)."""
    meeting = Meeting(MeetingSettings(channel="!room:x", bot_nick="gavelbot"))
    logged: list[LogLine] = []
    now = T0

    def feed(event: Event) -> None:
        logged.extend(effect for effect in meeting.handle(event) if isinstance(effect, LogLine))

    def say(nick: str, text: str, account: str) -> None:
        nonlocal now
        now += timedelta(seconds=1)
        feed(Message(now, nick, text, account, f"${now.timestamp()}"))

    feed(RoleChairs(T0, (B, C, D, "@eve:x")))
    say("alice", "#startmeeting roles", A)
    say("bob", "hello", B)
    say("bob", "#info bob will be Robert", B)
    feed(NickChange(now, "bob", "Robert"))  # after his last line: the minutes name him as he is now
    say("dave", "hi", D)
    feed(Join(now, "eve", "@eve:x"))
    say("alice", "#chair eve", A)
    say("eve", "here", "@eve:x")
    feed(RoleChairs(now, (B, C, "@eve:x")))  # dave demoted
    say("alice", "#endmeeting", A)
    return meeting, logged


def test_role_chairs_who_spoke_are_chairs_under_their_latest_name() -> None:
    meeting, _ = room_meeting()
    assert meeting.chairs == ["alice", "eve", "Robert"]


def test_a_role_chair_is_listed_by_the_chairs_reply_too() -> None:
    meeting = Meeting(MeetingSettings(channel="!room:x"))
    meeting.handle(RoleChairs(T0, (B,)))
    meeting.handle(Message(T0, "alice", "#startmeeting", A, "$0"))
    meeting.handle(Message(T0, "bob", "present", B, "$1"))
    replies = says(meeting.handle(Message(T0, "alice", "#chair carol", A, "$2")))
    assert replies == ["Current chairs: alice bob carol"]


def test_the_json_minutes_and_the_meeting_page_list_role_chairs(tmp_path: Path) -> None:
    meeting, logged = room_meeting()
    view = build_view(meeting, log_basename="roles.2024-05-01-09.00")
    assert view.chairs == ("alice", "eve", "Robert")
    assert json.loads(render_json(view))["meeting"]["chairs"] == ["alice", "eve", "Robert"]
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        archive.store(archive_record(view), logged)
        client = TestClient(create_app(archive, token=None))
        page = client.get(f"/series/{view.name}/roles.2024-05-01-09.00")
        assert page.status_code == 200, page.text
        assert "Chairs: alice, eve, Robert." in page.text
