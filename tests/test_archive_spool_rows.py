"""``LineSpool.add_rows`` (storage/archive/spool.py), whose loop inlines ``micros`` and ``ChunkTokens``, held to the
plain definition of a stored row: the time by ``micros``, the text's tokens by ``tokens``, NUL cleaned, and the
meeting's words the union of every line's tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gavel.core.effects import LineKind
from gavel.core.events import Row
from gavel.storage.archive.spool import LineRow, LineSpool, clean, micros
from gavel.storage.archive.tokens import length, tokens

_WORDS = ["the", "café", "déjà", "👍", "getUser", "x\u034fy", "李雷", "a\x00b", "—", "", "\tx"]
_TEXT = st.one_of(st.text(max_size=40), st.lists(st.sampled_from(_WORDS), max_size=9).map(" ".join))
_ZONES = st.sampled_from([UTC, None, timezone(timedelta(hours=-5)), timezone(timedelta(minutes=330))])


@st.composite
def rows(draw: st.DrawFn) -> list[Row]:
    """Rows as the replay transport gives them: one time object per time stamp (repeated), any zone or none."""
    out: list[Row] = []
    moment = datetime(2016, 3, 4, 14, 0, 0, tzinfo=UTC)
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.booleans()):  # a new time stamp (else the same object again)
            seconds = draw(st.integers(0, 10**9))
            moment = datetime(1990, 1, 1) + timedelta(seconds=seconds, microseconds=draw(st.integers(0, 999_999)))
            moment = moment.replace(tzinfo=draw(_ZONES))
        kind = draw(st.sampled_from(list(LineKind)))
        out.append((kind, moment, f"{moment:%H:%M:%S}", draw(st.text(max_size=8)), draw(_TEXT)))
    return out


def reference_row(number: int, row: Row) -> LineRow:
    kind, moment, _, nick, text = row
    found = tokens(clean(text))
    return (number, micros(moment), kind.value, clean(nick), clean(text), " ".join(found), length(found))


@settings(max_examples=200, deadline=None)
@given(st.lists(rows(), max_size=4), st.integers(0, 1000))
@example([[(LineKind.MESSAGE, datetime(2016, 3, 4, tzinfo=UTC), "00:00:00", "n", "李雷 x\u034fy déjà")]], 1)
def test_added_rows_are_their_plain_definition(batches: list[list[Row]], first: int) -> None:
    spool = LineSpool()
    number = first
    expected: list[LineRow] = []
    for batch in batches:
        spool.add_rows(number, batch)
        expected += [reference_row(at, row) for at, row in enumerate(batch, number)]
        number += len(batch)
    spool.close()
    assert [row for chunk in spool.batches() for row in chunk] == expected
    assert spool.words == {token for row in expected for token in row[5].split()}
    spool.discard()
