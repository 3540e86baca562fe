"""Meetings for the many-writers tests: each in two versions that share its identity (series, start, channel)
but nothing else, so a stored meeting made of both versions, or stored twice, shows.

Meeting ``k`` version ``v`` has the title ``m<k> v<v>``; every log line, item and person names ``k`` and ``v``;
the word ``w<k><v>`` occurs only in that version. The versions differ in length too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import Archive, SearchQuery
from gavel.storage.archive.model import PersonRow
from gavel.storage.archive.record import ItemRecord, MeetingRecord

MEETINGS = 6
VERSIONS = ("a", "b")
T0 = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)


def series_of(k: int) -> str:
    """Three series of two meetings each: writers of different meetings meet on a series too."""
    return f"team{k % 3}"


def started_at(k: int) -> datetime:
    return T0 + timedelta(days=k)


def basename(k: int) -> str:
    return f"{series_of(k)}.{started_at(k):%Y-%m-%d-%H.%M}"


def line_count(k: int, version: str) -> int:
    return 500 + 10 * k + (200 if version == "b" else 0)


def word(k: int, version: str) -> str:
    """The word only this version of this meeting says."""
    return f"w{k}{version}"


def nicks(k: int, version: str) -> tuple[str, ...]:
    return tuple(f"{version}{k}nick{i}" for i in range(3 if version == "a" else 4))


def meeting_version(k: int, version: str) -> tuple[MeetingRecord, list[LogLine]]:
    """Meeting ``k`` in version ``version``: its minutes and its log lines."""
    start = started_at(k)
    people = nicks(k, version)
    count = line_count(k, version)
    lines = [
        LogLine(
            n,
            start + timedelta(seconds=n),
            LineKind.MESSAGE,
            people[n % len(people)],
            f"line {n} of {word(k, version)} " + "filler " * (n % 7),
        )
        for n in range(1, count + 1)
    ]
    items = tuple(
        ItemRecord(
            "action" if i % 2 else "info",
            f"item {i} of {word(k, version)}",
            people[0],
            start + timedelta(seconds=10 * i),
            10 * i,
            None,
            (people[1],) if i % 2 else (),
        )
        for i in range(1, 5 if version == "a" else 7)
    )
    record = MeetingRecord(
        series=series_of(k),
        meeting_id=None,
        channel=f"#{series_of(k)}",
        network=None,
        title=f"m{k} v{version}",
        owner=people[0],
        chairs=(people[0],),
        started_at=start,
        ended_at=start + timedelta(seconds=count + 1),
        restricted=False,
        log_basename=basename(k),
        items=items,
        people=tuple(PersonRow(nick, count // len(people)) for nick in people),
        votes=(),
    )
    return record, lines


def store_version(archive: Archive, k: int, version: str) -> int:
    record, lines = meeting_version(k, version)
    return archive.store(record, lines)


def parse_plan(text: str) -> list[tuple[int, str]]:
    """``"0a,3b"`` -> ``[(0, "a"), (3, "b")]``."""
    return [(int(step[:-1]), step[-1]) for step in text.split(",") if step]


def check_archive(archive: Archive) -> dict[int, str]:
    """Assert every meeting is stored exactly once and whole, in one version; the version of each."""
    summaries = archive.list_series()
    assert sum(s.meeting_count for s in summaries) == MEETINGS, summaries
    found: dict[int, str] = {}
    for k in range(MEETINGS):
        meeting = archive.meeting(series_of(k), basename(k))
        assert meeting is not None, k
        assert meeting.title is not None and meeting.title.startswith(f"m{k} v"), meeting.title
        version = meeting.title[-1]
        found[k] = version
        record, lines = meeting_version(k, version)
        stored = list(archive.log_lines(meeting.id))
        assert [(row.number, row.nick, row.text) for row in stored] == [(x.number, x.nick, x.text) for x in lines], (
            f"meeting {k}: lines are not exactly those of version {version}"
        )
        assert [(i.kind, i.text) for i in meeting.items] == [(i.kind, i.text) for i in record.items], k
        assert [p.nick for p in meeting.people] == [p.nick for p in record.people], k
        hits = archive.search(SearchQuery(word(k, version), per_page=5))
        assert hits.total == len(lines) + len(record.items), (k, version, hits.total)
        assert {hit.meeting_id for hit in hits.hits} == {meeting.id}
        other = "b" if version == "a" else "a"
        assert archive.search(SearchQuery(word(k, other))).total == 0, (k, other)
    return found
