"""``Archive.meeting`` reads a meeting in one snapshot: a meeting stored again by another connection while it
reads is seen whole, before or after, never its minutes of one copy with another's ``stored_at``. Otherwise the web's
kept page of such a torn read was kept under the new copy's version (``MeetingVersion``) and served to every
anonymous viewer after it, with the old copy's minutes (a restricted draft, say). Both backends."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gavel.storage.archive import Archive, MeetingDetail
from gavel.web.app import create_app
from web_support import BACKENDS, ROADMAP_LINES, TOKEN, Stored, empty_archive, log, meeting_path, store_text

DAY = date(2023, 11, 7)


@pytest.fixture(params=BACKENDS)
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    yield from empty_archive(request, tmp_path)


def copy_text(word: str) -> str:
    """The roadmap meeting with one ``#info`` of ``word``: every copy has the same lines and actions."""
    lines = list(ROADMAP_LINES)
    lines[2] = f"alice: #info the {word} draft"
    return log(*lines)


def store(archive: Archive, word: str) -> Stored:
    return store_text(archive, copy_text(word), DAY, "#weekly")


class StoreAgainAt:
    """Wraps ``archive._query``: the ``at``-th statement (from 1) run on ``thread`` while armed first lets another
    thread store the meeting again as ``word`` (and waits for it to commit)."""

    def __init__(self, archive: Archive, at: int, word: str) -> None:
        self.archive, self.at, self.word = archive, at, word
        self.thread: threading.Thread | None = None
        self.seen = 0
        self.fired = False
        self.original: Callable[..., Any] = archive._query

    def __call__(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.thread is threading.current_thread() and not self.fired:
            self.seen += 1
            if self.seen == self.at:
                self.fired = True
                writer = threading.Thread(target=store, args=(self.archive, self.word))
                writer.start()
                writer.join(timeout=60)
                assert not writer.is_alive(), "the store waited for the reading"
        return self.original(sql, params)

    def __enter__(self) -> StoreAgainAt:
        self.archive._query = self  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.archive._query = self.original  # type: ignore[method-assign]


def statements_of_a_read(archive: Archive, stored: Stored) -> int:
    """How many statements ``meeting`` runs for ``stored`` (counted with a hook that never fires)."""
    with StoreAgainAt(archive, 0, "never") as counter:
        counter.thread = threading.current_thread()
        archive.meeting(stored.series, stored.basename)
    return counter.seen


def test_a_meeting_stored_again_while_it_is_read_is_read_whole(archive: Archive) -> None:
    first = store(archive, "copy0")
    count = statements_of_a_read(archive, first)
    assert count >= 3  # (else there is nothing between the statements to race)
    for at in range(1, count + 1):
        before = archive.meeting(first.series, first.basename)
        word = f"copy{at}"
        with StoreAgainAt(archive, at, word) as racing:
            racing.thread = threading.current_thread()
            read = archive.meeting(first.series, first.basename)
        assert racing.fired
        after = archive.meeting(first.series, first.basename)
        assert isinstance(read, MeetingDetail) and before is not None and after is not None
        assert after != before  # (the store changed it: stored_at at least)
        assert read in (before, after), f"a read torn by a store before its statement {at} of {count}"


def test_no_torn_page_is_kept_for_anonymous_viewers(archive: Archive) -> None:
    """A store commits before each statement the request runs in turn: the racing request may show the copy before
    (it began before), but every request after it shows the copy stored, never the old minutes kept."""
    client = TestClient(create_app(archive, token=TOKEN, page_cache_bytes=1 << 20))
    main = threading.current_thread()
    fired = 0
    for at in range(1, 16):
        stored = store(archive, f"secret{at}")
        with StoreAgainAt(archive, at, f"public{at}") as racing:

            def arm(sql: str, params: Sequence[Any] = (), racing: StoreAgainAt = racing) -> Any:
                if racing.thread is None and threading.current_thread() is not main:
                    racing.thread = threading.current_thread()  # the thread serving the request
                return racing(sql, params)

            archive._query = arm  # type: ignore[method-assign]
            client.get(meeting_path(stored))
        if not racing.fired:  # the request ran fewer statements
            break
        fired += 1
        for _ in range(2):
            page = client.get(meeting_path(stored))
            assert page.status_code == 200
            assert f"public{at} draft" in page.text
            assert f"secret{at} draft" not in page.text, f"a torn page kept (store before statement {at})"
    assert fired >= 5  # (the request ran at least that many statements: each had a store before it)
