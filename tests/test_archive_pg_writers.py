"""Two PostgreSQL writers storing meetings again at once: each locks the rows of the blocks of line ids it writes
into or leaves dead lines in (``line_blocks``), in ascending order, so neither is aborted by a deadlock, and every
meeting ends with its own lines, once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta

import psycopg
import pytest

from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import MeetingRecord, SearchQuery, open_archive
from gavel.storage.archive.postgres import PostgresArchive
from gavel.storage.archive.spool import LineRow
from test_archive_postings import START, both_ways, near_a_block_end, record

pytestmark = pytest.mark.servers

ROUNDS = 8


@pytest.fixture
def writers(postgres_url: str) -> Iterator[tuple[PostgresArchive, PostgresArchive]]:
    with open_archive(postgres_url) as first, open_archive(postgres_url) as second:
        assert isinstance(first, PostgresArchive) and isinstance(second, PostgresArchive)
        yield first, second


def lines(tag: str, count: int) -> list[LogLine]:
    return [
        LogLine(n, START + timedelta(seconds=n), LineKind.MESSAGE, "alice", f"the {tag} line {n}")
        for n in range(1, count + 1)
    ]


def waiting_on_a_lock(url: str) -> bool:
    """Whether a session of the database waits for a lock (a row's), within 10 s."""
    with psycopg.connect(url, autocommit=True) as pg:
        for _ in range(1000):
            row = pg.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if row is not None and row[0] > 0:
                return True
            time.sleep(0.01)
    return False


def store_again(
    archive: PostgresArchive,
    meeting: MeetingRecord,
    tag: str,
    count: int,
    after: threading.Event | None,
    failures: list[BaseException],
) -> None:
    """Store ``meeting`` again with ``count`` new lines (after ``after`` is set); an error goes into ``failures``."""
    try:
        if after is not None:
            assert after.wait(timeout=30)
        archive.store(meeting, lines(tag + "'", count))
    except BaseException as error:
        failures.append(error)


def test_two_writers_storing_meetings_again_do_not_deadlock(
    writers: tuple[PostgresArchive, PostgresArchive], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each round: meeting "y" has lines in a block B, meeting "x" lines in B and in the next block C (the one new ids
    # go into). Stored again at once: y's writer leaves dead lines in B (its row locked), then x's writer leaves dead
    # lines in B and C, then y's writes its new lines into C. Locked in no fixed order, x holding C while it waits
    # for B is a deadlock (PostgreSQL aborts one of them); in ascending order x waits for B holding nothing.
    first, second = writers
    y_deleted = threading.Event()
    waited: list[bool] = []  # (whether x's writer was seen waiting for a block's lock, each round)
    delete_lines, insert_lines = second._delete_lines, second._insert_lines

    def deleted(meeting_id: int) -> None:
        delete_lines(meeting_id)
        y_deleted.set()

    def inserted(meeting_id: int, rows: Sequence[LineRow]) -> None:
        if y_deleted.is_set():  # (x's writer is then stuck in its dead lines; else it is done)
            waited.append(waiting_on_a_lock(first.url))
        insert_lines(meeting_id, rows)

    monkeypatch.setattr(second, "_delete_lines", deleted)
    monkeypatch.setattr(second, "_insert_lines", inserted)
    expected: dict[str, list[str]] = {}
    for round_ in range(ROUNDS):
        x, y = f"x{round_}", f"y{round_}"
        near_a_block_end(first, 4)
        first.store(record(y, round_), lines(y, 2))  # (the last two ids of block B)
        first.store(record(x, round_), lines(x, 4))  # (two ids in B, two in C)
        y_deleted.clear()
        failures: list[BaseException] = []

        threads = [
            threading.Thread(target=store_again, args=(second, record(y, round_), y, 5, None, failures)),
            threading.Thread(target=store_again, args=(first, record(x, round_), x, 3, y_deleted, failures)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert failures == [], (round_, failures)
        expected[x] = [line.text for line in lines(x + "'", 3)]
        expected[y] = [line.text for line in lines(y + "'", 5)]
    assert any(waited), waited  # (else no round took its locks in the order that deadlocked)
    with psycopg.connect(first.url) as pg:
        stored = pg.execute(
            "SELECT s.name, l.text FROM log_lines l JOIN meetings m ON m.id = l.meeting_id "
            "JOIN series s ON s.id = m.series_id ORDER BY s.name, l.number"
        ).fetchall()
    found: dict[str, list[str]] = {}
    for name, text in stored:
        found.setdefault(name, []).append(text)
    assert found == expected  # (no meeting lost, none with another's lines or its old ones, none twice)
    for query in (SearchQuery("the"), SearchQuery("line", series="x0"), SearchQuery('"y1 line"')):
        fast, reference = both_ways(first, query)
        assert fast == reference, query
    assert first.search(SearchQuery("line")).total == sum(map(len, expected.values()))
