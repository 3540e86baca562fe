"""``gavel deliver MEETING``: an archived meeting's mail and webhook sent again through the outbox, to a real SMTP
server (aiosmtpd) and a webhook receiver on loopback; receivers down leave the deliveries in the outbox."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from click.testing import CliRunner, Result

from delivery_support import Hook, MailBox, free_port, smtp_server
from gavel.app.cli import main
from gavel.app.delivery.outbox import DELIVERIES_DIR, Outbox
from gavel.app.delivery.record import Delivery
from gavel.storage.archive import open_archive
from web_support import Stored, log, store_text

SECRET = "hook-secret-for-tests"
MEETING = log(
    "alice: #startmeeting kolla",
    "alice: #topic Release",
    "bob: #info the release is on track",
    "alice: #action bob to tag the release",
    "alice: #endmeeting",
)
HIDDEN = log("alice: #startmeeting kolla", "alice: #restrictlogs", "bob: secret", "alice: #endmeeting")
UNFINISHED = log("alice: #startmeeting kolla", "bob: we never end")


class Receivers:
    """aiosmtpd (its own thread) and the webhook receiver (an event loop in a thread), on free loopback ports."""

    def __init__(self) -> None:
        self.smtp_port, self.hook_port = free_port(), free_port()
        self.box = MailBox()
        self.hook = Hook(SECRET, self.hook_port)

    @contextmanager
    def running(self) -> Iterator[Receivers]:
        controller, self.box = smtp_server(self.smtp_port)
        controller.start()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.hook.start(), loop).result(10)
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.hook.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
            controller.stop()


def setup(tmp_path: Path, receivers: Receivers, *, archive: bool = True, series: str = "") -> Path:
    config = tmp_path / "gavel.toml"
    archive_line = f'archive = "sqlite://{tmp_path / "archive.db"}"' if archive else ""
    config.write_text(
        f"""
[bot]
nick = "gavel"
output_dir = "{tmp_path / "out"}"
journal_dir = "{tmp_path / "journal"}"
url_base = "https://m.example.org/"
{archive_line}

[[networks]]
name = "test"
host = "127.0.0.1"
port = 6667
tls = false
channels = ["#kolla"]

[mail]
host = "127.0.0.1"
port = {receivers.smtp_port}
from = "gavel <meetbot@example.org>"

[[deliver]]
{series}
mail_to = ["discuss@lists.example.org"]
webhook = "http://127.0.0.1:{receivers.hook_port}/hook"
webhook_secret_env = "HOOK_SECRET"
""",
        encoding="utf-8",
    )
    return config


def store(tmp_path: Path, text: str = MEETING, day: date = date(2026, 3, 4)) -> Stored:
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        return store_text(archive, text, day, "#kolla")


def deliver(config: Path, meeting: str, *options: str) -> Result:
    return CliRunner().invoke(
        main, ["deliver", "-c", str(config), meeting, *options], env={"HOOK_SECRET": SECRET}, catch_exceptions=False
    )


def outbox(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in (tmp_path / "journal" / DELIVERIES_DIR).glob("*.delivery"))


def test_a_meeting_is_delivered_again_by_id_basename_or_day(tmp_path: Path) -> None:
    receivers = Receivers()
    config = setup(tmp_path, receivers)
    stored = store(tmp_path)
    (tmp_path / "out" / "kolla" / "2026").mkdir(parents=True)
    for extension in (".html", ".log.html"):  # the bot's files: their links go in the mail
        (tmp_path / "out" / "kolla" / "2026" / (stored.basename + extension)).write_text("x", encoding="utf-8")
    foreign = Delivery("other.0.webhook", "other", "webhook", "{}", url=receivers.hook.url)  # would arrive if sent
    Outbox(tmp_path / "journal" / DELIVERIES_DIR).put([foreign])  # the bot's business, not this command's
    with receivers.running():
        for reference in (str(stored.id), stored.basename, f"kolla/{stored.basename}", "kolla/2026-03-04"):
            result = deliver(config, reference, "--wait", "10")
            assert result.exit_code == 0, result.output
            assert "delivered" in result.output and "(mail)" in result.output and "(webhook)" in result.output
            assert outbox(tmp_path) == ["other.0.webhook.delivery"]
    assert len(receivers.box.messages) == 4 and len(receivers.hook.documents) == 4
    recipients, message = receivers.box.messages[0]
    assert recipients == ["discuss@lists.example.org"]
    assert message["Subject"] == "kolla meeting minutes, 2026-03-04"
    assert message["X-Gavel-Meeting"] == receivers.hook.documents[0]["meeting_id"]
    assert len({m["Message-ID"] for _, m in receivers.box.messages}) == 1  # the same message each time
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    assert f"Full log: https://m.example.org/kolla/2026/{stored.basename}.log.html" in content
    assert "the release is on track" in content
    document = receivers.hook.documents[0]
    assert document["urls"]["html"] == f"https://m.example.org/kolla/2026/{stored.basename}.html"
    assert document["minutes"]["actions"] == ["bob to tag the release"]
    assert receivers.hook.rejected == 0


def test_receivers_down_leave_the_deliveries_in_the_outbox_until_sent(tmp_path: Path) -> None:
    receivers = Receivers()
    config = setup(tmp_path, receivers)
    stored = store(tmp_path)
    result = deliver(config, str(stored.id), "--wait", "0.5")
    assert result.exit_code == 1
    assert "kept in the outbox" in result.output
    left = outbox(tmp_path)
    assert len(left) == 2 and {name.rsplit(".", 2)[-2] for name in left} == {"mail", "webhook"}

    with receivers.running():
        result = deliver(config, str(stored.id), "--wait", "10")
    assert result.exit_code == 0, result.output
    assert outbox(tmp_path) == []
    assert len(receivers.box.messages) == 1 and len(receivers.hook.documents) == 1


def test_what_cannot_be_delivered_is_refused_clearly(tmp_path: Path) -> None:
    receivers = Receivers()
    config = setup(tmp_path, receivers, series='series = ["nova"]')
    kolla = store(tmp_path)
    hidden = store(tmp_path, HIDDEN, date(2026, 3, 11))
    unfinished = store(tmp_path, UNFINISHED, date(2026, 3, 18))
    store(tmp_path, MEETING.replace("15:00:", "17:00:"), date(2026, 3, 4))  # a second meeting that day
    cases = {
        str(hidden.id): "restricted meetings are never delivered",
        unfinished.basename: "only ended meetings are delivered",
        kolla.basename: "no [[deliver]] rule takes the series 'kolla'",
        "kolla/2026-03-04": f"2 meetings that day: name one of {kolla.basename} (id {kolla.id})",
        "nova/2026-03-04": "no meeting 'nova/2026-03-04' in the archive",
        "999": "no meeting '999'",
        "../../etc/passwd": "no meeting",
        "": "no meeting",
    }
    for reference, message in cases.items():
        result = deliver(config, reference)
        assert result.exit_code == 1, (reference, result.output)
        assert message in result.output, (reference, result.output)
    assert not (tmp_path / "journal" / DELIVERIES_DIR).exists() or outbox(tmp_path) == []

    (tmp_path / "bare").mkdir()
    no_archive = setup(tmp_path / "bare", receivers, archive=False)
    result = deliver(no_archive, "1")
    assert result.exit_code == 1 and "no archive is configured" in result.output
