"""Search at scale, on both backends: exact totals up to the cap (then a lower bound, ranked over the newest hits),
each engine's ranking, the same hits on SQLite and PostgreSQL, the meeting scope behind the filters (date bounds of
unfinished meetings, exact nicks), and upgrading archives written by older schemas."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from conftest import StoreLog
from gavel.app.importer import import_logs
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.storage.archive import Archive, MeetingSummary, SearchQuery, SearchResults, open_archive, sqlite_path
from gavel.storage.archive.base import SEARCH_CAP
from gavel.storage.archive.query import Term, parse_query
from test_archive_migrations import downgrade, version_adding


def log(*said: str, start: str = "14:00:00", end: bool = True) -> str:
    base = datetime.strptime(start, "%H:%M:%S")
    lines = ["<alice> #startmeeting", *said, *(["<alice> #endmeeting"] if end else [])]
    return "".join(f"{base + timedelta(seconds=i):%H:%M:%S} {line}\n" for i, line in enumerate(lines))


def every_page(archive: Archive, query: SearchQuery) -> list[tuple[str, str, int]]:
    """(meeting basename, kind, line) of the hits on all pages of ``query``, in order."""
    seen: list[tuple[str, str, int]] = []
    page = 1
    while True:
        results = archive.search(replace(query, page=page, per_page=7))
        if not results.hits:
            return seen
        seen.extend((hit.meeting_basename, hit.kind, hit.line) for hit in results.hits)
        page += 1


def summary(results: SearchResults) -> tuple[int, bool, int]:
    return results.total, results.total_capped, len(results.hits)


# ------------------------------------------------------------------ the cap


def test_the_cap_counts_and_ranks_the_newest_hits(archive: Archive, store_log: StoreLog) -> None:
    store_log(archive, "old.2024-01-01-14.00.log.txt", log(*(f"<bob> needle {i}" for i in range(30))))
    store_log(archive, "new.2023-01-01-14.00.log.txt", log(*(f"<bob> needle {i}" for i in range(30))))
    assert archive.search_cap == SEARCH_CAP
    assert summary(archive.search(SearchQuery("needle"))) == (60, False, 20)

    archive.search_cap = 40
    assert summary(archive.search(SearchQuery("needle"))) == (40, True, 20)
    hits = every_page(archive, SearchQuery("needle"))
    assert len(hits) == len(set(hits)) == 40
    # stored last = newest: all of "new" (stored second, whatever its date), then the last lines of "old"
    assert {line for name, _kind, line in hits if name.startswith("new")} == set(range(2, 32))
    assert {line for name, _kind, line in hits if name.startswith("old")} == set(range(22, 32))
    assert archive.search(SearchQuery("needle", page=3, per_page=20)).hits == ()

    exactly = archive.search(SearchQuery("needle", series="old"))
    assert summary(exactly) == (30, False, 20)  # the filter is applied before the cap
    archive.search_cap = 30
    assert summary(archive.search(SearchQuery("needle", series="old"))) == (30, False, 20)
    archive.search_cap = 29
    assert summary(archive.search(SearchQuery("needle", series="old"))) == (29, True, 20)


def test_ranking_walks_lengths_like_ordering_the_texts(archive: Archive, store_log: StoreLog) -> None:
    """Many matches are read in rank order from the index of lengths; that gives the order (and the pages) that
    reading every match with its text and ordering them gives."""
    rng = random.Random(5)
    vocabulary = ["alpha", "beta", "gamma", "delta", "Release", "plan", "released", "x_y", "naïve"]
    for day in (1, 2, 3):
        said = []
        for i in range(70):
            words = rng.choices(vocabulary, k=rng.randint(1, 12))
            said.append(f"<u{i % 4}> {'#info ' if i % 9 == 0 else ''}{' '.join(words)}")
        store_log(archive, f"s{day % 2}.2024-01-0{day}-14.00.log.txt", log(*said))
    queries = [
        query
        for text in ("alpha", "alpha beta", '"release plan"', "relea*", "naive", "xy", "y")
        for query in (
            SearchQuery(text, per_page=7),
            SearchQuery(text, per_page=7, nick="u1"),
            SearchQuery(text, per_page=7, series="s1"),
            SearchQuery(text, per_page=7, kind="line"),
            SearchQuery(text, per_page=7, kind="info"),
        )
    ]
    for query in queries:
        archive.sort_limit = 10**6  # every match read (with its length) and sorted
        by_text = every_page(archive, query)
        total = archive.search(query).total
        archive.sort_limit = 0  # the best matches read in order from the index of lengths
        assert every_page(archive, query) == by_text, query
        assert archive.search(query).total == total == len(by_text)
    assert sum(len(every_page(archive, query)) for query in queries) > 300


def test_the_cap_counts_items_and_lines_together(archive: Archive, store_log: StoreLog) -> None:
    said = [f"<bob> #info zebra fact {i}" if i % 2 else f"<bob> zebra chat {i}" for i in range(20)]
    store_log(archive, "zoo.2024-01-01-14.00.log.txt", log(*said))
    everything = archive.search(SearchQuery("zebra", per_page=100))
    assert summary(everything) == (30, False, 30)  # 20 lines and 10 info items
    assert sorted(hit.kind for hit in everything.hits).count("info") == 10
    archive.search_cap = 12
    capped = archive.search(SearchQuery("zebra", per_page=100))
    assert summary(capped) == (12, True, 12)  # never more hits on the pages than the total says
    assert len(every_page(archive, SearchQuery("zebra"))) == 12
    # the newest 12 lines and the (10) items are ranked: the lines among the best 12 are from the window
    assert min(hit.line for hit in capped.hits if hit.kind == "line") >= 10
    assert summary(archive.search(SearchQuery("zebra", kind="info"))) == (10, False, 10)
    assert summary(archive.search(SearchQuery("zebra", kind="line", per_page=50))) == (12, True, 12)


def test_restricted_meetings_are_not_counted(archive: Archive, store_log: StoreLog) -> None:
    store_log(archive, "open.2024-01-01-14.00.log.txt", log(*(f"<bob> needle {i}" for i in range(5))))
    store_log(
        archive,
        "secret.2024-01-02-14.00.log.txt",
        log("<alice> #restrictlogs", *(f"<bob> needle {i}" for i in range(5))),
    )
    archive.search_cap = 6
    assert summary(archive.search(SearchQuery("needle"))) == (5, False, 5)
    assert summary(archive.search(SearchQuery("needle", include_restricted=True))) == (6, True, 6)


def test_import_stores_the_oldest_meetings_first(tmp_path: Path, archive: Archive) -> None:
    """So that "the most recently stored" hits of a capped search are the newest ones, whatever the tree's layout."""
    for name, stamp in (("alpha", "2024-03-01-14.00"), ("alpha", "2024-01-01-14.00"), ("beta", "2024-02-01-14.00")):
        path = tmp_path / "tree" / name / "2024" / f"{name}.{stamp}.log.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(log(f"<bob> needle in {name} {stamp}"), encoding="utf-8")
    report = import_logs(archive, find_logs([tmp_path / "tree"], MEETBOT_LOGS), jobs=0)
    assert report.meetings == 3
    archive.search_cap = 1
    [newest] = archive.search(SearchQuery("needle")).hits
    assert newest.meeting_basename == "alpha.2024-03-01-14.00"
    stored: list[MeetingSummary] = []
    for series in archive.list_series():
        found = archive.series(series.name)
        assert found is not None
        stored.extend(meeting for year in found.years for meeting in year.meetings)
    assert [meeting.log_basename for meeting in sorted(stored, key=lambda meeting: meeting.id)] == [
        "alpha.2024-01-01-14.00",
        "beta.2024-02-01-14.00",
        "alpha.2024-03-01-14.00",
    ]


# ------------------------------------------------------------------ ranking


def test_shorter_lines_win(archive: Archive, store_log: StoreLog) -> None:
    store_log(
        archive,
        "rank.2024-01-01-14.00.log.txt",
        log(
            *(f"<bob> common filler {i}" for i in range(20)),
            "<carol> zebra zebra common",
            "<dave> zebra common common",
            "<erin> deploy now",
            "<erin> we will deploy the new thing later today or tomorrow maybe",
        ),
    )
    deploy = archive.search(SearchQuery("deploy")).hits
    assert [hit.text for hit in deploy] == ["deploy now", "we will deploy the new thing later today or tomorrow maybe"]
    assert deploy[0].score > deploy[1].score > 0
    # every hit holds every word: the same length ranks the most recently stored first
    assert [hit.nick for hit in archive.search(SearchQuery("zebra common")).hits] == ["dave", "carol"]

    archive.search_cap = 3  # the best 3 of all 22 "common" lines: all are 3 tokens long, so the newest 3
    best = archive.search(SearchQuery("common"))
    assert best.total_capped and [hit.nick for hit in best.hits] == ["dave", "carol", "bob"]


# ------------------------------------------------------------------ the scope behind the filters


def test_date_filters_reach_unfinished_meetings(archive: Archive, store_log: StoreLog) -> None:
    # no #endmeeting: the meeting has no end time, its lines run on for an hour
    store_log(
        archive,
        "late.2024-05-01-14.00.log.txt",
        log(*(f"<bob> needle {i}" for i in range(3)), *(["<bob> filler"] * 3600), "<bob> needle last", end=False),
    )
    store_log(archive, "done.2024-05-02-14.00.log.txt", log("<bob> needle done"))
    # lines at 14:00:01-03 (needle), 14:00:04-15:00:03 (filler), 15:00:04 (the last needle)
    day_after = datetime(2024, 5, 2, tzinfo=UTC)

    def found(since: datetime | None, until: datetime | None) -> list[str]:
        return [hit.text for hit in archive.search(SearchQuery("needle", since=since, until=until)).hits]

    assert found(datetime(2024, 5, 1, 14, 30, tzinfo=UTC), day_after) == ["needle last"]
    assert found(datetime(2024, 5, 1, 15, 0, 4, tzinfo=UTC), day_after) == ["needle last"]
    assert found(datetime(2024, 5, 1, 15, 0, 5, tzinfo=UTC), day_after) == []
    assert found(datetime(2024, 5, 1, 15, 0, 5, tzinfo=UTC), None) == ["needle done"]
    assert sorted(found(None, datetime(2024, 5, 1, 14, 30, tzinfo=UTC))) == ["needle 0", "needle 1", "needle 2"]
    assert found(None, datetime(2024, 5, 1, 14, 0, 1, tzinfo=UTC)) == []
    assert found(None, datetime(2024, 5, 1, 14, 0, 2, tzinfo=UTC)) == ["needle 0"]


def test_nick_filter_is_exact(archive: Archive, store_log: StoreLog) -> None:
    store_log(
        archive,
        "nicks.2024-05-01-14.00.log.txt",
        log(
            "<user3> needle one",
            "<User3> needle two",
            "<user3_away> needle three",
            "<user> needle four",
            "<[]> needle five",
            "<x-user3> needle six",
            "<bob> user3 needle seven",
        ),
    )

    def nicks(nick: str) -> list[str]:
        return sorted(hit.text for hit in archive.search(SearchQuery("needle", nick=nick)).hits)

    assert nicks("user3") == nicks("USER3") == ["needle one", "needle two"]
    assert nicks("user3_away") == ["needle three"]
    assert nicks("user") == ["needle four"]
    assert nicks("[]") == ["needle five"]
    assert nicks("x-user3") == ["needle six"]
    assert nicks("nobody") == []
    assert nicks("user3 ") == []
    assert archive.search(SearchQuery("user3")).total == 1  # the text, not the nicks


def test_short_prefixes_are_words(archive: Archive, store_log: StoreLog) -> None:
    store_log(archive, "p.2024-05-01-14.00.log.txt", log("<bob> pa papa pasta", "<bob> t tea", "<bob> pas"))
    assert parse_query("t* pa* pas*") == (Term(("t",)), Term(("pa",)), Term(("pas",), prefix=True))
    assert archive.search(SearchQuery("pa*")).total == 1
    assert archive.search(SearchQuery("t*")).total == 1
    assert archive.search(SearchQuery("pas*")).total == 2


# ------------------------------------------------------------------ upgrading an archive written by schema 1


def raw(url: str, *statements: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            for statement in statements:
                conn.execute(statement)
        finally:
            conn.close()
        return
    with psycopg.connect(url, autocommit=True) as pg:
        for statement in statements:
            pg.execute(statement)


def test_archives_indexed_by_the_engines_own_parsers_are_upgraded(archive_url: str, store_log: StoreLog) -> None:
    """An archive written before gavel's tokens (SQLite schema 3, PostgreSQL 4) is indexed again when opened."""
    said = (
        "<bob> fixed in https://bugs.launchpad.net/ubuntu/+bug/1000085 today",
        "<carol> never run <script>alert(1)</script> here",
        "<dave> #info call getUserName from /usr/lib/gavel_tools/run.py, ask ops@example.org",
        "<erin> Café crème",
    )
    with open_archive(archive_url) as archive:
        store_log(archive, "old.2024-05-01-14.00.log.txt", log(*said))
    downgrade(archive_url, version_adding(archive_url, "log_lines ADD COLUMN") - 1)  # the index as the engine made it
    if sqlite_path(archive_url) is None:
        with psycopg.connect(archive_url) as pg:  # the engine's parser: no "1000085" nor "script" among the words
            found = pg.execute("SELECT count(*) FROM log_lines WHERE tsv @@ '1000085'::tsquery").fetchone()
            assert found == (0,)
    with open_archive(archive_url) as archive:
        for text, lines in (
            ("1000085", [2]),
            ("script", [3]),
            ("getUserName", [4]),
            ("user", [4]),
            ("gavel_tools", [4]),
            ("tools", [4]),
            ("ops@example.org", [4]),
            ("cafe", [5]),
            ("CRÈME", [5]),
        ):
            assert sorted(hit.line for hit in archive.search(SearchQuery(text, kind="line")).hits) == lines, text
        assert [hit.kind for hit in archive.search(SearchQuery("getusername", kind="info")).hits] == ["info"]
        store_log(archive, "old.2024-05-01-14.00.log.txt", log(*said[:2]))  # stored again: the index follows
        assert archive.search(SearchQuery("getusername")).total == 0
        assert archive.search(SearchQuery("1000085")).total == 1


def test_schema_1_archives_are_upgraded(archive_url: str, store_log: StoreLog) -> None:
    with open_archive(archive_url) as archive:
        store_log(archive, "old.2024-05-01-14.00.log.txt", log("<bob> needle one", "<carol> needle two", end=False))
    downgrade(archive_url, version_adding(archive_url, "runtime_id") - 1)  # then schema 2 to 1 by hand:
    to_schema_1: tuple[str, ...] = (
        "ALTER TABLE meetings DROP COLUMN first_line_at",
        "ALTER TABLE meetings DROP COLUMN last_line_at",
        "UPDATE gavel_schema SET version = 1",
    )
    if sqlite_path(archive_url) is None:
        to_schema_1 = ("DROP INDEX log_lines_by_nick", *to_schema_1)
    else:  # schema 1's index had no nicks
        to_schema_1 = (
            "DROP TABLE log_lines_fts",
            "CREATE VIRTUAL TABLE log_lines_fts USING fts5 (text, content = 'log_lines', content_rowid = 'id', "
            "tokenize = 'unicode61 remove_diacritics 0')",
            "INSERT INTO log_lines_fts (log_lines_fts) VALUES ('rebuild')",
            *to_schema_1,
        )
    raw(archive_url, *to_schema_1)
    with open_archive(archive_url) as archive:
        assert archive.search(SearchQuery("needle")).total == 2
        assert [hit.nick for hit in archive.search(SearchQuery("needle", nick="carol")).hits] == ["carol"]
        start = datetime(2024, 5, 1, 14, 0, 2, tzinfo=UTC)
        assert [hit.nick for hit in archive.search(SearchQuery("needle", since=start)).hits] == ["carol"]
        assert archive.search(SearchQuery("needle", until=start)).total == 1
        store_log(archive, "new.2024-05-02-14.00.log.txt", log("<carol> needle three"))
        assert archive.search(SearchQuery("needle", nick="carol")).total == 2
