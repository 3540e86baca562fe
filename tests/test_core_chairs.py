"""Chairs: the owner, #chair/#unchair, nick changes, services accounts, overtime #endmeeting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gavel.core import MeetingEnded, MeetingSettings, MeetingState
from strategies import Session, log_lines, says, started, topics


def try_topic(session: Session, nick: str, account: str | None = None) -> bool:
    """True when ``nick`` (with ``account``) may set the topic."""
    effects = session.say(nick, f"#topic by {nick}", account=account)
    allowed = topics(effects) == [f"by {nick}"]
    assert allowed != bool(says(effects)), says(effects)
    return allowed


# ---------------------------------------------------------------------------- owner and #chair/#unchair


def test_the_starter_is_owner_and_first_chair() -> None:
    session = started(owner="Alice")
    meeting = session.meeting
    assert meeting.owner == "Alice"
    assert meeting.chairs == ["Alice"]
    assert meeting.is_chair("Alice") and meeting.is_chair("alice") and meeting.is_chair("ALICE")
    assert not meeting.is_chair("bob")
    assert try_topic(session, "alice")
    assert not try_topic(session, "bob")


def test_chair_and_unchair() -> None:
    session = started()
    assert says(session.say("alice", "#chair bob, Carol  dave")) == ["Current chairs: alice bob Carol dave"]
    assert session.meeting.chairs == ["alice", "bob", "Carol", "dave"]
    assert try_topic(session, "bob")
    assert try_topic(session, "carol")
    # A new chair may chair others.
    assert says(session.say("bob", "#chair eve")) == ["Current chairs: alice bob Carol dave eve"]
    assert says(session.say("carol", "#unchair bob eve nobody")) == ["Current chairs: alice Carol dave"]
    assert not try_topic(session, "bob")
    assert not try_topic(session, "eve")
    # The chairs are people actions can be assigned to.
    assert {"carol", "dave", "eve"} <= {nick.lower() for nick in session.meeting.action_nicks()}


def test_chair_without_arguments_lists_chairs() -> None:
    session = started()
    assert says(session.say("alice", "#chair")) == ["Current chairs: alice"]
    assert says(session.say("alice", "#unchair")) == ["Current chairs: alice"]


def test_chair_twice_keeps_one_entry() -> None:
    session = started()
    session.say("alice", "#chair bob")
    session.say("alice", "#chair BOB")
    assert session.meeting.chairs == ["alice", "bob"]


def test_the_owner_cannot_be_unchaired() -> None:
    session = started()
    session.say("alice", "#chair bob")
    assert says(session.say("bob", "#unchair ALICE bob")) == [
        "Current chairs: alice (the owner, alice, cannot be unchaired)"
    ]
    assert try_topic(session, "alice")
    assert not try_topic(session, "bob")
    # The owner may unchair themself: nothing happens.
    assert says(session.say("alice", "#unchair alice")) == [
        "Current chairs: alice (the owner, alice, cannot be unchaired)"
    ]


def test_chairs_compare_nicks_with_irc_case_folding() -> None:
    session = started(owner="[alice]")
    assert session.meeting.is_chair("{ALICE}")
    assert try_topic(session, "{alice}")
    session.say("[alice]", "#chair b|b")
    assert try_topic(session, "B\\B")


def test_unchair_refused_for_non_chairs() -> None:
    session = started()
    session.say("alice", "#chair bob")
    assert says(session.say("carol", "#unchair bob")) == ["carol: only chairs can remove chairs."]
    assert says(session.say("carol", "#chair carol")) == ["carol: only chairs can add chairs."]
    assert session.meeting.chairs == ["alice", "bob"]


# ---------------------------------------------------------------------------- nick changes


def test_a_chair_who_changes_nick_stays_chair() -> None:
    session = started()
    session.say("alice", "#chair bob")
    effects = session.rename("bob", "bob_away")
    assert says(effects) == []
    assert session.meeting.chairs == ["alice", "bob_away"]
    assert try_topic(session, "bob_away")
    # Whoever takes the old nick is not a chair.
    assert not try_topic(session, "bob")


def test_the_owner_who_changes_nick_stays_owner_and_chair() -> None:
    session = started()
    session.rename("alice", "alice_")
    assert session.meeting.owner == "alice_"
    assert session.meeting.chairs == ["alice_"]
    assert try_topic(session, "alice_")
    assert not try_topic(session, "alice")
    session.say("alice_", "#chair bob")
    assert says(session.say("bob", "#unchair alice_")) == [
        "Current chairs: alice_ bob (the owner, alice_, cannot be unchaired)"
    ]
    # The owner's old nick is nobody special now.
    assert says(session.say("bob", "#unchair alice")) == ["Current chairs: alice_ bob"]


def test_nick_change_by_case_only_keeps_chair() -> None:
    session = started()
    session.rename("alice", "ALICE")
    assert session.meeting.chairs == ["ALICE"]
    assert session.meeting.owner == "ALICE"
    assert try_topic(session, "Alice")


def test_a_nick_changed_twice_stays_chair() -> None:
    session = started()
    session.say("alice", "#chair bob")
    session.rename("bob", "b1")
    session.rename("b1", "b2")
    assert session.meeting.chairs == ["alice", "b2"]
    assert try_topic(session, "b2")
    assert not try_topic(session, "b1")


def test_nick_change_moves_nick_list_entries() -> None:
    session = started()
    session.say("alice", "#nick carol")
    session.rename("carol", "caroline")
    assert "caroline" in session.meeting.action_nicks()
    assert "carol" not in session.meeting.action_nicks()


def test_nick_change_is_logged_meetbot_style() -> None:
    session = started()
    effects = session.rename("bob", "rob")
    assert [(line.nick, line.text) for line in log_lines(effects)] == [("bob", "bob is now known as rob")]


# ---------------------------------------------------------------------------- services accounts


def test_a_nick_on_the_owners_account_is_a_chair() -> None:
    session = started(account="acct-alice")
    assert session.meeting.is_chair("alice_phone", "acct-alice")
    assert try_topic(session, "alice_phone", account="acct-alice")
    assert not try_topic(session, "mallory", account="acct-mallory")
    assert not try_topic(session, "mallory")
    # The account is not a chair list entry.
    assert session.meeting.chairs == ["alice"]


def test_chairs_by_account_can_be_disabled() -> None:
    session = started(MeetingSettings(channel="#c", chairs_by_account=False), account="acct-alice")
    assert not session.meeting.is_chair("alice_phone", "acct-alice")
    assert not try_topic(session, "alice_phone", account="acct-alice")
    # Nick-based chairs still work.
    assert try_topic(session, "alice", account="acct-alice")
    session.say("alice", "#chair bob")
    session.say("bob", "hi", account="acct-bob")
    assert not try_topic(session, "bobby", account="acct-bob")


def test_chairing_a_nick_whose_account_is_known_from_join() -> None:
    session = started()
    session.join("bob", account="acct-bob")
    session.say("alice", "#chair bob")
    assert try_topic(session, "bob_mobile", account="acct-bob")


def test_accounts_seen_before_the_meeting_count() -> None:
    session = Session()
    session.join("bob", account="acct-bob")
    session.begin("alice")
    session.say("alice", "#chair bob")
    assert try_topic(session, "bob2", account="acct-bob")


def test_a_chair_who_speaks_logged_in_shares_chair_with_the_account() -> None:
    session = started()
    session.say("alice", "#chair bob")
    assert not try_topic(session, "bob_mobile", account="acct-bob")
    session.say("bob", "hello", account="acct-bob")
    assert try_topic(session, "bob_mobile", account="acct-bob")


def test_a_non_chair_speaking_logged_in_gains_nothing() -> None:
    session = started(account="acct-alice")
    session.say("bob", "hello", account="acct-bob")
    assert not try_topic(session, "bob", account="acct-bob")
    assert not try_topic(session, "bob_mobile", account="acct-bob")


def test_unchair_drops_the_account_too() -> None:
    session = started(account="acct-alice")
    session.say("alice", "#chair bob")
    session.say("bob", "hello", account="acct-bob")
    assert try_topic(session, "bob_mobile", account="acct-bob")
    session.say("alice", "#unchair bob")
    assert not try_topic(session, "bob_mobile", account="acct-bob")
    assert not try_topic(session, "bob", account="acct-bob")
    # The owner's account is untouched.
    assert try_topic(session, "alice_phone", account="acct-alice")


def test_unchairing_a_second_nick_on_the_owners_account_keeps_the_owners_account() -> None:
    session = started(account="acct-alice")
    session.say("alice", "#chair alice_laptop")
    session.say("alice_laptop", "hi", account="acct-alice")
    session.say("alice", "#unchair alice_laptop")
    assert try_topic(session, "alice_phone", account="acct-alice")


def test_account_follows_a_nick_change() -> None:
    session = started()
    session.join("bob", account="acct-bob")
    session.rename("bob", "robert")
    session.say("alice", "#chair robert")
    assert try_topic(session, "bobby", account="acct-bob")


def test_an_empty_account_is_no_account() -> None:
    session = started(account="")
    assert not try_topic(session, "mallory", account="")


# ---------------------------------------------------------------------------- #endmeeting overtime


def test_endmeeting_by_non_chair_is_refused_before_the_end_time() -> None:
    session = started()
    effects = session.say("bob", "#endmeeting", at=timedelta(minutes=59, seconds=59))
    assert says(effects) == ["bob: only chairs can end the meeting (anyone can once it has run 60 minutes)."]
    assert session.meeting.state is MeetingState.RUNNING


@pytest.mark.parametrize("after", [timedelta(minutes=60), timedelta(minutes=61), timedelta(days=2)])
def test_anyone_may_end_an_overtime_meeting(after: timedelta) -> None:
    session = started()
    effects = session.say("bob", "#endmeeting", at=after)
    assert any(isinstance(e, MeetingEnded) for e in effects)
    assert session.meeting.state is MeetingState.ENDED


def test_overtime_follows_length_minutes() -> None:
    session = started(MeetingSettings(channel="#c", length_minutes=15))
    assert says(session.say("bob", "#endmeeting", at=timedelta(minutes=14))) == [
        "bob: only chairs can end the meeting (anyone can once it has run 15 minutes)."
    ]
    session.say("bob", "#endmeeting", at=timedelta(minutes=15))
    assert session.meeting.state is MeetingState.ENDED


def test_overtime_end_by_anyone_can_be_disabled() -> None:
    session = started(MeetingSettings(channel="#c", overtime_end_by_anyone=False))
    effects = session.say("bob", "#endmeeting", at=timedelta(hours=5))
    assert says(effects) == ["bob: only chairs can end the meeting."]
    assert session.meeting.state is MeetingState.RUNNING
    effects = session.say("alice", "#endmeeting", at=timedelta(hours=5, seconds=1))
    assert MeetingEnded(session.now, "endmeeting") in effects


def test_overtime_only_lets_others_end_the_meeting() -> None:
    session = started()
    later = timedelta(hours=3)
    assert says(session.say("bob", "#topic late", at=later)) == ["bob: only chairs can set the topic."]
    assert says(session.say("bob", "#chair bob", at=later + timedelta(seconds=1))) == [
        "bob: only chairs can add chairs."
    ]


def test_chair_may_end_the_meeting_at_once() -> None:
    session = started()
    session.say("alice", "#chair bob")
    session.say("bob", "#endmeeting")
    assert session.meeting.state is MeetingState.ENDED


# ---------------------------------------------------------------------------- stale accounts


def test_an_account_seen_on_a_nick_that_left_is_not_chaired() -> None:
    # mallory, logged in, holds the nick "bob" for a moment and leaves; the real bob (not logged in)
    # comes back and is chaired: mallory's account must not become a chair account.
    session = started()
    session.say("bob", "hi", account="acct-mallory")
    session.quit("bob")
    session.join("bob")
    session.say("alice", "#chair bob")
    assert try_topic(session, "bob")
    assert not try_topic(session, "mallory", account="acct-mallory")


@pytest.mark.parametrize("leave", ["part", "quit", "join-again"])
def test_an_account_from_join_is_forgotten_when_the_nick_leaves(leave: str) -> None:
    session = started()
    session.join("bob", account="acct-mallory")
    if leave == "part":
        session.part("bob")
    elif leave == "quit":
        session.quit("bob")
    else:
        session.join("bob")  # a new join without an account: whoever it is, they are not logged in
    session.say("alice", "#chair bob")
    assert not try_topic(session, "mallory", account="acct-mallory")


def test_an_account_seen_before_the_meeting_is_forgotten_when_the_nick_leaves() -> None:
    session = Session()
    session.join("bob", account="acct-mallory")
    session.quit("bob")
    session.begin("alice")
    session.join("bob")
    session.say("alice", "#chair bob")
    assert not try_topic(session, "mallory", account="acct-mallory")


def test_taking_a_nick_by_nick_change_drops_its_old_account() -> None:
    session = Session()
    session.join("bob", account="acct-mallory")
    session.rename("bob", "mallory")  # before the meeting: the account moves with her
    session.begin("alice")
    session.rename("robert", "bob")  # the real bob takes the nick back
    session.say("alice", "#chair bob")
    assert not try_topic(session, "mallory", account="acct-mallory")
    # ... and during the meeting too.
    session.join("carol", account="acct-eve")
    session.rename("carol", "eve")
    session.rename("caroline", "carol")
    session.say("alice", "#chair carol")
    assert not try_topic(session, "eve", account="acct-eve")


def test_without_a_length_only_chairs_end_the_meeting() -> None:
    # length_minutes=0: no scheduled end, so no overtime, and the refusal does not promise one.
    session = started(MeetingSettings(channel="#c", length_minutes=0))
    effects = session.say("bob", "#endmeeting", at=timedelta(days=1))
    assert says(effects) == ["bob: only chairs can end the meeting."]
    assert session.meeting.state is MeetingState.RUNNING


def test_a_guest_who_takes_a_logged_in_chairs_nick_is_not_a_chair() -> None:
    session = started(account="acct-alice")
    session.quit("alice")
    session.join("alice")  # someone else, not logged in, takes the nick
    assert not try_topic(session, "alice")
    session.say("alice", "hello", account="acct-mallory")  # nor when logged in to another account
    assert not try_topic(session, "alice", account="acct-mallory")
    assert try_topic(session, "alice_", account="acct-alice")  # the real alice, back under another nick


def test_without_accounts_the_nick_is_enough() -> None:
    session = started(MeetingSettings(channel="#c", chairs_by_account=False), account="acct-alice")
    session.quit("alice")
    session.join("alice")
    assert try_topic(session, "alice")


def test_a_chair_first_seen_without_an_account_learns_it() -> None:
    session = started()
    assert session.meeting.chair_account("alice") is None
    session.say("alice", "now logged in", account="acct-alice")
    assert session.meeting.chair_account("alice") == "acct-alice"
    assert try_topic(session, "alice_away", account="acct-alice")
