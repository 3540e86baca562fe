"""Identity on a real network with services: chairs by account, SASL for the bot, nick in use, CTCP."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gavel.app.config import load_config
from gavel.transports.irc.connection import IrcConnection
from irc_client import IrcUser, connected, line_matches
from ircd import Ircd
from live_support import CHANNEL, bot_in_channel, config_for, minutes_json, running_bot, said, write_config


def test_a_chair_who_reconnects_as_nick_underscore_stays_chair(ircd_services: Ircd, tmp_path: Path) -> None:
    """The classic MeetBot failure: the chair drops, comes back as ``nick_`` and can no longer set topics."""
    ircd = ircd_services

    async def scenario() -> None:
        await ircd.register_account("chairacct", "chair-password-1")
        await ircd.register_account("otheracct", "other-password-1")
        caps = ("account-tag", "extended-join")
        async with running_bot(config_for(ircd, tmp_path, tls=False)):
            observer = await IrcUser.connect(ircd.host, ircd.port, "watcher")
            async with observer:
                await observer.join(CHANNEL)
                await bot_in_channel(observer)
                chair = await IrcUser.connect(
                    ircd.host, ircd.port, "chairnick", caps=caps, sasl=("chairacct", "chair-password-1")
                )
                await chair.join(CHANNEL)
                chair.say(CHANNEL, "#startmeeting identity")
                await said(observer, "The meeting name has been set")
                chair.say(CHANNEL, "#topic before the drop")
                await observer.wait_for(line_matches("PRIVMSG", CHANNEL, "#topic before the drop"))
                await chair.quit()
                # Back under another nick, logged in to the same account: still a chair.
                back = await IrcUser.connect(
                    ircd.host, ircd.port, "chairnick_", caps=caps, sasl=("chairacct", "chair-password-1")
                )
                async with back:
                    await back.join(CHANNEL)
                    back.say(CHANNEL, "#topic after the drop")
                    # Someone else, logged in to another account, is not.
                    other = await IrcUser.connect(
                        ircd.host, ircd.port, "intruder", caps=caps, sasl=("otheracct", "other-password-1")
                    )
                    async with other:
                        await other.join(CHANNEL)
                        other.say(CHANNEL, "#topic hijack")
                        assert await said(observer, "intruder:") == "intruder: only chairs can set the topic."
                        # And a guest who merely takes a chair's old nick is not a chair either.
                        guest = await IrcUser.connect(ircd.host, ircd.port, "chairnick")
                        async with guest:
                            await guest.join(CHANNEL)
                            guest.say(CHANNEL, "#topic impostor")
                            assert await said(observer, "chairnick:") == "chairnick: only chairs can set the topic."
                    back.say(CHANNEL, "#endmeeting")
                    await said(observer, "Log:            ")

    asyncio.run(scenario())
    topics = [item["text"] for item in minutes_json(tmp_path)["items"] if item["kind"] == "topic"]
    assert topics == ["before the drop", "after the drop"]


def test_the_bot_takes_another_nick_when_its_own_is_taken(ircd: Ircd, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with connected(ircd.host, ircd.port, "gavel", "dana") as (squatter, dana):
            await dana.join(CHANNEL)
            async with running_bot(config_for(ircd, tmp_path)):
                await bot_in_channel(dana, nick="gavel_")
                dana.say(CHANNEL, "#startmeeting squatted")
                await said(dana, "Meeting started", nick="gavel_")
                dana.send_line("PRIVMSG", "gavel_", "\x01VERSION\x01")
                version = await dana.wait_for(line_matches("NOTICE", "dana"), timeout=5)
                assert version.params[-1].startswith("\x01VERSION gavel")
                dana.send_line("PRIVMSG", "gavel_", "\x01PING 42\x01")
                pong = await dana.wait_for(line_matches("NOTICE", "dana", "\x01PING 42\x01"), timeout=5)
                assert pong.hostmask.nickname == "gavel_"
                dana.say(CHANNEL, "#endmeeting")
                await said(dana, "Log:            ", nick="gavel_")
            assert squatter.nick == "gavel"

    asyncio.run(scenario())
    data = minutes_json(tmp_path)
    assert [person["nick"] for person in data["people"]] == ["dana"]  # the bot is not a person, whatever its nick


def test_the_bot_logs_in_with_sasl(ircd_services: Ircd, tmp_path: Path) -> None:
    ircd = ircd_services

    async def scenario() -> None:
        await ircd.register_account("gavelbot", "bot-password-1")
        config = write_config(ircd, tmp_path, tls=False)
        sasl = 'sasl_username = "gavelbot"\nsasl_password_env = "GAVEL_TEST_SASL"\n'
        config.write_text(config.read_text(encoding="utf-8") + sasl, encoding="utf-8")
        loaded = load_config(config, environ={"GAVEL_TEST_SASL": "bot-password-1"})
        async with running_bot(loaded) as bot, connected(ircd.host, ircd.port, "erin") as (erin,):
            await erin.join(CHANNEL)
            await bot_in_channel(erin)
            connection = bot.connections["test"]
            assert isinstance(connection, IrcConnection) and connection.client.sasl_done
            erin.send_line("WHOIS", "gavel")
            logged_in = await erin.wait_for(line_matches("330", "erin", "gavel"), timeout=5)  # RPL_WHOISACCOUNT
            assert logged_in.params[2] == "gavelbot"

    asyncio.run(scenario())
