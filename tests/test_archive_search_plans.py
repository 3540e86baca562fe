"""The search's faster plans find and rank exactly what the plain ones do, on both backends: ranking read in order
from the index (what a search past 10,000 matches does) against sorting every match; prefixes as the words they
stand for (SQLite); the shortest length a match can have."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import StoreLog
from gavel.storage.archive import Archive, SearchQuery, open_archive
from gavel.storage.archive import sqlite as sqlite_backend
from gavel.storage.archive.postgres import PostgresArchive
from gavel.storage.archive.query import Term, least_length, parse_query
from gavel.storage.archive.search import Counted, Matching
from test_archive_search_backends import log

SAID = (
    "<bob> release",
    "<carol> release plan",
    "<dave> the release plan is late",
    "<erin> plan release",
    "<bob> released it, released",
    "<carol> #info release notes are in the wiki",
    "<dave> gamma gamma",
    "<erin> gamma",
    "<bob> alpha beta",
    "<carol> beta alpha beta",
    "<dave> relay the release-plan to the team",
    "<erin> #action bob relabel the releases",
)
LATER = (
    "<bob> releasing tomorrow",
    "<carol> #info relevant: release-planning",
)
QUERIES = (
    "release",
    "release plan",
    '"release plan"',
    "rel*",
    "relea*",
    "releas*",
    "release-pla*",
    "relev*",
    "gamma",
    '"gamma gamma"',
    "alpha beta",
    '"beta alpha"',
    "the",
    "zzz*",
)


def ranked(archive: Archive, text: str) -> list[tuple[str, str, int]]:
    """Every hit of ``text``, in rank order (all pages)."""
    hits: list[tuple[str, str, int]] = []
    page = 1
    while found := archive.search(SearchQuery(text, page=page, per_page=3)).hits:
        hits += [(hit.meeting_basename, hit.kind, hit.line) for hit in found]
        page += 1
    return hits


def test_reading_in_rank_order_agrees_with_sorting_every_match(archive: Archive, store_log: StoreLog) -> None:
    store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*SAID))
    store_log(archive, "web.2024-06-01-14.00.log.txt", log(*LATER, *SAID[:4]))
    sorted_here = {text: ranked(archive, text) for text in QUERIES}
    archive.sort_limit = 0  # every search reads its hits in rank order from the index, as past 10,000 matches
    assert {text: ranked(archive, text) for text in QUERIES} == sorted_here
    archive.sort_limit = 1
    assert {text: ranked(archive, text) for text in QUERIES} == sorted_here
    assert sorted_here["release"][0] == ("web.2024-06-01-14.00", "line", 4)  # "release" alone, the newest
    assert len(sorted_here['"gamma gamma"']) == 1
    assert len(sorted_here["alpha beta"]) == 2
    assert sorted_here["zzz*"] == []


def test_prefixes_find_words_stored_later_and_agree_with_fts5s_own_prefixes(
    tmp_path: Path, store_log: StoreLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_archive(f"sqlite://{tmp_path / 'a.db'}") as archive:
        store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*SAID))
        before = ranked(archive, "relea*")
        store_log(archive, "web.2024-06-01-14.00.log.txt", log(*LATER))
        expanded = {text: ranked(archive, text) for text in QUERIES}
        assert len(expanded["relea*"]) == len(before) + 3  # "releasing" (a line), "release-planning" (line, item)
        assert ("web.2024-06-01-14.00", "info", 3) in expanded["relev*"]  # a word only an item holds
        monkeypatch.setattr(sqlite_backend, "PREFIX_WORDS", 0)  # every prefix left to FTS5
        assert {text: ranked(archive, text) for text in QUERIES} == expanded
        monkeypatch.undo()
        archive.sort_limit = 0
        assert {text: ranked(archive, text) for text in QUERIES} == expanded


def test_a_prefix_standing_for_more_words_than_the_limit_is_left_to_fts5(
    tmp_path: Path, store_log: StoreLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_archive(f"sqlite://{tmp_path / 'a.db'}") as archive:
        assert isinstance(archive, sqlite_backend.SqliteArchive)
        store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*SAID))
        monkeypatch.setattr(sqlite_backend, "PREFIX_WORDS", 2)
        with archive._connection():
            [term] = parse_query("rel*")
            assert archive._expand((term,)) == {}  # release, released, relay, relabel, releases...
            [term] = parse_query("releas*")
            assert archive._expand((term,)) == {}
            [term] = parse_query("relab*")
            assert archive._expand((term,)) == {term: ["relabel"]}
        assert len(ranked(archive, "rel*")) == 10  # 8 lines, an info and an action


def test_the_least_length_of_a_match() -> None:
    assert least_length(()) == 0
    assert least_length(parse_query("gamma")) == 1
    assert least_length(parse_query("gamma gamma")) == 1  # one word, said once is enough
    assert least_length(parse_query('"gamma gamma"')) == 2
    assert least_length(parse_query('alpha "beta alpha"')) == 2
    assert least_length(parse_query("getUserName")) == 4  # getusername get user name
    assert least_length((Term(tuple(f"w{n}" for n in range(300))),)) == 255  # lengths stop at MAX_LENGTH


def test_postgresql_searches_run_with_their_planner_settings_then_reset_them(
    postgres_url: str, store_log: StoreLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ("work_mem", "jit", "max_parallel_workers_per_gather", "statement_timeout")
    with open_archive(postgres_url, pool_size=1) as archive:
        assert isinstance(archive, PostgresArchive)
        store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*SAID))

        def settings() -> dict[str, str]:
            with archive._connection():
                return {name: archive._query(f"SELECT current_setting('{name}')")[0][0] for name in names}

        before = settings()
        seen: list[dict[str, str]] = []
        matches = archive._matches

        def spying(matching: Matching, limit: int, wanted: int) -> Counted:
            seen.append(settings())
            return matches(matching, limit, wanted)

        monkeypatch.setattr(archive, "_matches", spying)
        assert archive.search(SearchQuery('"release plan"')).total == 3
        expected = {
            "work_mem": "32MB",
            "jit": "off",
            "max_parallel_workers_per_gather": "0",
            "statement_timeout": "10s",
        }
        assert seen[0] == expected != before
        assert settings() == before  # the pooled connection's next user gets its own settings back


def test_words_of_a_store_rolled_back_are_listed_when_stored_again(
    tmp_path: Path, store_log: StoreLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_archive(f"sqlite://{tmp_path / 'a.db'}") as archive:
        store_log(archive, "ops.2024-05-01-14.00.log.txt", log(*SAID))

        def fail(meeting_id: int) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(archive, "_finish_lines", fail)
        with pytest.raises(RuntimeError, match="disk full"):
            store_log(archive, "web.2024-06-01-14.00.log.txt", log(*LATER))
        monkeypatch.undo()
        assert all(hit[0].startswith("ops") for hit in ranked(archive, "relea*"))
        store_log(archive, "web.2024-06-01-14.00.log.txt", log(*LATER))
        assert ("web.2024-06-01-14.00", "line", 2) in ranked(archive, "relea*")  # "releasing tomorrow"


def test_sqlite_readers_map_the_file(tmp_path: Path) -> None:
    with open_archive(f"sqlite://{tmp_path / 'a.db'}") as archive, archive._connection():
        assert archive._query("PRAGMA mmap_size") == [(1 << 30,)]
        assert archive._query("PRAGMA query_only") == [(1,)]  # a reader's connection, where searches run
