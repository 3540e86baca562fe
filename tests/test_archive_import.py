"""`gavel import` and `gavel replay --archive` on both backends; the line spool between parser and writer."""

from __future__ import annotations

import os
import pickle
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from gavel.app.cli import main
from gavel.app.importer import import_logs, parse_log
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.core.effects import LineKind, LogLine
from gavel.storage.archive import Archive, MeetingRecord, SearchQuery, open_archive
from gavel.storage.archive.spool import LineSpool

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
SERIES = "k8s_integration_discussion"


def gavel(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def make_tree(root: Path) -> dict[str, Path]:
    """A MeetBot tree with a flat directory, a duplicate of one meeting, an unfinished meeting and a corrupt file."""
    lines = FIXTURE.read_text(encoding="utf-8").split("\n")
    files = {"fixture": root / SERIES / "2016" / FIXTURE.name}
    files["fixture"].parent.mkdir(parents=True)
    files["fixture"].write_bytes(FIXTURE.read_bytes())
    for day in (1, 2, 3):
        path = root / "team" / "2016" / f"team.2016-03-0{day}-14.30.log.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = [lines[0].replace("k8s integration discussion", "team"), *lines[1:]]
        if day == 3:  # the log stops before #endmeeting
            body = body[:100]
        path.write_text("\n".join(body), encoding="utf-8")
        files[f"team{day}"] = path
    files["duplicate"] = root / "flat" / FIXTURE.name
    files["duplicate"].parent.mkdir()
    files["duplicate"].write_bytes(FIXTURE.read_bytes())
    files["corrupt"] = root / "flat" / "corrupt.2016-04-01-10.00.log.txt"
    files["corrupt"].write_bytes(random.Random(7).randbytes(4000))
    (root / "flat" / "notes.md").write_text("not a log", encoding="utf-8")
    return files


def test_import_a_tree_with_a_corrupt_file_and_a_duplicate(tmp_path: Path, archive_url: str) -> None:
    files = make_tree(tmp_path / "tree")
    code, _out, err = gavel("import", tmp_path / "tree", "--archive", archive_url, "--jobs", "2", "--network", "oftc")
    assert code == 1, err
    assert f"error: {files['corrupt']}: no #startmeeting found" in err
    assert "6 file(s): 5 meeting(s) stored" in err and "1 error(s)" in err
    with open_archive(archive_url) as archive:
        assert [(s.name, s.meeting_count) for s in archive.list_series()] == [(SERIES, 1), ("team", 3)]
        detail = archive.series("team")
        assert detail is not None
        meetings = {m.started_at.day: m for year in detail.years for m in year.meetings}
        assert meetings[3].unfinished and not meetings[1].unfinished
        assert meetings[1].network == "oftc" and meetings[1].line_count == 338
        fixture = archive.meeting(SERIES, "k8s_integration_discussion.2016-03-16-14.30")
        assert fixture is not None and fixture.line_count == 338
        hits = archive.search(SearchQuery("kubernetes", series=SERIES)).total

    # Run again: what is stored is skipped without being read; the corrupt file still fails.
    code, _out, err = gavel("import", tmp_path / "tree", "--archive", archive_url, "--jobs", "2")
    assert code == 1
    assert "0 meeting(s) stored (0 lines), 5 already stored" in err
    files["corrupt"].unlink()
    code, _out, err = gavel("import", tmp_path / "tree", "--archive", archive_url, "-q")
    assert code == 0, err
    assert "5 file(s): 0 meeting(s) stored" in err

    # --no-resume parses and stores everything again: still the same meetings, lines and hits.
    code, _out, err = gavel("import", tmp_path / "tree", "--archive", archive_url, "--no-resume", "-q")
    assert code == 0, err
    assert "5 meeting(s) stored (1,452 lines)" in err
    with open_archive(archive_url) as archive:
        assert [(s.name, s.meeting_count) for s in archive.list_series()] == [(SERIES, 1), ("team", 3)]
        assert archive.search(SearchQuery("kubernetes", series=SERIES)).total == hits


def test_import_reports_warnings_and_files_without_a_date(tmp_path: Path, archive_url: str) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    text = FIXTURE.read_text(encoding="utf-8").replace("14:31:11 <irenab> I am", "garbage line here")
    (logs / "x.2016-03-16-14.30.log.txt").write_text(text, encoding="utf-8")
    (logs / "nodate.log.txt").write_bytes(FIXTURE.read_bytes())
    code, _out, err = gavel("import", logs, "--archive", archive_url)
    assert code == 1
    assert "unrecognized line kept as text" in err
    assert "nodate.log.txt: cannot tell the meeting date" in err
    assert "2 file(s): 1 meeting(s) stored" in err


def test_import_needs_log_files(tmp_path: Path) -> None:
    code, _out, err = gavel("import", tmp_path, "--archive", f"sqlite://{tmp_path / 'a.db'}")
    assert code != 0 and "no *.log.txt files found" in err
    (tmp_path / "x.2016-03-16-14.30.log.txt").write_bytes(FIXTURE.read_bytes())
    code, _out, err = gavel("import", tmp_path, "--archive", "mysql://x")
    assert code != 0 and "unknown archive URL" in err


def test_a_meeting_that_cannot_be_stored_is_reported(
    tmp_path: Path, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = make_tree(tmp_path / "tree")
    real = archive.store_spooled

    def store_spooled(record: MeetingRecord, spool: LineSpool) -> int:
        if record.series == "team" and record.started_at.day == 2:
            raise RuntimeError("disk full")
        return real(record, spool)

    monkeypatch.setattr(archive, "store_spooled", store_spooled)
    seen: list[str] = []
    report = import_logs(
        archive, find_logs([tmp_path / "tree"], MEETBOT_LOGS), on_file=lambda p, r: seen.append(p.path if p else "skip")
    )
    assert report.failed == 2 and report.meetings == 4 and len(seen) == 6
    assert any("team.2016-03-02-14.30: disk full" in error for error in report.errors)
    assert files["corrupt"].name in " ".join(report.errors)
    assert [(s.name, s.meeting_count) for s in archive.list_series()] == [(SERIES, 1), ("team", 2)]


def test_replay_with_archive(tmp_path: Path, archive_url: str) -> None:
    team = tmp_path / "team.2016-03-01-14.30.log.txt"
    team.write_text(FIXTURE.read_text(encoding="utf-8").replace("k8s integration discussion", "team"), "utf-8")
    code, _out, err = gavel("replay", FIXTURE, team, "-o", tmp_path / "plain", "--jobs", "2")
    assert code == 0, err
    code, _out, err = gavel(
        "replay", FIXTURE, team, "-o", tmp_path / "archived", "--jobs", "2", "--archive", archive_url
    )
    assert code == 0, err

    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert tree(tmp_path / "archived") == tree(tmp_path / "plain")  # archiving changes no file
    with open_archive(archive_url) as archive:
        assert [(s.name, s.meeting_count) for s in archive.list_series()] == [(SERIES, 1), ("team", 1)]
        meeting = archive.meeting("team", "team.2016-03-01-14.30")
        assert meeting is not None and meeting.line_count == 338
        lines = FIXTURE.read_text(encoding="utf-8").rstrip("\n").split("\n")
        assert [row.text for row in archive.log_lines(meeting.id, offset=337)] == [lines[-1].split("> ", 1)[1]]
    code, _out, err = gavel("replay", FIXTURE, "-o", tmp_path / "again", "--archive", archive_url)
    assert code == 0, err
    with open_archive(archive_url) as archive:
        assert [(s.name, s.meeting_count) for s in archive.list_series()] == [(SERIES, 1), ("team", 1)]
    code, _out, err = gavel("replay", FIXTURE, "-o", tmp_path / "x", "--archive", "nope://")
    assert code != 0 and "unknown archive URL" in err


# ------------------------------------------------------------------ the spool


def lines(count: int) -> list[LogLine]:
    start = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
    return [
        LogLine(n, start.replace(second=n % 60), LineKind.MESSAGE, f"u{n % 7}", f"line {n} " + "x" * (n % 50))
        for n in range(1, count + 1)
    ]


def rows_of(spool: LineSpool) -> list[Sequence[object]]:
    return [row for batch in spool.batches() for row in batch]


def test_spool_in_memory_and_spilled(tmp_path: Path) -> None:
    small, spilled = LineSpool(), LineSpool(memory_limit=50_000, directory=str(tmp_path))
    for line in lines(10_000):
        small.add(line)
        spilled.add(line)
    small.close()
    spilled.close()
    assert not small.spilled and spilled.spilled
    assert small.count == spilled.count == 10_000
    assert rows_of(small) == rows_of(spilled)
    first = rows_of(small)[0]
    assert first == (1, 1714572001000000, "message", "u1", "line 1 x", "line 1 x", 3)  # with its index tokens
    assert len(os.listdir(tmp_path)) == 1
    every_token = {token for row in rows_of(small) for token in str(row[5]).split()}
    for spool in (small, spilled):
        copy = pickle.loads(pickle.dumps(spool))
        assert rows_of(copy) == rows_of(small)
        assert spool.words == copy.words == every_token  # (the writer lists them for prefix searches)
    spilled.discard()
    assert os.listdir(tmp_path) == [] and spilled.count == 0


def test_a_replaced_line_reads_replaced_in_memory_spilled_and_pickled(tmp_path: Path) -> None:
    """A redaction replaces a line the spool holds already: the archive never gets the first text."""
    small, spilled = LineSpool(), LineSpool(memory_limit=50_000, directory=str(tmp_path))
    made = lines(10_000)
    for spool in (small, spilled):
        for line in made:
            spool.add(line)
        redacted = made[4999]
        spool.replace(LogLine(redacted.number, redacted.time, redacted.kind, redacted.nick, "[redacted]"))
        spool.close()
        for copy in (spool, pickle.loads(pickle.dumps(spool))):
            rows = rows_of(copy)
            assert rows[4999][4] == "[redacted]" and rows[4998][4] == made[4998].text and len(rows) == 10_000
            assert rows[4999][5:] == ("redacted", 1)  # what the search index gets: not the first text's words
            assert "redacted" in copy.words
    spilled.discard()


def test_spool_must_be_closed_before_reading() -> None:
    spool = LineSpool()
    spool.add(lines(1)[0])
    with pytest.raises(RuntimeError, match="close"):
        next(spool.batches())
    with pytest.raises(RuntimeError, match="close"):
        pickle.dumps(spool)
    spool.close()
    assert rows_of(spool) == [(1, 1714572001000000, "message", "u1", "line 1 x", "line 1 x", 3)]


def test_parse_log_spills_big_meetings_and_store_removes_the_file(tmp_path: Path, archive: Archive) -> None:
    tmp_path = tmp_path / "spool"
    tmp_path.mkdir()
    [parsed] = parse_log(FIXTURE, spool_dir=str(tmp_path)).meetings
    assert not parsed.spool.spilled
    spool = LineSpool(memory_limit=1000, directory=str(tmp_path))
    for batch in parsed.spool.batches():
        for number, micros, kind, nick, text, _tokens, _length in batch:
            moment = datetime.fromtimestamp(micros / 1_000_000, UTC)
            spool.add(LogLine(number, moment, LineKind(kind), nick, text))
    spool.close()
    parsed.spool.discard()
    assert spool.spilled and len(os.listdir(tmp_path)) == 1
    parsed.spool = spool
    meeting_id = parsed.store(archive)
    assert os.listdir(tmp_path) == []
    meeting = archive.meeting(None, meeting_id)
    assert meeting is not None and meeting.line_count == 338


def _listed_and_indexed(archive: Archive) -> tuple[set[str], set[str]]:
    """SQLite's list of words for prefix searches, and the words its full-text tables index as text."""
    with archive._transaction():  # (the writer: a reader may not create even a temporary table)
        listed = {word for (word,) in archive._query("SELECT word FROM search_words")}
        indexed: set[str] = set()
        for table in ("log_lines_fts", "items_fts"):
            archive._run(f"CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, {table}, 'col')")
            indexed |= {term for (term,) in archive._query("SELECT term FROM temp.words WHERE col = 'text'")}
            archive._run("DROP TABLE temp.words")
    return listed, {term for term in indexed if not term.startswith("\ue000")}


@pytest.mark.parametrize("jobs", [0, 2])
def test_the_word_list_holds_every_indexed_word(tmp_path: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parsing processes collect each meeting's words (``LineSpool.words``); the writer lists those it has not
    listed yet. Stored with its words or without them (``store_rows`` then finds them), the list is the index's."""
    make_tree(tmp_path / "tree")
    logs = find_logs([tmp_path / "tree"], MEETBOT_LOGS)
    with open_archive(f"sqlite://{tmp_path / 'given.db'}") as archive:
        assert import_logs(archive, logs, jobs=jobs).meetings == 5
        listed, indexed = _listed_and_indexed(archive)
        assert listed == indexed and {"kubernetes", "k8s", "integration"} <= listed
    with open_archive(f"sqlite://{tmp_path / 'found.db'}") as archive:
        real = archive.store_rows  # (the str rows, without their words)
        monkeypatch.setattr(archive, "store_spooled", lambda record, spool: real(record, spool.batches()))
        assert import_logs(archive, logs, jobs=jobs).meetings == 5
        assert _listed_and_indexed(archive) == (listed, indexed)


def test_import_reads_maubot_spellings_when_asked(tmp_path: Path, archive_url: str) -> None:
    (tmp_path / "tree").mkdir()
    for day in (4, 5):  # two files: with --jobs 1 a worker process parses them
        log = tmp_path / "tree" / f"weekly.2026-03-0{day}-10.00.log.txt"
        log.write_text(
            "10:00:00 <alice> !sm weekly\n10:00:01 <bob> ^info green\n10:00:02 <alice> !em", encoding="utf-8"
        )
    code, _out, err = gavel("import", tmp_path / "tree", "--archive", archive_url, "--jobs", "0")
    assert code == 1 and "no #startmeeting found" in err
    for jobs in ("0", "1"):  # parsed here, and in a worker process
        code, _out, err = gavel(
            "import", tmp_path / "tree", "--archive", archive_url, "--jobs", jobs, "--maubot-spellings", "--no-resume"
        )
        assert code == 0 and "2 meeting(s) stored" in err, err
