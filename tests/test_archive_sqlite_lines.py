"""The SQLite writer's multi-row inserts of log lines (storage/archive/sqlite_lines.py) held equal to their reference, a
statement a row: the same ``log_lines`` rows and the same full-text index (every token's row, column and position,
read through ``fts5vocab``), for any rows and any number of rows a statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.storage.archive import open_archive
from gavel.storage.archive.spool import LineRow, clean
from gavel.storage.archive.sqlite_lines import (
    PARAMETERS_AT_MOST,
    ROWS_PER_INSERT,
    insert_lines,
    insert_lines_plain,
    insert_rows,
    insert_rows_plain,
    line_statement,
    values_statement,
)
from gavel.storage.archive.tokens import MAX_LENGTH, tokens

_KINDS = st.sampled_from(["message", "action", "notice", "event"])
_WORDS = st.sampled_from(["the", "Café", "getUser", "42", "李雷", "x_y", "—", "👍", "", "a\tb"])
_FAST, _PLAIN = 3, 5  # the meetings written each way


@st.composite
def line_rows(draw: st.DrawFn) -> list[LineRow]:
    """Consecutive rows as ``spool.LineRow`` (any text; texts without tokens too)."""
    count = draw(st.integers(0, 3 * 7 + 2))
    first = draw(st.integers(0, 2**32 - count - 1))
    moment = draw(st.integers(-(10**15), 10**17))
    rows: list[LineRow] = []
    for number in range(first, first + count):
        moment += draw(st.sampled_from([0, 1, 1_000_000]))
        nick = clean(draw(st.text(max_size=10)))
        text = clean(draw(st.one_of(st.text(max_size=40), st.lists(_WORDS, max_size=12).map(" ".join))))
        found = tokens(text)
        rows.append((number, moment, draw(_KINDS), nick, text, " ".join(found), min(len(found), MAX_LENGTH)))
    return rows


@pytest.fixture(scope="module")
def writer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """A connection to a fresh archive's file (its schema; each example's rows are rolled back)."""
    path = tmp_path_factory.mktemp("lines") / "archive.db"
    with open_archive(f"sqlite://{path}"):
        pass
    conn = sqlite3.connect(Path(path), isolation_level=None)
    yield conn
    conn.close()


def stored(conn: sqlite3.Connection, meeting_id: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """A meeting's ``log_lines`` rows and index entries, their ids less the meeting's first id."""
    base = meeting_id << 32
    rows = conn.execute(
        "SELECT id - ?, time, kind, nick, text, text_length FROM log_lines WHERE id >> 32 = ? ORDER BY id",
        (base, meeting_id),
    ).fetchall()
    index = conn.execute(
        "SELECT term, doc - ?, col, offset FROM temp.entries WHERE doc >> 32 = ? ORDER BY doc, col, offset, term",
        (base, meeting_id),
    ).fetchall()
    return rows, index


@settings(max_examples=150, deadline=None)
@given(line_rows(), st.integers(1, 7))
def test_multi_row_inserts_store_what_a_row_per_statement_stores(
    writer: sqlite3.Connection, rows: list[LineRow], per_insert: int
) -> None:
    writer.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.entries USING fts5vocab(main, log_lines_fts, 'instance')")
    writer.execute("BEGIN")
    try:
        insert_lines(writer, _FAST << 32, rows, per_insert)
        insert_lines_plain(writer, _PLAIN << 32, rows)
        fast, plain = stored(writer, _FAST), stored(writer, _PLAIN)
    finally:
        writer.execute("ROLLBACK")
    assert fast == plain
    assert len(fast[0]) == len(rows)
    assert {entry[1] for entry in fast[1]} == {row[0] for row in rows}  # every line indexed (its length token)


def test_the_statement_binds_each_rows_fields() -> None:
    assert line_statement(2).endswith("VALUES (?2 + ?1, ?3, ?4, ?5, ?6, ?8), (?9 + ?1, ?10, ?11, ?12, ?13, ?15)")
    assert ROWS_PER_INSERT * 7 + 1 <= PARAMETERS_AT_MOST  # the lowest default limit of parameters a statement


_ITEMS_HEAD = (
    "INSERT INTO items (id, meeting_id, position, kind, text, nick, time, line, topic, corrected_from, "
    "timebox_minutes, minutes_spent, text_length)"
)
_MEETINGS = [(_FAST,), (_PLAIN,)]


@st.composite
def item_rows(draw: st.DrawFn) -> list[tuple[object, ...]]:
    """Rows of ``items`` but for their id and meeting (any text, times, NULLs)."""
    count = draw(st.integers(0, 3 * 4 + 3))
    optional_text = st.none() | st.text(max_size=8)
    return [
        (
            position,
            draw(st.sampled_from(["info", "action", "topic", "agreed"])),
            draw(st.text(max_size=20)),
            draw(st.text(max_size=8)),
            draw(st.integers(-(2**62), 2**62)),
            draw(st.integers(0, 2**32)),
            draw(optional_text),
            draw(optional_text),
            draw(st.none() | st.integers(0, 600)),
            draw(st.none() | st.floats(0, 1e6)),
            draw(st.integers(0, MAX_LENGTH)),
        )
        for position in range(count)
    ]


@settings(max_examples=100, deadline=None)
@given(item_rows(), st.integers(1, 5))
def test_multi_row_inserts_of_items_store_what_a_row_per_statement_stores(
    writer: sqlite3.Connection, rows: list[tuple[object, ...]], per_insert: int
) -> None:
    writer.execute("BEGIN")
    try:
        writer.executemany(
            "INSERT INTO meetings (id, series_id, channel, owner, chairs, started_at, unfinished, restricted, "
            "log_basename, line_count, stored_at) VALUES (?, 1, '#c', 'o', '[]', ?, 0, 0, 'b', 0, 0)",
            [(meeting_id, meeting_id) for (meeting_id,) in _MEETINGS],
        )
        writer.execute("INSERT OR IGNORE INTO series (id, name) VALUES (1, 's')")
        insert_rows(writer, _ITEMS_HEAD, 13, [(1000 + n, _FAST, *row) for n, row in enumerate(rows)], per_insert)
        insert_rows_plain(writer, _ITEMS_HEAD, 13, [(2000 + n, _PLAIN, *row) for n, row in enumerate(rows)])
        read = "SELECT * FROM items WHERE meeting_id = ? ORDER BY id"
        fast = [row[2:] for row in writer.execute(read, (_FAST,))]
        plain = [row[2:] for row in writer.execute(read, (_PLAIN,))]
    finally:
        writer.execute("ROLLBACK")
    assert fast == plain
    assert len(fast) == len(rows)


def test_a_values_statement_numbers_each_rows_parameters() -> None:
    assert values_statement("INSERT INTO t (a, b)", 2, 2) == "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4)"
