"""Connections of an archive shared by threads, on both backends: readers side by side, a writer beside them,
a bounded pool, and every connection closed with the archive."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import Archive, ArchiveError, MeetingRecord, open_archive, sqlite_path
from gavel.storage.archive.postgres import SQL_CACHE_SIZE, PostgresArchive
from gavel.storage.archive.sqlite import SqliteArchive
from pg import POSTGRESQL

WAIT = 10.0  # seconds a test waits for something that should happen at once


def record(number: int) -> MeetingRecord:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=number)
    return MeetingRecord(
        series="pool",
        meeting_id=None,
        channel="#pool",
        network=None,
        title=None,
        owner="alice",
        chairs=("alice",),
        started_at=start,
        ended_at=start + timedelta(minutes=5),
        restricted=False,
        log_basename=f"pool.{start:%Y-%m-%d-%H.%M}",
        items=(),
        people=(),
        votes=(),
    )


def lines(number: int, count: int) -> list[LogLine]:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=number)
    return [
        LogLine(i, start + timedelta(seconds=i), LineKind.MESSAGE, "alice", f"meeting {number} line {i}")
        for i in range(1, count + 1)
    ]


@pytest.fixture(params=["sqlite", POSTGRESQL])
def small_pool(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Archive]:
    """An archive reading through at most two connections, waiting at most 0.3 s for one."""
    monkeypatch.setattr("gavel.storage.archive.sqlite.POOL_TIMEOUT", 0.3)
    monkeypatch.setattr("gavel.storage.archive.postgres.POOL_TIMEOUT", 0.3)
    url = f"sqlite://{tmp_path / 'archive.db'}"
    if request.param != "sqlite":
        url = request.getfixturevalue("postgres_url")
    with open_archive(url, pool_size=2) as archive:
        yield archive


def hold_reader(archive: Archive, started: threading.Barrier, release: threading.Event) -> Callable[[], None]:
    """A thread body: take a connection, read, wait at ``started`` with the others, keep it until ``release``."""

    def body() -> None:
        with archive._connection():
            archive._query("SELECT count(*) FROM meetings")
            started.wait()
            release.wait(WAIT)

    return body


def run_threads(*bodies: Callable[[], None]) -> list[BaseException]:
    """Run each body in a thread of its own; the errors they raised."""
    errors: list[BaseException] = []

    def guarded(body: Callable[[], None]) -> None:
        try:
            body()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
        assert not thread.is_alive()
    return errors


def test_readers_hold_connections_side_by_side(small_pool: Archive) -> None:
    """Two readers each hold a read at once: each waits at the barrier for the other (one lock would break it)."""
    release = threading.Event()
    both = threading.Barrier(2, timeout=WAIT, action=release.set)
    assert run_threads(hold_reader(small_pool, both, release), hold_reader(small_pool, both, release)) == []


def test_a_long_read_does_not_hold_up_another(small_pool: Archive) -> None:
    small_pool.store(record(1), lines(1, 3))
    release = threading.Event()
    started = threading.Barrier(2, timeout=WAIT)
    holder = threading.Thread(target=hold_reader(small_pool, started, release))
    holder.start()
    try:
        started.wait()
        [series] = small_pool.list_series()  # while the other read is still open
        assert series.meeting_count == 1
    finally:
        release.set()
        holder.join(WAIT)


def test_reads_go_on_while_a_write_is_open(small_pool: Archive) -> None:
    """A reader neither waits for an open write transaction nor sees it before it commits."""
    small_pool.store(record(1), lines(1, 3))
    inside, release = threading.Event(), threading.Event()

    def write() -> None:
        with small_pool._transaction():
            small_pool._run("INSERT INTO series (name) VALUES (?)", ("uncommitted",))
            inside.set()
            release.wait(WAIT)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert inside.wait(WAIT)
        with small_pool._connection():
            names = {row[0] for row in small_pool._query("SELECT name FROM series")}
        assert names == {"pool"}
        assert [s.name for s in small_pool.list_series()] == ["pool"]
    finally:
        release.set()
        writer.join(WAIT)
    with small_pool._connection():
        assert {row[0] for row in small_pool._query("SELECT name FROM series")} == {"pool", "uncommitted"}


def test_readers_never_see_half_a_meeting_while_meetings_are_stored(small_pool: Archive) -> None:
    stored = threading.Event()
    seen: list[int] = []

    def write() -> None:
        try:
            for number in range(12):
                small_pool.store(record(number), lines(number, 400 + number))
        finally:
            stored.set()

    def read() -> None:
        while not stored.is_set():
            detail = small_pool.series("pool")
            for year in detail.years if detail else ():
                for meeting in year.meetings:
                    count = sum(1 for _ in small_pool.log_lines(meeting.id))
                    assert count == meeting.line_count == 400 + int(meeting.log_basename[-5:-3])
                    seen.append(meeting.id)

    assert run_threads(write, read, read) == []
    assert len({m.id for year in small_pool.series("pool").years for m in year.meetings}) == 12  # type: ignore[union-attr]
    assert seen  # the readers did read while the writer stored


def test_the_pool_is_bounded(small_pool: Archive) -> None:
    """Two readers hold both connections: a third block waits, then fails clearly; it gets one once freed."""
    release = threading.Event()
    started = threading.Barrier(3, timeout=WAIT)
    holders = threading.Thread(
        target=lambda: run_threads(hold_reader(small_pool, started, release), hold_reader(small_pool, started, release))
    )
    holders.start()
    try:
        started.wait()
        with pytest.raises(ArchiveError, match="try again"), small_pool._connection():
            pass
        assert open_connections(small_pool) == 2
    finally:
        release.set()
        holders.join(WAIT)
    with small_pool._connection():
        assert small_pool._query("SELECT 1") == [(1,)]
    assert open_connections(small_pool) <= 2


def open_connections(archive: Archive) -> int:
    if isinstance(archive, SqliteArchive):
        return archive._readers.open_count
    assert isinstance(archive, PostgresArchive)
    size: int = archive._pool.get_stats()["pool_size"]
    return size


def test_a_pool_of_no_connections_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="at least one connection"):
        open_archive(f"sqlite://{tmp_path / 'a.db'}", pool_size=0)


def test_closing_an_sqlite_archive_closes_every_connection(tmp_path: Path) -> None:
    archive = open_archive(f"sqlite://{tmp_path / 'archive.db'}", pool_size=3)
    assert isinstance(archive, SqliteArchive)
    archive.store(record(1), lines(1, 3))
    release = threading.Event()
    started = threading.Barrier(3, timeout=WAIT)
    lent: list[Any] = []

    def hold() -> None:
        with archive._connection():
            lent.append(archive._conn)
            started.wait()
            release.wait(WAIT)
            archive._query("SELECT 1")  # still usable until its block ends

    idle_and_writer = [*archive._readers._idle, *archive._writer._idle]
    holders = [threading.Thread(target=hold) for _ in range(2)]
    for holder in holders:
        holder.start()
    started.wait()
    archive.close()  # while two readers are lent
    with pytest.raises(ArchiveError, match="closed"):
        archive.list_series()
    release.set()
    for holder in holders:
        holder.join(WAIT)
    for conn in [*idle_and_writer, *lent]:
        with pytest.raises(Exception, match="closed"):
            conn.execute("SELECT 1")
    assert archive._readers.open_count == archive._writer.open_count == 0
    assert sqlite_path(archive.url) is not None


def test_closing_a_postgresql_archive_closes_every_connection(postgres_url: str) -> None:
    url = f"{postgres_url}&application_name=gavel_pool_test"
    archive = open_archive(url, pool_size=3)
    release = threading.Event()
    started = threading.Barrier(4, timeout=WAIT)
    threads = [threading.Thread(target=hold_reader(archive, started, release)) for _ in range(3)]
    for thread in threads:
        thread.start()
    started.wait()
    assert server_connections(postgres_url, "gavel_pool_test", 3) == 3
    release.set()
    for thread in threads:
        thread.join(WAIT)
    archive.close()
    assert server_connections(postgres_url, "gavel_pool_test", 0) == 0
    with pytest.raises(ArchiveError, match="closed"):
        archive.list_series()


def server_connections(url: str, application: str, expected: int) -> int:
    """The connections the server has open for ``application``, once that is ``expected`` (a closed connection
    leaves pg_stat_activity a moment later) or after ``WAIT`` seconds."""
    deadline = datetime.now(UTC) + timedelta(seconds=WAIT)
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            [(count,)] = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application,)
            ).fetchall()
            if count == expected or datetime.now(UTC) > deadline:
                return int(count)
            threading.Event().wait(0.05)


def test_a_postgresql_archive_keeps_a_bounded_number_of_statements(postgres_url: str) -> None:
    # (each shape of search is a statement text of its own: a long-running server must not keep them all)
    with open_archive(postgres_url) as archive:
        assert isinstance(archive, PostgresArchive)
        with archive._connection():
            for n in range(SQL_CACHE_SIZE + 10):
                assert archive._query(f"SELECT ?::integer + {n}", (1,)) == [(n + 1,)]
        assert len(archive._sql_cache) <= SQL_CACHE_SIZE
