"""``gavel export``: the series pages' charts and the person pages, as static files (links that resolve, names made
safe, restricted meetings only when asked and then in private files), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from gavel.storage.archive import open_archive
from gavel.storage.archive.activity import NickIndex
from gavel.web.export import export_archive
from web_support import BACKENDS, SECRET, WEEKLY, XSS_NICK, Web, log, store_text, web_archive


@pytest.fixture(scope="module", params=BACKENDS)
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


def hrefs(page: Path) -> list[str]:
    return re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8"))


def assert_links_resolve(page: Path) -> None:
    for href in hrefs(page):
        target = href.split("#", 1)[0]
        if target:
            assert (page.parent / target).resolve().is_file(), (page, href)


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(match) for match in re.findall(r"<svg.*?</svg>", html, re.S)]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_series_pages_have_the_charts_of_their_exported_meetings(web: Web, tmp_path: Path) -> None:
    export_archive(web.archive, tmp_path / "public")
    series = tmp_path / "public" / WEEKLY / "index.html"
    html = series.read_text(encoding="utf-8")
    charts = svgs(html)
    assert len(charts) == 3 and all(chart.get("class") == "chart" for chart in charts)
    rows = re.findall(r'<tr><th scope="row"><a href="([^"]+)">', html)
    assert len(rows) == 4 and all(row.endswith(".html") for row in rows)  # the restricted one is not counted
    assert_links_resolve(series)
    export_archive(web.archive, tmp_path / "all", include_restricted=True)
    html = (tmp_path / "all" / WEEKLY / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<tr><th scope="row">', html)) == 5


def test_person_pages_link_the_exported_meetings_and_actions(web: Web, tmp_path: Path) -> None:
    export_archive(web.archive, tmp_path)
    people = tmp_path / "people"
    index = people / "index.html"
    assert mode(index) == 0o644 and '<a href="people/index.html">People</a>' in (tmp_path / "index.html").read_text()
    assert_links_resolve(index)
    listed = [href for href in hrefs(index) if not href.startswith("../")]
    assert "bob.html" in listed and "alice.html" in listed
    assert sorted(listed) == sorted(path.name for path in people.iterdir() if path.name != "index.html")
    for page in people.iterdir():
        assert_links_resolve(page)
        assert mode(page) == 0o644, page
    bob = (people / "bob.html").read_text(encoding="utf-8")
    assert "bob to publish the roadmap" in bob and ".log.html#l-" in bob
    assert "zanzibar" not in bob and SECRET not in bob
    assert not (people / "zed.html").exists()  # seen only in the restricted meeting


def test_restricted_meetings_show_on_person_pages_only_when_asked_and_privately(web: Web, tmp_path: Path) -> None:
    export_archive(web.archive, tmp_path, include_restricted=True)
    people = tmp_path / "people"
    zed = people / "zed.html"
    assert "secret council" in zed.read_text(encoding="utf-8") and mode(zed) == 0o600
    assert mode(people / "index.html") == 0o600
    bob = people / "bob.html"
    assert "weekly_sync.2024-02-13" in bob.read_text(encoding="utf-8") and mode(bob) == 0o600
    assert_links_resolve(bob)
    # someone never at a restricted meeting keeps a public page
    public = [page for page in people.iterdir() if mode(page) == 0o644]
    assert public and all("restricted" not in page.read_text(encoding="utf-8") for page in public)


def test_a_hostile_nick_gets_a_safe_file_name_and_escaped_page(web: Web, tmp_path: Path) -> None:
    export_archive(web.archive, tmp_path)
    index = (tmp_path / "people" / "index.html").read_text(encoding="utf-8")
    [name] = [path.name for path in (tmp_path / "people").iterdir() if path.name.startswith("x_y-")]
    assert re.fullmatch(r"[A-Za-z0-9_.\-]+", name)
    assert f'href="{name}"' in index and "<y" not in index
    page = (tmp_path / "people" / name).read_text(encoding="utf-8")
    assert "<y" not in page and "x&#34;&#39;&amp;&lt;y" in page.replace("&quot;", "&#34;")
    assert XSS_NICK not in page


def test_a_series_named_people_and_a_nick_named_index(tmp_path: Path) -> None:
    text = log("index: #startmeeting people", "index: hello", "Index.HTML: hi", "index: #endmeeting")
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        store_text(archive, text, date(2024, 5, 1), "#people")
        export_archive(archive, tmp_path / "out")
    out = tmp_path / "out"
    [series] = [path for path in out.iterdir() if path.is_dir() and path.name.startswith("people-")]
    assert (series / "index.html").is_file()
    names = sorted(path.name for path in (out / "people").iterdir())
    assert len(names) == 3 and "index.html" in names
    assert all(re.fullmatch(r"index(\.html)?-[0-9a-f]{10}\.html", name) for name in names if name != "index.html")
    page = (out / "people" / "index.html").read_text(encoding="utf-8")
    assert "<h1>People</h1>" in page and len(re.findall(r'<a href="index[^"]*-[0-9a-f]{10}\.html">', page)) == 2
    for name in names:
        assert_links_resolve(out / "people" / name)


def test_the_export_folds_the_archive_nicks_once(web: Web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Folding every nick of the archive for each person page made the export quadratic (4,000 people: 124 s)."""
    archive = web.archive
    made: list[int] = []
    real = archive.nick_index

    def counted() -> NickIndex:
        made.append(1)
        return real()

    monkeypatch.setattr(archive, "nick_index", counted)
    export_archive(archive, tmp_path)
    assert len(list((tmp_path / "people").iterdir())) > 5 and made == [1]
