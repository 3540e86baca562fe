"""Reminders before scheduled meetings: decided from the time given, said once per meeting in its channel."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gavel.schedule.directory import load_schedule
from gavel.schedule.reminders import due_reminders
from test_live_runtime import RecordingBot, make_config

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "schedule"
NOVA = """\
project: Nova Team Meeting
agenda_url: https://wiki.example.org/Meetings/Nova
meeting_id: nova
chair: gibi
description: Weekly.
schedule:
  - time: '1600'
    day: Tuesday
    irc: meet
    frequency: weekly
"""
TUESDAY_1600 = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)


def schedule_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "schedule"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nova.yaml").write_text(NOVA, encoding="utf-8")
    return directory


def test_a_meeting_is_due_within_the_reminder_window_only(tmp_path: Path) -> None:
    schedule = load_schedule(schedule_dir(tmp_path))
    assert schedule.problems == ()
    assert due_reminders(schedule, TUESDAY_1600 - timedelta(minutes=11), 10) == []
    (reminder,) = due_reminders(schedule, TUESDAY_1600 - timedelta(minutes=10), 10)
    assert reminder.channel == "#meet" and reminder.start == TUESDAY_1600
    assert reminder.text == "nova meeting in 10 minutes; agenda: https://wiki.example.org/Meetings/Nova; chair: gibi"
    assert due_reminders(schedule, TUESDAY_1600 - timedelta(seconds=30), 10)[0].text.startswith(
        "nova meeting in 1 minute;"
    )
    assert due_reminders(schedule, TUESDAY_1600, 10) == []  # started: too late for a reminder
    assert due_reminders(schedule, TUESDAY_1600 - timedelta(minutes=5), 0) == []  # remind_minutes = 0: never


def test_the_example_schedule_gives_reminders_on_its_days() -> None:
    schedule = load_schedule(EXAMPLES)
    days = {
        reminder.channel
        for hour in range(7 * 24)
        for reminder in due_reminders(schedule, datetime(2026, 12, 7, tzinfo=UTC) + timedelta(hours=hour), 60)
    }
    assert days  # every example meets at least once a week or is ad hoc


def test_the_live_bot_reminds_its_channel_once(tmp_path: Path) -> None:
    bot = RecordingBot(make_config(tmp_path, schedule_dir=str(schedule_dir(tmp_path)), remind_minutes=10))
    for minutes in (15, 10, 9, 5, 1, 0):
        bot.remind(TUESDAY_1600 - timedelta(minutes=minutes))
    assert bot.said == ["nova meeting in 10 minutes; agenda: https://wiki.example.org/Meetings/Nova; chair: gibi"]
    bot.remind(TUESDAY_1600 + timedelta(days=7, minutes=-3))  # next week's meeting: reminded again
    assert len(bot.said) == 2 and bot.said[1].startswith("nova meeting in 3 minutes")


def test_startmeeting_without_a_name_at_a_scheduled_time_takes_the_scheduled_name(tmp_path: Path) -> None:
    from gavel.core.events import Message

    bot = RecordingBot(make_config(tmp_path, schedule_dir=str(schedule_dir(tmp_path))))
    bot.feed(Message(TUESDAY_1600 - timedelta(hours=3), "alice", "#startmeeting"))  # nothing scheduled now
    runtime = bot.runtime("test", "#meet")
    assert runtime is not None and runtime.meeting.name == "meet"
    bot.feed(Message(TUESDAY_1600 - timedelta(hours=2), "alice", "#endmeeting"))
    bot.feed(Message(TUESDAY_1600 + timedelta(minutes=2), "alice", "#startmeeting"))
    assert runtime.meeting.name == "nova"
    bot.feed(Message(TUESDAY_1600 + timedelta(minutes=3), "alice", "#endmeeting"))
    bot.feed(Message(TUESDAY_1600 + timedelta(minutes=4), "alice", "#startmeeting weekly sync"))  # a name given
    assert runtime.meeting.name == "weekly_sync"


def test_a_meeting_named_by_the_schedule_keeps_its_name_after_a_crash(tmp_path: Path) -> None:
    """The scheduled name is a setting of that meeting only: the journal keeps it, and recovery (whose settings of
    the moment do not have it) replays under it."""
    from gavel.core.events import Message

    config = make_config(tmp_path, schedule_dir=str(schedule_dir(tmp_path)))
    bot = RecordingBot(config)
    bot.feed(Message(TUESDAY_1600 + timedelta(minutes=2), "alice", "#startmeeting"))
    runtime = bot.runtime("test", "#meet")
    assert runtime is not None and runtime.meeting.name == "nova" and runtime.journal is not None
    runtime.journal.sync()
    runtime.journal.close()  # the process dies
    again = RecordingBot(config)
    assert again.recover() == 1
    resumed = again.runtime("test", "#meet")
    assert resumed is not None and resumed.meeting.name == "nova"


def test_the_live_bot_follows_schedule_edits_on_its_tick(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Through the bot's tick: a reminder already said is not said again after a reload, a moved meeting is
    reminded at its new time, a bad edit keeps the last good version (logged once, and again when fixed), a removed
    meeting is reminded no more, and #startmeeting takes the name the schedule has now."""
    from gavel.core.events import Message

    directory = schedule_dir(tmp_path)
    path = directory / "nova.yaml"
    bot = RecordingBot(make_config(tmp_path, schedule_dir=str(directory), remind_minutes=10))

    def edit(text: str) -> None:
        before = path.stat().st_mtime_ns
        path.write_text(text, encoding="utf-8")
        os.utime(path, ns=(before + 10**9, before + 10**9))

    bot.tick(TUESDAY_1600 - timedelta(minutes=10))
    assert len(bot.said) == 1
    edit(NOVA.replace("Meetings/Nova", "Meetings/NovaTeam"))  # the same meeting, another agenda: said already
    bot.tick(TUESDAY_1600 - timedelta(minutes=9))
    assert len(bot.said) == 1 and bot.schedule is not None
    assert bot.schedule.meetings[0].agenda_url == "https://wiki.example.org/Meetings/NovaTeam"
    edit(NOVA.replace("'1600'", "'1630'").replace("meeting_id: nova", "meeting_id: nova_late"))  # moved
    bot.tick(TUESDAY_1600 - timedelta(minutes=8))
    assert len(bot.said) == 1  # 16:30 is 38 minutes away
    bot.tick(TUESDAY_1600 + timedelta(minutes=21))
    assert bot.said[1] == "nova_late meeting in 9 minutes; agenda: https://wiki.example.org/Meetings/Nova; chair: gibi"
    caplog.set_level(logging.INFO, logger="gavel")
    edit("project: Nova\nschedule: [unclosed\n")  # a bad edit
    bot.tick(TUESDAY_1600 + timedelta(minutes=22))
    bot.tick(TUESDAY_1600 + timedelta(minutes=23))
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1 and "not valid YAML" in errors[0].getMessage()
    assert "keeping the version read before" in errors[0].getMessage()
    bot.feed(Message(TUESDAY_1600 + timedelta(minutes=25), "alice", "#startmeeting"))
    runtime = bot.runtime("test", "#meet")
    assert runtime is not None and runtime.meeting.name == "nova_late"  # the last good version
    bot.feed(Message(TUESDAY_1600 + timedelta(minutes=26), "alice", "#endmeeting"))
    edit(NOVA)  # fixed, back to 16:00 and nova
    bot.tick(TUESDAY_1600 + timedelta(days=7, minutes=-5))
    assert any("fixed" in record.getMessage() for record in caplog.records if record.levelno == logging.INFO)
    assert bot.said[-1].startswith("nova meeting in 5 minutes")
    reminded = len(bot.said)
    path.unlink()
    bot.tick(TUESDAY_1600 + timedelta(days=14, minutes=-5))
    assert len(bot.said) == reminded  # removed: no reminder
    assert bot.schedule is not None and bot.schedule.meetings == ()
