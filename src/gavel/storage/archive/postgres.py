"""The PostgreSQL archive (psycopg 3): ``timestamptz`` times, a ``tsvector`` column and a GIN index per
searchable table, log lines loaded with ``COPY``.

Connections come from a pool (psycopg_pool; at most ``pool_size``, each one reads and writes), so
requests run side by side; transactions on different connections are PostgreSQL's business.

No text search configuration parses the text: the ``tsvector`` is written by gavel from its own tokens
(:mod:`tokens`, as SQLite's index is) and queries are ``tsquery`` literals of the same tokens, so both backends
find the same words. Searches of log lines read postings of those tokens instead where they can
(``line_posting_lists``: per token, nick or pair of adjacent tokens, text length and block of 32,768 line ids,
whatever their meetings, the offsets of the lines holding it, made by the writer, :mod:`pg_postings`): walked in rank
order, intersected in ``integer[]`` (``intarray``'s, where it can be had), counted without reading a line; the
meetings in scope, the dates and the lines of meetings stored again are ranges of ids (:mod:`pg_masks`).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from gavel.storage.archive import pg_postings
from gavel.storage.archive.base import Archive
from gavel.storage.archive.database import DEFAULT_POOL_SIZE, POOL_TIMEOUT, Row, archive_failure, redact
from gavel.storage.archive.model import ArchiveError
from gavel.storage.archive.pg_copy import COPY_LINES, copy_text
from gavel.storage.archive.pg_idle_check import IdleCheck
from gavel.storage.archive.pg_masks import Masks, masks_of
from gavel.storage.archive.pg_postings import (
    BLOCK_BITS,
    BLOCK_MASK,
    COPY_POSTINGS,
    key_sql,
    posting_lists,
)
from gavel.storage.archive.pg_schema import KEYS_LISTS, LINE_INDEXES, MIGRATIONS
from gavel.storage.archive.pg_walk import (
    FIRST_FETCH,
    GAVEL_LENGTHS,
    MERGE_SETTINGS,
    NICK_MARK,
    NO_MEMOIZE,
    SNAPSHOT,
    WALK_SETTINGS,
    led_by_fewest,
    lists_counted,
    next_fetch,
    walk_statement,
    walk_terms,
)
from gavel.storage.archive.query import least_length, tsquery
from gavel.storage.archive.ranking import Ordered
from gavel.storage.archive.search import ITEMS, LINES, Counted, Matching
from gavel.storage.archive.spool import LineRow, from_micros
from gavel.storage.archive.store import ItemRow
from gavel.storage.archive.tokens import indexed_tsvector
from gavel.storage.archive.web_state import WebState

_SCHEMA_LOCK = 0x6761_7665  # pg_advisory_xact_lock key while migrating ("gave")
_RETOKENIZE_BATCH = 20_000
SEARCH_SETTINGS = {
    # a bitmap of a common word's 600,000 lines fits, exact (in 4 MB it is lossy: every line on its pages is
    # checked again; "the" said by one nick took 1.3 s)
    "work_mem": "32MB",
    # compiling a query costs more than a search's run; parallel workers only add work on a busy small machine
    # (and hide it: their CPU time is not the connection's)
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
}
"""Planner settings for the statements of a search (on its connection, reset after it)."""
_CLEAN_PENDING = (
    "SELECT gin_clean_pending_list(index) FROM (VALUES (to_regclass('log_lines_search')), "
    "(to_regclass('items_search'))) AS gin (index) JOIN pg_class c ON c.oid = gin.index "
    "WHERE pg_has_role(c.relowner, 'USAGE')"
)
"""Merge the GIN indexes' pending lists (fastupdate: new entries wait there, unsorted, until 4 MB of them are merged
into the index's tree, or autovacuum does it) into their trees, at the end of every store. Every search through the
index reads the whole pending list: with 4 MB in it a rare word took ~8 ms instead of 0.3 ms over 3M lines.
An index that is not there (being rebuilt after a bulk load) is skipped, and so is one of another owner (only its
owner may clean it; autovacuum then does)."""
_BULK_LOCK = 0x6761_7662  # pg_advisory_lock key held by a bulk load, for its whole session ("gavb")
COMPACT_PARTS = 16
"""A block of more parts is compacted (and a complete one of more than :data:`COMPLETE_PARTS`, or with dead lines): a
search reads a few lists per (token, length, block), not one per meeting stored in it."""
COMPLETE_PARTS = 1
"""A complete block of more parts is compacted. (The writer's batches, 32,768 lines of a long meeting, seldom begin
where a block does, so each block of a long meeting has two parts: left as they were, over 3M lines in meetings of
100,000 a phrase's walk read twice the rows, and took 27 ms of CPU at the median against 10 on main.)"""
_COMPACT = (
    "WITH gone AS (DELETE FROM line_posting_lists WHERE block = ? RETURNING token, text_length, offsets), "  # noqa: S608
    "sized AS (SELECT g.*, sum(cardinality(offsets)) OVER (PARTITION BY token) AS lines FROM gone g), "
    "pieces AS (SELECT token, text_length, offsets FROM sized WHERE lines < ? OR text_length >= 0 UNION ALL "
    f"SELECT token, (n >> {BLOCK_BITS})::smallint, array_agg(n ORDER BY n) FROM sized, unnest(offsets) AS n "
    f"WHERE lines >= ? AND text_length < 0 GROUP BY token, n >> {BLOCK_BITS}), "
    "merged AS (SELECT token, text_length, gavel_union_agg(offsets) AS offsets FROM pieces "
    "GROUP BY token, text_length) INSERT INTO line_posting_lists (token, text_length, block, part, offsets) "
    "SELECT token, text_length, ?, ?, offsets FROM (SELECT token, text_length, CASE WHEN ?::int4multirange = '{}' "
    "THEN offsets ELSE ARRAY(SELECT n FROM unnest(offsets) AS n "
    f"WHERE NOT ?::int4multirange @> (n & {BLOCK_MASK})) END AS offsets FROM merged) m "
    "WHERE cardinality(offsets) > 0"
)
"""A block's lists merged into one part (the block's first id: every later batch's part is greater), less its dead
lines: a token's lists of any length are split by length if it has :data:`pg_postings.SPLIT_LINES` lines there or
more (dead ones counted: a list need not be split at exactly that size, but a token has lists of one kind per part)."""
_DEAD_LINES = "SELECT block, dead::text FROM line_blocks WHERE dead <> '{}'"
_SPANS_VERSION = "SELECT count(*), md5(coalesce(string_agg(first_id::text, ',' ORDER BY first_id), '')) FROM line_spans"
"""What tells a search's masks kept from the spans they were made of (``PostgresArchive._masks``): every span's first
id, not only the greatest and their number (ids are allocated before a store commits, so a store committed after a
later one may leave those two as they were: its meeting's new spans were then in no kept mask, and a meeting made
restricted stayed in the public's; tests/test_archive_pg_masks_kept.py)."""
_KEPT_MASKS = 64  # searches' masks kept at most (then all are forgotten)
SQL_CACHE_SIZE = 1024  # statement texts converted and kept at most (then all are forgotten)
_ALLOCATE = "SELECT nextval('log_line_ids') FROM generate_series(1, ?) ORDER BY 1"
_ALLOCATE_LOCK = 0x6761_7669  # pg_advisory_lock key while ids are allocated ("gavi")
_SPANS_BLOCKS = (
    f"FROM spans s, generate_series(s.first_id >> {BLOCK_BITS}, s.last_id >> {BLOCK_BITS}) AS b (block), "
    f"LATERAL (SELECT int4range((greatest(s.first_id, b.block << {BLOCK_BITS}) - (b.block << {BLOCK_BITS}))::integer, "
    f"(least(s.last_id, (b.block << {BLOCK_BITS}) + {BLOCK_MASK}) - (b.block << {BLOCK_BITS}))::integer, '[]') "
    "AS offsets) r"
)
"""Each span's (of the rows ``spans``) offsets in each block it lies in (``r.offsets``, a range), for the blocks
``b``."""
_FILL_NICKS = KEYS_LISTS.format(
    keys=f"SELECT '{NICK_MARK}' || lower(nick) AS token, id >> {BLOCK_BITS} AS block, "  # noqa: S608
    f"greatest(?, id >> {BLOCK_BITS} << {BLOCK_BITS}) AS part, "
    f"{key_sql('text_length', 'id')} AS key "
    "FROM log_lines WHERE meeting_id = ? AND number BETWEEN ? AND ?"
)
"""The nicks' postings of a batch of lines (by the server: its ``lower`` is the one the nick filter uses)."""
_LOCK_SPANS_BLOCKS = (
    "SELECT block FROM line_blocks WHERE block IN (SELECT generate_series(first_id >> ?, last_id >> ?) "
    "FROM line_spans WHERE meeting_id = ?) ORDER BY block FOR UPDATE"
)
"""Lock the rows of the blocks a meeting's lines lie in, in ascending order. Every writer takes the blocks' rows in
that order (these, then those of its new lines, whose ids are greater), so two never wait for each other: taken in
the order of an aggregate's hash, a writer storing a meeting again held the block new lines go into while waiting for
an older one another writer held, which waited for the new one (tests/test_archive_pg_writers.py)."""
_SET_FUNCTIONS = ("gavel_and", "gavel_or")
PREFIX_TOKENS = 100
"""A prefix standing for more stored tokens is searched on the ``tsv``."""
_LAST_CHARACTER = "\U0010ffff"  # sorts after every character (as UTF-8 too)
_PREFIX_TOKENS = (
    "WITH RECURSIVE t (token) AS ((SELECT token FROM line_posting_lists WHERE token >= ? AND token < ? "
    "ORDER BY token LIMIT 1) UNION ALL SELECT (SELECT q.token FROM line_posting_lists q "
    "WHERE q.token >= t.token || '!' AND q.token < ? ORDER BY q.token LIMIT 1) FROM t WHERE t.token IS NOT NULL) "
    "SELECT token FROM t WHERE token IS NOT NULL LIMIT ?"
)
"""The stored tokens starting with a prefix, one index probe each: after a token, the next is looked for past its
pairs (``token`` then a space, which sorts before ``!``, then the second token) and its other postings."""
_GIN_INDEX = "log_lines_search"
_BTREE_INDEXES = [create for name, create in LINE_INDEXES.items() if name != _GIN_INDEX]
_BULK_LOCK_WAIT = "2s"  # how long a bulk load waits for the lines' table before it keeps the indexes instead
_LINE_INDEXES_SINCE = 11  # the schema version since which the log lines have all of LINE_INDEXES
BULK_MIN_LINES = 200_000
"""A bulk load of fewer lines keeps the indexes (building them again would cost more than it saves)."""
_SET_ITEM_INDEX = "UPDATE items SET tsv = ?::tsvector, text_length = ? WHERE id = ?"


def _drop_line_indexes(conn: psycopg.Connection[Any]) -> bool:
    """Drop the log line indexes, unless the table stays busy (a long store, a slow search) for
    :data:`_BULK_LOCK_WAIT`: searches would queue behind the waiting drop. Whether they were dropped."""
    conn.execute(f"SET lock_timeout = '{_BULK_LOCK_WAIT}'")
    try:
        conn.execute(f"DROP INDEX IF EXISTS {', '.join(LINE_INDEXES)}")
    except psycopg.errors.LockNotAvailable:
        return False
    finally:
        conn.execute("RESET lock_timeout")
    return True


def _build_line_indexes(conn: psycopg.Connection[Any], url: str | None = None) -> None:
    """Build the missing log line indexes, then refresh the planner's statistics.

    With ``url``, the btree indexes are built on a second connection while ``conn`` builds the GIN index (PostgreSQL
    builds a GIN index on one core, and it takes about as long as the two others together): at the end of a bulk load
    the parsers and the writer are done, so a core would stay idle. Whatever that connection did not build (it could
    not connect, it failed) is then built on ``conn``, which reports the error if there is one."""
    if url is not None:
        side = threading.Thread(target=_build_beside, args=(url, _BTREE_INDEXES), name="gavel-index-build")
        side.start()
        try:
            _create_indexes(conn, [LINE_INDEXES[_GIN_INDEX]])
        finally:
            side.join()
    _create_indexes(conn, LINE_INDEXES.values())
    conn.execute("ANALYZE log_lines")
    conn.execute("VACUUM (ANALYZE) line_posting_lists")


def _create_indexes(conn: psycopg.Connection[Any], statements: Iterable[str]) -> None:
    """Run ``CREATE INDEX IF NOT EXISTS`` statements in one transaction, with memory enough to build a GIN index in
    one pass."""
    with conn.transaction():
        conn.execute("SELECT set_config('maintenance_work_mem', '256MB', true)")
        for create in statements:
            conn.execute(create)


def _build_beside(url: str, statements: Sequence[str]) -> None:
    """:func:`_create_indexes` on a connection of its own (in a thread); an error is left for the caller to meet again
    (it builds what is missing)."""
    with suppress(psycopg.Error), psycopg.connect(url, autocommit=True, connect_timeout=30) as conn:
        _create_indexes(conn, statements)


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Every connection's settings (run once, when it is opened)."""
    conn.execute("SET TIME ZONE 'UTC'")
    # psycopg prepares a statement run 5 times; PostgreSQL may then plan it once for any parameters, and
    # the plan for a common word (walk the primary key) made every rare word's search read the whole table
    conn.execute("SET plan_cache_mode = force_custom_plan")


class PostgresArchive(Archive, WebState):
    """The archive in a PostgreSQL database (``postgresql://user:password@host:port/dbname``), with the web state
    in its own tables (row locks: a sign-in never waits for an import)."""

    migrations = MIGRATIONS
    #: A bulk load of fewer lines keeps the lines' indexes (see :meth:`bulk_load`).
    bulk_min_lines: int = BULK_MIN_LINES
    #: Searches of log lines read the postings where they can (:meth:`_walk`); off, only the ``tsv`` (the
    #: reference the tests compare with).
    use_postings: bool = True
    #: The lines of a meeting are written this many at a time, their postings a part of each block (see
    #: :data:`pg_postings.BLOCK_BITS`): fewer parts, fewer lists.
    line_batch: int = 1 << BLOCK_BITS

    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        super().__init__(url)
        self._sql_cache: dict[str, str] = {}
        self._kept_masks: dict[str, tuple[tuple[Any, ...], Masks | None]] = {}  # (see _masks)
        self._walked = threading.local()  # (.last: the last walk's matching, wanted and best, see _ordered_matches)
        try:  # one connection first: a wrong URL fails at once (a pool would keep retrying), and it migrates
            first = psycopg.connect(url, autocommit=True, connect_timeout=30)
        except psycopg.Error as error:
            raise archive_failure(url, error) from None
        try:
            _configure(first)
            with self._checkout_first(first):
                self._migrate()
                self._restore_line_indexes()
        finally:
            first.close()
        self._idle_check = IdleCheck()
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": 30},
            configure=_configure,
            # a connection the server dropped is replaced, not lent (checked with a round trip only when it may be)
            check=self._idle_check.check,
            timeout=POOL_TIMEOUT,
            name="gavel-archive",
            open=True,
        )

    def web_state(self) -> WebState:
        return self

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _checkout_first(self, conn: psycopg.Connection[Row]) -> Iterator[None]:
        """Work on ``conn`` (the connection that migrates, before the pool exists)."""
        self._bound.connection, self._bound.writing = conn, True
        try:
            yield
        finally:
            self._bound.connection, self._bound.writing = None, False

    @contextmanager
    def _checkout(self, write: bool) -> Iterator[tuple[psycopg.Connection[Row], bool]]:
        """Any connection of the pool: each one reads and writes."""
        try:
            with self._pool.connection() as conn:
                try:
                    yield conn, True
                finally:
                    self._idle_check.given_back(conn)
        except PoolTimeout as error:
            raise ArchiveError(f"archive {redact(self.url)}: no free connection ({error}); try again") from None
        except PoolClosed:
            raise ArchiveError(f"archive {redact(self.url)}: the archive is closed") from None

    @property
    def _conn(self) -> psycopg.Connection[Row]:
        conn: psycopg.Connection[Row] = self._bound_connection()
        return conn

    def _sql(self, sql: str) -> str:
        """``sql`` with psycopg's placeholders, converted once per statement text (at most :data:`SQL_CACHE_SIZE`
        kept: a search's walk is a text of its own for each shape of query, a prefix's number of tokens included)."""
        converted = self._sql_cache.get(sql)
        if converted is None:
            if len(self._sql_cache) >= SQL_CACHE_SIZE:
                self._sql_cache.clear()
            converted = self._sql_cache[sql] = sql.replace("?", "%s")
        return converted

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(self._sql(sql), params).fetchall()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(self._sql(sql), params).rowcount

    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            with self._conn.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)

    @contextmanager
    def _begin(self) -> Iterator[None]:
        with self._conn.transaction():
            yield

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A ``REPEATABLE READ, READ ONLY`` transaction: one snapshot for all its statements (the pool's connections
        are in autocommit, each statement its own snapshot otherwise)."""
        conn = self._conn
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            yield
            return
        with conn.transaction():
            conn.execute(SNAPSHOT)
            yield

    def _to_db_time(self, moment: datetime) -> Any:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    def _from_db_time(self, value: Any) -> datetime:
        moment: datetime = value
        return moment.astimezone(UTC)

    def _schema_version(self) -> int:
        # Read pg_class itself, not to_regclass(): its cached "no such table" answer could be stale right after
        # another process created the schema while we waited for the migration lock.
        if not self._query(
            "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'gavel_schema' AND n.nspname = current_schema()"
        ):
            return 0
        rows = self._query("SELECT max(version) FROM gavel_schema")
        return int(rows[0][0] or 0)

    def _lock_schema(self) -> None:
        self._query("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK,))

    def _close(self) -> None:
        self._pool.close()

    # ------------------------------------------------------------------ lines and index

    def _lock_meeting(self, key: int) -> None:
        """A transaction-scoped advisory lock on the meeting's key: a second writer of the meeting waits here."""
        self._query("SELECT pg_advisory_xact_lock(?)", (key,))

    def _insert_lines(self, meeting_id: int, rows: Sequence[LineRow]) -> None:
        """The batch as one COPY with its ids (:meth:`_allocate_ids`), its data built in one pass
        (:func:`pg_copy.copy_text`), then its postings, a part of their own in each block they lie in
        (:func:`pg_postings.posting_lists`, by COPY; the nicks' by the server, :data:`_FILL_NICKS`) and its span
        (``line_spans``); the blocks due are then compacted (:meth:`_compact_due`)."""
        if not rows:
            return
        if any(later[0] <= earlier[0] for earlier, later in pairwise(rows)):
            rows = sorted(rows)  # (ids in the order of the lines' numbers: the newest line of a meeting is its last)
        first_id = self._allocate_ids(len(rows))
        last_id = first_id + len(rows) - 1
        blocks = self._query(  # (each block's row locked until the end of the store: see _LINE_BLOCKS)
            "INSERT INTO line_blocks (block, parts) SELECT block, 1 FROM generate_series(?::bigint, ?::bigint) "
            "AS b (block) ON CONFLICT (block) DO UPDATE SET parts = line_blocks.parts + 1 RETURNING block",
            (first_id >> BLOCK_BITS, last_id >> BLOCK_BITS),
        )
        with self._conn.cursor() as cursor:
            with cursor.copy(COPY_LINES) as copy:
                copy.write(copy_text(meeting_id, rows, first_id))
            with cursor.copy(COPY_POSTINGS) as copy:
                copy.write(posting_lists(first_id, rows))
        self._run(_FILL_NICKS, (pg_postings.SPLIT_LINES, first_id, meeting_id, rows[0][0], rows[-1][0]))
        times = [row[1] for row in rows]
        t = self._to_db_time
        self._run(
            "INSERT INTO line_spans (first_id, last_id, meeting_id, first_at, last_at) VALUES (?, ?, ?, ?, ?)",
            (first_id, last_id, meeting_id, t(from_micros(min(times))), t(from_micros(max(times)))),
        )
        self._compact_due([block for (block,) in blocks])

    def _allocate_ids(self, count: int) -> int:
        """The first of ``count`` consecutive new line ids (from the sequence ``log_line_ids``, under a session lock
        so that two writers' batches do not interleave: a batch's lines are one span)."""
        self._query("SELECT pg_advisory_lock(?)", (_ALLOCATE_LOCK,))
        try:
            ids = self._query(_ALLOCATE, (count,))
        except BaseException:
            # (a failed transaction cannot unlock: the connection is closed, which ends its session and the lock)
            with suppress(psycopg.Error):
                self._conn.close()
            raise
        self._query("SELECT pg_advisory_unlock(?)", (_ALLOCATE_LOCK,))
        first: int = ids[0][0]
        return first

    def _compact_due(self, blocks: Sequence[int]) -> None:
        """Compact those of ``blocks`` (whose rows this transaction locked) that have more than
        :data:`COMPACT_PARTS` parts, or are complete (every id allocated) with more than :data:`COMPLETE_PARTS` parts
        or dead lines."""
        if not blocks:
            return
        due = self._query(
            "SELECT b.block, b.dead::text FROM line_blocks b, "  # (its USAGE right is enough to read the value)
            "(SELECT coalesce(pg_sequence_last_value('log_line_ids'), 0) AS last_value) AS q "
            "WHERE b.block = ANY(?) AND (b.parts > ? OR (b.block + 1) << ? <= q.last_value + 1 "
            "AND (b.parts > ? OR b.dead <> '{}'))",
            (list(blocks), COMPACT_PARTS, BLOCK_BITS, COMPLETE_PARTS),
        )
        for block, dead in due:
            split = pg_postings.SPLIT_LINES
            self._run(_COMPACT, (block, split, split, block, block << BLOCK_BITS, dead, dead))
            self._run("UPDATE line_blocks SET parts = 1, dead = '{}' WHERE block = ?", (block,))

    def _finish_lines(self, meeting_id: int) -> None:
        """Indexed as they came (the ``tsv`` column and the postings, written by :meth:`_insert_lines`); the GIN
        indexes' pending lists are then merged into their trees (:data:`_CLEAN_PENDING`)."""
        self._query(_CLEAN_PENDING)

    @contextmanager
    def bulk_load(self, expected_lines: int) -> Iterator[None]:
        """Around ``gavel import``: when the archive holds fewer log lines than the import brings (about
        ``expected_lines``, at least :attr:`bulk_min_lines`), the lines' secondary indexes (:data:`LINE_INDEXES`) are
        dropped first and built again at the end, which cost the server ~18% less CPU than updating them line by
        line (docs/performance.md). Meanwhile searches read the table without them (slower, same results), and while
        the indexes are built other writers of log lines wait.

        A session-level advisory lock, held on a connection of its own for the whole load, tells other processes
        that a bulk load is under way; when it ends (even killed: its session ends), the next archive opened
        builds any index still missing (:meth:`_restore_line_indexes`). Only one bulk load runs at a time; a
        second one stores its lines with the indexes in place.
        """
        if expected_lines < max(1, self.bulk_min_lines):
            yield
            return
        try:
            holder = psycopg.connect(self.url, autocommit=True, connect_timeout=30)
        except psycopg.Error as error:
            raise archive_failure(self.url, error) from None
        try:
            locked = holder.execute("SELECT pg_try_advisory_lock(%s)", (_BULK_LOCK,)).fetchone()
            row = holder.execute(  # only the table's owner may drop and build its indexes
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM log_lines LIMIT %s) AS stored) < %s "
                "AND pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'log_lines'::regclass",
                (expected_lines, expected_lines),
            ).fetchone()
            if not (locked and locked[0] and row is not None and row[0]) or not _drop_line_indexes(holder):
                yield
                return
            try:
                yield
            finally:
                try:
                    _build_line_indexes(holder, self.url)
                except psycopg.Error as error:
                    raise ArchiveError(
                        f"archive {redact(self.url)}: building the log lines' search indexes after the import failed "
                        f"({error}); the next gavel to open the archive builds them"
                    ) from error
        finally:
            holder.close()  # ends the session: its advisory lock goes with it

    def _restore_line_indexes(self) -> None:
        """Build the log lines' indexes a bulk load dropped, if it ended without building them (no bulk load holds
        its lock now)."""
        if self.schema_version < _LINE_INDEXES_SINCE:
            return
        found = {row[0] for row in self._query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}
        if set(LINE_INDEXES) <= found or not self._owns_lines():
            return  # (only the table's owner may build them)
        if not self._query("SELECT pg_try_advisory_lock(?)", (_BULK_LOCK,))[0][0]:
            return  # a bulk load is under way: it builds them when it ends
        try:
            _build_line_indexes(self._conn)
        finally:
            self._query("SELECT pg_advisory_unlock(?)", (_BULK_LOCK,))

    def _owns_lines(self) -> bool:
        """Whether this connection's role owns ``log_lines`` (may drop and build its indexes)."""
        return bool(
            self._query("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'log_lines'::regclass")[0][0]
        )

    def _delete_lines(self, meeting_id: int) -> None:
        """The lines, and their spans: their postings are dead lines of their blocks (``line_blocks.dead``), left out
        of searches (:meth:`_masks`) until the block is compacted, at once where it is complete."""
        self._run("DELETE FROM log_lines WHERE meeting_id = ?", (meeting_id,))
        self._query(_LOCK_SPANS_BLOCKS, (BLOCK_BITS, BLOCK_BITS, meeting_id))
        blocks = self._query(
            "WITH spans AS (DELETE FROM line_spans WHERE meeting_id = ? RETURNING first_id, last_id), "  # noqa: S608
            "dead AS (SELECT b.block, range_agg(r.offsets) AS offsets "
            f"{_SPANS_BLOCKS} GROUP BY b.block) "
            "INSERT INTO line_blocks AS k (block, parts, dead) SELECT block, 0, offsets FROM dead "
            "ON CONFLICT (block) DO UPDATE SET dead = k.dead + excluded.dead RETURNING block",
            (meeting_id,),
        )
        self._compact_due([block for (block,) in blocks])

    def _index_items(self, meeting_id: int) -> None:
        rows = self._query("SELECT id, text FROM items WHERE meeting_id = ?", (meeting_id,))
        self._run_many(_SET_ITEM_INDEX, [(*indexed_tsvector(text), item) for item, text in rows])

    def _insert_items(self, meeting_id: int, rows: Sequence[ItemRow]) -> list[int]:
        """The items with their ``tsv`` and lengths in the insert (an update after it wrote each row twice, and its
        index entries); their ids read back by position."""
        if not rows:
            return []
        self._run_many(
            "INSERT INTO items (meeting_id, position, kind, text, nick, time, line, topic, corrected_from, "
            "timebox_minutes, minutes_spent, tsv, text_length) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::tsvector, ?)",
            [(meeting_id, *row, *indexed_tsvector(row[2])) for row in rows],
        )
        return [
            item_id
            for (item_id,) in self._query("SELECT id FROM items WHERE meeting_id = ? ORDER BY position", (meeting_id,))
        ]

    def _tokenize_everything(self) -> None:
        """Write every stored line's and item's ``tsv`` again, from gavel's tokens (migration 7)."""
        with self._conn.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE gavel_tokens (meeting_id bigint, number bigint, tsv tsvector, "
                "text_length smallint) ON COMMIT DROP"
            )
        after = (-1, -1)
        while rows := self._query(
            "SELECT meeting_id, number, text FROM log_lines WHERE (meeting_id, number) > (?, ?) "
            "ORDER BY meeting_id, number LIMIT ?",
            (*after, _RETOKENIZE_BATCH),
        ):
            with self._conn.cursor() as cursor, cursor.copy("COPY gavel_tokens FROM STDIN") as copy:
                for meeting_id, number, text in rows:
                    copy.write_row((meeting_id, number, *indexed_tsvector(text)))
            after = (rows[-1][0], rows[-1][1])
        self._run(
            "UPDATE log_lines l SET tsv = t.tsv, text_length = t.text_length FROM gavel_tokens t "
            "WHERE l.meeting_id = t.meeting_id AND l.number = t.number"
        )
        items = self._query("SELECT id, text FROM items")
        self._run_many(_SET_ITEM_INDEX, [(*indexed_tsvector(text), item) for item, text in items])

    def _unindex_items(self, meeting_id: int) -> None:
        """The index entries go with the rows."""

    def _line_page(self, meeting_id: int, after: int, count: int) -> list[Row]:
        return self._query(
            "SELECT number, time, kind, nick, text FROM log_lines WHERE meeting_id = ? AND number > ? "
            "ORDER BY number LIMIT ?",
            (meeting_id, after, count),
        )

    # ------------------------------------------------------------------ search

    def _ts_source(self, matching: Matching) -> tuple[str, list[str], list[Any]]:
        """The alias (``l`` a log line, ``i`` an item), conditions and parameters of a search."""
        query, scope = matching.query, matching.scope
        alias = "l" if matching.src == LINES else "i"
        where: list[str] = [f"{alias}.tsv @@ ?::tsquery"]
        params: list[Any] = [tsquery(matching.terms)]
        if matching.src == ITEMS and query.kind is not None:
            where.append("i.kind = ?")
            params.append(query.kind)
        if scope.where is not None:
            where.append(f"{alias}.meeting_id BETWEEN ? AND ? AND {alias}.meeting_id IN ({scope.where})")
            params.extend((scope.first, scope.last, *scope.params))
        row_where, row_params = self._line_filters(query, matching.since, matching.until, alias)
        return alias, where + row_where, params + row_params

    def _create_set_functions(self) -> None:
        """``gavel_and(a, b)`` and ``gavel_or(a, b)``: the intersection and union of two sorted ``integer[]`` of
        distinct numbers (sorted, distinct), the aggregate ``gavel_union_agg`` and ``gavel_lengths``
        (:data:`pg_walk.GAVEL_LENGTHS`) (migration 11). From the
        ``intarray`` extension (trusted: the database's owner may create it) where it is there or can be made, in C;
        else the same in SQL (slower)."""
        schema = self._intarray_schema()
        if schema is None:
            with suppress(psycopg.Error), self._conn.transaction():  # (a savepoint: a refusal undoes only this)
                self._run("CREATE EXTENSION IF NOT EXISTS intarray SCHEMA public")
            schema = self._intarray_schema()
        if schema is not None:
            quoted = '"' + schema.replace('"', '""') + '"'
            bodies = (f"SELECT {quoted}._int_inter(a, b)", f"SELECT {quoted}._int_union(a, b)")
        else:
            bodies = (
                "SELECT ARRAY(SELECT unnest(a) INTERSECT SELECT unnest(b) ORDER BY 1)",
                "SELECT ARRAY(SELECT unnest(a) UNION SELECT unnest(b) ORDER BY 1)",
            )
        for name, body in zip(_SET_FUNCTIONS, bodies, strict=True):
            self._run(
                f"CREATE OR REPLACE FUNCTION {name} (a integer[], b integer[]) RETURNS integer[] "
                f"LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ {body} $$"
            )
        self._run("CREATE AGGREGATE gavel_union_agg (integer[]) (SFUNC = gavel_or, STYPE = integer[])")
        self._run(GAVEL_LENGTHS)

    def _intarray_schema(self) -> str | None:
        rows = self._query(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'intarray'"
        )
        return str(rows[0][0]) if rows else None

    def _prefix_tokens(self, stem: str) -> list[str] | None:
        """The stored tokens starting with ``stem`` (:data:`_PREFIX_TOKENS`); None when there are more than
        :data:`PREFIX_TOKENS`."""
        bound = stem + _LAST_CHARACTER
        found = [token for (token,) in self._query(_PREFIX_TOKENS, (stem, bound, bound, PREFIX_TOKENS + 1))]
        return found if len(found) <= PREFIX_TOKENS else None

    def _posting_lists(self, matching: Matching, wanted: int) -> tuple[str, list[Any], bool] | None:
        """The walk's statement (:func:`pg_walk.walk_statement`) and its parameters, and whether a prefix's lists are
        merged to lead it. ``("", [], False)`` when no line can match; None when the lists cannot answer
        (:attr:`use_postings` off, items, a phrase ending in a prefix, a prefix of too many tokens: the ``tsv`` path
        then does)."""
        if not self.use_postings or matching.src != LINES:
            return None
        terms = walk_terms(matching, self._prefix_tokens)
        if terms is None:
            return None
        if any(not tokens for tokens in terms.prefixes):
            return "", [], False
        if len(terms.exact) > 1:  # (the token of fewest lists leads; none: no line holds every token)
            counts_sql, counts_params = lists_counted(terms)
            counts = self._query(counts_sql, counts_params)[0]
            if not all(counts):
                return "", [], False
            terms = led_by_fewest(terms, counts)
        masks = self._masks(matching)
        if masks is not None and not masks.blocks and not masks.others_kept:
            return "", [], False
        sql, params = walk_statement(matching, terms, masks, wanted)
        return sql, params, not terms.exact

    def _masks(self, matching: Matching) -> Masks | None:
        """Which lines of each block a search may find (:func:`pg_masks.masks_of`), from the spans of line ids
        (``line_spans``: their meetings in scope or not, their times inside the dates, outside, or neither) and the
        blocks' dead lines; None when every line stored may be found. (Made here from the spans' rows: their
        ranges aggregated by the server took 5 ms over 374 spans.)

        Kept for the next search of the same scope and dates while the spans are the same (:data:`_SPANS_VERSION`,
        read before the masks are made: a store committed in between makes the next search make them again). A
        meeting's scope (restricted, series, channel) changes only when it is stored again, with new spans, or deleted
        with its spans. Made again, they took 3-10 ms of a search over 1,109 meetings. (The dead lines a block's
        compaction took away since are left out of a kept mask: those lines are in no list any more.)"""
        scope, since, until = matching.scope, matching.since, matching.until
        if scope.where is None and since is None and until is None:
            dead: dict[int, str] = dict(self._query(_DEAD_LINES))
            return masks_of([], dead, dated=False) if dead else None
        key = repr((scope.where, scope.params, since, until))
        version = tuple(self._query(_SPANS_VERSION)[0])
        kept = self._kept_masks.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        masks = self._made_masks(matching)
        if len(self._kept_masks) >= _KEPT_MASKS:
            self._kept_masks.clear()
        self._kept_masks[key] = (version, masks)
        return masks

    def _made_masks(self, matching: Matching) -> Masks | None:
        """:meth:`_masks` read from the spans and the dead lines."""
        scope, since, until = matching.scope, matching.since, matching.until
        params: list[Any] = list(scope.params)
        in_scope = "true" if scope.where is None else f"meeting_id IN ({scope.where})"
        inside, outside = ["true"], ["false"]
        if since is not None:
            inside.append("first_at >= ?")
            outside.append("last_at < ?")
        if until is not None:
            inside.append("last_at < ?")
            outside.append("first_at >= ?")
        bounds = [bound for bound in (since, until) if bound is not None]
        rows = self._query(  # (the blocks' dead lines with them: one statement)
            f"SELECT first_id, last_id, {in_scope}, {' AND '.join(inside)}, {' OR '.join(outside)}, NULL "  # noqa: S608
            f"FROM line_spans UNION ALL SELECT block, NULL, NULL, NULL, NULL, dead::text FROM line_blocks "
            "WHERE dead <> '{}' ORDER BY 1",
            [*params, *bounds, *bounds],
        )
        spans = [row[:5] for row in rows if row[5] is None]
        dead = {row[0]: row[5] for row in rows if row[5] is not None}
        return masks_of(spans, dead, dated=since is not None or until is not None)

    def _walk(self, matching: Matching, limit: int, wanted: int) -> Counted | None:
        """From the postings (:meth:`_posting_lists`; None where they cannot answer): how many lines match, up to
        ``limit``, and the first ``wanted`` in rank order. The lists are read from a cursor, a few at first and more
        each time: those of any length (first) all, those of a length until ``limit`` lines are counted and
        ``wanted`` of them read. The lines are found by id, their meetings and numbers left at 0 (read for a page's
        hits alone: :meth:`_located`).

        Where a prefix leads, a line may be in a list of any length of one of its tokens and in a list of a length of
        another: each list's lines come (:func:`pg_walk.walk_statement`), and those of a length already found in a
        list of any length of the same block and part are not counted again."""
        if not self.use_postings or matching.src != LINES:
            return None
        idle = self._conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        # (the masks and the walk in one snapshot, unless in a transaction already; there, in a savepoint rolled
        # back after it, so that its planner settings end with it: it writes nothing)
        with self._conn.transaction() as walk:
            self._conn.execute(WALK_SETTINGS if idle else NO_MEMOIZE)
            built = self._posting_lists(matching, wanted)
            walked: tuple[int, list[tuple[int, int]]] | None = None
            if built is not None:
                sql, params, merged = built
                walked = self._walked_lists(sql, params, merged, limit, wanted) if sql else (0, [])
            if not idle:
                raise psycopg.Rollback(walk)
        if walked is None:
            return None
        count, found = walked
        found.sort()
        return min(count, limit), [(length, LINES, -negated, 0, 0) for length, negated in found[:wanted]]

    def _walked_lists(
        self, sql: str, params: list[Any], merged: bool, limit: int, wanted: int
    ) -> tuple[int, list[tuple[int, int]]]:
        """:meth:`_walk`'s reading of its statement's rows: the lines counted (up to ``limit`` at least, when there
        are as many), and the ``(length, -id)`` of the lines read (the first ``wanted`` in rank order among them)."""
        count = of_a_length = 0
        found: list[tuple[int, int]] = []  # (length, -id)
        seen: dict[tuple[int, int], set[int]] = {}  # (a prefix leading: the keys in lists of any length)
        with self._conn.cursor(name="gavel_posting_lists") as cursor:
            if merged:
                self._conn.execute(MERGE_SETTINGS)
            cursor.execute(self._sql(sql), params)
            walked = 0
            size = FIRST_FETCH
            while (count < limit or of_a_length < wanted) and (rows := cursor.fetchmany(size)):
                before = count
                for length, block, part, lines, keys in rows:
                    if length >= 0:
                        if of_a_length >= wanted and count >= limit:
                            break
                        if merged and (block, part) in seen:
                            keys = [key for key in keys if key not in seen[block, part]]
                            lines = len(keys)
                        of_a_length += lines
                        keys = keys and keys[::-1][:wanted]
                    else:
                        if merged:
                            seen[block, part] = set(keys)
                        if len(keys) > wanted:  # (the first wanted, and the rest of the last one's length)
                            end = ((keys[wanted - 1] >> BLOCK_BITS) + 1) << BLOCK_BITS if wanted else 0
                            keys = keys[: bisect_left(keys, end)]
                    if keys:
                        base = block << BLOCK_BITS
                        found += [(key >> BLOCK_BITS, -(base + (key & BLOCK_MASK))) for key in keys]
                    count += lines
                if len(rows) < size:  # (the last rows: no fetch of none after them)
                    break
                walked += len(rows)
                size = next_fetch(walked, count, len(rows), count - before, limit)
        return count, found

    def _located(self, hits: list[Ordered]) -> list[Ordered]:
        """The meetings and numbers of the log lines the postings found (:meth:`_walk`: by id), read by id."""
        wanted = [line_id for _length, src, line_id, meeting_id, _line in hits if src == LINES and not meeting_id]
        if not wanted:
            return hits
        keys: dict[int, tuple[int, int]] = {
            line_id: (meeting_id, number)
            for line_id, meeting_id, number in self._query(
                "SELECT id, meeting_id, number FROM log_lines WHERE id = ANY(?)", (wanted,)
            )
        }
        located: list[Ordered] = []
        for hit in hits:
            length, src, line_id, meeting_id, _line = hit
            if src != LINES or meeting_id:
                located.append(hit)
            elif line_id in keys:
                located.append((length, src, line_id, *keys[line_id]))
        return located

    def _matches(self, matching: Matching, limit: int, wanted: int) -> Counted:
        """Where the postings can answer (:meth:`_walk`), the first ``limit`` matches in rank order are counted from
        them and the first ``wanted`` handed back; else (and when ``limit`` matches are found and would be sorted:
        only with a cap below the sort limit, where the best of the *newest* are wanted) from the ``tsv``
        (:meth:`_tsv_matches`)."""
        walked = self._walk(matching, limit, wanted)
        if walked is not None:
            count, best = walked
            if count < limit or limit > self.sort_limit:
                self._walked.last = (matching, wanted, best)  # (the first wanted in rank order, for _ordered_matches)
                return count, best
            # (the best of the newest ``limit``, which are ranked when the cap is below the sort limit: rare)
        return self._tsv_matches(matching, limit, wanted)

    def _tsv_matches(self, matching: Matching, limit: int, wanted: int) -> Counted:
        """:meth:`_matches` from the ``tsv`` column: for a common word the planner walks the table (or its primary
        key backwards) and stops early, for a rare one it reads the GIN index. The matches found are counted and
        ranked by the server: only the count and ``wanted`` rows come back."""
        _alias, where, params = self._ts_source(matching)
        if matching.src == LINES:
            head = "SELECT l.text_length, 0, l.id, l.meeting_id, l.number FROM log_lines l"
            order, found_order, rank = "l.id DESC", "id DESC", "size, item DESC"
        else:
            head = "SELECT i.text_length, 1, i.id, i.meeting_id, i.line FROM items i"
            order, found_order = "i.id DESC", "id DESC"
            rank = "size, item DESC"
        if limit > self.sort_limit:
            # All of them are ranked when fewer than the limit match; else they are only counted (ranked by
            # _ordered_matches): their order does not matter, and a bitmap scan stops at the limit without sorting
            order = found_order = ""
        columns = "found (size, src, item, meeting_id, line)"
        if any(len(term.words) > 1 for term in matching.terms):
            # A phrase: the planner takes it for as common as its words together and walks the primary key, but
            # only the lines' positions tell, so a rare phrase of common words read every line (2.6 s for "the
            # patch" over 3M lines). All the lines holding its words are read from the GIN index instead (0.5 s).
            newest = (
                f"every AS MATERIALIZED ({head} WHERE {' AND '.join(where)}), "  # noqa: S608
                f"{columns} AS MATERIALIZED (SELECT * FROM every {found_order and 'ORDER BY ' + found_order} LIMIT ?)"
            )
        else:
            newest = (
                f"{columns} AS MATERIALIZED ({head} WHERE {' AND '.join(where)} "
                f"{order and 'ORDER BY ' + order} LIMIT ?)"
            )
        rows = self._query(
            f"WITH {newest} SELECT (SELECT count(*) FROM found), * FROM found ORDER BY {rank} LIMIT ?",  # noqa: S608
            [*params, limit, wanted],
        )
        return (rows[0][0] if rows else 0), [row[1:] for row in rows]

    def _ordered_matches(self, matching: Matching, limit: int) -> list[Ordered]:
        """One query in rank order: for a common word the planner walks the index of lengths and checks each line's
        ``tsv``, stopping after ``limit``; for a rarer one it reads the GIN index and sorts. Where the postings can
        answer (:meth:`_walk`), from them: those :meth:`_matches` just read from them, where it read as many (the
        walk ranks its first ``wanted`` exactly, so a second walk would read the same lists again)."""
        last, self._walked.last = getattr(self._walked, "last", None), None
        if last is not None and last[0] is matching and last[1] >= limit:
            best: list[Ordered] = last[2][:limit]
            return best
        walked = self._walk(matching, limit, limit)
        if walked is not None:
            return walked[1]
        alias, where, params = self._ts_source(matching)
        where.append(f"{alias}.text_length >= ?")  # shorter texts cannot hold every word: skip them in the index
        params.append(least_length(matching.terms))
        if matching.src == LINES:
            head = "SELECT l.text_length, 0, l.id, l.meeting_id, l.number FROM log_lines l"
            order = "l.text_length, l.id DESC"
        else:
            head = "SELECT i.text_length, 1, i.id, i.meeting_id, i.line FROM items i"
            order = "i.text_length, i.id DESC"
        return self._query(f"{head} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT ?", [*params, limit])

    def _line_hits(self, keys: Sequence[tuple[int, int]]) -> list[Row]:
        if not keys:
            return []
        return self._query(
            "SELECT l.meeting_id, l.number, l.time, l.nick, l.text, s.name, m.log_basename, m.channel "  # noqa: S608
            "FROM log_lines l JOIN meetings m ON m.id = l.meeting_id JOIN series s ON s.id = m.series_id "
            f"WHERE (l.meeting_id, l.number) IN ({', '.join(['(?, ?)'] * len(keys))})",
            [value for key in keys for value in key],
        )

    @contextmanager
    def _time_limit(self, seconds: float) -> Iterator[None]:
        """``statement_timeout`` on the thread's connection for the statements of the block (PostgreSQL cancels
        one running longer), and the planner settings of a search (:data:`SEARCH_SETTINGS`), reset after it."""
        settings = {"statement_timeout": f"{max(1, int(seconds * 1000))}", **SEARCH_SETTINGS}
        self._conn.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, false)"] * len(settings)),
            [value for pair in settings.items() for value in pair],
        )
        try:
            yield
        finally:
            with suppress(psycopg.Error):  # a lost connection has no settings to reset
                self._conn.execute("; ".join(f"RESET {name}" for name in settings))

    def _busy(self, error: Exception) -> bool:
        """A cancelled statement (the time limit), a lock not granted, a lost connection."""
        return isinstance(error, psycopg.OperationalError)

    def _bad_search(self, error: Exception) -> bool:
        """The parser tripped on a word: no hits."""
        return isinstance(error, psycopg.errors.SyntaxError | psycopg.errors.DataError)
