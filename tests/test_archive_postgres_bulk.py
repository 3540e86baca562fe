"""PostgreSQL's index upkeep: a store leaves nothing in the GIN indexes' pending lists, and ``gavel import`` into a
small archive builds the log lines' indexes after the lines are in (finding the same hits), with the indexes
restored when a bulk load ended without building them."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from conftest import StoreLog
from gavel.app.cli import main
from gavel.app.importer import ImportReport, ParsedLog, _expected_lines, import_logs
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.storage.archive import Archive, SearchQuery, open_archive, postgres
from gavel.storage.archive.pg_schema import LINE_INDEXES
from gavel.storage.archive.postgres import _BULK_LOCK, PostgresArchive
from test_archive_search_backends import OPS, log

pytestmark = pytest.mark.servers

QUERIES = ("1000085", "script", "the", "snake case", '"the config"', "getUser*", "wiki")


def line_indexes(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()").fetchall()
    return {row[0] for row in rows} & set(LINE_INDEXES)


def pending(url: str, index: str) -> int:
    """The entries waiting in a GIN index's pending list (pageinspect; the test server's user is a superuser)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public")
        row = conn.execute(
            "SELECT n_pending_tuples FROM public.gin_metapage_info(public.get_raw_page(%s, 0))", (index,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def write_tree(root: Path, meetings: int) -> list[Path]:
    for day in range(1, meetings + 1):
        path = root / f"ops.2024-05-{day:02}-14.00.log.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(log(*OPS, f"<bob> meeting {day} of the series"), encoding="utf-8")
    return find_logs([root], MEETBOT_LOGS)


def hits(archive: Archive) -> dict[str, list[tuple[str, int, str]]]:
    found = {text: archive.search(SearchQuery(text, per_page=100)).hits for text in QUERIES}
    return {text: [(hit.meeting_basename, hit.line, hit.kind) for hit in hits] for text, hits in found.items()}


@pytest.fixture
def pg_archive(postgres_url: str) -> Iterator[PostgresArchive]:
    with open_archive(postgres_url) as opened:
        assert isinstance(opened, PostgresArchive)
        yield opened


def test_a_store_leaves_no_entry_in_the_pending_lists(pg_archive: PostgresArchive, store_log: StoreLog) -> None:
    store_log(pg_archive, "ops.2024-05-01-14.00.log.txt", log(*OPS))
    assert pending(pg_archive.url, "log_lines_search") == 0
    assert pending(pg_archive.url, "items_search") == 0
    assert 2 in [hit.line for hit in pg_archive.search(SearchQuery("1000085")).hits]


def test_a_bulk_import_builds_the_indexes_after_the_lines_and_finds_the_same(
    postgres_url: str, tmp_path: Path, store_log: StoreLog
) -> None:
    files = write_tree(tmp_path / "tree", 4)
    with open_archive(f"sqlite://{tmp_path / 'plain.db'}") as plain:
        import_logs(plain, files, jobs=0)
        expected = hits(plain)
    seen_during: list[set[str]] = []

    def watch(parsed: ParsedLog | None, report: ImportReport) -> None:
        seen_during.append(line_indexes(postgres_url))

    with open_archive(postgres_url) as archive:
        assert isinstance(archive, PostgresArchive)
        archive.bulk_min_lines = 1
        report = import_logs(archive, files, jobs=0, on_file=watch)
        assert report.failed == 0 and report.meetings == 4
        assert seen_during == [set()] * 4  # no index while the lines went in
        assert line_indexes(postgres_url) == set(LINE_INDEXES)
        assert hits(archive) == expected
        assert expected["1000085"] and expected['"the config"']
        # the archive now holds more lines than another bulk load of these files brings: the indexes stay
        seen_during.clear()
        import_logs(archive, files, jobs=0, resume=False, on_file=watch)
        assert seen_during == [set(LINE_INDEXES)] * 4
        assert hits(archive) == expected


def test_a_failed_bulk_load_still_builds_the_indexes(pg_archive: PostgresArchive) -> None:
    pg_archive.bulk_min_lines = 10
    with pytest.raises(RuntimeError), pg_archive.bulk_load(1000):
        assert line_indexes(pg_archive.url) == set()
        raise RuntimeError("the import stopped")
    assert line_indexes(pg_archive.url) == set(LINE_INDEXES)


def test_small_loads_keep_the_indexes(pg_archive: PostgresArchive) -> None:
    pg_archive.bulk_min_lines = 10
    with pg_archive.bulk_load(9):
        assert line_indexes(pg_archive.url) == set(LINE_INDEXES)


def test_indexes_a_killed_bulk_load_left_out_are_built_when_the_archive_is_opened(postgres_url: str) -> None:
    with open_archive(postgres_url):
        pass
    with psycopg.connect(postgres_url, autocommit=True) as bulk:  # a bulk load, killed before it built them
        bulk.execute("SELECT pg_advisory_lock(%s)", (_BULK_LOCK,))
        bulk.execute(f"DROP INDEX {', '.join(LINE_INDEXES)}")
        with open_archive(postgres_url):  # still under way: its own end builds them
            assert line_indexes(postgres_url) == set()
    with open_archive(postgres_url) as archive:  # its session has ended
        assert line_indexes(postgres_url) == set(LINE_INDEXES)
        assert archive.search(SearchQuery("anything")).total == 0


def test_expected_lines_come_from_file_sizes_and_skip_missing_files(tmp_path: Path) -> None:
    (tmp_path / "a.log.txt").write_text("x" * 8000)
    assert _expected_lines([tmp_path / "a.log.txt", tmp_path / "gone.log.txt"]) == 100
    assert _expected_lines([]) == 0


def test_a_writer_that_does_not_own_the_tables_stores_and_imports(
    postgres_url: str, tmp_path: Path, store_log: StoreLog
) -> None:
    """Only an index's owner may clean its pending list, drop or build it: a role with only the rights to read and
    write rows stores meetings and imports as before (the indexes are left to autovacuum and kept in place)."""
    role = f"gavel_writer_{tmp_path.name[-12:].replace('-', '_')}"
    schema = postgres_url.rsplit("%3D", 1)[1]
    with open_archive(postgres_url):
        pass
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        try:
            admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
            admin.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
            admin.execute(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')
            url = postgres_url.replace("postgres@", f"{role}@", 1)
            with open_archive(url) as archive:
                assert isinstance(archive, PostgresArchive)
                store_log(archive, "web.2024-04-01-14.00.log.txt", log(*OPS))
                archive.bulk_min_lines = 1
                report = import_logs(archive, write_tree(tmp_path / "tree", 2), jobs=0)
                assert report.failed == 0 and report.meetings == 2
                assert line_indexes(postgres_url) == set(LINE_INDEXES)
                assert archive.search(SearchQuery("1000085")).total >= 3
            admin.execute(f'DROP INDEX "{schema}".log_lines_by_nick')  # as a killed bulk load of the owner's leaves it
            with open_archive(url):  # not this role's to build: opening still works
                assert line_indexes(postgres_url) == set(LINE_INDEXES) - {"log_lines_by_nick"}
        finally:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE "{role}"')


def test_an_index_build_that_fails_is_a_clear_error_and_done_at_the_next_open(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path / "tree", 2)

    def no_space(conn: psycopg.Connection[Any], url: str | None = None) -> None:
        raise psycopg.errors.DiskFull("could not extend file: No space left on device")

    monkeypatch.setattr(postgres, "_build_line_indexes", no_space)
    monkeypatch.setattr(PostgresArchive, "bulk_min_lines", 1)
    result = CliRunner().invoke(main, ["import", "--archive", postgres_url, "--quiet", str(tmp_path / "tree")])
    assert result.exit_code != 0
    assert "building the log lines' search indexes after the import failed" in result.output
    assert "No space left" in result.output and "Traceback" not in result.output
    assert line_indexes(postgres_url) == set()
    monkeypatch.undo()
    with open_archive(postgres_url) as archive:
        assert line_indexes(postgres_url) == set(LINE_INDEXES)
        assert archive.search(SearchQuery("1000085")).total == 2 * 3


def test_a_bulk_load_keeps_the_indexes_when_the_table_stays_busy(pg_archive: PostgresArchive) -> None:
    pg_archive.bulk_min_lines = 1
    with psycopg.connect(pg_archive.url) as reader:
        reader.execute("SELECT count(*) FROM log_lines").fetchone()  # a transaction still open: the table is in use
        with pg_archive.bulk_load(1000):
            assert line_indexes(pg_archive.url) == set(LINE_INDEXES)
        reader.rollback()
    with pg_archive.bulk_load(1000):
        assert line_indexes(pg_archive.url) == set()
    assert line_indexes(pg_archive.url) == set(LINE_INDEXES)


def test_a_bulk_load_builds_the_btrees_beside_the_gin_index(
    pg_archive: PostgresArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At the end of a bulk load the btree indexes are built on a second connection, in a thread, while the bulk
    load's own connection builds the GIN index; its last pass then finds nothing left to build."""
    built: list[tuple[str, str, str]] = []  # (thread, backend pid, index)
    create = postgres._create_indexes

    def recording(conn: psycopg.Connection[Any], statements: Iterable[str]) -> None:
        statements = list(statements)
        missing = set(LINE_INDEXES) - line_indexes(pg_archive.url)
        pid = str(conn.execute("SELECT pg_backend_pid()").fetchone())
        built.extend(
            (threading.current_thread().name, pid, name) for name in missing if LINE_INDEXES[name] in statements
        )
        create(conn, statements)

    monkeypatch.setattr(postgres, "_create_indexes", recording)
    pg_archive.bulk_min_lines = 1
    with pg_archive.bulk_load(1000):
        assert line_indexes(pg_archive.url) == set()
    assert line_indexes(pg_archive.url) == set(LINE_INDEXES)
    by_index = {name: (thread, pid) for thread, pid, name in built}
    assert len(built) == len(by_index) == len(LINE_INDEXES)  # each index built once
    gin = by_index.pop("log_lines_search")
    assert gin[0] == threading.current_thread().name
    assert {thread for thread, _ in by_index.values()} == {"gavel-index-build"}
    assert {pid for _, pid in by_index.values()} != {gin[1]}


def test_the_gin_connection_builds_what_the_second_one_could_not(pg_archive: PostgresArchive) -> None:
    with psycopg.connect(pg_archive.url, autocommit=True) as conn:
        conn.execute(f"DROP INDEX {', '.join(LINE_INDEXES)}")
        postgres._build_line_indexes(conn, "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert line_indexes(pg_archive.url) == set(LINE_INDEXES)
