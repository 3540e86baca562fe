"""``gavel export``'s Atom feeds: ``feed.atom`` at the root and in each series folder, parsed by feedparser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from gavel.web.export import export_archive
from web_support import K8S, SECRET, WEEKLY, XSS_TITLE, Web, web_archive


@pytest.fixture(scope="module", params=["sqlite"])
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


def parse(path: Path) -> Any:
    raw = path.read_bytes()
    assert b"<script" not in raw
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def links(feed: Any, rel: str) -> list[str]:
    return [next(link.href for link in entry.links if link.rel == rel) for entry in feed.entries]


WEEKLY_STEMS = [
    f"2024/{WEEKLY}.2024-04-16-15.00",
    f"2024/{WEEKLY}.2024-03-12-15.00",
    f"2024/{WEEKLY}.2024-01-09-15.00",
    f"2023/{WEEKLY}.2023-11-07-15.00",
]


def test_exported_feeds_link_to_the_files_on_the_url_base(web: Web, tmp_path: Path) -> None:
    """Even with --include-restricted no restricted meeting is in a feed; a series with none public has no feed."""
    export_archive(web.archive, tmp_path, include_restricted=True, url_base="https://meetings.example.org/archive")
    base = "https://meetings.example.org/archive/"
    root = parse(tmp_path / "feed.atom")
    assert links(root, "alternate") == [f"{base}{WEEKLY}/{stem}.html" for stem in WEEKLY_STEMS] + [
        f"{base}{K8S}/2016/{K8S}.2016-03-16-14.30.html"
    ]
    assert links(root, "related") == [href.removesuffix(".html") + ".log.html" for href in links(root, "alternate")]
    assert root.feed.id == base + "feed.atom"
    assert root.entries[0].id.startswith("tag:meetings.example.org,2024-04-16:gavel/meeting/")
    series = parse(tmp_path / WEEKLY / "feed.atom")
    assert links(series, "alternate") == [f"{base}{WEEKLY}/{stem}.html" for stem in WEEKLY_STEMS]
    assert series.entries[2].title == f"{WEEKLY} 2024-01-09 15:00 UTC: {XSS_TITLE}"
    for feed in (tmp_path / "feed.atom", tmp_path / WEEKLY / "feed.atom"):
        assert b"zanzibar" not in feed.read_bytes() and b"council" not in feed.read_bytes()
        assert feed.stat().st_mode & 0o777 == 0o644
    assert (tmp_path / SECRET / "index.html").exists() and not (tmp_path / SECRET / "feed.atom").exists()
    assert "application/atom+xml" not in (tmp_path / SECRET / "index.html").read_text()


def test_without_a_url_base_links_are_relative_to_the_feed(web: Web, tmp_path: Path) -> None:
    export_archive(web.archive, tmp_path)
    root = parse(tmp_path / "feed.atom")
    assert links(root, "alternate")[0] == f"{WEEKLY}/{WEEKLY_STEMS[0]}.html"
    assert root.entries[0].id.startswith("tag:localhost,2024-04-16:gavel/meeting/")
    series = parse(tmp_path / WEEKLY / "feed.atom")
    assert links(series, "alternate") == [f"{stem}.html" for stem in WEEKLY_STEMS]
    for href in links(series, "alternate") + links(series, "related"):
        assert (tmp_path / WEEKLY / href).is_file()
    index = (tmp_path / "index.html").read_text()
    assert '<link rel="alternate" type="application/atom+xml" title="All meetings" href="feed.atom">' in index
    series_page = (tmp_path / WEEKLY / "index.html").read_text()
    assert f'type="application/atom+xml" title="{WEEKLY} meetings" href="feed.atom">' in series_page
