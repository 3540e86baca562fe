"""The archive keeps what the meeting tools add to the minutes (agenda, attendance, other nicks, corrections, who
started the meeting) on both backends, shows it on the meeting page and in the JSON API, and search finds agenda
titles."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from gavel.app.archiving import archive_record
from gavel.render.view import build_view
from gavel.storage.archive import AGENDUM_KIND, AgendumRow, Archive, MeetingDetail, SearchQuery
from gavel.web.app import create_app
from render_support import AGENDA, MEETING_ID, TOOLS, Fixture, fixture_meeting

TOKEN = "correct horse battery staple"


def store(archive: Archive, fixture: Fixture) -> MeetingDetail:
    meeting, logged = fixture_meeting(fixture)
    view = build_view(meeting, log_basename=fixture.basename, meeting_id=MEETING_ID)
    meeting_id = archive.store(archive_record(view), logged)
    stored = archive.meeting(None, meeting_id)
    assert stored is not None
    return stored


def at(hms: str) -> datetime:
    return datetime.fromisoformat(f"2024-05-08T{hms}+00:00").astimezone(UTC)


def test_the_agenda_is_stored_and_read_back(archive: Archive) -> None:
    stored = store(archive, AGENDA)
    assert stored.agenda == (
        AgendumRow(1, "Release plan", "sdake", "done", at("09:00:40"), at("09:07:05"), 6.4, 5, 5, at("09:00:10")),
        AgendumRow(2, "Bug triage", "alice", "skipped", None, None, None, None, 7, at("09:00:15")),
        AgendumRow(3, "Travel budget", "bob", "done", at("09:07:05"), at("09:11:50"), 4.8, 10, 9, at("09:00:20")),
    )
    # the agenda titles are searchable items, but no minutes items
    assert AGENDUM_KIND not in {item.kind for item in stored.items}
    assert [item.kind for item in stored.items] == ["topic", "info", "topic", "action", "topic", "info"]
    # every timeboxed topic keeps its timebox and the time it took (the last one is no agendum)
    timeboxes = [(i.text, i.timebox_minutes, i.minutes_spent) for i in stored.items if i.kind == "topic"]
    assert timeboxes == [("Release plan", 5, 6.4), ("Travel budget", 10, 2.2), ("Any other business", 2, 2.5)]
    assert {(i.timebox_minutes, i.minutes_spent) for i in stored.items if i.kind != "topic"} == {(None, None)}
    assert (stored.started_by, stored.attendance_taken, stored.regrets) == ("sdake", False, ())
    assert stored.present == ("sdake", "bob", "alice", "carol")


def test_attendance_nicks_and_corrections_are_stored(archive: Archive) -> None:
    stored = store(archive, TOOLS)
    assert stored.started_by == "sdake" and stored.owner == "sdake_"
    assert (stored.present, stored.regrets, stored.attendance_taken) == (("sdake_", "alice", "bob"), ("carol",), True)
    assert (stored.people[0].nick, stored.people[0].also_known_as) == ("sdake_", ("sdake",))
    corrected = [(item.text, item.corrected_from) for item in stored.items if item.corrected_from is not None]
    assert corrected == [("Release plan", "Relase plan"), ("the release is on friday", "the relase is on friday")]
    again = store(archive, TOOLS)  # stored again: replaced, not doubled (the items get new ids)
    assert again.id == stored.id
    assert replace(again, items=(), stored_at=None) == replace(stored, items=(), stored_at=None)  # stored again: later
    assert [replace(item, id=0) for item in again.items] == [replace(item, id=0) for item in stored.items]


def test_search_finds_agenda_titles(archive: Archive) -> None:
    stored = store(archive, AGENDA)
    # "triage" is only in the log line that added the agendum and in the agendum's title (never taken up)
    kinds = [hit.kind for hit in archive.search(SearchQuery("triage")).hits]
    assert kinds.count(AGENDUM_KIND) == 1 and set(kinds) == {AGENDUM_KIND, "line"}
    [hit] = archive.search(SearchQuery("triage", kind=AGENDUM_KIND)).hits
    assert (hit.text, hit.nick, hit.line, hit.meeting_id) == ("Bug triage", "alice", 7, stored.id)
    assert archive.search(SearchQuery("triage", kind="topic")).total == 0
    # the retitled agendum is found by its title now (the log line with the old title still says "budjet")
    assert [h.kind for h in archive.search(SearchQuery("budget", kind=AGENDUM_KIND)).hits] == [AGENDUM_KIND]
    assert archive.search(SearchQuery("budjet", kind=AGENDUM_KIND)).total == 0


def test_the_meeting_page_shows_agenda_attendance_nicks_and_corrections(archive: Archive) -> None:
    agenda, tools = store(archive, AGENDA), store(archive, TOOLS)
    client = TestClient(create_app(archive, token=TOKEN), raise_server_exceptions=True)
    html = client.get(f"/series/gavel_agenda/{agenda.log_basename}").text
    assert '<section id="agenda">' in html
    assert (
        '<li value="1" class="agendum done" id="i-5">Release plan <span class="details">(sdake)</span>: '
        '<span class="status">done, 6.4 of 5 minutes (over)</span></li>'
    ) in html
    assert '<span class="status">skipped</span>' in html
    assert '<span class="status">done, 4.8 of 10 minutes</span>' in html
    assert ('Any other business</span> <span class="details timebox">(timebox: 2.5 of 2 minutes, over)</span>') in html
    assert '<section id="attendance">' not in html  # nobody took attendance

    html = client.get(f"/series/gavel_tools/{tools.log_basename}").text
    assert "Meeting started by sdake at" in html
    assert '<p class="present">Present: sdake_, alice, bob</p>' in html
    assert '<p class="regrets">Regrets: carol</p>' in html
    assert '>sdake_</a> (8) <span class="details aka">(also sdake)</span>' in html
    assert html.count('<span class="corrected" title="first said: the relase is on friday">(corrected)</span>') == 1
    assert html.count("(corrected)</span>") == 2
    assert '<section id="agenda">' not in html


def test_the_api_has_agenda_attendance_nicks_and_corrections(archive: Archive) -> None:
    agenda, tools = store(archive, AGENDA), store(archive, TOOLS)
    client = TestClient(create_app(archive, token=TOKEN), raise_server_exceptions=True)
    data = client.get(f"/api/series/gavel_agenda/{agenda.log_basename}").json()
    assert data["agenda"][0] == {
        "number": 1,
        "title": "Release plan",
        "proposer": "sdake",
        "status": "done",
        "taken_at": "2024-05-08T09:00:40Z",
        "closed_at": "2024-05-08T09:07:05Z",
        "minutes_spent": 6.4,
        "timebox_minutes": 5,
        "line": 5,
    }
    assert [a["status"] for a in data["agenda"]] == ["done", "skipped", "done"]
    topics = [(i["text"], i["timebox_minutes"], i["minutes_spent"]) for i in data["items"] if i["kind"] == "topic"]
    assert topics[2] == ("Any other business", 2, 2.5)
    assert AGENDUM_KIND not in {item["kind"] for item in data["items"]}

    data = client.get(f"/api/series/gavel_tools/{tools.log_basename}").json()
    assert data["started_by"] == "sdake" and data["owner"] == "sdake_"
    assert data["attendance"] == {"present": ["sdake_", "alice", "bob"], "regrets": ["carol"]}
    assert data["people"][0] == {"nick": "sdake_", "lines": 8, "also_known_as": ["sdake"]}
    assert [(i["text"], i["corrected_from"]) for i in data["items"] if i["corrected_from"]] == [
        ("Release plan", "Relase plan"),
        ("the release is on friday", "the relase is on friday"),
    ]


@pytest.mark.parametrize("kind", [AGENDUM_KIND])
def test_the_search_form_offers_agenda_titles(archive: Archive, kind: str) -> None:
    stored = store(archive, AGENDA)
    client = TestClient(create_app(archive, token=TOKEN), raise_server_exceptions=True)
    html = client.get("/search", params={"q": "triage", "kind": kind}).text
    assert f'<option value="{kind}" selected>' in html
    assert f'href="/series/gavel_agenda/{stored.log_basename}#i-7"' in html
