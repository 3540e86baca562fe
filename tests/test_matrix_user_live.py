"""A room that moves from maubot-meetings, as its members would use it, on a real Synapse: maubot's spellings, a
pasted block of commands, an edited command, a redaction, a huge message, broken HTML; then ``gavel replay
--maubot-spellings`` of the log the bot wrote gives the same minutes and logs. And an encrypted room is refused."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from pathlib import Path
from urllib.parse import quote

import pytest

from gavel.app.config import load_config
from gavel.app.replay import ReplayOptions, replay_file
from homeserver import Synapse
from live_support import running_bot
from test_matrix_amend_live import edit, text
from test_matrix_live import User, wait_for_bot, wait_until, write_config


def test_a_maubot_room_meets_and_its_log_replays_to_the_same_outputs(synapse: Synapse, tmp_path: Path) -> None:
    bot_token = synapse.register("meetbot")

    async def scenario() -> None:
        alice = User(synapse, "alice" + secrets.token_hex(2))
        bob = User(synapse, "bob" + secrets.token_hex(2))
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}))["room_id"]
        await bob.call("POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
        config = load_config(write_config(tmp_path, synapse, room_id), environ={"GAVEL_TEST_MATRIX_TOKEN": bot_token})
        async with running_bot(config):
            await wait_for_bot(synapse, alice, room_id)
            await text(alice, room_id, "!sm weekly sync")
            await text(alice, room_id, "!t the release")
            await text(bob, room_id, "^info the build is green\n^idea ship on friday\njust chat\n^action bob tags it")
            typo = await text(bob, room_id, "^ifno the notes are up")
            await edit(bob, room_id, typo, "^info the notes are up")
            secret = await text(alice, room_id, "^info the token is hunter2")
            redact = f"/_matrix/client/v3/rooms/{quote(room_id)}/redact/{quote(secret)}/{secrets.token_hex(8)}"
            await alice.call("PUT", redact, {"reason": "secret"})
            html = "<b>bold <i>unclosed <script>alert(1)</script> <a href='https://matrix.to/#/@nobody:x'>x"
            await text(
                alice, room_id, "^agreed <b>tags</b> are fine", format="org.matrix.custom.html", formatted_body=html
            )
            await text(bob, room_id, "^link https://example.org/" + "x" * 60_000)  # (Synapse takes events up to 64 KiB)
            await text(alice, room_id, "^halp")
            await text(alice, room_id, "!em")
            await wait_until(lambda: list((tmp_path / "out").rglob("*.json")))
        (minutes_path,) = (tmp_path / "out").rglob("*.json")
        minutes = json.loads(minutes_path.read_text(encoding="utf-8"))
        assert minutes["meeting"]["name"] == "weekly_sync"
        items = [(item["kind"], item["text"][:40]) for item in minutes["items"]]
        assert items == [
            ("topic", "the release"),
            ("info", "the build is green"),
            ("idea", "ship on friday"),
            ("action", "bob tags it"),
            ("info", "the notes are up"),
            ("agreed", "<b>tags</b> are fine"),  # the plain body, as text
            ("link", "https://example.org/" + "x" * 20),
        ]
        stem = minutes_path.name.removesuffix(".json")
        files = {p.name[len(stem) :]: p.read_text(encoding="utf-8") for p in minutes_path.parent.glob(stem + ".*")}
        assert all("hunter2" not in body and "<script>" not in body for body in files.values())
        assert "&lt;b&gt;tags&lt;/b&gt;" in files[".html"]
        options = ReplayOptions(
            output_dir=tmp_path / "replayed",
            channel=minutes["meeting"]["channel"],
            url_base="https://meetings.example.org/",  # as the bot's configuration says
            maubot_spellings=True,
        )
        result = replay_file(minutes_path.with_name(stem + ".log.txt"), options)
        [written] = result.meetings
        again = {p.name[len(stem) :]: p.read_text(encoding="utf-8") for p in written.paths}
        for extension in (".txt", ".md", ".log.txt", ".log.html"):
            assert again[extension] == files[extension], extension
        assert json.loads(again[".json"])["items"] == minutes["items"]

    asyncio.run(scenario())


def test_an_encrypted_room_is_refused_with_a_clear_message(
    synapse: Synapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot_token = synapse.register("meetbot")

    async def scenario() -> None:
        alice = User(synapse, "alice" + secrets.token_hex(2))
        encryption = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
        body = {"preset": "public_chat", "initial_state": [encryption]}
        room_id = (await alice.call("POST", "/_matrix/client/v3/createRoom", body))["room_id"]
        config = load_config(write_config(tmp_path, synapse, room_id), environ={"GAVEL_TEST_MATRIX_TOKEN": bot_token})
        with caplog.at_level(logging.INFO):
            async with running_bot(config):
                await wait_for_bot(synapse, alice, room_id)
                await text(alice, room_id, "#startmeeting in secret")  # (sent in the clear: the bot still refuses)
                await text(alice, room_id, "#endmeeting")
                await wait_until(lambda: "end-to-end encrypted" in caplog.text)
                await asyncio.sleep(1.0)

    asyncio.run(scenario())
    assert "is end-to-end encrypted: gavel cannot read it and records nothing there" in caplog.text
    assert not list((tmp_path / "out").rglob("*.json")) and not list((tmp_path / "journal").rglob("*.journal"))
