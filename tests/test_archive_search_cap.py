"""Search at scale, on both backends: the capped total (the newest hits only), BM25 ranking (the same on SQLite and
PostgreSQL), the meeting scope behind the filters (date bounds of unfinished meetings, exact nicks), the schema 2
upgrade, and the ranking helpers without a database."""

from __future__ import annotations

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
from gavel.storage.archive.query import Term, idf, parse_query, rank, term_frequencies


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


def test_the_cap_counts_items_and_lines_together(archive: Archive, store_log: StoreLog) -> None:
    said = [f"<bob> #info zebra fact {i}" if i % 2 else f"<bob> zebra chat {i}" for i in range(20)]
    store_log(archive, "zoo.2024-01-01-14.00.log.txt", log(*said))
    everything = archive.search(SearchQuery("zebra", per_page=100))
    assert summary(everything) == (30, False, 30)  # 20 lines and 10 info items
    assert sorted(hit.kind for hit in everything.hits).count("info") == 10
    archive.search_cap = 12
    capped = archive.search(SearchQuery("zebra", per_page=100))
    assert summary(capped) == (12, True, 12)
    # the newest 12 hits: the last lines and the items recorded from them
    assert min(hit.line for hit in capped.hits) >= 14
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


def test_rarer_words_weigh_more_and_shorter_lines_win(archive: Archive, store_log: StoreLog) -> None:
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
    assert [hit.nick for hit in archive.search(SearchQuery("zebra common")).hits] == ["carol", "dave"]
    deploy = archive.search(SearchQuery("deploy")).hits
    assert [hit.text for hit in deploy] == ["deploy now", "we will deploy the new thing later today or tomorrow maybe"]
    assert deploy[0].score > deploy[1].score > 0

    archive.search_cap = 3  # the newest 3 "common" lines (filler 19, carol, dave): the best of them first
    best = archive.search(SearchQuery("common"))
    assert best.total_capped and [hit.nick for hit in best.hits] == ["dave", "carol", "bob"]


def test_both_backends_rank_alike(tmp_path: Path, postgres_url: str, store_log: StoreLog) -> None:
    texts = [
        "<bob> the release plan is ready for the release",
        "<carol> plan the release later",
        "<dave> release release release",
        "<erin> #info release notes: see the plan",
        "<frank> released, finally",
        "<bob> a much longer line that mentions the release plan only once among many other words here",
        "<carol> same words: the release plan",
        "<dave> same words: the release plan",
    ]
    answers = []
    for url in (f"sqlite://{tmp_path / 'a.db'}", postgres_url):
        with open_archive(url) as archive:
            store_log(archive, "ops.2024-01-01-14.00.log.txt", log(*texts))
            store_log(archive, "ops.2024-02-01-14.00.log.txt", log(*reversed(texts)))
            answer = []
            for text in ("release", "release plan", '"release plan"', "relea*", "the release"):
                for cap in (SEARCH_CAP, 5):
                    archive.search_cap = cap
                    results = archive.search(SearchQuery(text, per_page=100))
                    answer.append(
                        (
                            text,
                            cap,
                            results.total,
                            results.total_capped,
                            [(h.meeting_basename, h.kind, h.line, round(h.score, 9)) for h in results.hits],
                        )
                    )
            answers.append(answer)
    assert answers[0] == answers[1]
    assert any(capped for _t, _c, _n, capped, _hits in answers[0])


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


def test_schema_1_archives_are_upgraded(archive_url: str, store_log: StoreLog) -> None:
    with open_archive(archive_url) as archive:
        assert archive.schema_version == type(archive).migrations[-1][0]
        store_log(archive, "old.2024-05-01-14.00.log.txt", log("<bob> needle one", "<carol> needle two", end=False))
    downgrade: tuple[str, ...] = (
        "DROP INDEX people_by_nick",
        "DROP INDEX people_by_other_nicks",
        "DROP INDEX attendance_by_nick",
        "DROP TABLE web_secrets",
        "DROP TABLE web_sessions",
        "DROP TABLE web_login_failures",
        "DROP TABLE agenda",
        "DROP TABLE attendance",
        "ALTER TABLE meetings DROP COLUMN started_by",
        "ALTER TABLE meetings DROP COLUMN attendance_taken",
        "ALTER TABLE items DROP COLUMN corrected_from",
        "ALTER TABLE items DROP COLUMN timebox_minutes",
        "ALTER TABLE items DROP COLUMN minutes_spent",
        "ALTER TABLE people DROP COLUMN also_known_as",
        "ALTER TABLE meetings DROP COLUMN runtime_id",
        "ALTER TABLE meetings DROP COLUMN first_line_at",
        "ALTER TABLE meetings DROP COLUMN last_line_at",
        "UPDATE gavel_schema SET version = 1",
    )
    if sqlite_path(archive_url) is None:
        downgrade = ("DROP INDEX log_lines_by_nick", *downgrade)
    else:  # schema 1's index had no nicks
        downgrade = (
            "DROP TABLE log_lines_fts",
            "CREATE VIRTUAL TABLE log_lines_fts USING fts5 (text, content = 'log_lines', content_rowid = 'id', "
            "tokenize = 'unicode61 remove_diacritics 0')",
            "INSERT INTO log_lines_fts (log_lines_fts) VALUES ('rebuild')",
            *downgrade,
        )
    raw(archive_url, *downgrade)
    with open_archive(archive_url) as archive:
        assert archive.search(SearchQuery("needle")).total == 2
        assert [hit.nick for hit in archive.search(SearchQuery("needle", nick="carol")).hits] == ["carol"]
        start = datetime(2024, 5, 1, 14, 0, 2, tzinfo=UTC)
        assert [hit.nick for hit in archive.search(SearchQuery("needle", since=start)).hits] == ["carol"]
        assert archive.search(SearchQuery("needle", until=start)).total == 1
        store_log(archive, "new.2024-05-02-14.00.log.txt", log("<carol> needle three"))
        assert archive.search(SearchQuery("needle", nick="carol")).total == 2


# ------------------------------------------------------------------ without a database


def test_term_frequencies() -> None:
    def tf(text: str, query: str) -> tuple[int, list[int]]:
        return term_frequencies(text, parse_query(query))

    assert tf("Deploy the deployment, deploy!", "deploy") == (4, [2])
    assert tf("Deploy the deployment, deploy!", "depl*") == (4, [3])
    assert tf("the release plan, release plan!", '"release plan" the') == (5, [2, 1])
    assert tf("foo-bar and foo bar", "foo-bar") == (5, [2])
    assert tf("x_y don't", "x_y") == (4, [1])
    assert tf("café Café naïve", "CAFÉ") == (3, [2])
    assert tf("李雷 says 李雷", "李雷") == (3, [2])
    assert tf("done✓ and ✓done", "done") == (3, [2])  # stuck to a symbol: counted again by the slow path
    assert tf("", "x") == (0, [0])
    assert tf("a a a b a", '"a a"') == (5, [2])
    assert tf("x release plan, release-planning", "release-pla*") == (5, [2])
    assert tf("plan release", '"release plan"') == (2, [0])


def test_rank_orders_by_score_then_newest() -> None:
    terms = parse_query("needle")
    candidates = [
        (0, 0, 1, 5, "needle in a long haystack of words"),
        (0, 0, 2, 7, "needle here"),
        (0, 0, 1, 9, "needle here"),
        (1, 4, 2, 7, "needle here"),
        (0, 0, 3, 1, "no match at all"),
    ]
    ranked = rank(candidates, terms, [1.0])
    assert [(src, item, meeting, line) for _score, src, item, meeting, line in ranked] == [
        (0, 0, 2, 7),
        (1, 4, 2, 7),
        (0, 0, 1, 9),
        (0, 0, 1, 5),
        (0, 0, 3, 1),
    ]
    assert ranked[0][0] == ranked[2][0] > ranked[3][0] > ranked[4][0] == 0.0
    assert rank([], terms, [1.0]) == []


def test_idf() -> None:
    assert idf(1, 1000) > idf(10, 1000) > idf(400, 1000) > 0
    assert idf(900, 1000) == idf(1000, 1000) == 1e-6
