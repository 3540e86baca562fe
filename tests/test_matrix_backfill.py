"""Filling a limited /sync timeline from /messages pages, without I/O: the core sees what an unlimited sync gives."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from mautrix.errors import MatrixRequestError, MatrixResponseError

from gavel.transports.matrix.backfill import Backfill, Gap
from gavel.transports.matrix.connection import MatrixConnection, MatrixSettings
from gavel.transports.matrix.protocol import MatrixClient, MatrixOutput
from gavel.transports.outputs import ChannelEvent, Notice

ROOM = "!room:example.org"
BOT = "@bot:example.org"
TS = 1_700_000_000_000


def member(user: str, name: str, number: int, before: str | None = None) -> dict[str, Any]:
    """``user`` joined as ``name``; ``before``: the display name they had (the homeserver's ``prev_content``)."""
    content = {"membership": "join", "displayname": name}
    event = {"type": "m.room.member", "state_key": user, "sender": user, "event_id": f"$m{number}", "content": content}
    if before is not None:
        event["unsigned"] = {"prev_content": {"membership": "join", "displayname": before}}
    return event


def message(user: str, body: str, number: int) -> dict[str, Any]:
    content = {"msgtype": "m.text", "body": body}
    return {"type": "m.room.message", "sender": user, "event_id": f"$e{number}", "origin_server_ts": TS + number} | {
        "content": content
    }


def history() -> list[dict[str, Any]]:
    """A meeting's events in order: members come, change names, talk, one line is redacted."""
    events: list[dict[str, Any]] = [message("@alice:x", "#startmeeting", 0)]
    for number in range(1, 40):
        if number == 7:
            events.append(member("@carol:x", "Carol", number))
        elif number == 15:
            events.append(member("@carol:x", "Caroline", number, before="Carol"))
        elif number == 22:
            events.append({"type": "m.room.redaction", "sender": "@alice:x", "event_id": "$r", "redacts": "$e3"})
        else:
            events.append(message("@alice:x" if number % 2 else "@bob:x", f"line {number}", number))
    return events


def joined(state: list[dict[str, Any]], timeline: list[dict[str, Any]], batch: str, **more: Any) -> dict[str, Any]:
    room = {"state": {"events": state}, "timeline": {"events": timeline, **more}}
    return {"next_batch": batch, "rooms": {"join": {ROOM: room}}}


def said(outputs: list[MatrixOutput]) -> list[object]:
    return [output.event for output in outputs if isinstance(output, ChannelEvent)]


def started(events: list[dict[str, Any]]) -> MatrixClient:
    """A client that has read the room's members and ``events`` (the meeting so far)."""
    client = MatrixClient(BOT, [ROOM])
    members = [member("@alice:x", "Alice", 100), member("@bob:x", "Bob", 101), member(BOT, "bot", 102)]
    client.receive_sync(joined(members, events, "s1"))
    return client


def pages(events: list[dict[str, Any]], start: int, size: int) -> dict[str, Any]:
    """What /messages answers (``dir=b``) from token ``str(start)``: up to ``size`` events before it, newest first."""
    chunk = list(reversed(events[max(0, start - size) : start]))
    answer: dict[str, Any] = {"chunk": chunk, "start": str(start)}
    if start - size > 0:
        answer["end"] = str(start - size)
    return answer


def fill(client: MatrixClient, response: dict[str, Any], events: list[dict[str, Any]], size: int) -> Backfill:
    [gap] = client.gaps(response)
    backfill = Backfill(gap)
    while backfill.token is not None:
        backfill.take(pages(events, int(backfill.token), size))
    return backfill


def test_a_limited_timeline_filled_gives_the_core_what_an_unlimited_one_does() -> None:
    events = history()
    whole = started(events[:5]).receive_sync(joined([], events[5:], "s2"))
    client = started(events[:5])
    # A limited sync's state is the room's as its timeline starts: after the gap, Carol there as "Caroline".
    response = joined([events[15]], events[-4:], "s2", limited=True, prev_batch=str(len(events) - 4))
    backfill = fill(client, response, events, 6)
    assert backfill.stopped is None and backfill.pages == 6  # 31 missing events in pages of 6, the last with "$e4"
    assert said(client.receive_sync(response, {ROOM: backfill})) == said(whole)
    assert len(said(whole)) == 35  # every event after the first five (Carol's first name change is a Join)


def test_after_a_restart_a_gap_is_read_back_to_the_saved_position_with_its_members_as_they_were() -> None:
    events = history()
    whole = started(events[:5]).receive_sync(joined([], events[5:], "s2"))
    client = MatrixClient(BOT, [ROOM])
    client.restore(started(events[:5]).position())  # a new process, from the position the last one saved
    # Its first sync: the room's whole state as the timeline starts, after the gap (Carol is "Caroline" by then).
    members = [member("@alice:x", "Alice", 100), member("@bob:x", "Bob", 101), member(BOT, "bot", 102)]
    response = joined([*members, events[15]], events[-4:], "s2", limited=True, prev_batch=str(len(events) - 4))
    backfill = fill(client, response, events, 6)  # ``pages`` ignores ``to``: it would go on to the room's start
    assert backfill.stopped is None and backfill.pages == 6
    outputs = client.receive_sync(response, {ROOM: backfill})
    assert said(outputs) == said(whole)  # Carol's join and her name change, in place; nothing read twice
    assert [type(event).__name__ for event in said(whole)[:10]] == ["Message"] * 2 + ["Join"] + ["Message"] * 7


def test_a_homeserver_ignoring_to_never_gives_an_event_read_before_twice() -> None:
    events = history()
    client = started(events)
    for number in range(50, 53):  # each gap paged back to the history's start, as a homeserver ignoring ``to`` would
        events.append(message("@bob:x", f"new {number}", number))
        response = joined(
            [], [message("@alice:x", "now", number + 10)], "s2", limited=True, prev_batch=str(len(events))
        )
        outputs = client.receive_sync(response, {ROOM: fill(client, response, events, 4)})
        assert [event.text for event in said(outputs)] == [f"new {number}", "now"]  # type: ignore[attr-defined]
        events.append(response["rooms"]["join"][ROOM]["timeline"]["events"][0])


def test_the_saved_position_is_the_sync_token_and_the_last_event_read_in_each_room() -> None:
    client = started([message("@alice:x", "hi", 1), message("@bob:x", "there", 2)])
    assert client.position() == 's1\n{"!room:example.org":"$e2"}'
    again = MatrixClient(BOT, [ROOM])
    again.restore(client.position())
    assert again.next_batch == "s1" and again.read == {ROOM: "$e2"}
    for saved, token in [("s7", "s7"), ("s7\n", "s7"), ("", None), ("\n{}", None), ("s8\nnot json", "s8")]:
        odd = MatrixClient(BOT, [ROOM])
        odd.restore(saved)  # a bare token (as saved before) or a damaged file: never a crash
        assert odd.next_batch == token and odd.read == {}
    odd.restore('s9\n{"!a:x": 5, "!b:x": "$ok", "3": ["x"]}')
    assert odd.next_batch == "s9" and odd.read == {"!b:x": "$ok"}


def test_a_gap_too_long_is_filled_as_far_as_the_pages_go_and_says_so() -> None:
    events = history()
    client = started(events[:2])
    response = joined([], events[-2:], "s2", limited=True, prev_batch=str(len(events) - 2))
    [gap] = client.gaps(response)
    backfill = Backfill(gap, max_pages=3)
    while backfill.token is not None:
        backfill.take(pages(events, int(backfill.token), 5))
    outputs = client.receive_sync(response, {ROOM: backfill})
    whole = started(events[:2]).receive_sync(joined([], events[2:], "s2"))
    assert said(outputs) == said(whole)[-17:]  # the 15 newest of the gap, then the two of the timeline, in order
    [notice] = [output for output in outputs if isinstance(output, Notice)]
    assert "stopped after 3 pages (15 events)" in notice.text and "missing" in notice.text


def test_only_limited_timelines_of_served_rooms_have_gaps() -> None:
    client = started([message("@alice:x", "hi", 1)])
    assert client.gaps(joined([], [], "s2", limited=True, prev_batch="p")) == [Gap(ROOM, "p", "s1", "$e1")]
    assert client.gaps(joined([], [], "s2", limited=False, prev_batch="p")) == []
    assert client.gaps(joined([], [], "s2", limited=True)) == []  # nowhere to start from
    client.wanted = set()
    assert client.gaps(joined([], [], "s2", limited=True, prev_batch="p")) == []
    assert client.gaps({"rooms": {"join": {ROOM: "nonsense"}}}) == []
    assert client.gaps({"rooms": []}) == []


def test_a_homeserver_answering_garbage_ends_the_filling_without_a_crash() -> None:
    garbage: list[object] = [
        None,
        "chunk",
        {"chunk": "not a list"},
        {"chunk": [1, None, {"event_id": 5}, {"event_id": "$x", "type": 7, "content": "no", "sender": []}], "end": 3},
        {"chunk": [{"event_id": "$y", "type": "m.room.message", "content": {"body": ["x"]}}], "end": "p"},
        {"chunk": [{"event_id": "$z", "type": "m.room.member", "state_key": 5, "content": None}], "end": None},
    ]
    for answer in garbage:
        client = started([message("@alice:x", "hi", 1)])
        response = joined([], [message("@bob:x", "after", 2)], "s2", limited=True, prev_batch="p")
        [gap] = client.gaps(response)
        backfill = Backfill(gap)
        assert backfill.take(answer) is None
        outputs = client.receive_sync(response, {ROOM: backfill})
        assert [event.text for event in said(outputs)] == ["after"]  # type: ignore[attr-defined]
    # A page that repeats itself (the same ``end``) or an event of the sync's own timeline: read once.
    client = started([message("@alice:x", "hi", 1)])
    response = joined([], [message("@bob:x", "after", 3)], "s2", limited=True, prev_batch="p")
    backfill = Backfill(client.gaps(response)[0])
    loop = {"chunk": [message("@bob:x", "after", 3), message("@bob:x", "gap", 2)], "end": "q"}
    assert backfill.take(loop) == "q"
    assert backfill.take(loop) is None
    outputs = client.receive_sync(response, {ROOM: backfill})
    assert [event.text for event in said(outputs)] == ["gap", "after"]  # type: ignore[attr-defined]


def test_a_refused_page_keeps_what_came_and_says_what_is_missing() -> None:
    events = history()
    client = started(events[:2])
    response = joined([], events[-2:], "s2", limited=True, prev_batch=str(len(events) - 2))
    backfill = Backfill(client.gaps(response)[0])
    backfill.take(pages(events, len(events) - 2, 5))
    backfill.fail("the homeserver refused a page: 500")
    outputs = client.receive_sync(response, {ROOM: backfill})
    assert len(said(outputs)) == 7
    assert any(isinstance(o, Notice) and "refused a page" in o.text for o in outputs)


class _Answers:
    """Stands in for mautrix's HTTP API: each /messages request gets the next of ``answers`` (raised if an error)."""

    def __init__(self, answers: list[object]) -> None:
        self.answers = answers
        self.asked: list[dict[str, str]] = []

    async def request(self, method: object, path: object, query_params: dict[str, str]) -> object:
        self.asked.append(query_params)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_connection_reads_garbled_or_refused_pages_without_a_crash() -> None:
    settings = MatrixSettings("http://127.0.0.1:1", BOT, "token", (ROOM,))
    outputs: list[MatrixOutput] = []
    cases: list[list[object]] = [
        [b"\x00not json", None],
        [{"chunk": [message("@bob:x", "gap", 2)], "end": "q"}, MatrixRequestError(500, "M_UNKNOWN", "broken")],
        [{"chunk": [message("@bob:x", "gap", 2)], "end": "q"}, MatrixResponseError("not JSON")],
        [{"chunk": [{"event_id": "$e1"}] * 3, "end": "q"}],
    ]
    for answers in cases:
        connection = MatrixConnection(settings, outputs.append, timeline_limit=5)
        connection.client = started([message("@alice:x", "hi", 1)])
        response = joined([], [message("@bob:x", "after", 3)], "s2", limited=True, prev_batch="p")
        fake = SimpleNamespace(api=_Answers(answers))
        filled = asyncio.run(connection._fill(fake, response))  # type: ignore[arg-type]
        connection._handle(response, filled)
        assert fake.api.asked[0] == fake.api.asked[0] | {"dir": "b", "from": "p", "to": "s1", "limit": "5"}
    texts = [event.text for event in said(outputs)]  # type: ignore[attr-defined]
    assert texts == ["after", "gap", "after", "gap", "after", "after"]
    assert len([o for o in outputs if isinstance(o, Notice) and "missing" in o.text]) == 3
