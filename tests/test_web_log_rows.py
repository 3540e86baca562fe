"""The meeting page's fast path for its log (``Archive.log_rows`` + ``log_rows_html``: no datetime nor ``LogLine``
per line) against its reference (``Archive.log_lines`` + ``log_lines_html``): the same rows, the same HTML."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gavel.core.effects import LineKind, LogLine, Relation
from gavel.render.links import hms
from gavel.storage.archive import Archive, MeetingRecord, open_archive
from gavel.web.data import LogPage
from gavel.web.logview import LINES_PER_CHUNK, log_lines_html, log_rows_html
from pg import POSTGRESQL
from strategies import NICKS, texts_for
from web_support import empty_archive

START = datetime(2024, 1, 1, tzinfo=UTC)
ODD_TIMES = (
    datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # before the epoch: floor, not truncation
    datetime(1900, 3, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2038, 1, 19, 3, 14, 8, 500_000, tzinfo=UTC),
    datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC),
)


def record() -> MeetingRecord:
    return MeetingRecord(
        series="rows",
        meeting_id=None,
        channel="#rows",
        network=None,
        title=None,
        owner="alice",
        chairs=("alice",),
        started_at=START,
        ended_at=START + timedelta(hours=1),
        restricted=False,
        log_basename="rows.2024-01-01-00.00",
        items=(),
        people=(),
        votes=(),
    )


def assert_same(archive: Archive, meeting_id: int, offset: int = 0, limit: int | None = None) -> None:
    reference = list(archive.log_lines(meeting_id, offset, limit))
    fast = list(archive.log_rows(meeting_id, offset, limit))
    assert fast == [
        (row.number, hms(row.time), row.kind, row.nick, row.text, row.relation, row.refers_to) for row in reference
    ]
    assert list(log_rows_html(fast)) == list(log_lines_html(reference))
    page = LogPage.of(offset + 1, len(reference) + offset, size=20)  # links to lines on other pages too
    assert list(log_rows_html(fast, page)) == list(log_lines_html(reference, page))


@pytest.fixture(params=["sqlite", POSTGRESQL])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    yield from empty_archive(request, tmp_path)


def test_odd_times_kinds_and_pages_read_alike(archive: Archive) -> None:
    kinds = (LineKind.MESSAGE, LineKind.ACTION, LineKind.NICK, LineKind.RAW)
    lines = [
        LogLine(n, ODD_TIMES[n % len(ODD_TIMES)], kinds[n % len(kinds)], NICKS[n % len(NICKS)], f"<b>{n}</b> a: b")
        for n in range(1, 2 * LINES_PER_CHUNK + 7)
    ]
    meeting_id = archive.store(record(), lines)
    assert_same(archive, meeting_id)
    assert_same(archive, meeting_id, 100, 300)
    assert_same(archive, meeting_id, len(lines) - 3)
    assert list(archive.log_rows(meeting_id + 1)) == []


def test_a_restricted_meeting_has_no_rows_for_the_public(archive: Archive) -> None:
    meeting_id = archive.store(replace(record(), restricted=True), [LogLine(1, START, LineKind.MESSAGE, "a", "x")])
    assert list(archive.log_rows(meeting_id)) == []
    assert [row[0] for row in archive.log_rows(meeting_id, include_restricted=True)] == [1]


LINES = st.lists(
    st.tuples(
        st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(3000, 1, 1), timezones=st.just(UTC)),
        st.sampled_from(list(LineKind)),
        st.sampled_from(NICKS) | st.text(max_size=12),
        texts_for(),
        st.none() | st.tuples(st.sampled_from(list(Relation)), st.none() | st.integers(1, 60)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES)
def test_any_lines_read_alike(
    tmp_path: Path, lines: list[tuple[datetime, LineKind, str, str, tuple[Relation, int | None] | None]]
) -> None:
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        logged = [LogLine(n, when, kind, nick, text) for n, (when, kind, nick, text, _) in enumerate(lines, 1)]
        for line, (*_, related) in zip(logged, lines, strict=True):
            if related is not None:  # a reply, thread line, edit or redaction (Matrix)
                line.relation, line.refers_to = related
        meeting_id = archive.store(record(), logged)
        assert_same(archive, meeting_id)
