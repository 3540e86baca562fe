"""Actions and people: who owns an action, who was present."""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # re's own compiler module: what it takes as cased
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gavel.core import MeetingSettings
from gavel.core.records import _ODD_CASE, Item, ItemKind, _held_piece, actions_by_person, fold_nick, mentions
from gavel.render.view import Person, build_view
from strategies import T0, started


def action(text: str, line: int = 1) -> Item:
    return Item(ItemKind.ACTION, text, "alice", T0, line, None)


# ---------------------------------------------------------------------------- mentions


@pytest.mark.parametrize(
    ("text", "nick", "expected"),
    [
        ("bob to fix it", "bob", True),
        ("BOB to fix it", "bob", True),
        ("fix it, Bob.", "bob", True),
        ("bob: fix it", "bob", True),
        ("(bob) fix it", "bob", True),
        ("bob's job", "bob", True),
        ("ask bob", "bob", True),
        ("bob,carol fix it", "carol", True),
        ("bobby to fix it", "bob", False),
        ("jimbob to fix it", "bob", False),
        ("bob_ to fix it", "bob", False),
        ("bob-2 to fix it", "bob", False),
        ("bob|away to fix it", "bob", False),
        ("[bob] to fix it", "bob", False),
        ("bob_ to fix it", "bob_", True),
        ("[m] to fix it", "[m]", True),
        ("x[m] to fix it", "[m]", False),
        ("a.b to fix", "a.b", True),
        ("axb to fix", "a.b", False),
        ("nobody here", "bob", False),
        ("", "bob", False),
    ],
)
def test_mentions(text: str, nick: str, expected: bool) -> None:
    assert mentions(text, nick) is expected


def test_fold_nick() -> None:
    assert fold_nick("Alice") == "alice"
    assert fold_nick("[Bob]") == "{bob}"
    assert fold_nick("a\\b~") == "a|b^"
    assert fold_nick("{bob}") == fold_nick("[BOB]")


# ---------------------------------------------------------------------------- actions_by_person


def test_actions_by_person() -> None:
    a1 = action("bob and carol to write docs", 1)
    a2 = action("dave to review", 2)
    a3 = action("Bob to ship", 3)
    a4 = action("someone should do this", 4)
    owners, unassigned = actions_by_person([a1, a2, a3, a4], ["carol", "bob", "Zed", "bob"])
    assert list(owners) == ["bob", "carol"]
    assert owners["bob"] == [a1, a3]
    assert owners["carol"] == [a1]
    assert unassigned == [a2, a4]


# Letters that ignore-case matching treats specially, next to plain ones and nick punctuation.
_CASE_TRICKY = st.text(
    alphabet="aAiIsSkKlL_-[]{}|^`\\.: \u0130\u0131\u017f\u212a\u00e9\u00c9\u00df\u1e9e\u03a3\u03c3\u03c2", max_size=12
)


# Names mixing ASCII, uncased (CJK, digits, punctuation) and cased non-ASCII letters, and the letters ignore-case
# matching treats specially.
_MIXED = st.text(
    alphabet="aAiIsSkK1_-. \u0130\u0131\u017f\u212a\u00e9\u00c9\u00fc\u00df\u1e9e\u03a3\u03c3\u03c2\u674e\u96f7",
    max_size=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(_CASE_TRICKY, _MIXED), max_size=4),
    st.lists(st.one_of(_CASE_TRICKY, _MIXED, st.text(max_size=12)), min_size=1, max_size=4),
)
@example(["\u017f to review"], ["s"])  # long s matches s
@example(["L\u0130N does it"], ["lin"])  # dotted capital I matches i (and lower() makes it two characters)
@example(["\u0131"], ["I"])  # dotless i matches I
@example(["\u212a9s"], ["k9s"])  # the Kelvin sign matches k
@example(["\u212ak9s"], ["k9s"])  # ... so it is a nick character next to a nick
def test_actions_by_person_agrees_with_mentions(texts: list[str], nicks: list[str]) -> None:
    """Its quick pre-check never changes an answer: each action goes to exactly the nicks ``mentions`` finds."""
    items = [action(text, line) for line, text in enumerate(texts, 1)]
    owners, unassigned = actions_by_person(items, nicks)
    for item in items:
        named = {nick for nick in nicks if mentions(item.text, nick)}
        assert {nick for nick, owned in owners.items() if item in owned} == named
        assert (item in unassigned) == (not named)


@settings(max_examples=500, deadline=None)
@given(_MIXED, _MIXED, _MIXED)
@example("ask Ren\u00c9e", "ren\u00e9e", "")  # cased non-ASCII letters in other cases: the ASCII run "ren" is held
@example("\u674e\u96f7 to do it", "\u674e\u96f7", "")  # uncased letters: held as they are
@example("\u212aate to review", "kate", "")  # the Kelvin sign lowers to k
def test_a_named_nick_leaves_its_held_piece(before: str, name: str, after: str) -> None:
    """Where ``mentions`` finds a name in a text without _ODD_CASE letters, the text's lower case holds the name's
    ``_held_piece``: the pre-check that lets ``actions_by_person`` skip the pattern never skips a match."""
    text = f"{before} {name} {after}"
    for candidate in (text, before, name.upper(), name.swapcase()):
        if _ODD_CASE.isdisjoint(candidate) and mentions(candidate, name):
            assert _held_piece(name) in candidate.lower()


def test_held_piece() -> None:
    assert _held_piece("Ren\u00e9e") == "ren"
    assert _held_piece("\u00fcn\u00efcode") == "code"
    assert _held_piece("\u674e\u96f7") == "\u674e\u96f7"
    assert _held_piece("\u00c9\u00e9") == ""


def test_uncased_characters_match_only_themselves() -> None:
    """``re``'s compiler matches a character it finds uncased (``_sre.unicode_iscased``) only with itself, ignoring
    case or not: every character that ``_held_piece`` takes as uncased is one."""
    cased = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if chr(code).lower() == chr(code) == chr(code).upper() and _sre.unicode_iscased(code)
    ]
    assert cased == []


def test_actions_by_person_orders_nicks_case_insensitively() -> None:
    owners, unassigned = actions_by_person([action("Zed, amy and Bob")], ["Zed", "amy", "Bob"])
    assert list(owners) == ["amy", "Bob", "Zed"]
    assert unassigned == []


def test_actions_by_person_with_no_people() -> None:
    a = action("bob")
    assert actions_by_person([a], []) == ({}, [a])
    assert actions_by_person([], ["bob"]) == ({}, [])


# ---------------------------------------------------------------------------- in a meeting


def meeting_actions() -> tuple[dict[str, list[Item]], list[Item]]:
    session = started(MeetingSettings(channel="#c", bot_nick="gavelbot"))
    session.say("bob", "I can do it")
    session.act("carol", "nods")
    session.say("alice", "#nick dave")
    session.say("alice", "#chair eve")
    session.say("alice", "#action bob to write the docs")
    session.say("alice", "#action: Carol and dave review")
    session.say("alice", "#action EVE books the room")
    session.say("alice", "#action frank does something")
    session.say("alice", "#action gavelbot reminds everyone")
    session.say("alice", "#info bob is not an action")
    meeting = session.meeting
    actions = [item for item in meeting.items if item.kind is ItemKind.ACTION]
    return actions_by_person(actions, meeting.action_nicks())


def test_action_owners_in_a_meeting() -> None:
    owners, unassigned = meeting_actions()
    assert {nick: [item.text for item in items] for nick, items in owners.items()} == {
        "bob": ["bob to write the docs"],
        "carol": ["Carol and dave review"],
        "dave": ["Carol and dave review"],
        "eve": ["EVE books the room"],
    }
    assert [item.text for item in unassigned] == ["frank does something", "gavelbot reminds everyone"]


def test_action_nicks() -> None:
    session = started(MeetingSettings(channel="#c", bot_nick="gavelbot"))
    session.say("Bob", "hi")
    session.say("bob", "again")  # same person, first spelling kept
    session.act("carol", "waves")
    session.say("gavelbot", "beep")
    session.say("alice", "#nick dave, Eve")
    session.say("alice", "#nick BOB")
    session.say("alice", "#chair frank")
    assert sorted(session.meeting.action_nicks()) == ["Bob", "Eve", "alice", "carol", "dave", "frank"]


# ---------------------------------------------------------------------------- people present


def test_people_most_lines_first_ties_by_nick() -> None:
    session = started(MeetingSettings(channel="#c", bot_nick="gavelbot"))
    for _ in range(3):
        session.say("carol", "talk")
    session.act("bob", "one")
    session.say("Bob", "two")
    session.say("dave", "one")
    session.say("Aaron", "one")
    session.say("gavelbot", "not a person")
    session.raw("not a person either")
    session.join("zed")
    assert session.meeting.people() == [("carol", 3), ("bob", 2), ("Aaron", 1), ("alice", 1), ("dave", 1)]


def test_commands_and_refused_lines_count_as_lines_said() -> None:
    session = started()
    session.say("bob", "#topic refused")
    session.say("bob", "#info accepted")
    session.say("bob", "#nosuch")
    assert session.meeting.people() == [("bob", 3), ("alice", 1)]


def test_a_person_is_counted_once_across_nick_changes() -> None:
    session = started()
    session.say("bob", "one")
    session.rename("bob", "rob")
    session.say("rob", "two")
    session.say("rob", "three")
    assert session.meeting.people() == [("rob", 3), ("alice", 1)]
    assert session.meeting.aliases() == {"rob": ("bob",)}


def test_whoever_takes_a_freed_nick_is_someone_else() -> None:
    session = started()
    session.say("sdake", "one")
    session.rename("sdake", "sdake_")
    session.say("sdake", "I am new here")
    session.say("SDAKE_", "two")
    assert session.meeting.people() == [("sdake_", 2), ("alice", 1), ("sdake", 1)]
    assert session.meeting.aliases() == {"sdake_": ("sdake",)}


def test_a_nick_change_back_lists_the_person_once() -> None:
    session = started()
    session.say("bob", "one")
    session.rename("bob", "bob_away")
    session.rename("bob_away", "Bob")
    session.say("Bob", "back")
    assert session.meeting.people() == [("Bob", 2), ("alice", 1)]
    assert session.meeting.aliases() == {"Bob": ("bob_away",)}


def test_an_action_for_an_old_nick_belongs_to_the_person() -> None:
    session = started(owner="sdake")
    session.say("sdake", "#action sdake to write the spec")
    session.rename("sdake", "sdake_")
    session.say("sdake_", "#action sdake_ to review it")
    view = build_view(session.meeting, log_basename="x")
    assert [(owner.nick, [item.text for item in owner.actions]) for owner in view.actions_by_person] == [
        ("sdake_", ["sdake to write the spec", "sdake_ to review it"])
    ]
    assert (view.started_by, view.owner) == ("sdake", "sdake_")  # the start line names the nick of the time
    assert view.people[0] == Person("sdake_", 3, ("sdake",))
