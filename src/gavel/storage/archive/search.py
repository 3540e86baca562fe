"""Full-text search over log lines and minutes items, ranked alike (BM25) by both backends.

A backend finds the candidates (the newest matches, in its full-text index); counting, ranking,
paging and snippets are done here, the same for both.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from operator import itemgetter
from typing import Any

from gavel.core.records import ItemKind
from gavel.storage.archive.database import Database, Row, utc
from gavel.storage.archive.model import AGENDUM_KIND, SearchHit, SearchQuery, SearchResults
from gavel.storage.archive.query import Candidate, Term, idf, parse_query, rank, snippet

MAX_PER_PAGE = 100
SEARCH_CAP = 2_000
"""At most this many hits of a search are counted and ranked (the most recently stored ones)."""
ITEM_KINDS = frozenset(kind.value for kind in ItemKind) | {AGENDUM_KIND}  # agenda titles are items too


@dataclass(frozen=True, slots=True)
class SearchScope:
    """The meetings a search may find hits in: ``where`` is None for every meeting, else SQL selecting their ids
    (with its ``params``), whose ids lie in ``first`` .. ``last``."""

    where: str | None
    params: tuple[Any, ...]
    first: int | None
    last: int | None


class Searching(Database):
    """:meth:`search`, over the backend's full-text index."""

    #: At most this many hits of a search are counted and ranked (see :meth:`search`).
    search_cap: int = SEARCH_CAP

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
        with self._connection():
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
        with self._connection():
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


def _moment(value: datetime | date) -> datetime:
    """A filter bound as an aware UTC datetime (a date is its midnight, UTC)."""
    if isinstance(value, datetime):
        return utc(value)
    return datetime.combine(value, time(), UTC)
