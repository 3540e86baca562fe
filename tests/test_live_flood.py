"""A 10k-line flood in one channel: every line logged, replies rate-limited, memory bounded, no disconnect."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from irc_client import connected
from ircd import Ircd
from live_support import CHANNEL, bot_in_channel, said, write_config

FLOOD = 10_000
REPLY_EVERY = 100  # every 100th line is a command that gets a reply
BURST, INTERVAL = 5, 0.05


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_10k_line_flood(ircd: Ircd, tmp_path: Path) -> None:
    config = write_config(ircd, tmp_path, tls=False, flood_burst=BURST, flood_interval_seconds=INTERVAL)
    bot_log = tmp_path / "bot.log"
    with open(bot_log, "wb") as out:
        bot = subprocess.Popen(
            [sys.executable, "-m", "gavel", "run", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    replies: list[str] = []
    peak = 0.0

    async def scenario() -> None:
        nonlocal peak
        async with connected(ircd.host, ircd.port, "flooder", "watcher") as (flooder, watcher):
            await flooder.join(CHANNEL)
            await watcher.join(CHANNEL)
            await bot_in_channel(watcher, timeout=20)
            flooder.say(CHANNEL, "#startmeeting flood")
            await said(watcher, "The meeting name has been set")
            mark = watcher.mark()
            for number in range(FLOOD):
                flooder.say(CHANNEL, f"#vote {number}" if number % REPLY_EVERY == 0 else f"flood line {number} ✓")
                if number % 500 == 0:
                    await asyncio.sleep(0)  # let the writer drain
            flooder.say(CHANNEL, "#endmeeting")
            await said(watcher, "Log:            ", timeout=90)
            peak = peak_rss_mib(bot.pid)
            for line in watcher.lines[mark:]:
                if line.command == "PRIVMSG" and line.hostmask.nickname == "gavel":
                    replies.append(line.params[-1])

    try:
        asyncio.run(scenario())
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(bot.pid, signal.SIGKILL)
    output = bot_log.read_text(errors="replace")
    assert "connection lost" not in output, output[-2000:]
    (log,) = (tmp_path / "out").rglob("*.log.txt")
    lines = log.read_text(encoding="utf-8").split("\n")
    flooded = [line for line in lines if "<flooder> flood line " in line or "<flooder> #vote " in line]
    assert len(flooded) == FLOOD
    # Every reply was sent, in order, before the end-of-meeting lines (the queue is bounded but not reached).
    assert replies.count("flooder: there is no vote in progress.") == FLOOD // REPLY_EVERY
    assert replies[-1].startswith("Log:            ")
    assert peak < 150, f"bot peak RSS {peak:.0f} MiB"


def test_replies_respect_the_token_bucket(ircd: Ircd, tmp_path: Path) -> None:
    """The bot never sends faster than its flood control allows (so servers do not kill it for flooding)."""
    config = write_config(ircd, tmp_path, tls=False, flood_burst=3, flood_interval_seconds=0.2)
    with open(tmp_path / "bot.log", "wb") as out:
        bot = subprocess.Popen(
            [sys.executable, "-m", "gavel", "run", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    arrivals: list[float] = []

    async def scenario() -> None:
        async with connected(ircd.host, ircd.port, "asker", "watcher") as (asker, watcher):
            await asker.join(CHANNEL)
            await watcher.join(CHANNEL)
            await bot_in_channel(watcher, timeout=20)
            asker.say(CHANNEL, "#startmeeting bucket")
            await said(watcher, "The meeting name has been set")
            await asyncio.sleep(1.0)  # the bucket refills
            for number in range(12):
                asker.say(CHANNEL, f"#vote {number}")
            for _ in range(12):
                await said(watcher, "asker: there is no vote in progress", timeout=10)
                arrivals.append(time.monotonic())

    try:
        asyncio.run(scenario())
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(10)
    # 3 at once, then one every 0.2 s: the 12th reply cannot come before 9 intervals have passed.
    assert arrivals[-1] - arrivals[0] >= 9 * 0.2 * 0.9
    for first in range(len(arrivals)):
        for last in range(first, len(arrivals)):
            window = arrivals[last] - arrivals[first]
            assert last - first + 1 <= 3 + window / 0.2 + 1
