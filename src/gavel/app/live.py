"""The live bot: IRC connections -> core events -> the one effect executor (journal, files, archive, replies).

The same path as replay (``gavel.app.executor``) with two more sinks: the chat and the journal. Every
event the core consumes is appended to the meeting's journal before the core sees it (and the
accounts the core knew before the meeting, as ``AccountChange`` events at its start); the journal is
fsync'd before any reply is sent and at most every ``SYNC_INTERVAL`` seconds, so a line the bot has
acknowledged is never lost. At start, unfinished meetings are rebuilt from their journals.

Failure model: when recording fails (a journal or file write: a full disk, an I/O error), the bot
says once in the channel that it stopped recording and why, stops, and exits with ``EXIT_RECORDING_FAILED``
so its supervisor restarts it and recovery runs; events are never fed to the core unjournaled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import secrets
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gavel.app.archiving import ParsedMeeting
from gavel.app.config import Config, NetworkConfig
from gavel.app.delivery.compose import deliveries
from gavel.app.delivery.courier import Courier
from gavel.app.delivery.outbox import DELIVERIES_DIR, Outbox
from gavel.app.delivery.send import configured_sender
from gavel.app.executor import MeetingExecutor, Outputs, SettingsRecord
from gavel.app.output_tree import WrittenMeeting
from gavel.core.errors import GavelError
from gavel.core.events import Event, OpenAction, OpenActions, Tick
from gavel.core.meeting import Meeting, MeetingSettings, MeetingState
from gavel.core.records import fold_nick
from gavel.schedule.model import Schedule
from gavel.schedule.reminders import due_reminders, scheduled_series
from gavel.schedule.watch import Reload, ScheduleWatcher
from gavel.storage.archive import Archive, open_archive
from gavel.storage.files import fsync_dir, write_atomic
from gavel.storage.journal import Journal, JournalDir, JournalError
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

if TYPE_CHECKING:
    from gavel.transports.matrix.connection import MatrixConnection

log = logging.getLogger("gavel.live")

SYNC_INTERVAL = 0.1  # seconds between journal fsyncs while lines arrive
POSITION_INTERVAL = 1.0  # seconds between saves of a Matrix account's sync position (each is two fsyncs)
REJOIN_DELAY = 10.0  # seconds before rejoining a channel we were kicked from
EXIT_RECORDING_FAILED = 75  # EX_TEMPFAIL: the supervisor restarts the bot, and recovery runs
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug stopped a connection or loop; the supervisor restarts the bot


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_meeting_id() -> str:
    """A live meeting's id: random, kept in its journal (so recovery keeps it) and its JSON minutes."""
    return secrets.token_hex(8)


class ChannelChat:
    """The executor's chat sink for one channel: the bot's replies and topic changes."""

    def __init__(self, bot: LiveBot, network: str, channel: str) -> None:
        self.bot, self.network, self.channel = bot, network, channel

    def say(self, text: str) -> None:
        self.bot.say(self.network, self.channel, text)

    def set_topic(self, text: str) -> None:
        if self.bot.config.bot.set_channel_topic:
            self.bot.set_topic(self.network, self.channel, text)


class ChannelRuntime:
    """One channel on one network: its executor (current meeting, files, journal) and the archive hook."""

    def __init__(self, bot: LiveBot, network: str, channel: str) -> None:
        self.bot = bot
        self.network = network
        self.channel = channel
        config = bot.config.bot
        outputs = Outputs(
            output_dir=config.output_dir,
            formats=config.formats,
            url_base=config.url_base,
            durable=True,
            archive=self._archive if bot.archive is not None else None,
            deliver=self._deliver if bot.courier is not None else None,
            snapshots=True,
        )
        self.executor = MeetingExecutor(
            self.settings,
            outputs,
            new_id=new_meeting_id,
            chat=ChannelChat(bot, network, channel),
            journals=self._create_journal,
        )
        self.recovered_lines = 0
        self.failed = False

    @property
    def meeting(self) -> Meeting:
        return self.executor.meeting

    @property
    def journal(self) -> Journal | None:
        return self.executor.journal

    def settings(self) -> MeetingSettings:
        settings = self.bot.config.meeting_settings(self.network, self.channel)
        connection = self.bot.connections.get(self.network)
        bot_nick = connection.bot_nick(self.channel) if connection is not None else None
        if bot_nick is not None:
            settings = dataclasses.replace(settings, bot_nick=bot_nick)
        if connection is not None and connection.maubot_spellings:  # Matrix rooms that move from maubot-meetings
            settings = dataclasses.replace(
                settings, default_name=connection.room_name(self.channel), maubot_spellings=True
            )
        return settings

    def _create_journal(self, started: datetime, meeting_id: str, settings: SettingsRecord) -> Journal:
        return self.bot.journals.create(self.network, self.channel, started, meeting_id=meeting_id, settings=settings)

    # ------------------------------------------------------------------ events

    def handle(self, event: Event) -> None:
        """One live event through the executor (journal first, then the core and its effects)."""
        was_idle = self.meeting.state is MeetingState.IDLE
        schedule = self.bot.schedule
        if was_idle and schedule is not None and self.meeting.would_start(event):
            name = scheduled_series(schedule, self.channel, event.time)
            if name is not None and name != self.meeting.settings.default_name:
                self.executor.renew(dataclasses.replace(self.settings(), default_name=name), event.time)
        self.executor.process(event)
        self.executor.written.clear()  # a long-running bot keeps nothing of ended meetings
        if was_idle and self.meeting.state is MeetingState.RUNNING:
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

    def _archive(self, meeting: Meeting, parsed: ParsedMeeting) -> None:
        """Store the ended meeting in the archive and mark its #done actions (the files are already written)."""
        archive = self.bot.archive
        assert archive is not None
        try:
            meeting_id = parsed.store(archive, network=self.network)
            for ref in sorted(meeting.done_refs()):
                archive.mark_action_done(int(ref), meeting_id)
        except Exception:  # the files are written; `gavel import` can add the meeting to the archive later
            log.exception("%s %s: cannot store the meeting in the archive", self.network, self.channel)

    def _deliver(self, written: WrittenMeeting) -> None:
        """Persist the ended meeting's deliveries in the outbox (an ``OSError`` is a recording failure: the journal
        stays open and recovery ends the meeting again), then send them in the background."""
        courier, config = self.bot.courier, self.bot.config
        assert courier is not None
        try:
            batch = deliveries(written, config.deliver, config.mail)
        except Exception:  # a bug composing them must not keep the meeting from ending
            log.exception("%s %s: cannot compose the deliveries of %s", self.network, self.channel, written.basename)
            return
        courier.put(batch)

    def recover(self, path: Path) -> None:
        """Rebuild an unfinished meeting from its journal (the same path as replay: events through the core)."""
        self.recovered_lines = self.executor.resume(path)

    def sync(self) -> None:
        self.executor.sync()

    def tick(self, now: datetime) -> None:
        if self.meeting.state is MeetingState.RUNNING:
            self.handle(Tick(now))

    def renew_idle(self) -> None:
        """The bot's nick is known now: meetings to come see it (only between meetings). What the idle meeting knew
        (accounts, chairs by role: a Matrix room's first sync tells its power levels before this) is kept."""
        if self.meeting.state is MeetingState.IDLE:
            self.executor.renew(self.settings(), self.bot.clock())


class LiveBot:
    """All networks and channels of one bot process."""

    def __init__(self, config: Config, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.journals = JournalDir(config.bot.journal_dir)
        self.archive = _open_archive(config)
        self.courier = _courier(config, self.journals.root)
        self.connections: dict[str, IrcConnection | MatrixConnection] = {}
        self.channels: dict[tuple[str, str], ChannelRuntime] = {}
        self.schedule_watcher = _watch_schedule(config)
        self._reminded: set[tuple[str, datetime]] = set()
        self.exit_code = 0
        self.stopping = False
        self._stop = asyncio.Event()
        self._positions: dict[str, str] = {}  # Matrix account -> its last sync position not saved yet
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
        if config.matrix:  # mautrix (and aiohttp) only for a bot that serves Matrix rooms: ~18 MiB otherwise saved
            from gavel.transports.matrix.connection import MatrixConnection, MatrixSettings
        for account in config.matrix:
            self.connections[account.name] = MatrixConnection(
                MatrixSettings(
                    account.homeserver,
                    account.user_id,
                    account.access_token,
                    account.rooms,
                    power_level_chairs=account.power_level_chairs,
                ),
                functools.partial(self._on_output, account.name),
                clock=clock,
                since=self._saved_sync_token(account.name),
                checkpoint=functools.partial(self._note_sync_position, account.name),
            )
            for room in account.rooms:  # keyed by the configured spelling (an alias or an id)
                self.channels[(account.name, fold_nick(room))] = ChannelRuntime(self, account.name, room)

    # ------------------------------------------------------------------ Matrix sync positions

    def _sync_token_path(self, account: str) -> Path:
        return self.journals.root / f"matrix-{account}.sync"

    def _saved_sync_token(self, account: str) -> str | None:
        try:
            token = self._sync_token_path(account).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return token or None

    def _note_sync_position(self, account: str, token: str) -> None:  # (token: MatrixClient.position())
        """A sync's events went through (into their journals): its position is saved with the next
        ``save_sync_positions``, never on the way from a sync to the replies. Once the bot is stopping, the events
        of a sync no longer reach the journals, so its position is not taken."""
        if not self.stopping:
            self._positions[account] = token

    def save_sync_positions(self) -> None:
        """Make the journals durable, then keep each account's last noted position (so a restart goes on from
        there: nothing said while the bot was down is missed, and what a crash makes the homeserver send again is
        dropped by event id). Never past events that did not reach a journal: an account with a channel whose
        recording failed keeps its older position."""
        for account, token in list(self._positions.items()):
            if not self._journals_durable(account):
                continue
            try:
                write_atomic(self._sync_token_path(account), token + "\n", 0o600, durable=True)
                fsync_dir(self.journals.root)
            except OSError as error:
                log.error("%s: cannot save the sync position: %s", account, error)
                continue
            if self._positions.get(account) == token:
                del self._positions[account]

    def _journals_durable(self, account: str) -> bool:
        """Make the journals of ``account``'s channels durable; False when one of them failed to record."""
        for (name, _), runtime in self.channels.items():
            if name == account:
                self._guarded(runtime, runtime.sync)
                if runtime.failed:
                    return False
        return True

    def runtime(self, network: str, channel: str) -> ChannelRuntime | None:
        connection = self.connections.get(network)
        if connection is not None:  # a Matrix event names its room by id; the config may name it by alias
            channel = connection.configured_name(channel)
        return self.channels.get((network, fold_nick(channel)))

    # ------------------------------------------------------------------ effects

    def say(self, network: str, channel: str, text: str) -> None:
        """Queue a line for the channel (the executor made the journal durable first)."""
        self.connections[network].say(channel, text)

    def set_topic(self, network: str, channel: str, text: str) -> None:
        self.connections[network].set_topic(channel, text)

    def say_now(self, network: str, channel: str, text: str) -> None:
        """Send a line ahead of every queued reply, outside flood control (the failure notice: it must get out)."""
        self.connections[network].say_now(channel, text)

    # ------------------------------------------------------------------ failures

    def recording_failed(self, runtime: ChannelRuntime, error: BaseException) -> None:
        """Recording broke (journal, disk): say so once in the channel, stop, and exit non-zero for a restart."""
        log.error("%s %s: recording failed: %s", runtime.network, runtime.channel, error, exc_info=error)
        if not runtime.failed:
            runtime.failed = True
            reason = str(error) if isinstance(error, OSError | JournalError) else type(error).__name__
            self.say_now(
                runtime.network,
                runtime.channel,
                f"gavel stopped recording this channel: {reason}. Lines from now on are not logged; the meeting "
                "so far is safe in its journal and resumes when gavel restarts.",
            )
        self.exit_code = EXIT_RECORDING_FAILED
        self._stop.set()

    def _guarded(self, runtime: ChannelRuntime, action: Callable[[], None]) -> None:
        if runtime.failed or self.stopping:
            return  # nothing more goes through a channel whose recording failed, or once the bot is stopping
        try:
            action()
        except Exception as error:
            self.recording_failed(runtime, error)

    # ------------------------------------------------------------------ transport outputs

    def _on_output(self, network: str, output: Output) -> None:
        if isinstance(output, ChannelEvent):
            runtime = self.runtime(network, output.channel)
            if runtime is not None:
                self._guarded(runtime, functools.partial(runtime.handle, output.event))
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
            configured = (
                None if self.config.matrix_account(network) else self.config.network(network).channel(output.channel)
            )
            key = configured.key if configured is not None else None
            asyncio.get_running_loop().call_later(REJOIN_DELAY, self.connections[network].join, output.channel, key)
        elif isinstance(output, Registered):
            log.info("%s: registered as %s", network, output.nick)
            for (name, _), runtime in self.channels.items():
                if name == network:
                    runtime.renew_idle()
        elif isinstance(output, Notice):
            log.warning("%s: %s", network, output.text)

    # ------------------------------------------------------------------ lifecycle

    def recover(self) -> int:
        """Resume every meeting whose journal was left open; returns how many were resumed.

        A journal that cannot be replayed because of a bug or damage is set aside as ``*.failed`` (logged) so
        the bot can start; an I/O error (a full disk) propagates: nothing can be recorded until it is fixed.
        """
        resumed = 0
        for path in self.journals.pending():
            header = Journal.read_header(path)
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
            try:
                runtime.recover(path)
            except (OSError, JournalError):
                raise
            except Exception:
                log.exception("%s: cannot resume this meeting; journal set aside as %s.failed", path, path.name)
                path.rename(path.with_name(path.name + ".failed"))
                runtime.executor.abandon()
                runtime.executor.meeting = Meeting(runtime.settings())
                continue
            resumed += runtime.meeting.state is MeetingState.RUNNING
        return resumed

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> int:
        """Run until stopped; returns the exit status (``EXIT_RECORDING_FAILED`` after a recording failure,
        ``EXIT_INTERNAL_ERROR`` when a task of the bot died of a bug)."""
        resumed = self.recover()
        if resumed:
            log.info("resumed %d unfinished meeting(s) from their journals", resumed)
        if self.courier is not None:
            self.courier.start()  # what the outbox holds: a crashed bot's, and what recovery just ended
        loops = [asyncio.create_task(self._sync_loop()), asyncio.create_task(self._tick_loop())]
        tasks = [asyncio.create_task(connection.run()) for connection in self.connections.values()] + loops
        for task in tasks:
            task.add_done_callback(self._task_ended)
        try:
            await self._stop.wait()
        finally:
            self.stopping = True  # from now on no event reaches a meeting: its journal is being closed
            for task in loops:
                task.cancel()
            for runtime in self.channels.values():
                if not runtime.failed:
                    try:
                        runtime.executor.shutdown()
                    except Exception:
                        log.exception("%s %s: cannot close the journal cleanly", runtime.network, runtime.channel)
                        runtime.failed = True  # (its account's sync position stays where it was)
            self.save_sync_positions()  # (the journals are closed: durable)
            if self.courier is not None:
                await self.courier.stop()  # what is left stays in the outbox
            for connection in self.connections.values():
                await connection.stop("gavel stopping" if not self.exit_code else "gavel stopping: recording failed")
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # a task's own failure was logged when it ended
        return self.exit_code

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        """A connection or loop must run until the bot stops: one that died of an exception stops the bot."""
        if task.cancelled() or self.stopping:
            return
        error = task.exception()
        log.error("a task of the bot ended unexpectedly: %r; stopping", error, exc_info=error)
        self.exit_code = self.exit_code or EXIT_INTERNAL_ERROR
        self._stop.set()

    async def _sync_loop(self) -> None:
        loop = asyncio.get_running_loop()
        saved = loop.time()
        while True:
            await asyncio.sleep(SYNC_INTERVAL)
            for runtime in self.channels.values():
                self._guarded(runtime, runtime.sync)
            if self._positions and loop.time() - saved >= POSITION_INTERVAL:
                saved = loop.time()
                self.save_sync_positions()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.bot.tick_seconds)
            self.tick(self.clock())

    def tick(self, now: datetime) -> None:
        """Every ``tick_seconds``: the running meetings' timeboxes, the schedule re-read if it changed, reminders."""
        for runtime in self.channels.values():
            self._guarded(runtime, functools.partial(runtime.tick, now))
        if self.schedule_watcher is not None:
            _log_reload(self.schedule_watcher.refresh(now))
        self.remind(now)

    @property
    def schedule(self) -> Schedule | None:
        return None if self.schedule_watcher is None else self.schedule_watcher.schedule

    def remind(self, now: datetime) -> None:
        """Say in each scheduled channel that its meeting starts soon: once per meeting, on every network that
        serves the channel (the schedule names IRC channels without a network)."""
        if self.schedule is None:
            return
        for reminder in due_reminders(self.schedule, now, self.config.bot.remind_minutes):
            if reminder.key in self._reminded:
                continue
            self._reminded.add(reminder.key)
            for (network, key), runtime in self.channels.items():
                if key == fold_nick(reminder.channel) and self.config.matrix_account(network) is None:
                    self.say(network, runtime.channel, reminder.text)
        self._reminded = {key for key in self._reminded if key[1] > now - timedelta(days=1)}  # bounded


def _watch_schedule(config: Config) -> ScheduleWatcher | None:
    directory = config.bot.schedule_dir
    if directory is None:
        return None
    watcher = ScheduleWatcher(directory)
    for error in watcher.look().errors:
        log.warning("schedule: %s", error)
    log.info("schedule: %d meetings from %s", len(watcher.schedule.meetings), directory)
    return watcher


def _log_reload(reload: Reload) -> None:
    """A changed schedule in the log: each change, and each new problem as an error (its file's last good version
    stays in use)."""
    for change in reload.changes:
        log.info("schedule re-read: %s", change)
    for error in reload.errors:
        log.error("schedule re-read: %s", error)


def _courier(config: Config, journal_dir: Path) -> Courier | None:
    """The outbox (``deliveries/`` next to the journals) and its courier, when ``[[deliver]]`` rules exist."""
    if not config.deliver:
        return None
    return Courier(Outbox(journal_dir / DELIVERIES_DIR), configured_sender(config))


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


async def run_bot(config: Config) -> int:
    """Run the bot until SIGTERM or SIGINT (exit status 0) or a recording failure (``EXIT_RECORDING_FAILED``)."""
    try:
        bot = LiveBot(config)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, bot.stop)
        return await bot.run()
    except (OSError, GavelError) as error:  # e.g. recovery found the disk full: nothing can be recorded
        log.error("cannot record meetings: %s", error)
        return EXIT_RECORDING_FAILED
