"""``gavel deliver`` sends what the live bot sent: the deliveries composed from the archive (agenda, attendance,
other nicks, corrections) are the bot's own, on both archive backends."""

from __future__ import annotations

import email
import email.policy
import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from gavel.app.config import Config, load_config
from gavel.app.deliver_again import compose_again, find_meeting
from gavel.app.delivery.outbox import DELIVERIES_DIR, Outbox
from gavel.app.delivery.record import Delivery
from gavel.app.live import LiveBot
from gavel.storage.archive import open_archive
from gavel.transports.irc.protocol import ChannelEvent
from gavel.transports.replay import ReplayReport, read_events
from render_support import AGENDA, K8S, TOOLS, Fixture

SHOWN = {
    AGENDA.basename: ("* 2. Bug triage (alice): skipped", "* 3. Travel budget (bob): done, 4.8 of 10 minutes"),
    K8S.basename: ("* ACTION: mspreitz to update the devrefs with examples",),
    TOOLS.basename: (
        "* Present: sdake_, alice, bob",
        "* Regrets: carol",
        "* sdake_ (8) (also sdake)",
        "* the release is on friday (corrected)",
    ),
}


def make_config(tmp_path: Path, archive_url: str, fixture: Fixture) -> Config:
    path = tmp_path / "gavel.toml"
    path.write_text(
        f"""
[bot]
nick = "{fixture.bot_nick}"
output_dir = "{tmp_path / "out"}"
journal_dir = "{tmp_path / "journal"}"
url_base = "https://m.example.org/"
archive = "{archive_url}"

[[networks]]
name = "test"
host = "127.0.0.1"
port = 6667
tls = false
channels = ["{fixture.channel}"]

[mail]
host = "127.0.0.1"
port = 2525
from = "gavel <meetbot@example.org>"

[[deliver]]
mail_to = ["discuss@lists.example.org"]
webhook = "http://127.0.0.1:9/hook"
webhook_secret_env = "HOOK_SECRET"
""",
        encoding="utf-8",
    )
    return load_config(path, {"HOOK_SECRET": "secret"})


def live_deliveries(config: Config, fixture: Fixture) -> list[Delivery]:
    """The fixture's meeting said to a live bot (whose own lines it does not hear): what it put in its outbox."""
    bot = LiveBot(config)
    for connection in bot.connections.values():
        connection.say = lambda *args, **kwargs: None  # type: ignore[method-assign]
        connection.set_topic = lambda *args, **kwargs: True  # type: ignore[method-assign]
    with open(fixture.log, "rb") as stream:
        for event in read_events(stream, fixture.day, ReplayReport(str(fixture.log))):
            if getattr(event, "nick", None) != fixture.bot_nick:
                bot._on_output("test", ChannelEvent(fixture.channel, event))
    if bot.archive is not None:
        bot.archive.close()
    return sorted(Outbox(config.bot.journal_dir / DELIVERIES_DIR).pending(), key=lambda d: d.name)


def text_minutes(mail: str) -> str:
    message = email.message_from_string(mail, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.mark.parametrize("fixture", [AGENDA, TOOLS, K8S], ids=lambda fixture: fixture.basename)
def test_a_meeting_delivered_again_is_the_meeting_delivered(tmp_path: Path, archive_url: str, fixture: Fixture) -> None:
    config = make_config(tmp_path, archive_url, fixture)
    sent = live_deliveries(config, fixture)
    assert [delivery.kind for delivery in sent] == ["mail", "webhook"]
    with open_archive(archive_url) as archive:
        stored = find_meeting(archive, fixture.basename)
    again = sorted(compose_again(config, stored), key=lambda d: d.name)
    live_text, again_text = text_minutes(sent[0].body), text_minutes(again[0].body)
    for shown in SHOWN[fixture.basename]:  # the agenda, attendance, other nicks, corrections are in the mail
        assert shown in again_text
    assert again_text == live_text
    assert json.loads(again[1].body) == json.loads(sent[1].body)
    assert again == sent  # the whole mail (headers, HTML part) and webhook body, byte for byte
