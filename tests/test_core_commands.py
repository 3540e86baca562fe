"""Command parsing and every command's effect: items, usage replies, refusals, aliases, case."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.core import LogLine, MeetingSettings, SaveMinutes, Say, SetTopic
from gavel.core.commands import (
    COMMANDS,
    Command,
    Permission,
    available_commands,
    lookup,
    parse,
    parse_reference,
    useful_commands,
)
from gavel.core.effects import LineKind
from gavel.core.meeting import _ITEM_COMMANDS
from gavel.core.records import Item, ItemKind, starts_with_url
from strategies import T0, log_lines, says, started, topics

ALL_NAMES = sorted({name for command in COMMANDS for name in (command.name, *command.aliases)})
CHAIR_COMMANDS = [c for c in COMMANDS if c.permission is Permission.CHAIR]
ITEM_SPELLINGS = [
    ("info", ItemKind.INFO),
    ("idea", ItemKind.IDEA),
    ("help", ItemKind.HELP),
    ("halp", ItemKind.HELP),
    ("link", ItemKind.LINK),
    ("action", ItemKind.ACTION),
    ("agreed", ItemKind.AGREED),
    ("agree", ItemKind.AGREED),
    ("accepted", ItemKind.ACCEPTED),
    ("accept", ItemKind.ACCEPTED),
    ("rejected", ItemKind.REJECTED),
    ("reject", ItemKind.REJECTED),
]


# ---------------------------------------------------------------------------- the registry


def test_registry_names_are_unique_lowercase_words() -> None:
    """A lower-case ASCII word, perhaps ending in +, - or ? (Zakim's ``present+``, ``q?``)."""
    names = [name for command in COMMANDS for name in (command.name, *command.aliases)]
    assert len(names) == len(set(names))
    for name in names:
        word = name.removesuffix("+").removesuffix("-").removesuffix("?")
        assert word.isascii() and word.isalpha() and name == name.lower(), name


def test_every_restricted_command_says_what_it_does() -> None:
    for command in COMMANDS:
        assert command.help.strip(), command.name
        if command.permission is not Permission.ANYONE:
            assert command.verb, f"#{command.name} needs a verb for its refusal"


def test_item_commands_all_take_text() -> None:
    for name in _ITEM_COMMANDS:
        command = lookup(name)
        assert command is not None and command.usage


def test_lookup() -> None:
    assert lookup("info") is lookup("INFO") is lookup("Info")
    assert lookup("halp") is lookup("help")
    assert lookup("agree") is lookup("agreed")
    assert lookup("nope") is None
    assert lookup("") is None


def test_useful_and_available_commands() -> None:
    assert useful_commands() == "#action #agreed #help #info #idea #link #topic #startvote"
    assert available_commands().split() == ["#" + name for name in ALL_NAMES]


# ---------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "name", "arg"),
    [
        ("#info hello", "info", "hello"),
        ("#INFO hello", "info", "hello"),
        ("#Topic Hello World", "topic", "Hello World"),
        ("#TOPIC", "topic", ""),
        ("#action: bob to fix it", "action", "bob to fix it"),
        ("#ACTION:bob", None, None),
        ("#action:", "action", ""),
        ("#info   lots   of   space   ", "info", "lots   of   space"),
        ("#info\tx", "info", "x"),
        ("   #info indented", "info", "indented"),
        ("\t#info tabbed", "info", "tabbed"),
        ("#info\n", "info", ""),
        ("#info x\r\n", "info", "x"),
        ("#halp me", "help", "me"),
        ("#agree yes", "agreed", "yes"),
        ("#Accept it", "accepted", "it"),
        ("#REJECT it", "rejected", "it"),
        ("#info-ish not a command", None, None),
        ("#info's", None, None),
        ("#infos", None, None),
        ("#inf", None, None),
        ("#", None, None),
        ("# info", None, None),
        ("##info", None, None),
        ("info #info", None, None),
        ("hello", None, None),
        ("", None, None),
        ("#nosuchcommand x", None, None),
        ("#info\nsecond line", None, None),
    ],
)
def test_parse(text: str, name: str | None, arg: str | None) -> None:
    parsed = parse(text)
    if name is None:
        assert parsed is None
    else:
        assert parsed is not None
        assert (parsed[0].name, parsed[1]) == (name, arg)


def test_parse_is_linear_on_huge_lines() -> None:
    # Used to backtrack quadratically on a long run of whitespace inside the argument.
    text = "#info a" + " " * 200_000 + "b"
    began = time.perf_counter()
    parsed = parse(text)
    assert parsed is not None and parsed[1] == "a" + " " * 200_000 + "b"
    assert parse("#info" + " \t" * 100_000 + "\n" * 1000) is not None
    assert parse("#info" + "x" * 100_000 + " y") is None
    assert time.perf_counter() - began < 1.0


# ---------------------------------------------------------------------------- plain lines and links


def test_a_plain_line_is_only_logged_and_counted() -> None:
    session = started()
    effects = session.say("bob", "just talking #info")
    assert effects == [LogLine(2, T0 + timedelta(seconds=1), LineKind.MESSAGE, "bob", "just talking #info")]
    assert session.meeting.items == []
    assert session.meeting.people() == [("alice", 1), ("bob", 1)]


def test_info_ish_is_not_a_command() -> None:
    session = started()
    effects = session.say("alice", "#info-ish this is not info")
    assert [type(e) for e in effects] == [LogLine]
    assert session.meeting.items == []


@pytest.mark.parametrize(
    "text",
    [
        "https://example.org/x",
        "http://example.org/ with words",
        "HTTPS://EXAMPLE.ORG",
        "ftp://files.example.org/a",
        "irc://irc.libera.chat/#gavel",
        "ircs://irc.libera.chat/#gavel",
        "  https://indented.example.org",
    ],
)
def test_a_line_starting_with_a_url_is_a_link(text: str) -> None:
    session = started()
    effects = session.say("bob", text)
    assert [type(e) for e in effects] == [LogLine]
    assert [(item.kind, item.text, item.nick) for item in session.meeting.items] == [
        (ItemKind.LINK, text.strip(), "bob")
    ]


@pytest.mark.parametrize(
    "text", ["see https://example.org", "mailto:x@example.org", "http://", "http:// x", "www.example.org", "file:///x"]
)
def test_other_lines_are_not_links(text: str) -> None:
    session = started()
    session.say("bob", text)
    assert session.meeting.items == []
    assert not starts_with_url(text.lstrip())


# ---------------------------------------------------------------------------- item commands


@pytest.mark.parametrize(("spelling", "kind"), ITEM_SPELLINGS)
@pytest.mark.parametrize("case", [str.lower, str.upper])
def test_item_commands(spelling: str, kind: ItemKind, case: Callable[[str], str]) -> None:
    session = started()
    session.say("alice", "#topic Status")
    nick = "alice"  # a chair may use all of them
    effects = session.say(nick, f"#{case(spelling)} some text here")
    assert [type(e) for e in effects] == [LogLine]
    assert session.meeting.items[-1] == Item(kind, "some text here", nick, T0 + timedelta(seconds=2), 3, "Status")


@pytest.mark.parametrize("name", ["info", "idea", "help", "halp", "link", "action"])
def test_anyone_may_add_these_items(name: str) -> None:
    session = started()
    session.say("bob", f"#{name}: from bob")
    assert [(item.nick, item.text) for item in session.meeting.items] == [("bob", "from bob")]


@pytest.mark.parametrize(("spelling", "kind"), ITEM_SPELLINGS)
def test_item_commands_with_no_text_reply_with_usage(spelling: str, kind: ItemKind) -> None:
    session = started()
    command = lookup(spelling)
    assert command is not None
    effects = session.say("alice", f"#{spelling}   ")
    assert says(effects) == [f"alice: usage: #{command.name} {command.usage}"]
    assert session.meeting.items == []


def test_items_before_any_topic_have_no_topic() -> None:
    session = started()
    session.say("bob", "#idea first")
    assert session.meeting.items[0].topic is None


def test_items_remember_the_topic_they_fall_under() -> None:
    # A topic item falls under itself.
    session = started()
    session.say("alice", "#topic One")
    session.say("bob", "#info a")
    session.say("alice", "#topic Two")
    session.say("bob", "#info b")
    got = [(item.kind, item.text, item.topic) for item in session.meeting.items]
    assert got == [
        (ItemKind.TOPIC, "One", "One"),
        (ItemKind.INFO, "a", "One"),
        (ItemKind.TOPIC, "Two", "Two"),
        (ItemKind.INFO, "b", "Two"),
    ]


def test_item_line_is_the_log_line_of_the_command() -> None:
    session = started()
    session.say("bob", "chatter")
    session.act("bob", "does things")
    effects = session.say("bob", "#info here")
    assert session.meeting.items[-1].line == log_lines(effects)[0].number == 4


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("command", CHAIR_COMMANDS, ids=lambda c: c.name)
def test_chair_commands_are_refused_for_others(command: Command) -> None:
    for spelling in (command.name, *command.aliases):
        session = started()
        session.say("alice", "#startvote Open? yes, no")  # so #endvote has something to refuse
        before = (
            session.meeting.minutes_state(),
            session.meeting.chairs,
            session.meeting.name,
            session.meeting.title,
            session.meeting.open_vote,
        )
        text = f"#{spelling.upper()} alice bob"
        effects = session.say("bob", text)
        # Logged as an ordinary line, and the bot says why.
        assert effects[0] == LogLine(3, T0 + timedelta(seconds=2), LineKind.MESSAGE, "bob", text)
        assert effects[1:] == [Say(f"bob: only chairs can {command.verb}.")]
        after = (
            session.meeting.minutes_state(),
            session.meeting.chairs,
            session.meeting.name,
            session.meeting.title,
            session.meeting.open_vote,
        )
        assert after == before
        assert not session.meeting.lurking and not session.meeting.restricted
        # The refused line still counts as a line said.
        assert ("bob", 1) in session.meeting.people()


def test_topic_refusal_text() -> None:
    session = started()
    assert says(session.say("bob", "#topic mine now")) == ["bob: only chairs can set the topic."]
    assert session.meeting.current_topic is None


# ---------------------------------------------------------------------------- #topic and #meetingtopic


def test_topic_sets_current_topic_and_channel_topic() -> None:
    session = started()
    effects = session.say("alice", "#topic Review   ")
    assert effects[1:] == [SetTopic("Review")]
    assert session.meeting.current_topic == "Review"
    assert session.meeting.items[-1].kind is ItemKind.TOPIC


def test_topic_usage() -> None:
    session = started()
    assert says(session.say("alice", "#topic")) == ["alice: usage: #topic <topic>"]
    assert session.meeting.items == []
    assert session.meeting.current_topic is None


def test_meetingtopic_sets_and_clears_the_title() -> None:
    session = started()
    assert topics(session.say("alice", "#meetingtopic Weekly sync")) == ["Meeting topic: Weekly sync"]
    assert session.meeting.title == "Weekly sync"
    assert topics(session.say("alice", "#topic Bugs")) == ["Bugs (Meeting topic: Weekly sync)"]
    assert session.meeting.topic_text() == "Bugs (Meeting topic: Weekly sync)"
    for clear in ("#meetingtopic none", "#meetingtopic NONE", "#meetingtopic unset", "#meetingtopic"):
        session.say("alice", "#meetingtopic again")
        assert topics(session.say("alice", clear)) == ["Bugs"]
        assert session.meeting.title is None
    # No items: the title is not part of the minutes items.
    assert [item.kind for item in session.meeting.items] == [ItemKind.TOPIC]


def test_startmeeting_name_is_also_the_title() -> None:
    session = started(name="Weekly Sync")
    assert session.meeting.title == "Weekly Sync"
    assert topics(session.say("alice", "#topic A")) == ["A (Meeting topic: Weekly Sync)"]


# ---------------------------------------------------------------------------- #meetingname


def test_meetingname() -> None:
    session = started()
    assert says(session.say("alice", "#meetingname Team Sync-Up 2024")) == [
        "The meeting name has been set to 'team_sync_up_2024'"
    ]
    assert session.meeting.name == "team_sync_up_2024"
    # The title is not touched.
    assert session.meeting.title is None


@pytest.mark.parametrize("arg", ["", "   ", "日本語", "!!!", "___", "-"])
def test_meetingname_without_letters_or_digits_keeps_the_name(arg: str) -> None:
    session = started(name="keep me")
    effects = session.say("alice", f"#meetingname {arg}")
    assert says(effects) == ["alice: a meeting name needs letters or digits; it stays 'keep_me'."]
    assert session.meeting.name == "keep_me"


# ---------------------------------------------------------------------------- #nick, #commands, #save


def test_nick_adds_people_actions_can_be_assigned_to() -> None:
    session = started()
    effects = session.say("bob", "#nick carol, dave  Eve")
    assert [type(e) for e in effects] == [LogLine]
    assert sorted(session.meeting.action_nicks()) == ["Eve", "alice", "bob", "carol", "dave"]
    # #nick does not make anyone present.
    assert [nick for nick, _ in session.meeting.people()] == ["alice", "bob"]
    # Empty #nick is harmless.
    assert [type(e) for e in session.say("bob", "#nick")] == [LogLine]


def test_nick_keeps_the_first_spelling() -> None:
    session = started()
    session.say("bob", "#nick Carol")
    session.say("bob", "#nick CAROL")
    assert "Carol" in session.meeting.action_nicks()
    assert "CAROL" not in session.meeting.action_nicks()


def test_commands_lists_every_command_and_alias() -> None:
    session = started()
    effects = session.say("bob", "#commands")
    assert says(effects) == ["Available commands: " + " ".join("#" + name for name in ALL_NAMES)]
    assert "#halp" in says(effects)[0] and "#agree" in says(effects)[0]


def test_save_by_chair() -> None:
    session = started()
    assert session.say("alice", "#SAVE")[1:] == [SaveMinutes(T0 + timedelta(seconds=1))]


# ---------------------------------------------------------------------------- the bot's own lines


def test_bot_lines_are_logged_but_never_commands() -> None:
    session = started(MeetingSettings(channel="#c", bot_nick="GavelBot"))
    session.say("alice", "#chair gavelbot")
    assert session.meeting.chairs == ["alice"]
    for text in ("#topic from the bot", "#info bot info", "https://bot.example.org", "#endmeeting", "#lurk"):
        effects = session.say("GavelBot", text)
        assert [type(e) for e in effects] == [LogLine]
        assert log_lines(effects)[0].nick == "GavelBot"
    session.act("gavelbot", "beeps")
    assert [i.kind for i in session.meeting.items] == []
    assert session.meeting.current_topic is None
    assert not session.meeting.lurking
    assert [nick for nick, _ in session.meeting.people()] == ["alice"]
    session.say("alice", "#nick GAVELBOT")
    assert "GAVELBOT" not in session.meeting.action_nicks()
    assert "gavelbot" not in [n.lower() for n in session.meeting.action_nicks()]


def test_the_bot_nick_is_an_ordinary_nick_when_unset() -> None:
    session = started()
    session.say("gavelbot", "#info I am a person")
    assert len(session.meeting.items) == 1


# ---------------------------------------------------------------------------- not commands


def test_actions_and_raw_lines_are_never_commands() -> None:
    session = started()
    session.act("alice", "#topic via /me")
    session.act("alice", "https://example.org/ via /me")
    session.raw("#endmeeting")
    session.raw("<alice> #topic from a raw line")
    assert session.meeting.items == []
    assert session.meeting.current_topic is None
    assert session.meeting.lines == 5


def test_url_after_a_unicode_space_is_a_link() -> None:
    from datetime import UTC, datetime

    from gavel.core.events import Message
    from gavel.core.meeting import Meeting, MeetingSettings
    from gavel.core.records import ItemKind

    meeting = Meeting(MeetingSettings(channel="#c"))
    t = datetime(2024, 1, 1, tzinfo=UTC)
    meeting.handle(Message(t, "a", "#startmeeting"))
    meeting.handle(Message(t, "b", "\u00a0https://example.org/x"))
    assert [item.kind for item in meeting.items] == [ItemKind.LINK]


_COMMAND_LIKE = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["#", " #", "\t#", "", "##", "\u3000#"]),
        st.sampled_from([*ALL_NAMES, "INFO", "Action", "infox", "in fo", "\u212aick", "ac\u212a", "q", ""]),
        st.sampled_from(["", ":", "::", "+", "-"]),
        st.sampled_from(["", " ", "  ", "\t", " \t", "\n", " \n", "\u00a0", "x"]),
        st.text(st.sampled_from(" \t\n:#abc\u00a0\u2028é👍"), max_size=12),
    ),
)


@settings(max_examples=500, deadline=None)
@given(_COMMAND_LIKE | st.text(max_size=20))
def test_parse_is_parse_reference(text: str) -> None:
    assert parse(text) == parse_reference(text)
