"""A meeting's version (``Archive.meeting_version``: one statement) and the kept public meeting pages found by it
without reading the meeting: equal to the version of the meeting read whole, whatever was stored, restricted or
marked done since; never a restricted meeting's page for anyone who is not signed in. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from gavel.storage.archive import Archive, MeetingVersion
from gavel.web.app import create_app
from web_support import BACKENDS, ROADMAP_LINES, TOKEN, Stored, empty_archive, log, meeting_path, store_text

DAY = date(2023, 11, 7)
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(params=BACKENDS)
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    yield from empty_archive(request, tmp_path)


def meeting_text(variant: int, restricted: bool, start: str) -> str:
    """The roadmap meeting, a line of its own per ``variant``, restricted or not, begun at ``start``."""
    lines = list(ROADMAP_LINES)
    lines[-1:-1] = [f"bob: variant {variant}", *(["alice: #restrictlogs"] if restricted else [])]
    return log(*lines, start=start)


STARTS = ("15:00:00", "15:00:30", "16:10:00")  # the first two share a log basename (MeetBot names by the minute)


def store(archive: Archive, which: int, variant: int, restricted: bool) -> Stored:
    return store_text(archive, meeting_text(variant, restricted, STARTS[which]), DAY, "#weekly")


def addresses(stored: Stored) -> list[tuple[str, str | int]]:
    return [(stored.series, stored.basename), (stored.series, str(stored.id)), (stored.series, stored.id)]


def assert_versions_agree(archive: Archive, meetings: list[Stored]) -> None:
    """The version of each address is that of the meeting read whole for an anonymous viewer (None when none)."""
    for stored in meetings:
        odd = ["no.such-name", "\u00b2", "9" * 30, "\u0663"]  # a superscript digit, 30 digits, an Arabic-Indic digit
        for series, ref in [*addresses(stored), ("other_series", str(stored.id)), *((stored.series, o) for o in odd)]:
            whole = archive.meeting(series, ref, include_restricted=False)
            expected = None if whole is None else MeetingVersion.of(whole)
            assert archive.meeting_version(series, ref) == expected, (series, ref)


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("store"), st.integers(0, 2), st.integers(0, 3), st.booleans()),
        st.tuples(st.just("done"), st.integers(0, 5), st.booleans()),
        st.tuples(st.just("reopen"), st.integers(0, 5)),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_a_meeting_version_is_that_of_the_meeting_read_whole(archive: Archive, operations: list[Any]) -> None:
    meetings = {stored.id: stored for stored in [store(archive, 0, 0, False)]}
    assert_versions_agree(archive, list(meetings.values()))
    for operation in operations:
        actions = sorted(
            action.id
            for stored in meetings.values()
            for action in (archive.meeting(None, stored.id, include_restricted=True) or pytest.fail()).actions
        )
        if operation[0] == "store":
            _, which, variant, restricted = operation
            stored = store(archive, which, variant, restricted)
            meetings[stored.id] = stored
        elif operation[0] == "done":
            _, index, in_meeting = operation
            assert archive.mark_action_done(actions[index % len(actions)], min(meetings) if in_meeting else None)
        else:
            assert archive.reopen_action(actions[operation[1] % len(actions)])
        assert_versions_agree(archive, list(meetings.values()))


def serve(archive: Archive) -> TestClient:
    return TestClient(create_app(archive, token=TOKEN, page_cache_bytes=1 << 20), raise_server_exceptions=True)


def test_a_kept_meeting_page_is_answered_without_reading_the_meeting(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = store(archive, 0, 0, False)
    client = serve(archive)
    first = client.get(meeting_path(stored))
    assert first.status_code == 200
    reads: list[object] = []
    whole = archive.meeting

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        return whole(*args, **kwargs)

    monkeypatch.setattr(archive, "meeting", counted)
    again = client.get(meeting_path(stored))
    assert again.status_code == 200 and again.content == first.content and reads == []
    store(archive, 0, 1, False)  # stored again: read whole, the new page kept
    changed = client.get(meeting_path(stored))
    assert "variant 1" in changed.text and "variant 0" not in changed.text and len(reads) == 1
    assert client.get(meeting_path(stored)).content == changed.content and len(reads) == 1


def test_no_kept_page_shows_a_meeting_restricted_since_even_one_sharing_its_address(archive: Archive) -> None:
    early = store(archive, 0, 0, False)
    late = store(archive, 1, 1, False)
    assert early.basename == late.basename and early.id != late.id
    client = serve(archive)
    by_name = f"/series/{early.series}/{early.basename}"
    assert "variant 0" in client.get(by_name).text  # the first of the two
    assert "variant 0" in client.get(f"/series/{early.series}/{early.id}").text
    store(archive, 0, 0, True)  # the first is restricted now: the name is the second's for anyone else
    shown = client.get(by_name)
    assert shown.status_code == 200 and "variant 1" in shown.text and "variant 0" not in shown.text
    assert client.get(f"/series/{early.series}/{early.id}").status_code == 404
    signed_in = client.get(by_name, headers=BEARER)
    assert "variant 0" in signed_in.text and "These minutes are restricted" in signed_in.text
    assert "variant 0" not in client.get(by_name).text  # the signed-in page was kept for no one
    store(archive, 0, 0, False)  # public again: the name is the first's again
    assert "variant 0" in client.get(by_name).text


def test_a_meeting_page_shows_an_action_opened_again(archive: Archive) -> None:
    stored = store(archive, 0, 0, False)
    meeting = archive.meeting(None, stored.id)
    assert meeting is not None and archive.mark_action_done(meeting.actions[0].id, None)
    client = serve(archive)
    assert 'class="badge done"' in client.get(meeting_path(stored)).text
    assert archive.reopen_action(meeting.actions[0].id)
    assert 'class="badge done"' not in client.get(meeting_path(stored)).text


def test_a_reference_that_is_no_id_is_looked_up_as_a_name(archive: Archive) -> None:
    stored = store(archive, 0, 0, False)
    client = serve(archive)
    for ref in ("\u00b2", "9" * 30, "-1", "\u0663"):
        assert archive.meeting(stored.series, ref) is None and archive.meeting_version(stored.series, ref) is None
        assert client.get(f"/series/{stored.series}/{ref}").status_code == 404
    assert archive.meeting(None, 1 << 70) is None and archive.meeting_version(stored.series, 1 << 70) is None


def test_the_version_of_a_meeting_not_read_from_an_archive_is_refused(archive: Archive) -> None:
    meeting = archive.meeting(None, store(archive, 0, 0, False).id)
    assert meeting is not None
    with pytest.raises(ValueError, match="no stored_at"):
        MeetingVersion.of(replace(meeting, stored_at=None))
