"""SQLite and PostgreSQL find the same hits, with the same totals, for the same queries (words in URLs, paths,
addresses, markup and identifiers, folded unicode, phrases, prefixes, filters); and totals past 10,000."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from conftest import StoreLog
from gavel.core.effects import LogLine
from gavel.core.events import LineKind
from gavel.storage.archive import Archive, SearchQuery, open_archive
from gavel.storage.archive.record import MeetingRecord


def log(*said: str, start: str = "14:00:00") -> str:
    base = datetime.strptime(start, "%H:%M:%S")
    lines = ["<alice> #startmeeting", *said, "<alice> #endmeeting"]
    return "".join(f"{base + timedelta(seconds=i):%H:%M:%S} {line}\n" for i, line in enumerate(lines))


OPS = (
    "<bob> fixed in https://bugs.launchpad.net/ubuntu/+bug/1000085 today",
    "<carol> never run <script>alert(1)</script> in the wiki",
    "<dave> #info the config is in /etc/gavel/gavel_main.toml",
    "<erin> mail ops-team@lists.example.org about it",
    "<bob> call getUserName then HTTPServer.start()",
    "<carol> the snake_case names and the camelCase ones",
    "<Renée> Café crème, NAÏVE straße",
    "<dave> #action bob look at bug 1000085 again",
    "<erin> the release plan is ready",
    "<bob> plan the release later",
    "<李雷> 李雷 says 你好",
)
WEB = (
    "<bob> the release plan for the web site",
    "<carol> see https://example.org/docs/release-plan.html",
    "<alice> #agreed release on friday",
    "<erin> caf\u0065\u0301 decomposed",
)

QUERIES = [
    SearchQuery(text)
    for text in (
        "1000085",
        "launchpad",
        "+bug/1000085",
        "https://bugs.launchpad.net/ubuntu/+bug/1000085",
        "script",
        "<script>",
        "alert",
        "gavel_main",
        "gavel",
        "main",
        "toml",
        "/etc/gavel",
        "ops-team@lists.example.org",
        "example",
        "getUserName",
        "get_user_name",
        "user",
        "getusername",
        "HTTPServer",
        "server",
        "snake_case",
        "snake",
        "camelcase",
        "case",
        "café",
        "cafe",
        "CREME",
        "naive",
        "strasse",
        "李雷",
        "你好",
        "release",
        '"release plan"',
        "release plan",
        '"plan release"',
        "relea*",
        "getUse*",
        "the",
        "nothing_here",
        '"bug 1000085"',
    )
] + [
    SearchQuery("release", series="web"),
    SearchQuery("release", series="ops"),
    SearchQuery("the", nick="carol"),
    SearchQuery("the", nick="CAROL", series="ops"),
    SearchQuery("crème", nick="Renée"),
    SearchQuery("release", kind="agreed"),
    SearchQuery("the", kind="info"),
    SearchQuery("1000085", kind="action"),
    SearchQuery("1000085", kind="line"),
    SearchQuery("release", since=date(2024, 6, 1)),
    SearchQuery("release", until=date(2024, 6, 1)),
    SearchQuery("release", since=datetime(2024, 5, 1, 14, 0, 9, tzinfo=UTC), until=date(2024, 5, 2)),
    SearchQuery("release", channel="#web"),
]


def answers(archive: Archive) -> list[tuple[str, int, bool, set[tuple[str, str, int]]]]:
    out = []
    for query in QUERIES:
        results = archive.search(query)
        hits: set[tuple[str, str, int]] = set()
        page = 1
        while True:
            found = archive.search(replace(query, page=page, per_page=100))
            if not found.hits:
                break
            hits.update((hit.meeting_basename, hit.kind, hit.line) for hit in found.hits)
            page += 1
        out.append((repr(query), results.total, results.total_capped, hits))
    return out


ZERO = ('"plan release"', "nothing_here")  # the only queries that find nothing
EXPECTED = {  # query text -> log lines (and items) found, on either backend
    "1000085": {
        ("ops.2024-05-01-14.00", "line", 2),
        ("ops.2024-05-01-14.00", "line", 9),
        ("ops.2024-05-01-14.00", "action", 9),
    },
    "script": {("ops.2024-05-01-14.00", "line", 3)},
    "gavel_main": {("ops.2024-05-01-14.00", "line", 4), ("ops.2024-05-01-14.00", "info", 4)},
    "getUserName": {("ops.2024-05-01-14.00", "line", 6)},
    "café": {("ops.2024-05-01-14.00", "line", 8), ("web.2024-06-01-14.00", "line", 5)},
    '"plan release"': set(),
}


def test_both_backends_find_the_same_hits(tmp_path: Path, postgres_url: str, store_log: StoreLog) -> None:
    results = []
    for url in (f"sqlite://{tmp_path / 'a.db'}", postgres_url):
        with open_archive(url) as archive:
            store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*OPS))
            store_log(archive, "web.2024-06-01-14.00.log.txt", log(*WEB))
            results.append(answers(archive))
    sqlite, postgres = results
    for left, right in zip(sqlite, postgres, strict=True):
        assert left == right
    found = {text: hits for text, _total, _capped, hits in sqlite}
    for text, hits in EXPECTED.items():
        assert found[repr(SearchQuery(text))] == hits, text
    assert all(total == len(hits) for _text, total, _capped, hits in sqlite)
    assert [text for text, total, _c, _h in sqlite if not total] == [repr(SearchQuery(t)) for t in ZERO]


def test_both_backends_find_the_same_hits_in_meetings_stored_again(
    tmp_path: Path, postgres_url: str, store_log: StoreLog
) -> None:
    """A meeting stored again with fewer lines, another with more (PostgreSQL's lines then have new ids and its old
    postings are dead until their block is compacted)."""
    results = []
    for url in (f"sqlite://{tmp_path / 'a.db'}", postgres_url):
        with open_archive(url) as archive:
            store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*OPS))
            store_log(archive, "web.2024-06-01-14.00.log.txt", log(*WEB))
            store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*OPS[3:7]))
            store_log(archive, "web.2024-06-01-14.00.log.txt", log(*WEB, *OPS[:3]))
            results.append(answers(archive))
    sqlite, postgres = results
    for left, right in zip(sqlite, postgres, strict=True):
        assert left == right
    found = {text: hits for text, _total, _capped, hits in sqlite}
    assert found[repr(SearchQuery("script"))] == {("web.2024-06-01-14.00", "line", 7)}


# ------------------------------------------------------------------ more than 10,000 hits


def plain_record(series: str, started: datetime) -> MeetingRecord:
    """An hour's meeting of ``series`` from ``started``: no items, people or votes (its lines are stored with it)."""
    return MeetingRecord(
        series=series,
        meeting_id=None,
        channel=f"#{series}",
        network=None,
        title=None,
        owner="alice",
        chairs=("alice",),
        started_at=started,
        ended_at=started + timedelta(hours=1),
        restricted=False,
        log_basename=f"{series}.{started:%Y-%m-%d-%H.%M}",
        items=(),
        people=(),
        votes=(),
    )


def store_many(archive: Archive, series: str, day: datetime, count: int, short: int | None = None) -> None:
    """A meeting of ``count`` lines saying "needle" (stored directly: fast), line ``short`` saying only that."""

    def text(n: int) -> str:
        return "needle" if n == short else f"needle {n} haystack"

    record = plain_record(series, day)
    archive.store(
        record,
        (LogLine(n + 1, day + timedelta(seconds=n), LineKind.MESSAGE, f"u{n % 7}", text(n)) for n in range(count)),
    )


def test_totals_are_exact_to_ten_thousand_then_a_lower_bound(archive: Archive) -> None:
    start = datetime(2024, 1, 1, 14, tzinfo=UTC)
    store_many(archive, "big", start, 6_000, short=17)
    store_many(archive, "bigger", start + timedelta(days=1), 4_900)
    assert archive.search(SearchQuery("needle", series="bigger")).total == 4_900  # exact past the old 2,000 cap
    store_many(archive, "small", start + timedelta(days=2), 30)
    everything = archive.search(SearchQuery("needle"))
    assert (everything.total, everything.total_capped) == (10_000, True)
    assert everything.pages == 500
    # the best hit of all, in the oldest meeting, comes first: every match is ranked, not only the newest
    assert (everything.hits[0].meeting_basename, everything.hits[0].text) == ("big.2024-01-01-14.00", "needle")
    narrowed = archive.search(SearchQuery("needle", series="big"))
    assert (narrowed.total, narrowed.total_capped) == (6_000, False)
    by_nick = archive.search(SearchQuery("needle", nick="u3"))  # 6,000 / 7 + 4,900 / 7 + 30 / 7, rounded up
    assert (by_nick.total, by_nick.total_capped) == (857 + 700 + 4, False)
    day = archive.search(SearchQuery("needle", since=start + timedelta(days=1), until=start + timedelta(days=2)))
    assert (day.total, day.total_capped) == (4_900, False)
    assert archive.search(SearchQuery("needle 5999")).total == 1  # the oldest meeting is found, and ranked
    assert archive.search(SearchQuery("haystack", page=500)).hits != ()
    assert archive.search(SearchQuery("haystack", page=501)).hits == ()
