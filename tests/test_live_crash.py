"""kill -9 the bot at random moments of a meeting: it resumes, and no line it acknowledged is lost."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from irc_client import IrcUser, connected
from ircd import Ircd
from live_support import CHANNEL, bot_in_channel, said, write_config

KILLS = 10


def start_bot(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gavel", "run", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_bot(bot: subprocess.Popen[bytes]) -> None:
    """SIGTERM a bot still running, and wait for it (bounded)."""
    if bot.poll() is None:
        bot.send_signal(signal.SIGTERM)
        bot.wait(10)


def show_bot_log(log: Path) -> None:
    """The end of the bot's output, for a failing test's report."""
    print(log.read_text(errors="replace")[-3000:] if log.exists() else "no bot log")


async def bot_joined(user: IrcUser) -> None:
    """Wait for the (re)started bot's JOIN."""
    await bot_in_channel(user, timeout=20)


def test_kill_9_at_random_points_loses_no_acknowledged_line(ircd: Ircd, tmp_path: Path) -> None:
    rng = random.Random(1234)
    config = write_config(ircd, tmp_path, tls=False, flood_burst=50, flood_interval_seconds=0.01)
    bot_log = tmp_path / "bot.log"
    acknowledged: list[str] = []
    sent: list[str] = []
    restarts_announced = 0

    async def scenario() -> None:
        nonlocal restarts_announced
        async with connected(ircd.host, ircd.port, "alice") as (alice,):
            await alice.join(CHANNEL)
            for round_number in range(KILLS + 1):
                mark = alice.mark()
                bot = start_bot(config, bot_log)
                try:
                    await alice.wait_for(
                        lambda line: line.command == "JOIN" and line.hostmask.nickname == "gavel",
                        since=mark,
                        timeout=20,
                    )
                    if round_number == 0:
                        alice.say(CHANNEL, "#startmeeting crash test")
                        await said(alice, "The meeting name has been set")
                    else:
                        announced = await said(alice, "gavel restarted: the meeting 'crash_test' goes on")
                        assert "lines recovered from its journal" in announced
                        restarts_announced += 1
                    if round_number == KILLS:
                        break
                    # Lines the bot must keep: every line before a reply of the bot is acknowledged.
                    batch = [f"round {round_number} line {i}" for i in range(rng.randint(1, 20))]
                    for text in batch:
                        alice.say(CHANNEL, text)
                    sent.extend(batch)
                    alice.say(CHANNEL, f"#showvote {round_number}")
                    await said(alice, "alice: there is no vote in progress")
                    acknowledged.extend(batch)
                    # Then more lines, and the kill lands somewhere among them (maybe before they arrive).
                    tail = [f"round {round_number} tail {i}" for i in range(rng.randint(0, 30))]
                    for text in tail:
                        alice.say(CHANNEL, text)
                        if rng.random() < 0.2:
                            await asyncio.sleep(rng.random() * 0.02)
                    sent.extend(tail)
                    await asyncio.sleep(rng.random() * 0.1)
                finally:
                    if round_number < KILLS:
                        os.killpg(bot.pid, signal.SIGKILL)
                        bot.wait(10)
            alice.say(CHANNEL, "#endmeeting")
            await said(alice, "Log:            ", timeout=20)
            bot.send_signal(signal.SIGTERM)
            bot.wait(10)

    try:
        asyncio.run(scenario())
    finally:
        for leftover in (tmp_path / "journal").glob("*.journal"):
            print("journal left:", leftover)
        show_bot_log(bot_log)
    print(f"sent {len(sent)}, acknowledged {len(acknowledged)}")
    assert restarts_announced == KILLS
    (log,) = (tmp_path / "out").rglob("*.log.txt")
    said_lines = [line.split("> ", 1)[1] for line in log.read_text(encoding="utf-8").split("\n") if "<alice> " in line]
    kept = [text for text in said_lines if text.startswith("round ")]
    missing = [text for text in acknowledged if text not in kept]
    assert missing == [], f"acknowledged lines lost: {missing[:5]}"
    assert kept == [text for text in sent if text in kept]  # in order, no duplicates, nothing invented
    assert len(kept) == len(set(kept))
    print(f"kept {len(kept)}")
    assert not list((tmp_path / "journal").glob("*.journal"))  # the ended meeting's journal is gone
