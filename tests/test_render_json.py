"""The ``.json`` minutes' fast paths (items written out, lists encoded in batches) against the encoder itself."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.core import Meeting, MeetingSettings, Message
from gavel.render.minutes_json import CHUNK_ELEMENTS, _item, _item_json, as_data, render_json
from gavel.render.view import ItemView, build_view
from strategies import T0, event_lists, run
from test_render_minutes_items import _TEXT, item_views

_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


@settings(max_examples=300, deadline=None)
@given(item_views(), st.none() | _TEXT, st.text())
def test_item_json_is_what_the_encoder_writes(item: ItemView, topic: str | None, text: str) -> None:
    for one in (replace(item, topic=topic), replace(item, text=text, nick=text)):
        assert _item_json(one) == _dumps(_item(one))


def reference(data: dict[str, Any]) -> str:
    """The documented layout, plainly: sorted members, a list or an object one element a line, the rest inline."""
    members = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, list):
            inside = ",\n    ".join(map(_dumps, value))
            members.append(f"  {_dumps(key)}: " + (f"[\n    {inside}\n  ]" if value else "[]"))
        elif isinstance(value, dict) and value:
            inside = ",\n    ".join(f"{_dumps(name)}: {_dumps(value[name])}" for name in sorted(value))
            members.append(f"  {_dumps(key)}: {{\n    {inside}\n  }}")
        else:
            members.append(f"  {_dumps(key)}: {_dumps(value)}")
    return "{\n" + ",\n".join(members) + "\n}\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_lists(max_size=60))
def test_json_minutes_are_the_plain_layout_of_the_data(events: list[Any]) -> None:
    meeting = Meeting(MeetingSettings(channel="#x"))
    run(meeting, events)
    if meeting.started_at is None:
        return
    view = build_view(meeting, log_basename="m", meeting_id="x")
    assert render_json(view) == reference(as_data(view))


def test_long_lists_are_written_in_batches_with_nothing_lost() -> None:
    meeting = Meeting(MeetingSettings(channel="#x"))
    meeting.handle(Message(T0, "alice", "#startmeeting"))
    count = 2 * CHUNK_ELEMENTS + 3
    for number in range(count):
        meeting.handle(Message(T0, "alice", f"#action bob to do {number}"))
    view = build_view(meeting, log_basename="m", meeting_id="x")
    document = render_json(view)
    assert document == reference(as_data(view))
    assert [item["text"] for item in json.loads(document)["items"]] == [f"bob to do {n}" for n in range(count)]
