"""Full-text search over log lines and minutes items, on both backends alike.

Both backends index gavel's own tokens (:mod:`tokens`), so they find the same hits. A search counts the matches of
each kind (log lines, minutes items), newest first, up to :data:`SEARCH_CAP` (the exact count) in the database;
when no more match the database ranks them by their stored lengths (:mod:`ranking`: shortest first) and hands back
the best up to the page asked for, else the best are read in that order from the backend's index of lengths. Rows
and snippets are read for one page only.
"""

from __future__ import annotations

import time as clock
from abc import abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from gavel.core.records import ItemKind
from gavel.storage.archive.database import Database, Row, utc
from gavel.storage.archive.model import AGENDUM_KIND, ArchiveBusyError, SearchHit, SearchQuery, SearchResults
from gavel.storage.archive.query import Term, parse_query, snippet
from gavel.storage.archive.ranking import Ordered, order_key, score

MAX_PER_PAGE = 100
SEARCH_CAP = 10_000
"""Totals are exact up to this many hits; past it a search reports this many, as a lower bound ("10,000+")."""
SORT_LIMIT = SEARCH_CAP
"""At most this many matches of a kind are sorted here (when counted, with their lengths); more are read from the
backend in rank order."""
SEARCH_TIMEOUT = 10.0
"""Seconds of database work a search may take before it is stopped."""
ITEM_KINDS = frozenset(kind.value for kind in ItemKind) | {AGENDUM_KIND}  # agenda titles are items too
LINES, ITEMS = 0, 1  # what a hit is: a log line or a minutes item

Counted = tuple[int, list[Ordered]]
"""What :meth:`Searching._matches` finds: how many match (up to a limit), and the best of them in rank order."""


@dataclass(frozen=True, slots=True)
class SearchScope:
    """The meetings a search may find hits in: ``where`` is None for every meeting, else SQL selecting their ids
    (with its ``params``), whose ids lie in ``first`` .. ``last``."""

    where: str | None
    params: tuple[Any, ...]
    first: int | None
    last: int | None


@dataclass(frozen=True, slots=True)
class Matching:
    """What a backend needs to find the hits of one kind (LINES or ITEMS): the query (for its filters), its terms,
    the meetings in scope, and the database's times for the date filters."""

    src: int
    query: SearchQuery
    terms: tuple[Term, ...]
    scope: SearchScope
    since: Any
    until: Any


class Searching(Database):
    """:meth:`search`, over the backend's full-text index."""

    #: Totals are exact up to this many hits (see :meth:`search`).
    search_cap: int = SEARCH_CAP
    #: At most this many matches of a kind are sorted here (more are read in rank order from the backend).
    sort_limit: int = SORT_LIMIT
    #: A search whose database work takes longer (seconds) is stopped (see :meth:`search`).
    search_timeout: float = SEARCH_TIMEOUT

    @abstractmethod
    def _matches(self, matching: Matching, limit: int, wanted: int) -> Counted:
        """How many lines or items match, counted up to ``limit``, and the best ``wanted`` in rank order
        (:func:`ranking.order_key`) of the ``limit`` most recently stored of them (by id; SQLite's log lines by
        meeting and number) as ``(length, src, id, meeting_id, line)``. When more than :attr:`sort_limit` match,
        the list is not used (they are ranked by :meth:`_ordered_matches`) and may be anything.

        The backend counts and ranks them itself: only the count and ``wanted`` rows reach Python (a common word
        has 10,001 matches to count; made into Python objects, they took most of a search's CPU time)."""

    @abstractmethod
    def _ordered_matches(self, matching: Matching, limit: int) -> list[Ordered]:
        """The first ``limit`` matching lines or items in rank order (:func:`ranking.order_key`), read from the
        index of the texts' lengths."""

    def _located(self, hits: list[Ordered]) -> list[Ordered]:
        """The hits of a page with their meetings and line numbers: a backend may leave those of log lines at 0
        when it ranks them by an id of their own (PostgreSQL), and read them here for the page alone; a hit no
        longer stored is left out."""
        return hits

    @abstractmethod
    def _line_hits(self, keys: Sequence[tuple[int, int]]) -> list[Row]:
        """The log lines ``(meeting_id, number)``: ``(meeting_id, number, time, nick, text, series, basename,
        channel)`` rows, in any order."""

    @abstractmethod
    def _bad_search(self, error: Exception) -> bool:
        """True when ``error`` came from the full-text engine refusing a query (it then finds nothing)."""

    @abstractmethod
    def _time_limit(self, seconds: float) -> AbstractContextManager[None]:
        """Stop the statements the block runs on the thread's connection once they have run ``seconds``."""

    @abstractmethod
    def _busy(self, error: Exception) -> bool:
        """True when ``error`` says the database could not answer now: the time limit, a lock, a lost server."""

    def search(self, query: SearchQuery) -> SearchResults:
        """:meth:`_search`, stopped after :attr:`search_timeout` seconds of database work.

        Raises :class:`ArchiveBusyError` (the web answers 503, with Retry-After) when the search ran out of time,
        the database was locked or its server unreachable: never a bare database error.
        """
        started = clock.monotonic()
        try:
            with self._connection(), self._time_limit(self.search_timeout):  # one connection for the whole search
                return self._search(query)
        except Exception as error:
            if not self._busy(error):
                raise
            elapsed = clock.monotonic() - started
            raise ArchiveBusyError(
                f"search for {query.text[:80]!r} stopped after {elapsed:.1f} s ({type(error).__name__}: {error})"
            ) from error

    def _search(self, query: SearchQuery) -> SearchResults:
        """Log lines and minutes items matching ``query``, best first, one page.

        Every match is counted up to :attr:`search_cap` (10,000): ``total`` is exact up to there; past
        it ``total`` is the cap and ``total_capped`` is true (a lower bound: "10,000+"). Filters
        (series, channel, nick, kind, dates) narrow the count. Every match is ranked (see
        :mod:`ranking`: shortest text first, then the most recently stored), the same on both
        backends; the pages hold the first ``total`` of them. Never raises for what a person typed
        (see :class:`SearchQuery`).
        """
        page = max(1, query.page)
        per_page = min(max(1, query.per_page), MAX_PER_PAGE)
        empty = SearchResults(0, page, per_page, ())
        terms = parse_query(query.text)
        if not terms or (query.kind is not None and query.kind != "line" and query.kind not in ITEM_KINDS):
            return empty
        cap = max(1, self.search_cap)
        offset = (page - 1) * per_page
        wanted = min(cap, offset + per_page)  # the hits up to the end of this page, in rank order
        ordered: list[Ordered] = []
        counted = 0
        with self._connection():
            scope = self._search_scope(query)
            if scope is None:
                return empty
            since, until = self._search_bounds(query)
            kinds = [LINES] if query.kind == "line" else [ITEMS] if query.kind is not None else [LINES, ITEMS]
            try:
                for src in kinds:
                    matching = Matching(src, query, terms, scope, since, until)
                    count, best = self._matches(matching, cap + 1, wanted)
                    counted += count
                    if count and offset < cap:
                        ordered += self._best(matching, count, best, wanted)
            except Exception as error:
                if self._bad_search(error):
                    return empty
                raise
        ordered.sort(key=order_key)
        with self._connection():
            page_rows = [
                (score(size), src, item, meeting_id, line)
                for size, src, item, meeting_id, line in self._located(ordered[:wanted][offset : offset + per_page])
            ]
            lines = {
                (row[0], row[1]): row
                for row in self._line_hits(
                    [(meeting_id, line) for _s, src, _i, meeting_id, line in page_rows if src == LINES]
                )
            }
            items = {
                row[0]: row for row in self._item_hits([item for _s, src, item, _m, _l in page_rows if src == ITEMS])
            }
        f = self._from_db_time
        hits = []
        for hit_score, src, item, meeting_id, line in page_rows:
            found = lines.get((meeting_id, line)) if src == LINES else items.get(item)
            if found is None:  # stored again since it was found
                continue
            if src == LINES:
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
                    score=hit_score,
                )
            )
        return SearchResults(min(counted, cap), page, per_page, tuple(hits), total_capped=counted > cap)

    def _best(self, matching: Matching, count: int, best: list[Ordered], wanted: int) -> list[Ordered]:
        """The first ``wanted`` of ``count`` matches in rank order: ``best`` (what :meth:`_matches` ranked among the
        newest of them: all when no more than the cap), or when more than :attr:`sort_limit` match, read in order
        from the backend."""
        if count <= self.sort_limit:
            return sorted(best, key=order_key)[:wanted]
        return self._ordered_matches(matching, wanted)

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


def _moment(value: datetime | date) -> datetime:
    """A filter bound as an aware UTC datetime (a date is its midnight, UTC)."""
    if isinstance(value, datetime):
        return utc(value)
    return datetime.combine(value, time(), UTC)
