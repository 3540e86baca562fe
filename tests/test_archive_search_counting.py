"""How a backend counts a search's matches and ranks the best of them (``_matches``), on both backends: the count
is exact up to the limit, and only the ``wanted`` best come back, in rank order, the same as ranking every match
here would give."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from conftest import StoreLog
from gavel.storage.archive import Archive, SearchQuery
from gavel.storage.archive.query import parse_query
from gavel.storage.archive.ranking import Ordered, order_key
from gavel.storage.archive.search import ITEMS, LINES, Matching, Searching


def log(*said: str) -> str:
    base = datetime(2024, 5, 1, 14)
    lines = ["<alice> #startmeeting", *said, "<alice> #endmeeting"]
    return "".join(f"{base + timedelta(seconds=i):%H:%M:%S} {line}\n" for i, line in enumerate(lines))


def said(count: int, seed: int) -> list[str]:
    """``count`` lines holding "zebra" among 0-6 other words (so of several lengths), every third an #info item
    said by carol; and lines without it."""
    lines = []
    for i in range(count):
        padding = " ".join(f"w{(i * 7 + seed + n) % 13}" for n in range((i * 5 + seed) % 7))
        nick, command = ("carol", "#info ") if i % 3 == 0 else ("bob", "")
        lines += [f"<{nick}> {command}zebra {padding}".rstrip(), f"<dave> nothing here {i}"]
    return lines


def matching(archive: Searching, text: str, src: int, **filters: Any) -> Matching:
    query = SearchQuery(text, **filters)
    scope = archive._search_scope(query)
    assert scope is not None
    since, until = archive._search_bounds(query)
    return Matching(src, query, parse_query(text), scope, since, until)


def newest_first(found: list[Ordered]) -> list[Ordered]:
    """Matches in the order they were stored, newest first (items and PostgreSQL's log lines by id, SQLite's log lines
    by meeting and number)."""
    return sorted(found, key=lambda hit: (-hit[2], -hit[3], -hit[4]))


def located(archive: Searching, counted: tuple[int, list[Ordered]]) -> tuple[int, list[Ordered]]:
    """What ``_matches`` found, with the meetings and numbers of its log lines (PostgreSQL's postings find ids)."""
    count, found = counted
    return count, archive._located(found)


def test_the_backend_counts_every_match_and_hands_back_only_the_best(archive: Archive, store_log: StoreLog) -> None:
    store_log(archive, "zoo.2024-05-01-14.00.log.txt", log(*said(24, 1)))
    store_log(archive, "zoo.2024-05-08-14.00.log.txt", log(*said(21, 4)))
    assert isinstance(archive, Searching)
    cases = [
        ("zebra", LINES, {}, 45),
        ("zebra", ITEMS, {}, 15),
        ("zebra", LINES, {"nick": "bob"}, 30),  # a filter on the line itself (SQLite joins the line)
        ("zebra w3", LINES, {}, None),
        ('"zebra w5"', LINES, {}, None),  # a phrase
    ]
    with archive._connection():
        for text, src, filters, expected in cases:
            found = matching(archive, text, src, **filters)
            count, every = located(archive, archive._matches(found, 1000, 1000))
            assert len(every) == count > 0, text
            if expected is not None:
                assert count == expected, text
            ranked = sorted(every, key=order_key)
            for wanted in (1, 3, 7):
                assert located(archive, archive._matches(found, 1000, wanted)) == (count, ranked[:wanted]), (
                    text,
                    wanted,
                )
            # counted up to the limit: the best of the newest ``limit`` matches
            limit = count // 2
            newest = newest_first(every)[:limit]
            assert located(archive, archive._matches(found, limit, 4)) == (limit, sorted(newest, key=order_key)[:4]), (
                text
            )


def test_nothing_matching_is_counted_as_nothing(archive: Archive, store_log: StoreLog) -> None:
    store_log(archive, "zoo.2024-05-01-14.00.log.txt", log(*said(6, 0)))
    assert isinstance(archive, Searching)
    with archive._connection():
        for src in (LINES, ITEMS):
            assert archive._matches(matching(archive, "okapi", src), 1000, 20) == (0, [])
            assert archive._matches(matching(archive, "zebra", src, nick="erin"), 1000, 20) == (0, [])
