"""`gavel replay` end to end: files in, MeetBot tree out, bad input handled."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from gavel.app.cli import main
from gavel.app.cli_replay import chunk_size
from gavel.storage.files import settle_directories

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
STEM = "k8s_integration_discussion/2016/k8s_integration_discussion.2016-03-16-14.30"
EXTENSIONS = (".log.txt", ".log.html", ".txt", ".html", ".md", ".json")


def replay(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["replay", *map(str, args)], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def minutes_json(out: Path, stem: str = STEM) -> dict[str, object]:
    data: dict[str, object] = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
    return data


def all_files(root: Path) -> list[Path]:
    """The MeetBot tree (without gavel's own bookkeeping in ``.gavel/``)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and ".gavel" not in p.relative_to(root).parts)


def test_fixture_tree_and_round_trip(tmp_path: Path) -> None:
    code, out, err = replay(FIXTURE, "--output-dir", tmp_path, "--url-base", "https://m.example.org")
    assert code == 0, err
    assert [p.relative_to(tmp_path).as_posix() for p in all_files(tmp_path)] == sorted(STEM + ext for ext in EXTENSIONS)
    assert (tmp_path / f"{STEM}.log.txt").read_bytes() == FIXTURE.read_bytes()
    assert "1 meeting(s) written, 0 warning(s), 0 error(s)" in err
    assert STEM in out
    text = (tmp_path / f"{STEM}.txt").read_text(encoding="utf-8")
    assert f"https://m.example.org/{STEM}.log.html" in text


def test_many_files_directory_and_jobs(tmp_path: Path) -> None:
    source = tmp_path / "in" / "nested"
    source.mkdir(parents=True)
    lines = FIXTURE.read_text(encoding="utf-8").split("\n")
    for day in range(1, 6):
        renamed = [lines[0].replace("k8s integration discussion", f"team {day}"), *lines[1:]]
        (source / f"team.2016-03-0{day}-14.30.log.txt").write_text("\n".join(renamed), encoding="utf-8")
    (source / "notes.md").write_text("not a log", encoding="utf-8")
    out = tmp_path / "out"
    code, _stdout, err = replay(tmp_path / "in", "--output-dir", out, "--jobs", "2")
    assert code == 0, err
    assert "5 file(s), 5 meeting(s) written" in err
    for day in range(1, 6):
        stem = f"team_{day}/2016/team_{day}.2016-03-0{day}-14.30"
        assert minutes_json(out, stem)["meeting"]["started_at"] == f"2016-03-0{day}T14:30:39Z"  # type: ignore[index]


def test_hostile_meeting_names_stay_inside(tmp_path: Path) -> None:
    log = tmp_path / "evil.2020-01-02-03.04.log.txt"
    log.write_text(
        "03:04:00 <mallory> #startmeeting ../../../etc/passwd\n"
        "03:04:01 <mallory> #meetingname /tmp/../../root/.ssh\n"
        "03:04:02 <mallory> #endmeeting",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, _, err = replay(log, "-o", out)
    assert code == 0, err
    files = all_files(out)
    assert files and all(out in p.parents for p in files)
    assert {p.relative_to(out).parts[0] for p in files} == {"tmp_root_ssh"}


def test_script_and_javascript_links_are_inert(tmp_path: Path) -> None:
    log = tmp_path / "x.2020-01-02-03.04.log.txt"
    log.write_text(
        "03:04:00 <a> #startmeeting <script>alert(1)</script>\n"
        "03:04:01 <a> #topic <img src=x onerror=alert(1)>\n"
        "03:04:02 <a> #link javascript:alert(document.cookie)\n"
        '03:04:03 <b> <script>alert("x")</script> said b\n'
        "03:04:04 <a> #endmeeting",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert replay(log, "-o", out)[0] == 0
    pages = [p for p in all_files(out) if p.suffix in (".html", ".md")]
    assert len(pages) == 3
    for page in pages:
        body = page.read_text(encoding="utf-8")
        assert "<script>alert" not in body and "<img src=x" not in body
        assert 'href="javascript:' not in body and "](javascript:" not in body


def test_empty_file_warns_and_writes_nothing(tmp_path: Path) -> None:
    log = tmp_path / "empty.2020-01-02-03.04.log.txt"
    log.write_bytes(b"")
    code, _, err = replay(log, "-o", tmp_path / "out")
    assert code == 0
    assert "no #startmeeting found" in err
    assert not all_files(tmp_path / "out") if (tmp_path / "out").exists() else True


def test_missing_date_is_a_clear_error_and_others_go_on(tmp_path: Path) -> None:
    undated = tmp_path / "undated.log.txt"
    undated.write_bytes(FIXTURE.read_bytes())
    out = tmp_path / "out"
    code, _, err = replay(undated, FIXTURE, "-o", out)
    assert code == 1
    assert "cannot tell the meeting date" in err and "--date" in err
    assert (out / f"{STEM}.json").exists()
    code, _, err = replay(undated, "-o", out, "--date", "2016-03-16")
    assert code == 0, err
    assert (out / "k8s_integration_discussion/2016/k8s_integration_discussion.2016-03-16-14.30.html").exists()


def test_invalid_utf8_is_reported_and_kept(tmp_path: Path) -> None:
    log = tmp_path / "bad.2020-01-02-03.04.log.txt"
    log.write_bytes(b"03:04:00 <a> #startmeeting bad\n03:04:01 <b> caf\xe9 \xff\xfe\n03:04:02 <a> #endmeeting")
    code, _, err = replay(log, "-o", tmp_path / "out")
    assert code == 0
    assert f"{log}:2: invalid UTF-8" in err
    text = (tmp_path / "out/bad/2020/bad.2020-01-02-03.04.log.txt").read_text(encoding="utf-8")
    assert text.split("\n")[1] == "03:04:01 <b> caf\ufffd \ufffd\ufffd"


def test_glued_log_gives_the_same_minutes(tmp_path: Path) -> None:
    glued = tmp_path / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
    glued.write_text(FIXTURE.read_text(encoding="utf-8").replace("\n", " "), encoding="utf-8")
    code, _, err = replay(glued, "-o", tmp_path / "glued")
    assert code == 0
    assert "log lines glued together; split at timestamps" in err
    assert replay(FIXTURE, "-o", tmp_path / "plain")[0] == 0
    glued_minutes, plain_minutes = minutes_json(tmp_path / "glued"), minutes_json(tmp_path / "plain")
    assert without_id(glued_minutes) == without_id(plain_minutes)


def without_id(minutes: dict[str, object]) -> dict[str, object]:
    """The minutes without the meeting id (which differs between two log files)."""
    meeting = minutes["meeting"]
    assert isinstance(meeting, dict) and isinstance(meeting.pop("id"), str)
    return minutes


def test_unfinished_meeting_still_gets_minutes(tmp_path: Path) -> None:
    log = tmp_path / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
    log.write_text(FIXTURE.read_text(encoding="utf-8").rsplit("\n", 1)[0], encoding="utf-8")
    code, out, _ = replay(log, "-o", tmp_path / "out")
    assert code == 0 and "unfinished" in out
    data = minutes_json(tmp_path / "out")
    assert data["meeting"]["unfinished"] is True and data["meeting"]["ended_at"] is None  # type: ignore[index]
    assert data["actions"] == ["mspreitz to update the devrefs with examples"]


def test_huge_line_and_unknown_lines(tmp_path: Path) -> None:
    log = tmp_path / "big.2020-01-02-03.04.log.txt"
    huge = "x" * 10_000
    log.write_text(
        f"03:04:00 <a> #startmeeting big\n03:04:01 <b> {huge}\n-- garbage line --\n03:04:02 <a> #endmeeting",
        encoding="utf-8",
    )
    code, _, err = replay(log, "-o", tmp_path / "out")
    assert code == 0
    assert f"{log}:3: unrecognized line kept as text" in err
    text = (tmp_path / "out/big/2020/big.2020-01-02-03.04.log.txt").read_text(encoding="utf-8")
    assert text.split("\n") == [
        "03:04:00 <a> #startmeeting big",
        f"03:04:01 <b> {huge}",
        "-- garbage line --",
        "03:04:02 <a> #endmeeting",
    ]


def test_restricted_meeting_files_are_private(tmp_path: Path) -> None:
    log = tmp_path / "secret.2020-01-02-03.04.log.txt"
    log.write_text("03:04:00 <a> #startmeeting\n03:04:01 <a> #restrictlogs\n03:04:02 <a> #endmeeting", encoding="utf-8")
    assert replay(log, "-o", tmp_path / "out")[0] == 0
    files = all_files(tmp_path / "out")
    assert len(files) == len(EXTENSIONS)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert minutes_json(tmp_path / "out", "secret/2020/secret.2020-01-02-03.04")["meeting"]["restricted"] is True  # type: ignore[index]
    # the directories only this meeting uses do not show its name either
    assert dir_modes(tmp_path / "out", "secret", "secret/2020") == [0o700, 0o700]


def dir_modes(root: Path, *relative: str) -> list[int]:
    return [stat.S_IMODE((root / name).stat().st_mode) for name in relative]


def test_a_directory_with_a_public_meeting_is_public(tmp_path: Path) -> None:
    """A public meeting opens the directories it shares with restricted ones; a year of only restricted ones
    stays closed."""
    out = tmp_path / "out"
    restricted = "03:04:00 <a> #startmeeting\n03:04:01 <a> #restrictlogs\n03:04:02 <a> #endmeeting"
    public = "03:04:00 <a> #startmeeting\n03:04:02 <a> #endmeeting"
    for name, text in [
        ("secret.2020-01-02-03.04", restricted),
        ("secret.2020-02-02-03.04", public),
        ("secret.2021-01-02-03.04", restricted),
    ]:
        log = tmp_path / f"{name}.log.txt"
        log.write_text(text, encoding="utf-8")
        assert replay(log, "-o", out)[0] == 0
    assert dir_modes(out, "secret", "secret/2020", "secret/2021") == [0o755, 0o755, 0o700]
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in all_files(out)}
    assert {mode for name, mode in modes.items() if name.startswith("secret.2020-02")} == {0o644}
    assert {mode for name, mode in modes.items() if not name.startswith("secret.2020-02")} == {0o600}


def test_two_meetings_in_one_log(tmp_path: Path) -> None:
    log = tmp_path / "chan.2020-01-02-03.04.log.txt"
    log.write_text(
        "03:04:00 <a> #startmeeting one\n03:05:00 <a> #endmeeting\n03:06:00 <a> chat between\n"
        "03:10:00 <b> #startmeeting two\n03:11:00 <b> #endmeeting",
        encoding="utf-8",
    )
    code, _out, _ = replay(log, "-o", tmp_path / "out")
    assert code == 0
    assert (tmp_path / "out/one/2020/one.2020-01-02-03.04.log.txt").exists()
    assert (tmp_path / "out/two/2020/two.2020-01-02-03.10.log.txt").exists()


def test_only_some_formats(tmp_path: Path) -> None:
    code, _, _ = replay(FIXTURE, "-o", tmp_path, "--format", ".json", "--format", ".log.txt")
    assert code == 0
    assert sorted(p.name.removeprefix(Path(STEM).name) for p in all_files(tmp_path)) == [".json", ".log.txt"]


@pytest.mark.parametrize("args", [["--output-dir", "x"], []])
def test_usage_errors(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["replay", *args])
    assert result.exit_code == 2


def test_same_name_same_minute_different_meetings_are_both_kept(tmp_path: Path) -> None:
    for who in ("alice", "bob"):
        (tmp_path / who).mkdir()
        (tmp_path / who / "x.2020-01-02-03.04.log.txt").write_text(
            f"03:04:00 <{who}> #startmeeting clash\n03:04:01 <{who}> #endmeeting", encoding="utf-8"
        )
    out = tmp_path / "out"
    assert replay(tmp_path / "alice", tmp_path / "bob", "-o", out)[0] == 0
    assert replay(tmp_path / "alice", "-o", out)[0] == 0  # replaying one again rewrites its own files
    names = sorted(p.name for p in (out / "clash" / "2020").glob("*.log.txt"))
    assert names == ["clash.2020-01-02-03.04-2.log.txt", "clash.2020-01-02-03.04.log.txt"]


@pytest.mark.parametrize(
    ("files", "jobs", "size"), [(2, 2, 1), (4, 2, 1), (7, 2, 1), (16, 2, 2), (100, 2, 12), (10_000, 4, 16)]
)
def test_every_worker_gets_files(files: int, jobs: int, size: int) -> None:
    """With few files a chunk is one file, so no worker idles while another replays them all."""
    assert chunk_size(files, jobs) == size
    assert -(-files // size) >= min(files, jobs)  # at least as many chunks as workers that can be busy


def test_a_meetings_own_files_do_not_keep_its_directories_open(tmp_path: Path) -> None:
    """A meeting restricted after its files were written (#restrictlogs after #save): its own public files, about
    to become private, do not count; another meeting's public file does."""
    year = tmp_path / "s" / "2020"
    year.mkdir(parents=True)
    own = year / "s.2020-01-02-03.04.log.html"
    own.write_text("x", encoding="utf-8")
    own.chmod(0o644)
    settle_directories(tmp_path, year / "s.2020-01-02-03.04", restricted=True)
    assert dir_modes(tmp_path, "s", "s/2020") == [0o700, 0o700]
    other = year / "s.2020-01-02-03.04-2.log.html"
    other.write_text("x", encoding="utf-8")
    other.chmod(0o644)
    settle_directories(tmp_path, year / "s.2020-01-02-03.04", restricted=True)
    assert dir_modes(tmp_path, "s", "s/2020") == [0o755, 0o755]


MAUBOT_LOG = "\n".join(
    [
        "10:00:00 <alice> !sm weekly",
        "10:00:01 <alice> !t the release",
        "10:00:02 <bob> ^info the build is green",
        "10:00:03 <alice> ^agreed ship it",
        "10:00:04 <alice> !em",
    ]
)


def test_replay_reads_maubot_spellings_when_asked(tmp_path: Path) -> None:
    log = tmp_path / "weekly.2026-03-04-10.00.log.txt"
    log.write_text(MAUBOT_LOG, encoding="utf-8")
    code, _, err = replay(log, "--output-dir", tmp_path / "plain")
    assert code == 0 and "no #startmeeting found; nothing written" in err  # an IRC log: "!sm" is chat there
    code, _, err = replay(log, "--output-dir", tmp_path / "out", "--maubot-spellings")
    assert code == 0, err
    minutes = minutes_json(tmp_path / "out", "weekly/2026/weekly.2026-03-04-10.00")
    items = [(item["kind"], item["text"]) for item in minutes["items"]]  # type: ignore[attr-defined]
    assert items == [("topic", "the release"), ("info", "the build is green"), ("agreed", "ship it")]
