"""The live bot: IRC connections -> core events -> effects (journal, logs, minutes, replies).

The same path as replay: every channel event goes through ``Meeting.handle``; this module executes
the effects for real. Crash safety: every event of an open meeting is appended to its journal
before its effects run; the journal is fsync'd before any reply is sent and at most every
``SYNC_INTERVAL`` seconds, so a line the bot has acknowledged is never lost. At start, unfinished
meetings are rebuilt by feeding their journals through a fresh ``Meeting``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from gavel.app.archiving import archive_record
from gavel.app.config import Config, NetworkConfig
from gavel.app.output_tree import MeetingFiles, WrittenMeeting
from gavel.core.effects import Effect, LogLine, MeetingEnded, MeetingStarted, SaveMinutes, Say, SetTopic
from gavel.core.events import Event, OpenAction, OpenActions, Tick
from gavel.core.meeting import Meeting, MeetingSettings, MeetingState
from gavel.core.naming import basename
from gavel.core.records import fold_nick
from gavel.render.view import build_view
from gavel.storage.archive import Archive, open_archive
from gavel.storage.journal import Journal, JournalDir
from gavel.transports.irc.connection import IrcConnection, ServerSettings
from gavel.transports.irc.protocol import (
    ChannelEvent,
    IrcSettings,
    JoinedChannel,
    LeftChannel,
    Notice,
    Output,
    Registered,
)

log = logging.getLogger("gavel.live")

SYNC_INTERVAL = 0.1  # seconds between journal fsyncs while lines arrive
TICK_INTERVAL = 30.0  # seconds between the Tick events that end forgotten meetings
REJOIN_DELAY = 10.0  # seconds before rejoining a channel we were kicked from


def utc_now() -> datetime:
    return datetime.now(UTC)


class ChannelRuntime:
    """One channel on one network: its current meeting, log files and journal."""

    def __init__(self, bot: LiveBot, network: str, channel: str) -> None:
        self.bot = bot
        self.network = network
        self.channel = channel
        self.meeting = self.new_meeting()
        self.files: MeetingFiles | None = None
        self.journal: Journal | None = None
        self.recovered_lines = 0
        self.written: list[WrittenMeeting] = []

    def new_meeting(self) -> Meeting:
        settings = self.bot.config.meeting_settings(self.network, self.channel)
        connection = self.bot.connections.get(self.network)
        if connection is not None and connection.client.registered:
            settings = dataclasses.replace(settings, bot_nick=connection.client.nick)
        return Meeting(settings)

    # ------------------------------------------------------------------ events

    def handle(self, event: Event) -> None:
        """One live event: journal it (if it belongs to a meeting), then execute its effects."""
        was_running = self.meeting.state is MeetingState.RUNNING
        effects = self.meeting.handle(event)
        if not effects:
            if was_running and self.journal is not None and not isinstance(event, Tick):
                self.journal.append(event)  # joins, parts ...: they change who is a chair by account
            return
        if was_running and self.journal is not None:
            self.journal.append(event)
        self._execute(event, effects, live=True)
        if not was_running and self.meeting.state is MeetingState.RUNNING:
            self._announce_open_actions(event.time)

    def _announce_open_actions(self, now: datetime) -> None:
        """Tell the new meeting the series' open action items (an event, journaled, so #done numbers replay)."""
        archive = self.bot.archive
        if archive is None:
            return
        try:
            rows = archive.open_actions(self.meeting.name)
        except Exception:  # the archive is an extra: a broken one must not stop the meeting
            log.exception("%s %s: cannot read open actions from the archive", self.network, self.channel)
            return
        actions = tuple(OpenAction(str(row.id), row.text) for row in rows)
        self.handle(OpenActions(now, self.meeting.name, actions))

    def _execute(self, event: Event, effects: list[Effect], *, live: bool) -> None:
        renamed: tuple[str, str] | None = None  # (the URL path the core announced, where the files really went)
        for effect in effects:
            if type(effect) is LogLine:
                assert self.files is not None
                self.files.write(effect)
            elif isinstance(effect, MeetingStarted):
                self._open(event, effect.time, live=live)
            elif isinstance(effect, Say):
                if live:
                    text = effect.text.replace(*renamed) if renamed else effect.text
                    self.bot.say(self.network, self.channel, text)
            elif isinstance(effect, SetTopic):
                if live and self.bot.config.bot.set_channel_topic:
                    self.bot.set_topic(self.network, self.channel, effect.text)
            elif isinstance(effect, SaveMinutes):
                if self.files is not None:
                    self.written.append(self.files.snapshot(self.meeting, effect.time))
            elif isinstance(effect, MeetingEnded):
                planned = self._planned_basename()
                written = self._close()
                if written.basename != planned:  # the name was taken (see MeetingFiles._stem): fix the URLs
                    renamed = (planned, written.basename)
        if live and self.files is not None:
            self.files.flush()

    def _open(self, event: Event, started: datetime, *, live: bool) -> None:
        bot = self.bot.config.bot
        if live:
            self.journal = self.bot.journals.create(self.network, self.channel, started)
            self.journal.append(event)
        assert self.journal is not None
        work_name = self.journal.path.name
        self.files = MeetingFiles(
            bot.output_dir, formats=bot.formats, title=f"{self.channel} log", work_name=work_name, durable=True
        )

    def _planned_basename(self) -> str:
        started = self.meeting.started_at
        return basename(self.meeting.name, started) if started is not None else ""

    def _close(self) -> WrittenMeeting:
        assert self.files is not None
        written = self.files.finish(self.meeting)
        self.written.append(written)
        self.files = None
        self._archive(written)
        if self.journal is not None:
            self.journal.finish()  # only once the minutes are on disk
            self.journal = None
        self.meeting = self.new_meeting()
        return written

    def _archive(self, written: WrittenMeeting) -> None:
        """Store the ended meeting in the archive (its log lines rebuilt from the journal) and mark #done actions."""
        archive, journal = self.bot.archive, self.journal
        if archive is None or journal is None:
            return
        try:
            journal.sync()
            view = build_view(self.meeting, log_basename=PurePosixPath(written.basename).name)
            meeting_id = archive.store(
                archive_record(view, network=self.network), _log_lines(journal.path, self.meeting.settings)
            )
            for ref in sorted(self.meeting.done_refs()):
                archive.mark_action_done(int(ref), meeting_id)
        except Exception:  # the files are written; `gavel import` can add the meeting to the archive later
            log.exception("%s %s: cannot store the meeting in the archive", self.network, self.channel)

    # ------------------------------------------------------------------ recovery

    def recover(self, path: Path) -> None:
        """Rebuild an unfinished meeting from its journal (the same path as replay: events through the core)."""
        _, events, ignored = Journal.read(path)
        if ignored:
            log.warning("%s: ignored %d bytes of a torn or corrupt journal tail", path, ignored)
        self.journal = Journal.reopen(path)
        for event in events:
            effects = self.meeting.handle(event)
            self._execute(event, effects, live=False)
            if self.meeting.state is MeetingState.ENDED or self.journal is None:
                break
        self.recovered_lines = self.meeting.lines
        if self.files is not None:
            self.files.flush()
        if self.meeting.state is not MeetingState.RUNNING and self.journal is not None:
            self.journal.finish()  # nothing left to resume (e.g. it ended just before the crash)
            self.journal = None

    def sync(self) -> None:
        if self.journal is not None and self.journal.dirty:
            self.journal.sync()

    def tick(self, now: datetime) -> None:
        if self.meeting.state is MeetingState.RUNNING:
            self.handle(Tick(now))


def _log_lines(journal: Path, settings: MeetingSettings) -> Iterator[LogLine]:
    """The meeting's log lines, rebuilt from its journal through a fresh Meeting (the one path again)."""
    meeting = Meeting(settings)
    for event in Journal.read(journal)[1]:
        for effect in meeting.handle(event):
            if type(effect) is LogLine:
                yield effect


class LiveBot:
    """All networks and channels of one bot process."""

    def __init__(self, config: Config, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.journals = JournalDir(config.bot.journal_dir)
        self.archive = _open_archive(config)
        self.connections: dict[str, IrcConnection] = {}
        self.channels: dict[tuple[str, str], ChannelRuntime] = {}
        self._stop = asyncio.Event()
        for network in config.networks:
            self.connections[network.name] = IrcConnection(
                _server_settings(config, network),
                _irc_settings(config, network),
                functools.partial(self._on_output, network.name),
                clock=clock,
            )
            for channel in network.channels:
                self.channels[(network.name, fold_nick(channel.name))] = ChannelRuntime(
                    self, network.name, channel.name
                )

    def runtime(self, network: str, channel: str) -> ChannelRuntime | None:
        return self.channels.get((network, fold_nick(channel)))

    # ------------------------------------------------------------------ effects

    def say(self, network: str, channel: str, text: str) -> None:
        runtime = self.runtime(network, channel)
        if runtime is not None:
            runtime.sync()  # a reply acknowledges the channel's lines: they must be durable first
        self.connections[network].say(channel, text)

    def set_topic(self, network: str, channel: str, text: str) -> None:
        self.connections[network].set_topic(channel, text)

    # ------------------------------------------------------------------ transport outputs

    def _on_output(self, network: str, output: Output) -> None:
        if isinstance(output, ChannelEvent):
            runtime = self.runtime(network, output.channel)
            if runtime is not None:
                try:
                    runtime.handle(output.event)
                except Exception:  # a bug must not take every other meeting down with it
                    log.exception("%s %s: failed to handle %r", network, output.channel, output.event)
        elif isinstance(output, JoinedChannel):
            runtime = self.runtime(network, output.channel)
            if runtime is not None and runtime.recovered_lines and runtime.meeting.state is MeetingState.RUNNING:
                self.say(
                    network,
                    runtime.channel,
                    f"gavel restarted: the meeting '{runtime.meeting.name}' goes on "
                    f"({runtime.recovered_lines} lines recovered from its journal).",
                )
                runtime.recovered_lines = 0
        elif isinstance(output, LeftChannel):
            log.warning("%s: left %s (%s); rejoining in %.0f s", network, output.channel, output.reason, REJOIN_DELAY)
            channel = self.config.network(network).channel(output.channel)
            key = channel.key if channel is not None else None
            asyncio.get_running_loop().call_later(REJOIN_DELAY, self.connections[network].join, output.channel, key)
        elif isinstance(output, Registered):
            log.info("%s: registered as %s", network, output.nick)
            for (name, _), runtime in self.channels.items():  # meetings to come know the bot's nick here
                if name == network and runtime.meeting.state is MeetingState.IDLE:
                    runtime.meeting = runtime.new_meeting()
        elif isinstance(output, Notice):
            log.warning("%s: %s", network, output.text)

    # ------------------------------------------------------------------ lifecycle

    def recover(self) -> int:
        """Resume every meeting whose journal was left open; returns how many were resumed."""
        resumed = 0
        for path in self.journals.pending():
            header = Journal.read(path)[0]
            runtime = self.runtime(header.network, header.channel)
            if runtime is None:
                log.warning(
                    "%s: journal for %s %s, which is no longer configured: left alone",
                    path,
                    header.network,
                    header.channel,
                )
                continue
            if runtime.journal is not None:
                log.warning("%s: a second open journal for %s %s: left alone", path, header.network, header.channel)
                continue
            runtime.recover(path)
            resumed += runtime.meeting.state is MeetingState.RUNNING
        return resumed

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        resumed = self.recover()
        if resumed:
            log.info("resumed %d unfinished meeting(s) from their journals", resumed)
        tasks = [asyncio.create_task(connection.run()) for connection in self.connections.values()]
        tasks.append(asyncio.create_task(self._sync_loop()))
        tasks.append(asyncio.create_task(self._tick_loop()))
        try:
            await self._stop.wait()
        finally:
            for runtime in self.channels.values():
                runtime.sync()
            for connection in self.connections.values():
                await connection.stop()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(SYNC_INTERVAL)
            for runtime in self.channels.values():
                runtime.sync()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_INTERVAL)
            now = self.clock()
            for runtime in self.channels.values():
                runtime.tick(now)


def _open_archive(config: Config) -> Archive | None:
    url = config.bot.archive_url
    if url is None:
        return None
    try:
        return open_archive(url)
    except Exception:  # meetings go on without it; their files are written as always
        log.exception("cannot open the archive: meetings will not be archived")
        return None


def _server_settings(config: Config, network: NetworkConfig) -> ServerSettings:
    bot = config.bot
    return ServerSettings(
        host=network.host,
        port=network.port,
        tls=network.tls,
        tls_verify=network.tls_verify,
        tls_ca_file=str(network.tls_ca_file) if network.tls_ca_file else None,
        client_cert=str(network.client_cert) if network.client_cert else None,
        client_key=str(network.client_key) if network.client_key else None,
        flood_burst=bot.flood_burst,
        flood_interval=bot.flood_interval_seconds,
        reconnect_min=bot.reconnect_min_seconds,
        reconnect_max=bot.reconnect_max_seconds,
    )


def _irc_settings(config: Config, network: NetworkConfig) -> IrcSettings:
    return IrcSettings(
        nick=network.nick,
        username=config.bot.username,
        realname=config.bot.realname,
        server_password=network.server_password,
        sasl_mechanism=network.sasl_mechanism,
        sasl_username=network.sasl_username,
        sasl_password=network.sasl_password,
        nickserv_password=network.nickserv_password,
        channels=tuple((channel.name, channel.key) for channel in network.channels),
    )


async def run_bot(config: Config) -> None:
    """Run the bot until SIGTERM or SIGINT."""
    bot = LiveBot(config)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, bot.stop)
    await bot.run()
