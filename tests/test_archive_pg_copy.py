"""The COPY data of log lines built in one pass (storage/archive/pg_copy.py) held equal to its reference: psycopg's
``write_row`` of each row with ``tokens.tsvector_of``. The same rows loaded both ways into a real PostgreSQL read back
the same, and the fast ``tsvector`` literal equals the reference for every token string."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gavel.storage.archive import open_archive
from gavel.storage.archive.pg_copy import COPY_LINES, QUICK_POSITIONS, copy_text, escaped, positioned
from gavel.storage.archive.spool import LineRow, clean, from_micros
from gavel.storage.archive.tokens import MAX_LENGTH, tokens, tsvector_of

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)  # (exact: micros() rounds a float)
_LAST = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_KINDS = st.sampled_from(["message", "action", "notice", "event"])
_TOKEN = st.text(st.characters(categories=["Ll", "Lo", "Nd"]), min_size=1, max_size=8)


@given(st.text())
@example("the cat and the hat")
@example("")
@example("   x  ")
def test_positions_equal_the_reference_for_any_text(text: str) -> None:
    token_string = " ".join(tokens(text))
    assert positioned(token_string) == tsvector_of(token_string)


@given(st.lists(_TOKEN, max_size=40), st.sampled_from([0, 1, QUICK_POSITIONS - 1, QUICK_POSITIONS + 1, 20_000]))
def test_positions_equal_the_reference_for_many_tokens(found: list[str], extra: int) -> None:
    token_string = " ".join(found + ["w"] * extra)  # past the quick list of positions, and past PostgreSQL's 16,383
    assert positioned(token_string) == tsvector_of(token_string)


def test_values_are_escaped_for_copy() -> None:
    assert escaped("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"
    assert escaped("plain text, 'quoted' \"too\" \b\f\v") == "plain text, 'quoted' \"too\" \b\f\v"


def _rows(draw: st.DrawFn) -> list[LineRow]:
    """Consecutive rows as ``spool.LineRow``: any text (tabs, line ends, backslashes, controls, any script)."""
    count = draw(st.integers(1, 8))
    first_number = draw(st.integers(0, 2**40))
    rows: list[LineRow] = []
    moment = draw(st.integers(_FIRST, _LAST - 10**9))
    for number in range(first_number, first_number + count):
        moment += draw(st.sampled_from([0, 0, 1, 1_000_000, 123_456]))  # repeated times, fractions of a second
        nick, text = clean(draw(st.text(max_size=12))), clean(draw(st.text(max_size=60)))
        found = tokens(text)
        rows.append((number, moment, draw(_KINDS), nick, text, " ".join(found), min(len(found), MAX_LENGTH)))
    return rows


rows_strategy = st.composite(_rows)


def first_id(meeting_id: int) -> int:
    """The id of a meeting's first line (the ids are written too; each meeting's apart, read back less this)."""
    return meeting_id * 1_000_000


@pytest.fixture
def lines_table(postgres_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection to a fresh archive's schema (its ``log_lines`` table, empty)."""
    with open_archive(postgres_url):
        pass
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        yield conn


def _reference_copy(conn: psycopg.Connection[tuple[object, ...]], meeting_id: int, rows: Sequence[LineRow]) -> None:
    """What ``PostgresArchive._insert_lines`` wrote before pg_copy: a ``write_row`` per row."""
    with conn.cursor() as cursor, cursor.copy(COPY_LINES) as copy:
        for line_id, (number, when, kind, nick, text, found, size) in enumerate(rows, first_id(meeting_id)):
            copy.write_row((meeting_id, number, from_micros(when), kind, nick, text, tsvector_of(found), size, line_id))


def _fast_copy(conn: psycopg.Connection[tuple[object, ...]], meeting_id: int, rows: Sequence[LineRow]) -> None:
    with conn.cursor() as cursor, cursor.copy(COPY_LINES) as copy:
        copy.write(copy_text(meeting_id, rows, first_id(meeting_id)))


def _stored(conn: psycopg.Connection[tuple[object, ...]], meeting_id: int) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT number, time, kind, nick, text, tsv::text, text_length, id - %s FROM log_lines WHERE meeting_id = %s "
        "ORDER BY number",
        (first_id(meeting_id), meeting_id),
    ).fetchall()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy())
@example(rows=[(1, 0, "message", "ni\tck", "a\\tb \\. c\td\ne\rf \\N", "a tb c d e f n", 7)])
@example(rows=[(1, 0, "message", "n", "\\.", "", 0), (2, 1, "message", "\\", "\\N", "n", 1)])
@example(
    rows=[(1, _FIRST, "message", "n", "", "", 0), (2, -1, "event", "n", "", "", 0), (3, _LAST, "action", "", "", "", 0)]
)
def test_copy_text_stores_what_write_row_stores(
    lines_table: psycopg.Connection[tuple[object, ...]], rows: list[LineRow]
) -> None:
    conn = lines_table
    _reference_copy(conn, 1, rows)
    _fast_copy(conn, 2, rows)
    try:
        reference = _stored(conn, 1)
        assert _stored(conn, 2) == reference
        assert [row[0] for row in reference] == [row[0] for row in rows]  # every row, once
        assert [row[1] for row in reference] == [from_micros(row[1]) for row in rows]
        assert [(row[3], row[4]) for row in reference] == [(row[3], row[4]) for row in rows]
    finally:
        conn.execute("DELETE FROM log_lines")


def test_copy_text_writes_positions_postgresql_keeps(lines_table: psycopg.Connection[tuple[object, ...]]) -> None:
    """A line of 20,000 tokens: positions past 16,383 are 16,383, a lexeme keeps 256 of them (as with the
    reference literal); a batch of several meetings' rows keeps each meeting's id."""
    conn = lines_table
    long_line = " ".join(["x"] * 20_000 + ["y"])
    rows: list[LineRow] = [(1, 0, "message", "n", long_line, " ".join(tokens(long_line)), MAX_LENGTH)]
    _reference_copy(conn, 1, rows)
    _fast_copy(conn, 2, rows)
    _fast_copy(conn, 3, [(5, 0, "message", "n", "hello", "hello", 1)])
    assert _stored(conn, 2) == _stored(conn, 1)
    vector = conn.execute("SELECT tsv::text FROM log_lines WHERE meeting_id = 2").fetchone()
    assert vector is not None and "'y':16383" in str(vector[0])
    assert conn.execute("SELECT meeting_id, number, tsv::text FROM log_lines WHERE meeting_id = 3").fetchall() == [
        (3, 5, "'hello':1")
    ]
