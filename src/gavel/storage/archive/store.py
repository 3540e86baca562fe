"""Storing a meeting: its minutes (a :class:`MeetingRecord`) and every log line, in one transaction."""

from __future__ import annotations

import hashlib
import json
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence, Set
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from gavel.core.effects import LogLine
from gavel.core.records import ItemKind
from gavel.storage.archive.database import Database, Row
from gavel.storage.archive.model import AGENDUM_KIND
from gavel.storage.archive.record import ItemRecord, MeetingRecord
from gavel.storage.archive.spool import LineRow, LineSpool, clean, from_micros

_ACTION = ItemKind.ACTION.value

ItemRow = tuple[int, str, str, str, Any, int, str | None, str | None, int | None, float | None]
"""A minutes item as stored, but for its meeting and index: ``(position, kind, text, nick, time (the backend's),
line, topic, corrected_from, timebox_minutes, minutes_spent)``."""

KeptActions = dict[tuple[int, str], Row]
"""A meeting's stored actions before it is stored again: ``(line, text) -> (id, status, done_at, done_in)``."""


class Storing(Database):
    """:meth:`store`: a meeting in, replacing the one stored before (keeping its id and its actions' status)."""

    #: The fewest log lines :meth:`_insert_lines` is given at a time (but the last batch): smaller batches are joined.
    line_batch: int = 0

    @abstractmethod
    def _lock_meeting(self, key: int) -> None:
        """Inside the storing transaction, before the meeting is looked up: wait until no other transaction is
        storing the meeting known by ``key`` (see :func:`meeting_key`), and keep others waiting until this one ends."""

    @abstractmethod
    def _insert_lines(self, meeting_id: int, rows: Sequence[LineRow]) -> None:
        """Write a batch of log lines of one meeting (and index them)."""

    @abstractmethod
    def _finish_lines(self, meeting_id: int) -> None:
        """All of a meeting's lines are in: index them (if the backend does not as they come)."""

    @abstractmethod
    def _delete_lines(self, meeting_id: int) -> None:
        """Remove a meeting's log lines (and their index entries)."""

    def _index_words(self, words: Set[str]) -> None:
        """The tokens of a meeting's lines, all stored now (for a backend that lists the indexed words)."""

    @abstractmethod
    def _index_items(self, meeting_id: int) -> None:
        """Index the meeting's freshly inserted minutes items for search (if the backend needs it)."""

    @abstractmethod
    def _insert_items(self, meeting_id: int, rows: Sequence[ItemRow]) -> list[int]:
        """Insert the meeting's minutes items (``rows``, in position order) with their search index (tokenized
        before the insert: no reading back, no update); their ids, in the same order."""

    @abstractmethod
    def _unindex_items(self, meeting_id: int) -> None:
        """Drop the meeting's minutes items from the index (before they are deleted)."""

    @contextmanager
    def bulk_load(self, expected_lines: int) -> Iterator[None]:
        """Around storing many meetings in a row (``gavel import``, about ``expected_lines`` log lines): a backend
        may index them more cheaply once they are all in (PostgreSQL, into a small archive). Here: nothing."""
        yield

    def store(self, record: MeetingRecord, lines: Iterable[LogLine]) -> int:
        """Store a meeting: its minutes (``record``) and every log line, in one transaction; its id.

        Writers of the same meeting (other threads or processes) take turns: each transaction locks the
        meeting's identity first, so a second one finds the meeting the first stored and replaces it, just as
        when they run one after the other; the last to commit wins, whole.

        ``lines`` goes through a ``LineSpool`` (bounded memory, as in ``gavel import``). Storing a meeting again
        (same series, ``started_at`` and channel) replaces its rows in one transaction and keeps the meeting's id;
        an action still in its minutes (same line and text) keeps its id and its done/open status.
        Other rows (items, votes, people) get new ids.
        """
        spool = LineSpool()  # the one conversion of log lines into stored rows
        try:
            for line in lines:
                spool.add(line)
            spool.close()
            return self.store_spooled(record, spool)
        finally:
            spool.discard()

    def store_spooled(self, record: MeetingRecord, spool: LineSpool) -> int:
        """:meth:`store_rows` of a closed ``spool``'s lines, with the words and the relations it gathered."""
        if spool.relations():  # a Matrix meeting's replies, threads, edits, redactions
            record = replace(record, relations=spool.relations())
        return self.store_rows(record, spool.batches(), spool.words)

    def store_rows(
        self, record: MeetingRecord, batches: Iterable[Sequence[LineRow]], words: Set[str] | None = None
    ) -> int:
        """:meth:`store` for lines already turned into rows (see ``spool.LineRow``), one batch at a time;
        ``words``: every token of the lines, if known (``LineSpool.words``: the parsing processes collect them)."""
        with self._transaction():
            meeting_id = self._store_minutes(record)
            count = 0
            first = last = None  # the lines' earliest and latest times (microseconds), for search's date filters
            seen: set[str] = set()  # the words, when not given
            for batch in joined(batches, self.line_batch):
                if batch:
                    self._insert_lines(meeting_id, batch)
                    if words is None:
                        seen.update(" ".join([row[5] for row in batch]).split())
                    count += len(batch)
                    times = [row[1] for row in batch]
                    low, high = min(times), max(times)
                    first = low if first is None else min(first, low)
                    last = high if last is None else max(last, high)
            self._finish_lines(meeting_id)
            self._index_words(seen if words is None else words)
            t = self._to_db_time
            self._run(
                "UPDATE meetings SET line_count = ?, first_line_at = ?, last_line_at = ? WHERE id = ?",
                (
                    count,
                    None if first is None else t(from_micros(first)),
                    None if last is None else t(from_micros(last)),
                    meeting_id,
                ),
            )
        return meeting_id

    def _store_minutes(self, record: MeetingRecord) -> int:
        t = self._to_db_time
        series = clean(record.series)
        self._lock_meeting(meeting_key(series, record.started_at, clean(record.channel)))
        self._run("INSERT INTO series (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (series,))
        series_id = self._query("SELECT id FROM series WHERE name = ?", (series,))[0][0]
        started = t(record.started_at)
        found = self._query(
            "SELECT id FROM meetings WHERE series_id = ? AND started_at = ? AND channel = ?",
            (series_id, started, clean(record.channel)),
        )
        values = (
            clean(record.channel),
            None if record.network is None else clean(record.network),
            None if record.title is None else clean(record.title),
            clean(record.owner),
            json.dumps([clean(chair) for chair in record.chairs], ensure_ascii=False),
            started,
            None if record.ended_at is None else t(record.ended_at),
            record.unfinished,
            record.restricted,
            clean(record.log_basename),
            None if record.meeting_id is None else clean(record.meeting_id),
            None if record.started_by is None else clean(record.started_by),
            record.attendance_taken,
            t(datetime.now(UTC)),
        )
        kept: KeptActions = {}
        if found:
            meeting_id: int = found[0][0]
            kept = self._action_states(meeting_id)
            self._delete_minutes(meeting_id)
            self._delete_lines(meeting_id)
            self._run(
                "UPDATE meetings SET channel = ?, network = ?, title = ?, owner = ?, chairs = ?, started_at = ?, "
                "ended_at = ?, unfinished = ?, restricted = ?, log_basename = ?, runtime_id = ?, started_by = ?, "
                "attendance_taken = ?, stored_at = ?, line_count = 0 WHERE id = ?",
                (*values, meeting_id),
            )
        else:
            meeting_id = self._query(
                "INSERT INTO meetings (channel, network, title, owner, chairs, started_at, ended_at, unfinished, "
                "restricted, log_basename, runtime_id, started_by, attendance_taken, stored_at, series_id, line_count) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) RETURNING id",
                (*values, series_id),
            )[0][0]
        self._insert_minutes(meeting_id, record, kept)
        return meeting_id

    def _action_states(self, meeting_id: int) -> KeptActions:
        rows = self._query(
            "SELECT i.line, i.text, a.id, a.status, a.done_at, a.done_in "
            "FROM actions a JOIN items i ON i.id = a.item_id WHERE a.meeting_id = ?",
            (meeting_id,),
        )
        return {(row[0], row[1]): row[2:] for row in rows}

    def _delete_minutes(self, meeting_id: int) -> None:
        self._run(
            "DELETE FROM action_owners WHERE action_id IN (SELECT id FROM actions WHERE meeting_id = ?)", (meeting_id,)
        )
        self._run("DELETE FROM actions WHERE meeting_id = ?", (meeting_id,))
        self._unindex_items(meeting_id)
        for table in ("items", "votes", "people", "agenda", "attendance", "line_relations"):
            self._run(f"DELETE FROM {table} WHERE meeting_id = ?", (meeting_id,))  # noqa: S608 -- fixed names

    def _insert_minutes(self, meeting_id: int, record: MeetingRecord, kept: KeptActions) -> None:
        t = self._to_db_time
        # Each agendum is an item of its own kind too, after the minutes' items: search finds agenda titles.
        titles = [
            ItemRecord(AGENDUM_KIND, a.title, a.proposer, a.added_at or record.started_at, a.line, None, ())
            for a in record.agenda
        ]
        item_ids = self._insert_items(
            meeting_id,
            [
                (
                    position,
                    item.kind,
                    clean(item.text),
                    clean(item.nick),
                    t(item.time),
                    item.line,
                    None if item.topic is None else clean(item.topic),
                    None if item.corrected_from is None else clean(item.corrected_from),
                    item.timebox_minutes,
                    item.minutes_spent,
                )
                for position, item in enumerate((*record.items, *titles))
            ],
        )
        self._run_many(
            "INSERT INTO people (meeting_id, position, nick, lines, also_known_as) VALUES (?, ?, ?, ?, ?)",
            [
                (meeting_id, position, clean(p.nick), p.lines, _json_list(p.also_known_as))
                for position, p in enumerate(record.people)
            ],
        )
        self._insert_agenda(meeting_id, record)
        self._run_many(
            "INSERT INTO votes (meeting_id, position, question, options, results, nick, time, ended_at, line) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    meeting_id,
                    position,
                    clean(vote.question),
                    json.dumps([clean(o) for o in vote.options], ensure_ascii=False),
                    json.dumps(
                        [[clean(o), [clean(n) for n in voters]] for o, voters in vote.results], ensure_ascii=False
                    ),
                    clean(vote.nick),
                    t(vote.time),
                    None if vote.ended_at is None else t(vote.ended_at),
                    vote.line,
                )
                for position, vote in enumerate(record.votes)
            ],
        )
        actions = [(position, item) for position, item in enumerate(record.items) if item.kind == _ACTION]
        if actions:
            self._insert_actions(meeting_id, actions, kept, item_ids)
        if record.relations:
            self._run_many(
                "INSERT INTO line_relations (meeting_id, number, relation, refers_to) VALUES (?, ?, ?, ?)",
                [(meeting_id, number, relation, refers_to) for number, relation, refers_to in record.relations],
            )

    def _insert_agenda(self, meeting_id: int, record: MeetingRecord) -> None:
        """The agenda and the attendance (present, then regrets, each in the minutes' order)."""
        t = self._to_db_time
        self._run_many(
            "INSERT INTO agenda (meeting_id, number, title, proposer, status, taken_at, closed_at, minutes_spent, "
            "timebox_minutes, line, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    meeting_id,
                    a.number,
                    clean(a.title),
                    clean(a.proposer),
                    a.status,
                    None if a.taken_at is None else t(a.taken_at),
                    None if a.closed_at is None else t(a.closed_at),
                    a.minutes_spent,
                    a.timebox_minutes,
                    a.line,
                    None if a.added_at is None else t(a.added_at),
                )
                for a in record.agenda
            ],
        )
        self._run_many(
            "INSERT INTO attendance (meeting_id, status, position, nick) VALUES (?, ?, ?, ?)",
            [
                (meeting_id, status, position, clean(nick))
                for status, nicks in (("present", record.present), ("regrets", record.regrets))
                for position, nick in enumerate(nicks)
            ],
        )

    def _insert_actions(
        self, meeting_id: int, actions: list[tuple[int, ItemRecord]], kept: KeptActions, item_ids: Sequence[int]
    ) -> None:
        """The rows of the action items (by their position in the minutes; ``item_ids``: the items' ids by position)
        and their owners; an action stored before (same line and text) keeps its id and status."""
        again, new = [], []
        for position, action in actions:
            old = kept.get((action.line, clean(action.text)))
            if old is None:
                new.append((item_ids[position], meeting_id))
            else:
                again.append((old[0], item_ids[position], meeting_id, *old[1:]))
        self._run_many(
            "INSERT INTO actions (id, item_id, meeting_id, status, done_at, done_in) VALUES (?, ?, ?, ?, ?, ?)", again
        )
        self._run_many("INSERT INTO actions (item_id, meeting_id, status) VALUES (?, ?, 'open')", new)
        action_ids: dict[int, int] = dict(
            self._query("SELECT item_id, id FROM actions WHERE meeting_id = ?", (meeting_id,))
        )
        self._run_many(
            "INSERT INTO action_owners (action_id, position, nick) VALUES (?, ?, ?)",
            [
                (action_ids[item_ids[position]], place, clean(nick))
                for position, action in actions
                for place, nick in enumerate(action.owners)
            ],
        )


def meeting_key(series: str, started_at: datetime, channel: str) -> int:
    """A signed 64-bit number for a meeting's identity (series, start, channel), the same in every process;
    two meetings may share one (they then only take turns needlessly)."""
    moment = started_at.replace(tzinfo=UTC) if started_at.tzinfo is None else started_at.astimezone(UTC)
    identity = "\0".join((series, moment.isoformat(), channel)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(identity, digest_size=8).digest(), "big", signed=True)


def _json_list(texts: Iterable[str]) -> str:
    return json.dumps([clean(text) for text in texts], ensure_ascii=False)


def joined(batches: Iterable[Sequence[LineRow]], least: int) -> Iterator[Sequence[LineRow]]:
    """``batches`` joined, in order, into batches of at least ``least`` rows (but the last); as they come when
    ``least`` is at most 1."""
    if least <= 1:
        yield from batches
        return
    pending: list[LineRow] = []
    for batch in batches:
        if not pending and len(batch) >= least:
            yield batch
            continue
        pending.extend(batch)
        if len(pending) >= least:
            yield pending
            pending = []
    if pending:
        yield pending
