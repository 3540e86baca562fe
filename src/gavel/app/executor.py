"""One path for every meeting: events through the core, effects through one executor.

Replay, ``gavel import``, the live bot and crash recovery all run a channel's meetings through a
``MeetingExecutor``. It feeds events (or, on the replay hot path, rows) to ``Meeting`` and carries
out every effect in one ``match`` (``assert_never`` makes a new effect type a type error until it is
handled). What differs between the four is only which sinks are plugged in:

- the output tree (``MeetingFiles``): the MeetBot files, named by the runtime (``output_tree``);
- the archive: each ended meeting's minutes and spooled lines go to ``Outputs.archive``;
- the chat: what the bot says and the channel topic (live only; replay's log already holds the
  bot's original replies, so replay plugs in no chat);
- the journal (live only): every event the core consumes is appended *before* the core sees it, so a
  meeting rebuilt from the journal is the meeting the live bot had (``resume``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gavel.app.output_tree import ALL_FORMATS, MeetingFiles, WrittenMeeting
from gavel.core.effects import (
    AnnounceMinutes,
    Effect,
    LogLine,
    LogLines,
    MeetingEnded,
    MeetingStarted,
    ReplaceLine,
    SaveMinutes,
    Say,
    SetTopic,
)
from gavel.core.errors import GavelError
from gavel.core.events import AccountChange, Event, RoleChairs, Row, row_event
from gavel.core.meeting import Meeting, MeetingSettings, MeetingState
from gavel.core.naming import basename
from gavel.render.view import MinutesView, build_view

if TYPE_CHECKING:  # imported where used: replay without --archive loads neither the archive nor the journal
    from gavel.app.archiving import ParsedMeeting
    from gavel.storage.archive.spool import LineSpool
    from gavel.storage.journal import Journal


class Chat(Protocol):
    """Where the bot speaks: one channel or room of a live transport."""

    def say(self, text: str) -> None: ...

    def set_topic(self, text: str) -> None: ...


SettingsRecord = dict[str, str | int | bool | None]


class JournalOpener(Protocol):
    """Creates the journal of a meeting that starts now (its header keeps the id and the settings)."""

    def __call__(self, started: datetime, meeting_id: str, settings: SettingsRecord) -> Journal: ...


def settings_record(settings: MeetingSettings) -> SettingsRecord:
    """The settings a meeting runs with, as plain values for its journal's header (the channel is there already)."""
    record: SettingsRecord = {}
    for field in fields(settings):
        value = getattr(settings, field.name)
        if field.name == "timezone":
            value = getattr(value, "key", None) or str(value)  # a ZoneInfo's key, or "UTC"
        if field.name != "channel":
            record[field.name] = value
    return record


def settings_from_record(record: SettingsRecord | None, current: MeetingSettings) -> MeetingSettings:
    """The settings a journaled meeting ran with: the header's values over ``current`` (for keys it lacks: a
    version 1 journal, or a setting added since). Recovery must replay under the meeting's own rules: a shorter
    ``idle_end_minutes`` in today's configuration would otherwise end it at an old tick and drop later lines."""
    if not record:
        return current
    changes: dict[str, Any] = {}
    for field in fields(current):
        if field.name not in record or field.name == "channel":
            continue
        value = record[field.name]
        if field.name == "timezone":
            zone = _zone(value)
            if zone is not None:
                changes["timezone"] = zone
        elif _fits(str(field.type), value):
            changes[field.name] = value
    return replace(current, **changes)


_PLAIN_TYPES = {"str": str, "int": int, "bool": bool, "None": type(None)}


def _fits(annotation: str, value: object) -> bool:
    """Whether ``value`` is of the field's declared type (``"str | None"`` ...): a header value of another type (a
    damaged or foreign journal) leaves today's setting in place."""
    return any(type(value) is _PLAIN_TYPES.get(part.strip()) for part in annotation.split("|"))


def _zone(name: object) -> tzinfo | None:
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(str(name))
    except (ValueError, ZoneInfoNotFoundError):
        return None  # unknown here: keep today's zone (only the replies' clock times depend on it)


class RecoveryError(GavelError):
    """A journal does not replay as it was recorded (its meeting is set aside, never silently cut short)."""


ArchiveTarget: TypeAlias = "Callable[[Meeting, ParsedMeeting], None]"
"""Receives each ended meeting with its minutes and spooled lines (it owns the spool from then on)."""

DeliverTarget: TypeAlias = Callable[[WrittenMeeting], None]
"""Receives each ended meeting's written files and minutes, before its journal is finished (so what it persists
survives a crash: recovery would end the meeting again)."""


@dataclass(frozen=True)
class Outputs:
    """Where a channel's meetings go."""

    output_dir: Path | None = None  # the MeetBot tree; None: no files (``gavel import``)
    formats: tuple[str, ...] = ALL_FORMATS
    url_base: str = ""
    durable: bool = False  # fsync every file (the live bot removes a journal once its files are written)
    archive: ArchiveTarget | None = None
    spool_dir: str | None = None
    deliver: DeliverTarget | None = None  # mail, webhooks (live: the outbox)
    snapshots: bool = False  # carry out #save (live: minutes published while the meeting goes on; replay: no use)


def announce_lines(url: str) -> list[str]:
    """What the bot says of the files when a meeting ends (``url`` without extension), MeetBot's wording."""
    return [f"Minutes:        {url}.html", f"Minutes (text): {url}.txt", f"Log:            {url}.log.html"]


def replay_ids(source: Path) -> Callable[[], str]:
    """Meeting ids for the meetings of one log file: the same file gives the same ids, so replaying it again
    rewrites its own files, while another log (even with identical lines) never takes them over."""
    origin = str(source.resolve())
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return hashlib.sha256(f"replay\0{origin}\0{count}".encode("utf-8", "surrogatepass")).hexdigest()[:16]

    return next_id


class MeetingExecutor:
    """Runs the meetings of one channel: events (or rows) through the core, effects to the sinks."""

    def __init__(
        self,
        settings: Callable[[], MeetingSettings],
        outputs: Outputs,
        *,
        new_id: Callable[[], str],
        chat: Chat | None = None,
        journals: JournalOpener | None = None,
        amended_lines: frozenset[int] = frozenset(),
    ) -> None:
        """``amended_lines``: for a replayed log, the line numbers its edit and redaction lines name
        (``transports.replay.amended_lines``): its meetings remember those lines, and its rows go one by one."""
        self._settings = settings
        self.outputs = outputs
        self._new_id = new_id
        self.chat = chat
        self._journals = journals
        self._amended_lines = amended_lines
        self.meeting = self._new_meeting(settings())
        self.meeting_id: str | None = None
        self.journal: Journal | None = None
        self._work_name: str | None = None  # the journal's file name, which names the live log's work directory
        self.files: MeetingFiles | None = None
        self.spool: LineSpool | None = None
        self.written: list[WrittenMeeting] = []  # the files of each ended meeting (the runtime may clear it)
        self.last_ended: WrittenMeeting | None = None  # the files of the meeting that ended last
        self.closed = False  # after shutdown(): process() refuses events
        self._seen: set[str] = set()  # message ids of the journaled meeting's lines (a repeat is dropped)
        self.lines_outside = 0

    # ------------------------------------------------------------------ the per-event path (live, recovery)

    def process(self, event: Event) -> None:
        """One event: journaled first (when a journal is plugged in), then through the core, then its effects."""
        if self.closed:
            raise RuntimeError("the executor was shut down: no event may reach its meeting unjournaled")
        meeting = self.meeting
        if self.journal is None and self._journals is not None and meeting.would_start(event):
            self._open_journal(event.time)
        if self.journal is not None:
            msgid = getattr(event, "msgid", None)
            if msgid is not None:
                if msgid in self._seen:
                    return  # delivered again (a Matrix sync repeated after a crash): the meeting has it already
                self._seen.add(msgid)
            self.journal.append(event)
        self.execute(meeting.handle(event))
        if self.files is not None:
            self.files.flush()  # a live meeting's log is readable as it grows

    def _open_journal(self, time: datetime) -> None:
        assert self._journals is not None
        meeting_id = self._new_id()
        journal = self._journals(time, meeting_id, settings_record(self.meeting.settings))
        for nick, account in self.meeting.known_accounts():  # what the core knew before the meeting
            journal.append(AccountChange(time, nick, account))
        if self.meeting.role_chairs():
            journal.append(RoleChairs(time, self.meeting.role_chairs(), self.meeting.role_chair_nicks()))
        self.meeting_id, self.journal, self._work_name = meeting_id, journal, journal.path.name

    def sync(self) -> None:
        """Make every journaled event durable (before anything the bot says acknowledges it)."""
        if self.journal is not None and self.journal.dirty:
            self.journal.sync()

    def resume(self, path: Path) -> int:
        """Rebuild the unfinished meeting of the journal at ``path`` and go on appending to it.

        The journal's events go through a fresh core exactly as they did live, with the chat muted
        (those replies were sent before the crash). Returns the lines recovered; 0 when the journal
        held an ended meeting (its files are then written and the journal removed).
        """
        from gavel.storage.journal import Journal

        header = Journal.read_header(path)
        self.meeting = Meeting(settings_from_record(header.settings, self._settings()))
        self.meeting_id = header.meeting_id or path.name.removesuffix(".journal")
        self._work_name = path.name
        chat, self.chat = self.chat, None
        ended = False
        beyond = 0  # events after the meeting's end: none, unless the journal disagrees with this gavel

        def feed(event: Event) -> None:
            nonlocal ended, beyond
            if ended:
                beyond += 1
                return
            msgid = getattr(event, "msgid", None)
            if msgid is not None:
                self._seen.add(msgid)
            self.execute(self.meeting.handle(event))
            ended = self.meeting_id is None  # _finish ran: the meeting ended before the crash

        try:
            journal = Journal.resume(path, feed)  # closes the journal again if feeding fails
        except BaseException:
            self.abandon()
            self._reset()
            raise
        finally:
            self.chat = chat
        try:
            if ended or self.meeting.state is not MeetingState.RUNNING:
                if beyond:
                    journal.close()  # never delete what was not replayed: keep it for a person to look at
                    raise RecoveryError(f"{path}: {beyond} events follow the meeting's end; not replayed")
                journal.finish()  # nothing left to resume
                self.abandon()
                self._reset()
                return 0
            if self.files is not None:
                self.files.flush()
        except BaseException:
            journal.close()  # left for the next start (or set aside by the caller); nothing is lost
            self.abandon()
            self._reset()
            raise
        self.journal = journal
        return self.meeting.lines

    # ------------------------------------------------------------------ the row path (replay, import)

    def process_rows(self, batches: Iterable[list[Row]]) -> None:
        """Rows of a log, in batches: the replay hot path (``Meeting.handle_rows``), no journal. A log with edits
        and redactions goes row by row (``Meeting.handle``): its meetings remember the lines those name."""
        if self._amended_lines:
            self._process_rows_one_by_one(batches)
            return
        for rows in batches:
            start, stop = 0, len(rows)
            while start < stop:
                idle = self.meeting.state is MeetingState.IDLE
                effects, end = self.meeting.handle_rows(rows, start)
                if idle:  # the lines before a meeting (not the one that starts it)
                    self.lines_outside += end - start - (1 if effects else 0)
                start = end
                self.execute(effects)

    def _process_rows_one_by_one(self, batches: Iterable[list[Row]]) -> None:
        for rows in batches:
            for row in rows:
                idle = self.meeting.state is MeetingState.IDLE
                effects = self.meeting.handle(row_event(row))
                if idle and not effects:  # a line before a meeting (not the one that starts it)
                    self.lines_outside += 1
                self.execute(effects)

    # ------------------------------------------------------------------ effects

    def execute(self, effects: list[Effect]) -> None:
        for effect in effects:
            match effect:
                case LogLines(first=first, rows=rows):
                    if self.files is not None:
                        self.files.write_rows(first, rows)
                    if self.spool is not None:
                        self.spool.add_rows(first, rows)
                case LogLine():
                    if self.files is not None:
                        self.files.write(effect)
                    if self.spool is not None:
                        self.spool.add(effect)
                case ReplaceLine(line=line):
                    if self.files is not None:
                        self.files.replace(line)
                    if self.spool is not None:
                        self.spool.replace(line)
                case MeetingStarted():
                    self._started()
                case Say(text=text):
                    if self.chat is not None:
                        self.sync()
                        self.chat.say(text)
                case SetTopic(text=text):
                    if self.chat is not None:
                        self.sync()
                        self.chat.set_topic(text)
                case SaveMinutes(time=time):
                    if self.files is not None and self.outputs.snapshots:
                        self.files.snapshot(self.meeting, time)
                case MeetingEnded():
                    self._finish(None)
                case AnnounceMinutes():
                    self._announce()
                case _:
                    assert_never(effect)

    def _started(self) -> None:
        if self.meeting_id is None:
            self.meeting_id = self._new_id()
        outputs = self.outputs
        if outputs.output_dir is not None:
            self.files = MeetingFiles(
                outputs.output_dir,
                formats=outputs.formats,
                title=f"{self.meeting.settings.channel} log",
                work_name=self._work_name,
                durable=outputs.durable,
                meeting_id=self.meeting_id,
                url_base=outputs.url_base,
            )
        if outputs.archive is not None:
            from gavel.storage.archive.spool import LineSpool

            self.spool = LineSpool(directory=outputs.spool_dir)

    def _finish(self, unfinished_at: datetime | None) -> None:
        """Write the ended (or, at the end of input, unfinished) meeting's files, archive it, close its journal."""
        meeting = self.meeting
        if self.files is not None:
            written = self.files.finish(meeting, unfinished_at=unfinished_at)
            self.files = None
            self.written.append(written)
            self.last_ended = written
            view = written.view
        else:
            view = self._unplaced_view(meeting, unfinished_at)
        if self.spool is not None:
            self.spool.close()
            from gavel.app.archiving import ParsedMeeting

            parsed = ParsedMeeting(view, self.spool)
            self.spool = None
            assert self.outputs.archive is not None
            self.outputs.archive(meeting, parsed)
        if self.outputs.deliver is not None and self.last_ended is not None and self.last_ended.view is view:
            self.outputs.deliver(self.last_ended)
        if self.journal is not None:
            self.journal.finish()  # only once the minutes are on disk
        self._reset()

    def _reset(self) -> None:
        """A fresh meeting for what comes next. It knows the accounts the last one knew: the transport reports only
        changes, so without them a chair logged in all along would be a chair by nick alone in the next meeting."""
        self.journal = None
        self._work_name = None
        self.meeting_id = None
        self._seen = set()
        ended = self.meeting
        self.meeting = self._new_meeting(self._settings())
        time = ended.ended_at or ended.last_activity or ended.started_at
        if time is not None:
            self._carry_accounts(ended, time)

    def _carry_accounts(self, previous: Meeting, time: datetime) -> None:
        for nick, account in previous.known_accounts():
            self.meeting.handle(AccountChange(time, nick, account))
        if previous.role_chairs() or previous.role_chair_nicks():
            self.meeting.handle(RoleChairs(time, previous.role_chairs(), previous.role_chair_nicks()))

    def renew(self, settings: MeetingSettings, time: datetime) -> None:
        """Between meetings: the next one runs with ``settings`` (e.g. the name of a meeting scheduled now), and
        knows the accounts the current idle one knows."""
        if self.meeting.state is not MeetingState.IDLE:
            raise RuntimeError("a meeting's settings change only between meetings")
        previous = self.meeting
        self.meeting = self._new_meeting(settings)
        self._carry_accounts(previous, time)

    def _new_meeting(self, settings: MeetingSettings) -> Meeting:
        meeting = Meeting(settings)
        meeting.amended_lines = self._amended_lines
        return meeting

    def _unplaced_view(self, meeting: Meeting, unfinished_at: datetime | None) -> MinutesView:
        assert meeting.started_at is not None
        log_basename = basename(meeting.name, meeting.started_at).rsplit("/", 1)[-1]
        return build_view(meeting, log_basename=log_basename, meeting_id=self.meeting_id, unfinished_at=unfinished_at)

    def _announce(self) -> None:
        written = self.last_ended
        if self.chat is None or written is None:
            return
        for line in announce_lines(written.url or written.basename):
            self.chat.say(line)

    # ------------------------------------------------------------------ end of input

    def close(self) -> None:
        """End of input: a meeting still running gets minutes too, marked unfinished."""
        if self.meeting.state is MeetingState.RUNNING:
            self._finish(self.meeting.last_activity or self.meeting.started_at)

    def abandon(self) -> None:
        """Drop the meeting in progress, if any (after an error, or after ``close``: nothing to drop)."""
        if self.files is not None:
            self.files.discard()
            self.files = None
        if self.spool is not None:
            self.spool.discard()
            self.spool = None

    def shutdown(self) -> None:
        """The bot stops: make the journal durable and close it (the meeting resumes at the next start)."""
        self.closed = True
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self.files is not None:
            self.files.flush()
