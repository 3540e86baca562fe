"""A chair logged in before the bot joined, who never spoke: nobody can take over the chair with the nick.

Seen live with Anope before the one-path executor: the core learnt accounts only from events and message tags,
so a chair the bot had only seen in WHOX replies was a chair by nick, and whoever took the nick after the chair
dropped was a chair too; after a kill -9 and restart as well. Now WHOX and account-notify reach the core as
``AccountChange`` events, and the accounts the core knew at ``#startmeeting`` are journaled with the meeting.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from irc_client import IrcUser
from ircd import Ircd
from live_support import CHANNEL, bot_in_channel, minutes_json, said, write_config
from test_live_crash import show_bot_log, start_bot, stop_bot


@pytest.mark.parametrize("crash", [False, True], ids=["running", "after-kill-9"])
def test_a_logged_in_chair_who_never_spoke_cannot_be_impersonated(
    ircd_services: Ircd, tmp_path: Path, crash: bool
) -> None:
    ircd = ircd_services
    account = f"silentchair{int(crash)}"
    config = write_config(ircd, tmp_path, tls=False)
    bot_log = tmp_path / "bot.log"

    async def scenario() -> None:
        await ircd.register_account(account, "silent-password-1")
        chair = await IrcUser.connect(ircd.host, ircd.port, "chairnick", sasl=(account, "silent-password-1"))
        await chair.join(CHANNEL)  # in the channel, logged in, before the bot comes
        starter = await IrcUser.connect(ircd.host, ircd.port, "starter")
        async with starter:
            await starter.join(CHANNEL)
            bot = start_bot(config, bot_log)
            try:
                await bot_in_channel(starter, timeout=20)
                starter.say(CHANNEL, "#startmeeting accounts")
                await said(starter, "The meeting name has been set")
                starter.say(CHANNEL, "#chair chairnick")
                assert await said(starter, "Current chairs:") == "Current chairs: chairnick starter"
                if crash:
                    os.killpg(bot.pid, signal.SIGKILL)
                    bot.wait(10)
                await chair.quit()  # the chair drops (while the bot is down, in the crash case)
                if crash:
                    bot = start_bot(config, bot_log)
                    await said(starter, "gavel restarted: the meeting 'accounts' goes on", timeout=20)
                guest = await IrcUser.connect(ircd.host, ircd.port, "chairnick")  # not logged in
                async with guest:
                    await guest.join(CHANNEL)
                    guest.say(CHANNEL, "#topic impostor")
                    assert await said(starter, "chairnick:") == "chairnick: only chairs can set the topic."
                starter.say(CHANNEL, "#endmeeting")
                await said(starter, "Log:            ", timeout=20)
            finally:
                stop_bot(bot)

    try:
        asyncio.run(scenario())
    finally:
        show_bot_log(bot_log)
    items = minutes_json(tmp_path)["items"]
    assert [item["text"] for item in items if item["kind"] == "topic"] == []
