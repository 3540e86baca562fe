"""``gavel schedule check`` and ``gavel schedule ical``: messages, exit codes, files written."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from icalendar import Calendar

from gavel.app.cli import main
from schedule_support import meeting_yaml

EXAMPLES = Path(__file__).parent.parent / "examples" / "schedule"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_the_examples() -> None:
    code, out, err = run("schedule", "check", str(EXAMPLES))
    assert (code, out) == (0, "")
    assert "3 meeting(s), 4 schedule entries; 0 problem(s), 0 conflict(s)" in err


def test_check_names_every_problem_and_conflict(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path, dirs_exist_ok=True)
    (tmp_path / "broken.yaml").write_text("project: [\n")
    (tmp_path / "typo.yaml").write_text(meeting_yaml("{time: '1600', day: Tusday, irc: x, frequency: weekly}"))
    clash = "{time: '1630', day: Tuesday, irc: openstack-meeting-3, frequency: biweekly-even, extra: 1}"
    (tmp_path / "clash.yaml").write_text(meeting_yaml(clash))
    fine = "{time: '2100', day: Wednesday, irc: openstack-swift, frequency: biweekly-odd}"
    (tmp_path / "alternate.yaml").write_text(meeting_yaml(fine))  # swift meets there in even weeks only
    (tmp_path / "adhoc.yaml").write_text(meeting_yaml("{irc: openstack-swift, frequency: adhoc}"))
    code, out, err = run("schedule", "check", str(tmp_path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'broken.yaml'}: not valid YAML at line 2")
    assert lines[1].startswith(f"{tmp_path / 'typo.yaml'}: schedule[0].day: must be one of Monday")
    assert lines[2] == (
        f"{tmp_path / 'clash.yaml'}: schedule[0]: overlaps {tmp_path / 'nova-team-meeting.yaml'} schedule[0]"
        " in #openstack-meeting-3 (Tuesday 1630 UTC, biweekly-even, 60 min / Tuesday 1600 UTC, weekly, 60 min)"
    )
    assert len(lines) == 3
    assert f"warning: {tmp_path / 'clash.yaml'}: schedule[0].extra: unknown key (ignored)" in err
    assert "2 problem(s), 1 conflict(s)" in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("schedule", "check", str(tmp_path / "missing"))[0] == 2
    assert run("schedule", "ical", str(EXAMPLES))[0] == 2  # no --output
    assert run("schedule", "ical", str(EXAMPLES), "-o", str(tmp_path), "--from", "tomorrow")[0] == 2


def test_ical_writes_one_calendar_per_meeting_and_one_for_all(tmp_path: Path) -> None:
    code, _, err = run("schedule", "ical", str(EXAMPLES), "--output", str(tmp_path / "out"), "--from", "2027-01-01")
    assert code == 0, err
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == ["meetings.ics", "nova-team-meeting.ics", "swift-team-meeting.ics", "tc-office-hours.ics"]
    swift = Calendar.from_ical((tmp_path / "out" / "swift-team-meeting.ics").read_bytes())
    starts = sorted(event.decoded("DTSTART").isoformat() for event in swift.walk("VEVENT"))
    assert starts == ["2027-01-07T07:00:00+00:00", "2027-01-13T21:00:00+00:00"]
    everything = Calendar.from_ical((tmp_path / "out" / "meetings.ics").read_bytes())
    assert len(everything.walk("VEVENT")) == 4


def test_ical_with_a_bad_file_writes_the_rest_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.yaml").write_text("- not a meeting\n")
    (tmp_path / "in" / "good.yaml").write_text(meeting_yaml("{time: '1600', day: Monday, irc: x, frequency: weekly}"))
    code, out, _ = run("schedule", "ical", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--from", "2027-01-01")
    assert code == 1 and "bad.yaml: must be a mapping" in out
    assert (tmp_path / "out" / "good.ics").exists() and not (tmp_path / "out" / "bad.ics").exists()
