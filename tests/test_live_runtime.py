"""The live runtime without a network: journal-first effects, #save, forgotten meetings, recovery."""

from __future__ import annotations

import asyncio
import functools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gavel.app.config import Config, load_config
from gavel.app.live import LiveBot
from gavel.core.events import Event, Message, Tick
from gavel.core.meeting import MeetingState
from gavel.storage.journal import Journal
from gavel.transports.irc.protocol import ChannelEvent

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)


class RecordingBot(LiveBot):
    """A LiveBot whose connections record what they are asked to send instead of sending it.

    Only the connections are replaced: replies go through the real executor and ``LiveBot.say``, so
    ``synced_before_reply`` shows whether the journal was durable when each line left for the server.
    """

    def __init__(self, config: Config) -> None:
        super().__init__(config, clock=lambda: T0)
        self.said: list[str] = []
        self.topics: list[str] = []
        self.synced_before_reply: list[bool] = []
        for network, connection in self.connections.items():
            connection.say = functools.partial(self._sent, network)  # type: ignore[method-assign]
            connection.set_topic = self._topic  # type: ignore[method-assign]
            connection.say_now = self._sent_now  # type: ignore[method-assign]

    def _sent(self, network: str, channel: str, text: str, *, action: bool = False) -> None:
        runtime = self.runtime(network, channel)
        assert runtime is not None
        journal = runtime.journal
        self.synced_before_reply.append(journal is None or not journal.dirty)
        self.said.append(text)

    def _sent_now(self, channel: str, text: str) -> bool:
        self.said.append(text)
        return True

    def _topic(self, channel: str, topic: str) -> bool:
        self.topics.append(topic)
        return True

    def feed(self, event: Event, channel: str = "#meet") -> None:
        self._on_output("test", ChannelEvent(channel, event))


def make_config(tmp_path: Path, **bot: object) -> Config:
    options = {
        "nick": "gavel",
        "output_dir": str(tmp_path / "out"),
        "journal_dir": str(tmp_path / "journal"),
        "url_base": "https://m.example.org/",
        **bot,
    }
    settings = "\n".join(f"{key} = {json.dumps(value)}" for key, value in options.items())
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "gavel.toml"
    path.write_text(
        f"""
[bot]
{settings}

[[networks]]
name = "test"
host = "127.0.0.1"
port = 6667
tls = false
channels = ["#meet", "#other"]
""",
        encoding="utf-8",
    )
    return load_config(path)


def say(bot: RecordingBot, seconds: float, nick: str, text: str, channel: str = "#meet") -> None:
    bot.feed(Message(T0 + timedelta(seconds=seconds), nick, text), channel)


def journals(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "journal").glob("*.journal"))


def outputs(tmp_path: Path, suffix: str) -> list[Path]:
    return sorted((tmp_path / "out").rglob(f"*{suffix}"))


def test_every_meeting_line_is_journaled_and_synced_before_a_reply(tmp_path: Path) -> None:
    bot = RecordingBot(make_config(tmp_path))
    say(bot, 0, "alice", "before the meeting: not journaled")
    say(bot, 1, "alice", "#startmeeting journal")
    say(bot, 2, "bob", "hello")
    say(bot, 3, "bob", "#topic nope")  # refused: a reply
    (path,) = journals(tmp_path)
    _, events, ignored = Journal.read(path)
    assert ignored == 0
    assert [e.text for e in events if isinstance(e, Message)] == ["#startmeeting journal", "hello", "#topic nope"]
    assert bot.synced_before_reply == [True] * len(bot.said) and len(bot.said) >= 3  # replies while journaling
    say(bot, 4, "alice", "#endmeeting")
    assert journals(tmp_path) == []  # removed once the minutes are written
    assert len(outputs(tmp_path, ".html")) == 2  # .html and .log.html
    assert bot.said[-1].startswith("Log:            https://m.example.org/journal/2026/")


def test_other_channels_are_independent(tmp_path: Path) -> None:
    bot = RecordingBot(make_config(tmp_path))
    say(bot, 1, "alice", "#startmeeting one", "#meet")
    say(bot, 2, "carol", "#startmeeting two", "#other")
    say(bot, 3, "carol", "#endmeeting", "#other")
    runtime = bot.runtime("test", "#meet")
    assert runtime is not None and runtime.meeting.state is MeetingState.RUNNING
    assert [p.name for p in outputs(tmp_path, ".json")] == ["two.2026-03-04-10.00.json"]


def test_save_writes_minutes_and_the_meeting_goes_on(tmp_path: Path) -> None:
    bot = RecordingBot(make_config(tmp_path))
    say(bot, 1, "alice", "#startmeeting saved")
    say(bot, 2, "alice", "#info first")
    say(bot, 3, "alice", "#save")
    (minutes,) = outputs(tmp_path, ".json")
    data = json.loads(minutes.read_text(encoding="utf-8"))
    assert data["meeting"]["unfinished"] is True and [i["text"] for i in data["items"]] == ["first"]
    (log,) = outputs(tmp_path, ".log.txt")
    assert log.read_text(encoding="utf-8").endswith("<alice> #save")
    assert outputs(tmp_path, ".log.html")[0].read_text(encoding="utf-8").rstrip().endswith("</html>")
    say(bot, 4, "alice", "#info second")
    say(bot, 5, "alice", "#endmeeting")
    data = json.loads(minutes.read_text(encoding="utf-8"))
    assert data["meeting"]["unfinished"] is False and [i["text"] for i in data["items"]] == ["first", "second"]


def test_topic_changes_follow_the_setting(tmp_path: Path) -> None:
    bot = RecordingBot(make_config(tmp_path / "on"))
    say(bot, 1, "alice", "#startmeeting t")
    say(bot, 2, "alice", "#topic news")
    assert bot.topics == ["news (Meeting topic: t)"]
    quiet = RecordingBot(make_config(tmp_path / "off", set_channel_topic=False))
    say(quiet, 1, "alice", "#startmeeting t")
    say(quiet, 2, "alice", "#topic news")
    assert quiet.topics == []


def test_a_forgotten_meeting_ends_by_itself(tmp_path: Path) -> None:
    bot = RecordingBot(make_config(tmp_path, idle_end_minutes=30, max_length_minutes=0))
    say(bot, 1, "alice", "#startmeeting forgotten")
    say(bot, 60, "alice", "last words")
    runtime = bot.runtime("test", "#meet")
    assert runtime is not None
    runtime.tick(T0 + timedelta(minutes=20))
    assert runtime.meeting.state is MeetingState.RUNNING
    runtime.tick(T0 + timedelta(minutes=31, seconds=1))
    assert "Meeting ended automatically after 30 minutes without activity." in bot.said
    assert journals(tmp_path) == [] and len(outputs(tmp_path, ".json")) == 1
    assert runtime.meeting.lines == 0  # a fresh meeting, ready for the next one


def test_recovery_resumes_the_meeting_from_its_journal(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first = RecordingBot(config)
    say(first, 1, "alice", "#startmeeting crash")
    say(first, 2, "alice", "#topic before")
    say(first, 3, "bob", "a line")
    runtime = first.runtime("test", "#meet")
    assert runtime is not None and runtime.journal is not None
    runtime.journal.sync()
    runtime.journal.close()  # the process dies here (its work files are left behind)
    (path,) = journals(tmp_path)
    with open(path, "ab") as stream:
        stream.write(b'{"k":"msg","t":"2026-03-04T10:00:04')  # a torn last line

    second = RecordingBot(config)
    assert second.recover() == 1
    resumed = second.runtime("test", "#meet")
    assert resumed is not None and resumed.meeting.state is MeetingState.RUNNING
    assert resumed.recovered_lines == 3  # the torn fourth line was never acknowledged
    say(second, 5, "alice", "#endmeeting")
    (log,) = outputs(tmp_path, ".log.txt")
    assert log.read_text(encoding="utf-8").split("\n") == [
        "10:00:01 <alice> #startmeeting crash",
        "10:00:02 <alice> #topic before",
        "10:00:03 <bob> a line",
        "10:00:05 <alice> #endmeeting",
    ]
    assert journals(tmp_path) == []
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".gavel-work-")]


def test_a_meeting_that_ended_before_the_crash_is_finished_on_recovery(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    path = tmp_path / "journal" / "x.journal"
    path.parent.mkdir(parents=True)
    journal = Journal.create(path, network="test", channel="#meet", created=T0)
    for second, text in ((1, "#startmeeting done"), (2, "#info kept"), (3, "#endmeeting")):
        journal.append(Message(T0 + timedelta(seconds=second), "alice", text))
    journal.sync()
    journal.close()
    bot = RecordingBot(config)
    assert bot.recover() == 0
    assert journals(tmp_path) == [] and len(outputs(tmp_path, ".json")) == 1


def test_a_journal_for_an_unconfigured_channel_is_left_alone(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    path = tmp_path / "journal" / "x.journal"
    path.parent.mkdir(parents=True)
    journal = Journal.create(path, network="elsewhere", channel="#gone", created=T0)
    journal.append(Message(T0, "alice", "#startmeeting gone"))
    journal.sync()
    journal.close()
    bot = RecordingBot(config)
    assert bot.recover() == 0
    assert path.exists()


@pytest.mark.parametrize("event", [Tick(T0)])
def test_ticks_outside_meetings_do_nothing(tmp_path: Path, event: Event) -> None:
    bot = RecordingBot(make_config(tmp_path))
    bot.feed(event)
    assert bot.said == [] and journals(tmp_path) == []


def test_two_meetings_with_one_name_in_one_minute_do_not_overwrite_each_other(tmp_path: Path) -> None:
    bot = RecordingBot(make_config(tmp_path))
    say(bot, 1, "alice", "#startmeeting sync", "#meet")
    say(bot, 2, "carol", "#startmeeting sync", "#other")
    say(bot, 3, "alice", "#endmeeting", "#meet")
    say(bot, 4, "carol", "#endmeeting", "#other")
    logs = outputs(tmp_path, ".log.txt")
    assert [p.name for p in logs] == ["sync.2026-03-04-10.00-2.log.txt", "sync.2026-03-04-10.00.log.txt"]
    assert "carol" in logs[0].read_text(encoding="utf-8") and "alice" in logs[1].read_text(encoding="utf-8")
    urls = [text for text in bot.said if text.startswith("Log:")]
    assert urls[0].endswith("/sync/2026/sync.2026-03-04-10.00.log.html")
    assert urls[1].endswith("/sync/2026/sync.2026-03-04-10.00-2.log.html")


def test_ended_meetings_go_to_the_archive_and_done_actions_close(tmp_path: Path) -> None:
    from gavel.storage.archive import open_archive

    bot = RecordingBot(make_config(tmp_path, archive=f"sqlite:///{tmp_path / 'archive.db'}"))
    say(bot, 1, "alice", "#startmeeting weekly")
    say(bot, 2, "alice", "#action bob to fix the build")
    say(bot, 3, "alice", "#action carol to write docs")
    say(bot, 4, "alice", "#endmeeting")
    bot.said.clear()
    say(bot, 600, "alice", "#startmeeting weekly")
    assert bot.said[3:] == [
        "Open action items from earlier weekly meetings (#done <number> when one is done):",
        "[1] bob to fix the build",
        "[2] carol to write docs",
    ]
    say(bot, 601, "bob", "#done 1")
    assert bot.said[-1] == "Marked done: [1] bob to fix the build"
    say(bot, 602, "alice", "#endmeeting")
    archive = open_archive(f"sqlite:///{tmp_path / 'archive.db'}")
    try:
        assert [row.text for row in archive.open_actions("weekly")] == ["carol to write docs"]
        detail = archive.series("weekly")
        assert detail is not None
        first = archive.meeting("weekly", "weekly.2026-03-04-10.00")
        assert first is not None
        lines = list(archive.log_lines(first.id))
        assert [row.text for row in lines][:2] == ["#startmeeting weekly", "#action bob to fix the build"]
    finally:
        archive.close()


def test_recovery_replays_under_the_meeting_s_own_settings(tmp_path: Path) -> None:
    """A configuration changed between crash and restart must not change the meeting: a shorter idle_end_minutes
    would end it at an old tick and drop the lines after it."""
    first = RecordingBot(make_config(tmp_path, idle_end_minutes=60))
    say(first, 1, "alice", "#startmeeting rules")
    runtime = first.runtime("test", "#meet")
    assert runtime is not None
    runtime.tick(T0 + timedelta(minutes=20))
    say(first, 20 * 60 + 5, "bob", "after the tick")
    assert runtime.journal is not None
    runtime.journal.sync()
    runtime.journal.close()  # the process dies
    second = RecordingBot(make_config(tmp_path, idle_end_minutes=15))
    assert second.recover() == 1
    resumed = second.runtime("test", "#meet")
    assert resumed is not None and resumed.meeting.state is MeetingState.RUNNING
    assert resumed.meeting.settings.idle_end_minutes == 60 and resumed.recovered_lines == 2


def test_a_journal_that_goes_on_after_its_meeting_ended_is_set_aside(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    path = tmp_path / "journal" / "x.journal"
    path.parent.mkdir(parents=True)
    journal = Journal.create(path, network="test", channel="#meet", created=T0)
    for second, text in ((1, "#startmeeting done"), (2, "#endmeeting"), (3, "a line nobody replays")):
        journal.append(Message(T0 + timedelta(seconds=second), "alice", text))
    journal.sync()
    journal.close()
    bot = RecordingBot(config)
    assert bot.recover() == 0
    assert not path.exists() and path.with_name("x.journal.failed").exists()  # kept for a person, not deleted


def test_once_stopping_no_event_reaches_a_meeting(tmp_path: Path) -> None:
    """While the bot stops (journals closed, the QUIT going out), lines still arrive: they must not reach the
    meeting unjournaled (they used to end it and write its files while its journal stayed behind)."""
    bot = RecordingBot(make_config(tmp_path))
    say(bot, 1, "alice", "#startmeeting stopping")
    runtime = bot.runtime("test", "#meet")
    assert runtime is not None
    bot.stopping = True
    runtime.executor.shutdown()
    say(bot, 2, "alice", "#endmeeting")
    assert runtime.meeting.state is MeetingState.RUNNING and runtime.meeting.lines == 1
    assert len(journals(tmp_path)) == 1 and outputs(tmp_path, ".json") == []
    assert bot.exit_code == 0 and not [text for text in bot.said if "stopped recording" in text]  # a clean stop
    with pytest.raises(RuntimeError, match="shut down"):
        runtime.executor.process(Message(T0, "alice", "#endmeeting"))


def test_a_task_that_dies_stops_the_bot_with_status_70(tmp_path: Path) -> None:
    from gavel.app.live import EXIT_INTERNAL_ERROR

    bot = RecordingBot(make_config(tmp_path))

    async def broken() -> None:
        raise RuntimeError("a bug in the connection")

    bot.connections["test"].run = broken  # type: ignore[method-assign]
    assert asyncio.run(asyncio.wait_for(bot.run(), 10)) == EXIT_INTERNAL_ERROR
