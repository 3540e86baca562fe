"""A pooled PostgreSQL connection is checked with a round trip before it is lent only when it may have gone
(gavel/storage/archive/pg_idle_check.py): one the server ended is still never lent, one idle too long is checked,
one given back just now is lent as it is."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from gavel.storage.archive import open_archive
from gavel.storage.archive.pg_idle_check import IdleCheck, readable
from gavel.storage.archive.postgres import PostgresArchive

pytestmark = pytest.mark.servers


@pytest.fixture
def archive(postgres_url: str) -> Iterator[PostgresArchive]:
    with open_archive(postgres_url, pool_size=1) as opened:
        assert isinstance(opened, PostgresArchive)
        yield opened


def backend_pid(archive: PostgresArchive) -> int:
    with archive._connection():
        pid: int = archive._query("SELECT pg_backend_pid()")[0][0]
    return pid


def test_a_connection_given_back_just_now_is_lent_without_a_round_trip(archive: PostgresArchive) -> None:
    first = backend_pid(archive)
    checked = archive._idle_check.checked
    for _ in range(5):
        assert archive.list_series() == [] and backend_pid(archive) == first
    assert archive._idle_check.checked == checked


def test_a_connection_the_server_ended_is_replaced_not_lent(archive: PostgresArchive, postgres_url: str) -> None:
    first = backend_pid(archive)
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (first,)).fetchone() == (True,)
        for _ in range(100):  # until the backend is gone
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (first,)).fetchall():
                break
            time.sleep(0.05)
    checked = archive._idle_check.checked
    assert archive.list_series() == []  # no error: the ended connection was checked and replaced
    assert archive._idle_check.checked > checked
    assert backend_pid(archive) != first


def test_a_connection_idle_too_long_is_checked(postgres_url: str) -> None:
    now = [0.0]
    check = IdleCheck(seconds=10.0, clock=lambda: now[0])
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        check.check(conn)  # never given back yet: checked
        assert check.checked == 1
        check.given_back(conn)
        now[0] = 10.0
        check.check(conn)
        assert check.checked == 1 and not readable(conn)
        now[0] = 10.5
        check.check(conn)
        assert check.checked == 2


def test_blocks_one_after_another_use_one_connection(postgres_url: str) -> None:
    """A connection is back in the pool as its block ends (given back on a pool's worker thread, as its ``reset``
    callback made it, the next block often found none free, and the pool opened more)."""
    with open_archive(postgres_url, pool_size=4) as archive:
        assert isinstance(archive, PostgresArchive)
        for _ in range(20):  # (the pool's start: its first connection opened in the background)
            backend_pid(archive)
        archive._pool.pop_stats()
        for _ in range(200):
            backend_pid(archive)
        stats = archive._pool.pop_stats()
        assert stats.get("requests_queued", 0) == 0  # no block waited for a connection to come back
        assert stats.get("connections_num", 0) == 0  # none opened


def test_without_poll_a_connection_is_checked_not_failed(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the socket cannot be polled (no ``select.poll``), the round trip decides: a check that raised left the
    healthy connection in the pool, and every block waited for it until it had been idle too long."""
    check = IdleCheck(seconds=10.0, clock=lambda: 0.0)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        check.given_back(conn)
        check.check(conn)
        assert check.checked == 0  # (polled: nothing to read)
        monkeypatch.delattr("select.poll")
        check.check(conn)
        assert check.checked == 1


def test_a_closed_connection_is_readable(postgres_url: str) -> None:
    conn = psycopg.connect(postgres_url, autocommit=True)
    conn.close()
    assert readable(conn)
