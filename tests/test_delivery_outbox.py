"""The outbox and the deliveries composed for a meeting, without a network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gavel.app.config.delivery_model import DeliverConfig, MailConfig
from gavel.app.delivery.compose import deliveries
from gavel.app.delivery.outbox import Outbox
from gavel.app.delivery.record import Delivery
from gavel.app.output_tree import MeetingFiles, WrittenMeeting
from gavel.core.events import Message
from gavel.core.meeting import Meeting, MeetingSettings

T0 = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
MAIL = MailConfig(host="127.0.0.1", sender="gavel <meetbot@example.org>")
RULE = DeliverConfig(mail_to=("a@example.org",), webhook="https://h.example.org/x", webhook_secret="s")


def written(tmp_path: Path, *lines: str) -> WrittenMeeting:
    meeting = Meeting(MeetingSettings(channel="#meet"))
    files = MeetingFiles(tmp_path / "out", meeting_id="m1", url_base="https://m.example.org/")
    said = ["#startmeeting nova", *lines, "#endmeeting"]
    for second, text in enumerate(said):
        for effect in meeting.handle(Message(T0 + timedelta(seconds=second), "alice", text)):
            if type(effect).__name__ == "LogLine":
                files.write(effect)  # type: ignore[arg-type]
    return files.finish(meeting)


def test_the_same_meeting_gives_the_same_deliveries(tmp_path: Path) -> None:
    meeting = written(tmp_path)
    first = deliveries(meeting, [RULE], MAIL)
    assert [delivery.name for delivery in first] == ["m1.0.mail", "m1.0.webhook"]
    assert first == deliveries(meeting, [RULE], MAIL)  # recovery ends the meeting again: the same files, same ids


def test_restricted_and_other_series_give_nothing(tmp_path: Path) -> None:
    assert deliveries(written(tmp_path / "a", "#restrictlogs"), [RULE], MAIL) == []
    other = DeliverConfig(series=("kolla",), webhook="https://h.example.org/x", webhook_secret="s")
    assert deliveries(written(tmp_path / "b"), [other], MAIL) == []


def test_the_outbox_keeps_deliveries_and_sets_aside_what_is_not_one(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "deliveries")
    assert outbox.pending() == []
    delivery = Delivery("m1.0.webhook", "m1", "webhook", '{"x": 1}', url="https://h.example.org/x")
    outbox.put([delivery])
    (tmp_path / "deliveries" / "torn.delivery").write_text('{"version": 1, "kind": "mai', encoding="ascii")
    (tmp_path / "deliveries" / "binary.delivery").write_bytes(b"\xff\xfe")
    assert outbox.pending() == [delivery]
    assert sorted(path.name for path in (tmp_path / "deliveries").glob("*.failed")) == [
        "binary.delivery.failed",
        "torn.delivery.failed",
    ]
    outbox.remove(delivery)
    assert outbox.pending() == []
