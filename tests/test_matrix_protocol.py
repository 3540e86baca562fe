"""The Matrix protocol without I/O: /sync responses -> core events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.core.events import Action, Edit, Event, Join, Message, NickChange, Part, Redaction, RoleChairs
from gavel.transports.matrix.protocol import Invited, MatrixClient, body_lines, sync_filter
from gavel.transports.outputs import ChannelEvent, JoinedChannel, LeftChannel, Notice

ROOM = "!room:example.org"
TS = 1_700_000_000_000
WHEN = datetime.fromtimestamp(TS / 1000, UTC)


def member(user: str, name: str | None = None, membership: str = "join") -> dict[str, Any]:
    content: dict[str, Any] = {"membership": membership}
    if name is not None:
        content["displayname"] = name
    return {"type": "m.room.member", "state_key": user, "sender": user, "content": content, "origin_server_ts": TS}


def message(user: str, body: str, **content: Any) -> dict[str, Any]:
    return {
        "type": "m.room.message",
        "sender": user,
        "event_id": "$e" + str(abs(hash(body))),
        "origin_server_ts": TS,
        "content": {"msgtype": "m.text", "body": body, **content},
    }


def sync(state: list[dict[str, Any]] = (), timeline: list[dict[str, Any]] = (), batch: str = "s1") -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "next_batch": batch,
        "rooms": {"join": {ROOM: {"state": {"events": list(state)}, "timeline": {"events": list(timeline)}}}},
    }


def events(outputs: Sequence[object]) -> list[Event]:
    return [o.event for o in outputs if isinstance(o, ChannelEvent)]


def test_members_messages_and_names() -> None:
    client = MatrixClient("@bot:example.org")
    first = client.receive_sync(sync(state=[member("@alice:example.org", "Alice"), member("@bot:example.org")]))
    assert first == [JoinedChannel(ROOM)] and client.next_batch == "s1"
    out = client.receive_sync(
        sync(
            timeline=[
                member("@bob:example.org", "Bob"),
                message("@alice:example.org", "#startmeeting x\n\n#topic two lines\r"),
                message("@bob:example.org", "waves", msgtype="m.emote"),
                member("@bob:example.org", "Robert"),
                member("@bob:example.org", "Robert", membership="leave"),
            ],
            batch="s2",
        )
    )
    said = events(out)
    assert [type(e) for e in said] == [Join, Message, Message, Action, NickChange, Part]
    assert said[0] == Join(WHEN, "Bob", "@bob:example.org")
    assert [(e.nick, e.text, e.account) for e in said[1:4] if isinstance(e, Message | Action)] == [
        ("Alice", "#startmeeting x", "@alice:example.org"),  # one line per line, blank lines dropped
        ("Alice", "#topic two lines", "@alice:example.org"),
        ("Bob", "waves", "@bob:example.org"),
    ]
    assert said[4:] == [NickChange(WHEN, "Bob", "Robert"), Part(WHEN, "Robert")]
    assert client.bot_nick(ROOM) == "bot"  # no display name: the localpart


def test_a_shared_display_name_shows_the_user_id() -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync(state=[member("@a:one.org", "Sam"), member("@b:two.org", "Sam")]))
    out = events(client.receive_sync(sync(timeline=[message("@b:two.org", "#info hi")])))
    assert isinstance(out[0], Message) and out[0].nick == "Sam (@b:two.org)" and out[0].account == "@b:two.org"


def test_replies_lose_their_quote_and_name_the_line_they_answer() -> None:
    reply = {
        "body": "> <@a:x> the question\n> more\n\n#agreed the answer",
        "m.relates_to": {"m.in_reply_to": {"event_id": "$q"}},
    }
    assert body_lines(reply) == ["#agreed the answer"]
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync(state=[member("@a:x", "A")]))
    out = events(client.receive_sync(sync(timeline=[{**message("@a:x", ""), "event_id": "$r", "content": reply}])))
    assert out == [Message(WHEN, "A", "#agreed the answer", "@a:x", "$r", reply_to="$q")]


def test_thread_lines_name_their_thread_and_a_fallback_reply_is_no_reply() -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync(state=[member("@a:x", "A")]))
    fallback = {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$x"},
    }
    answer = {"rel_type": "m.thread", "event_id": "$root", "m.in_reply_to": {"event_id": "$y"}}
    out = events(
        client.receive_sync(
            sync(
                timeline=[
                    {**message("@a:x", "in it", **{"m.relates_to": fallback}), "event_id": "$t1"},
                    {**message("@a:x", "answer", **{"m.relates_to": answer}), "event_id": "$t2"},
                ]
            )
        )
    )
    assert out == [
        Message(WHEN, "A", "in it", "@a:x", "$t1", thread="$root"),
        Message(WHEN, "A", "answer", "@a:x", "$t2", reply_to="$y", thread="$root"),
    ]


def test_edits_are_edits_of_each_new_line_and_redactions_name_their_target() -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync(state=[member("@a:x", "A")]))
    relates = {"rel_type": "m.replace", "event_id": "$old"}
    edit = message("@a:x", "* fixed", **{"m.relates_to": relates, "m.new_content": {"body": "fixed\n#info two"}})
    edit["event_id"] = "$ed"
    no_content = message("@a:x", "* fixed", **{"m.relates_to": relates})
    old_style = {"type": "m.room.redaction", "sender": "@a:x", "redacts": "$old", "event_id": "$rd", "content": {}}
    new_style = {"type": "m.room.redaction", "sender": "@a:x", "content": {"redacts": "$o2"}, "origin_server_ts": TS}
    bad = {"type": "m.room.redaction", "sender": "@a:x", "content": {"redacts": 7}}
    out = events(client.receive_sync(sync(timeline=[edit, no_content, old_style, new_style, bad])))
    assert out == [
        Edit(WHEN, "A", "$old", "fixed", "@a:x", "$ed"),
        Edit(WHEN, "A", "$old#2", "#info two", "@a:x", "$ed#2"),
        Redaction(datetime.fromtimestamp(0, UTC), "A", "$old", "@a:x", "$rd"),
        Redaction(WHEN, "A", "$o2", "@a:x", None),
    ]


def test_an_encrypted_room_is_refused_with_a_notice() -> None:
    client = MatrixClient("@bot:example.org")
    encryption = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
    out = client.receive_sync(
        sync(state=[encryption, member("@a:x", "A")], timeline=[message("@a:x", "#startmeeting")])
    )
    assert [type(o) for o in out] == [JoinedChannel, Notice] and "encrypted" in str(out[1])


def test_invites_and_leaving() -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync())
    out = client.receive_sync({"rooms": {"invite": {"!other:x": {}}, "leave": {ROOM: {}}}})
    assert out == [Invited("!other:x"), LeftChannel(ROOM, "left the room")]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["rooms", "next_batch", "x"]), json_values, max_size=3), json_values)
def test_any_sync_response_never_raises(response: dict[str, Any], timeline: Any) -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(response)
    client.receive_sync({"rooms": {"join": {ROOM: {"timeline": {"events": [timeline, member("@a:x"), timeline]}}}}})
    client.receive_sync(
        sync(timeline=[{"type": "m.room.message", "sender": "@a:x", "content": timeline, "origin_server_ts": timeline}])
    )


def test_pills_and_m_mentions_name_members_by_reference() -> None:
    client = MatrixClient("@bot:example.org")
    members = [member("@alice:x", "Alice Smith"), member("@b:x", "Bob"), member("@bot:example.org", "Bot")]
    client.receive_sync(sync(state=members))
    html = "#action <a href=\"https://matrix.to/#/%40alice%3Ax\">Alice Smith</a> fixes it <a href='https://matrix.to/#/@bot:example.org'>b</a>"
    one = message("@b:x", "#action Alice Smith fixes it", format="org.matrix.custom.html", formatted_body=html)
    both = message(
        "@b:x",
        "#action alice fixes\n#action bob tests",
        **{"m.mentions": {"user_ids": ["@alice:x", "@b:x", "@stranger:x", 7]}},
    )
    out = events(client.receive_sync(sync(timeline=[one, both])))
    assert [e.mentions for e in out if isinstance(e, Message)] == [("Alice Smith",), ("Alice Smith",), ("Bob",)]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.text(max_size=40))
def test_any_formatted_body_is_searched_for_pills_without_failing(html: str, user: str) -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync(state=[member("@a:x", "A")]))
    body = f'<a href="https://matrix.to/#/{user}">{html}<mx-reply>{html}</a'
    out = events(client.receive_sync(sync(timeline=[message("@a:x", "#action x", formatted_body=body)])))
    assert len(out) == 1 and isinstance(out[0], Message) and out[0].text == "#action x"


def power(users: dict[str, int], default: int = 0) -> dict[str, Any]:
    content = {"users": users, "users_default": default}
    return {
        "type": "m.room.power_levels",
        "state_key": "",
        "sender": "@a:x",
        "content": content,
        "origin_server_ts": TS,
    }


def test_members_at_the_power_level_chair_and_changes_are_told() -> None:
    client = MatrixClient("@bot:example.org", power_level_chairs=50)
    members = [member("@a:x", "A"), member("@b:x", "B"), member("@bot:example.org")]
    first = client.receive_sync(sync(state=[*members, power({"@a:x": 100, "@b:x": 0, "@bot:example.org": 100})]))
    assert events(first) == [RoleChairs(WHEN, ("@a:x",), ("A",))]
    later = client.receive_sync(sync(timeline=[power({"@a:x": 100, "@b:x": 50, "@bot:example.org": 100})]))
    assert events(later) == [RoleChairs(WHEN, ("@a:x", "@b:x"), ("A", "B"))]
    # A chair by power level who takes another name: told again, under the new name (the log names them).
    assert events(client.receive_sync(sync(timeline=[member("@b:x", "Bee")]))) == [
        NickChange(WHEN, "B", "Bee"),
        RoleChairs(WHEN, ("@a:x", "@b:x"), ("A", "Bee")),
    ]
    everyone = client.receive_sync(sync(timeline=[power({"@bot:example.org": 100}, default=50), member("@c:x", "C")]))
    assert events(everyone) == [
        Join(WHEN, "C", "@c:x"),
        RoleChairs(WHEN, ("@a:x", "@b:x", "@c:x"), ("A", "Bee", "C")),
    ]
    off = MatrixClient("@bot:example.org")
    assert events(off.receive_sync(sync(state=[*members, power({"@a:x": 100})]))) == []


def test_a_state_that_a_later_event_replaced_is_not_applied_again() -> None:
    """Synapse may send in a sync's ``state`` a power-levels event that the timeline of an earlier sync replaced:
    the newer one stays (seen on Synapse 1.1xx with the bot's filter)."""
    client = MatrixClient("@bot:example.org", power_level_chairs=50)
    moderator = power({"@a:x": 50}) | {"event_id": "$p1"}
    client.receive_sync(sync(state=[member("@a:x", "A"), moderator]))
    demoted = power({"@a:x": 0}) | {"event_id": "$p2"}
    assert events(client.receive_sync(sync(timeline=[demoted]))) == [RoleChairs(WHEN, (), ())]
    assert events(client.receive_sync(sync(state=[moderator], timeline=[message("@a:x", "hi")]))) == [
        Message(WHEN, "A", "hi", "@a:x", message("@a:x", "hi")["event_id"])
    ]
    assert client.rooms[ROOM].power == {"@a:x": 0}


relation_values = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"rel_type": st.sampled_from(["m.replace", "m.thread", "m.annotation", 7]), "event_id": json_values},
        optional={"m.in_reply_to": json_values, "is_falling_back": json_values},
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["m.room.message", "m.room.redaction", "m.sticker", "m.reaction", "org.example.custom", 5]),
    st.fixed_dictionaries(
        {},
        optional={
            "body": st.one_of(st.text(max_size=50), json_values),
            "msgtype": st.sampled_from(["m.text", "m.emote", "m.notice", "m.image"]),
            "m.relates_to": relation_values,
            "m.new_content": json_values,
            "m.mentions": st.one_of(json_values, st.fixed_dictionaries({"user_ids": json_values})),
            "formatted_body": st.one_of(st.text(max_size=80), json_values),
            "redacts": json_values,
        },
    ),
    json_values,
)
def test_odd_edits_redactions_replies_and_unknown_events_never_raise_in_the_client_or_the_core(
    kind: object, content: dict[str, Any], redacts: Any
) -> None:
    from gavel.core import Meeting, MeetingSettings

    client = MatrixClient("@bot:example.org", power_level_chairs=50)
    client.receive_sync(sync(state=[member("@a:x", "A")]))
    meeting = Meeting(MeetingSettings(channel=ROOM, bot_nick="bot"))
    start = message("@a:x", "#startmeeting")
    odd = {"type": kind, "sender": "@a:x", "event_id": "$odd", "content": content, "redacts": redacts}
    for output in events(client.receive_sync(sync(timeline=[start, odd, {**odd, "sender": 3}]))):
        meeting.handle(output)


def test_a_huge_message_is_cut_and_unknown_events_are_skipped() -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync(state=[member("@a:x", "A")]))
    huge = message("@a:x", "#info " + "x" * 5_000_000 + "\n" + "line\n" * 200_000)
    sticker = {"type": "m.sticker", "sender": "@a:x", "content": {"body": "#endmeeting"}, "origin_server_ts": TS}
    reaction = {"type": "m.reaction", "sender": "@a:x", "content": {"m.relates_to": {"key": "👍"}}}
    no_sender = {"type": "m.room.redaction", "sender": 3, "redacts": "$x", "content": {}}
    out = events(client.receive_sync(sync(timeline=[huge, sticker, reaction, no_sender])))
    assert len(out) == 1 and isinstance(out[0], Message) and len(out[0].text) < 70_000


def test_history_before_the_bot_first_started_reaches_no_meeting_but_its_state_does() -> None:
    from gavel.transports.matrix.connection import _without_timeline

    client = MatrixClient("@bot:example.org", power_level_chairs=50)
    first = sync(
        state=[member("@a:x", "A")],
        timeline=[
            message("@a:x", "#startmeeting long ago"),
            member("@b:x", "B"),
            power({"@b:x": 50}) | {"event_id": "$p"},
        ],
    )
    assert _without_timeline(first) == {ROOM: "$p"}  # where a gap after a restart is filled back to
    out = client.receive_sync(first)
    assert [type(o) for o in out] == [JoinedChannel, ChannelEvent]
    assert events(out) == [RoleChairs(WHEN, ("@b:x",), ("B",))]  # state, not what was said
    assert client.rooms[ROOM].names == {"@a:x": "A", "@b:x": "B"}


def test_a_gap_in_the_timeline_is_told_and_the_events_sent_still_count() -> None:
    client = MatrixClient("@bot:example.org")
    client.receive_sync(sync(state=[member("@alice:example.org", "Alice")]))
    response = sync(timeline=[message("@alice:example.org", "after the gap")], batch="s2")
    response["rooms"]["join"][ROOM]["timeline"]["limited"] = True
    out = client.receive_sync(response)
    (notice,) = [o for o in out if isinstance(o, Notice)]
    assert ROOM in notice.text and "missing" in notice.text
    assert [e.text for e in events(out) if isinstance(e, Message)] == ["after the gap"]
    for odd in (False, "yes", 1, None):  # only a real gap is told
        response["rooms"]["join"][ROOM]["timeline"]["limited"] = odd
        assert not [o for o in client.receive_sync(response) if isinstance(o, Notice)]


def test_the_sync_filter_asks_for_every_kind_of_event_the_client_reads_and_nothing_else() -> None:
    wanted = sync_filter(timeline_limit=7)
    room = wanted["room"]
    assert room["timeline"]["limit"] == 7 and sync_filter()["room"]["timeline"]["limit"] >= 100
    for unwanted in (wanted["presence"], wanted["account_data"], room["ephemeral"], room["account_data"]):
        assert unwanted == {"types": []}
    # Each kind the client acts on is let through (the client's state for each is checked by the tests above).
    for kind in ("m.room.member", "m.room.power_levels", "m.room.encryption", "m.room.canonical_alias", "m.room.name"):
        assert kind in room["state"]["types"] and kind in room["timeline"]["types"]
    assert {"m.room.message", "m.room.redaction"} <= set(room["timeline"]["types"])
    assert "m.reaction" not in room["timeline"]["types"]
