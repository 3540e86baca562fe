"""The schedule in the web UI: /schedule, /api/schedule, the .ics calendars, and each series' next meeting."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from starlette.testclient import TestClient

from gavel.schedule.directory import load_schedule
from gavel.schedule.model import Schedule
from gavel.storage.archive import open_archive
from gavel.web.app import create_app
from schedule_support import meeting_yaml
from web_support import log, store_text

NOW = datetime(2027, 1, 6, 12, 0, tzinfo=UTC)  # a Wednesday of ISO week 1 (odd)
EXAMPLES = Path(__file__).parent.parent / "examples" / "schedule"
XSS = '<script>alert("x")</script>'


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    directory = tmp_path / "schedule"
    directory.mkdir()
    for example in EXAMPLES.glob("*.yaml"):
        (directory / example.name).write_text(example.read_text())
    hostile = meeting_yaml(
        "{irc: openstack-xss, frequency: adhoc}",
        head=f"project: '{XSS}'\nchair: '{XSS}'\ndescription: '{XSS}'\n",
    )
    (directory / "xss.yaml").write_text(hostile)
    schedule = load_schedule(directory)
    assert schedule.problems == ()
    archive = open_archive(f"sqlite:///{tmp_path / 'archive.db'}")
    store_text(archive, log("gibi: #startmeeting nova", "gibi: #endmeeting"), date(2026, 12, 1), "#openstack-meeting-3")
    with TestClient(create_app(archive, schedule=schedule, now=lambda: NOW)) as test_client:
        yield test_client
    archive.close()


def test_the_schedule_page(client: TestClient) -> None:
    page = client.get("/schedule")
    assert page.status_code == 200
    html = page.text
    assert "Nova Team Meeting" in html and "Swift Team Meeting" in html
    assert "Tuesday 1600 UTC, weekly, 60 min in #openstack-meeting-3" in html
    assert (
        '<time datetime="2027-01-06T21:00:00Z">2027-01-06 21:00</time> in #openstack-swift' not in html
    )  # week 1 is odd
    assert '<time datetime="2027-01-07T07:00:00Z">2027-01-07 07:00</time> in #openstack-swift' in html
    assert 'href="/schedule/swift-team-meeting.ics"' in html and 'href="/schedule/meetings.ics"' in html
    assert XSS not in html and "&lt;script&gt;" in html


def test_the_json_twin(client: TestClient) -> None:
    data = client.get("/api/schedule").json()
    assert data["now"] == "2027-01-06T12:00:00Z"
    nova = next(m for m in data["meetings"] if m["file"] == "nova-team-meeting")
    assert (nova["series"], nova["series_url"], nova["next"]) == ("nova", "/series/nova", "2027-01-12T16:00:00Z")
    assert nova["entries"][0]["skip_dates"] == [{"date": "2026-12-29", "reason": "End of year holidays"}]
    tc = next(m for m in data["meetings"] if m["file"] == "tc-office-hours")
    assert tc["next"] == "2027-01-07T15:00:00Z"  # the first Thursday of January 2027
    xss = next(m for m in data["meetings"] if m["file"] == "xss")
    assert xss["next"] is None and xss["entries"][0]["day"] is None


def test_the_calendars(client: TestClient) -> None:
    response = client.get("/schedule/nova-team-meeting.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert event["SUMMARY"] == "Nova Team Meeting"
    everything = Calendar.from_ical(client.get("/schedule/meetings.ics").content)
    assert len(everything.walk("VEVENT")) == 4  # nova 1, swift 2, tc 1; ad hoc has none
    for missing in ("/schedule/nope.ics", "/schedule/nova-team-meeting", "/schedule/..%2F..%2Fetc.ics"):
        assert client.get(missing).status_code == 404


def test_a_series_page_shows_its_next_meeting(client: TestClient) -> None:
    html = client.get("/series/nova").text
    assert "Next meeting: <time" in html and "2027-01-12 16:00 UTC" in html and "in #openstack-meeting-3" in html
    assert 'href="/schedule/nova-team-meeting.ics"' in html
    assert client.get("/api/series/nova").json()["schedule"][0]["next"] == "2027-01-12T16:00:00Z"
    never_held = client.get("/series/swift")  # scheduled, no meeting in the archive yet
    assert never_held.status_code == 200 and "2027-01-07 07:00 UTC" in never_held.text
    assert client.get("/series/nothing").status_code == 404


def test_without_a_schedule_there_is_no_schedule(tmp_path: Path) -> None:
    archive = open_archive(f"sqlite:///{tmp_path / 'archive.db'}")
    with TestClient(create_app(archive)) as plain:
        assert plain.get("/schedule").status_code == 404
        assert plain.get("/api/schedule").status_code == 404
        assert plain.get("/schedule/meetings.ics").status_code == 404
    archive.close()
    assert Schedule(()).by_stem("x") is None


def test_a_served_schedule_follows_its_directory(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """``gavel serve --schedule DIR`` gives the application a watcher: files added, broken and fixed while it runs
    show at the next look (at most every 5 seconds of its clock); a broken file keeps its last good version."""
    from gavel.schedule.watch import ScheduleWatcher

    directory = tmp_path / "schedule"
    directory.mkdir()
    nova = directory / "nova.yaml"
    nova.write_text(meeting_yaml("{time: '1600', day: Tuesday, irc: meet, frequency: weekly}"))
    clock = [NOW]
    archive = open_archive(f"sqlite:///{tmp_path / 'archive.db'}")
    watcher = ScheduleWatcher(directory)
    with TestClient(create_app(archive, schedule=watcher, now=lambda: clock[0])) as client:

        def projects() -> list[str]:
            return [meeting["project"] for meeting in client.get("/api/schedule").json()["meetings"]]

        assert projects() == ["Nova"]
        (directory / "swift.yaml").write_text(
            meeting_yaml("{irc: swift, frequency: adhoc}", head="project: Swift\nchair: t\ndescription: ''\n")
        )
        assert projects() == ["Nova"]  # looked at less than 5 seconds ago
        clock[0] = NOW + timedelta(seconds=5)
        assert projects() == ["Nova", "Swift"]
        assert client.get("/schedule/swift.ics").status_code == 200
        caplog.set_level(logging.INFO, logger="gavel")
        nova.write_text("project: [broken\n")
        clock[0] = NOW + timedelta(seconds=10)
        assert projects() == ["Nova", "Swift"]  # the last good version
        assert any("not valid YAML" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
        (directory / "swift.yaml").unlink()
        clock[0] = NOW + timedelta(seconds=15)
        assert projects() == ["Nova"] and client.get("/schedule/swift.ics").status_code == 404
    archive.close()
