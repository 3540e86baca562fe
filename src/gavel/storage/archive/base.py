"""The archive interface and everything both backends share (SQL that both dialects accept).

A backend supplies the connection, the schema migrations, how a batch of log lines is written and
how full-text search runs; storing minutes, listing and reading are written once here, in SQL with
``?`` placeholders (the PostgreSQL backend turns them into ``%s``).
"""

from __future__ import annotations

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from types import TracebackType
from typing import Any

from gavel.core.effects import LogLine
from gavel.core.records import ItemKind
from gavel.storage.archive.model import (
    ActionRow,
    ArchiveError,
    ItemRow,
    LogRow,
    MeetingDetail,
    MeetingSummary,
    PersonRow,
    SchemaTooNewError,
    SearchHit,
    SearchQuery,
    SearchResults,
    SeriesDetail,
    SeriesSummary,
    VoteRow,
    YearMeetings,
)
from gavel.storage.archive.query import Candidate, Term, idf, parse_query, rank, snippet
from gavel.storage.archive.record import ItemRecord, MeetingRecord
from gavel.storage.archive.spool import LineRow, batched_rows, clean, from_micros

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class SearchScope:
    """The meetings a search may find hits in: ``where`` is None for every meeting, else SQL selecting their ids
    (with its ``params``), whose ids lie in ``first`` .. ``last``."""

    where: str | None
    params: tuple[Any, ...]
    first: int | None
    last: int | None


Migration = tuple[int, tuple[str, ...]]
"""A schema version and the statements that bring the previous version to it."""

LINE_PAGE = 2000  # rows per query when log_lines() pages through a meeting
MAX_PER_PAGE = 100
SEARCH_CAP = 2_000
"""At most this many hits of a search are counted and ranked (the most recently stored ones)."""
ITEM_KINDS = frozenset(kind.value for kind in ItemKind)
_ACTION = ItemKind.ACTION.value

KeptActions = dict[tuple[int, str], Row]
"""A meeting's stored actions before it is stored again: ``(line, text) -> (id, status, done_at, done_in)``."""

_MEETING_COLUMNS = (
    "m.id, s.name, m.channel, m.network, m.title, m.owner, m.chairs, m.started_at, m.ended_at, m.unfinished, "
    "m.restricted, m.log_basename, m.line_count"
)
_MEETINGS = f"SELECT {_MEETING_COLUMNS} FROM meetings m JOIN series s ON s.id = m.series_id"  # noqa: S608
_ACTIONS = (
    "SELECT a.id, a.meeting_id, s.name, m.log_basename, m.started_at, i.text, i.nick, i.time, i.line, a.status, "
    "a.done_at, a.done_in FROM actions a JOIN items i ON i.id = a.item_id JOIN meetings m ON m.id = a.meeting_id "
    "JOIN series s ON s.id = m.series_id"
)


class Archive(ABC):
    """A meeting archive: minutes, every log line, actions and a full-text index, in SQLite or PostgreSQL.

    Open one with :func:`gavel.storage.archive.open_archive`. An archive may be shared between
    threads (calls are serialized by a lock); ``close()`` it, or use it as a context manager.
    Restricted meetings (``#restrictlogs``) are left out of every answer unless the call passes
    ``include_restricted=True``.
    """

    #: The schema migrations of this backend, oldest first; the last one's number is the current version.
    migrations: Sequence[Migration] = ()
    #: At most this many hits of a search are counted and ranked (see :meth:`search`).
    search_cap: int = SEARCH_CAP

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ backend hooks

    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a statement with ``?`` placeholders; its rows."""

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; the number of rows it changed."""

    @abstractmethod
    def _run_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run a statement once per parameter row."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """A write transaction: committed when the block ends, rolled back when it raises."""

    @abstractmethod
    def _to_db_time(self, moment: datetime) -> Any: ...

    @abstractmethod
    def _from_db_time(self, value: Any) -> datetime: ...

    @abstractmethod
    def _schema_version(self) -> int:
        """The stored schema version (0 for an empty database)."""

    @abstractmethod
    def _lock_schema(self) -> None:
        """Inside a transaction: keep other processes from migrating at the same time."""

    @abstractmethod
    def _insert_lines(self, meeting_id: int, rows: Sequence[LineRow]) -> None:
        """Write a batch of log lines of one meeting (and index them)."""

    @abstractmethod
    def _finish_lines(self, meeting_id: int) -> None:
        """All of a meeting's lines are in: index them (if the backend does not as they come)."""

    @abstractmethod
    def _delete_lines(self, meeting_id: int) -> None:
        """Remove a meeting's log lines (and their index entries)."""

    @abstractmethod
    def _index_items(self, meeting_id: int) -> None:
        """Index the meeting's freshly inserted minutes items for search (if the backend needs it)."""

    @abstractmethod
    def _unindex_items(self, meeting_id: int) -> None:
        """Drop the meeting's minutes items from the index (before they are deleted)."""

    @abstractmethod
    def _line_page(self, meeting_id: int, after: int, count: int) -> list[Row]:
        """Up to ``count`` ``(number, time, kind, nick, text)`` rows numbered above ``after``, in order."""

    @abstractmethod
    def _line_candidates(
        self, query: SearchQuery, terms: tuple[Term, ...], scope: SearchScope, limit: int
    ) -> list[Candidate]:
        """The log lines in ``scope`` matching ``terms`` and the query's nick and date filters, the most recently
        stored first, at most ``limit``: ``(0, 0, meeting_id, number, text)``."""

    # How a backend finds minutes items by their words: the FROM clause (``i`` is the items table), the
    # condition taking the match parameter, the newest-first order, and that parameter for some terms.
    _ITEM_SOURCE: str
    _ITEM_MATCH: str
    _ITEM_ORDER: str

    @abstractmethod
    def _match_param(self, terms: tuple[Term, ...]) -> str:
        """``terms`` in the backend's full-text query syntax."""

    def _item_candidates(
        self, query: SearchQuery, terms: tuple[Term, ...], scope: SearchScope, limit: int, first: int | None
    ) -> list[Candidate]:
        """The same for minutes items (of the query's kind, if it names one; of meetings numbered ``first`` or
        more when given): ``(1, id, meeting_id, line, text)``."""
        where: list[str] = [self._ITEM_MATCH]
        params: list[Any] = [self._match_param(terms)]
        if query.kind is not None:
            where.append("i.kind = ?")
            params.append(query.kind)
        if first is not None:
            where.append("i.meeting_id >= ?")
            params.append(first)
        if scope.where is not None:
            where.append(f"i.meeting_id IN ({scope.where})")
            params.extend(scope.params)
        since, until = self._search_bounds(query)
        item_where, item_params = self._line_filters(query, since, until, "i")
        return self._candidates(
            f"SELECT 1, i.id, i.meeting_id, i.line, i.text FROM {self._ITEM_SOURCE} "  # noqa: S608
            f"WHERE {' AND '.join(where + item_where)} ORDER BY {self._ITEM_ORDER} LIMIT ?",
            [*params, *item_params, limit],
        )

    @abstractmethod
    def _term_matches(self, term: Term, limit: int) -> tuple[int, tuple[int, int] | None]:
        """How many log lines (in any meeting) hold ``term``, counting at most ``limit``, and the
        ``(meeting_id, number)`` of the oldest one counted."""

    @abstractmethod
    def _line_hits(self, keys: Sequence[tuple[int, int]]) -> list[Row]:
        """The log lines ``(meeting_id, number)``: ``(meeting_id, number, time, nick, text, series, basename,
        channel)`` rows, in any order."""

    @abstractmethod
    def _bad_search(self, error: Exception) -> bool:
        """True when ``error`` came from the full-text engine refusing a query (it then finds nothing)."""

    @abstractmethod
    def _close(self) -> None: ...

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version this code writes (the database's, once opened)."""
        return self.migrations[-1][0]

    def _migrate(self) -> None:
        """Bring the schema up to date; refuse (changing nothing) a database newer than this code."""
        known = self.schema_version
        found = self._schema_version()
        if found > known:
            raise SchemaTooNewError(self.url, found, known)
        if found == known:
            return
        with self._transaction():
            self._lock_schema()
            found = self._schema_version()  # another process may have migrated meanwhile
            if found > known:
                raise SchemaTooNewError(self.url, found, known)
            for version, statements in self.migrations:
                if version <= found:
                    continue
                for statement in statements:
                    self._run(statement)
                if version == 1:
                    self._run("INSERT INTO gavel_schema (version) VALUES (?)", (version,))
                else:
                    self._run("UPDATE gavel_schema SET version = ?", (version,))

    # ------------------------------------------------------------------ storing

    def store(self, record: MeetingRecord, lines: Iterable[LogLine]) -> int:
        """Store a meeting: its minutes (``record``) and every log line, in one transaction; its id.

        ``lines`` is consumed in batches, never held whole. Storing a meeting again (same series,
        ``started_at`` and channel) replaces its rows in one transaction and keeps the meeting's id;
        an action still in its minutes (same line and text) keeps its id and its done/open status.
        Other rows (items, votes, people) get new ids.
        """
        return self.store_rows(record, batched_rows(lines))

    def store_rows(self, record: MeetingRecord, batches: Iterable[Sequence[LineRow]]) -> int:
        """:meth:`store` for lines already turned into rows (see ``spool.LineRow``), one batch at a time."""
        with self._lock, self._transaction():
            meeting_id = self._store_minutes(record)
            count = 0
            first = last = None  # the lines' earliest and latest times (microseconds), for search's date filters
            for batch in batches:
                if batch:
                    self._insert_lines(meeting_id, batch)
                    count += len(batch)
                    times = [row[1] for row in batch]
                    low, high = min(times), max(times)
                    first = low if first is None else min(first, low)
                    last = high if last is None else max(last, high)
            self._finish_lines(meeting_id)
            t = self._to_db_time
            self._run(
                "UPDATE meetings SET line_count = ?, first_line_at = ?, last_line_at = ? WHERE id = ?",
                (
                    count,
                    None if first is None else t(from_micros(first)),
                    None if last is None else t(from_micros(last)),
                    meeting_id,
                ),
            )
        return meeting_id

    def _store_minutes(self, record: MeetingRecord) -> int:
        t = self._to_db_time
        series = clean(record.series)
        self._run("INSERT INTO series (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (series,))
        series_id = self._query("SELECT id FROM series WHERE name = ?", (series,))[0][0]
        started = t(record.started_at)
        found = self._query(
            "SELECT id FROM meetings WHERE series_id = ? AND started_at = ? AND channel = ?",
            (series_id, started, clean(record.channel)),
        )
        values = (
            clean(record.channel),
            None if record.network is None else clean(record.network),
            None if record.title is None else clean(record.title),
            clean(record.owner),
            json.dumps([clean(chair) for chair in record.chairs], ensure_ascii=False),
            started,
            None if record.ended_at is None else t(record.ended_at),
            record.unfinished,
            record.restricted,
            clean(record.log_basename),
            t(datetime.now(UTC)),
        )
        kept: KeptActions = {}
        if found:
            meeting_id: int = found[0][0]
            kept = self._action_states(meeting_id)
            self._delete_minutes(meeting_id)
            self._delete_lines(meeting_id)
            self._run(
                "UPDATE meetings SET channel = ?, network = ?, title = ?, owner = ?, chairs = ?, started_at = ?, "
                "ended_at = ?, unfinished = ?, restricted = ?, log_basename = ?, stored_at = ?, line_count = 0 "
                "WHERE id = ?",
                (*values, meeting_id),
            )
        else:
            meeting_id = self._query(
                "INSERT INTO meetings (channel, network, title, owner, chairs, started_at, ended_at, unfinished, "
                "restricted, log_basename, stored_at, series_id, line_count) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id",
                (*values, series_id),
            )[0][0]
        self._insert_minutes(meeting_id, record, kept)
        return meeting_id

    def _action_states(self, meeting_id: int) -> KeptActions:
        rows = self._query(
            "SELECT i.line, i.text, a.id, a.status, a.done_at, a.done_in "
            "FROM actions a JOIN items i ON i.id = a.item_id WHERE a.meeting_id = ?",
            (meeting_id,),
        )
        return {(row[0], row[1]): row[2:] for row in rows}

    def _delete_minutes(self, meeting_id: int) -> None:
        self._run(
            "DELETE FROM action_owners WHERE action_id IN (SELECT id FROM actions WHERE meeting_id = ?)", (meeting_id,)
        )
        self._run("DELETE FROM actions WHERE meeting_id = ?", (meeting_id,))
        self._unindex_items(meeting_id)
        for table in ("items", "votes", "people"):
            self._run(f"DELETE FROM {table} WHERE meeting_id = ?", (meeting_id,))  # noqa: S608 -- fixed names

    def _insert_minutes(self, meeting_id: int, record: MeetingRecord, kept: KeptActions) -> None:
        t = self._to_db_time
        self._run_many(
            "INSERT INTO items (meeting_id, position, kind, text, nick, time, line, topic) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    meeting_id,
                    position,
                    item.kind,
                    clean(item.text),
                    clean(item.nick),
                    t(item.time),
                    item.line,
                    None if item.topic is None else clean(item.topic),
                )
                for position, item in enumerate(record.items)
            ],
        )
        self._index_items(meeting_id)
        self._run_many(
            "INSERT INTO people (meeting_id, position, nick, lines) VALUES (?, ?, ?, ?)",
            [(meeting_id, position, clean(p.nick), p.lines) for position, p in enumerate(record.people)],
        )
        self._run_many(
            "INSERT INTO votes (meeting_id, position, question, options, results, nick, time, ended_at, line) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    meeting_id,
                    position,
                    clean(vote.question),
                    json.dumps([clean(o) for o in vote.options], ensure_ascii=False),
                    json.dumps(
                        [[clean(o), [clean(n) for n in voters]] for o, voters in vote.results], ensure_ascii=False
                    ),
                    clean(vote.nick),
                    t(vote.time),
                    None if vote.ended_at is None else t(vote.ended_at),
                    vote.line,
                )
                for position, vote in enumerate(record.votes)
            ],
        )
        actions = [(position, item) for position, item in enumerate(record.items) if item.kind == _ACTION]
        if actions:
            self._insert_actions(meeting_id, actions, kept)

    def _insert_actions(self, meeting_id: int, actions: list[tuple[int, ItemRecord]], kept: KeptActions) -> None:
        """The rows of the action items (by their position in the minutes) and their owners; an action stored
        before (same line and text) keeps its id and status."""
        item_ids: dict[int, int] = dict(
            self._query("SELECT position, id FROM items WHERE meeting_id = ?", (meeting_id,))
        )
        again, new = [], []
        for position, action in actions:
            old = kept.get((action.line, clean(action.text)))
            if old is None:
                new.append((item_ids[position], meeting_id))
            else:
                again.append((old[0], item_ids[position], meeting_id, *old[1:]))
        self._run_many(
            "INSERT INTO actions (id, item_id, meeting_id, status, done_at, done_in) VALUES (?, ?, ?, ?, ?, ?)", again
        )
        self._run_many("INSERT INTO actions (item_id, meeting_id, status) VALUES (?, ?, 'open')", new)
        action_ids: dict[int, int] = dict(
            self._query("SELECT item_id, id FROM actions WHERE meeting_id = ?", (meeting_id,))
        )
        self._run_many(
            "INSERT INTO action_owners (action_id, position, nick) VALUES (?, ?, ?)",
            [
                (action_ids[item_ids[position]], place, clean(nick))
                for position, action in actions
                for place, nick in enumerate(action.owners)
            ],
        )

    # ------------------------------------------------------------------ reading

    def has_meeting(self, series: str, started_at: datetime, channel: str) -> bool:
        """True when a meeting of ``series`` in ``channel`` started in the same minute as ``started_at``.

        Minute precision is what MeetBot file names carry, so an import can skip a file by its name.
        Restricted meetings count too.
        """
        start = _utc(started_at).replace(second=0, microsecond=0)
        with self._lock:
            return bool(
                self._query(
                    "SELECT 1 FROM meetings m JOIN series s ON s.id = m.series_id "
                    "WHERE s.name = ? AND m.channel = ? AND m.started_at >= ? AND m.started_at < ?",
                    (series, channel, self._to_db_time(start), self._to_db_time(start + timedelta(minutes=1))),
                )
            )

    def list_series(self, *, include_restricted: bool = False) -> list[SeriesSummary]:
        """Every series with at least one (visible) meeting, by name."""
        with self._lock:
            rows = self._query(
                "SELECT s.name, count(m.id), min(m.started_at), max(m.started_at), "
                "(SELECT count(*) FROM actions a JOIN meetings am ON am.id = a.meeting_id "
                "WHERE am.series_id = s.id AND a.status = 'open' AND (? OR NOT am.restricted)) "
                "FROM series s JOIN meetings m ON m.series_id = s.id WHERE (? OR NOT m.restricted) "
                "GROUP BY s.id, s.name ORDER BY s.name",
                (include_restricted, include_restricted),
            )
        f = self._from_db_time
        return [SeriesSummary(name, count, f(first), f(last), actions) for name, count, first, last, actions in rows]

    def series(self, name: str, *, include_restricted: bool = False) -> SeriesDetail | None:
        """A series' meetings by year (newest first) and its open actions; None if it has no visible meeting."""
        with self._lock:
            rows = self._query(
                f"{_MEETINGS} WHERE s.name = ? AND (? OR NOT m.restricted) ORDER BY m.started_at DESC, m.id DESC",
                (name, include_restricted),
            )
            if not rows:
                return None
            actions = self.open_actions(name, include_restricted=include_restricted)
        meetings = [self._meeting_summary(row) for row in rows]
        years: list[YearMeetings] = []
        for meeting in meetings:
            if years and years[-1].year == meeting.started_at.year:
                years[-1] = YearMeetings(meeting.started_at.year, (*years[-1].meetings, meeting))
            else:
                years.append(YearMeetings(meeting.started_at.year, (meeting,)))
        return SeriesDetail(name, len(meetings), tuple(years), tuple(actions))

    def shared_basenames(self, *, include_restricted: bool = False) -> frozenset[tuple[str, str]]:
        """The ``(series, log basename)`` pairs that name more than one (visible) meeting: the meetings started
        in the same minute, which a link must name by id."""
        with self._lock:
            rows = self._query(
                "SELECT s.name, m.log_basename FROM meetings m JOIN series s ON s.id = m.series_id "
                "WHERE (? OR NOT m.restricted) GROUP BY s.name, m.log_basename HAVING COUNT(*) > 1",
                (include_restricted,),
            )
        return frozenset((series, basename) for series, basename in rows)

    def meeting(
        self, series: str | None, basename_or_id: str | int, *, include_restricted: bool = False
    ) -> MeetingDetail | None:
        """A meeting with its minutes, by id (an int or a string of digits) or by its log basename within
        ``series`` (``"<name>.<YYYY-MM-DD-HH.MM>"``); None if there is none (or it is restricted).

        With an id, ``series`` may be None; when given it must match.
        """
        with self._lock:
            if isinstance(basename_or_id, int) or basename_or_id.isdigit():
                rows = self._query(f"{_MEETINGS} WHERE m.id = ?", (int(basename_or_id),))
                if rows and series is not None and rows[0][1] != series:
                    rows = []
            else:  # the first one the viewer may see
                rows = self._query(
                    f"{_MEETINGS} WHERE s.name = ? AND m.log_basename = ? AND (? OR NOT m.restricted) "
                    "ORDER BY m.started_at, m.id",
                    (series, basename_or_id, include_restricted),
                )
            if not rows:
                return None
            summary = self._meeting_summary(rows[0])
            if summary.restricted and not include_restricted:
                return None
            meeting_id = summary.id
            f = self._from_db_time
            items = tuple(
                ItemRow(row[0], row[1], row[2], row[3], f(row[4]), row[5], row[6])
                for row in self._query(
                    "SELECT id, kind, text, nick, time, line, topic FROM items WHERE meeting_id = ? ORDER BY position",
                    (meeting_id,),
                )
            )
            people = tuple(
                PersonRow(nick, lines)
                for nick, lines in self._query(
                    "SELECT nick, lines FROM people WHERE meeting_id = ? ORDER BY position", (meeting_id,)
                )
            )
            votes = tuple(
                VoteRow(
                    question,
                    tuple(json.loads(options)),
                    tuple((option, tuple(nicks)) for option, nicks in json.loads(results)),
                    nick,
                    f(when),
                    None if ended is None else f(ended),
                    line,
                )
                for question, options, results, nick, when, ended, line in self._query(
                    "SELECT question, options, results, nick, time, ended_at, line FROM votes "
                    "WHERE meeting_id = ? ORDER BY position",
                    (meeting_id,),
                )
            )
            actions = self._action_rows(f"{_ACTIONS} WHERE a.meeting_id = ? ORDER BY i.position", (meeting_id,))
        return MeetingDetail(
            **{field.name: getattr(summary, field.name) for field in fields(MeetingSummary)},
            items=items,
            people=people,
            votes=votes,
            actions=actions,
        )

    def log_lines(
        self, meeting_id: int, offset: int = 0, limit: int | None = None, *, include_restricted: bool = False
    ) -> Iterator[LogRow]:
        """A meeting's log lines numbered above ``offset``, in order, at most ``limit`` of them.

        Read in pages (a million-line meeting streams); nothing for an unknown or restricted meeting.
        """
        with self._lock:
            visible = self._query("SELECT restricted FROM meetings WHERE id = ?", (meeting_id,))
        if not visible or (visible[0][0] and not include_restricted):
            return
        after, left = offset, limit
        f = self._from_db_time
        while left is None or left > 0:
            count = LINE_PAGE if left is None else min(left, LINE_PAGE)
            with self._lock:
                rows = self._line_page(meeting_id, after, count)
            for number, when, kind, nick, text in rows:
                yield LogRow(number, f(when), kind, nick, text)
            if len(rows) < count:
                return
            after = rows[-1][0]
            if left is not None:
                left -= len(rows)

    def search(self, query: SearchQuery) -> SearchResults:
        """Log lines and minutes items matching ``query``, best first (BM25), one page.

        At most :attr:`search_cap` hits are counted and ranked: when more match, the most recently
        stored ``search_cap`` of them are (``total`` is then ``search_cap`` and ``total_capped`` is
        true). This bounds the work a query does whatever the size of the archive: the index is
        read newest first until enough candidates pass the filters, only they are scored, only the
        page's rows are read in full and only their snippets are made.

        The score is BM25 (k1 1.2, b 0.75, as FTS5's bm25()), computed here from the candidates'
        text by both backends alike, so SQLite and PostgreSQL rank the same hits the same way: a
        term's weight comes from the number of log lines it occurs in (counted up to the cap, then
        estimated from how far back the newest ``search_cap`` matches reach), lengths are compared
        with the candidates' average. Never raises for what a person typed (see :class:`SearchQuery`).
        """
        page = max(1, query.page)
        per_page = min(max(1, query.per_page), MAX_PER_PAGE)
        empty = SearchResults(0, page, per_page, ())
        terms = parse_query(query.text)
        if not terms or (query.kind is not None and query.kind != "line" and query.kind not in ITEM_KINDS):
            return empty
        cap = max(1, self.search_cap)
        with self._lock:
            scope = self._search_scope(query)
            if scope is None:
                return empty
            try:
                candidates = (
                    [] if query.kind not in (None, "line") else self._line_candidates(query, terms, scope, cap + 1)
                )
                if query.kind != "line":
                    # with more lines than the cap, only items of their meetings can be among the newest
                    first = candidates[-1][2] if len(candidates) > cap else None
                    candidates += self._item_candidates(query, terms, scope, cap + 1, first)
                weights = self._term_weights(terms, cap + 1) if len(terms) > 1 and candidates else [1.0] * len(terms)
            except Exception as error:
                if self._bad_search(error):
                    return empty
                raise
        counted = len(candidates)
        if counted > cap:  # rank the newest `cap` of them (both kinds together)
            candidates.sort(key=itemgetter(2, 3), reverse=True)
            del candidates[cap:]
        ranked = rank(candidates, terms, weights)
        offset = (page - 1) * per_page
        page_rows = ranked[offset : offset + per_page]
        with self._lock:
            lines = {
                (row[0], row[1]): row
                for row in self._line_hits(
                    [(meeting_id, line) for _s, src, _i, meeting_id, line in page_rows if src == 0]
                )
            }
            items = {row[0]: row for row in self._item_hits([item for _s, src, item, _m, _l in page_rows if src == 1])}
        f = self._from_db_time
        hits = []
        for score, src, item, meeting_id, line in page_rows:
            found = lines.get((meeting_id, line)) if src == 0 else items.get(item)
            if found is None:  # stored again since it was found
                continue
            if src == 0:
                _m, _l, when, nick, text, series, basename, channel = found
                kind = "line"
            else:
                _i, kind, when, nick, text, series, basename, channel = found
            hits.append(
                SearchHit(
                    series=series,
                    meeting_basename=basename,
                    meeting_id=meeting_id,
                    channel=channel,
                    time=f(when),
                    nick=nick,
                    kind=kind,
                    text=text,
                    snippet=snippet(text, terms),
                    line=line,
                    score=score,
                )
            )
        return SearchResults(min(counted, cap), page, per_page, tuple(hits), total_capped=counted > cap)

    def _term_weights(self, terms: tuple[Term, ...], limit: int) -> list[float]:
        """Each term's BM25 weight (idf) from the number of log lines it occurs in: counted when at most
        ``limit - 1``, else estimated from the lines the newest ``limit`` of them span."""
        documents = self._query("SELECT coalesce(sum(line_count), 0) FROM meetings")[0][0]
        weights = []
        for term in terms:
            count, oldest = self._term_matches(term, limit)
            if count >= limit and oldest is not None:  # the newest `limit` span this many lines: extrapolate
                meeting_id, number = oldest
                later, own = self._query(
                    "SELECT coalesce(sum(CASE WHEN id > ? THEN line_count END), 0), "
                    "coalesce(max(CASE WHEN id = ? THEN line_count END), 0) FROM meetings WHERE id >= ?",
                    (meeting_id, meeting_id, meeting_id),
                )[0]
                spanned = later + max(1, own - number + 1)
                matches = min(documents, count * documents / spanned)
            else:
                matches = count
            weights.append(idf(matches, documents))
        return weights

    def _search_scope(self, query: SearchQuery) -> SearchScope | None:
        """The meetings a search can find hits in (None: no meeting can have any).

        A meeting is out when it is restricted (unless allowed), of another series or channel, or
        when all of its lines (and so its items) are before ``since`` or at or after ``until``.
        """
        conditions: list[str] = []
        params: list[Any] = []
        if not query.include_restricted:
            conditions.append("NOT m.restricted")
        if query.series is not None:
            conditions.append("s.name = ?")
            params.append(query.series)
        if query.channel is not None:
            conditions.append("lower(m.channel) = lower(?)")
            params.append(query.channel)
        since, until = self._search_bounds(query)
        if until is not None:
            conditions.append("(m.first_line_at IS NULL OR m.first_line_at < ?)")
            params.append(until)
        if since is not None:
            conditions.append("(m.last_line_at IS NULL OR m.last_line_at >= ?)")
            params.append(since)
        if not conditions:
            return SearchScope(None, (), None, None)
        where = " AND ".join(conditions)
        count, first, last = self._query(
            f"SELECT count(*), min(m.id), max(m.id) FROM meetings m JOIN series s ON s.id = m.series_id "  # noqa: S608
            f"WHERE {where}",
            params,
        )[0]
        if not count:
            return None
        if count == self._query("SELECT count(*) FROM meetings")[0][0]:
            return SearchScope(None, (), None, None)
        return SearchScope(
            f"SELECT m.id FROM meetings m JOIN series s ON s.id = m.series_id WHERE {where}",  # noqa: S608
            tuple(params),
            first,
            last,
        )

    def _candidates(self, sql: str, params: Sequence[Any]) -> list[Candidate]:
        """The rows of a query selecting ``(src, id, meeting_id, line, text)``."""
        return self._query(sql, params)

    def _item_hits(self, ids: Sequence[int]) -> list[Row]:
        """The items ``ids``: ``(id, kind, time, nick, text, series, basename, channel)`` rows, in any order."""
        if not ids:
            return []
        return self._query(
            "SELECT i.id, i.kind, i.time, i.nick, i.text, s.name, m.log_basename, m.channel FROM items i "  # noqa: S608
            "JOIN meetings m ON m.id = i.meeting_id JOIN series s ON s.id = m.series_id "
            f"WHERE i.id IN ({', '.join('?' * len(ids))})",
            list(ids),
        )

    def _search_bounds(self, query: SearchQuery) -> tuple[Any, Any]:
        """``since``/``until`` as database times (None when not given)."""
        return (
            None if query.since is None else self._to_db_time(_moment(query.since)),
            None if query.until is None else self._to_db_time(_moment(query.until)),
        )

    @staticmethod
    def _line_filters(query: SearchQuery, since: Any, until: Any, alias: str) -> tuple[list[str], list[Any]]:
        """The conditions on a log line's or item's own columns (nick, time) and their parameters."""
        where: list[str] = []
        params: list[Any] = []
        if query.nick is not None:
            where.append(f"lower({alias}.nick) = lower(?)")
            params.append(query.nick)
        if since is not None:
            where.append(f"{alias}.time >= ?")
            params.append(since)
        if until is not None:
            where.append(f"{alias}.time < ?")
            params.append(until)
        return where, params

    # ------------------------------------------------------------------ actions

    def open_actions(self, series: str, *, include_restricted: bool = False) -> list[ActionRow]:
        """The series' open actions, oldest meeting first, in minutes order."""
        with self._lock:
            return list(
                self._action_rows(
                    f"{_ACTIONS} WHERE s.name = ? AND a.status = 'open' AND (? OR NOT m.restricted) "
                    "ORDER BY m.started_at, m.id, i.position",
                    (series, include_restricted),
                )
            )

    def mark_action_done(self, action_id: int, meeting_id: int | None, *, at: datetime | None = None) -> bool:
        """Mark an action done, in meeting ``meeting_id`` (or None), at ``at`` (default: that meeting's start,
        else now). False when there is no such action or meeting. Re-storing the action's meeting keeps this."""
        with self._lock, self._transaction():
            if meeting_id is not None:
                started = self._query("SELECT started_at FROM meetings WHERE id = ?", (meeting_id,))
                if not started:
                    return False
                when = self._to_db_time(_utc(at)) if at is not None else started[0][0]
            else:
                when = self._to_db_time(_utc(at) if at is not None else datetime.now(UTC))
            changed = self._run(
                "UPDATE actions SET status = 'done', done_at = ?, done_in = ? WHERE id = ?",
                (when, meeting_id, action_id),
            )
        return changed == 1

    def reopen_action(self, action_id: int) -> bool:
        """Mark an action open again; False when there is no such action."""
        with self._lock, self._transaction():
            changed = self._run(
                "UPDATE actions SET status = 'open', done_at = NULL, done_in = NULL WHERE id = ?", (action_id,)
            )
        return changed == 1

    def _action_rows(self, sql: str, params: Sequence[Any]) -> tuple[ActionRow, ...]:
        rows = self._query(sql, params)
        owners: dict[int, list[str]] = {}
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for action_id, nick in self._query(
                f"SELECT action_id, nick FROM action_owners WHERE action_id IN ({marks}) "  # noqa: S608 -- only ?s
                "ORDER BY action_id, position",
                chunk,
            ):
                owners.setdefault(action_id, []).append(nick)
        f = self._from_db_time
        return tuple(
            ActionRow(
                id=row[0],
                meeting_id=row[1],
                series=row[2],
                meeting_basename=row[3],
                meeting_started_at=f(row[4]),
                text=row[5],
                nick=row[6],
                time=f(row[7]),
                line=row[8],
                owners=tuple(owners.get(row[0], ())),
                status=row[9],
                done_at=None if row[10] is None else f(row[10]),
                done_in=row[11],
            )
            for row in rows
        )

    def _meeting_summary(self, row: Row) -> MeetingSummary:
        f = self._from_db_time
        return MeetingSummary(
            id=row[0],
            series=row[1],
            channel=row[2],
            network=row[3],
            title=row[4],
            owner=row[5],
            chairs=tuple(json.loads(row[6])),
            started_at=f(row[7]),
            ended_at=None if row[8] is None else f(row[8]),
            unfinished=bool(row[9]),
            restricted=bool(row[10]),
            log_basename=row[11],
            line_count=row[12],
        )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _moment(value: datetime | date) -> datetime:
    """A filter bound as an aware UTC datetime (a date is its midnight, UTC)."""
    if isinstance(value, datetime):
        return _utc(value)
    return datetime.combine(value, time(), UTC)


def archive_failure(url: str, error: Exception) -> ArchiveError:
    """A connection failure as an ArchiveError naming the archive (never its password)."""
    return ArchiveError(f"cannot open archive {redact(url)}: {error}")


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, at, host = rest.rpartition("@")
    user, colon, _password = credentials.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}{at}{host}"
