"""Writing log lines into SQLite: the ``log_lines`` rows many a statement, then their full-text entries.

A statement of ``executemany`` runs once per row: SQLite's virtual machine starts and stops, Python's ``sqlite3``
releases and takes the GIL, and SQLite enters its mutexes, for every row. So the rows of ``log_lines`` go in as
multi-row ``VALUES`` statements of :data:`ROWS_PER_INSERT` rows (the rest, fewer, one a statement), each bound with
the spooled rows as they are, flattened: parameter ``?1`` is the meeting's first id, and row ``k`` of the statement
is parameters ``?(7k + 2)`` to ``?(7k + 8)`` (``spool.LineRow``'s seven fields). The statements' texts never
change, so SQLite compiles each once per connection. The full-text entries still go in a row a statement: SQLite
copies the rows of a multi-row insert into a virtual table to a temporary table first, which cost more than it saved
(measured: docs/performance.md, branch busy-import). :func:`insert_lines_plain` is the reference (a row a statement,
as before); a test holds both to the same rows and index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import cache
from itertools import chain

from gavel.storage.archive.spool import LineRow
from gavel.storage.archive.tokens import LENGTH_MARK

ROWS_PER_INSERT = 64  # rows in one statement (7 parameters each): see docs/performance.md, branch busy-import
PARAMETERS_AT_MOST = 999
"""The parameters one statement may have in any SQLite (the default limit before 3.32; 32,766 since)."""
_FIELDS = 7  # a LineRow's fields: number, time, kind, nick, text, tokens, length


def _line_values(k: int) -> str:
    """Row ``k``'s values for ``log_lines`` (``id``, ``time``, ``kind``, ``nick``, ``text``, ``text_length``)."""
    at = _FIELDS * k + 1  # parameter ?(at + 1) is the row's number
    return f"(?{at + 1} + ?1, ?{at + 2}, ?{at + 3}, ?{at + 4}, ?{at + 5}, ?{at + 7})"


@cache
def line_statement(rows: int) -> str:
    """The statement inserting ``rows`` lines into ``log_lines``."""
    values = ", ".join(_line_values(k) for k in range(rows))
    return f"INSERT INTO log_lines (id, time, kind, nick, text, text_length) VALUES {values}"  # noqa: S608 -- numbers


def insert_lines(
    conn: sqlite3.Connection, base: int, rows: Sequence[LineRow], per_insert: int = ROWS_PER_INSERT
) -> None:
    """Insert ``rows`` (one meeting's, ``base`` its first id) and index them: ``per_insert`` rows a statement into
    ``log_lines``, the rest one a statement, then the index entries. The same rows and index entries as
    :func:`insert_lines_plain`, in the same order."""
    whole = len(rows) - len(rows) % per_insert
    if whole:
        conn.executemany(
            line_statement(per_insert),
            [[base, *chain.from_iterable(rows[at : at + per_insert])] for at in range(0, whole, per_insert)],
        )
    if whole < len(rows):
        conn.executemany(line_statement(1), [(base, *row) for row in rows[whole:]])
    index_lines(conn, base, rows)


def index_lines(conn: sqlite3.Connection, base: int, rows: Sequence[LineRow]) -> None:
    """The full-text entries of ``rows``: the text's tokens, then the length token (a leading space, when there
    are no tokens, is no token); the nick as it is (FTS5 splits it: see ``sqlite._nick_match``). (Only the fields
    used: binding the rows whole, with their texts, was measured slower than making these tuples.)"""
    conn.executemany(
        "INSERT INTO log_lines_fts (rowid, text, nick) "  # noqa: S608 -- base is an int
        f"VALUES (?1 + {base:d}, ?2 || ' {LENGTH_MARK}' || ?3, ?4)",
        [(number, found, size, nick) for number, _when, _kind, nick, _text, found, size in rows],
    )


def insert_lines_plain(conn: sqlite3.Connection, base: int, rows: Sequence[LineRow]) -> None:
    """The reference of :func:`insert_lines`: each row by a statement of its own (as stored until the branch
    busy-import), then the same index entries."""
    conn.executemany(
        "INSERT INTO log_lines (id, time, kind, nick, text, text_length) "  # noqa: S608 -- base is an int
        f"VALUES (?1 + {base:d}, ?2, ?3, ?4, ?5, ?7)",
        rows,
    )
    index_lines(conn, base, rows)


@cache
def values_statement(head: str, width: int, rows: int) -> str:
    """``head`` (``INSERT INTO table (columns)``) with ``rows`` rows of ``width`` numbered parameters each."""
    values = ", ".join("(" + ", ".join(f"?{k * width + j}" for j in range(1, width + 1)) + ")" for k in range(rows))
    return f"{head} VALUES {values}"


def insert_rows(
    conn: sqlite3.Connection, head: str, width: int, rows: Sequence[Sequence[object]], per_insert: int = ROWS_PER_INSERT
) -> None:
    """``rows`` (each of ``width`` values) inserted by ``head`` (``INSERT INTO table (columns)``, a real table, not
    a virtual one), ``per_insert`` a statement (fewer when they would bind more than :data:`PARAMETERS_AT_MOST`) and
    the rest one a statement: what :func:`insert_rows_plain` does."""
    per_insert = max(1, min(per_insert, PARAMETERS_AT_MOST // width))
    whole = len(rows) - len(rows) % per_insert
    if whole:
        conn.executemany(
            values_statement(head, width, per_insert),
            [list(chain.from_iterable(rows[at : at + per_insert])) for at in range(0, whole, per_insert)],
        )
    if whole < len(rows):
        conn.executemany(values_statement(head, width, 1), rows[whole:])


def insert_rows_plain(conn: sqlite3.Connection, head: str, width: int, rows: Sequence[Sequence[object]]) -> None:
    """The reference of :func:`insert_rows`: a row a statement."""
    conn.executemany(f"{head} VALUES ({', '.join('?' * width)})", rows)
