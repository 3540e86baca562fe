"""The archive's reads for charts and people pages, on SQLite and PostgreSQL: a series' activity meeting by
meeting, and a person's meetings and open actions (nicks folded as IRC folds them; restricted meetings hidden)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from gavel.storage.archive import Archive
from gavel.storage.archive.activity import MAX_NICK_CHARS
from web_support import log, store_text

FIRST = log(
    "alice: #startmeeting infra",
    "alice: #topic Servers",
    "bob: the old box is down",
    "Nick[A]x: I can look",
    "alice: #action bob to reboot the old box",
    "alice: #action Nick[A]x to write it up",
    "alice: #endmeeting",
)
SECOND = log(
    "alice: #startmeeting infra",
    "BOB: rebooted",
    "alice: #nick carol",
    "alice: #action carol to buy a box",
    "alice: #endmeeting",
)
HIDDEN = log(
    "alice: #startmeeting infra",
    "alice: #restrictlogs",
    "bob: secret things",
    "alice: #action bob to hide the secret",
    "alice: #endmeeting",
)
OTHER = log("bob: #startmeeting other", "bob: hello", "bob: #endmeeting")


def fill(archive: Archive) -> tuple[int, int, int, int]:
    first = store_text(archive, FIRST, date(2024, 1, 1), "#infra").id
    second = store_text(archive, SECOND, date(2024, 2, 1), "#infra").id
    hidden = store_text(archive, HIDDEN, date(2024, 3, 1), "#infra").id
    other = store_text(archive, OTHER, date(2024, 1, 15), "#other").id
    return first, second, hidden, other


def test_series_activity_counts_each_meeting(archive: Archive) -> None:
    first, second, hidden, _other = fill(archive)
    bob_action = next(a for a in archive.meeting("infra", first).actions if a.owners == ("bob",))  # type: ignore[union-attr]
    assert archive.mark_action_done(bob_action.id, second)
    # done outside any meeting, before the first one: counted at the first meeting
    early = next(a for a in archive.meeting("infra", first).actions if a.owners != ("bob",))  # type: ignore[union-attr]
    assert archive.mark_action_done(early.id, None, at=datetime(2023, 6, 1, tzinfo=UTC))

    activity = archive.series_activity("infra")
    assert [row.meeting.id for row in activity] == [first, second]
    assert [(row.people, row.meeting.line_count, row.actions_opened, row.actions_closed) for row in activity] == [
        (3, 7, 2, 1),
        (2, 5, 1, 1),
    ]
    with_hidden = archive.series_activity("infra", include_restricted=True)
    assert [row.meeting.id for row in with_hidden] == [first, second, hidden]
    assert with_hidden[2].actions_opened == 1
    assert archive.series_activity("nothing") == []


def test_series_activity_of_a_restricted_meeting_closes_nothing_visible(archive: Archive) -> None:
    first, _second, hidden, _other = fill(archive)
    hidden_action = archive.meeting("infra", hidden, include_restricted=True).actions[0]  # type: ignore[union-attr]
    assert archive.mark_action_done(hidden_action.id, hidden)
    assert sum(row.actions_closed for row in archive.series_activity("infra")) == 0
    assert sum(row.actions_closed for row in archive.series_activity("infra", include_restricted=True)) == 1
    assert archive.series_activity("infra")[0].meeting.id == first


def test_person_folds_nicks_as_irc_does(archive: Archive) -> None:
    first, second, hidden, other = fill(archive)
    bob = archive.person("bob")
    assert bob is not None
    assert [(a.meeting.id, a.nick, a.lines) for a in bob.meetings] == [
        (second, "BOB", 1),
        (other, "bob", 3),
        (first, "bob", 1),
    ]
    assert [action.text for action in bob.open_actions] == ["bob to reboot the old box"]
    for spelling in ("Bob", "BOB"):
        found = archive.person(spelling)
        assert found is not None and (found.nick, found.meetings, found.open_actions) == (
            spelling,
            bob.meetings,
            bob.open_actions,
        )

    # rfc1459: [ ] are the upper case of { }
    for spelling in ("nick[a]x", "NICK{A}X", "Nick[A]x"):
        found = archive.person(spelling)
        assert found is not None, spelling
        assert [a.meeting.id for a in found.meetings] == [first]
        assert [action.text for action in found.open_actions] == ["Nick[A]x to write it up"]

    # an owner who never spoke still has a page (their open actions)
    carol = archive.person("carol")
    assert carol is not None and carol.meetings == () and len(carol.open_actions) == 1

    with_hidden = archive.person("bob", include_restricted=True)
    assert with_hidden is not None
    assert [a.meeting.id for a in with_hidden.meetings] == [hidden, second, other, first]
    assert len(with_hidden.open_actions) == 2


def test_person_done_actions_and_unknown_or_hostile_nicks(archive: Archive) -> None:
    first, second, _hidden, _other = fill(archive)
    bob_action = next(a for a in archive.meeting("infra", first).actions if a.owners == ("bob",))  # type: ignore[union-attr]
    archive.mark_action_done(bob_action.id, second)
    bob = archive.person("bob")
    assert bob is not None and bob.open_actions == ()
    for nick in ("", "nobody", "x" * (MAX_NICK_CHARS + 1), "bob'; DROP TABLE people; --", "%", "_ob", "b\\ob", "日本"):
        assert archive.person(nick) is None, nick
    assert archive.person("bob") is not None  # still there


def test_person_with_a_unicode_nick(archive: Archive) -> None:
    text = log("zoë: #startmeeting cafe", "Zoë: bonjour", "zoë: #action Zoë to order croissants", "zoë: #endmeeting")
    stored = store_text(archive, text, date(2024, 5, 1), "#cafe")
    zoe = archive.person("zoë")
    assert zoe is not None
    assert [(a.meeting.id, a.nick) for a in zoe.meetings] == [(stored.id, "zoë")]
    # fold_nick lowers Unicode too (SQLite's lower() does not: the archive folds in Python)
    upper = archive.person("ZOË")
    assert upper is not None and upper.meetings == zoe.meetings and len(upper.open_actions) == 1


ROLL_CALL = (
    "15:00:00 <alice> #startmeeting roll call\n"
    "15:00:01 <alice> #present+ dave Mallory[m]\n"
    "15:00:02 <Sam> hi\n"
    "15:00:03 -!- Sam is now known as sam_away\n"
    "15:00:04 <sam_away> back\n"
    "15:00:05 <alice> #here\n"
    "15:00:06 <alice> #regrets+ rita\n"
    "15:00:08 <alice> #endmeeting\n"
)
HIDDEN_ROLL_CALL = (
    "15:00:00 <alice> #startmeeting roll call\n"
    "15:00:01 <alice> #restrictlogs\n"
    "15:00:02 <alice> #present+ dave erin\n"
    "15:00:03 <Walt> hello\n"
    "15:00:04 -!- Walt is now known as walter\n"
    "15:00:05 <alice> #endmeeting\n"
)


def test_person_declared_present_or_known_by_another_nick(archive: Archive) -> None:
    visible = store_text(archive, ROLL_CALL, date(2024, 4, 1), "#roll").id
    hidden = store_text(archive, HIDDEN_ROLL_CALL, date(2024, 4, 2), "#roll").id
    for spelling in ("dave", "DAVE"):
        dave = archive.person(spelling)
        assert dave is not None, spelling
        assert [(a.meeting.id, a.nick, a.lines, a.spoke) for a in dave.meetings] == [(visible, "dave", 0, False)]
    mallory = archive.person("mallory{M}")  # rfc1459 folding holds for declared nicks too
    assert mallory is not None and [(a.nick, a.spoke) for a in mallory.meetings] == [("Mallory[m]", False)]
    # who spoke and was declared present is listed once, as a speaker
    alice = archive.person("alice")
    assert alice is not None and [(a.meeting.id, a.spoke) for a in alice.meetings] == [(visible, True)]
    # a nick changed from during the meeting finds the person under the nick they changed to
    for spelling in ("Sam", "sam", "sam_away"):
        sam = archive.person(spelling)
        assert sam is not None, spelling
        assert [(a.meeting.id, a.nick, a.lines, a.spoke) for a in sam.meetings] == [(visible, "sam_away", 2, True)]
    # regrets are no presence: her page lists only the meeting she came to
    tea = store_text(archive, log("rita: #startmeeting tea", "rita: #endmeeting"), date(2024, 4, 3), "#tea").id
    rita = archive.person("rita")
    assert rita is not None and [a.meeting.id for a in rita.meetings] == [tea]
    # restricted meetings: hidden, and someone seen only there is nobody
    assert archive.person("erin") is None and archive.person("walt") is None
    erin = archive.person("erin", include_restricted=True)
    assert erin is not None and [(a.meeting.id, a.spoke) for a in erin.meetings] == [(hidden, False)]
    walt = archive.person("walt", include_restricted=True)
    assert walt is not None and [(a.meeting.id, a.nick) for a in walt.meetings] == [(hidden, "walter")]
    insider = archive.person("dave", include_restricted=True)
    assert insider is not None and [a.meeting.id for a in insider.meetings] == [hidden, visible]
    assert archive.person("s", include_restricted=True) is None  # a part of a nick in the lists is no match
