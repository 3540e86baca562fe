"""The archive's input, a MeetingRecord: every field read back as stored (both backends), and the application's
conversion from the minutes view."""

from __future__ import annotations

import pickle
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.app.archiving import archive_record
from gavel.app.importer import parse_for_archive, parse_log
from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import (
    Archive,
    ItemRecord,
    MeetingDetail,
    MeetingRecord,
    PersonRow,
    VoteRow,
)

START = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
FIXTURE = Path(__file__).parent / "data" / "k8s_integration_discussion.2016-03-16-14.30.log.txt"


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


FINISHED = MeetingRecord(
    series="release",
    meeting_id="0123456789abcdef",
    channel="#release",
    network="libera",
    title="Release planning",
    owner="alice",
    chairs=("alice", "bob"),
    started_at=START,
    ended_at=at(60),
    restricted=True,
    log_basename="release.2024-05-01-14.00",
    items=(
        ItemRecord("topic", "the plan", "alice", at(2), 2, "the plan", ()),
        ItemRecord("info", "a note\x00with NUL", "bob", at(3.25), 3, "the plan", ()),
        ItemRecord("action", "bob and carol to ship it", "alice", at(4), 4, "the plan", ("bob", "carol")),
        ItemRecord("action", "someone writes the docs", "alice", at(5), 5, "the plan", ()),
        ItemRecord("action", "carol and bob to tag it", "bob", at(6), 6, "the plan", ("carol", "bob")),
        ItemRecord("agreed", "ship on Friday", "alice", at(9), 9, "the plan", ()),
    ),
    people=(PersonRow("alice", 6), PersonRow("bob", 3), PersonRow("carol", 1)),
    votes=(
        VoteRow("Ship it?", ("yes", "no"), (("yes", ("bob", "carol")), ("no", ())), "alice", at(7), at(8), 7),
        VoteRow("Lunch?", ("pizza",), (("pizza", ()),), "bob", at(10), None, 10),
    ),
)
UNFINISHED = replace(
    FINISHED,
    meeting_id=None,
    network=None,
    title=None,
    chairs=(),
    started_at=at(3600),
    ended_at=None,
    restricted=False,
    log_basename="release.2024-05-01-15.00",
    items=(ItemRecord("info", "before any topic", "alice", at(3601), 1, None, ()),),
    people=(),
    votes=(),
)


def lines(record: MeetingRecord, count: int) -> list[LogLine]:
    return [
        LogLine(number, record.started_at + timedelta(seconds=number), LineKind.MESSAGE, "alice", f"line {number}")
        for number in range(1, count + 1)
    ]


def as_record(detail: MeetingDetail) -> MeetingRecord:
    """What was read back, as the record it was stored from."""
    owners = {(action.line, action.text): action.owners for action in detail.actions}
    return MeetingRecord(
        series=detail.series,
        meeting_id=detail.runtime_id,
        channel=detail.channel,
        network=detail.network,
        title=detail.title,
        owner=detail.owner,
        chairs=detail.chairs,
        started_at=detail.started_at,
        ended_at=detail.ended_at,
        restricted=detail.restricted,
        log_basename=detail.log_basename,
        items=tuple(
            ItemRecord(
                item.kind,
                item.text,
                item.nick,
                item.time,
                item.line,
                item.topic,
                owners.get((item.line, item.text), ()),
            )
            for item in detail.items
        ),
        people=tuple(PersonRow(person.nick, person.lines) for person in detail.people),
        votes=tuple(
            VoteRow(vote.question, vote.options, vote.results, vote.nick, vote.time, vote.ended_at, vote.line)
            for vote in detail.votes
        ),
    )


@pytest.mark.parametrize("record", [FINISHED, UNFINISHED], ids=["finished", "unfinished"])
def test_every_field_is_read_back(archive: Archive, record: MeetingRecord) -> None:
    meeting_id = archive.store(record, lines(record, 12))
    detail = archive.meeting(None, meeting_id, include_restricted=True)
    assert detail is not None
    stored = replace(
        record,
        items=tuple(replace(item, text=item.text.replace("\x00", "\ufffd")) for item in record.items),
    )
    assert as_record(detail) == stored
    assert [action.line for action in detail.actions] == [item.line for item in record.items if item.kind == "action"]
    assert (detail.unfinished, detail.line_count) == (record.unfinished, 12)
    assert archive.meeting(record.series, record.log_basename, include_restricted=True) == detail
    assert (archive.meeting(None, meeting_id) is None) == record.restricted


def test_storing_again_replaces_the_meeting_id(archive: Archive) -> None:
    first = archive.store(replace(FINISHED, meeting_id=None), lines(FINISHED, 3))
    for meeting_id in ("fedcba9876543210", None):
        assert archive.store(replace(FINISHED, meeting_id=meeting_id), lines(FINISHED, 3)) == first
        detail = archive.meeting(None, first, include_restricted=True)
        assert detail is not None and detail.runtime_id == meeting_id


def test_the_minutes_view_becomes_the_record(tmp_path: Path) -> None:
    path = tmp_path / "infra.2024-05-01-14.00.log.txt"
    path.write_text(
        "14:00:00 <alice> #startmeeting infra\n"
        "14:00:01 <alice> #topic backups\n"
        "14:00:02 <alice> #action bob and carol to fix the backups\n"
        "14:00:03 <alice> #action nobody in particular writes docs\n"
        "14:00:04 <bob> ok\n"
        "14:00:05 <carol> ok\n"
        "14:00:06 <alice> #startvote Friday? yes, no\n"
        "14:00:07 <bob> #vote yes\n"
        "14:00:08 <alice> #endvote\n"
        "14:00:09 <alice> #endmeeting\n",
        encoding="utf-8",
    )
    [parsed] = parse_log(path).meetings
    parsed.spool.discard()
    view = parsed.view
    record = archive_record(view, network="oftc")
    assert (record.series, record.channel, record.network, record.title, record.owner, record.chairs) == (
        "infra",
        view.channel,
        "oftc",
        view.title,
        "alice",
        view.chairs,
    )
    assert (record.started_at, record.ended_at, record.restricted, record.log_basename) == (
        view.started_at,
        view.ended_at,
        view.restricted,
        view.log_basename,
    )
    assert [(i.kind, i.text, i.nick, i.time, i.line, i.topic) for i in record.items] == [
        (i.kind, i.text, i.nick, i.time, i.line, i.topic) for i in view.items
    ]
    assert [(item.text, item.owners) for item in record.items if item.owners or item.kind == "action"] == [
        ("bob and carol to fix the backups", ("bob", "carol")),
        ("nobody in particular writes docs", ()),
    ]
    assert record.people == tuple(PersonRow(p.nick, p.lines) for p in view.people)
    [vote] = record.votes
    assert (vote.question, vote.options, vote.results, vote.nick, vote.line) == (
        "Friday?",
        ("yes", "no"),
        (("yes", ("bob",)), ("no", ())),
        "alice",
        7,
    )
    assert (vote.time, vote.ended_at) == (view.votes[0].time, view.votes[0].ended_at)
    assert archive_record(view).network is None
    assert view.meeting_id is not None and record.meeting_id == view.meeting_id


_MAYBE_TEXT = st.none() | st.text(max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    st.builds(
        ItemRecord,
        kind=st.sampled_from(["topic", "info", "action", "agreed", "agendum"]),
        text=st.text(max_size=20),
        nick=st.text(max_size=10),
        time=st.datetimes(timezones=st.just(UTC)),
        line=st.integers(0, 10**6),
        topic=_MAYBE_TEXT,
        owners=st.lists(st.text(max_size=5), max_size=3).map(tuple),
        corrected_from=_MAYBE_TEXT,
        timebox_minutes=st.none() | st.integers(0, 600),
        minutes_spent=st.none() | st.floats(0, 600),
    )
)
def test_an_item_record_pickles_whole(item: ItemRecord) -> None:
    """ItemRecord's own ``__reduce__`` (the fast way across from a parsing process) gives back every field, in its
    place: the same record as the dataclass's own pickling (the reference)."""
    state = pickle.loads(pickle.dumps(item))
    assert state == item and [getattr(state, f.name) for f in fields(ItemRecord)] == [
        getattr(item, f.name) for f in fields(ItemRecord)
    ]
    assert item.__reduce__()[1] == tuple(getattr(item, f.name) for f in fields(ItemRecord))


def test_parse_for_archive_gives_the_records_of_the_views() -> None:
    """What an import worker sends the writer: the records ``archive_record`` makes of the parsed views (no view),
    with the same spooled lines."""
    parsed, archived = parse_log(FIXTURE), parse_for_archive(FIXTURE)
    assert archived.meetings == [] and parsed.error is archived.error is None and archived.lines == parsed.lines
    assert [meeting.record for meeting in archived.archived] == [archive_record(m.view) for m in parsed.meetings]
    assert [list(m.spool.batches()) for m in archived.archived] == [list(m.spool.batches()) for m in parsed.meetings]
    crossed = pickle.loads(pickle.dumps(archived))
    assert [meeting.record for meeting in crossed.archived] == [meeting.record for meeting in archived.archived]
    parsed.discard()
    archived.discard()
    crossed.discard()
