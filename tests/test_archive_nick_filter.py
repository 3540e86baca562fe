"""SQLite's nick filter: the index holds each line's nick as written, split by FTS5's own tokenizer, and a search
with a nick filter finds exactly the lines whose nick equals it but for ASCII case (the reference: every match
filtered here), whatever characters the nicks hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import MeetingRecord, SearchQuery, open_archive
from gavel.storage.archive.spool import clean

START = datetime(2024, 5, 1, 14, tzinfo=UTC)
RECORD = MeetingRecord(
    series="nicks",
    meeting_id=None,
    channel="#nicks",
    network=None,
    title=None,
    owner="alice",
    chairs=("alice",),
    started_at=START,
    ended_at=START + timedelta(hours=1),
    restricted=False,
    log_basename="nicks.2024-05-01-14.00",
    items=(),
    people=(),
    votes=(),
)
# letters in both cases, digits, separators FTS5's ascii tokenizer drops, quotes, FTS5 syntax, non-ASCII letters
# (with case), a private-use character (the length token's mark), an emoji, NUL
NICK = st.text(alphabet=st.sampled_from("aAbBzZ09_-[] \"'*:^()éÉßẞ李\ue000😀\x00"), min_size=1, max_size=6)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def same_nick(stored: str, wanted: str) -> bool:
    """The filter's definition: SQL's ``lower()`` folds ASCII letters only."""
    return clean(stored).translate(_ASCII_LOWER) == wanted.translate(_ASCII_LOWER)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nicks=st.lists(NICK, min_size=1, max_size=6), picked=st.integers(0, 5), other=NICK, swap=st.booleans())
def test_a_nick_filter_finds_exactly_that_nicks_lines(
    tmp_path: Path, nicks: list[str], picked: int, other: str, swap: bool
) -> None:
    wanted = nicks[picked] if picked < len(nicks) else other
    if swap:
        wanted = "".join(char.swapcase() if char.isascii() else char for char in wanted)
    lines = [
        LogLine(n, START + timedelta(seconds=n), LineKind.MESSAGE, nicks[n % len(nicks)], f"needle {n}")
        for n in range(1, 25)
    ]
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        archive.store(RECORD, lines)  # the same meeting each time: stored again, its old index entries deleted
        results = archive.search(SearchQuery("needle", nick=wanted, per_page=100))
        everything = archive.search(SearchQuery("needle", per_page=100))
    expected = sorted(line.number for line in lines if same_nick(line.nick, wanted))
    assert everything.total == len(lines)
    assert sorted(hit.line for hit in everything.hits if same_nick(hit.nick, wanted)) == expected
    assert (results.total, sorted(hit.line for hit in results.hits)) == (len(expected), expected)
