"""Edits, redactions, replies and threads on a real Synapse, end to end into the files."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gavel.app.config import load_config
from gavel.app.replay import ReplayOptions, replay_file
from homeserver import Synapse
from live_support import running_bot
from test_matrix_live import User, wait_for_bot, wait_until, write_config


async def send(user: User, room_id: str, content: dict[str, Any]) -> str:
    path = f"/_matrix/client/v3/rooms/{quote(room_id)}/send/m.room.message/{secrets.token_hex(8)}"
    event_id: str = (await user.call("PUT", path, content))["event_id"]
    return event_id


async def text(user: User, room_id: str, body: str, **extra: Any) -> str:
    return await send(user, room_id, {"msgtype": "m.text", "body": body, **extra})


async def edit(user: User, room_id: str, target: str, body: str) -> str:
    return await send(
        user,
        room_id,
        {
            "msgtype": "m.text",
            "body": "* " + body,
            "m.new_content": {"msgtype": "m.text", "body": body},
            "m.relates_to": {"rel_type": "m.replace", "event_id": target},
        },
    )


def test_edits_redactions_replies_and_threads_in_a_matrix_room(synapse: Synapse, tmp_path: Path) -> None:
    bot_token = synapse.register("meetbot")

    async def scenario() -> None:
        alice = User(synapse, "alice" + secrets.token_hex(2))
        bob = User(synapse, "bob" + secrets.token_hex(2))
        bob_id = synapse.user_id(bob.name)
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        await bob.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
        config = load_config(write_config(tmp_path, synapse, room_id), environ={"GAVEL_TEST_MATRIX_TOKEN": bot_token})
        async with running_bot(config):
            await wait_for_bot(synapse, alice, room_id)
            await text(alice, room_id, "#startmeeting amendments")
            typo = await text(bob, room_id, "#info the relase is friday")
            await edit(bob, room_id, typo, "#info the release is friday")
            await edit(alice, room_id, typo, "#info alice rewrites bob")  # not hers: ignored
            secret = await text(alice, room_id, "#info the password is hunter2")
            path = f"/_matrix/client/v3/rooms/{quote(room_id)}/redact/{quote(secret)}/{secrets.token_hex(8)}"
            await alice.call("PUT", path, {"reason": "oops"})
            question = await text(alice, room_id, "who takes the release?")
            reply = {"m.relates_to": {"m.in_reply_to": {"event_id": question}}}
            await text(bob, room_id, f"> <{alice.name}> who takes the release?\n\n#action bob takes it", **reply)
            thread = {"m.relates_to": {"rel_type": "m.thread", "event_id": question, "is_falling_back": True}}
            await text(bob, room_id, "in the thread", **thread)
            notes = await text(alice, room_id, "#action write the notes")
            new = {"msgtype": "m.text", "body": "#action write the notes today", "m.mentions": {"user_ids": [bob_id]}}
            relates = {"rel_type": "m.replace", "event_id": notes}
            await send(
                alice, room_id, {"msgtype": "m.text", "body": "* x", "m.new_content": new, "m.relates_to": relates}
            )
            await text(alice, room_id, "#endmeeting")
            await wait_until(lambda: list((tmp_path / "out").rglob("*.json")))
        (minutes_path,) = (tmp_path / "out").rglob("*.json")
        minutes = json.loads(minutes_path.read_text(encoding="utf-8"))
        assert [(i["kind"], i["text"]) for i in minutes["items"]] == [
            ("info", "the release is friday"),
            ("action", "bob takes it"),
            ("action", "write the notes today"),
        ]
        # The edit named bob by reference (m.mentions of its new content): the action is his.
        assert minutes["actions_by_person"][bob.name] == ["write the notes today"]
        stem = minutes_path.name.removesuffix(".json")
        files = {p.name[len(stem) :]: p.read_text(encoding="utf-8") for p in minutes_path.parent.glob(stem + ".*")}
        assert all("hunter2" not in body for body in files.values())
        log = [line[len("00:00:00 ") :] for line in files[".log.txt"].split("\n")]  # the bot's lines come between

        def number(line: str) -> int:
            return log.index(line) + 1

        typo_line = number(f"<{bob.name}> #info the relase is friday")  # the raw log keeps the original
        assert f"-!- {bob.name} (edited line {typo_line}): #info the release is friday" in log
        secret_line = number(f"<{alice.name}> [redacted]")
        assert f"-!- {alice.name} redacted line {secret_line}" in log
        assert f"<{bob.name}> #action bob takes it" in log  # the quoted fallback is gone
        question_line = number(f"<{alice.name}> who takes the release?")
        html = files[".log.html"]
        assert f'<a class="rel" href="#l-{question_line}">(reply to line {question_line})</a>' in html
        assert f'<a class="rel" href="#l-{question_line}">(in the thread of line {question_line})</a>' in html
        assert "alice rewrites bob" not in html

        # gavel replay of the log the bot wrote applies the edits and the redaction again: the same items (the owner
        # named only by m.mentions is not in the log), and the same logs.
        options = ReplayOptions(output_dir=tmp_path / "replayed", channel=minutes["meeting"]["channel"])
        log_path = minutes_path.with_name(stem + ".log.txt")
        [written] = replay_file(log_path, options).meetings
        again = {p.name[len(stem) :]: p.read_text(encoding="utf-8") for p in written.paths}
        assert [(i["kind"], i["text"]) for i in json.loads(again[".json"])["items"]] == [
            (i["kind"], i["text"]) for i in minutes["items"]
        ]
        assert again[".log.txt"] == files[".log.txt"]

    asyncio.run(scenario())


def test_power_level_chairs_on_synapse_follow_changes_during_the_meeting(synapse: Synapse, tmp_path: Path) -> None:
    bot_token = synapse.register("meetbot")

    async def scenario() -> None:
        alice = User(synapse, "alice" + secrets.token_hex(2))
        bob = User(synapse, "bob" + secrets.token_hex(2))
        carol = User(synapse, "carol" + secrets.token_hex(2))
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        for user in (bob, carol):
            await user.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
        levels_path = f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.power_levels/"

        async def set_level(user: User, level: int) -> None:
            levels = await alice.call("GET", levels_path)
            levels["users"][synapse.user_id(user.name)] = level
            await alice.call("PUT", levels_path, levels)

        await set_level(carol, 50)
        member_path = f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.member/"
        await carol.call(
            "PUT", member_path + quote(synapse.user_id(carol.name)), {"membership": "join", "displayname": "Carol Ann"}
        )
        path = write_config(tmp_path, synapse, room_id)
        path.write_text(path.read_text(encoding="utf-8") + "power_level_chairs = 50\n", encoding="utf-8")
        config = load_config(path, environ={"GAVEL_TEST_MATRIX_TOKEN": bot_token})
        async with running_bot(config):
            await wait_for_bot(synapse, alice, room_id)
            await text(alice, room_id, "#startmeeting power")
            await text(carol, room_id, "#agreed carol decides as a moderator")
            await text(bob, room_id, "#agreed bob may not")
            await set_level(carol, 0)
            await text(carol, room_id, "#agreed carol no longer")
            await set_level(bob, 100)
            await text(bob, room_id, "#agreed bob now may")
            await text(alice, room_id, "#endmeeting")
            await wait_until(lambda: list((tmp_path / "out").rglob("*.json")))
        (minutes_path,) = (tmp_path / "out").rglob("*.json")
        minutes = json.loads(minutes_path.read_text(encoding="utf-8"))
        assert [(i["kind"], i["text"]) for i in minutes["items"]] == [
            ("agreed", "carol decides as a moderator"),
            ("agreed", "bob now may"),
        ]
        # Chairs at the end: the starter, and bob by power level; carol was demoted.
        assert minutes["meeting"]["chairs"] == sorted([alice.name, bob.name], key=lambda nick: (nick.lower(), nick))
        # The log names the chairs by power level as they change, so a replay of it gives the same minutes.
        stem = minutes_path.name.removesuffix(".json")
        log = minutes_path.with_name(stem + ".log.txt")
        told = [
            line[len("00:00:00 ") :] for line in log.read_text(encoding="utf-8").split("\n") if "power level" in line
        ]
        assert told == [
            "-!- chairs by power level: <Carol Ann>",
            "-!- chairs by power level: none",
            f"-!- chairs by power level: <{bob.name}>",
        ], told
        options = ReplayOptions(output_dir=tmp_path / "replayed", channel=minutes["meeting"]["channel"])
        [written] = replay_file(log, options).meetings
        again = {p.name[len(stem) :]: p.read_text(encoding="utf-8") for p in written.paths}
        replayed = json.loads(again[".json"])
        assert replayed["items"] == minutes["items"]
        assert replayed["meeting"]["chairs"] == minutes["meeting"]["chairs"]
        assert again[".log.txt"] == log.read_text(encoding="utf-8")

    asyncio.run(scenario())
