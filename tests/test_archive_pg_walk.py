"""How a PostgreSQL search walks its lists (``pg_walk``, ``PostgresArchive._walk``): its cursor reads about the rows
the walk needs, the token of fewest lists leads it, a token with none ends it unread, and the spans the masks are
made of and the lists walked are read in one snapshot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import SearchQuery, open_archive, pg_postings, pg_walk, postgres
from gavel.storage.archive.pg_walk import FIRST_FETCH, Terms, led_by_fewest, next_fetch
from gavel.storage.archive.postgres import PostgresArchive
from test_archive_postings import START, both_ways, record

pytestmark = pytest.mark.servers


@pytest.fixture
def pg_archive(postgres_url: str) -> Iterator[PostgresArchive]:
    with open_archive(postgres_url) as opened:
        assert isinstance(opened, PostgresArchive)
        yield opened


@given(
    walked=st.integers(0, 100_000),
    lines=st.integers(0, 200_000),
    last_rows=st.integers(0, 10_000),
    last_lines=st.integers(0, 100_000),
    limit=st.integers(1, 20_000),
)
def test_a_fetch_reads_some_rows_and_at_most_twice_those_read(
    walked: int, lines: int, last_rows: int, last_lines: int, limit: int
) -> None:
    size = next_fetch(walked, lines, last_rows, last_lines, limit)
    assert FIRST_FETCH <= size <= max(FIRST_FETCH, 2 * walked)


def stored_lines(archive: PostgresArchive, lines: list[tuple[str, str]], series: str = "one", day: int = 0) -> None:
    said = [
        LogLine(n, START + timedelta(days=day, seconds=n), LineKind.MESSAGE, nick, text)
        for n, (nick, text) in enumerate(lines, 1)
    ]
    archive.store(record(series, day), said)


def test_the_cursor_reads_about_the_rows_the_walk_needs(
    pg_archive: PostgresArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 200 lines of "word", each of a length (words) of its own and in a list of its own (split from 1 line): a walk that
    # counts 41 lines needs 41 lists: fetching 16, 20 and 16 it makes 52; fetching 16, then 64, it made 80
    monkeypatch.setattr(pg_postings, "SPLIT_LINES", 1)
    stored_lines(pg_archive, [("alice", "word" + " x" * n) for n in range(200)])
    fetched: list[int] = []
    fetchmany = psycopg.ServerCursor.fetchmany

    def counted(cursor: psycopg.ServerCursor[Any], size: int = 0) -> list[Any]:
        rows = fetchmany(cursor, size)
        fetched.append(len(rows))
        return rows

    monkeypatch.setattr(psycopg.ServerCursor, "fetchmany", counted)
    pg_archive.search_cap, pg_archive.sort_limit = 40, 0  # (counted up to 41, in rank order)
    results = pg_archive.search(SearchQuery("word", kind="line"))
    assert (results.total, results.total_capped) == (40, True)
    assert 41 <= sum(fetched) <= 56, fetched  # (16, 20, 16)
    monkeypatch.undo()
    fast, reference = both_ways(pg_archive, SearchQuery("word", kind="line", page=2))
    assert fast == reference


def test_led_by_the_token_of_fewest_lists() -> None:
    terms = Terms([("?", ["the"]), ("?", ["rare"]), ("? || lower(?)", ["@", "Bob"])], [["pat", "patch"]])
    led = led_by_fewest(terms, [512, 3, 512])
    assert led.exact == [("?", ["rare"]), ("?", ["the"]), ("? || lower(?)", ["@", "Bob"])]
    assert led.prefixes == terms.prefixes


def test_the_walk_is_led_by_the_rarer_word_and_ends_at_once_on_a_missing_one(
    pg_archive: PostgresArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "the" in every line (a list per length: split from 1 line), "rare" in one
    monkeypatch.setattr(pg_postings, "SPLIT_LINES", 1)
    stored_lines(pg_archive, [("alice", "the rare" if n == 7 else "the" + " x" * n) for n in range(30)])
    walks: list[Terms] = []
    statement = pg_walk.walk_statement

    def spied(matching: Any, terms: Terms, masks: Any, wanted: int) -> tuple[str, list[Any]]:
        walks.append(terms)
        return statement(matching, terms, masks, wanted)

    monkeypatch.setattr(postgres, "walk_statement", spied)
    for text, nick in (("the rare", None), ("rare the", None), ("the", "alice")):
        walks.clear()
        assert pg_archive.search(SearchQuery(text, nick=nick, kind="line")).total == (1 if nick is None else 30)
        [terms] = walks
        assert terms.exact[0][1] == (["rare"] if nick is None else ["the"]), (text, nick)
    for text, nick in (("the missing", None), ("the", "nobody")):  # (a token in no list: nothing to walk)
        walks.clear()
        assert pg_archive.search(SearchQuery(text, nick=nick, kind="line")).total == 0
        assert walks == []
    monkeypatch.undo()
    for query in (SearchQuery("rare the"), SearchQuery("the rare", nick="alice"), SearchQuery("the", nick="nobody")):
        fast, reference = both_ways(pg_archive, query)
        assert fast == reference, query


def test_the_masks_and_the_walk_see_one_snapshot(pg_archive: PostgresArchive, monkeypatch: pytest.MonkeyPatch) -> None:
    # the meeting is stored again (by another connection) after the search made its masks, before it walks: its old
    # lines, dead since, were live for the masks; read in a later snapshot, the walk found them and the new ones
    lines = [("alice", "the patch")] * 3
    stored_lines(pg_archive, lines)
    masks = PostgresArchive._masks
    done: list[bool] = []

    def stored_between(archive: PostgresArchive, matching: Any) -> Any:
        made = masks(archive, matching)
        if not done:
            done.append(True)
            with open_archive(archive.url) as other:
                assert isinstance(other, PostgresArchive)
                stored_lines(other, lines)
        return made

    monkeypatch.setattr(PostgresArchive, "_masks", stored_between)
    assert pg_archive.search(SearchQuery("patch", kind="line")).total == 3
    assert done
    monkeypatch.undo()
    assert pg_archive.search(SearchQuery("patch", kind="line")).total == 3


def test_a_search_inside_a_transaction_walks_in_it(pg_archive: PostgresArchive) -> None:
    # (its isolation level can no longer be set there: the walk keeps the transaction's)
    stored_lines(pg_archive, [("alice", "the patch")] * 2)
    with pg_archive._connection(), pg_archive._begin():
        pg_archive._query("SELECT 1")
        assert pg_archive.search(SearchQuery("patch", kind="line")).total == 2
        assert pg_archive.search(SearchQuery("pat*", kind="line")).total == 2  # (a prefix's merge settings)
        # the walk's planner settings ended with it, not left to the rest of the caller's transaction
        settings = "SELECT current_setting('enable_memoize'), current_setting('enable_sort')"
        assert pg_archive._query(settings) == [("on", "on")]
