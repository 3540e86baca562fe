"""The live bot on a real IRC server (InspIRCd), with real scripted users."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from gavel.app.replay import ReplayOptions, replay_file
from irc_client import connected, line_matches, privmsg
from ircd import Ircd
from live_support import CHANNEL, bot_in_channel, config_for, minutes_json, running_bot, said

FIXTURE = Path(__file__).parent / "data" / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
_LINE = re.compile(r"\d\d:\d\d:\d\d (?:<([^>]+)> (.*)|\* (\S+) (.*))\Z")


def test_a_meeting_over_tls(ircd: Ircd, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with connected(ircd.host, ircd.port, "alice", "bob") as (alice, bob):
            await alice.join(CHANNEL)
            await bob.join(CHANNEL)
            async with running_bot(config_for(ircd, tmp_path)):
                await bot_in_channel(alice)
                alice.send_line("MODE", CHANNEL, "+o", "gavel")  # with ops, #topic also sets the channel topic
                await bob.wait_for(line_matches("MODE", CHANNEL), timeout=5)
                alice.say(CHANNEL, "#startmeeting Weekly Sync")
                assert "The chair is alice." in await said(bob, "Meeting started")
                assert (
                    await said(bob, "The meeting name has been set") == "The meeting name has been set to 'weekly_sync'"
                )
                bob.say(CHANNEL, "#topic bob's topic")
                assert await said(alice, "bob:") == "bob: only chairs can set the topic."
                alice.say(CHANNEL, "#topic first")
                await bob.wait_for(line_matches("TOPIC", CHANNEL), timeout=5)  # the bot has ops: it set the topic
                alice.say(CHANNEL, "#info everything is fine")
                await alice.change_nick("alice_")  # a chair who changes nick stays chair
                alice.say(CHANNEL, "#topic second")
                alice.say(CHANNEL, "#action bob writes the notes")
                alice.say(CHANNEL, "#endmeeting")
                url = await said(bob, "Minutes:        ")
                assert url.endswith(".html") and "https://meetings.example.org/weekly_sync/" in url
                await said(bob, "Log:            ")
        data = minutes_json(tmp_path)
        assert [(i["kind"], i["text"]) for i in data["items"]] == [
            ("topic", "first"),
            ("info", "everything is fine"),
            ("topic", "second"),
            ("action", "bob writes the notes"),
        ]
        assert data["actions_by_person"] == {"bob": ["bob writes the notes"]}
        assert data["meeting"]["owner"] == "alice_" and data["meeting"]["channel"] == CHANNEL
        log = next((tmp_path / "out").rglob("*.log.txt")).read_text(encoding="utf-8")
        assert "-!- alice is now known as alice_" in log
        assert "<gavel> Meeting started" in log and "<bob> #topic bob's topic" in log

    asyncio.run(scenario())


def _fixture_lines() -> list[tuple[str, str, bool]]:
    """(nick, text, is_action) of every fixture line not said by the old bot."""
    lines = []
    for raw in FIXTURE.read_text(encoding="utf-8").split("\n"):
        match = _LINE.match(raw)
        assert match is not None, raw
        nick, text, actor, action = match.groups()
        if (nick or actor) != "openstack":
            lines.append((nick or actor, text if nick else action, nick is None))
    return lines


def test_the_fixture_meeting_live_gives_the_replayed_minutes(ircd: Ircd, tmp_path: Path) -> None:
    """Scripted users say every line of the recorded meeting; the minutes match `gavel replay` of the log."""
    lines = _fixture_lines()
    nicks = sorted({nick for nick, _, _ in lines})

    async def scenario() -> None:
        async with connected(ircd.host, ircd.port, "observer", *nicks) as users:
            observer, by_nick = users[0], {user.nick: user for user in users[1:]}
            for user in users:
                await user.join(CHANNEL)
            async with running_bot(config_for(ircd, tmp_path / "live")):
                await bot_in_channel(observer)
                for nick, text, action in lines:
                    mark = observer.mark()
                    if action:
                        by_nick[nick].action(CHANNEL, text)
                        body = f"\x01ACTION {text}\x01"
                    else:
                        by_nick[nick].say(CHANNEL, text)
                        body = text
                    await observer.wait_for(privmsg(CHANNEL, body, nick=nick), since=mark, timeout=5)
                await said(observer, "Log:            ")

    asyncio.run(scenario())
    replayed = replay_file(FIXTURE, ReplayOptions(output_dir=tmp_path / "replay" / "out"))
    assert replayed.error is None
    live = minutes_json(tmp_path / "live")
    replay = minutes_json(tmp_path / "replay")

    def comparable(data: dict[str, object]) -> dict[str, object]:
        items = [(i["kind"], i["text"], i["nick"], i["topic"]) for i in data["items"]]  # type: ignore[attr-defined]
        return {
            "items": items,
            "actions_by_person": data["actions_by_person"],
            "unassigned": data["unassigned_actions"],
            "people": data["people"],
            "title": data["meeting"]["title"],  # type: ignore[index]
            "name": data["meeting"]["name"],  # type: ignore[index]
            "owner": data["meeting"]["owner"],  # type: ignore[index]
        }

    assert comparable(live) == comparable(replay)
    assert len(live["items"]) == 6 and live["actions_by_person"] == {
        "mspreitz": ["mspreitz to update the devrefs with examples"]
    }


def test_the_bot_reconnects_when_the_server_restarts(ircd: Ircd, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_bot(config_for(ircd, tmp_path)) as bot:
            async with connected(ircd.host, ircd.port, "carol") as (carol,):
                await carol.join(CHANNEL)
                await bot_in_channel(carol)
                carol.say(CHANNEL, "#startmeeting restart test")
                await said(carol, "The meeting name has been set")
                carol.say(CHANNEL, "#info before the restart")
                # The bot answers carol's next line only after it has handled the #info: then the server may go.
                carol.say(CHANNEL, "#commands")
                await said(carol, "Available commands: ")
            ircd.restart()
            connection = bot.connections["test"]
            async with connected(ircd.host, ircd.port, "carol") as (carol,):
                await carol.join(CHANNEL)
                await bot_in_channel(carol, timeout=15)
                carol.say(CHANNEL, "#info after the restart")
                carol.say(CHANNEL, "#endmeeting")
                await said(carol, "Log:            ")
            assert connection.connected.is_set()

    asyncio.run(scenario())
    data = minutes_json(tmp_path)
    assert [i["text"] for i in data["items"]] == ["before the restart", "after the restart"]
