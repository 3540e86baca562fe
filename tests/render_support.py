"""Test helpers for the render tests: the fixture meeting, and small meetings built from lines."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from gavel.core.effects import LogLine
from gavel.core.events import Action, Event, Message
from gavel.core.meeting import Meeting, MeetingSettings
from gavel.render.logs import LogHtmlWriter, LogTextWriter
from gavel.render.minutes import MINUTES_WRITERS
from gavel.render.view import MinutesView, build_view
from gavel.transports.replay import LineParser, ReplayReport, read_events

TESTS = Path(__file__).parent
FIXTURE = TESTS / "data" / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
GOLDEN = TESTS / "golden"
BASENAME = "k8s_integration_discussion.2016-03-16-14.30"
CHANNEL = "#k8s_integration_discussion"
DAY = date(2016, 3, 16)
SETTINGS = MeetingSettings(channel=CHANNEL, bot_nick="openstack")
URL_BASE = "http://eavesdrop.openstack.org/meetings/"
LOG_URL = f"{URL_BASE}k8s_integration_discussion/2016/{BASENAME}.log.html"
MEETING_ID = "5f1c0a7e9d3b2468"  # what the runtime gives the fixture meeting in these tests


def parse_line(text: str, day: date = DAY) -> Event:
    """One log line -> its event, as ``gavel replay`` reads it."""
    return LineParser(day, ReplayReport("test")).parse(text, 1)


def run(lines: Iterable[str], settings: MeetingSettings = SETTINGS) -> tuple[Meeting, list[LogLine]]:
    """Feed the lines to a new meeting; return it and the log lines it asked for."""
    meeting = Meeting(settings)
    logged: list[LogLine] = []
    for text in lines:
        logged.extend(effect for effect in meeting.handle(parse_line(text)) if isinstance(effect, LogLine))
    return meeting, logged


@dataclass(frozen=True)
class Fixture:
    """A log in tests/data whose every output is a golden file."""

    basename: str
    channel: str
    day: date
    bot_nick: str
    log_url: str

    @property
    def log(self) -> Path:
        return TESTS / "data" / f"{self.basename}.log.txt"

    @property
    def settings(self) -> MeetingSettings:
        return MeetingSettings(channel=self.channel, bot_nick=self.bot_nick)


K8S = Fixture(BASENAME, CHANNEL, DAY, "openstack", LOG_URL)
# A small hand-written meeting using attendance, corrections and a nick change.
TOOLS = Fixture("gavel_tools.2024-05-01-09.00", "#gavel", date(2024, 5, 1), "gavelbot", "")
# A small hand-written meeting using the agenda, timeboxes and the speaker queue.
AGENDA = Fixture("gavel_agenda.2024-05-08-09.00", "#gavel", date(2024, 5, 8), "gavelbot", "")
FIXTURES = (K8S, TOOLS, AGENDA)


def fixture_meeting(fixture: Fixture = K8S) -> tuple[Meeting, list[LogLine]]:
    """The fixture log through the replay transport and the core, as ``gavel replay`` runs it."""
    meeting = Meeting(fixture.settings)
    logged: list[LogLine] = []
    with open(fixture.log, "rb") as stream:
        for event in read_events(stream, fixture.day, ReplayReport(str(fixture.log))):
            logged.extend(effect for effect in meeting.handle(event) if isinstance(effect, LogLine))
    return meeting, logged


def fixture_view() -> MinutesView:
    meeting, _ = fixture_meeting()
    return build_view(meeting, log_basename=BASENAME, log_url=LOG_URL, meeting_id=MEETING_ID)


def render_logs(logged: Iterable[LogLine], title: str = f"{CHANNEL} log") -> tuple[str, str]:
    """The ``.log.txt`` and ``.log.html`` of these lines."""
    text, html = io.StringIO(), io.StringIO()
    text_writer, html_writer = LogTextWriter(text), LogHtmlWriter(html, title=title)
    for line in logged:
        text_writer.write(line)
        html_writer.write(line)
    text_writer.close()
    html_writer.close()
    return text.getvalue(), html.getvalue()


def render_all(fixture: Fixture = K8S) -> dict[str, str]:
    """Every output for the fixture, by extension (what tests/golden/ holds)."""
    meeting, logged = fixture_meeting(fixture)
    view = build_view(meeting, log_basename=fixture.basename, log_url=fixture.log_url or None, meeting_id=MEETING_ID)
    log_text, log_html = render_logs(logged, title=f"{fixture.channel} log")
    outputs = {".log.txt": log_text, ".log.html": log_html}
    outputs.update({extension: render(view) for extension, render in MINUTES_WRITERS.items()})
    return outputs


def golden_path(extension: str, fixture: Fixture = K8S) -> Path:
    return GOLDEN / f"{fixture.basename}{extension}"


def write_goldens() -> list[Path]:
    """Rewrite every golden file of every fixture from the current writers (scripts/regen-golden)."""
    GOLDEN.mkdir(exist_ok=True)
    written = []
    for fixture in FIXTURES:
        for extension, text in render_all(fixture).items():
            path = golden_path(extension, fixture)
            path.write_text(text, encoding="utf-8", newline="")
            written.append(path)
    return written


def read_exact(path: Path) -> str:
    """A file's text with its line endings untouched."""
    with open(path, encoding="utf-8", newline="") as stream:
        return stream.read()


T0 = datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)


def meeting_of(said: Iterable[tuple[str, str]], settings: MeetingSettings = SETTINGS) -> tuple[Meeting, list[LogLine]]:
    """A meeting fed ``(nick, text)`` messages one second apart from 09:00:00 (``* text`` is an action)."""
    meeting = Meeting(settings)
    logged: list[LogLine] = []
    for second, (nick, text) in enumerate(said):
        time = T0 + timedelta(seconds=second)
        event: Event = Action(time, nick, text[2:]) if text.startswith("* ") else Message(time, nick, text)
        logged.extend(effect for effect in meeting.handle(event) if isinstance(effect, LogLine))
    return meeting, logged


def view_of(said: Iterable[tuple[str, str]], settings: MeetingSettings = SETTINGS) -> MinutesView:
    meeting, _ = meeting_of(said, settings)
    return build_view(meeting, log_basename="meeting.2024-05-01-09.00")


_VOID = {"meta", "br", "hr", "img", "link", "input"}


def unbalanced_tags(html: str) -> list[str]:
    """Problems with the nesting of ``html``'s elements (empty when every element is closed in order)."""
    problems: list[str] = []
    stack: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in _VOID:
                stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if not stack or stack[-1] != tag:
                problems.append(f"</{tag}> closes <{stack[-1] if stack else ''}>")
            else:
                stack.pop()

    checker = Checker()
    checker.feed(html)
    checker.close()
    return problems + [f"<{tag}> never closed" for tag in stack]
