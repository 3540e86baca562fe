"""A PostgreSQL search's masks kept between searches (``PostgresArchive._masks``) are never those of spans that
changed: line ids are allocated before a store commits, so two writers may commit out of their ids' order, and a
search made between the two commits must not keep masks that the later commit makes wrong (a meeting made restricted
must leave the public's searches at once; a meeting stored again must be found in its series)."""

from __future__ import annotations

import threading
from dataclasses import replace

import psycopg
import pytest

from gavel.storage.archive import SearchQuery, open_archive
from gavel.storage.archive.postgres import PostgresArchive
from test_archive_pg_writers import lines
from test_archive_postings import near_a_block_end, record

pytestmark = pytest.mark.servers


def out_of_order(url: str, restricted: bool, query: SearchQuery) -> tuple[int, int, list[str]]:
    """Writer X stores meeting "one" again (its ids allocated, not committed) while writer Y stores another meeting
    with later ids and commits; a search runs; then X commits. The search after it by the lists, by the reference
    path, and the series of its hits."""
    with open_archive(url) as web, open_archive(url) as x, open_archive(url) as y:
        assert isinstance(web, PostgresArchive) and isinstance(x, PostgresArchive)
        x.store(record("one", 0), lines("patch", 2))
        x.store(record("two", 1), lines("patch", 2))
        x.store(replace(record("three", 3), restricted=True), lines("hidden", 1))  # (the public's scope has a where)
        near_a_block_end(x, 3)  # X's two new ids end a block, Y's begin the next: no block row is shared
        allocated, go = threading.Event(), threading.Event()
        finish = x._finish_lines

        def finish_later(meeting_id: int) -> None:
            allocated.set()
            assert go.wait(30)
            finish(meeting_id)

        x._finish_lines = finish_later  # type: ignore[method-assign]
        again = replace(record("one", 0), restricted=restricted)
        storing = threading.Thread(target=x.store, args=(again, lines("patch", 2)))
        storing.start()
        try:
            assert allocated.wait(30)
            y.store(record("two", 2), lines("patch", 2))
            assert storing.is_alive()
            web.search(query)  # (masks made and kept now)
        finally:
            go.set()
            storing.join(30)
        assert not storing.is_alive()
        found = web.search(query)
        web.use_postings = False
        reference = web.search(query)
        return found.total, reference.total, sorted({hit.series for hit in found.hits})


def test_a_meeting_made_restricted_by_a_later_commit_leaves_public_searches(postgres_url: str) -> None:
    found, reference, series = out_of_order(postgres_url, True, SearchQuery("patch"))
    assert (found, reference) == (4, 4)
    assert "one" not in series


def test_a_meeting_stored_again_by_a_later_commit_is_found_in_its_series(postgres_url: str) -> None:
    found, reference, series = out_of_order(postgres_url, False, SearchQuery("patch", series="one"))
    assert (found, reference, series) == (2, 2, ["one"])


def test_migration_11_after_a_bulk_load_killed_under_migration_10(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PostgresArchive, "migrations", [m for m in PostgresArchive.migrations if m[0] <= 10])
    with open_archive(postgres_url):  # (an archive at migration 10; today's writer cannot store into it)
        pass
    with psycopg.connect(postgres_url, autocommit=True) as pg:  # the indexes a bulk load drops, as a kill leaves them
        pg.execute("DROP INDEX log_lines_by_length, log_lines_by_nick, line_postings_rank, log_lines_search")
    monkeypatch.undo()
    with open_archive(postgres_url) as archive:
        archive.store(record("one", 0), lines("patch", 2))
        assert archive.search(SearchQuery("patch")).total == 2
