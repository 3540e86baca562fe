"""A timebox on a real IRC server (InspIRCd): the live bot warns at 80% and when the time is up.

The bot ticks every ``tick_seconds`` (0.2 here); its clock is the real one plus an offset the test moves forward,
so a one-minute timebox runs out in a second of real time. Messages keep the server's times.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from irc_client import connected, privmsg
from ircd import Ircd
from live_support import CHANNEL, bot_in_channel, config_for, minutes_json, running_bot, said


class MovableClock:
    """The real time plus ``offset``."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def test_a_timebox_warns_at_80_percent_and_when_time_is_up(ircd: Ircd, tmp_path: Path) -> None:
    clock = MovableClock()

    async def scenario() -> None:
        async with connected(ircd.host, ircd.port, "alice", "bob") as (alice, bob):
            await alice.join(CHANNEL)
            await bob.join(CHANNEL)
            async with running_bot(config_for(ircd, tmp_path, tick_seconds=0.2), clock=clock):
                await bot_in_channel(alice)
                alice.say(CHANNEL, "#startmeeting timeboxed")
                await said(bob, "The meeting name has been set")
                alice.say(CHANNEL, "#topic Budget")
                alice.say(CHANNEL, "#timebox 1")
                assert await said(bob, "Timebox for") == "Timebox for Budget: 1 minute (1 minute left)."
                mark = bob.mark()
                await asyncio.sleep(1.0)  # five ticks, all before 80% of the minute
                assert bob.received(privmsg(CHANNEL, nick="gavel"), since=mark) == []

                clock.offset = timedelta(seconds=50)  # 80% (48 s) is past
                started = time.monotonic()
                assert await said(bob, "1 minute left", timeout=5) == "1 minute left for Budget"
                assert time.monotonic() - started < 2  # at the next tick, not at the old 30 s
                clock.offset = timedelta(seconds=61)
                assert await said(bob, "Time is up", timeout=5) == "Time is up for Budget."
                mark = bob.mark()
                clock.offset = timedelta(seconds=120)
                await asyncio.sleep(1.0)  # each warning once
                assert bob.received(privmsg(CHANNEL, nick="gavel"), since=mark) == []

                alice.say(CHANNEL, "#endmeeting")
                await said(bob, "Minutes:        ")
        [topic] = minutes_json(tmp_path)["topics"]
        assert (topic["title"], topic["timebox_minutes"]) == ("Budget", 1)
        assert 0 <= topic["minutes_spent"] < 1  # the messages' times are the server's
        log = next((tmp_path / "out").rglob("*.log.txt")).read_text(encoding="utf-8")
        assert "<gavel> 1 minute left for Budget" in log and "<gavel> Time is up for Budget." in log

    asyncio.run(scenario())
