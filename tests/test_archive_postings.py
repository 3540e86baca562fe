"""PostgreSQL's postings (``line_posting_lists``): searches that read them find the same hits, in the same order, with
the same totals, as the reference path (the ``tsv`` column and its GIN index), on generated archives with filters,
phrases, prefixes, pages, small caps, hostile text and lines stored in blocks of any size; a meeting stored again
leaves no stale posting; a bulk load leaves them all visible; an archive from before them gets them when opened; the
writer's tokens and pairs are the ``tsvector``'s."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import StoreLog
from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import MeetingRecord, SearchQuery, SearchResults, open_archive, pg_postings, postgres, spool
from gavel.storage.archive.pg_postings import line_keys, reference_keys
from gavel.storage.archive.postgres import PostgresArchive
from gavel.storage.archive.spool import LineRow
from gavel.storage.archive.store import joined
from gavel.storage.archive.tokens import tsvector_of
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
    block=st.sampled_from([1, 3, 7, spool.CHUNK_ROWS]),
    gap=st.sampled_from([None, 1, 4, 30]),
    compact=st.sampled_from([1, 2, postgres.COMPACT_PARTS, 1_000_000]),  # (the last: only complete blocks)
    split=st.sampled_from([1, 2, 5, pg_postings.SPLIT_LINES]),
)
def test_the_postings_find_what_the_reference_finds(
    pg_archive: PostgresArchive,
    meetings: list[list[tuple[str, list[str]]]],
    queries: list[SearchQuery],
    caps: tuple[int, int],
    block: int,
    gap: int | None,
    compact: int,
    split: int,
) -> None:
    # the same meetings (series and start) every example: each is stored again, its old postings dead (or compacted
    # away, a block of more than ``compact`` parts); its lines in batches of ``block`` lines, each a part of a block
    # of ids; ``gap`` ids before a block's end, so that the lines (and a batch) lie on both sides of it; a token's
    # lists of a block split by length from ``split`` lines on (both kinds in a block, of one token in its parts)
    if gap is not None:
        near_a_block_end(pg_archive, gap)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(postgres, "COMPACT_PARTS", compact)
        patch.setattr(pg_postings, "SPLIT_LINES", split)
        store_meetings(pg_archive, meetings, block)
    pg_archive.search_cap, pg_archive.sort_limit = caps
    for query in queries:
        fast, reference = both_ways(pg_archive, query)
        assert fast == reference, query


def near_a_block_end(archive: PostgresArchive, gap: int) -> None:
    """The next line's id ``gap`` before the end of a block (the ids only grow)."""
    with psycopg.connect(archive.url) as pg:
        pg.execute(
            "SELECT setval('log_line_ids', ((last + %s >> 15) + 1 << 15) - %s) FROM (SELECT "
            "coalesce(pg_sequence_last_value('log_line_ids'), 0) AS last) s",
            (gap, gap),
        )


def test_a_batch_across_a_block_end_is_found_on_both_sides(pg_archive: PostgresArchive) -> None:
    near_a_block_end(pg_archive, 3)
    said = [("alice", ["the", "patch"]), ("Bob", ["the", "release"])] * 4
    store_meetings(pg_archive, [said, said[:3]], spool.CHUNK_ROWS)  # (one batch each: the first across the end)
    with psycopg.connect(pg_archive.url) as pg:
        assert pg.execute("SELECT count(DISTINCT block) FROM line_posting_lists").fetchone() == (2,)
    for text, nick in (("the", None), ("the", "bob"), ("the release", "Bob"), ('"the patch"', "alice"), ("pat*", None)):
        fast, reference = both_ways(pg_archive, SearchQuery(text, nick=nick))
        assert fast == reference and fast.total > 0, (text, nick)


def store_meetings(pg_archive: PostgresArchive, meetings: list[list[tuple[str, list[str]]]], block: int) -> None:
    """Meetings 0, 1 and 2 (series "one", "two", "one"), with ``meetings``' lines (none past them), ``block`` lines
    at a time."""
    for index, lines in enumerate(meetings):
        stored = [
            LogLine(n, START + timedelta(days=index, seconds=n), LineKind.MESSAGE, nick, " ".join(said))
            for n, (nick, said) in enumerate(lines, 1)
        ]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(spool, "CHUNK_ROWS", block)
            patch.setattr(pg_archive, "line_batch", block)
            pg_archive.store(record("one" if index % 2 == 0 else "two", index), stored)
    for index in range(len(meetings), 3):  # fewer meetings this time: the others hold nothing
        pg_archive.store(record("one" if index % 2 == 0 else "two", index), [])


def postings_counted(url: str) -> tuple[int, int, int, int]:
    """The tokens of the lines stored, and the postings of tokens (less the nicks' and the pairs'): all of them,
    those of live lines (in a span) and those of dead ones (their block's dead offsets)."""
    tokens = "token NOT LIKE '@%' AND strpos(token, ' ') = 0"
    live = "EXISTS (SELECT 1 FROM line_spans s WHERE (p.block << 15) + (n & 32767) BETWEEN s.first_id AND s.last_id)"
    with psycopg.connect(url) as pg:
        row = pg.execute(
            "SELECT (SELECT count(*) FROM log_lines l, unnest(tsvector_to_array(l.tsv)) AS t (token)), "
            f"count(*), count(*) FILTER (WHERE {live}), count(*) FILTER (WHERE b.dead @> (n & 32767)) "
            f"FROM line_posting_lists p JOIN line_blocks b USING (block), unnest(p.offsets) AS n WHERE {tokens}"
        ).fetchone()
    assert row is not None
    return row


def test_postings_follow_a_meeting_stored_again(pg_archive: PostgresArchive, store_log: StoreLog) -> None:
    store_log(pg_archive, "ops.2024-05-01-14.00.log.txt", log(*OPS))
    store_log(pg_archive, "ops.2024-05-02-14.00.log.txt", log(*OPS))
    texts = ("release", "1000085", "wiki")
    before = [pg_archive.search(SearchQuery(text)).total for text in texts]
    store_log(pg_archive, "ops.2024-05-01-14.00.log.txt", log(*OPS[:3]))
    after = [pg_archive.search(SearchQuery(text)).total for text in texts]
    assert after == [
        total // 2 + alone for total, alone in zip(before, (0, 1, 1), strict=True)
    ]  # (one meeting's, alone)
    for text in texts:
        fast, reference = both_ways(pg_archive, SearchQuery(text))
        assert fast == reference
    stored, postings, live, dead = postings_counted(pg_archive.url)
    assert live == stored and dead > 0 and postings == live + dead  # (the block is not compacted yet)


def test_a_compacted_block_holds_no_dead_line(
    pg_archive: PostgresArchive, store_log: StoreLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "COMPACT_PARTS", 2)
    for day in (1, 2):
        store_log(pg_archive, f"ops.2024-05-0{day}-14.00.log.txt", log(*OPS))
    store_log(pg_archive, "ops.2024-05-01-14.00.log.txt", log(*OPS[:3]))  # (its block's third part: compacted)
    stored, postings, live, dead = postings_counted(pg_archive.url)
    assert postings == live == stored and dead == 0
    with psycopg.connect(pg_archive.url) as pg:
        assert pg.execute("SELECT parts, dead::text FROM line_blocks").fetchall() == [(1, "{}")]
        assert (
            pg.execute(
                "SELECT count(*) FROM line_posting_lists GROUP BY token, text_length HAVING count(*) > 1"
            ).fetchall()
            == []
        )
    for query in (SearchQuery("release"), SearchQuery("the"), SearchQuery("wiki", nick="bob")):
        fast, reference = both_ways(pg_archive, query)
        assert fast == reference, query


def test_a_bulk_load_leaves_the_postings_all_visible(pg_archive: PostgresArchive, store_log: StoreLog) -> None:
    """Searches read the postings index-only where the visibility map says so: a bulk load vacuums them."""
    pg_archive.bulk_min_lines = 1
    with pg_archive.bulk_load(1000):
        for day in range(1, 4):
            store_log(pg_archive, f"ops.2024-05-0{day}-14.00.log.txt", log(*OPS))
    with psycopg.connect(pg_archive.url) as pg:
        pages = pg.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE relname = 'line_posting_lists'"
        ).fetchone()
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


TOKENS = st.lists(st.sampled_from(["a", "b", "c", "the", "patch"]), max_size=40).map(" ".join)
LONG = st.builds(
    lambda word, times, tail: " ".join([word] * times + tail),
    st.sampled_from(["a", "b"]),
    st.integers(250, 300),
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=5),
)


@given(st.one_of(TOKENS, LONG))
def test_the_writers_pairs_are_the_tsvectors(found: str) -> None:
    """Pairs are read as a phrase is matched: by the ``tsvector``'s positions, of which it keeps 256 per token."""
    assert line_keys(found) == reference_keys(found.split())


def test_the_reference_pairs_are_the_servers(postgres_url: str) -> None:
    """:func:`reference_keys` reads a ``tsvector`` as PostgreSQL does: past 256 positions of a token, past position
    16,383, and in ordinary lines."""
    lines = [
        "the patch looks good the patch",
        " ".join(["a"] * 300 + ["b", "a", "c"]),
        " ".join(["x"] * 16_390 + ["y", "z"]),
        " ".join(f"w{n % 7}" for n in range(400)),
        "",
    ]
    with psycopg.connect(postgres_url) as pg:
        for found in lines:
            served = pg.execute(
                "SELECT array(SELECT t FROM unnest(tsvector_to_array(v)) t UNION SELECT a.lexeme || ' ' || b.lexeme "
                "FROM unnest(v) a, unnest(a.positions) ap (at), unnest(v) b, unnest(b.positions) bp (at) "
                "WHERE bp.at = ap.at + 1) FROM (SELECT %s::tsvector AS v) s",
                (tsvector_of(found),),
            ).fetchone()
            assert served is not None
            assert set(served[0]) == reference_keys(found.split()) == line_keys(found), found[:40]


def test_a_date_filter_checks_the_lines_of_the_blocks_it_cuts(pg_archive: PostgresArchive) -> None:
    """Blocks of 4 lines: those inside the dates are taken whole, those outside skipped, the lines of those that hold
    a bound read; a line's time decides, whatever its number (a line out of time order too)."""
    seconds = [*range(1, 12), 5, *range(12, 30)]
    said = ["the patch", "the", "patch the", "the patch is here"]
    lines = [
        LogLine(n, START + timedelta(seconds=at), LineKind.MESSAGE, NICKS[n % 2], said[n % 4])
        for n, at in enumerate(seconds, 1)
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spool, "CHUNK_ROWS", 2)
        patch.setattr(pg_archive, "line_batch", 4)  # (the spool's batches of 2 joined)
        pg_archive.store(record("one", 0), lines)
    bounds = [(START + timedelta(seconds=first), START + timedelta(seconds=last)) for first, last in ((6, 22), (9, 10))]
    totals = []
    for since, until in [*bounds, (None, bounds[0][1]), (bounds[0][0], None)]:
        for text in ("the", "the patch", '"the patch"', "pat*"):
            for nick in (None, "bob"):
                query = SearchQuery(text, since=since, until=until, nick=nick, per_page=3)
                fast, reference = both_ways(pg_archive, query)
                assert fast == reference, query
                totals.append(fast.total)
    assert min(totals) == 0 and totals.count(0) < len(totals) // 4


@given(st.lists(st.integers(0, 5), max_size=8), st.integers(0, 6))
def test_batches_are_joined_in_order(sizes: list[int], least: int) -> None:
    """The writer's batches of lines: the same rows in the same order, each batch at least ``least`` rows but the
    last, and a batch never split."""
    numbers = iter(range(1, 100))
    batches: list[list[LineRow]] = [[(next(numbers), 0, "", "", "", "", 0) for _ in range(size)] for size in sizes]
    out = [list(batch) for batch in joined(batches, least)]
    assert [row for batch in out for row in batch] == [row for batch in batches for row in batch]
    assert least <= 1 or all(len(batch) >= least for batch in out[:-1])  # (at most 1: as they come)
    ends = {sum(map(len, batches[: n + 1])) for n in range(len(batches))}
    assert {sum(map(len, out[: n + 1])) for n in range(len(out))} <= ends


def test_without_intarray_the_sets_are_made_in_sql(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A role that may not create ``intarray`` gets the intersections and unions in SQL: the same hits."""
    monkeypatch.setattr(PostgresArchive, "_intarray_schema", lambda self: None)
    with open_archive(postgres_url) as archive:
        assert isinstance(archive, PostgresArchive)
        with psycopg.connect(postgres_url) as pg:
            body = pg.execute(
                "SELECT prosrc FROM pg_proc WHERE proname = 'gavel_and' "
                "AND pronamespace = current_schema()::regnamespace"
            ).fetchone()
        assert body is not None and "INTERSECT" in body[0]
        said = ["the patch", "the", "patch the release", "release the patch", "a patch", "the end"]
        lines = [
            LogLine(n, START + timedelta(seconds=n), LineKind.MESSAGE, NICKS[n % 3], text)
            for n, text in enumerate(said * 4, 1)
        ]
        archive.store(record("one", 0), lines)
        for text in ("the patch", "rel* the", "the", '"the patch"', "patch rel*"):
            fast, reference = both_ways(archive, SearchQuery(text, nick="bob" if "*" in text else None))
            assert fast == reference and fast.total, text


def test_a_prefix_counts_a_line_once_in_lists_of_both_kinds(
    pg_archive: PostgresArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "release" has 3 lines in the block (lists per length), "rel" one (a list of any length): the first line holds
    # both, so "rel*" finds it in two lists
    monkeypatch.setattr(pg_postings, "SPLIT_LINES", 2)
    said = [("alice", ["rel", "release"]), ("bob", ["release"]), ("bob", ["release", "the"])]
    store_meetings(pg_archive, [said], spool.CHUNK_ROWS)
    with psycopg.connect(pg_archive.url) as pg:
        kinds = pg.execute(
            "SELECT token, text_length FROM line_posting_lists WHERE token IN ('rel', 'release') ORDER BY 1, 2"
        ).fetchall()
    assert kinds == [("rel", pg_postings.ANY_LENGTH), ("release", 1), ("release", 2)]
    for query in (SearchQuery("rel*"), SearchQuery("rel*", per_page=1), SearchQuery("rel* the")):
        fast, reference = both_ways(pg_archive, query)
        assert fast == reference, query
    assert pg_archive.search(SearchQuery("rel*")).total == 3


def test_lists_of_both_kinds_meet(pg_archive: PostgresArchive, monkeypatch: pytest.MonkeyPatch) -> None:
    # in each meeting's block part, "release" and "alice" have a list of any length, "the" and "bob" lists per length
    monkeypatch.setattr(pg_postings, "SPLIT_LINES", 3)
    said = [("alice", ["release", "the"]), ("bob", ["the"]), ("bob", ["the", "patch"]), ("bob", ["the", "release"])]
    store_meetings(pg_archive, [said, said], spool.CHUNK_ROWS)
    with psycopg.connect(pg_archive.url) as pg:
        kinds = pg.execute(
            "SELECT DISTINCT token, text_length < 0 FROM line_posting_lists WHERE token IN ('release', 'the') "
            "ORDER BY 1"
        ).fetchall()
    assert kinds == [("release", True), ("the", False)]
    queries = [
        SearchQuery("release the"),
        SearchQuery("the release"),
        SearchQuery("the", nick="alice"),
        SearchQuery("release", nick="bob"),
        SearchQuery("the release", series="two"),
        SearchQuery("release", series="one", per_page=1),
        SearchQuery("the", series="two", since=START + timedelta(days=1, seconds=2)),
        SearchQuery("rel* the", series="one"),
    ]
    for query in queries:
        fast, reference = both_ways(pg_archive, query)
        assert fast == reference and fast.total > 0, query


def test_masks_kept_between_searches_follow_the_meetings(pg_archive: PostgresArchive) -> None:
    said = [LogLine(n, START + timedelta(seconds=n), LineKind.MESSAGE, "alice", "the patch") for n in (1, 2)]
    pg_archive.store(record("one", 0), said)
    pg_archive.store(record("two", 1), said)
    query = SearchQuery("patch", series="one")  # (masks made from the spans, kept)
    assert pg_archive.search(query).total == 2
    pg_archive.store(record("one", 0), said[:1])  # (its spans deleted, one written again with new ids)
    assert pg_archive.search(query).total == 1
    pg_archive.store(record("one", 2), said)
    assert pg_archive.search(query).total == 3
    pg_archive.store(replace(record("one", 2), restricted=True), said)
    assert pg_archive.search(query).total == 1
    assert both_ways(pg_archive, query)[0] == both_ways(pg_archive, query)[1]
