"""Schema versions on both backends: a fresh database, re-opening, upgrading, and refusing a newer database."""

from __future__ import annotations

import secrets
import sqlite3
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from itsdangerous import Signer

from gavel.app.importer import parse_log
from gavel.storage.archive import ArchiveError, SchemaTooNewError, SearchQuery, open_archive, sqlite_path
from gavel.storage.archive.pg_schema import FILL_POSTINGS
from gavel.storage.archive.postgres import PostgresArchive
from gavel.storage.archive.sqlite import SqliteArchive
from gavel.storage.archive.sqlite_web import SqliteWebState
from gavel.web.sessions import SIGNING_SECRET, Sessions, session_key

FIXTURE = Path(__file__).parent / "data" / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
AGENDA = "gavel_agenda.2024-05-08-09.00"  # a meeting with an agenda
TOOLS = "gavel_tools.2024-05-01-09.00"  # attendance, corrections, a nick change
TABLES = {"series", "meetings", "log_lines", "items", "actions", "action_owners", "votes", "people", "gavel_schema"}


def raw(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run one statement on the archive's database directly (autocommit); its rows, if any."""
    path = sqlite_path(url)
    if path is not None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        cursor = pg.execute(sql)
        return cursor.fetchall() if cursor.description else []


def tables(url: str) -> set[str]:
    if sqlite_path(url) is not None:
        return {row[0] for row in raw(url, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {row[0] for row in raw(url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}


def columns(url: str, table: str) -> list[str]:
    if sqlite_path(url) is not None:
        return [row[0] for row in raw(url, f"SELECT name FROM pragma_table_info('{table}')")]
    return [
        row[0]
        for row in raw(
            url,
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position",
        )
    ]


def store_fixture(url: str) -> int:
    with open_archive(url) as archive:
        [parsed] = parse_log(FIXTURE).meetings
        return parsed.store(archive)


def test_fresh_database_gets_the_current_schema(archive_url: str) -> None:
    with open_archive(archive_url) as archive:
        current = archive.schema_version
    assert current >= 1
    assert raw(archive_url, "SELECT version FROM gavel_schema") == [(current,)]
    assert tables(archive_url) >= TABLES


def test_reopening_keeps_everything(archive_url: str) -> None:
    meeting_id = store_fixture(archive_url)
    with open_archive(archive_url) as archive:
        meeting = archive.meeting(None, meeting_id)
        assert meeting is not None and meeting.line_count == 338
        assert archive.search(SearchQuery("kubernetes")).total > 0
        current = archive.schema_version
    assert raw(archive_url, "SELECT version FROM gavel_schema") == [(current,)]


def test_an_older_database_is_upgraded(archive_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    meeting_id = store_fixture(archive_url)
    with open_archive(archive_url) as archive:
        backend = type(archive)
        current = archive.schema_version
    upgraded = (*backend.migrations, (current + 1, ("CREATE TABLE gavel_extra (x INTEGER)",)))
    monkeypatch.setattr(backend, "migrations", upgraded)
    with open_archive(archive_url) as archive:
        assert archive.meeting(None, meeting_id) is not None
    assert raw(archive_url, "SELECT version FROM gavel_schema") == [(current + 1,)]
    assert "gavel_extra" in tables(archive_url)
    with open_archive(archive_url):  # and opening it again is a no-op
        pass

    monkeypatch.undo()  # this gavel is now older than the database it wrote
    with pytest.raises(SchemaTooNewError, match=f"schema version {current + 1}.*up to {current}.*upgrade gavel"):
        open_archive(archive_url)


# What each migration after the first added, removed again: ``downgrade`` turns an archive written by this gavel
# into one as the version before that migration stored it (keyed by a text found in the migration's statements).
UNDO: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("runtime_id", ("ALTER TABLE meetings DROP COLUMN runtime_id",)),
    (
        "CREATE TABLE agenda",
        (
            # the agenda titles, stored as items of their own kind for search (and in SQLite's index)
            "SqliteArchive:INSERT INTO items_fts (items_fts, rowid, text) "
            "SELECT 'delete', id, text FROM items WHERE kind = 'agendum'",
            "DELETE FROM items WHERE kind = 'agendum'",
            "DROP TABLE agenda",
            "DROP TABLE attendance",
            "ALTER TABLE meetings DROP COLUMN started_by",
            "ALTER TABLE meetings DROP COLUMN attendance_taken",
            "ALTER TABLE items DROP COLUMN corrected_from",
            "ALTER TABLE items DROP COLUMN timebox_minutes",
            "ALTER TABLE items DROP COLUMN minutes_spent",
            "ALTER TABLE people DROP COLUMN also_known_as",
        ),
    ),
    (
        "CREATE TABLE web_secrets",
        ("DROP TABLE web_secrets", "DROP TABLE web_sessions", "DROP TABLE web_login_failures"),
    ),
    (
        "log_lines ADD COLUMN",  # (the text_length columns)
        (  # back to the engines' own parsers (SQLite: external-content unicode61 tables; PostgreSQL: to_tsvector)
            "SqliteArchive:DROP TABLE log_lines_fts",
            "SqliteArchive:DROP TABLE items_fts",
            "SqliteArchive:ALTER TABLE log_lines DROP COLUMN text_length",
            "SqliteArchive:ALTER TABLE items DROP COLUMN text_length",
            "SqliteArchive:CREATE VIRTUAL TABLE log_lines_fts USING fts5 (text, nick, content = 'log_lines', "
            "content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 0')",
            "SqliteArchive:INSERT INTO log_lines_fts (log_lines_fts) VALUES ('rebuild')",
            "SqliteArchive:CREATE VIRTUAL TABLE items_fts USING fts5 (text, content = 'items', content_rowid = 'id', "
            "tokenize = 'unicode61 remove_diacritics 0')",
            "SqliteArchive:INSERT INTO items_fts (items_fts) VALUES ('rebuild')",
            *(
                f"PostgresArchive:{sql}"
                for table in ("log_lines", "items")
                for sql in (
                    f"ALTER TABLE {table} DROP COLUMN text_length",
                    f"ALTER TABLE {table} DROP COLUMN tsv",
                    f"ALTER TABLE {table} ADD COLUMN tsv tsvector "
                    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED",
                    f"CREATE INDEX {table}_search ON {table} USING gin (tsv)",
                )
            ),
        ),
    ),
    (
        "people_by_nick",
        ("DROP INDEX people_by_nick", "DROP INDEX people_by_other_nicks", "DROP INDEX attendance_by_nick"),
    ),
    ("CREATE TABLE search_words", ("SqliteArchive:DROP TABLE search_words",)),
    ("CREATE TABLE line_relations", ("DROP TABLE line_relations",)),
    ("CREATE TABLE line_postings", ("PostgresArchive:DROP TABLE line_postings",)),
    (
        "CREATE TABLE line_posting_lists",
        tuple(
            f"PostgresArchive:{sql}"
            for sql in (
                "DROP TABLE line_posting_lists",
                "DROP TABLE line_blocks",
                "DROP TABLE line_spans",
                "DROP AGGREGATE gavel_union_agg (integer[])",
                "DROP FUNCTION gavel_and, gavel_or",
                "ALTER TABLE log_lines DROP COLUMN id",  # (and the indexes of ids)
                "DROP SEQUENCE log_line_ids",
                "CREATE INDEX log_lines_by_length ON log_lines (text_length, meeting_id DESC, number DESC)",
                "CREATE INDEX log_lines_by_nick ON log_lines (lower(nick), meeting_id DESC, number DESC)",
                'CREATE TABLE line_postings (token text COLLATE "C" NOT NULL, text_length smallint NOT NULL, '
                "meeting_id bigint NOT NULL, number bigint NOT NULL)",
                FILL_POSTINGS.format(where=""),
            )
        ),
    ),
    (
        "DROP TABLE web_sessions",  # SQLite: the web state back into the archive (its rows are left in the file)
        tuple(
            f"SqliteArchive:{sql}"
            for sql in (
                "CREATE TABLE web_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE web_sessions (key_hash TEXT PRIMARY KEY, expires_at REAL NOT NULL)",
                "CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at)",
                "CREATE TABLE web_login_failures (id INTEGER PRIMARY KEY, client TEXT NOT NULL, "
                "failed_at REAL NOT NULL)",
                "CREATE INDEX web_login_failures_by_client ON web_login_failures (client, failed_at)",
                "CREATE INDEX web_login_failures_by_time ON web_login_failures (failed_at)",
            )
        ),
    ),
    (
        "columnsize",  # SQLite: the full-text tables with their token counts again (filled when upgraded again)
        tuple(
            f"SqliteArchive:{sql}"
            for sql in (
                "DROP TABLE log_lines_fts",
                "DROP TABLE items_fts",
                "CREATE VIRTUAL TABLE log_lines_fts USING fts5 (text, nick, content = '', tokenize = 'ascii')",
                "CREATE VIRTUAL TABLE items_fts USING fts5 (text, content = '', tokenize = 'ascii')",
            )
        ),
    ),
)


def sql_steps(steps: tuple[object, ...]) -> list[str]:
    """The SQL statements among a migration's steps (the others are functions)."""
    return [step for step in steps if isinstance(step, str)]


def backend_of(url: str) -> type[SqliteArchive] | type[PostgresArchive]:
    return SqliteArchive if sqlite_path(url) is not None else PostgresArchive


def version_adding(url: str, marker: str) -> int:
    """The schema version whose migration contains ``marker``."""
    [version] = [v for v, steps in backend_of(url).migrations if any(marker in sql for sql in sql_steps(steps))]
    return version


def downgrade(url: str, version: int) -> None:
    """Undo, newest first, every migration above ``version`` (each must have its UNDO entry)."""
    for later, statements in reversed(backend_of(url).migrations):
        if later <= version:
            break
        [undo] = [undo for marker, undo in UNDO if any(marker in sql for sql in sql_steps(statements))]
        for sql in undo:
            backend, colon, rest = sql.partition(":")
            if not colon:
                raw(url, sql)
            elif backend == backend_of(url).__name__:  # a statement for one backend only
                raw(url, rest)
    raw(url, f"UPDATE gavel_schema SET version = {version}")


def fresh_columns(url: str, version: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Create the archive at ``version`` (it must not exist yet): the columns of its tables."""
    backend = backend_of(url)
    monkeypatch.setattr(backend, "migrations", [m for m in backend.migrations if m[0] <= version])
    with open_archive(url):
        pass
    monkeypatch.undo()
    assert raw(url, "SELECT version FROM gavel_schema") == [(version,)]
    return {table: columns(url, table) for table in tables(url)}


def test_meetings_stored_before_the_meeting_id_are_kept_without_one(
    archive_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration that adds ``meetings.runtime_id``: an archive at the version before gets it, and keeps
    every meeting (lines, minutes, search) with a NULL id."""
    before = version_adding(archive_url, "runtime_id") - 1
    previous = fresh_columns(archive_url, before, monkeypatch)
    assert "runtime_id" not in previous["meetings"]

    meeting_id = store_fixture(archive_url)  # upgraded, then a meeting with its id ...
    with open_archive(archive_url) as archive:
        stored = archive.meeting(None, meeting_id)
        current = archive.schema_version
    assert stored is not None and stored.runtime_id is not None
    downgrade(archive_url, before)  # ... as the previous version stored it
    assert {table: columns(archive_url, table) for table in tables(archive_url)} == previous

    with open_archive(archive_url) as archive:
        assert archive.meeting(None, meeting_id) == replace(stored, runtime_id=None)
        assert len(list(archive.log_lines(meeting_id))) == 338
        assert archive.search(SearchQuery("kubernetes")).total > 0
    assert raw(archive_url, "SELECT version FROM gavel_schema") == [(current,)]
    assert columns(archive_url, "meetings")[: len(previous["meetings"]) + 1] == [*previous["meetings"], "runtime_id"]
    assert store_fixture(archive_url) == meeting_id  # stored again: the meeting now has its id
    with open_archive(archive_url) as archive:
        again = archive.meeting(None, meeting_id)
    assert again is not None and again.runtime_id == stored.runtime_id


def test_a_failed_migration_changes_nothing(archive_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_archive(archive_url) as archive:
        backend = type(archive)
        current = archive.schema_version
    broken = (current + 1, ("CREATE TABLE gavel_half (x INTEGER)", "THIS IS NOT SQL"))
    monkeypatch.setattr(backend, "migrations", (*backend.migrations, broken))
    with pytest.raises(Exception, match=r"(?i)syntax"):
        open_archive(archive_url)
    assert raw(archive_url, "SELECT version FROM gavel_schema") == [(current,)]
    assert "gavel_half" not in tables(archive_url)


def test_a_newer_database_is_refused_untouched(archive_url: str) -> None:
    meeting_id = store_fixture(archive_url)
    with open_archive(archive_url) as archive:
        newer = archive.schema_version + 7
    raw(archive_url, f"UPDATE gavel_schema SET version = {newer}")
    before = raw(archive_url, "SELECT count(*) FROM log_lines")
    with pytest.raises(SchemaTooNewError) as caught:
        open_archive(archive_url)
    assert caught.value.found == newer
    assert "left untouched" in str(caught.value)
    assert raw(archive_url, "SELECT version FROM gavel_schema") == [(newer,)]
    assert raw(archive_url, "SELECT count(*) FROM log_lines") == before
    assert raw(archive_url, f"SELECT count(*) FROM meetings WHERE id = {meeting_id}") == [(1,)]


def test_opening_a_fresh_database_concurrently(archive_url: str) -> None:
    def open_and_count(_: int) -> int:
        with open_archive(archive_url) as archive:
            return len(archive.list_series())

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(open_and_count, range(4))) == [0, 0, 0, 0]
    assert len(raw(archive_url, "SELECT version FROM gavel_schema")) == 1


def test_bad_urls_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="unknown archive URL"):
        open_archive("mysql://root@localhost/db")
    with pytest.raises(ArchiveError, match="names no file"):
        open_archive("sqlite://")
    with pytest.raises(ArchiveError, match="cannot open archive"):
        open_archive(f"sqlite://{tmp_path}")  # a directory
    with pytest.raises(ArchiveError, match="cannot open archive") as caught:
        open_archive("postgresql://gavel:s3cret@127.0.0.1:1/archive?connect_timeout=2")
    assert "s3cret" not in str(caught.value) and "gavel:***@127.0.0.1:1" in str(caught.value)


def test_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sqlite_path("sqlite:///var/lib/gavel/archive.db") == Path("/var/lib/gavel/archive.db")
    assert sqlite_path("sqlite://archive.db") == Path("archive.db")
    assert sqlite_path("relative/archive.db") == Path("relative/archive.db")
    assert sqlite_path("postgresql://x@y/z") is None
    with open_archive():  # the default: ./gavel-archive.db
        pass
    assert (tmp_path / "gavel-archive.db").exists()
    with open_archive("sqlite://nested/dir/a.db"):
        pass
    assert (tmp_path / "nested" / "dir" / "a.db").exists()
    assert raw("sqlite://gavel-archive.db", "PRAGMA journal_mode") == [("wal",)]
    with open_archive("sqlite://:memory:") as memory:
        assert memory.list_series() == []


def test_meetings_stored_before_the_agenda_are_read_as_they_were(
    archive_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration that adds the agenda, attendance, other nicks and corrections: an archive at the version
    before keeps every meeting, read as before (no agenda, who spoke was present, the owner started it); storing a
    meeting again adds what the archive did not keep."""
    before = version_adding(archive_url, "CREATE TABLE agenda") - 1
    previous = fresh_columns(archive_url, before, monkeypatch)
    assert "agenda" not in previous and "also_known_as" not in previous["people"]

    logs = [FIXTURE, *(Path(__file__).parent / "data" / f"{name}.log.txt" for name in (AGENDA, TOOLS))]
    with open_archive(archive_url) as archive:  # upgraded, then meetings with everything ...
        current = archive.schema_version
        ids = [meeting.store(archive) for path in logs for meeting in parse_log(path).meetings]
        full = [archive.meeting(None, meeting_id) for meeting_id in ids]
    downgrade(archive_url, before)  # ... as the previous version stored them
    assert {table: columns(archive_url, table) for table in tables(archive_url)} == previous

    with open_archive(archive_url) as archive:
        for meeting_id, stored in zip(ids, full, strict=True):
            assert stored is not None
            assert archive.meeting(None, meeting_id) == replace(
                stored,
                items=tuple(
                    replace(item, corrected_from=None, timebox_minutes=None, minutes_spent=None)
                    for item in stored.items
                ),
                people=tuple(replace(person, also_known_as=()) for person in stored.people),
                agenda=(),
                present=tuple(person.nick for person in stored.people),
                regrets=(),
                attendance_taken=False,
                started_by=stored.owner,
            )
        assert archive.search(SearchQuery("triage", kind="agendum")).total == 0
        assert archive.search(SearchQuery("friday")).total > 0
    assert raw(archive_url, "SELECT version FROM gavel_schema") == [(current,)]
    assert tables(archive_url) >= {"agenda", "attendance"}

    with open_archive(archive_url) as archive:  # stored again: everything is there
        again = [meeting.store(archive) for path in logs for meeting in parse_log(path).meetings]
        assert again == ids
        for meeting_id, stored in zip(ids, full, strict=True):
            now = archive.meeting(None, meeting_id)
            assert now is not None and stored is not None
            assert now.stored_at is not None and stored.stored_at is not None and now.stored_at > stored.stored_at
            assert replace(now, items=(), stored_at=None) == replace(stored, items=(), stored_at=None)
        assert archive.search(SearchQuery("triage", kind="agendum")).total == 1


def test_an_archive_from_before_line_relations_gets_the_table_and_keeps_its_meetings(
    archive_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration that adds ``line_relations`` (Matrix replies, threads, edits, redactions): an archive at the
    version before gets it; its meetings read as before, with no relations."""
    before = version_adding(archive_url, "CREATE TABLE line_relations") - 1
    previous = fresh_columns(archive_url, before, monkeypatch)
    assert "line_relations" not in previous
    meeting_id = store_fixture(archive_url)  # upgraded, then stored
    assert columns(archive_url, "line_relations") == ["meeting_id", "number", "relation", "refers_to"]
    downgrade(archive_url, before)
    assert {table: columns(archive_url, table) for table in tables(archive_url)} == previous
    with open_archive(archive_url) as archive:  # upgraded again
        rows = list(archive.log_lines(meeting_id))
    assert len(rows) == 338 and all(row.relation is None and row.refers_to is None for row in rows)


def test_sqlite_web_state_moves_to_a_file_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The migration that moves an SQLite archive's web state (signing key, sessions, wrong logins) into
    ``archive.db-web``: a browser signed in before stays signed in, the throttle keeps its count, the archive
    loses the tables, and the new file is readable by its owner only."""
    url = f"sqlite://{tmp_path / 'archive.db'}"
    moving = version_adding(url, "DROP TABLE web_sessions")
    before = max(version for version, _ in SqliteArchive.migrations if version < moving)
    fresh_columns(url, before, monkeypatch)
    key = secrets.token_hex(32)
    session = secrets.token_urlsafe(32)
    raw(url, f"INSERT INTO web_secrets (name, value) VALUES ('{SIGNING_SECRET}', '{key}')")
    raw(url, f"INSERT INTO web_sessions (key_hash, expires_at) VALUES ('{session_key(session)}', 5000.0)")
    raw(url, "INSERT INTO web_login_failures (client, failed_at) VALUES ('192.0.2.1', 900.5), ('192.0.2.1', 901.5)")
    cookie = Signer(bytes.fromhex(key), salt="gavel-session").sign(session).decode("ascii")
    web_file = tmp_path / "archive.db-web"
    assert not web_file.exists()

    with open_archive(url) as archive:
        state = archive.web_state()
        assert state.web_secret(SIGNING_SECRET) == bytes.fromhex(key)
        assert Sessions(state, 3600, lambda: 1000.0).valid(cookie)
        assert state.login_failures("192.0.2.1", 0.0) == [900.5, 901.5]
        assert isinstance(state, SqliteWebState)
        moved = {table: (("client", "failed_at"), [("192.0.2.1", 900.5)]) for table in ["web_login_failures"]}
        state.copy_rows({"web_sessions": (("key_hash", "expires_at"), [(session_key(session), 1.0)]), **moved})
        assert state.session_expires_at(session_key(session)) == 5000.0  # a row there already is kept
        with pytest.raises(ValueError, match="not a web state table"):
            state.copy_rows({"meetings": (("id",), [(1,)])})
    assert not {"web_secrets", "web_sessions", "web_login_failures"} & tables(url)
    assert stat.S_IMODE(web_file.stat().st_mode) == 0o600


def test_a_new_sqlite_archive_makes_its_web_state_file_when_first_used(tmp_path: Path) -> None:
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        assert store_fixture(f"sqlite://{tmp_path / 'archive.db'}") > 0
        assert not (tmp_path / "archive.db-web").exists()  # gavel import and the bots never make it
        sessions = Sessions(archive.web_state(), 60, lambda: 0.0)
        cookie = sessions.start()
    assert stat.S_IMODE((tmp_path / "archive.db-web").stat().st_mode) == 0o600
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:  # kept across a restart
        assert Sessions(archive.web_state(), 60, lambda: 0.0).valid(cookie)
    with open_archive("sqlite://:memory:") as memory:  # a private one in memory
        in_memory = Sessions(memory.web_state(), 60, lambda: 0.0)
        assert in_memory.valid(in_memory.start())


def test_a_web_state_file_that_cannot_be_opened_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "archive.db-web").mkdir()  # in the way
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        with pytest.raises(ArchiveError, match=r"cannot open archive sqlite://.*archive\.db-web"):
            archive.web_state()
        assert archive.list_series() == []  # the archive itself is fine


SEARCHES = (
    SearchQuery("kubernetes"),
    SearchQuery("cni"),
    SearchQuery('"k8s integration"'),
    SearchQuery("integr*"),
    SearchQuery("i am"),
    SearchQuery("o", nick="vikasc"),
    SearchQuery("translation", kind="topic"),
)


def _found(url: str) -> list[tuple[int, list[tuple[str, int | None, str]]]]:
    with open_archive(url) as archive:
        return [
            (results.total, [(hit.nick, hit.line, hit.text) for hit in results.hits])
            for results in map(archive.search, SEARCHES)
        ]


def _fts_tables(url: str) -> dict[str, str]:
    return dict(raw(url, "SELECT name, sql FROM sqlite_master WHERE name LIKE '%fts%' AND type = 'table'"))


def test_sqlite_index_without_token_counts_finds_what_it_found_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration that rebuilds SQLite's full-text tables without their token counts per row (``columnsize =
    0``): an archive indexed before finds the same lines and items, ranked alike, with and without filters, and a
    meeting stored again replaces its index entries."""
    url = f"sqlite://{tmp_path / 'archive.db'}"
    rebuilt = version_adding(url, "columnsize")
    monkeypatch.setattr(SqliteArchive, "migrations", [m for m in SqliteArchive.migrations if m[0] < rebuilt])
    store_fixture(url)
    before = _found(url)
    assert {"log_lines_fts_docsize", "items_fts_docsize"} <= set(_fts_tables(url))
    assert all(total for total, _ in before)
    monkeypatch.undo()

    assert _found(url) == before  # upgraded
    tables = _fts_tables(url)
    assert "columnsize = 0" in tables["log_lines_fts"] and "columnsize = 0" in tables["items_fts"]
    assert not {"log_lines_fts_docsize", "items_fts_docsize"} & set(tables)
    for table in ("log_lines_fts", "items_fts"):
        raw(url, f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
    store_fixture(url)  # stored again: its old entries deleted, new ones written
    assert _found(url) == before
    for table in ("log_lines_fts", "items_fts"):
        raw(url, f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
