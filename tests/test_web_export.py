"""``gavel export``: the archive as a MeetBot tree (rebuilt by the render writers) plus index pages."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from gavel.app.archiving import archive_record
from gavel.render.minutes import MINUTES_WRITERS
from gavel.render.view import build_view
from gavel.storage.archive import open_archive
from gavel.web.export import export_archive, safe_component
from render_support import BASENAME, FIXTURES, GOLDEN, MEETING_ID, Fixture, fixture_meeting, read_exact, render_logs
from web_support import (
    BACKENDS,
    HOSTILE,
    K8S,
    PAGINATION,
    RESTRICTED,
    ROADMAP,
    ROADMAP_LINES,
    SECRET,
    UNFINISHED,
    WEEKLY,
    Web,
    log,
    replay_text,
    store_text,
    web_archive,
)

FORMATS = (".html", ".txt", ".md", ".json", ".log.txt", ".log.html")


@pytest.fixture(scope="module", params=BACKENDS)
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.mark.parametrize("fixture", FIXTURES, ids=[fixture.basename.split(".")[0] for fixture in FIXTURES])
def test_fixture_meetings_export_byte_for_byte(archive_url: str, tmp_path: Path, fixture: Fixture) -> None:
    """Stored, then exported with the original URL base: every file equals the golden written by replay (the
    agenda, attendance, other nicks, corrections and who started the meeting come back from the archive)."""
    with open_archive(archive_url) as archive:
        meeting, logged = fixture_meeting(fixture)
        view = build_view(
            meeting, log_basename=fixture.basename, log_url=fixture.log_url or None, meeting_id=MEETING_ID
        )
        archive.store(archive_record(view), logged)
        url_base = fixture.log_url.rsplit("/", 3)[0] + "/" if fixture.log_url else ""
        report = export_archive(archive, tmp_path / "out", url_base=url_base)
    assert (report.series, report.meetings, report.notes) == (1, 1, [])
    folder = tmp_path / "out" / view.name / str(view.started_at.year)
    for extension in FORMATS:
        exported = read_exact(folder / f"{fixture.basename}{extension}")
        assert exported == read_exact(GOLDEN / f"{fixture.basename}{extension}"), extension


@pytest.mark.parametrize(
    ("text", "day"),
    [(ROADMAP, date(2023, 11, 7)), (HOSTILE, date(2024, 1, 9)), (UNFINISHED, date(2024, 3, 12))],
    ids=["roadmap", "hostile", "unfinished"],
)
def test_generated_meetings_export_as_replay_wrote_them(web: Web, tmp_path: Path, text: str, day: date) -> None:
    export_archive(web.archive, tmp_path)
    meeting, logged = replay_text(text, day, "#weekly")
    assert meeting.started_at is not None
    name = f"{meeting.name}.{meeting.started_at:%Y-%m-%d-%H.%M}"
    view = build_view(meeting, log_basename=name)
    log_text, log_html = render_logs(logged, title="#weekly log")
    expected = {".log.txt": log_text, ".log.html": log_html}
    expected.update({extension: render(view) for extension, render in MINUTES_WRITERS.items()})
    for extension, content in expected.items():
        assert read_exact(tmp_path / WEEKLY / f"{day:%Y}" / f"{name}{extension}") == content, extension


def test_tree_and_index_pages(web: Web, tmp_path: Path) -> None:
    report = export_archive(web.archive, tmp_path)
    assert report.series == 2 and report.meetings == 5
    files = files_under(tmp_path)
    assert set(report.files) == set(files)
    relative = {path.relative_to(tmp_path).as_posix() for path in files}
    assert {"index.html", "gavel.css", f"{K8S}/index.html", f"{WEEKLY}/index.html"} <= relative
    meetings = {re.sub(r"\.(log\.)?[a-z]+$", "", r) for r in relative if r.count("/") == 2}
    assert meetings == {
        f"{K8S}/2016/{BASENAME}",
        f"{WEEKLY}/2023/weekly_sync.2023-11-07-15.00",
        f"{WEEKLY}/2024/weekly_sync.2024-01-09-15.00",
        f"{WEEKLY}/2024/weekly_sync.2024-03-12-15.00",
        f"{WEEKLY}/2024/weekly_sync.2024-04-16-15.00",
    }
    for stem in meetings:
        for extension in FORMATS:
            assert f"{stem}{extension}" in relative
            assert stat.S_IMODE((tmp_path / f"{stem}{extension}").stat().st_mode) == 0o644
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{K8S}/index.html">{K8S}</a>' in index and SECRET not in index
    assert '<link rel="stylesheet" href="gavel.css">' in index
    series = (tmp_path / WEEKLY / "index.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="../gavel.css">' in series
    assert "zanzibar" not in series and "bob to publish the roadmap" in series
    assert '<a href="2023/weekly_sync.2023-11-07-15.00.log.html#l-7">2023-11-07</a>' in series
    assert "&lt;script&gt;" in series and "<script" not in series
    for page in (tmp_path / "index.html", tmp_path / K8S / "index.html", tmp_path / WEEKLY / "index.html"):
        for href in re.findall(r'href="([^"#]+)"', page.read_text(encoding="utf-8")):
            assert (page.parent / href).resolve().is_file(), (page, href)


def test_restricted_only_when_asked(web: Web, tmp_path: Path) -> None:
    export_archive(web.archive, tmp_path / "public")
    public = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files_under(tmp_path / "public"))
    assert "zanzibar" not in public
    assert not (tmp_path / "public" / SECRET).exists()
    report = export_archive(web.archive, tmp_path / "all", include_restricted=True)
    assert report.series == 3 and report.meetings == 7
    restricted = tmp_path / "all" / WEEKLY / "2024" / "weekly_sync.2024-02-13-15.00"
    for extension in FORMATS:
        path = restricted.with_name(restricted.name + extension)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, extension
    assert "zanzibar keys leaked" in restricted.with_name(restricted.name + ".log.txt").read_text(encoding="utf-8")
    assert "These minutes are restricted" in restricted.with_name(restricted.name + ".html").read_text(encoding="utf-8")
    assert (tmp_path / "all" / SECRET / "index.html").is_file()
    minutes, _ = replay_text(RESTRICTED, date(2024, 2, 13), "#weekly")
    assert minutes.restricted


def test_every_file_naming_a_restricted_meeting_is_private(web: Web, tmp_path: Path) -> None:
    """Indexes too: the top index (which lists the restricted series and counts the restricted meeting) and the
    series indexes that list one get mode 0600; the rest stay 0644."""
    export_archive(web.archive, tmp_path, include_restricted=True)
    names = ("weekly_sync.2024-02-13", SECRET, "zanzibar")
    private = {tmp_path / "index.html", tmp_path / WEEKLY / "index.html", tmp_path / SECRET / "index.html"}
    private.add(tmp_path / "people" / "index.html")  # it counts the restricted meetings of its people
    for path in files_under(tmp_path):
        text = path.read_text(encoding="utf-8", errors="replace")
        mode = stat.S_IMODE(path.stat().st_mode)
        if any(name in text for name in names) or path in private:
            assert mode == 0o600, path
        else:
            assert mode == 0o644, path
    assert "weekly_sync.2024-02-13" in (tmp_path / WEEKLY / "index.html").read_text(encoding="utf-8")
    assert stat.S_IMODE((tmp_path / K8S / "index.html").stat().st_mode) == 0o644
    # directories: closed where they hold only restricted meetings (their listing would name them), else open
    modes = {path: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.rglob("*") if path.is_dir()}
    closed = {tmp_path / SECRET, tmp_path / SECRET / "2024"}
    assert {path for path, mode in modes.items() if mode == 0o700} == closed
    assert all(mode == 0o755 for path, mode in modes.items() if path not in closed)
    assert (tmp_path / WEEKLY / "2024") in modes  # a year of restricted and public meetings: open
    export_archive(web.archive, tmp_path)  # again without: the indexes are public again, and name none
    for index in (tmp_path / "index.html", tmp_path / WEEKLY / "index.html", tmp_path / "people" / "index.html"):
        assert stat.S_IMODE(index.stat().st_mode) == 0o644
        assert not any(name in index.read_text(encoding="utf-8") for name in names)


def test_export_is_repeatable(web: Web, tmp_path: Path) -> None:
    export_archive(web.archive, tmp_path)
    first = {path: path.read_bytes() for path in files_under(tmp_path)}
    export_archive(web.archive, tmp_path)
    assert {path: path.read_bytes() for path in files_under(tmp_path)} == first
    assert not [path for path in tmp_path.rglob(".gavel-*")]  # no temporary files left


@pytest.mark.parametrize(
    ("name", "basename"),
    [
        ("../../escape", "../../escape.2024-01-01-10.00"),
        ("/etc", "/etc/passwd"),
        ("..", ".."),
        ("index.html", "index.html"),
        ("a\\..\\b", "..\\..\\b"),
        ("ok", "ok/../../../x"),
        ("nul\x01", "x\x7f"),
    ],
)
def test_paths_stay_inside_the_directory(tmp_path: Path, name: str, basename: str) -> None:
    meeting, logged = replay_text(PAGINATION, date(2024, 4, 16), "#weekly")
    view = replace(build_view(meeting, log_basename="x"), name=name, log_basename=basename)
    out = tmp_path / "out"
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        archive.store(archive_record(view), logged)
        report = export_archive(archive, out)
    assert report.meetings == 1
    root = out.resolve()
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "archive.db":
            assert root in path.resolve().parents, path
    files = [path for path in files_under(out) if path.parent != out / "people"]
    assert len(files) == 2 + 2 + 1 + 6  # two index pages, two feeds, the stylesheet, the meeting's six files
    index = (out / "index.html").read_text(encoding="utf-8")
    for href in re.findall(r'href="([^"#]+)"', index):
        assert (out / href).resolve().is_file()


def test_safe_component() -> None:
    assert safe_component("weekly_sync") == "weekly_sync"
    assert safe_component("weekly_sync.2024-01-09-15.00") == "weekly_sync.2024-01-09-15.00"
    for hostile in ("..", ".", "", "a/b", "a\\b", "../x", "index.html", "gavel.css", "x\x00", ".hidden", "-rf"):
        safe = safe_component(hostile)
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", safe) and ".." not in safe, (hostile, safe)
        assert safe not in ("index.html", "gavel.css")
    assert safe_component("a/b") != safe_component("a\\b")  # cleaned alike, kept apart by the hash


def test_meetings_sharing_a_basename_are_both_exported(tmp_path: Path) -> None:
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        first = store_text(archive, ROADMAP, date(2023, 11, 7), "#weekly")
        store_text(archive, log(*ROADMAP_LINES, start="15:00:30"), date(2023, 11, 7), "#weekly-b")
        report = export_archive(archive, tmp_path / "out")
    assert report.meetings == 2 and len(report.notes) == 1
    folder = tmp_path / "out" / WEEKLY / "2023"
    stems = (first.basename, f"{first.basename}-2")  # the later one gets -2, as the live bot names it
    for stem in stems:
        for extension in FORMATS:
            assert (folder / f"{stem}{extension}").is_file()
    channels = [json.loads((folder / f"{stem}.json").read_text())["meeting"]["channel"] for stem in stems]
    assert channels == ["#weekly", "#weekly-b"]
    assert f'<a href="2023/{first.basename}-2.log.html">log</a>' in (folder.parent / "index.html").read_text()
