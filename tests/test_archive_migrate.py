"""`gavel migrate`: an archive copied SQLite -> PostgreSQL -> SQLite is the same archive (every stored row, the same
`gavel export` tree byte for byte, the same search hits); a non-empty target, the same archive and an unknown column
are refused; an interrupted copy writes nothing and runs again; a bot storing into the source meanwhile is not
copied half."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from gavel.app.cli import main
from gavel.app.importer import parse_log
from gavel.storage.archive import Archive, ArchiveError, SearchQuery, open_archive
from gavel.storage.archive.sqlite_web import web_state_path
from gavel.storage.archive.transfer import migrate_archive
from gavel.web.export import export_archive
from pg import PostgresServer
from test_archive_migrations import downgrade, raw, tables, version_adding
from test_web_relations import store as store_matrix_meeting

DATA = Path(__file__).parent / "data"
HUGE = "word " * 40_000 + "needle"  # a 200,000-character line
HOSTILE = [
    "<alice> #startmeeting",
    "<alice> #topic <script>alert('x')</script> &amp; <b>bold</b>",
    "<bob> broken \udcff bytes here",  # replaced by U+FFFD when read (see write_hostile)
    "<bob> a NUL \x00 inside",
    f"<carol> {HUGE}",
    "<alice> #action bob fix https://bugs.example.org/+bug/1000085",
    "<alice> #info Café crème, NAÏVE straße 李雷",
    "<alice> #startvote Ship <it>? yes, no",
    "<bob> #vote yes",
    "<alice> #endvote",
    "<alice> #endmeeting",
]
QUERIES = ["script", "alert", "bold", "1000085", "cafe", "strasse", "李雷", "needle", "release", "plan", "kubernetes",
           "agenda", "bob", "the", "fix", "amp", "word", "scri*", "kuber*", "cre*", "need*"]  # fmt: skip


def write_hostile(directory: Path, name: str, start: str, restricted: bool = False) -> Path:
    """A log with markup, invalid UTF-8, a NUL, a huge line (and #restrictlogs when ``restricted``)."""
    base = datetime.strptime(start, "%H:%M:%S")
    said = [*HOSTILE[:-1], *(["<alice> #restrictlogs"] if restricted else []), HOSTILE[-1]]
    text = "".join(f"{base + timedelta(seconds=i):%H:%M:%S} {line}\n" for i, line in enumerate(said))
    path = directory / name
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


def fill(archive: Archive, logs: Path) -> None:
    """The fixture meetings (agenda, attendance, corrections, votes, actions), hostile ones (one restricted), an
    action marked done in a later meeting and one done outside any, a network, the web state."""
    logs.mkdir(exist_ok=True)
    paths = sorted(DATA.glob("*.log.txt"))
    paths.append(write_hostile(logs, "hostile.2024-06-01-10.00.log.txt", "10:00:00"))
    paths.append(write_hostile(logs, "secret.2024-06-02-10.00.log.txt", "10:00:00", restricted=True))
    for path in paths:
        parsed = parse_log(path)
        assert parsed.error is None, parsed.error
        for meeting in parsed.meetings:
            meeting.store(archive, network="libera" if "hostile" in path.name else None)
    actions = [a for s in archive.list_series(include_restricted=True) for a in archive.open_actions(s.name)]
    assert len(actions) >= 2
    later = archive.list_series()[-1].last_meeting_at
    [newest] = [m for s in archive.list_series() for y in archive.series(s.name).years for m in y.meetings  # type: ignore[union-attr]
                if m.started_at == later]  # fmt: skip
    assert archive.mark_action_done(actions[0].id, newest.id)
    assert archive.mark_action_done(actions[1].id, None, at=datetime(2025, 1, 2, 3, 4, 5, 678901, UTC))
    store_matrix_meeting(archive)  # replies, threads, edits, redactions (line_relations)
    web = archive.web_state()
    web.web_secret("session")
    web.add_session("hash-of-a-session", 4_000_000_000.5, 1.0, 100)
    web.add_login_failure("192.0.2.1", 3_999_999_999.0, 0.0, 100)


def rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every stored row of an SQLite archive, table by table (the search index's own tables left out)."""
    with sqlite3.connect(path) as conn:
        names = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if not name.startswith(("log_lines_fts", "items_fts", "sqlite_", "web_login_failures"))
        ]
        return {name: sorted(conn.execute(f"SELECT * FROM {name}"), key=repr) for name in names}


def postgres_indexes(archive: Archive) -> list[tuple[str, str]]:
    with archive._connection():
        found = archive._query(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname"
        )
    assert len(found) > 10
    return [(name, definition) for name, definition in found]


def tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def hits(archive: Archive) -> dict[str, list[object]]:
    found = {}
    for text in QUERIES:
        results = archive.search(SearchQuery(text, per_page=100, include_restricted=True))
        found[text] = [*sorted((h.meeting_id, h.kind, h.line, h.text) for h in results.hits), results.total]
    return found


def exported(archive: Archive, directory: Path) -> dict[str, bytes]:
    export_archive(archive, directory, include_restricted=True, url_base="https://m.example.org/")
    return tree(directory)


@pytest.mark.parametrize("cli", [False, True])
def test_sqlite_to_postgresql_and_back_is_the_same_archive(tmp_path: Path, postgres_url: str, cli: bool) -> None:
    first, back = tmp_path / "first.db", tmp_path / "back.db"
    with open_archive(f"sqlite://{first}") as source:
        fill(source, tmp_path / "logs")
        before_hits, before_tree = hits(source), exported(source, tmp_path / "export-first")
        secret = source.web_state().web_secret("session")
    if cli:
        for a, b, failures in ((f"sqlite://{first}", postgres_url, 1), (postgres_url, f"sqlite://{back}", 0)):
            result = CliRunner().invoke(main, ["migrate", a, b])
            assert result.exit_code == 0, result.output
            assert "copied 6 meeting(s) in 6 series" in result.output and ", 2 votes" in result.output
            assert f"web_login_failures ({failures} rows)" in result.output
    else:
        with open_archive(f"sqlite://{first}") as source, open_archive(postgres_url) as middle:
            indexes = postgres_indexes(middle)
            report = migrate_archive(source, middle)
            assert postgres_indexes(middle) == indexes  # those dropped for the copy are built again
        with open_archive(postgres_url) as middle, open_archive(f"sqlite://{back}") as target:
            assert migrate_archive(middle, target).copied == report.copied
        assert report.copied["meetings"] == 6 and report.lines > 100 and report.dropped == {"web_login_failures": 1}
    with open_archive(postgres_url) as middle:
        assert hits(middle) == before_hits
        assert exported(middle, tmp_path / "export-middle") == before_tree
        assert middle.web_state().web_secret("session") == secret
        assert middle.web_state().session_expires_at("hash-of-a-session") == 4_000_000_000.5
    with open_archive(f"sqlite://{back}") as target:
        assert hits(target) == before_hits
        assert exported(target, tmp_path / "export-back") == before_tree
    assert rows(back) == rows(first)
    assert rows(back)["line_relations"]
    assert rows(web_state_path(back)) == rows(web_state_path(first))  # the signing key and the session
    assert any(HUGE in str(row) for row in rows(back)["log_lines"])
    assert any("\ufffd bytes" in str(row) for row in rows(back)["log_lines"])


def test_a_postgresql_copy_goes_on_with_new_ids_after_the_copied_ones(tmp_path: Path, postgres_url: str) -> None:
    with open_archive(f"sqlite://{tmp_path / 'a.db'}") as source, open_archive(postgres_url) as target:
        fill(source, tmp_path / "logs")
        migrate_archive(source, target)
        most = max(m.id for s in target.list_series(include_restricted=True)
                   for y in target.series(s.name, include_restricted=True).years for m in y.meetings)  # type: ignore[union-attr]  # fmt: skip
        parsed = parse_log(write_hostile(tmp_path / "logs", "later.2024-07-01-10.00.log.txt", "10:00:00"))
        assert parsed.meetings[0].store(target) == most + 1


def test_a_target_with_meetings_is_refused_unless_replace(tmp_path: Path, postgres_url: str) -> None:
    with open_archive(f"sqlite://{tmp_path / 'a.db'}") as source, open_archive(postgres_url) as target:
        fill(source, tmp_path / "logs")
        parsed = parse_log(write_hostile(tmp_path / "logs", "other.2020-01-01-10.00.log.txt", "10:00:00"))
        parsed.meetings[0].store(target)
        with pytest.raises(ArchiveError, match=r"not empty \(1 meetings\).*--replace"):
            migrate_archive(source, target)
        assert [s.name for s in target.list_series()] == ["other"]
        report = migrate_archive(source, target, replace=True)
        assert report.replaced_meetings == 1 and report.copied["meetings"] == 6
        assert "other" not in [s.name for s in target.list_series()]
        assert target.search(SearchQuery("needle")).total == 1  # the old meeting's lines left the index too
    result = CliRunner().invoke(main, ["migrate", f"sqlite://{tmp_path / 'a.db'}", postgres_url])
    assert result.exit_code == 1 and "is not empty" in result.output and "--replace" in result.output


def test_a_missing_sqlite_source_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(main, ["migrate", f"sqlite://{missing}", f"sqlite://{tmp_path / 'b.db'}"])
    assert result.exit_code == 1 and f"no archive at {missing}" in result.output
    assert not missing.exists() and not (tmp_path / "b.db").exists()


def test_the_same_archive_is_refused(tmp_path: Path) -> None:
    with (
        open_archive(f"sqlite://{tmp_path / 'a.db'}") as one,
        open_archive(str(tmp_path / "." / "a.db")) as two,
        pytest.raises(ArchiveError, match="are the same archive"),
    ):
        migrate_archive(one, two, replace=True)


def test_postgresql_to_postgresql_in_another_schema(
    tmp_path: Path, postgres_url: str, _postgres_session: PostgresServer
) -> None:
    other = _postgres_session.create_database()  # another schema of the same database
    try:
        with open_archive(f"sqlite://{tmp_path / 'a.db'}") as source, open_archive(postgres_url) as middle:
            fill(source, tmp_path / "logs")
            migrate_archive(source, middle)
            expected = hits(source)
        with open_archive(postgres_url) as middle, open_archive(other) as target:
            assert migrate_archive(middle, target).copied["meetings"] == 6
            assert hits(target) == expected
        with (
            open_archive(other) as target,
            open_archive(other) as again,
            pytest.raises(ArchiveError, match="are the same archive"),
        ):
            migrate_archive(target, again, replace=True)
    finally:
        _postgres_session.drop_database(other)


@pytest.mark.parametrize("direction", ["to-postgresql", "to-sqlite"])
def test_an_interrupted_copy_writes_nothing_and_runs_again(tmp_path: Path, postgres_url: str, direction: str) -> None:
    lite = f"sqlite://{tmp_path / 'a.db'}"
    with open_archive(lite) as source:
        fill(source, tmp_path / "logs")
    if direction == "to-sqlite":
        with open_archive(lite) as source, open_archive(postgres_url) as middle:
            migrate_archive(source, middle)
        lite, target_url = postgres_url, f"sqlite://{tmp_path / 'b.db'}"
    else:
        target_url = postgres_url

    def stop(done: int, count: int, lines: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with open_archive(lite) as source, open_archive(target_url) as target:
        with pytest.raises(KeyboardInterrupt):
            migrate_archive(source, target, on_meeting=stop)
        assert target.list_series(include_restricted=True) == []
        assert target.search(SearchQuery("needle", include_restricted=True)).total == 0
        assert migrate_archive(source, target).copied["meetings"] == 6
        assert target.search(SearchQuery("needle", include_restricted=True)).total == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_source_serves_and_takes_meetings_during_the_copy(tmp_path: Path, postgres_url: str, backend: str) -> None:
    """A web server reads the source and a bot stores a meeting into it while the copy runs: the reads answer, and
    the new meeting is left out whole (the copy reads one snapshot)."""
    url, target_url = f"sqlite://{tmp_path / 'a.db'}", postgres_url
    with open_archive(url) as source:
        fill(source, tmp_path / "logs")
    if backend == "postgresql":
        with open_archive(url) as source, open_archive(postgres_url) as middle:
            migrate_archive(source, middle)
        url, target_url = postgres_url, f"sqlite://{tmp_path / 'b.db'}"
    parsed = parse_log(write_hostile(tmp_path / "logs", "during.2024-08-01-10.00.log.txt", "10:00:00"))
    answers: list[int] = []

    with open_archive(url) as source, open_archive(url) as server, open_archive(target_url) as target:

        def meanwhile(done: int, count: int, lines: int) -> None:
            if done == 1:
                parsed.meetings[0].store(server)  # a bot's writer, while the copy reads its snapshot
            answers.append(server.search(SearchQuery("needle", include_restricted=True)).total)
            assert server.meeting("gavel_agenda", "gavel_agenda.2024-05-08-09.00") is not None

        report = migrate_archive(source, target, on_meeting=meanwhile)
        assert report.copied["meetings"] == 6
        assert "during" not in [s.name for s in target.list_series()]
        assert len(source.list_series()) == len(target.list_series()) + 1
        assert answers == [3] * 6  # two copies of the hostile log, then the bot's meeting
        assert target.search(SearchQuery("needle", include_restricted=True)).total == 2


def test_an_unknown_column_is_refused_before_anything_is_copied(tmp_path: Path, postgres_url: str) -> None:
    path = tmp_path / "a.db"
    with open_archive(f"sqlite://{path}") as source:
        fill(source, tmp_path / "logs")
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE items ADD COLUMN mood TEXT")
    with open_archive(f"sqlite://{path}") as source, open_archive(postgres_url) as target:
        with pytest.raises(ArchiveError, match=r"column items\.mood.*nothing was copied"):
            migrate_archive(source, target)
        assert target.list_series(include_restricted=True) == []


def chatter(directory: Path, meetings: int, lines: int) -> Path:
    """``meetings`` plain logs of ``lines`` lines each."""
    directory.mkdir(exist_ok=True)
    for number in range(meetings):
        start = datetime(2023, 1, 1, 10, 0) + timedelta(days=number)
        said = ["<alice> #startmeeting", *(f"<bob> line {n} of chatter about kubernetes" for n in range(lines))]
        text = "".join(f"{start + timedelta(seconds=i):%H:%M:%S} {line}\n" for i, line in enumerate(said))
        (directory / f"chat.{start:%Y-%m-%d-%H.%M}.log.txt").write_text(text + "10:59:59 <alice> #endmeeting\n")
    return directory


def test_a_killed_migrate_process_leaves_the_target_empty(tmp_path: Path, postgres_url: str) -> None:
    lite = f"sqlite://{tmp_path / 'a.db'}"
    with open_archive(lite) as source:
        for path in sorted(chatter(tmp_path / "logs", 12, 3000).iterdir()):
            parse_log(path).meetings[0].store(source)
    command = [sys.executable, "-m", "gavel", "migrate", "--quiet", lite, postgres_url]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        with psycopg.connect(postgres_url, autocommit=True) as watcher:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.poll() is None:  # until it is writing log lines
                if watcher.execute("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY log_lines%'").fetchall():
                    break
                time.sleep(0.02)
            assert process.poll() is None, "the copy ended before it could be killed"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    with open_archive(postgres_url) as target:
        assert target.list_series(include_restricted=True) == []
    result = CliRunner().invoke(main, ["migrate", lite, postgres_url])
    assert result.exit_code == 0, result.output
    assert "copied 12 meeting(s) in 1 series, 36,024 log lines" in result.output
    with open_archive(postgres_url) as target:
        assert target.search(SearchQuery("kubernetes")).total == 10_000


def test_an_older_source_is_upgraded_first_and_a_newer_one_refused(tmp_path: Path, postgres_url: str) -> None:
    lite = f"sqlite://{tmp_path / 'a.db'}"
    with open_archive(lite) as source:
        fill(source, tmp_path / "logs")
        current = source.schema_version
    downgrade(lite, version_adding(lite, "CREATE TABLE agenda") - 1)  # as a gavel before the agenda wrote it
    assert "agenda" not in tables(lite)
    result = CliRunner().invoke(main, ["migrate", lite, postgres_url])
    assert result.exit_code == 0, result.output
    assert "copied 6 meeting(s)" in result.output and "migrate: 6/6 meetings" in result.output
    assert raw(lite, "SELECT version FROM gavel_schema") == [(current,)]
    raw(lite, f"UPDATE gavel_schema SET version = {current + 1}")
    result = CliRunner().invoke(main, ["migrate", lite, f"sqlite://{tmp_path / 'b.db'}"])
    assert result.exit_code == 1 and f"schema version {current + 1}" in result.output
    with open_archive(f"sqlite://{tmp_path / 'b.db'}") as target:
        assert target.list_series(include_restricted=True) == []


def test_a_copy_that_does_not_match_its_source_is_rolled_back(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_archive(f"sqlite://{tmp_path / 'a.db'}") as source, open_archive(postgres_url) as target:
        fill(source, tmp_path / "logs")
        insert_lines = target._insert_lines
        monkeypatch.setattr(target, "_insert_lines", lambda meeting_id, rows: insert_lines(meeting_id, rows[1:]))
        with pytest.raises(ArchiveError, match=r"does not match its source.*log_lines: \d+ in the source, \d+ copied"):
            migrate_archive(source, target)
        assert target.list_series(include_restricted=True) == []
