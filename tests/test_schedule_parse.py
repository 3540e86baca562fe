"""Parsing schedule files: every field read, every problem named as ``file: field: problem``, never a crash."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gavel.schedule.directory import load_schedule
from gavel.schedule.model import Entry, Frequency, SkipDate
from gavel.schedule.parse import parse_meeting
from schedule_support import meeting_yaml

EXAMPLES = Path(__file__).parent.parent / "examples" / "schedule"


def problems_of(text: str) -> list[str]:
    meeting, problems, _ = parse_meeting(text, "m.yaml", "m")
    assert (meeting is None) == bool(problems)
    return [str(problem) for problem in problems]


def test_a_full_meeting() -> None:
    text = (
        "project: Nova Team Meeting\nchair: gibi, bauzas\ndescription: |\n  Compute.\n  Two lines.\n"
        "meeting_id: nova\nagenda_url: https://wiki.example.org/Nova\nproject_url: http://nova.example.org\n"
        "schedule:\n"
        "  - {time: '1600', day: Tuesday, irc: openstack-meeting-3, frequency: weekly, duration: 45,\n"
        "     start_date: 20270105, skip_dates: [{skip_date: 20271228, reason: Holidays}]}\n"
        "  - {time: 2100, day: thursday, irc: '#openstack-nova', frequency: first-thursday}\n"
        "  - {irc: openstack-nova, frequency: adhoc}\n"
    )
    meeting, problems, warnings = parse_meeting(text, "nova.yaml", "nova")
    assert problems == [] and warnings == []
    assert meeting is not None
    assert (meeting.project, meeting.chair, meeting.series) == ("Nova Team Meeting", "gibi, bauzas", "nova")
    assert meeting.description == "Compute.\nTwo lines."
    assert meeting.agenda_url == "https://wiki.example.org/Nova"
    assert meeting.entries == (
        Entry(
            "openstack-meeting-3",
            Frequency.WEEKLY,
            1,
            time(16),
            45,
            date(2027, 1, 5),
            (SkipDate(date(2027, 12, 28), "Holidays"),),
        ),
        Entry("openstack-nova", Frequency.FIRST_THURSDAY, 3, time(21)),
        Entry("openstack-nova", Frequency.ADHOC, None, None),
    )


def test_series_name_is_the_meeting_id_else_the_project_normalized() -> None:
    meeting, _, _ = parse_meeting(
        meeting_yaml(
            "{time: '1600', day: Monday, irc: x, frequency: weekly}",
            head="project: Nova Team!\nchair: a\ndescription: d\n",
        ),
        "f",
        "f",
    )
    assert meeting is not None and meeting.series == "nova_team"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{day: Monday, irc: x, frequency: weekly}", "m.yaml: schedule[0].time: is required"),
        ("{time: '2460', day: Monday, irc: x, frequency: weekly}", "m.yaml: schedule[0].time: is not a time of day"),
        ("{time: 0700, day: Monday, irc: x, frequency: weekly}", "write it quoted"),
        ("{time: '16:00', day: Monday, irc: x, frequency: weekly}", "schedule[0].time: must be a time 'HHMM'"),
        ("{time: '1600', day: Funday, irc: x, frequency: weekly}", "m.yaml: schedule[0].day: must be one of Monday"),
        ("{time: '1600', day: Monday, irc: x, frequency: fortnightly}", "schedule[0].frequency: must be one of weekly"),
        ("{time: '1600', day: Monday, irc: 'a b', frequency: weekly}", "schedule[0].irc: is not a channel name"),
        ("{time: '1600', day: Monday, frequency: weekly}", "schedule[0].irc: must be a channel name, not None"),
        ("{time: '1600', day: Monday, irc: x, frequency: weekly, duration: 0}", "schedule[0].duration: must be"),
        ("{time: '1600', day: Monday, irc: x, frequency: weekly, duration: true}", "schedule[0].duration: must be"),
        ("{time: '1600', day: Monday, irc: x, frequency: weekly, start_date: 20270230}", "start_date: must be a date"),
        ("{time: '1600', day: Monday, irc: x, frequency: weekly, skip_dates: [20270101]}", "skip_dates[0]: must be"),
        (
            "{time: '1600', day: Monday, irc: x, frequency: weekly, skip_dates: [{reason: x}]}",
            "skip_dates[0].skip_date",
        ),
        ("{time: '1600', day: Monday, irc: x, frequency: first-friday}", "schedule[0].day: is Monday but"),
        ("[1, 2]", "m.yaml: schedule[0]: must be a mapping"),
    ],
)
def test_each_bad_field_is_named(entry: str, expected: str) -> None:
    problems = problems_of(meeting_yaml(entry))
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_every_problem_at_once() -> None:
    text = "project: ''\nchair: 3\nagenda_url: javascript:alert(1)\nschedule: []\n"
    assert problems_of(text) == [
        "m.yaml: project: must not be empty",
        "m.yaml: chair: must be text, not 3",
        "m.yaml: description: must be text, not None",
        "m.yaml: agenda_url: must be an http:// or https:// URL, not 'javascript:alert(1)'",
        "m.yaml: schedule: must be a non-empty list of meeting times, not an empty list",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("project: [unclosed\n", "m.yaml: not valid YAML at line 2"),
        ("- a\n- b\n", "m.yaml: must be a mapping"),
        ("", "m.yaml: must be a mapping of project, chair, description, schedule ..., not None"),
        ("a: &x [*x]\n", "m.yaml: project"),
        ("project: !!python/object:os.system ls\n", "m.yaml: not valid YAML"),
        ("project: \x00\n", "m.yaml: not valid YAML"),
        ('project: "a\\e[2Jb"\n', "m.yaml: project: must not contain control characters"),
        ("? [a]\n: b\n", "m.yaml: not valid YAML"),
        ("x" * (1 << 21), "m.yaml: is larger than"),
    ],
)
def test_hostile_files_give_problems(text: str, expected: str) -> None:
    problems = problems_of(text)
    assert problems and problems[0].startswith(expected), problems


def test_unknown_keys_are_warnings() -> None:
    text = meeting_yaml("{time: '1600', day: Monday, irc: x, frequency: weekly, colour: red}")
    meeting, problems, warnings = parse_meeting(text.replace("chair:", "agenda: x\nchair:"), "m.yaml", "m")
    assert meeting is not None and problems == []
    assert [str(w) for w in warnings] == [
        "m.yaml: agenda: unknown key (ignored)",
        "m.yaml: schedule[0].colour: unknown key (ignored)",
    ]


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["1600", "Monday", "weekly", "x", "20270101"])
    | st.dates()
)
_VALUES = _SCALARS | st.lists(_SCALARS, max_size=3) | st.dictionaries(st.text(max_size=5), _SCALARS, max_size=3)
_KEYS = st.sampled_from(
    [
        "project",
        "chair",
        "description",
        "meeting_id",
        "agenda_url",
        "schedule",
        "time",
        "day",
        "irc",
        "frequency",
        "duration",
        "start_date",
        "skip_dates",
        "skip_date",
        "reason",
    ]
)


@given(st.dictionaries(_KEYS, _VALUES | st.lists(st.dictionaries(_KEYS, _VALUES), max_size=3), max_size=8))
def test_any_structure_parses_or_gives_problems(data: dict[str, object]) -> None:
    text = yaml.safe_dump(data)
    meeting, problems, _ = parse_meeting(text, "m.yaml", "m")
    assert (meeting is None) == bool(problems)
    assert all(str(problem).startswith("m.yaml: ") for problem in problems)


@given(st.text(max_size=300))
def test_any_text_parses_or_gives_problems(text: str) -> None:
    meeting, problems, _ = parse_meeting(text, "m.yaml", "m")
    assert (meeting is None) == bool(problems)


def test_the_examples_load(tmp_path: Path) -> None:
    schedule = load_schedule(EXAMPLES)
    assert schedule.problems == () and schedule.warnings == ()
    assert [m.stem for m in schedule.meetings] == ["nova-team-meeting", "swift-team-meeting", "tc-office-hours"]


def test_a_directory_with_bad_files(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(meeting_yaml("{time: '1600', day: Monday, irc: x, frequency: weekly}"))
    (tmp_path / "bad.yaml").write_bytes(b"project: \xff\n")
    (tmp_path / "notes.txt").write_text("ignored")
    schedule = load_schedule(tmp_path)
    assert [m.stem for m in schedule.meetings] == ["good"]
    assert [str(p) for p in schedule.problems] == [f"{tmp_path / 'bad.yaml'}: is not UTF-8 (byte 9)"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert [str(p) for p in load_schedule(empty).problems] == [f"{empty}: holds no *.yaml files"]
