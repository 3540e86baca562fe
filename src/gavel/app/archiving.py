"""Meetings on their way into the archive: the minutes as the archive's record, and the spooled lines."""

from __future__ import annotations

from dataclasses import dataclass, replace

from gavel.render.view import UNASSIGNED, MinutesView
from gavel.storage.archive import AgendumRow, Archive, ItemRecord, MeetingRecord, PersonRow, VoteRow
from gavel.storage.archive.spool import LineSpool


def archive_record(view: MinutesView, *, network: str | None = None) -> MeetingRecord:
    """What the archive stores of the minutes ``view`` (held on ``network``, if known).

    An action's owners are the people it is listed under in "Action items, by person", in that order.
    """
    owners: dict[int, list[str]] = {}  # id() of an action's ItemView -> its owners
    for owner in view.actions_by_person:
        if owner.nick != UNASSIGNED:
            for action in owner.actions:
                owners.setdefault(id(action), []).append(owner.nick)
    return MeetingRecord(
        series=view.name,
        meeting_id=view.meeting_id,
        channel=view.channel,
        network=network,
        title=view.title,
        owner=view.owner,
        chairs=view.chairs,
        started_at=view.started_at,
        ended_at=view.ended_at,
        restricted=view.restricted,
        log_basename=view.log_basename,
        items=tuple(
            ItemRecord(
                item.kind,
                item.text,
                item.nick,
                item.time,
                item.line,
                item.topic,
                tuple(owners.get(id(item), ())),
                item.corrected_from,
                item.timebox_minutes,
                item.minutes_spent,
            )
            for item in view.items
        ),
        people=tuple(PersonRow(person.nick, person.lines, person.also_known_as) for person in view.people),
        votes=tuple(
            VoteRow(vote.question, vote.options, vote.results, vote.nick, vote.time, vote.ended_at, vote.line)
            for vote in view.votes
        ),
        agenda=tuple(
            AgendumRow(
                a.number,
                a.title,
                a.proposer,
                a.status,
                a.taken_at,
                a.closed_at,
                a.minutes_spent,
                a.timebox_minutes,
                a.line,
                a.added_at,
            )
            for a in view.agenda
        ),
        present=view.present,
        regrets=view.regrets,
        attendance_taken=view.attendance_taken,
        started_by=view.started_by,
    )


@dataclass
class ArchivedMeeting:
    """A meeting as the archive takes it: the record of its minutes and its spooled lines. What ``gavel import``'s
    parsing processes send the writer: the record is made where the CPU is free, and loads in the writer in ~60% of
    the instructions of the view it is made from plus making it (measured on the busy benchmark)."""

    record: MeetingRecord
    spool: LineSpool

    @property
    def log_basename(self) -> str:
        return self.record.log_basename

    def store(self, archive: Archive, *, network: str | None = None) -> int:
        """Store it in ``archive`` (held on ``network``, if known; returns its id) and free the spool, stored or
        not."""
        try:
            record = self.record if network is None else replace(self.record, network=network)
            return archive.store_spooled(record, self.spool)
        finally:
            self.spool.discard()


@dataclass
class ParsedMeeting:
    """A meeting on its way to the archive: its minutes and its spooled lines."""

    view: MinutesView
    spool: LineSpool

    def archived(self) -> ArchivedMeeting:
        """The meeting as the archive takes it (the spool is the same: it goes with the result)."""
        try:
            return ArchivedMeeting(archive_record(self.view), self.spool)
        except BaseException:
            self.spool.discard()
            raise

    def store(self, archive: Archive, *, network: str | None = None) -> int:
        """Store it in ``archive`` (returns its id) and free the spool, stored or not."""
        return self.archived().store(archive, network=network)
