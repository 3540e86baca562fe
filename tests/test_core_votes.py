"""Votes: #startvote, #vote, #showvote, #endvote, and the Vote record."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gavel.core import MeetingSettings
from gavel.core.records import ItemKind
from gavel.core.votes import DEFAULT_OPTIONS, Vote, parse_startvote
from strategies import T0, Session, log_lines, says, started

# ---------------------------------------------------------------------------- parse_startvote


@pytest.mark.parametrize(
    ("arg", "question", "options"),
    [
        ("Ship it?", "Ship it?", DEFAULT_OPTIONS),
        ("Ship it", "Ship it", DEFAULT_OPTIONS),
        ("  Ship it?  ", "Ship it?", DEFAULT_OPTIONS),
        ("Which colour? red, green, blue", "Which colour?", ("red", "green", "blue")),
        ("Which colour? red,green,blue", "Which colour?", ("red", "green", "blue")),
        ("Which colour? red / green / blue", "Which colour?", ("red", "green", "blue")),
        ("Which colour? red green blue", "Which colour?", ("red", "green", "blue")),
        ("Which colour? Choices: red, green", "Which colour?", ("red", "green")),
        ("Which colour? options:red, green", "Which colour?", ("red", "green")),
        ("Which? a, A, b, a", "Which?", ("a", "b")),
        ("Which? only", "Which?", DEFAULT_OPTIONS),
        ("Which? a, a", "Which?", DEFAULT_OPTIONS),
        ("Why? Really? yes, no", "Why? Really?", ("yes", "no")),
        ("Is 1+1=2? +1, -1, 0", "Is 1+1=2?", ("+1", "-1", "0")),
        ("?", "?", DEFAULT_OPTIONS),
        ("", "", DEFAULT_OPTIONS),
    ],
)
def test_parse_startvote(arg: str, question: str, options: tuple[str, ...]) -> None:
    assert parse_startvote(arg) == (question, options)


# ---------------------------------------------------------------------------- the Vote record


def test_vote_record() -> None:
    vote = Vote("Lunch?", ("Pizza", "Sushi", "none"), "alice", T0, 3)
    assert vote.option_for(" PIZZA ") == "Pizza"
    assert vote.option_for("sushi") == "Sushi"
    assert vote.option_for("pasta") is None
    assert vote.option_for("") is None
    vote.cast("bob", "Pizza")
    vote.cast("Carol", "Sushi")
    vote.cast("BOB", "Sushi")  # the same person: last vote counts
    vote.cast("al", "Sushi")
    assert vote.tally() == [("Pizza", []), ("Sushi", ["al", "BOB", "Carol"]), ("none", [])]
    assert vote.summary() == "Pizza (0); Sushi (3): al, BOB, Carol; none (0)"
    assert vote.result_text() == "Lunch? (Pizza=0, Sushi=3, none=0)"
    vote.rename("carol", "caroline")
    assert vote.tally()[1] == ("Sushi", ["al", "BOB", "caroline"])
    vote.rename("nobody", "someone")
    assert len(vote.ballots) == 3


# ---------------------------------------------------------------------------- the flow


def test_a_whole_vote() -> None:
    session = started()
    effects = session.say("alice", "#startvote Lunch? pizza, sushi")
    assert says(effects) == [
        "Begin voting on: Lunch? Valid vote options are pizza, sushi.",
        "Vote using '#vote OPTION'. Only your last vote counts.",
    ]
    vote = session.meeting.open_vote
    assert vote is not None and vote.question == "Lunch?" and vote.nick == "alice" and vote.line == 2
    # Votes are silent.
    assert says(session.say("bob", "#vote pizza")) == []
    assert says(session.say("carol", "#VOTE Sushi")) == []
    assert says(session.say("dave", "#vote: SUSHI")) == []
    assert says(session.say("bob", "#vote sushi")) == []  # changed his mind
    assert says(session.say("alice", "#showvote")) == ["Lunch? pizza (0); sushi (3): bob, carol, dave"]
    end = session.say("alice", "#endvote")
    assert says(end) == ['Voted on "Lunch?" Results are: pizza (0); sushi (3): bob, carol, dave']
    assert session.meeting.open_vote is None
    assert session.meeting.votes == [vote]
    assert vote.ended == session.now
    item = session.meeting.items[-1]
    assert (item.kind, item.text, item.nick, item.line) == (
        ItemKind.VOTE,
        "Lunch? (pizza=0, sushi=3)",
        "alice",
        log_lines(end)[0].number,
    )


def test_default_options() -> None:
    session = started()
    assert says(session.say("alice", "#startvote Ship it?"))[0] == (
        "Begin voting on: Ship it? Valid vote options are yes, no, abstain."
    )
    session.say("bob", "#vote Yes")
    session.say("carol", "#vote abstain")
    session.say("alice", "#endvote")
    assert session.meeting.items[-1].text == "Ship it? (yes=1, no=0, abstain=1)"


def test_invalid_option() -> None:
    session = started()
    session.say("alice", "#startvote Ship it?")
    assert says(session.say("bob", "#vote maybe")) == [
        "bob: 'maybe' is not a valid option. Valid options are yes, no, abstain."
    ]
    assert says(session.say("bob", "#vote")) == ["bob: '' is not a valid option. Valid options are yes, no, abstain."]
    assert session.meeting.open_vote is not None and session.meeting.open_vote.ballots == {}


def test_a_later_invalid_vote_keeps_the_earlier_valid_one() -> None:
    session = started()
    session.say("alice", "#startvote Ship it?")
    session.say("bob", "#vote no")
    session.say("bob", "#vote nope")
    assert says(session.say("bob", "#showvote")) == ["Ship it? yes (0); no (1): bob; abstain (0)"]


def test_no_vote_in_progress() -> None:
    session = started()
    for nick, text in [("bob", "#vote yes"), ("bob", "#showvote"), ("alice", "#endvote")]:
        assert says(session.say(nick, text)) == [f"{nick}: there is no vote in progress."]
    assert session.meeting.items == []


def test_one_vote_at_a_time() -> None:
    session = started()
    session.say("alice", "#startvote First?")
    assert says(session.say("alice", "#startvote Second?")) == ["alice: a vote is already open: First?"]
    assert session.meeting.open_vote is not None and session.meeting.open_vote.question == "First?"


def test_startvote_usage() -> None:
    session = started()
    assert says(session.say("alice", "#startvote")) == ["alice: usage: #startvote <question>? [option, option, ...]"]
    assert session.meeting.open_vote is None


def test_only_chairs_start_and_end_votes() -> None:
    session = started()
    assert says(session.say("bob", "#startvote Mine?")) == ["bob: only chairs can start a vote."]
    assert session.meeting.open_vote is None
    session.say("alice", "#startvote Theirs?")
    assert says(session.say("bob", "#endvote")) == ["bob: only chairs can end the vote."]
    assert session.meeting.open_vote is not None
    session.say("alice", "#chair bob")
    session.say("bob", "#endvote")
    assert session.meeting.open_vote is None


def test_a_voter_who_changes_nick_keeps_one_ballot() -> None:
    session = started()
    session.say("alice", "#startvote Ship it?")
    session.say("bob", "#vote yes")
    session.rename("bob", "robert")
    session.say("robert", "#vote no")
    assert says(session.say("alice", "#showvote")) == ["Ship it? yes (0); no (1): robert; abstain (0)"]


def test_several_votes_in_one_meeting() -> None:
    session = started()
    for question in ("One?", "Two?"):
        session.say("alice", f"#startvote {question}")
        session.say("bob", "#vote yes")
        session.say("alice", "#endvote")
    assert [vote.question for vote in session.meeting.votes] == ["One?", "Two?"]
    assert [item.text for item in session.meeting.items] == [
        "One? (yes=1, no=0, abstain=0)",
        "Two? (yes=1, no=0, abstain=0)",
    ]


def test_the_bot_cannot_vote() -> None:
    session = started(MeetingSettings(channel="#c", bot_nick="gavelbot"))
    session.say("alice", "#startvote Ship it?")
    session.say("gavelbot", "#vote yes")
    assert session.meeting.open_vote is not None and session.meeting.open_vote.ballots == {}


def test_a_vote_open_at_the_end_is_not_recorded() -> None:
    session = started()
    session.say("alice", "#startvote Ship it?")
    session.say("bob", "#vote yes")
    session.say("alice", "#endmeeting")
    assert session.meeting.votes == []
    assert session.meeting.items == []


def test_vote_items_fall_under_the_current_topic() -> None:
    session = Session()
    session.begin()
    session.say("alice", "#topic Release")
    session.say("alice", "#startvote Ship it?", at=timedelta(minutes=5))
    session.say("alice", "#endvote")
    assert session.meeting.items[-1].topic == "Release"


def test_ballots_fold_nicks_the_irc_way() -> None:
    from datetime import UTC, datetime

    from gavel.core.votes import Vote

    vote = Vote("ok?", ("yes", "no"), "chair", datetime(2024, 1, 1, tzinfo=UTC), 1)
    vote.cast("[m]", "yes")
    vote.cast("{M}", "no")
    assert vote.tally() == [("yes", []), ("no", ["{M}"])]
