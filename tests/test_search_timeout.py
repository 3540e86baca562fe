"""A slow search never becomes an HTTP 500: the archive stops it after its time limit (ArchiveBusyError) and the web
answers 503 with Retry-After, and says so in the server log; the time limit ends with the search."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg
import pytest
from starlette.testclient import TestClient

from conftest import StoreLog
from gavel.storage.archive import Archive, ArchiveBusyError, SearchQuery, sqlite_path
from gavel.storage.archive.search import Counted, Matching
from gavel.web.app import create_app

# a statement that runs for seconds: SQLite counts to a hundred million, PostgreSQL sleeps
SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) "
    "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(5)",
}


def log(*said: str) -> str:
    base = datetime(2024, 5, 1, 14)
    lines = ["<alice> #startmeeting", *said, "<alice> #endmeeting"]
    return "".join(f"{base + timedelta(seconds=i):%H:%M:%S} {line}\n" for i, line in enumerate(lines))


def slow_counting(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the search's first statement a slow one (then count as usual)."""
    slow = SLOW["sqlite" if sqlite_path(archive.url) is not None else "postgresql"]
    matches: Callable[[Matching, int, int], Counted] = archive._matches

    def slow_matches(matching: Matching, limit: int, wanted: int) -> Counted:
        archive._query(slow)
        return matches(matching, limit, wanted)

    monkeypatch.setattr(archive, "_matches", slow_matches)


def test_a_slow_search_stops_at_its_time_limit(
    archive: Archive, store_log: StoreLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_log(archive, "ops.2024-05-01-14.00.log.txt", log("<bob> coffee time", "<carol> more coffee"))
    assert archive.search(SearchQuery("coffee")).total == 2
    slow_counting(archive, monkeypatch)
    archive.search_timeout = 0.2
    started = time.monotonic()
    with pytest.raises(ArchiveBusyError, match=r"search for 'coffee' stopped after") as caught:
        archive.search(SearchQuery("coffee"))
    assert time.monotonic() - started < 3  # stopped, not run to its end
    assert caught.value.retry_after > 0
    monkeypatch.undo()
    assert archive.search(SearchQuery("coffee")).total == 2  # the archive still answers
    if sqlite_path(archive.url) is None:  # and the limit ended with the search (on every pooled connection)
        for _ in range(3):
            with archive._connection():
                assert archive._query("SHOW statement_timeout") == [("0",)]


def test_busy_errors_are_recognized_and_others_are_not(archive: Archive) -> None:
    if sqlite_path(archive.url) is not None:
        import sqlite3

        assert archive._busy(sqlite3.OperationalError("database is locked"))
        assert archive._busy(sqlite3.OperationalError("interrupted"))
        assert not archive._busy(sqlite3.OperationalError("no such table: x"))
    else:
        assert archive._busy(psycopg.errors.QueryCanceled("canceling statement due to statement timeout"))
        assert archive._busy(psycopg.OperationalError("server closed the connection unexpectedly"))
        assert not archive._busy(psycopg.errors.UndefinedTable("x"))
    assert not archive._busy(ValueError("x"))


def test_the_web_answers_503_with_retry_after_and_logs_it(
    archive: Archive, store_log: StoreLog, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store_log(archive, "ops.2024-05-01-14.00.log.txt", log("<bob> coffee time"))
    slow_counting(archive, monkeypatch)
    archive.search_timeout = 0.2
    with TestClient(create_app(archive), raise_server_exceptions=False) as client, caplog.at_level(logging.WARNING):
        api = client.get("/api/search?q=coffee")
        page = client.get("/search?q=coffee")
    assert api.status_code == 503 and page.status_code == 503
    assert api.json() == {"error": "the archive is busy: try again in a few seconds, or narrow the search"}
    assert api.headers["retry-after"] == "5" and page.headers["retry-after"] == "5"
    assert api.headers["cache-control"] == "no-store"
    assert "try again" in page.text
    logged = [record.getMessage() for record in caplog.records if record.name == "gavel.web"]
    assert len(logged) == 2 and all("503 for /" in message and "coffee" in message for message in logged)
    monkeypatch.undo()
    with TestClient(create_app(archive)) as client:
        assert client.get("/api/search?q=coffee").json()["total"] == 1
