"""Delivery from the live bot: mail to a real SMTP server and a signed webhook POST, both on loopback, through the
outbox (servers down then up, restricted meetings, a crash between persisting and sending)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from delivery_support import Hook, eventually, free_port, smtp_server
from gavel.app.config import Config, load_config
from gavel.app.delivery.outbox import DELIVERIES_DIR
from gavel.app.live import LiveBot
from gavel.core.events import Message
from gavel.transports.irc.protocol import ChannelEvent

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
SECRET = "s3cret-for-tests"


def make_config(tmp_path: Path, smtp_port: int, hook_port: int, series: str = "") -> Config:
    path = tmp_path / "gavel.toml"
    path.write_text(
        f"""
[bot]
nick = "gavel"
output_dir = "{tmp_path / "out"}"
journal_dir = "{tmp_path / "journal"}"
url_base = "https://m.example.org/"

[[networks]]
name = "test"
host = "127.0.0.1"
port = 6667
tls = false
channels = ["#meet"]

[mail]
host = "127.0.0.1"
port = {smtp_port}
from = "gavel <meetbot@example.org>"

[[deliver]]
{series}
mail_to = ["discuss@lists.example.org"]
webhook = "http://127.0.0.1:{hook_port}/hook"
webhook_secret_env = "HOOK_SECRET"
""",
        encoding="utf-8",
    )
    return load_config(path, {"HOOK_SECRET": SECRET})


def quiet_bot(config: Config) -> LiveBot:
    """A bot whose connections send nothing; its courier retries fast (first after 50 ms, at most every 200 ms)."""
    bot = LiveBot(config, clock=lambda: T0)
    for connection in bot.connections.values():
        connection.say = lambda *args, **kwargs: None  # type: ignore[method-assign]
        connection.set_topic = lambda *args, **kwargs: True  # type: ignore[method-assign]
    assert bot.courier is not None
    bot.courier.first_retry, bot.courier.max_retry = 0.05, 0.2
    return bot


def meeting(bot: LiveBot, *extra: str) -> None:
    lines = ["#startmeeting kolla", *extra, "#info the delivery works", "#endmeeting"]
    for second, text in enumerate(lines):
        bot._on_output("test", ChannelEvent("#meet", Message(T0 + timedelta(seconds=second), "alice", text)))


def outbox(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "journal" / DELIVERIES_DIR).glob("*.delivery"))


def run(tmp_path: Path, scenario: Callable[[int, int], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(free_port(), free_port()), 30))


def test_an_ended_meeting_is_mailed_and_posted_once_signed_with_its_id(tmp_path: Path) -> None:
    async def scenario(smtp_port: int, hook_port: int) -> None:
        controller, box = smtp_server(smtp_port)
        hook = Hook(SECRET, hook_port)
        controller.start()
        await hook.start()
        try:
            bot = quiet_bot(make_config(tmp_path, smtp_port, hook_port))
            assert bot.courier is not None
            bot.courier.start()
            meeting(bot)
            await eventually(lambda: box.messages and hook.documents and not outbox(tmp_path))
            await bot.courier.idle()
        finally:
            controller.stop()
            await hook.stop()
        [(recipients, message)] = box.messages
        [document] = hook.documents
        assert recipients == ["discuss@lists.example.org"]
        meeting_id = document["meeting_id"]
        assert document["minutes"]["meeting"]["id"] == meeting_id
        assert document["urls"]["log.html"].startswith("https://m.example.org/kolla/2026/kolla.2026-03-04-10.00")
        assert message["X-Gavel-Meeting"] == meeting_id
        assert message["Message-ID"] == f"<gavel.{meeting_id}.0@example.org>"
        assert message["Subject"] == "kolla meeting minutes, 2026-03-04"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert text is not None and html is not None
        assert "Full log: https://m.example.org/kolla/2026/kolla.2026-03-04-10.00.log.html" in text.get_content()
        assert "the delivery works" in text.get_content()
        assert 'href="https://m.example.org/kolla/2026/kolla.2026-03-04-10.00.log.html"' in html.get_content()
        assert hook.rejected == 0

    run(tmp_path, scenario)


def test_receivers_down_for_a_while_get_the_minutes_once_they_are_up(tmp_path: Path) -> None:
    async def scenario(smtp_port: int, hook_port: int) -> None:
        bot = quiet_bot(make_config(tmp_path, smtp_port, hook_port))
        assert bot.courier is not None
        bot.courier.start()
        meeting(bot)
        await asyncio.sleep(0.5)  # several attempts fail meanwhile: both servers are down
        assert len(outbox(tmp_path)) == 2
        assert bot.courier.delivered == 0
        controller, box = smtp_server(smtp_port)
        hook = Hook(SECRET, hook_port)
        controller.start()
        await hook.start()
        try:
            await eventually(lambda: not outbox(tmp_path))
            await bot.courier.idle()
            await asyncio.sleep(0.3)  # no repeat comes after the success
        finally:
            controller.stop()
            await hook.stop()
        assert len(box.messages) == 1
        assert len(hook.documents) == 1
        assert bot.courier.delivered == 2

    run(tmp_path, scenario)


def test_a_restricted_meeting_is_never_mailed_nor_posted(tmp_path: Path) -> None:
    async def scenario(smtp_port: int, hook_port: int) -> None:
        controller, box = smtp_server(smtp_port)
        hook = Hook(SECRET, hook_port)
        controller.start()
        await hook.start()
        try:
            bot = quiet_bot(make_config(tmp_path, smtp_port, hook_port))
            assert bot.courier is not None
            bot.courier.start()
            meeting(bot, "#restrictlogs")
            await asyncio.sleep(0.3)
        finally:
            controller.stop()
            await hook.stop()
        assert list((tmp_path / "out").rglob("*.log.html"))  # the meeting did end and was written
        assert outbox(tmp_path) == []
        assert box.messages == [] and hook.documents == []

    run(tmp_path, scenario)


def test_a_meeting_of_another_series_is_not_delivered(tmp_path: Path) -> None:
    async def scenario(smtp_port: int, hook_port: int) -> None:
        bot = quiet_bot(make_config(tmp_path, smtp_port, hook_port, series='series = ["nova"]'))
        meeting(bot)
        assert outbox(tmp_path) == []

    run(tmp_path, scenario)


def test_deliveries_are_persisted_before_the_journal_is_finished(tmp_path: Path) -> None:
    async def scenario(smtp_port: int, hook_port: int) -> None:
        bot = quiet_bot(make_config(tmp_path, smtp_port, hook_port))
        assert bot.courier is not None
        journals_when_put: list[int] = []
        put = bot.courier.put

        def watching(batch: object) -> None:
            put(batch)  # type: ignore[arg-type]
            journals_when_put.append(len(list((tmp_path / "journal").glob("*.journal"))))
            assert len(outbox(tmp_path)) == 2

        bot.courier.put = watching  # type: ignore[method-assign,assignment]
        meeting(bot)
        assert journals_when_put == [1]  # the journal was still there: a crash now ends the meeting again
        assert list((tmp_path / "journal").glob("*.journal")) == []

    run(tmp_path, scenario)


def test_a_crash_between_persisting_and_sending_is_sent_at_the_next_start(tmp_path: Path) -> None:
    async def first_life(smtp_port: int, hook_port: int) -> None:
        bot = quiet_bot(make_config(tmp_path, smtp_port, hook_port))
        meeting(bot)  # the courier never started: as if killed right after the outbox was written

    ports = (free_port(), free_port())
    asyncio.run(first_life(*ports))
    assert len(outbox(tmp_path)) == 2

    async def next_start() -> None:
        controller, box = smtp_server(ports[0])
        hook = Hook(SECRET, ports[1])
        controller.start()
        await hook.start()
        try:
            bot = quiet_bot(make_config(tmp_path, *ports))
            assert bot.courier is not None
            bot.courier.start()
            await eventually(lambda: not outbox(tmp_path))
            await bot.courier.idle()
        finally:
            controller.stop()
            await hook.stop()
        assert len(box.messages) == 1 and len(hook.documents) == 1
        assert box.messages[0][1]["X-Gavel-Meeting"] == hook.documents[0]["meeting_id"]

    asyncio.run(asyncio.wait_for(next_start(), 30))


def test_a_wrong_signature_is_refused_and_retried_not_dropped(tmp_path: Path) -> None:
    async def scenario(smtp_port: int, hook_port: int) -> None:
        hook = Hook("another secret", hook_port)
        await hook.start()
        try:
            bot = quiet_bot(make_config(tmp_path, smtp_port, hook_port))
            assert bot.courier is not None
            bot.courier.start()
            meeting(bot)
            await eventually(lambda: hook.rejected >= 2)
            await bot.courier.stop()
        finally:
            await hook.stop()
        assert hook.documents == []
        assert any(path.name.endswith(".webhook.delivery") for path in outbox(tmp_path))

    run(tmp_path, scenario)
