"""Test helpers for the web UI: a real archive filled with replayed meetings, and the web app over it.

The archive holds the fixture meeting (tests/data, series ``k8s_integration_discussion``) and a few
generated meetings, each replayed through ``read_events`` + ``Meeting`` + ``build_view`` and stored
with ``Archive.store``:

- ``weekly_sync`` (#weekly): 2023-11-07 (roadmap, actions, links), 2024-01-09 (hostile HTML in a
  title, nick and text; unicode; a vote), 2024-02-13 (restricted: the word "zanzibar"), 2024-03-12
  (unfinished: no #endmeeting), 2024-04-16 (60 lines saying "pagination").
- ``secret_council`` (#council): one restricted meeting, so the whole series is hidden.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from gavel.app.archiving import archive_record
from gavel.core.effects import LogLine
from gavel.core.meeting import Meeting, MeetingSettings
from gavel.core.naming import basename
from gavel.render.view import build_view
from gavel.storage.archive import Archive, open_archive
from gavel.transports.replay import ReplayReport, read_events
from gavel.web.app import create_app
from pg import POSTGRESQL, PostgresServer
from render_support import BASENAME as K8S_BASENAME
from render_support import MEETING_ID, fixture_meeting

TOKEN = "correct horse battery staple"
K8S = "k8s_integration_discussion"
WEEKLY = "weekly_sync"
SECRET = "secret_council"

XSS_TITLE = '<script>alert("title")</script>'
XSS_NICK = "x\"'&<y"
XSS_TEXT = "<script>alert(1)</script> <img src=x onerror=alert(2)> & friends"
UNICODE_TEXT = "Grüße naïve café 日本語 🎉 déjà-vu"


@dataclass(frozen=True)
class Stored:
    series: str
    basename: str
    id: int


def replay_text(text: str, day: date, channel: str) -> tuple[Meeting, list[LogLine]]:
    """A MeetBot-format log (``HH:MM:SS <nick> text`` lines) through the replay transport and the core."""
    meeting = Meeting(MeetingSettings(channel=channel))
    logged: list[LogLine] = []
    raw = io.BytesIO(text.encode("utf-8"))
    for event in read_events(raw, day, ReplayReport("test")):
        logged.extend(effect for effect in meeting.handle(event) if isinstance(effect, LogLine))
    return meeting, logged


def store_text(archive: Archive, text: str, day: date, channel: str) -> Stored:
    meeting, logged = replay_text(text, day, channel)
    assert meeting.started_at is not None
    name = basename(meeting.name, meeting.started_at).rsplit("/", 1)[1]
    view = build_view(meeting, log_basename=name)
    return Stored(view.name, name, archive.store(archive_record(view), logged))


def log(*lines: str, start: str = "15:00:00") -> str:
    """Lines ``nick: text`` as a MeetBot log, one second apart from ``start``."""
    hours, minutes, seconds = (int(part) for part in start.split(":"))
    first = hours * 3600 + minutes * 60 + seconds
    out = []
    for offset, line in enumerate(lines):
        nick, _, text = line.partition(": ")
        moment = first + offset
        stamp = f"{moment // 3600:02d}:{moment // 60 % 60:02d}:{moment % 60:02d}"
        if text.startswith("* "):
            out.append(f"{stamp} * {nick} {text[2:]}")
        else:
            out.append(f"{stamp} <{nick}> {text}")
    return "\n".join(out) + "\n"


ROADMAP_LINES = (
    "alice: #startmeeting weekly sync",
    "alice: #topic Roadmap",
    "alice: #info the roadmap draft is ready for review",
    "bob: I read the roadmap draft yesterday",
    "alice: #link https://example.org/roadmap the plan",
    "alice: #link javascript:alert(1)",
    "alice: #action bob to publish the roadmap",
    "alice: #action carol to book a room",
    "alice: #agreed ship the roadmap in December",
    "alice: #endmeeting",
)
ROADMAP = log(*ROADMAP_LINES)

HOSTILE = log(
    "alice: #startmeeting weekly sync",
    f"alice: #meetingtopic {XSS_TITLE}",
    "alice: #topic Security review",
    f"{XSS_NICK}: {XSS_TEXT}",
    f"alice: #info {XSS_TEXT}",
    f"dave: {UNICODE_TEXT}",
    "alice: #startvote release now? yes, no",
    "bob: #vote yes",
    "dave: #vote no",
    "alice: #endvote",
    "alice: #endmeeting",
)

RESTRICTED = log(
    "alice: #startmeeting weekly sync",
    "alice: #restrictlogs",
    "alice: #topic Keys",
    "bob: the zanzibar keys leaked",
    "alice: #action bob to rotate the zanzibar keys",
    "alice: #endmeeting",
)

UNFINISHED = log(
    "alice: #startmeeting weekly sync",
    "alice: #topic Leftovers",
    "bob: we never finish these meetings",
)

PAGINATION = log(
    "alice: #startmeeting weekly sync",
    *(f"bob: pagination line {n}" for n in range(60)),
    "alice: #endmeeting",
)

COUNCIL = log(
    "zed: #startmeeting secret council",
    "zed: #restrictlogs",
    "zed: #info the council discusses zanzibar",
    "zed: #endmeeting",
)


@dataclass(frozen=True)
class Corpus:
    url: str
    k8s: Stored
    roadmap: Stored
    hostile: Stored
    restricted: Stored
    unfinished: Stored
    pagination: Stored
    council: Stored


def fill(archive: Archive, url: str) -> Corpus:
    meeting, logged = fixture_meeting()
    k8s_view = build_view(meeting, log_basename=K8S_BASENAME, meeting_id=MEETING_ID)
    k8s = Stored(K8S, K8S_BASENAME, archive.store(archive_record(k8s_view), logged))
    return Corpus(
        url=url,
        k8s=k8s,
        roadmap=store_text(archive, ROADMAP, date(2023, 11, 7), "#weekly"),
        hostile=store_text(archive, HOSTILE, date(2024, 1, 9), "#weekly"),
        restricted=store_text(archive, RESTRICTED, date(2024, 2, 13), "#weekly"),
        unfinished=store_text(archive, UNFINISHED, date(2024, 3, 12), "#weekly"),
        pagination=store_text(archive, PAGINATION, date(2024, 4, 16), "#weekly"),
        council=store_text(archive, COUNCIL, date(2024, 5, 1), "#council"),
    )


BACKENDS = ["sqlite", POSTGRESQL]


@dataclass
class Web:
    """A filled archive (kept for a whole test module) and clients of the web app over it."""

    archive: Archive
    corpus: Corpus
    backend: str

    def app(
        self,
        *,
        token: str | None = TOKEN,
        user_header: str | None = None,
        trusted_proxies: tuple[str, ...] = (),
        session_hours: float = 12,
        clock: Callable[[], float] = time.time,
    ) -> Starlette:
        return create_app(
            self.archive,
            token=token,
            user_header=user_header,
            trusted_proxies=trusted_proxies,
            session_hours=session_hours,
            clock=clock,
        )

    def client(
        self,
        *,
        token: str | None = TOKEN,
        user_header: str | None = None,
        trusted_proxies: tuple[str, ...] = (),
        headers: dict[str, str] | None = None,
        root_path: str = "",
        app: Starlette | None = None,
        peer: str = "testclient",
        base_url: str = "http://testserver",
    ) -> TestClient:
        """A client of ``app`` or a fresh app, from the address ``peer``; server errors are raised, so a 500
        fails the test with its traceback."""
        app = app or self.app(token=token, user_header=user_header, trusted_proxies=trusted_proxies)
        return TestClient(
            app,
            raise_server_exceptions=True,
            headers=headers,
            root_path=root_path,
            client=(peer, 50000),
            base_url=base_url,
        )


def empty_archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    """For a fixture parametrized over BACKENDS (``yield from`` it): an empty archive of that backend (PostgreSQL: a
    fresh database of the session's server)."""
    sqlite = request.param == "sqlite"
    url = f"sqlite://{tmp_path / 'archive.db'}" if sqlite else request.getfixturevalue("postgres_url")
    with open_archive(url) as opened:
        yield opened


@contextmanager
def web_archive(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    """For a module-scoped fixture parametrized over BACKENDS: the filled archive of that backend."""
    backend: str = request.param
    server: PostgresServer | None = None
    if backend == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp('web') / 'archive.db'}"
    else:
        server = request.getfixturevalue("_postgres_session")
        url = server.create_database()
    try:
        with open_archive(url) as archive:
            yield Web(archive, fill(archive, url), backend)
    finally:
        if server is not None:
            server.drop_database(url)


def meeting_path(stored: Stored) -> str:
    return f"/series/{stored.series}/{stored.basename}"
