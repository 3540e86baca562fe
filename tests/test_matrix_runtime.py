"""Matrix rooms in the live runtime, without a homeserver: names, nicks and routing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gavel.app.config import load_config
from gavel.app.live import LiveBot
from gavel.core.events import Message
from gavel.transports.matrix.connection import MatrixConnection
from gavel.transports.outputs import ChannelEvent

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def matrix_bot(tmp_path: Path) -> LiveBot:
    path = tmp_path / "gavel.toml"
    path.write_text(
        f"""
[bot]
nick = "meetbot"
output_dir = "{tmp_path / "out"}"
journal_dir = "{tmp_path / "journal"}"

[[matrix]]
name = "m"
homeserver = "https://matrix.example.org"
user_id = "@meetbot:example.org"
access_token_env = "TOKEN"
rooms = ["#weekly-sync:example.org", "!abc:example.org"]
""",
        encoding="utf-8",
    )
    return LiveBot(load_config(path, environ={"TOKEN": "secret"}))


def test_a_room_s_meeting_is_named_after_its_alias(tmp_path: Path) -> None:
    bot = matrix_bot(tmp_path)
    by_alias = bot.runtime("m", "#weekly-sync:example.org")
    assert by_alias is not None and by_alias.meeting.name == "weekly_sync"
    by_id = bot.runtime("m", "!abc:example.org")
    assert by_id is not None and by_id.meeting.name == "abc_example_org"  # nothing known of the room yet
    connection = bot.connections["m"]
    assert isinstance(connection, MatrixConnection)
    alias = {"type": "m.room.canonical_alias", "state_key": "", "content": {"alias": "#board:example.org"}}
    connection.client.receive_sync({"rooms": {"join": {"!abc:example.org": {"state": {"events": [alias]}}}}})
    by_id.renew_idle()
    assert by_id.meeting.name == "board"


def test_events_of_a_room_reach_the_runtime_configured_by_alias(tmp_path: Path) -> None:
    bot = matrix_bot(tmp_path)
    connection = bot.connections["m"]
    assert isinstance(connection, MatrixConnection)
    connection.room_ids["#weekly-sync:example.org"] = "!xyz:example.org"  # what joining the alias resolved
    connection.configured["!xyz:example.org"] = "#weekly-sync:example.org"
    sent: list[tuple[str, str]] = []
    connection.say = lambda room, text: sent.append((room, text))  # type: ignore[method-assign]
    bot._on_output("m", ChannelEvent("!xyz:example.org", Message(T0, "Alice", "!sm", "@alice:example.org")))  # maubot
    runtime = bot.runtime("m", "#weekly-sync:example.org")
    assert runtime is not None and runtime.meeting.name == "weekly_sync" and runtime.meeting.owner == "Alice"
    assert sent and sent[0][0] == "#weekly-sync:example.org" and sent[0][1].startswith("Meeting started")


def test_room_ids_with_and_without_a_server_are_taken_and_other_spellings_refused(tmp_path: Path) -> None:
    """Room version 12 ids name no server (``!abc``); Synapse creates such rooms by default."""
    import pytest

    from gavel.app.config.errors import ConfigError

    def rooms(*names: str) -> None:
        path = tmp_path / "rooms.toml"
        listed = ", ".join(f'"{name}"' for name in names)
        path.write_text(
            f'[bot]\nnick = "b"\noutput_dir = "{tmp_path / "o"}"\njournal_dir = "{tmp_path / "j"}"\n'
            f'[[matrix]]\nname = "m"\nhomeserver = "https://m.example.org"\nuser_id = "@b:example.org"\n'
            f'access_token_env = "TOKEN"\nrooms = [{listed}]\n',
            encoding="utf-8",
        )
        load_config(path, environ={"TOKEN": "t"})

    rooms("!2EUNbsXhRcHEmcz8s_jVHFnGYLQ21wEyboz6qIlX-vc", "!abc:example.org", "#a:example.org")
    for bad in ("#no-server", "!a b", "room:example.org", "!"):
        with pytest.raises(ConfigError, match="must be a room alias"):
            rooms(bad)


def test_the_sync_position_is_saved_after_the_journals_and_never_on_the_way_to_a_reply(tmp_path: Path) -> None:
    """A sync's position is only noted when its events went through (a save is two fsyncs, which would hold up the
    replies that sync asked for); it is saved with the next ``save_sync_positions`` (the bot's loop, every second,
    and at its end), after the journals were made durable."""
    bot = matrix_bot(tmp_path)
    connection = bot.connections["m"]
    assert isinstance(connection, MatrixConnection) and connection.checkpoint is not None
    connection.say = lambda room, text: None  # type: ignore[method-assign]
    position = tmp_path / "journal" / "matrix-m.sync"
    bot._on_output("m", ChannelEvent("!abc:example.org", Message(T0, "Alice", "#startmeeting", "@alice:example.org")))
    bot._on_output("m", ChannelEvent("!abc:example.org", Message(T0, "Alice", "a chat line", "@alice:example.org")))
    runtime = bot.runtime("m", "!abc:example.org")
    assert runtime is not None and runtime.executor.journal is not None and runtime.executor.journal.dirty
    connection.checkpoint("s1_token\n{}")
    assert not position.exists()  # not yet: the replies go out first
    bot.save_sync_positions()
    assert position.read_text(encoding="ascii") == "s1_token\n{}\n"
    assert not runtime.executor.journal.dirty  # the journal was made durable (before the position)
    bot.save_sync_positions()  # nothing new: nothing written
    assert position.read_text(encoding="ascii") == "s1_token\n{}\n"


def test_no_position_is_saved_past_events_that_missed_their_journal(tmp_path: Path) -> None:
    """A channel whose recording failed holds its account's position back (kept for later); so does a stopping
    bot, whose syncs' events no longer reach the journals."""
    bot = matrix_bot(tmp_path)
    connection = bot.connections["m"]
    assert isinstance(connection, MatrixConnection) and connection.checkpoint is not None
    position = tmp_path / "journal" / "matrix-m.sync"
    runtime = bot.runtime("m", "#weekly-sync:example.org")
    assert runtime is not None
    runtime.failed = True
    connection.checkpoint("s1_token\n{}")
    bot.save_sync_positions()
    assert not position.exists()
    runtime.failed = False
    bot.save_sync_positions()  # (kept: saved once nothing holds it back)
    assert position.read_text(encoding="ascii") == "s1_token\n{}\n"
    bot.stopping = True
    connection.checkpoint("s2_token\n{}")
    bot.save_sync_positions()
    assert position.read_text(encoding="ascii") == "s1_token\n{}\n"
