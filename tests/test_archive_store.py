"""The archive on both backends: storing, idempotent re-storing, reading back, restricted meetings, actions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from conftest import StoreLog
from gavel.app.archiving import archive_record
from gavel.app.importer import parse_log
from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import Archive, SearchQuery
from gavel.storage.archive.tokens import length, tokens

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
SERIES = "k8s_integration_discussion"
BASENAME = "k8s_integration_discussion.2016-03-16-14.30"


def log(*said: str, start: str = "14:00:00") -> str:
    """A MeetBot log: one line per ``said`` (``<nick> text`` or ``* nick text``), a second apart."""
    base = datetime.strptime(start, "%H:%M:%S")
    return "".join(f"{base + timedelta(seconds=i):%H:%M:%S} {line}\n" for i, line in enumerate(said))


def fixture_ids(archive: Archive) -> list[int]:
    parsed = parse_log(FIXTURE)
    assert parsed.error is None
    return [meeting.store(archive) for meeting in parsed.meetings]


def as_log_text(archive: Archive, meeting_id: int) -> str:
    """The stored lines written back in MeetBot's .log.txt form."""
    out = []
    for row in archive.log_lines(meeting_id):
        stamp = f"{row.time:%H:%M:%S}"
        if row.kind == "message":
            out.append(f"{stamp} <{row.nick}> {row.text}")
        elif row.kind == "action":
            out.append(f"{stamp} * {row.nick} {row.text}")
        else:
            out.append(row.text)
    return "\n".join(out)


def test_fixture_round_trip(archive: Archive) -> None:
    [meeting_id] = fixture_ids(archive)
    [summary] = archive.list_series()
    assert (summary.name, summary.meeting_count, summary.open_actions) == (SERIES, 1, 1)
    assert summary.last_meeting_at == datetime(2016, 3, 16, 14, 30, 39, tzinfo=UTC)

    detail = archive.series(SERIES)
    assert detail is not None
    assert [year.year for year in detail.years] == [2016]
    [listed] = detail.years[0].meetings
    assert (listed.id, listed.log_basename, listed.line_count, listed.channel) == (
        meeting_id,
        BASENAME,
        338,
        "#" + SERIES,
    )
    assert [action.text for action in detail.open_actions] == ["mspreitz to update the devrefs with examples"]

    meeting = archive.meeting(SERIES, BASENAME)
    assert meeting is not None
    assert archive.meeting(SERIES, meeting_id) == meeting == archive.meeting(None, str(meeting_id))
    assert meeting.title == "k8s integration discussion"
    assert meeting.chairs == ("apuimedo",)
    assert meeting.owner == "apuimedo"
    assert meeting.ended_at is not None and not meeting.unfinished and not meeting.restricted
    assert meeting.network is None
    [parsed] = parse_log(FIXTURE).meetings
    parsed.spool.discard()
    view = parsed.view
    assert [(i.kind, i.text, i.nick, i.time, i.line, i.topic) for i in meeting.items] == [
        (i.kind, i.text, i.nick, i.time, i.line, i.topic) for i in view.items
    ]
    assert [(p.nick, p.lines) for p in meeting.people] == [(p.nick, p.lines) for p in view.people]
    assert len(meeting.items) == 6
    assert meeting.people[0].nick == "apuimedo" and meeting.people[0].lines == 121
    [action] = meeting.actions
    assert (action.owners, action.status, action.line, action.meeting_basename) == (
        ("mspreitz",),
        "open",
        316,
        BASENAME,
    )
    assert as_log_text(archive, meeting_id) == FIXTURE.read_text(encoding="utf-8").rstrip("\n")

    assert archive.meeting(SERIES, "nope.2016-03-16-14.30") is None
    assert archive.meeting("other", meeting_id) is None
    assert archive.meeting(None, 999_999) is None
    assert archive.series("other") is None


def test_log_lines_paging(archive: Archive) -> None:
    [meeting_id] = fixture_ids(archive)
    everything = list(archive.log_lines(meeting_id))
    assert [row.number for row in everything] == list(range(1, 339))
    assert list(archive.log_lines(meeting_id, offset=100, limit=5)) == everything[100:105]
    assert list(archive.log_lines(meeting_id, offset=335)) == everything[335:]
    assert list(archive.log_lines(meeting_id, limit=0)) == []
    assert list(archive.log_lines(meeting_id + 1)) == []


def test_storing_again_replaces_and_keeps_the_id(archive: Archive, store_log: StoreLog) -> None:
    first = fixture_ids(archive)
    before = archive.meeting(SERIES, BASENAME)
    hits = archive.search(SearchQuery("kubernetes")).total
    assert fixture_ids(archive) == first
    after = archive.meeting(SERIES, BASENAME)
    assert before is not None and after is not None
    assert before.stored_at is not None and after.stored_at is not None and after.stored_at > before.stored_at
    # all else is as it was (action ids are kept too)
    assert replace(after, items=(), people=(), stored_at=None) == replace(before, items=(), people=(), stored_at=None)
    assert [replace(i, id=0) for i in after.items] == [replace(i, id=0) for i in before.items]
    assert after.people == before.people
    assert archive.search(SearchQuery("kubernetes")).total == hits
    assert len(list(archive.log_lines(first[0]))) == 338

    # The same meeting (series, start, channel) with other content: replaced, in one piece.
    text = log("<alice> #startmeeting team", "<alice> #info zebra crossing", "<alice> #endmeeting")
    [team] = store_log(archive, "team.2024-05-01-14.00.log.txt", text)
    text = log("<alice> #startmeeting team", "<bob> hello", "<alice> #info yak shaving", "<alice> #endmeeting")
    assert store_log(archive, "team.2024-05-01-14.00.log.txt", text) == [team]
    meeting = archive.meeting("team", team)
    assert meeting is not None
    assert [item.text for item in meeting.items] == ["yak shaving"]
    assert meeting.line_count == 4 and [p.nick for p in meeting.people] == ["alice", "bob"]
    assert archive.search(SearchQuery("zebra")).total == 0
    assert archive.search(SearchQuery("yak")).total == 2  # the log line and the #info item
    assert [s.meeting_count for s in archive.list_series()] == [1, 1]


def test_items_are_stored_with_their_index(archive: Archive, store_log: StoreLog) -> None:
    """Items are inserted with their lengths and index entries in one go (their ids chosen by the writer on SQLite):
    ids follow those stored before, also when a meeting is stored again; lengths, search and actions agree."""
    text = log(
        "<alice> #startmeeting items",
        "<bob> hi",
        "<alice> #info zebra crossing ahead on the left",
        "<alice> #action bob to paint the zebra crossing",
        "<alice> #agreed zebra",
        "<alice> #endmeeting",
    )
    [first] = store_log(archive, "items.2024-05-01-14.00.log.txt", text)
    [second] = store_log(archive, "items.2024-05-08-14.00.log.txt", text)
    assert store_log(archive, "items.2024-05-01-14.00.log.txt", text) == [first]  # its items now come after
    with archive._connection():
        rows = archive._query("SELECT id, meeting_id, position, text, text_length FROM items ORDER BY id")
    assert [(meeting, position) for _, meeting, position, _, _ in rows] == [
        (meeting, position) for meeting in (second, first) for position in range(3)
    ]
    assert len({item for item, *_ in rows}) == 6
    assert [size for *_, item_text, size in rows] == [length(tokens(item_text)) for *_, item_text, _ in rows]
    for kind, wanted in (("info", "zebra crossing ahead on the left"), ("agreed", "zebra")):
        found = archive.search(SearchQuery("zebra", kind=kind)).hits
        assert [(hit.meeting_id, hit.text) for hit in found] == [(first, wanted), (second, wanted)]  # newest id first
    ranked = archive.search(SearchQuery("zebra", kind=None)).hits
    assert [hit.text for hit in ranked if hit.kind != "line"][:2] == ["zebra", "zebra"]  # the shortest first
    for meeting_id in (first, second):
        meeting = archive.meeting("items", meeting_id)
        assert meeting is not None
        assert [(action.text, action.owners) for action in meeting.actions] == [
            ("bob to paint the zebra crossing", ("bob",))
        ]
    assert sorted((a.meeting_id, a.text) for a in archive.open_actions("items")) == [
        (first, "bob to paint the zebra crossing"),
        (second, "bob to paint the zebra crossing"),
    ]


def test_store_streams_log_lines(archive: Archive) -> None:
    """``store`` takes any iterable of LogLine (a generator here) and counts what it consumed."""
    [parsed] = parse_log(FIXTURE).meetings
    parsed.spool.discard()
    start = parsed.view.started_at
    consumed = 0

    def lines() -> Iterator[LogLine]:
        nonlocal consumed
        for number in range(1, 20_001):
            consumed += 1
            yield LogLine(number, start + timedelta(seconds=number // 10), LineKind.MESSAGE, "bot", f"line {number}")

    meeting_id = archive.store(archive_record(parsed.view), lines())
    assert consumed == 20_000
    meeting = archive.meeting(None, meeting_id)
    assert meeting is not None and meeting.line_count == 20_000
    assert [row.text for row in archive.log_lines(meeting_id, offset=19_998)] == ["line 19999", "line 20000"]
    assert archive.search(SearchQuery("19999")).total == 1


def test_has_meeting_matches_the_minute(archive: Archive) -> None:
    fixture_ids(archive)
    channel = "#" + SERIES
    assert archive.has_meeting(SERIES, datetime(2016, 3, 16, 14, 30, tzinfo=UTC), channel)
    assert archive.has_meeting(SERIES, datetime(2016, 3, 16, 14, 30, 59, tzinfo=UTC), channel)
    assert archive.has_meeting(SERIES, datetime(2016, 3, 16, 14, 30), channel)  # naive is UTC
    assert not archive.has_meeting(SERIES, datetime(2016, 3, 16, 14, 31, tzinfo=UTC), channel)
    assert not archive.has_meeting(SERIES, datetime(2016, 3, 16, 14, 30, tzinfo=UTC), "#other")
    assert not archive.has_meeting("other", datetime(2016, 3, 16, 14, 30, tzinfo=UTC), channel)


def test_series_years_newest_first(archive: Archive, store_log: StoreLog) -> None:
    for stamp in ("2023-01-05-14.00", "2024-02-01-14.00", "2023-06-01-14.00", "2024-09-09-14.00"):
        store_log(archive, f"team.{stamp}.log.txt", log("<a> #startmeeting", "<a> hi", "<a> #endmeeting"))
    detail = archive.series("team")
    assert detail is not None and detail.meeting_count == 4
    assert [(year.year, [m.started_at.month for m in year.meetings]) for year in detail.years] == [
        (2024, [9, 2]),
        (2023, [6, 1]),
    ]
    [summary] = archive.list_series()
    assert summary.first_meeting_at.year == 2023 and summary.last_meeting_at.month == 9


def test_votes_network_unfinished_and_nul(archive: Archive, store_log: StoreLog) -> None:
    text = log(
        "<alice> #startmeeting vote night",
        "<alice> #startvote Ship it? yes, no",
        "<bob> #vote yes",
        "<carol> #vote no",
        "<dave> #vote yes",
        "<alice> #endvote",
        "<alice> #info nul\x00byte",
    )
    [meeting_id] = store_log(archive, "vote_night.2024-05-01-14.00.log.txt", text, network="libera")
    meeting = archive.meeting("vote_night", meeting_id)
    assert meeting is not None
    assert meeting.network == "libera"
    assert meeting.unfinished and meeting.ended_at is None
    [vote] = meeting.votes
    assert (vote.question, vote.options, vote.nick, vote.line) == ("Ship it?", ("yes", "no"), "alice", 2)
    assert vote.results == (("yes", ("bob", "dave")), ("no", ("carol",)))
    assert vote.ended_at is not None
    assert meeting.items[-1].text == "nul\ufffdbyte"  # PostgreSQL cannot store NUL: both backends replace it
    assert list(archive.log_lines(meeting_id))[-1].text == "#info nul\ufffdbyte"


def test_restricted_meetings_are_hidden_unless_asked(archive: Archive, store_log: StoreLog) -> None:
    open_text = log("<alice> #startmeeting secret", "<alice> #action bob to share the plan", "<alice> #endmeeting")
    [public] = store_log(archive, "secret.2024-05-01-14.00.log.txt", open_text)
    text = log(
        "<alice> #startmeeting secret",
        "<alice> #restrictlogs",
        "<alice> #action bob to hide the plan",
        "<bob> plan details",
        "<alice> #endmeeting",
    )
    [hidden] = store_log(archive, "secret.2024-05-08-14.00.log.txt", text)
    assert archive.meeting("secret", hidden) is None
    assert list(archive.log_lines(hidden)) == []
    assert [s.meeting_count for s in archive.list_series()] == [1]
    assert [s.open_actions for s in archive.list_series()] == [1]
    detail = archive.series("secret")
    assert detail is not None and [m.id for y in detail.years for m in y.meetings] == [public]
    assert [a.text for a in archive.open_actions("secret")] == ["bob to share the plan"]
    assert archive.search(SearchQuery("plan")).total == 2  # the public line and its action item
    assert {hit.meeting_id for hit in archive.search(SearchQuery("plan")).hits} == {public}

    meeting = archive.meeting("secret", hidden, include_restricted=True)
    assert meeting is not None and meeting.restricted
    assert len(list(archive.log_lines(hidden, include_restricted=True))) == 5
    assert [s.meeting_count for s in archive.list_series(include_restricted=True)] == [2]
    assert len(archive.open_actions("secret", include_restricted=True)) == 2
    assert archive.search(SearchQuery("plan", include_restricted=True)).total == 5
    assert archive.has_meeting("secret", datetime(2024, 5, 8, 14, 0, tzinfo=UTC), "#secret")

    store_log(archive, "only.2024-05-08-14.00.log.txt", text.replace("secret", "only"))
    assert archive.series("only") is None
    assert [s.name for s in archive.list_series()] == ["secret"]


def test_open_actions_and_marking_them_done(archive: Archive, store_log: StoreLog) -> None:
    first = log(
        "<alice> #startmeeting infra",
        "<alice> #action bob and carol to fix the backups",
        "<alice> #action nobody in particular writes docs",
        "<bob> ok",
        "<carol> ok",
        "<alice> #endmeeting",
    )
    [week1] = store_log(archive, "infra.2024-05-01-14.00.log.txt", first)
    [week2] = store_log(archive, "infra.2024-05-08-14.00.log.txt", log("<alice> #startmeeting infra", "<alice> hi"))
    actions = archive.open_actions("infra")
    assert [(a.text, a.owners, a.meeting_id) for a in actions] == [
        ("bob and carol to fix the backups", ("bob", "carol"), week1),
        ("nobody in particular writes docs", (), week1),
    ]
    backups = actions[0]
    assert archive.mark_action_done(backups.id, week2)
    assert [a.text for a in archive.open_actions("infra")] == ["nobody in particular writes docs"]
    [summary] = archive.list_series()
    assert summary.open_actions == 1
    meeting = archive.meeting("infra", week1)
    assert meeting is not None
    done = meeting.actions[0]
    assert (done.status, done.done_in) == ("done", week2)
    assert done.done_at == datetime(2024, 5, 8, 14, 0, tzinfo=UTC)  # the start of the meeting it was done in

    # Re-importing the first meeting keeps what was marked done.
    store_log(archive, "infra.2024-05-01-14.00.log.txt", first)
    assert [a.text for a in archive.open_actions("infra")] == ["nobody in particular writes docs"]
    meeting = archive.meeting("infra", week1)
    assert meeting is not None and meeting.actions[0].status == "done"

    moment = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert archive.mark_action_done(actions[1].id, None, at=moment)
    assert archive.open_actions("infra") == []
    meeting = archive.meeting("infra", week1)
    assert meeting is not None and (meeting.actions[1].done_at, meeting.actions[1].done_in) == (moment, None)
    assert archive.reopen_action(backups.id)
    assert [a.id for a in archive.open_actions("infra")] == [backups.id]
    assert not archive.mark_action_done(999_999, None)
    assert not archive.mark_action_done(backups.id, 999_999)
    assert not archive.reopen_action(999_999)


def test_threads_share_one_archive(archive: Archive) -> None:
    from concurrent.futures import ThreadPoolExecutor

    [meeting_id] = fixture_ids(archive)

    def read(_: int) -> int:
        return len(list(archive.log_lines(meeting_id))) + archive.search(SearchQuery("kubernetes")).total

    with ThreadPoolExecutor(4) as pool:
        results = set(pool.map(read, range(16)))
    assert len(results) == 1


@pytest.mark.parametrize("bound", [date(2016, 3, 16), datetime(2016, 3, 16, 15, 0, tzinfo=UTC)])
def test_date_and_datetime_bounds(archive: Archive, bound: date) -> None:
    fixture_ids(archive)
    after = archive.search(SearchQuery("kubernetes", since=bound)).total
    before = archive.search(SearchQuery("kubernetes", until=bound)).total
    assert after + before == archive.search(SearchQuery("kubernetes")).total
