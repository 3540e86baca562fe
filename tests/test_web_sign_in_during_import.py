"""Signing in and out of a real ``gavel serve`` while an import is storing a meeting into the same archive: the
import's transaction is held open (its lines half written, its locks taken) for as long as the test needs, and the
sign-in, the restricted page and the sign-out must each answer within a bound, well under the 30 s a write waits
for SQLite's lock. SQLite keeps the web state in a file of its own; PostgreSQL's row locks never collide."""

from __future__ import annotations

import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path

import psycopg
import pytest

from gavel.app.archiving import archive_record
from gavel.app.importer import parse_log
from gavel.storage.archive import open_archive, sqlite_path
from gavel.storage.archive.spool import LineRow
from test_web_cli import free_port
from web_support import RESTRICTED, TOKEN, Stored, meeting_path, store_text

FIXTURE = Path(__file__).parent / "data" / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
BOUND = 5.0  # seconds a sign-in may take while the import holds its transaction (the old wait: up to 30 s)
WAIT = 30.0


@pytest.fixture
def secret(archive_url: str) -> Stored:
    """A restricted meeting in the archive, before the server starts."""
    with open_archive(archive_url) as archive:
        return store_text(archive, RESTRICTED, date(2024, 2, 13), "#weekly")


class Server:
    """``gavel serve --token`` on an archive, in a process of its own."""

    def __init__(self, url: str) -> None:
        self.port = free_port()
        env = {**os.environ, "GAVEL_WEB_TOKEN": TOKEN, "GAVEL_ARCHIVE": url}
        command = [sys.executable, "-m", "gavel", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + WAIT
        while True:
            assert self.process.poll() is None, self.process.stdout.read() if self.process.stdout else b""
            assert time.monotonic() < deadline, "gavel serve did not start"
            try:
                if request(self.port, "GET", "/api/series").status == 200:
                    return
            except OSError:
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


def start_server(url: str) -> Server:
    server = Server(url)
    try:
        server.wait_until_up()
    except BaseException:
        server.stop()
        raise
    return server


def request(
    port: int, method: str, path: str, *, cookie: str | None = None, form: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    headers = {"Cookie": f"gavel_session={cookie}"} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response
    finally:
        conn.close()


def timed(port: int, method: str, path: str, **options: object) -> tuple[http.client.HTTPResponse, float]:
    started = time.monotonic()
    response = request(port, method, path, **options)  # type: ignore[arg-type]
    return response, time.monotonic() - started


class PausedImport:
    """``gavel import``'s store of one meeting, stopped halfway: its first lines written in its open
    transaction, the rest held back until :meth:`finish`."""

    def __init__(self, url: str) -> None:
        [self.meeting] = parse_log(FIXTURE).meetings
        self.holding = threading.Event()
        self.release = threading.Event()
        self.failure: BaseException | None = None
        self.archive = open_archive(url)
        self.thread = threading.Thread(target=self._store)
        self.thread.start()
        assert self.holding.wait(WAIT), "the import did not start"

    def _batches(self, batches: Iterable[Sequence[LineRow]]) -> Iterator[Sequence[LineRow]]:
        rows = [row for batch in batches for row in batch]
        yield rows[:100]
        self.holding.set()  # asked for more: the first 100 lines are in the open transaction
        self.release.wait(WAIT)
        yield rows[100:]

    def _store(self) -> None:
        try:
            self.archive.store_rows(archive_record(self.meeting.view), self._batches(self.meeting.spool.batches()))
        except BaseException as error:  # reported by finish()
            self.failure = error
            self.holding.set()

    def finish(self) -> None:
        self.release.set()
        self.thread.join(WAIT)
        self.meeting.spool.discard()
        self.archive.close()
        assert self.failure is None, self.failure


def writes_wait(url: str) -> bool:
    """Whether the archive's writers are kept waiting now (SQLite: its write lock is taken; PostgreSQL: the
    import holds its meeting's advisory lock)."""
    path = sqlite_path(url)
    if path is not None:
        conn = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as error:
            return "locked" in str(error)
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        return bool(pg.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0])  # type: ignore[index]


@pytest.mark.servers  # `gavel serve` in a process of its own
def test_sign_in_and_out_stay_quick_while_an_import_holds_the_archive(archive_url: str, secret: Stored) -> None:
    port = start_server(archive_url)
    importing = PausedImport(archive_url)
    try:
        assert writes_wait(archive_url)
        response, took = timed(port.port, "POST", "/login", form={"token": TOKEN, "next": "/"})
        assert response.status == 303 and took < BOUND, (response.status, took)
        cookie = response.getheader("set-cookie", "").split(";")[0].partition("=")[2]
        page, took = timed(port.port, "GET", meeting_path(secret), cookie=cookie)
        assert page.status == 200 and took < BOUND
        out, took = timed(port.port, "POST", "/logout", cookie=cookie)
        assert out.status == 303 and took < BOUND, (out.status, took)
        assert request(port.port, "GET", meeting_path(secret), cookie=cookie).status == 404  # signed out
        wrong, took = timed(port.port, "POST", "/login", form={"token": "x" * 30, "next": "/"})
        assert wrong.status == 401 and took < BOUND  # a wrong token is counted (a write) without waiting
        assert writes_wait(archive_url)  # the import held its transaction all along ...
    finally:
        importing.finish()
        port.stop()
    view = importing.meeting.view
    with open_archive(archive_url) as archive:  # ... and then stored its meeting whole
        assert view.started_at is not None
        assert archive.has_meeting(view.name, view.started_at, view.channel)
