"""PostgreSQL's postings (``line_postings``): searches that read them find the same hits, in the same order, with the
same totals, as the reference path (the ``tsv`` column and its GIN index), on generated archives with filters,
phrases, prefixes, pages, small caps and hostile text; a meeting stored again leaves no stale posting; a bulk load
leaves them all visible; an archive from before them gets them when opened."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import StoreLog
from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import MeetingRecord, SearchQuery, SearchResults, open_archive
from gavel.storage.archive.postgres import PostgresArchive
from test_archive_migrations import downgrade, version_adding
from test_archive_search_backends import OPS, log, plain_record

pytestmark = pytest.mark.servers

START = datetime(2024, 5, 1, 14, tzinfo=UTC)
# few words, so that lines share them; identifiers, folded letters, markup, query syntax, a private-use character
WORDS = (
    "the",
    "patch",
    "Patch",
    "release",
    "rel",
    "getUserName",
    "user",
    "café",
    "CAFE",
    "<b>",
    "AND",
    '"',
    "*",
    "\ue000",
)
NICKS = ("alice", "Bob", "bob", "Ærin", "d_ave")


def record(series: str, hour: int) -> MeetingRecord:
    return plain_record(series, START + timedelta(days=hour))


LINE = st.tuples(st.sampled_from(NICKS), st.lists(st.sampled_from(WORDS), min_size=0, max_size=6))
QUERY_TEXT = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
    st.lists(st.sampled_from(WORDS), min_size=2, max_size=3).map(lambda words: '"' + " ".join(words) + '"'),
    st.sampled_from(WORDS).map(lambda word: word + "*"),
)
QUERY = st.builds(
    SearchQuery,
    QUERY_TEXT,
    series=st.sampled_from([None, None, "one", "two"]),
    nick=st.sampled_from([None, None, *NICKS, "nobody"]),
    kind=st.sampled_from([None, None, "line", "info"]),
    # whole days, and times inside a meeting (its lines on both sides: each line's time is checked)
    since=st.sampled_from([None, None, date(2024, 5, 2), START + timedelta(seconds=10)]),
    until=st.sampled_from([None, None, date(2024, 5, 2), START + timedelta(days=1, seconds=5)]),
    page=st.integers(1, 4),
    per_page=st.sampled_from([1, 3, 20]),
)


@pytest.fixture
def pg_archive(postgres_url: str) -> Iterator[PostgresArchive]:
    with open_archive(postgres_url) as opened:
        assert isinstance(opened, PostgresArchive)
        yield opened


def both_ways(archive: PostgresArchive, query: SearchQuery) -> tuple[SearchResults, SearchResults]:
    """The results of ``query`` from the postings, and from the reference path."""
    archive.use_postings = True
    fast = archive.search(query)
    archive.use_postings = False
    try:
        return fast, archive.search(query)
    finally:
        archive.use_postings = True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    meetings=st.lists(st.lists(LINE, min_size=1, max_size=25), min_size=1, max_size=3),
    queries=st.lists(QUERY, min_size=1, max_size=6),
    caps=st.sampled_from([(10_000, 10_000), (4, 4), (4, 10_000), (6, 3)]),
)
def test_the_postings_find_what_the_reference_finds(
    pg_archive: PostgresArchive,
    meetings: list[list[tuple[str, list[str]]]],
    queries: list[SearchQuery],
    caps: tuple[int, int],
) -> None:
    # the same meetings (series and start) every example: each is stored again, its old postings deleted
    for index, lines in enumerate(meetings):
        stored = [
            LogLine(n, START + timedelta(days=index, seconds=n), LineKind.MESSAGE, nick, " ".join(said))
            for n, (nick, said) in enumerate(lines, 1)
        ]
        pg_archive.store(record("one" if index % 2 == 0 else "two", index), stored)
    for index in range(len(meetings), 3):  # fewer meetings this time: the others hold nothing
        pg_archive.store(record("one" if index % 2 == 0 else "two", index), [])
    pg_archive.search_cap, pg_archive.sort_limit = caps
    for query in queries:
        fast, reference = both_ways(pg_archive, query)
        assert fast == reference, query


def test_postings_follow_a_meeting_stored_again(pg_archive: PostgresArchive, store_log: StoreLog) -> None:
    store_log(pg_archive, "ops.2024-05-01-14.00.log.txt", log(*OPS))
    assert pg_archive.search(SearchQuery("release", nick="bob")).total == 1
    store_log(pg_archive, "ops.2024-05-01-14.00.log.txt", log(*OPS[:3]))
    assert [pg_archive.search(SearchQuery(text)).total for text in ("release", "1000085", "wiki")] == [0, 1, 1]
    with psycopg.connect(pg_archive.url) as pg:
        stored = pg.execute(
            "SELECT count(*) FROM log_lines l, unnest(tsvector_to_array(l.tsv)) AS t (token)"
        ).fetchone()
        postings = pg.execute(  # (less the nicks' postings and the pairs')
            "SELECT count(*) FILTER (WHERE token NOT LIKE '@%' AND strpos(token, ' ') = 0) FROM line_postings"
        ).fetchone()
    assert stored == postings


def test_a_bulk_load_leaves_the_postings_all_visible(pg_archive: PostgresArchive, store_log: StoreLog) -> None:
    """Searches read the postings index-only where the visibility map says so: a bulk load vacuums them."""
    pg_archive.bulk_min_lines = 1
    with pg_archive.bulk_load(1000):
        for day in range(1, 4):
            store_log(pg_archive, f"ops.2024-05-0{day}-14.00.log.txt", log(*OPS))
    with psycopg.connect(pg_archive.url) as pg:
        pages = pg.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'line_postings'").fetchone()
    assert pages is not None and pages[0] > 0
    assert pages[0] == pages[1]
    assert pg_archive.search(SearchQuery("release")).total == 6


def test_an_archive_from_before_the_postings_gets_them(postgres_url: str, store_log: StoreLog) -> None:
    with open_archive(postgres_url) as archive:
        store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*OPS))
        before = [archive.search(SearchQuery(text, nick=nick)) for text, nick in (("the", None), ("the", "erin"))]
    downgrade(postgres_url, version_adding(postgres_url, "CREATE TABLE line_postings") - 1)
    with psycopg.connect(postgres_url) as pg:
        assert pg.execute("SELECT to_regclass('line_postings')").fetchone() == (None,)
    with open_archive(postgres_url) as archive:
        assert isinstance(archive, PostgresArchive)
        after = [archive.search(SearchQuery(text, nick=nick)) for text, nick in (("the", None), ("the", "erin"))]
        for query in (SearchQuery("the"), SearchQuery("plan release"), SearchQuery("the", nick="Erin")):
            fast, reference = both_ways(archive, query)
            assert fast == reference and fast.total > 0, query
    assert after == before
    assert [result.total for result in after] == [6, 1]  # (log lines and items)


def test_pages_read_in_rank_order_across_meetings(pg_archive: PostgresArchive) -> None:
    """More matches than are sorted in Python: the pages are read from the postings in rank order (shortest, then
    newest meeting, then newest line), as from the reference path."""
    said = ["the patch", "the", "the patch is here", "a patch", "the patch", "the end"]
    for index in range(3):
        lines = [
            LogLine(n, START + timedelta(days=index, seconds=n), LineKind.MESSAGE, NICKS[n % 3], text)
            for n, text in enumerate(said * 3, 1)
        ]
        pg_archive.store(record("one", index), lines)
    pg_archive.search_cap = pg_archive.sort_limit = 5
    for text in ("the", "patch", "the patch"):
        for page in (1, 2, 3):
            for nick in (None, "bob"):
                fast, reference = both_ways(pg_archive, SearchQuery(text, page=page, per_page=2, nick=nick))
                assert fast == reference and fast.hits, (text, page, nick)


def test_a_longer_phrase_is_checked_on_the_line(pg_archive: PostgresArchive) -> None:
    """A line can hold every pair of a phrase of three words or more without the phrase: the pairs only narrow."""
    said = ["looks good, the patch looks fine", "the patch looks good", "good the patch looks good"]
    lines = [LogLine(n, START + timedelta(seconds=n), LineKind.MESSAGE, "bob", text) for n, text in enumerate(said, 1)]
    pg_archive.store(record("one", 0), lines)
    phrases = {'"the patch looks good"': [2, 3], '"good the patch"': [1, 3], '"patch looks good the"': []}
    for text, found in phrases.items():
        fast, reference = both_ways(pg_archive, SearchQuery(text))
        assert fast == reference, text
        assert sorted(hit.line for hit in fast.hits) == found, text
