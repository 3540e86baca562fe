"""The failure model: when recording fails (a full disk), the bot says so once, stops and exits non-zero.

Before, a full disk left the channel silent with nothing logged ("Task exception was never retrieved"), and
every later line advanced the core without reaching the journal. These tests fill a real (tiny tmpfs) disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from irctokens.line import Line

from gavel.app.live import EXIT_RECORDING_FAILED
from gavel.core.events import Message
from gavel.storage.journal import Journal
from irc_client import IrcUser
from ircd import Ircd
from live_support import CHANNEL, bot_in_channel, said, write_config
from test_live_crash import show_bot_log, start_bot, stop_bot
from test_live_runtime import T0, RecordingBot, make_config

FAILURE_NOTICE = "gavel stopped recording this channel"


@contextlib.contextmanager
def tiny_disk(path: Path, size: str = "256k") -> Iterator[Path]:
    """A real file system of ``size`` at ``path`` (a tmpfs; needs root, as ./scripts/test runs in CI)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the tests as root)")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` until about ``leave`` bytes are free; the filler file is returned (delete it to free space)."""
    filler = disk / "filler"
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    with open(filler, "wb") as stream:
        stream.write(b"\0" * max(0, free - leave))
    return filler


def from_the_bot(line: Line) -> bool:
    return line.command == "PRIVMSG" and line.hostmask.nickname == "gavel"


def complete_lines(journal: Path) -> int:
    scan = Journal.scan(journal)
    assert scan.torn_bytes == 0 and scan.corrupt_bytes == 0  # nothing half-written
    return len(scan.events)


def test_a_full_disk_stops_recording_with_one_notice(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk") as disk:
        config = make_config(tmp_path / "bot", journal_dir=str(disk / "journal"))
        bot = RecordingBot(config)
        bot.feed(Message(T0, "alice", "#startmeeting full"))
        runtime = bot.runtime("test", "#meet")
        assert runtime is not None and runtime.journal is not None
        fill(disk, leave=2048)
        seconds = 1
        while bot.exit_code == 0 and seconds < 5000:  # bounded: the disk is full long before
            bot.feed(Message(T0 + timedelta(seconds=seconds), "bob", f"line {seconds} " + "x" * 200))
            if seconds % 10 == 0:
                bot.feed(Message(T0 + timedelta(seconds=seconds), "bob", "#showvote"))  # a reply: a sync first
            seconds += 1
        assert bot.exit_code == EXIT_RECORDING_FAILED
        notices = [text for text in bot.said if text.startswith(FAILURE_NOTICE)]
        assert len(notices) == 1 and "No space left on device" in notices[0]
        lines_at_failure = runtime.meeting.lines
        for later in range(3):  # after the failure nothing more goes through: no more lines, no more notices
            bot.feed(Message(T0 + timedelta(seconds=seconds + later), "bob", "#showvote"))
        assert runtime.meeting.lines == lines_at_failure
        assert [text for text in bot.said if text.startswith(FAILURE_NOTICE)] == notices
        assert bot.said[-1] == notices[0]
        (journal,) = (disk / "journal").glob("*.journal")
        kept = complete_lines(journal)
        assert 0 < kept < seconds


def test_the_bot_says_why_exits_75_and_resumes_when_there_is_space_again(ircd: Ircd, tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk") as disk:
        config = write_config(ircd, tmp_path, tls=False, journal_dir=str(disk / "journal"))
        bot_log = tmp_path / "bot.log"
        acknowledged: list[str] = []

        async def scenario() -> None:
            async with await IrcUser.connect(ircd.host, ircd.port, "alice") as alice:
                await alice.join(CHANNEL)
                bot = start_bot(config, bot_log)
                try:
                    await bot_in_channel(alice, timeout=20)
                    alice.say(CHANNEL, "#startmeeting disk")
                    await said(alice, "The meeting name has been set")
                    filler = fill(disk, leave=4096)
                    for round_number in range(200):  # bounded: a 4 KiB disk is full after a few rounds
                        batch = [f"round {round_number} line {i} " + "y" * 300 for i in range(5)]
                        mark = alice.mark()
                        for text in batch:
                            alice.say(CHANNEL, text)
                        alice.say(CHANNEL, "#showvote")
                        reply = (await alice.wait_for(from_the_bot, since=mark, timeout=10)).params[-1]
                        if reply.startswith(FAILURE_NOTICE):
                            break
                        assert reply == "alice: there is no vote in progress."
                        acknowledged.extend(batch)
                    else:
                        pytest.fail("the disk never filled up")
                    assert "No space left on device" in reply
                    assert await asyncio.to_thread(bot.wait, 20) == EXIT_RECORDING_FAILED
                    filler.unlink()  # space again: the supervisor restarts the bot, recovery runs
                    bot = start_bot(config, bot_log)
                    await said(alice, "gavel restarted: the meeting 'disk' goes on", timeout=20)
                    alice.say(CHANNEL, "#endmeeting")
                    await said(alice, "Log:            ", timeout=20)
                finally:
                    stop_bot(bot)

        try:
            asyncio.run(scenario())
        finally:
            show_bot_log(bot_log)
        (log,) = (tmp_path / "out").rglob("*.log.txt")
        kept = [
            line.split("> ", 1)[1] for line in log.read_text(encoding="utf-8").split("\n") if "<alice> round" in line
        ]
        assert acknowledged and [text for text in acknowledged if text not in kept] == []
        assert not list((disk / "journal").glob("*.journal"))


def test_recovery_on_a_full_disk_exits_non_zero(tmp_path: Path) -> None:
    """A restart while the disk is still full does not start a bot that cannot record."""
    from gavel.app.live import run_bot

    with tiny_disk(tmp_path / "disk", size="64k") as disk:
        config = make_config(tmp_path / "bot", output_dir=str(disk / "out"))
        bot = RecordingBot(config)
        bot.feed(Message(T0, "alice", "#startmeeting full"))
        bot.feed(Message(T0 + timedelta(seconds=1), "alice", "#endmeeting"))  # ok: the disk has room
        bot.feed(Message(T0 + timedelta(seconds=2), "alice", "#startmeeting again"))
        runtime = bot.runtime("test", "#meet")
        assert runtime is not None and runtime.journal is not None
        runtime.journal.sync()
        runtime.journal.close()  # the process dies
        fill(disk, leave=0)
        with pytest.raises(OSError) as failure:  # the work directory cannot even be created
            RecordingBot(config).recover()
        assert failure.value.errno == errno.ENOSPC
        assert asyncio.run(asyncio.wait_for(run_bot(config), 20)) == EXIT_RECORDING_FAILED
