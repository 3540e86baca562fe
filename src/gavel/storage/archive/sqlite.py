"""The SQLite archive: one file, zero setup. WAL (readers never wait for the writer), FTS5 full-text index.

One writer connection and a pool of reader connections (``pool_size``, opened on demand): reads run side
by side, each on its own connection, and never wait for a write (WAL); writes take turns on the writer.

Times are integers: microseconds since the epoch, UTC. A log line's ``id`` is
``meeting_id << 32 | number``, so a meeting's lines are one range of the table's own b-tree (no
second index to maintain while importing millions of lines); ``meeting_id`` and ``number`` are
virtual columns computed from it. The FTS5 tables are contentless (the text is in the tables
already) and keep no token counts per row (``columnsize = 0``: the rank order is the stored
length); they index gavel's tokens of each text (:mod:`tokens`), written by the code as the rows
are; ``log_lines_fts`` indexes the nick next to the text as it is written, split by FTS5 itself
(searched only by a nick filter, which checks the line's nick exactly). A search reads FTS5's
matches newest first by rowid and stops at the cap (see ``Archive.search``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

from gavel.storage.archive.base import Archive
from gavel.storage.archive.database import DEFAULT_POOL_SIZE, POOL_TIMEOUT, Row, archive_failure
from gavel.storage.archive.migrations import Migration
from gavel.storage.archive.model import ArchiveError
from gavel.storage.archive.pool import ConnectionPool
from gavel.storage.archive.query import Term, fts5_query, least_length
from gavel.storage.archive.ranking import Ordered
from gavel.storage.archive.search import LINES, Counted, Matching
from gavel.storage.archive.spool import LineRow, clean
from gavel.storage.archive.sqlite_connections import SqliteConnections, disconnect
from gavel.storage.archive.sqlite_lines import insert_lines, insert_rows
from gavel.storage.archive.sqlite_web import WEB_STATE_SUFFIX, WEB_STATE_TABLES, SqliteWebState, web_state_path
from gavel.storage.archive.store import ItemRow
from gavel.storage.archive.tokens import (
    LENGTH_MARK,
    MAX_LENGTH,
    ChunkTokens,
    index_text,
    indexed_text,
    length_token,
)
from gavel.storage.archive.web_state import WebState

_PRAGMAS = (
    "page_size = 8192",  # only takes effect in a new database: ~8% faster imports than 4096 (measured)
    "journal_mode = WAL",  # readers (the web) never wait for the writer (an import)
    "synchronous = NORMAL",  # with WAL: durable at checkpoints, never corrupt
    "wal_autocheckpoint = 10000",  # pages (80 MB): fewer checkpoints during an import, ~7% faster (measured)
    "journal_size_limit = 100000000",  # ... and the WAL file is truncated back to at most this after one
    "foreign_keys = ON",
    "cache_size = -65536",  # KiB
    "temp_store = MEMORY",
)
_READER_PRAGMAS = (
    "query_only = ON",  # a reader never writes, even by mistake
    "cache_size = -16384",  # KiB, per reader (the file's pages are shared in the OS cache anyway)
    # read the file's pages where the OS caches them, without copying each one in: a search reading the lengths
    # of 10,000 lines scattered over a 500 MB archive took half the time (29 -> 14 ms, measured)
    "mmap_size = 1073741824",
    "temp_store = MEMORY",
)


_LINE_MASK = (1 << 32) - 1
_LAST_CHARACTER = "\U0010ffff"  # sorts after every character (as UTF-8 too)
_SPAN = 1 << 32  # log line ids of meeting m: m << 32 .. (m << 32) + 2**32 - 1
_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 0'"
# FTS5 indexes token strings made by tokens.py: their tokens are runs of ASCII letters and digits or of non-ASCII
# characters, which the ascii tokenizer keeps whole; contentless (the text is in the tables already)
_TOKEN_INDEX = "content = '', tokenize = 'ascii'"  # noqa: S105 (not a password)
_NO_SIZES = "columnsize = 0"  # no %_docsize table: bm25() and the like would need it, gavel ranks by text_length
_REINDEX_BATCH = 20_000
KNOWN_WORDS = 1_000_000  # words remembered as stored in search_words (by the writer; then forgotten, and again)
PREFIX_WORDS = 200  # a prefix standing for more indexed words is left to FTS5 (which merges all their entries)
_PROGRESS_STEPS = 10_000  # virtual machine steps between two looks at the clock while a search has a time limit

MIGRATIONS: tuple[Migration, ...] = (
    (
        1,
        (
            "CREATE TABLE gavel_schema (version INTEGER NOT NULL)",
            "CREATE TABLE series (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
            """CREATE TABLE meetings (
                id INTEGER PRIMARY KEY,
                series_id INTEGER NOT NULL REFERENCES series (id),
                channel TEXT NOT NULL,
                network TEXT,
                title TEXT,
                owner TEXT NOT NULL,
                chairs TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                ended_at INTEGER,
                unfinished INTEGER NOT NULL,
                restricted INTEGER NOT NULL,
                log_basename TEXT NOT NULL,
                line_count INTEGER NOT NULL,
                stored_at INTEGER NOT NULL,
                UNIQUE (series_id, started_at, channel)
            )""",
            "CREATE INDEX meetings_by_basename ON meetings (series_id, log_basename)",
            "CREATE INDEX meetings_by_start ON meetings (started_at)",
            """CREATE TABLE log_lines (
                id INTEGER PRIMARY KEY,
                meeting_id INTEGER AS (id >> 32),
                number INTEGER AS (id & 4294967295),
                time INTEGER NOT NULL,
                kind TEXT NOT NULL,
                nick TEXT NOT NULL,
                text TEXT NOT NULL
            )""",
            f"CREATE VIRTUAL TABLE log_lines_fts USING fts5 (text, content = 'log_lines', content_rowid = 'id', "
            f"{_TOKENIZE})",
            """CREATE TABLE items (
                id INTEGER PRIMARY KEY,
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                position INTEGER NOT NULL,
                kind TEXT NOT NULL,
                text TEXT NOT NULL,
                nick TEXT NOT NULL,
                time INTEGER NOT NULL,
                line INTEGER NOT NULL,
                topic TEXT,
                UNIQUE (meeting_id, position)
            )""",
            f"CREATE VIRTUAL TABLE items_fts USING fts5 (text, content = 'items', content_rowid = 'id', {_TOKENIZE})",
            """CREATE TABLE actions (
                id INTEGER PRIMARY KEY,
                item_id INTEGER NOT NULL UNIQUE REFERENCES items (id),
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
                done_at INTEGER,
                done_in INTEGER REFERENCES meetings (id) ON DELETE SET NULL
            )""",
            "CREATE INDEX actions_by_meeting ON actions (meeting_id, status)",
            "CREATE INDEX actions_by_done_in ON actions (done_in)",
            """CREATE TABLE action_owners (
                action_id INTEGER NOT NULL REFERENCES actions (id),
                position INTEGER NOT NULL,
                nick TEXT NOT NULL,
                PRIMARY KEY (action_id, position)
            )""",
            "CREATE INDEX action_owners_by_nick ON action_owners (nick)",
            """CREATE TABLE votes (
                id INTEGER PRIMARY KEY,
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                position INTEGER NOT NULL,
                question TEXT NOT NULL,
                options TEXT NOT NULL,
                results TEXT NOT NULL,
                nick TEXT NOT NULL,
                time INTEGER NOT NULL,
                ended_at INTEGER,
                line INTEGER NOT NULL,
                UNIQUE (meeting_id, position)
            )""",
            """CREATE TABLE people (
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                position INTEGER NOT NULL,
                nick TEXT NOT NULL,
                lines INTEGER NOT NULL,
                PRIMARY KEY (meeting_id, position)
            )""",
        ),
    ),
    (
        2,
        (  # the nick is indexed too: a search with a nick filter intersects two lists instead of reading every line
            "DROP TABLE log_lines_fts",
            f"CREATE VIRTUAL TABLE log_lines_fts USING fts5 (text, nick, content = 'log_lines', content_rowid = 'id', "
            f"{_TOKENIZE})",
            "INSERT INTO log_lines_fts (log_lines_fts) VALUES ('rebuild')",
            # the times of a meeting's first and last lines: a date filter skips the meetings outside it
            "ALTER TABLE meetings ADD COLUMN first_line_at INTEGER",
            "ALTER TABLE meetings ADD COLUMN last_line_at INTEGER",
            "UPDATE meetings SET (first_line_at, last_line_at) = (SELECT min(time), max(time) FROM log_lines "
            "WHERE id >= meetings.id << 32 AND id < (meetings.id + 1) << 32)",
        ),
    ),
    (
        3,
        (  # the runtime's id of the meeting (MeetingRecord.meeting_id); NULL for the meetings stored before
            "ALTER TABLE meetings ADD COLUMN runtime_id TEXT",
        ),
    ),
    (
        4,
        (  # agenda, attendance, other nicks, corrections, the nick that started it; NULL/empty before
            "ALTER TABLE meetings ADD COLUMN started_by TEXT",
            "ALTER TABLE meetings ADD COLUMN attendance_taken INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE items ADD COLUMN corrected_from TEXT",
            "ALTER TABLE items ADD COLUMN timebox_minutes INTEGER",  # a timeboxed topic's minutes ...
            "ALTER TABLE items ADD COLUMN minutes_spent REAL",  # ... and the time it took
            "ALTER TABLE people ADD COLUMN also_known_as TEXT NOT NULL DEFAULT '[]'",
            """CREATE TABLE agenda (
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                number INTEGER NOT NULL,
                title TEXT NOT NULL,
                proposer TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'current', 'done', 'skipped')),
                taken_at INTEGER,
                closed_at INTEGER,
                minutes_spent REAL,
                timebox_minutes INTEGER,
                line INTEGER NOT NULL,
                added_at INTEGER,
                PRIMARY KEY (meeting_id, number)
            )""",
            """CREATE TABLE attendance (
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                status TEXT NOT NULL CHECK (status IN ('present', 'regrets')),
                position INTEGER NOT NULL,
                nick TEXT NOT NULL,
                PRIMARY KEY (meeting_id, status, position)
            )""",
        ),
    ),
    (
        5,
        (  # what the web server's workers share (web_state.py): its signing key, sessions, wrong logins
            "CREATE TABLE web_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE web_sessions (key_hash TEXT PRIMARY KEY, expires_at REAL NOT NULL)",
            "CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at)",
            "CREATE TABLE web_login_failures (id INTEGER PRIMARY KEY, client TEXT NOT NULL, failed_at REAL NOT NULL)",
            "CREATE INDEX web_login_failures_by_client ON web_login_failures (client, failed_at)",
            "CREATE INDEX web_login_failures_by_time ON web_login_failures (failed_at)",
        ),
    ),
    (
        6,
        (  # gavel's own tokens (storage/archive/tokens.py, the same as PostgreSQL's) in contentless FTS5 tables
            "DROP TABLE log_lines_fts",
            "DROP TABLE items_fts",
            f"CREATE VIRTUAL TABLE log_lines_fts USING fts5 (text, nick, {_TOKEN_INDEX})",
            f"CREATE VIRTUAL TABLE items_fts USING fts5 (text, {_TOKEN_INDEX})",
            # each text's length in tokens (the rank order), also as a token in the index
            "ALTER TABLE log_lines ADD COLUMN text_length INTEGER",
            "ALTER TABLE items ADD COLUMN text_length INTEGER",
            lambda archive: archive._index_everything(),
        ),
    ),
    (
        7,
        (  # a person's page (and the export's person pages) reads people and attendance by nick
            "CREATE INDEX people_by_nick ON people (nick)",
            "CREATE INDEX people_by_other_nicks ON people (also_known_as)",
            "CREATE INDEX attendance_by_nick ON attendance (nick, status)",
        ),
    ),
    (
        8,
        (  # every token indexed, so that a prefix search asks FTS5 for the words it stands for (see _expand)
            "CREATE TABLE search_words (word TEXT PRIMARY KEY) WITHOUT ROWID",
            lambda archive: archive._remember_indexed_words(),
        ),
    ),
    (
        9,
        (  # how a Matrix meeting's lines relate to earlier ones (replies, threads, edits, redactions): few rows
            """CREATE TABLE line_relations (
                meeting_id INTEGER NOT NULL REFERENCES meetings (id),
                number INTEGER NOT NULL,
                relation TEXT NOT NULL,
                refers_to INTEGER,
                PRIMARY KEY (meeting_id, number)
            ) WITHOUT ROWID""",
        ),
    ),
    (
        10,
        (  # the web state moves to a file of its own (sqlite_web.py): a sign-in never waits for an import's lock
            lambda archive: archive._move_web_state(),
            "DROP TABLE web_login_failures",
            "DROP TABLE web_sessions",
            "DROP TABLE web_secrets",
        ),
    ),
    (
        11,
        (  # the index keeps no token counts per row (columnsize = 0): no search reads them (the rank order is the
            # length token and text_length), and writing them was ~13% of inserting the lines (measured); the nick
            # column holds the nick as written (FTS5's ascii tokenizer splits it, and the filter's nick alike: see
            # _nick_match)
            "DROP TABLE log_lines_fts",
            "DROP TABLE items_fts",
            f"CREATE VIRTUAL TABLE log_lines_fts USING fts5 (text, nick, {_TOKEN_INDEX}, {_NO_SIZES})",
            f"CREATE VIRTUAL TABLE items_fts USING fts5 (text, {_TOKEN_INDEX}, {_NO_SIZES})",
            lambda archive: archive._index_everything(),
        ),
    ),
)


class SqliteArchive(SqliteConnections, Archive):
    """The archive in one SQLite file (``path``; ``":memory:"`` for a private in-memory database)."""

    migrations = MIGRATIONS

    def __init__(self, url: str, path: Path | str, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        super().__init__(url)
        self.path = path
        self._depth = 0
        self._known_words: set[str] = set()  # in search_words already (see _remember_words)
        self._web: SqliteWebState | None = None  # made on first use (see web_state)
        self._web_lock = threading.Lock()
        self._tokens = ChunkTokens()  # tokens() of the texts the writer indexes itself (items, lines to delete)
        memory = str(path) == ":memory:"
        try:
            if not memory:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            writer = self._open_writer()
        except (OSError, sqlite3.Error) as error:
            raise archive_failure(url, error) from error
        name = f"archive {url}"
        self._writer = ConnectionPool(self._open_writer, disconnect, size=1, timeout=POOL_TIMEOUT, name=name)
        self._writer.add(writer)
        # an in-memory database is private to its connection: the writer reads too
        self._readers = (
            self._writer
            if memory
            else ConnectionPool(self._open_reader, disconnect, size=pool_size, timeout=POOL_TIMEOUT, name=name)
        )
        try:
            self._migrate()
        except sqlite3.DatabaseError as error:
            self._close()
            if "fts5" in str(error):
                raise ArchiveError(f"archive {url}: this Python's SQLite lacks FTS5 ({error})") from error
            raise archive_failure(url, error) from error
        except BaseException:
            self._close()
            raise

    # ------------------------------------------------------------------ plumbing

    def _open_writer(self) -> sqlite3.Connection:
        return self._connect(_PRAGMAS, timeout=30.0)

    def _open_reader(self) -> sqlite3.Connection:
        return self._connect(_READER_PRAGMAS, timeout=30.0)

    @contextmanager
    def _begin(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` (take the write lock now, not halfway through); nested blocks are savepoints."""
        if self._depth:
            name = f"gavel_{self._depth}"
            self._conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._known_words.clear()  # the words this block added are gone
                self._conn.execute(f"ROLLBACK TO {name}")
                self._conn.execute(f"RELEASE {name}")
                raise
            else:
                self._conn.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        self._conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._known_words.clear()
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")
        finally:
            self._depth = 0

    def _time_of_day(self, value: Any) -> str:
        seconds = value // 1_000_000 % 86_400  # (floor division: right for times before 1970 too)
        return "%02d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)  # noqa: UP031

    def _schema_version(self) -> int:
        if not self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gavel_schema'"):
            return 0
        rows = self._query("SELECT max(version) FROM gavel_schema")
        return int(rows[0][0] or 0)

    def _lock_schema(self) -> None:
        """``BEGIN IMMEDIATE`` already holds the database's write lock."""

    def _close(self) -> None:
        self._writer.close()
        self._readers.close()
        with self._web_lock:
            if self._web is not None:
                self._web.close()

    def web_state(self) -> WebState:
        """The web state, in its own file beside the archive (see ``sqlite_web.py``), opened on first use."""
        with self._web_lock:
            if self._web is None:
                memory = str(self.path) == ":memory:"
                path = ":memory:" if memory else web_state_path(self.path)
                self._web = SqliteWebState(path, url=f"{self.url}{WEB_STATE_SUFFIX}")
            return self._web

    def _move_web_state(self) -> None:
        """Migration 10: copy the web state tables' rows into the web state file (made only if there are rows).
        Copying again (a migration that failed after this step, and runs again) adds nothing twice."""
        tables: dict[str, tuple[tuple[str, ...], list[Row]]] = {}
        for table in WEB_STATE_TABLES:
            rows = self._conn.execute(f"SELECT * FROM {table}")  # noqa: S608 -- fixed names
            names = tuple(column[0] for column in rows.description)
            tables[table] = (names, rows.fetchall())
        if any(rows for _, rows in tables.values()):
            web = self.web_state()
            assert isinstance(web, SqliteWebState)
            web.copy_rows(tables)

    # ------------------------------------------------------------------ lines and index

    def _lock_meeting(self, key: int) -> None:
        """``BEGIN IMMEDIATE`` already holds the database's write lock: writers of any meeting take turns."""

    def _insert_lines(self, meeting_id: int, rows: Sequence[LineRow]) -> None:
        """Many rows a statement (``sqlite_lines``); the id ``meeting_id << 32 | number`` (see the module)."""
        insert_lines(self._conn, meeting_id << 32, rows)

    def _index_words(self, words: Set[str]) -> None:
        self._remember_words(words)

    def _finish_lines(self, meeting_id: int) -> None:
        """Indexed as they came (:meth:`_insert_lines`)."""

    def _delete_lines(self, meeting_id: int) -> None:
        """Remove the lines and their index entries (a contentless FTS5 table forgets a row when given the
        tokens it indexed: the same text gives the same tokens)."""
        base = meeting_id << 32
        self._conn.executemany(
            "INSERT INTO log_lines_fts (log_lines_fts, rowid, text, nick) VALUES ('delete', ?, ?, ?)",
            [
                (row_id, index_text(text, self._tokens), nick)
                for row_id, nick, text in self._query(
                    "SELECT id, nick, text FROM log_lines WHERE id >= ? AND id < ?", (base, base + _SPAN)
                )
            ],
        )
        self._conn.execute("DELETE FROM log_lines WHERE id >= ? AND id < ?", (base, base + _SPAN))

    def _index_items(self, meeting_id: int) -> None:
        self._remember_words(set(" ".join(self._index_item_texts(meeting_id)).split()))

    def _insert_items(self, meeting_id: int, rows: Sequence[ItemRow]) -> list[int]:
        """The items with their lengths, then their index entries, by ids chosen here: the ids SQLite would choose
        (one past the largest; the writer holds the lock), so nothing is read back or updated (which was ~40% of
        storing an item, measured)."""
        if not rows:
            return []
        first = self._query("SELECT coalesce(max(id), 0) + 1 FROM items")[0][0]
        indexed = [indexed_text(row[2], self._tokens) for row in rows]
        insert_rows(
            self._conn,
            "INSERT INTO items (id, meeting_id, position, kind, text, nick, time, line, topic, corrected_from, "
            "timebox_minutes, minutes_spent, text_length)",
            13,
            [
                (item_id, meeting_id, *row, size)
                for item_id, row, (_, size) in zip(count(first), rows, indexed, strict=False)
            ],
        )
        self._conn.executemany(
            "INSERT INTO items_fts (rowid, text) VALUES (?, ?)",
            [(item_id, text) for item_id, (text, _) in zip(count(first), indexed, strict=False)],
        )
        self._remember_words(set(" ".join([text for text, _ in indexed]).split()))
        return list(range(first, first + len(rows)))

    def _index_item_texts(self, meeting_id: int) -> list[str]:
        """Index the meeting's items; the token strings indexed."""
        rows = self._query("SELECT id, text FROM items WHERE meeting_id = ?", (meeting_id,))
        indexed = [(item_id, *indexed_text(text, self._tokens)) for item_id, text in rows]
        self._conn.executemany("UPDATE items SET text_length = ? WHERE id = ?", [(s, i) for i, _t, s in indexed])
        self._conn.executemany("INSERT INTO items_fts (rowid, text) VALUES (?, ?)", [(i, t) for i, t, _s in indexed])
        return [text for _i, text, _s in indexed]

    def _unindex_items(self, meeting_id: int) -> None:
        rows = self._query("SELECT id, text FROM items WHERE meeting_id = ?", (meeting_id,))
        self._conn.executemany(
            "INSERT INTO items_fts (items_fts, rowid, text) VALUES ('delete', ?, ?)",
            [(item_id, index_text(text, self._tokens)) for item_id, text in rows],
        )

    def _index_everything(self) -> None:
        """Fill the (empty) full-text tables and the lengths from every stored line and item (migrations 6 and 11;
        their words are listed by migration 8)."""
        after = -1
        while rows := self._query(
            "SELECT id, nick, text FROM log_lines WHERE id > ? ORDER BY id LIMIT ?", (after, _REINDEX_BATCH)
        ):
            indexed = [(row_id, nick, *indexed_text(text, self._tokens)) for row_id, nick, text in rows]
            self._conn.executemany(
                "INSERT INTO log_lines_fts (rowid, text, nick) VALUES (?, ?, ?)",
                [(row_id, index, nick) for row_id, nick, index, _size in indexed],
            )
            self._conn.executemany(
                "UPDATE log_lines SET text_length = ? WHERE id = ?", [(size, row_id) for row_id, *_, size in indexed]
            )
            after = rows[-1][0]
        for (meeting_id,) in self._query("SELECT DISTINCT meeting_id FROM items ORDER BY meeting_id"):
            self._index_item_texts(meeting_id)

    def _remember_words(self, indexed: Set[str]) -> None:
        """Add these indexed words (length tokens left out) to ``search_words``, but those this archive object
        added before (a meeting of 100,000 lines says ~40,000 distinct words, mostly the same as the last one's).
        Words are never removed: a word no longer indexed only makes a prefix stand for one word more, which
        matches nothing."""
        words = indexed - self._known_words
        if len(self._known_words) + len(words) > KNOWN_WORDS:
            self._known_words.clear()
        self._known_words |= words
        self._conn.executemany(
            "INSERT OR IGNORE INTO search_words (word) VALUES (?)",
            [(word,) for word in sorted(words) if not word.startswith(LENGTH_MARK)],
        )

    def _remember_indexed_words(self) -> None:
        """Fill ``search_words`` from the full-text tables' own lists of words (migration 8)."""
        for table in ("log_lines_fts", "items_fts"):
            self._conn.execute(f"CREATE VIRTUAL TABLE temp.gavel_words USING fts5vocab(main, {table}, 'row')")
            try:
                self._conn.execute(
                    "INSERT OR IGNORE INTO search_words (word) SELECT term FROM temp.gavel_words "
                    "WHERE substr(term, 1, 1) <> ?",
                    (LENGTH_MARK,),
                )
            finally:
                self._conn.execute("DROP TABLE temp.gavel_words")

    def _expand(self, terms: tuple[Term, ...]) -> dict[Term, list[str]]:
        """The indexed words that each prefix term's last word stands for (at most :data:`PREFIX_WORDS`; a term
        standing for more, or for none, is left out). FTS5 answers ``"w1" OR "w2"`` by walking the words' lists
        side by side, where for ``"w"*`` it first merges the lists of every word starting so, in each query."""
        found: dict[Term, list[str]] = {}
        for term in terms:
            if not term.prefix:
                continue
            stem = term.words[-1]
            words = [
                word
                for (word,) in self._query(
                    "SELECT word FROM search_words WHERE word >= ? AND word < ? ORDER BY word LIMIT ?",
                    (stem, stem + _LAST_CHARACTER, PREFIX_WORDS + 1),
                )
            ]
            if 0 < len(words) <= PREFIX_WORDS:
                found[term] = words
        return found

    def _line_page(self, meeting_id: int, after: int, count: int) -> list[Row]:
        base = meeting_id << 32
        return self._query(
            "SELECT id - ?, time, kind, nick, text FROM log_lines WHERE id > ? AND id < ? ORDER BY id LIMIT ?",
            (base, base + max(after, -1), base + _SPAN, count),
        )

    # ------------------------------------------------------------------ search

    def _fts_source(
        self,
        matching: Matching,
        text: bool = False,
        size: int | None = None,
        expanded: dict[Term, list[str]] | None = None,
    ) -> tuple[str, list[str], list[Any]]:
        """The FROM clause (``f`` the FTS5 table; ``l`` the log line or ``i`` the item, joined when a filter or
        the columns (``text``) need it), the conditions and their parameters of a search.

        A log line's rowid holds its meeting's id, so the meetings in scope bound the rowid range FTS5 reads and
        are checked without reading the line; a nick filter is a second list in the index (the lines whose nick
        holds the filter's tokens, as FTS5 splits both: a superset, checked exactly on the line). With a ``size``,
        only the texts of that length match (their length token). Prefixes become the words they stand for
        (``expanded``, else :meth:`_expand`)."""
        query, scope = matching.query, matching.scope
        terms = matching.terms if size is None else (*matching.terms, Term((length_token(size),)))
        if expanded is None:
            expanded = self._expand(matching.terms)
        if matching.src == LINES:
            match = f"text : ({fts5_query(terms, expanded)})"
            if query.nick is not None:
                match += _nick_match(query.nick)
            where: list[str] = ["log_lines_fts MATCH ?"]
            params: list[Any] = [match]
            if scope.where is not None:
                assert scope.first is not None and scope.last is not None
                where.append(f"f.rowid >= ? AND f.rowid < ? AND f.rowid >> 32 IN ({scope.where})")
                params.extend((scope.first << 32, (scope.last + 1) << 32, *scope.params))
            row_where, row_params = self._line_filters(query, matching.since, matching.until, "l")
            source = "log_lines_fts f" + (" CROSS JOIN log_lines l ON l.id = f.rowid" if row_where or text else "")
            return source, where + row_where, params + row_params
        where = ["items_fts MATCH ?"]
        params = [fts5_query(terms, expanded)]
        if query.kind is not None:
            where.append("i.kind = ?")
            params.append(query.kind)
        if scope.where is not None:
            where.append(f"i.meeting_id IN ({scope.where})")
            params.extend(scope.params)
        row_where, row_params = self._line_filters(query, matching.since, matching.until, "i")
        return "items_fts f CROSS JOIN items i ON i.id = f.rowid", where + row_where, params + row_params

    def _matches(self, matching: Matching, limit: int, wanted: int) -> Counted:
        """FTS5 walks the matches by rowid, newest first, and stops after ``limit`` that pass the filters; SQLite
        counts them and ranks them by length, so only the count and ``wanted`` rows come back.

        When no filter needs the log line, the matches are found from the index alone (its rowids), which come
        back as one JSON array with their count (10,001 of them as Python objects cost more than the search):
        when more than :attr:`sort_limit` match, their lengths are not needed (they are ranked by
        :meth:`_ordered_matches`), which spares reading 10,001 lines; else the lines' lengths are read by rowid
        (not by asking FTS5 again: a phrase costs it a positional check of every line holding its words)."""
        if matching.src == LINES:
            source, where, params = self._fts_source(matching)
            if " JOIN " not in source:
                count, keys = self._query(
                    "SELECT count(*), json_group_array(id) FROM ("  # noqa: S608
                    f"SELECT f.rowid AS id FROM {source} WHERE {' AND '.join(where)} ORDER BY f.rowid DESC LIMIT ?)",
                    [*params, limit],
                )[0]
                if not count or count > self.sort_limit:
                    return count, []
                # in the rowids' order, one lookup each (measured faster than an IN list, which sorts them first)
                rows = self._query(
                    "SELECT l.text_length, l.id FROM json_each(?) j CROSS JOIN log_lines l ON l.id = j.value "
                    "ORDER BY l.text_length, l.id DESC LIMIT ?",
                    (keys, wanted),
                )
                return count, [(size, LINES, 0, key >> 32, key & _LINE_MASK) for size, key in rows]
        source, where, params = self._fts_source(matching, text=True)
        if matching.src == LINES:
            columns = "l.text_length, 0, 0, f.rowid >> 32, f.rowid & 4294967295"
            rank = "size, meeting_id DESC, line DESC"
        else:
            columns, rank = "i.text_length, 1, i.id, i.meeting_id, i.line", "size, item DESC"
        rows = self._query(
            f"WITH found (size, src, item, meeting_id, line) AS MATERIALIZED (SELECT {columns} FROM {source} "  # noqa: S608
            f"WHERE {' AND '.join(where)} ORDER BY f.rowid DESC LIMIT ?) "
            f"SELECT (SELECT count(*) FROM found), * FROM found ORDER BY {rank} LIMIT ?",
            [*params, limit, wanted],
        )
        return (rows[0][0] if rows else 0), [row[1:] for row in rows]

    def _ordered_matches(self, matching: Matching, limit: int) -> list[Ordered]:
        """The matches of each length in turn (the text's length token among the terms), newest first: FTS5 reads
        the two lists together and stops after ``limit`` (the shortest texts come first, a common word's soon)."""
        found: list[Ordered] = []
        expanded = self._expand(matching.terms)
        for size in range(least_length(matching.terms), MAX_LENGTH + 1):
            if len(found) >= limit:
                break
            source, where, params = self._fts_source(matching, size=size, expanded=expanded)
            key = "0, f.rowid >> 32, f.rowid & 4294967295" if matching.src == LINES else "f.rowid, i.meeting_id, i.line"
            rows = self._query(
                f"SELECT {key} FROM {source} WHERE {' AND '.join(where)} "  # noqa: S608
                "ORDER BY f.rowid DESC LIMIT ?",
                [*params, limit - len(found)],
            )
            found += [(size, matching.src, item, meeting_id, line) for item, meeting_id, line in rows]
        return found

    def _line_hits(self, keys: Sequence[tuple[int, int]]) -> list[Row]:
        if not keys:
            return []
        return self._query(
            "SELECT l.id >> 32, l.id & 4294967295, l.time, l.nick, l.text, s.name, m.log_basename, m.channel "  # noqa: S608
            "FROM log_lines l JOIN meetings m ON m.id = l.id >> 32 JOIN series s ON s.id = m.series_id "
            f"WHERE l.id IN ({', '.join('?' * len(keys))})",
            [meeting_id << 32 | number for meeting_id, number in keys],
        )

    @contextmanager
    def _time_limit(self, seconds: float) -> Iterator[None]:
        """A progress handler on the thread's connection interrupts a statement once the time is up (SQLite raises
        "interrupted")."""
        deadline = time.monotonic() + seconds

        def out_of_time() -> bool:
            return time.monotonic() > deadline

        connection = self._conn
        connection.set_progress_handler(out_of_time, _PROGRESS_STEPS)
        try:
            yield
        finally:
            connection.set_progress_handler(None, 0)

    def _busy(self, error: Exception) -> bool:
        message = str(error)
        return isinstance(error, sqlite3.OperationalError) and any(
            word in message for word in ("interrupted", "locked", "busy")
        )

    def _bad_search(self, error: Exception) -> bool:
        """A query the tokenizer still trips on: no hits, not a crash."""
        return isinstance(error, sqlite3.OperationalError) and ("fts5" in str(error) or "MATCH" in str(error))


def _nick_match(nick: str) -> str:
    """The FTS5 condition on the nick column for a nick filter: the nick as one quoted string, which FTS5 splits with
    the column's ``ascii`` tokenizer, as it split the stored nicks (so a nick equal but for ASCII case, as the
    filter's exact check on the line compares them, has the same tokens); nothing when it has no tokens."""
    nick = clean(nick)
    if not any(not char.isascii() or char.isalnum() for char in nick):
        return ""  # (an empty phrase matches no row: the exact check alone decides)
    return ' AND nick : "' + nick.replace('"', '""') + '"'
