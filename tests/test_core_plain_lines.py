"""The first-character rules of the replay hot path (``core/rows.py``, inlined in ``Meeting.handle_rows``) against
what ``Meeting.handle`` looks for in a message: a command (``commands.parse``) or a link (``starts_with_url``)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.core import LogLine, Meeting, MeetingSettings
from gavel.core.effects import Effect, LogLines
from gavel.core.events import LineKind, Row, row_event
from gavel.core.records import LINK_SCHEMES, URL_FIRST_LETTERS, ItemKind, starts_with_url
from gavel.core.rows import COMMAND_FIRST, MAYBE_SPECIAL_FIRST, WHITESPACE
from strategies import BOT, T0, texts

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def message_row(nick: str, text: str) -> Row:
    return (LineKind.MESSAGE, T0, f"{T0:%H:%M:%S}", nick, text)


def started() -> Meeting:
    meeting = Meeting(MeetingSettings(channel="#x", bot_nick=BOT))
    meeting.handle(row_event(message_row("alice", "#startmeeting")))
    return meeting


def flat(effects: list[Effect]) -> list[Effect]:
    """Effects with every ``LogLines`` spread into its ``LogLine``s."""
    out: list[Effect] = []
    for effect in effects:
        if isinstance(effect, LogLines):
            out += [
                LogLine(n, time, kind, nick, text)
                for n, (kind, time, _, nick, text) in enumerate(effect.rows, effect.first)
            ]
        else:
            out.append(effect)
    return out


def test_url_first_letters_are_every_character_a_link_can_start_with() -> None:
    """Derived from LINK_SCHEMES: a scheme whose first letters were missing would never make a link in replay."""
    rests = {scheme[0].lower(): scheme[1:] + "://example.org" for scheme in LINK_SCHEMES}
    starting = {
        chr(code) for code in range(sys.maxunicode + 1) for rest in rests.values() if starts_with_url(chr(code) + rest)
    }
    assert starting == URL_FIRST_LETTERS
    assert URL_FIRST_LETTERS <= MAYBE_SPECIAL_FIRST and COMMAND_FIRST <= MAYBE_SPECIAL_FIRST


@given(st.sampled_from(LINK_SCHEMES), st.sampled_from((str.lower, str.upper, str.capitalize, str.swapcase)))
def test_every_link_scheme_makes_a_link_in_replay(scheme: str, case: Callable[[str], str]) -> None:
    text = case(scheme) + "://example.org/x"
    meeting = started()
    end = meeting.handle_rows([message_row("bob", "hi"), message_row("bob", text)])[1]
    assert end == 2 and meeting.lines == 3
    assert [(item.kind, item.text) for item in meeting.items] == [(ItemKind.LINK, text)]


def test_a_dotless_i_starts_no_link() -> None:
    """A scheme is ASCII, matched ignoring ASCII case only: both paths agree on a dotless i wherever it stands."""
    assert not starts_with_url("ırc://example.org") and not starts_with_url("İRC://example.org")
    for text in ("ırc://example.org", " ırc://example.org"):
        meeting = started()
        meeting.handle_rows([message_row("bob", text)])
        assert meeting.items == []


# Texts whose first characters are the interesting ones: spaces of every kind, "#", link schemes in any case.
_leads = st.one_of(st.just(""), st.lists(st.sampled_from(sorted(WHITESPACE)), min_size=1, max_size=2).map("".join))
_cases = st.sampled_from((str.lower, str.upper, str.capitalize, str.swapcase))
_schemes = st.builds(lambda scheme, case: case(scheme), st.sampled_from(LINK_SCHEMES), _cases)
_starts = st.one_of(
    st.builds(str.__add__, _schemes, st.sampled_from(("://", ":/", "://x", ":// "))),
    st.sampled_from(("#", "#info ", "#INFO: ", "#link", "#nope ", "h", "F", "ı", "İ", "://", "", "s/", "s", "S/")),
    st.sampled_from(
        ("q+", "q", "q-", "q?", "Q+", "ack ", "ack", "a", "agenda+ ", "agenda", "take up ", "take up agendum 1")
    ),
)
_special = st.builds(lambda lead, start, rest: lead + start + rest, _leads, _starts, st.text(max_size=12))
special_texts = st.one_of(_special, _special, _special, texts, st.text(max_size=12))


@FAST
@given(special_texts, st.sampled_from(("bob", BOT)))
def test_a_message_row_means_what_the_message_means(text: str, nick: str) -> None:
    """``handle_rows`` decides from the first character whether a line is plain; ``handle`` parses every line."""
    one, batch = started(), started()
    expected = one.handle(row_event(message_row(nick, text)))
    effects, end = batch.handle_rows([message_row(nick, text)])
    assert end == 1
    assert flat(effects) == expected
    assert (batch.items, batch.lines, batch.people()) == (one.items, one.lines, one.people())
