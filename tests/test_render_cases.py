"""Minutes of small meetings: unfinished, empty, votes, unassigned actions, unicode, restricted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gavel.core.events import Message
from gavel.core.meeting import Meeting, MeetingSettings
from gavel.render.minutes import MINUTES_WRITERS, render_html, render_json, render_markdown, render_text
from gavel.render.view import UNASSIGNED, build_view
from render_support import SETTINGS, meeting_of, unbalanced_tags, view_of

START = [("alice", "#startmeeting Weekly sync")]
END = [("alice", "#endmeeting")]


def test_writers_by_extension() -> None:
    expected = {".txt": render_text, ".html": render_html, ".md": render_markdown, ".json": render_json}
    assert expected == MINUTES_WRITERS


def test_unfinished_meeting() -> None:
    meeting, _ = meeting_of([*START, ("alice", "#info still going"), ("bob", "yes")])
    log_end = datetime(2024, 5, 1, 9, 30, 5, tzinfo=UTC)
    view = build_view(meeting, log_basename="weekly", unfinished_at=log_end)
    assert view.unfinished and view.ended_at is None and view.unfinished_at == log_end
    assert "Meeting not ended (log ends at 09:30:05 UTC)." in render_text(view)
    assert "Meeting ended" not in render_text(view)
    html = render_html(view)
    assert 'Meeting not ended (log ends at <time datetime="2024-05-01T09:30:05Z">09:30:05 UTC</time>' in html
    assert "**Meeting not ended** (log ends at 09:30:05 UTC;" in render_markdown(view)
    data = json.loads(render_json(view))["meeting"]
    assert (data["unfinished"], data["ended_at"], data["unfinished_at"]) == (True, None, "2024-05-01T09:30:05Z")


def test_unfinished_meeting_defaults_to_its_last_line() -> None:
    view = view_of([*START, ("bob", "hello")])
    assert view.unfinished_at == datetime(2024, 5, 1, 9, 0, 1, tzinfo=UTC)
    assert "Meeting not ended (log ends at 09:00:01 UTC)." in render_text(view)


def test_unfinished_at_is_ignored_for_an_ended_meeting() -> None:
    meeting, _ = meeting_of([*START, *END])
    view = build_view(meeting, log_basename="m", unfinished_at=datetime(2024, 5, 1, 10, 0, tzinfo=UTC))
    assert not view.unfinished and view.unfinished_at is None
    assert json.loads(render_json(view))["meeting"]["unfinished"] is False


def test_meeting_that_never_started_has_no_minutes() -> None:
    with pytest.raises(ValueError, match="never started"):
        build_view(Meeting(SETTINGS), log_basename="m")


def test_empty_meeting() -> None:
    view = view_of([*START, *END])
    assert (len(view.items), len(view.summary), len(view.actions), len(view.actions_by_person)) == (0, 0, 0, 0)
    text = render_text(view)
    assert "Meeting summary\n---------------\n\nNo items were recorded.\n" in text
    assert "Action items" not in text
    assert "People present (lines said)\n---------------------------\n\n* alice (2)\n" in text
    html = render_html(view)
    assert "<p>No items were recorded.</p>" in html and "Action items" not in html
    assert "<ol" not in html.split('<section id="people">')[0]
    md = render_markdown(view)
    assert "No items were recorded." in md and "Action items" not in md
    data = json.loads(render_json(view))
    assert (data["items"], data["topics"], data["actions"], data["votes"]) == ([], [], [], [])
    assert data["people"] == [{"nick": "alice", "lines": 2, "also_known_as": []}]


def test_meeting_without_title() -> None:
    view = view_of([("alice", "#startmeeting"), *END])
    assert view.title is None and view.page_title == "#k8s_integration_discussion Meeting"
    assert render_text(view).startswith("=" * 35 + "\n#k8s_integration_discussion Meeting\n")
    assert json.loads(render_json(view))["meeting"]["title"] is None


VOTE = [
    *START,
    ("alice", "#startvote Where to eat? pizza, sushi"),
    ("bob", "#vote pizza"),
    ("carol", "#vote Pizza"),
    ("dave", "#vote sushi"),
    ("alice", "#endvote"),
    *END,
]


def test_vote() -> None:
    view = view_of(VOTE)
    assert [(v.question, v.options, v.results, v.nick, v.line) for v in view.votes] == [
        ("Where to eat?", ("pizza", "sushi"), (("pizza", ("bob", "carol")), ("sushi", ("dave",))), "alice", 2)
    ]
    assert [(i.kind, i.label, i.text, i.line) for i in view.items] == [
        ("vote", "VOTE", "Where to eat? (pizza=2, sushi=1)", 6)
    ]
    text = render_text(view)
    assert "* VOTE: Where to eat? (pizza=2, sushi=1)  (alice, 09:00:05)" in text
    votes = "Votes\n-----\n\n* Where to eat?  (alice, 09:00:01)\n  * pizza (2): bob, carol\n  * sushi (1): dave\n"
    assert votes in text
    html = render_html(view)
    assert '<b class="label">VOTE</b>: <span class="text">Where to eat? (pizza=2, sushi=1)</span>' in html
    assert "<li>pizza (2): bob, carol</li>" in html and "<li>sushi (1): dave</li>" in html
    assert html.index("People present") < html.index("<h2>Votes</h2>") < html.index("<footer>")
    md = render_markdown(view)
    assert "## Votes\n\n- Where to eat? ([alice](" in md and "  - pizza (2): bob, carol\n  - sushi (1): dave\n" in md
    assert json.loads(render_json(view))["votes"] == [
        {
            "question": "Where to eat?",
            "options": ["pizza", "sushi"],
            "results": {"pizza": ["bob", "carol"], "sushi": ["dave"]},
            "nick": "alice",
            "time": "2024-05-01T09:00:01Z",
            "ended_at": "2024-05-01T09:00:05Z",
            "line": 2,
        }
    ]


def test_single_unassigned_action_is_listed_under_unassigned_everywhere() -> None:
    view = view_of([*START, ("alice", "#action someone should book the room"), *END])
    assert [(o.nick, [a.text for a in o.actions]) for o in view.actions_by_person] == [
        (UNASSIGNED, ["someone should book the room"])
    ]
    assert "Action items, by person\n-----------------------\n\n* UNASSIGNED\n  * someone should book the room" in (
        render_text(view)
    )
    assert "<li>UNASSIGNED\n<ol>\n<li>someone should book the room</li>" in render_html(view)
    assert "- UNASSIGNED\n  - someone should book the room\n" in render_markdown(view)
    data = json.loads(render_json(view))
    assert data["actions"] == data["unassigned_actions"] == ["someone should book the room"]
    assert data["actions_by_person"] == {UNASSIGNED: ["someone should book the room"]}


def test_actions_by_person_with_several_owners_and_unassigned_last() -> None:
    said = [
        *START,
        ("bob", "hi"),
        ("Carol", "hello"),
        ("alice", "#action bob and carol write the report"),
        ("alice", "#action nobody in particular"),
        ("alice", "#action Bob reviews it"),
        ("alice", "#nick dave"),
        ("alice", "#action dave files the bug"),
        *END,
    ]
    view = view_of(said)
    assert [(o.nick, [a.text for a in o.actions]) for o in view.actions_by_person] == [
        ("bob", ["bob and carol write the report", "Bob reviews it"]),
        ("Carol", ["bob and carol write the report"]),
        ("dave", ["dave files the bug"]),
        (UNASSIGNED, ["nobody in particular"]),
    ]
    text = render_text(view)
    assert "* bob\n  * bob and carol write the report\n  * Bob reviews it\n* Carol\n" in text
    assert text.index("* dave\n") < text.index("* UNASSIGNED\n")
    data = json.loads(render_json(view))
    assert list(data["actions_by_person"]) == sorted(["bob", "Carol", "dave", UNASSIGNED])  # sorted keys
    assert data["unassigned_actions"] == ["nobody in particular"]


def test_unicode_round_trips_in_json() -> None:
    text = "café ☕ 日本語 — “quoted” \U0001f600"
    view = view_of([("álvaro", "#startmeeting Ünïcode"), ("álvaro", f"#info {text}"), ("álvaro", "#endmeeting")])
    raw = render_json(view)
    assert text in raw and "\\u" not in raw and raw.endswith("}\n")
    data = json.loads(raw)
    assert data["items"][0]["text"] == text
    assert data["meeting"]["title"] == "Ünïcode" and data["meeting"]["owner"] == "álvaro"
    assert data["people"] == [{"nick": "álvaro", "lines": 3, "also_known_as": []}]
    assert text in render_text(view) and text in render_markdown(view)
    assert "café ☕ 日本語 — “quoted” \U0001f600" in render_html(view)


def test_json_is_stable_sorted_and_one_line_per_element() -> None:
    raw = render_json(view_of(VOTE))
    assert raw == render_json(view_of(VOTE))

    def sorted_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
        keys = [key for key, _ in pairs]
        assert keys == sorted(keys)
        return dict(pairs)

    data = json.loads(raw, object_pairs_hook=sorted_object)
    assert raw.startswith(
        '{\n  "actions": [],\n  "actions_by_person": {},\n  "agenda": [],\n  "attendance": {\n    "present": ['
    )
    assert (
        '\n  "people": [\n    {"also_known_as": [], "lines": 4, "nick": "alice"},\n'
        '    {"also_known_as": [], "lines": 1, "nick": "bob"},\n'
    ) in raw
    assert len(data["votes"]) == 1 and raw.endswith("\n  ]\n}\n")


def test_restricted_meeting() -> None:
    view = view_of([*START, ("alice", "#restrictlogs"), *END])
    assert view.restricted
    notice = "These minutes are restricted: they are not for publication."
    assert notice in render_text(view) and notice in render_html(view) and notice in render_markdown(view)
    assert '<meta name="robots" content="noindex, nofollow">' in render_html(view)
    assert json.loads(render_json(view))["meeting"]["restricted"] is True
    public = view_of([*START, *END])
    assert "restricted" not in render_text(public) and "noindex" not in render_html(public)


def test_topic_without_items_and_consecutive_topics() -> None:
    said = [*START, ("alice", "#topic one"), ("alice", "#topic two"), ("alice", "#idea try it"), *END]
    view = view_of(said)
    assert [(g.topic.text if g.topic else None, len(g.items)) for g in view.summary] == [("one", 0), ("two", 1)]
    text = render_text(view)
    assert "* one  (alice, 09:00:01)\n\n* two  (alice, 09:00:02)\n  * IDEA: try it  (alice, 09:00:03)\n" in text


def test_long_items_wrap_like_meetbot() -> None:
    words = "word " * 30
    view = view_of([*START, ("alice", "#topic t"), ("alice", f"#agreed {words}"), *END])
    lines = render_text(view).split("Meeting summary")[1].split("\n\n\n\n")[0].splitlines()
    body = lines[lines.index("* t  (alice, 09:00:01)") + 1 :]
    assert body[0].startswith("  * AGREED: word word")
    assert all(line.startswith("    word") or line.startswith("    (alice") for line in body[1:])
    assert all(len(line) <= 72 for line in body)


def test_times_are_shown_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    meeting = Meeting(MeetingSettings(channel="#c"))
    meeting.handle(Message(datetime(2024, 5, 1, 11, 0, 0, tzinfo=plus_two), "alice", "#startmeeting"))
    meeting.handle(Message(datetime(2024, 5, 1, 11, 0, 9, tzinfo=plus_two), "alice", "#info hi"))
    meeting.handle(Message(datetime(2024, 5, 1, 11, 5, 0, tzinfo=plus_two), "alice", "#endmeeting"))
    view = build_view(meeting, log_basename="m")
    assert view.started_at == datetime(2024, 5, 1, 9, 0, tzinfo=UTC) and view.started_at.tzinfo is UTC
    text = render_text(view)
    assert "at 09:00:00 UTC" in text and "(alice, 09:00:09)" in text and "Meeting ended at 09:05:00 UTC." in text
    data = json.loads(render_json(view))
    assert (data["meeting"]["started_at"], data["items"][0]["time"]) == ("2024-05-01T09:00:00Z", "2024-05-01T09:00:09Z")


@pytest.mark.parametrize(
    "said",
    [
        [*START, *END],
        VOTE,
        [*START, ("alice", "#restrictlogs"), ("alice", "#action x"), ("alice", "#topic t"), ("bob", "#idea y")],
    ],
)
def test_html_minutes_are_well_formed(said: list[tuple[str, str]]) -> None:
    assert unbalanced_tags(render_html(view_of(said))) == []
