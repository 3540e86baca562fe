"""Copying a whole archive into another one, row by row, between any two backends (``gavel migrate``).

Every row keeps its id (meetings, items, actions, votes, series), so links, feed entries and API ids stay the
same. Log lines and minutes items reach the target through its own writer hooks (``_insert_lines``,
``_index_items``), which build its search index as ``store`` does; nothing else of the search index is copied.

- The source is read in one read-only snapshot (SQLite: a read transaction on a reader connection; PostgreSQL:
  ``REPEATABLE READ``): a web server may go on reading it, and what a bot stores meanwhile is not copied (nor half
  copied).
- The target is written in one transaction and the counts of every copied table are compared before it commits:
  an interrupted or failed copy leaves the target as it was, and running it again starts over.
- Memory is bounded: log lines go in pages of :data:`LINE_BATCH`, minutes one meeting at a time.
- A target that holds meetings is refused unless ``replace`` (its meetings, series and web state are then deleted
  in the same transaction). A table or column this code does not know, on either side, is refused too: an
  archive from a newer gavel (or a schema change not taught here) is never copied in part.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from gavel.storage.archive import sqlite_path
from gavel.storage.archive.base import Archive
from gavel.storage.archive.database import Database, Row, redact
from gavel.storage.archive.model import ArchiveError
from gavel.storage.archive.spool import LineRow, micros
from gavel.storage.archive.sqlite_web import web_state_path
from gavel.storage.archive.tokens import length, tokens
from gavel.storage.archive.web_state import WebState

LINE_BATCH = 5000
"""Log lines read and written per statement."""


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


@dataclass(frozen=True)
class Table:
    """A table copied column for column: which columns hold times (converted between the backends' time types)
    and truth values (SQLite stores 0/1, PostgreSQL booleans)."""

    name: str
    columns: tuple[str, ...]
    times: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    index_columns: frozenset[str] = frozenset()  # written by the target's own index hooks, never copied

    def select(self, where: str) -> str:
        return f"SELECT {', '.join(self.columns)} FROM {self.name} {where}"  # noqa: S608 -- fixed names

    def insert(self) -> str:
        marks = ", ".join("?" * len(self.columns))
        return f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks})"  # noqa: S608


SERIES = Table("series", ("id", "name"))
MEETINGS = Table(
    "meetings",
    _columns(
        "id series_id channel network title owner chairs started_at ended_at unfinished restricted log_basename "
        "line_count stored_at first_line_at last_line_at runtime_id started_by attendance_taken"
    ),
    times=frozenset({"started_at", "ended_at", "stored_at", "first_line_at", "last_line_at"}),
    flags=frozenset({"unfinished", "restricted", "attendance_taken"}),
)
ITEMS = Table(
    "items",
    _columns("id meeting_id position kind text nick time line topic corrected_from timebox_minutes minutes_spent"),
    times=frozenset({"time"}),
    index_columns=frozenset({"text_length", "tsv"}),
)
# done_in names a meeting that may be copied later: it is set once every meeting is in (see _copy_done_in)
ACTIONS = Table("actions", ("id", "item_id", "meeting_id", "status", "done_at"), times=frozenset({"done_at"}))
ACTION_OWNERS = Table("action_owners", ("action_id", "position", "nick"))
VOTES = Table(
    "votes",
    ("id", "meeting_id", "position", "question", "options", "results", "nick", "time", "ended_at", "line"),
    times=frozenset({"time", "ended_at"}),
)
PEOPLE = Table("people", ("meeting_id", "position", "nick", "lines", "also_known_as"))
AGENDA = Table(
    "agenda",
    _columns("meeting_id number title proposer status taken_at closed_at minutes_spent timebox_minutes line added_at"),
    times=frozenset({"taken_at", "closed_at", "added_at"}),
)
ATTENDANCE = Table("attendance", ("meeting_id", "status", "position", "nick"))
LINE_RELATIONS = Table("line_relations", ("meeting_id", "number", "relation", "refers_to"))
WEB_SECRETS = Table("web_secrets", ("name", "value"))
WEB_SESSIONS = Table("web_sessions", ("key_hash", "expires_at"))

MINUTES = (ITEMS, ACTIONS, VOTES, PEOPLE, AGENDA, ATTENDANCE, LINE_RELATIONS)
"""A meeting's tables (each has ``meeting_id``), in the order they are written."""
COPIED = (SERIES, MEETINGS, *MINUTES, ACTION_OWNERS)
"""The archive's own tables copied (the log lines apart)."""
WEB_TABLES = (WEB_SECRETS, WEB_SESSIONS)
"""The web state copied, through each archive's ``web_state()`` (PostgreSQL: the archive's own database, in the
copy's transaction; SQLite: a file of its own beside the archive, in a transaction of its own, with upserts so a
rerun adds nothing twice)."""
LOG_LINE_COLUMNS = frozenset({"id", "meeting_id", "number", "time", "kind", "nick", "text", "text_length", "tsv"})
"""Every column a backend's ``log_lines`` has (read through ``_line_page``, written through ``_insert_lines``)."""
DROPPED = ("web_login_failures",)
"""Tables not copied: the recent wrong sign-ins (a throttle's memory of minutes)."""
EXTRA_COLUMNS = {"actions": frozenset({"done_in"})}
"""Columns copied apart from their table's rows."""
INTERNAL_TABLES = (
    "gavel_schema",
    "search_words",
    "log_lines_fts",
    "items_fts",
    "line_postings",
    "line_posting_lists",
    "line_blocks",
    "line_spans",
    "sqlite_",
)
"""Tables (by name or prefix) of the schema version and of a backend's search index: never copied."""
EMPTIED_ON_REPLACE = (
    "action_owners",
    "actions",
    "attendance",
    "agenda",
    "line_relations",
    "people",
    "votes",
    "items",
    "meetings",
)


@dataclass
class MigrationReport:
    """What a copy wrote: rows per table (``log_lines`` included), the tables left out and their rows."""

    copied: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    replaced_meetings: int = 0  # meetings the target held before (with ``replace``)
    seconds: float = 0.0

    @property
    def lines(self) -> int:
        return self.copied.get("log_lines", 0)


Progress = Callable[[int, int, int], None]
"""Called after each meeting: meetings copied, meetings in all, log lines copied."""


def migrate_archive(
    source: Archive, target: Archive, *, replace: bool = False, on_meeting: Progress | None = None
) -> MigrationReport:
    """Copy every meeting (minutes, log lines, actions and their status, restricted flags), every series and the
    web server's signing key and sessions from ``source`` into ``target``; what was copied.

    Raises :class:`ArchiveError` (and writes nothing) when the two are the same database, when ``target`` holds
    meetings and ``replace`` is false, when either has a table or column this code does not copy, or when the
    counts read back from the target differ from the source's.
    """
    if _identity(source) == _identity(target):
        raise ArchiveError(f"{redact(source.url)} and {redact(target.url)} are the same archive")
    started = time.monotonic()
    report = MigrationReport()
    for archive in (source, target):
        _check_schema(archive)
    with _snapshot(source), target._transaction():
        held = _count(target, "meetings") + _count(target, "series")
        if held and not replace:
            raise ArchiveError(
                f"the target archive {redact(target.url)} is not empty ({_count(target, 'meetings')} meetings): "
                "migrate into a new, empty archive, or pass --replace to delete what it holds first"
            )
        if held:
            report.replaced_meetings = _empty(target)
        _copy_table(source, target, SERIES)
        with _indexes_built_after(target):
            _copy_meetings(source, target, on_meeting)
        _copy_done_in(source, target)
        web = _copy_web_state(source, target)
        _restart_ids(target)
        report.copied = {**_verify(source, target), **web}
        report.dropped = _dropped(source)
    report.seconds = time.monotonic() - started
    return report


def _source_web(source: Archive) -> WebState | None:
    """The source's web state; none for an SQLite archive that never had one (reading it must not make the file)."""
    path = sqlite_path(source.url)
    if path is not None and str(path) != ":memory:" and not web_state_path(path).exists():
        return None
    return source.web_state()


def _copy_web_state(source: Archive, target: Archive) -> dict[str, int]:
    """The signing key and sessions, upserted (a key the target made for itself gives way to the source's); the
    rows copied per table."""
    read = _source_web(source)
    if read is None:
        return {table.name: 0 for table in WEB_TABLES}
    write = target.web_state()
    copied: dict[str, int] = {}
    with read._connection(), write._transaction():
        for table in WEB_TABLES:
            copied[table.name] = _copy_table(read, write, table, upsert=True)
    return copied


def _dropped(source: Archive) -> dict[str, int]:
    read = _source_web(source)
    if read is None:
        return {name: 0 for name in DROPPED}
    with read._connection():
        return {name: _count(read, name) for name in DROPPED}


def _copy_meetings(source: Archive, target: Archive, on_meeting: Progress | None) -> None:
    meeting_ids = [row[0] for row in source._query("SELECT id FROM meetings ORDER BY id")]
    lines = 0
    for done, meeting_id in enumerate(meeting_ids, 1):
        lines += _copy_meeting(source, target, meeting_id)
        if on_meeting is not None:
            on_meeting(done, len(meeting_ids), lines)


def _is_sqlite(archive: Archive) -> bool:
    return sqlite_path(archive.url) is not None


def _identity(archive: Archive) -> tuple[Any, ...]:
    """What tells two archives apart: the file, or the server, database and schema."""
    path = sqlite_path(archive.url)
    if path is not None:
        return ("memory", id(archive)) if str(path) == ":memory:" else ("sqlite", str(path.resolve()))
    with archive._connection():
        found = archive._query("SELECT current_database(), current_schema(), inet_server_addr(), inet_server_port()")[0]
    return ("postgresql", *(str(value) for value in found))


@contextmanager
def _snapshot(archive: Archive) -> Iterator[None]:
    """Read ``archive`` in one read-only transaction on one connection (a consistent copy while others write)."""
    with archive._connection():
        if not _is_sqlite(archive):
            archive._run("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try:
                yield
            finally:
                archive._run("ROLLBACK")  # it read only
            return
        # read the file, not a map of it: a mapped page read once stays in the process's RSS (up to the whole file)
        mapped = archive._query("PRAGMA mmap_size")[0][0]
        archive._run("PRAGMA mmap_size = 0")
        archive._run("BEGIN")
        try:
            yield
        finally:
            archive._run("ROLLBACK")
            archive._run(f"PRAGMA mmap_size = {int(mapped)}")


@contextmanager
def _indexes_built_after(target: Archive) -> Iterator[None]:
    """PostgreSQL: the secondary indexes of the log lines and items (the GIN search index among them) are dropped for
    the copy and built again from their own definitions at its end, in the same transaction: one bulk build instead
    of an update per row (keys and unique constraints stay, checking every row)."""
    if _is_sqlite(target):
        yield
        return
    found = target._query(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename IN ('log_lines', 'items') AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname AND c.connamespace = to_regnamespace(current_schema())) ORDER BY i.indexname"
    )
    for name, _definition in found:
        target._run(f'DROP INDEX "{name}"')
    yield
    target._run("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in found:
        target._run(definition)


def _tables(archive: Archive) -> dict[str, set[str]]:
    """Every table of the archive and its columns."""
    with archive._connection():
        if _is_sqlite(archive):
            names = [row[0] for row in archive._query("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {
                name: {row[0] for row in archive._query("SELECT name FROM pragma_table_xinfo(?)", (name,))}
                for name in names
            }
        found: dict[str, set[str]] = {}
        for table, column in archive._query(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        ):
            found.setdefault(table, set()).add(column)
        return found


def _check_schema(archive: Archive) -> None:
    """Refuse an archive with a table or column that the copy would leave behind."""
    known = {
        table.name: set(table.columns) | table.index_columns | EXTRA_COLUMNS.get(table.name, set())
        for table in (*COPIED, *WEB_TABLES)  # PostgreSQL keeps the web state in the archive's database
    }
    known["log_lines"] = set(LOG_LINE_COLUMNS)
    unknown: list[str] = []
    for name, columns in sorted(_tables(archive).items()):
        if name.startswith(INTERNAL_TABLES) or name in DROPPED:
            continue
        if name not in known:
            unknown.append(f"table {name}")
        else:
            unknown.extend(f"column {name}.{column}" for column in sorted(columns - known[name]))
    if unknown:
        raise ArchiveError(
            f"archive {redact(archive.url)} has {', '.join(unknown)}, which this gavel's migrate does not copy "
            "(an archive of a newer gavel?): nothing was copied"
        )


def _count(archive: Database, table: str) -> int:
    return int(archive._query(f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608 -- fixed names


def _converter(source: Database, target: Database, table: Table) -> Callable[[Row], tuple[Any, ...]]:
    """Turns a row read from ``source`` into the values ``target`` stores."""
    to_time, from_time = target._to_db_time, source._from_db_time
    steps = [
        (index, "time" if column in table.times else "flag")
        for index, column in enumerate(table.columns)
        if column in table.times or column in table.flags
    ]
    if not steps:
        return tuple

    def convert(row: Row) -> tuple[Any, ...]:
        values = list(row)
        for index, kind in steps:
            value = values[index]
            if value is not None:
                values[index] = to_time(from_time(value)) if kind == "time" else bool(value)
        return tuple(values)

    return convert


def _copy_rows(source: Archive, target: Archive, table: Table, where: str, params: Sequence[Any]) -> None:
    rows = source._query(table.select(where), params)
    if rows:
        target._run_many(table.insert(), [_converter(source, target, table)(row) for row in rows])


def _copy_table(source: Database, target: Database, table: Table, *, upsert: bool = False) -> int:
    """A small table whole (series, the web state); the rows copied."""
    rows = source._query(table.select(""))
    sql = table.insert()
    if upsert:  # the target's own key, made by a server started on it before, gives way to the source's
        key, *rest = table.columns
        sql += f" ON CONFLICT ({key}) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in rest)
    convert = _converter(source, target, table)
    target._run_many(sql, [convert(row) for row in rows])
    return len(rows)


def _copy_meeting(source: Archive, target: Archive, meeting_id: int) -> int:
    """One meeting: its row, minutes, action owners and log lines (indexed by the target); the lines copied."""
    _copy_rows(source, target, MEETINGS, "WHERE id = ?", (meeting_id,))
    for table in MINUTES:
        _copy_rows(source, target, table, "WHERE meeting_id = ? ORDER BY 1, 2", (meeting_id,))
        if table is ITEMS:
            target._index_items(meeting_id)
    _copy_rows(
        source,
        target,
        ACTION_OWNERS,
        "WHERE action_id IN (SELECT id FROM actions WHERE meeting_id = ?) ORDER BY action_id, position",
        (meeting_id,),
    )
    return _copy_lines(source, target, meeting_id)


def _copy_lines(source: Archive, target: Archive, meeting_id: int) -> int:
    plain = _is_sqlite(source)  # its times are microseconds already
    from_time = source._from_db_time
    after, copied = 0, 0
    words: set[str] = set()  # every token of the lines (SQLite lists them for prefix searches)
    while rows := source._line_page(meeting_id, after, LINE_BATCH):
        batch: list[LineRow] = []
        for number, when, kind, nick, text in rows:
            found = tokens(text)
            words.update(found)
            moment = when if plain else micros(from_time(when))
            batch.append((number, moment, kind, nick, text, " ".join(found), length(found)))
        target._insert_lines(meeting_id, batch)
        copied += len(batch)
        after = rows[-1][0]
        if len(rows) < LINE_BATCH:
            break
    target._index_words(words)
    target._finish_lines(meeting_id)
    return copied


def _copy_done_in(source: Archive, target: Archive) -> None:
    """The meeting each done action was done in (every meeting is in the target now)."""
    rows = source._query("SELECT done_in, id FROM actions WHERE done_in IS NOT NULL ORDER BY id")
    target._run_many("UPDATE actions SET done_in = ? WHERE id = ?", rows)


def _empty(target: Archive) -> int:
    """Delete every meeting, series and the web state of ``target`` (``replace``); how many meetings it held."""
    meeting_ids = [row[0] for row in target._query("SELECT id FROM meetings ORDER BY id")]
    for meeting_id in meeting_ids:
        target._unindex_items(meeting_id)
        target._delete_lines(meeting_id)
    for name in (*EMPTIED_ON_REPLACE, "series"):
        target._run(f"DELETE FROM {name}")  # noqa: S608 -- fixed names
    web = target.web_state()
    with web._transaction():  # PostgreSQL: joins the copy's transaction
        for name in (*(table.name for table in WEB_TABLES), *DROPPED):
            web._run(f"DELETE FROM {name}")  # noqa: S608 -- fixed names
    return len(meeting_ids)


def _restart_ids(target: Archive) -> None:
    """PostgreSQL: each identity column goes on after the highest id copied (SQLite takes the highest + 1)."""
    if _is_sqlite(target):
        return
    for name in ("series", "meetings", "items", "actions", "votes"):
        target._query(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"  # noqa: S608
        )


def _verify(source: Archive, target: Archive) -> dict[str, int]:
    """The rows of every copied table, the same on both sides (else an ArchiveError: the transaction rolls back)."""
    counts: dict[str, int] = {}
    wrong: list[str] = []
    for name in [table.name for table in COPIED] + ["log_lines"]:
        read, written = _count(source, name), _count(target, name)
        counts[name] = written
        if read != written:
            wrong.append(f"{name}: {read} in the source, {written} copied")
    done = "SELECT count(*) FROM actions WHERE done_in IS NOT NULL"
    if source._query(done) != target._query(done):
        wrong.append("actions done in a meeting")
    if wrong:
        raise ArchiveError("the copy does not match its source, nothing was written: " + "; ".join(wrong))
    return counts
