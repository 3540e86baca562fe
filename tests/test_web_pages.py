"""The web UI's HTML pages over a real archive (SQLite and PostgreSQL): series list, series, meeting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gavel.storage.archive import open_archive
from gavel.web.app import create_app
from gavel.web.data import LogPage
from web_support import (
    BACKENDS,
    K8S,
    ROADMAP,
    ROADMAP_LINES,
    SECRET,
    TOKEN,
    WEEKLY,
    Web,
    log,
    meeting_path,
    store_text,
    web_archive,
)


@pytest.fixture(scope="module", params=BACKENDS)
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


class Page(HTMLParser):
    """What a test looks at in a page: ids, links, tags, text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(values["id"] or "")
        if tag == "a" and values.get("href") is not None:
            self.hrefs.append(values["href"] or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def page(web: Web, path: str, status: int = 200, headers: dict[str, str] | None = None) -> Page:
    response = web.client(headers=headers).get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return Page(response.text)


def test_series_list(web: Web) -> None:
    response = web.client().get("/")
    assert response.status_code == 200
    index = Page(response.text)
    rows = re.findall(r"<tr>\s*<td><a href=\"([^\"]+)\">([^<]+)</a></td>\s*<td class=\"num\">(\d+)</td>", response.text)
    assert rows == [(f"/series/{K8S}", K8S, "1"), (f"/series/{WEEKLY}", WEEKLY, "4")]  # restricted ones not counted
    assert "2016-03-16" in index.all_text  # last meeting of k8s
    assert "2024-04-16" in index.all_text  # last visible meeting of weekly_sync
    assert SECRET not in response.text


def test_series_list_signed_in_shows_restricted_series(web: Web) -> None:
    response = web.client(headers={"Authorization": f"Bearer {TOKEN}"}).get("/")
    assert response.status_code == 200
    assert f'<a href="/series/{SECRET}">{SECRET}</a>' in response.text
    assert re.search(rf'{WEEKLY}</a></td>\s*<td class="num">5</td>', response.text)
    assert "Signed in" in response.text


def test_series_page_meetings_by_year_and_open_actions(web: Web) -> None:
    corpus = web.corpus
    series = page(web, f"/series/{WEEKLY}")
    assert "y-2024" in series.ids and "y-2023" in series.ids
    assert series.ids.index("y-2024") < series.ids.index("y-2023")  # newest year first
    links = [href for href in series.hrefs if href.startswith(f"/series/{WEEKLY}/")]
    expected = [corpus.pagination, corpus.unfinished, corpus.hostile, corpus.roadmap]  # newest first
    assert links[: len(expected)] == [meeting_path(m) for m in expected]
    assert meeting_path(corpus.restricted) not in series.hrefs
    text = series.all_text
    assert "bob to publish the roadmap" in text and "carol to book a room" in text
    assert "zanzibar" not in text
    assert f"/series/{WEEKLY}/{corpus.roadmap.basename}#i-7" in series.hrefs  # the open action's minutes item
    assert "unfinished" in text


def test_meeting_page_minutes_then_log(web: Web) -> None:
    meeting = web.archive.meeting(K8S, web.corpus.k8s.basename)
    assert meeting is not None
    response = web.client().get(meeting_path(web.corpus.k8s))
    assert response.status_code == 200
    html = response.text
    assert html.index('id="summary"') < html.index('id="people"') < html.index('id="log"')
    parsed = Page(html)
    lines = [i for i in parsed.ids if i.startswith("l-")]
    assert lines == [f"l-{n}" for n in range(1, meeting.line_count + 1)]
    for item in meeting.items:
        assert f"i-{item.line}" in parsed.ids
    # every in-page link points at something on the page
    for href in parsed.hrefs:
        if href.startswith("#"):
            assert href[1:] in parsed.ids, href
    assert "<title>#k8s_integration_discussion: k8s integration discussion (2016-03-16) · gavel</title>" in html
    text = parsed.all_text
    assert "Meeting started by apuimedo at 2016-03-16 14:30 UTC" in text
    assert "mspreitz to update the devrefs with examples" in text
    assert "apuimedo (121)" in text
    # the log line is what the .log.html writer makes, anchored as a whole line
    assert '<div class="ln" id="l-1"><a href="#l-1"><span class="tm">14:30:39</span></a>' in html
    assert '<span class="cmd">#startmeeting </span>' in html


def test_meeting_log_matches_the_archive(web: Web) -> None:
    stored = web.corpus.roadmap
    rows = list(web.archive.log_lines(stored.id))
    html = web.client().get(meeting_path(stored)).text
    bodies = re.findall(r'<div class="ln" id="l-(\d+)">(.*?)</div>', html)
    assert [int(number) for number, _ in bodies] == [row.number for row in rows]
    assert "I read the roadmap draft yesterday" in bodies[3][1]


def test_meeting_links_are_only_safe_schemes(web: Web) -> None:
    parsed = page(web, meeting_path(web.corpus.roadmap))
    assert "https://example.org/roadmap" in parsed.hrefs
    assert not [href for href in parsed.hrefs if href.lower().startswith(("javascript", "data:", "vbscript"))]
    assert "javascript:alert(1)" in parsed.all_text  # shown as text


def test_meeting_votes_people_and_unicode(web: Web) -> None:
    parsed = page(web, meeting_path(web.corpus.hostile))
    text = parsed.all_text
    assert "release now?" in text
    assert "yes (1): bob" in text and "no (1): dave" in text
    assert "Grüße naïve café 日本語 🎉 déjà-vu" in text
    assert "dave (" in text


def test_unfinished_meeting_says_so(web: Web) -> None:
    parsed = page(web, meeting_path(web.corpus.unfinished))
    assert "This meeting was not ended" in parsed.all_text


def test_meeting_by_id(web: Web) -> None:
    parsed = page(web, f"/series/{K8S}/{web.corpus.k8s.id}")
    assert "k8s integration discussion" in parsed.all_text
    page(web, f"/series/{WEEKLY}/{web.corpus.k8s.id}", 404)  # the id is not in that series


def test_restricted_meeting_is_404_without_auth(web: Web) -> None:
    restricted = meeting_path(web.corpus.restricted)
    missing = page(web, restricted, 404)
    assert "zanzibar" not in missing.all_text
    page(web, f"/series/{SECRET}", 404)
    page(web, meeting_path(web.corpus.council), 404)
    # the same answer as for a meeting that never existed
    nothing = page(web, f"/series/{WEEKLY}/weekly_sync.2024-02-13-15.01", 404)
    assert nothing.all_text == missing.all_text
    shown = page(web, restricted, headers={"Authorization": f"Bearer {TOKEN}"})
    assert "zanzibar keys leaked" in shown.all_text
    assert "These minutes are restricted" in shown.all_text


def test_not_found_pages(web: Web) -> None:
    missing = ("/series/nope", f"/series/{K8S}/nope", f"/series/{K8S}/{K8S}.2016-03-16-14.31", "/nope", "/series/a/b/c")
    for path in missing:
        parsed = page(web, path, 404)
        assert "Not found" in parsed.all_text


def test_pages_are_phone_ready_and_script_free(web: Web) -> None:
    for path in ("/", f"/series/{WEEKLY}", meeting_path(web.corpus.hostile), "/search?q=roadmap", "/login"):
        response = web.client().get(path)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text
        assert '<link rel="stylesheet" href="/static/gavel.css">' in response.text
        parsed = Page(response.text)
        assert "script" not in parsed.tags and "style" not in parsed.tags  # no JavaScript, no inline CSS (CSP)
        assert not [name for name, _ in parsed.attributes if name.startswith("on") or name == "style"]
    css = web.client().get("/static/gavel.css")
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert "@media (max-width: 40em)" in css.text and ".ln:target" in css.text


def test_root_path_prefixes_every_link(web: Web) -> None:
    client = web.client(root_path="/archive")
    response = client.get("/archive/series/" + WEEKLY)
    assert response.status_code == 200
    parsed = Page(response.text)
    site_links = [href for href in parsed.hrefs if href.startswith("/")]
    assert site_links and all(href.startswith("/archive/") for href in site_links)
    assert '<link rel="stylesheet" href="/archive/static/gavel.css">' in response.text
    assert client.get("/archive/static/gavel.css").status_code == 200


def test_meetings_sharing_a_basename_are_both_reachable(tmp_path: Path) -> None:
    """Two meetings of one series started in the same minute (MeetBot would give them one file name)."""
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        first = store_text(archive, ROADMAP, date(2023, 11, 7), "#weekly")
        second = store_text(archive, log(*ROADMAP_LINES, start="15:00:30"), date(2023, 11, 7), "#weekly-b")
        assert first.basename == second.basename
        client = TestClient(create_app(archive), raise_server_exceptions=True)
        series = client.get(f"/api/series/{WEEKLY}").json()
        urls = sorted(m["url"] for year in series["years"] for m in year["meetings"])
        assert urls == sorted([f"/series/{WEEKLY}/{first.id}", f"/series/{WEEKLY}/{second.id}"])
        channels = {client.get("/api" + url).json()["channel"] for url in urls}
        assert channels == {"#weekly", "#weekly-b"}
        html = client.get(f"/series/{WEEKLY}").text
        for url in urls:
            assert f'<a href="{url}">' in html
        # Every other link to either meeting names it by id too: search hits, action items, minutes items.
        ids = {first.id, second.id}
        hits = client.get("/api/search", params={"q": "roadmap"}).json()["hits"]
        assert {hit["meeting_id"] for hit in hits} == ids
        assert all(hit["url"].startswith(f"/series/{WEEKLY}/{hit['meeting_id']}#") for hit in hits)
        page = client.get("/search", params={"q": "roadmap"}).text
        assert f'href="/series/{WEEKLY}/{first.id}#' in page and f'href="/series/{WEEKLY}/{second.id}#' in page
        actions = client.get(f"/api/series/{WEEKLY}").json()["open_actions"]
        assert {action["url"].split("#")[0] for action in actions} == set(urls)
        for url in urls:
            items = client.get("/api" + url).json()["items"]
            assert items and all(item["url"].startswith(url + "#i-") for item in items)


def test_a_restricted_meeting_sharing_a_basename_hides_behind_the_public_one(tmp_path: Path) -> None:
    """Without access, the public meeting is the one its basename names, and links need no id (which would show that
    another meeting exists); with access, both are named by id."""
    secret_first = log(*ROADMAP_LINES[:1], "alice: #restrictlogs", *ROADMAP_LINES[1:])
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        hidden = store_text(archive, secret_first, date(2023, 11, 7), "#weekly")
        public = store_text(archive, log(*ROADMAP_LINES, start="15:00:30"), date(2023, 11, 7), "#weekly-b")
        assert hidden.basename == public.basename
        anyone = TestClient(create_app(archive, token=TOKEN), raise_server_exceptions=True)
        assert anyone.get(f"/api/series/{WEEKLY}/{public.basename}").json()["channel"] == "#weekly-b"
        assert anyone.get(f"/series/{WEEKLY}/{hidden.id}").status_code == 404
        hits = anyone.get("/api/search", params={"q": "roadmap"}).json()["hits"]
        assert hits and {hit["url"].split("#")[0] for hit in hits} == {f"/series/{WEEKLY}/{public.basename}"}
        insider = TestClient(create_app(archive, token=TOKEN), headers={"Authorization": f"Bearer {TOKEN}"})
        hits = insider.get("/api/search", params={"q": "roadmap"}).json()["hits"]
        assert {hit["url"].split("#")[0] for hit in hits} == {
            f"/series/{WEEKLY}/{hidden.id}",
            f"/series/{WEEKLY}/{public.id}",
        }


def test_a_long_log_is_shown_in_pages(tmp_path: Path) -> None:
    """A 4,500-line log: 2,000 lines per page, the minutes on every page, every link to a line on its page."""
    chatter = [f"bob: line {n} of a long meeting" for n in range(2, 4300)]
    lines = [
        "alice: #startmeeting weekly sync",
        *chatter,
        "alice: #info late news",
        *chatter[:199],
        "alice: #endmeeting",
    ]
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        stored = store_text(archive, log(*lines), date(2023, 11, 7), "#weekly")
        client = TestClient(create_app(archive), raise_server_exceptions=True)
        path = f"/series/{WEEKLY}/{stored.basename}"
        count = len(lines)
        assert count == 4500

        def shown(page: Page) -> list[int]:
            return [int(anchor[2:]) for anchor in page.ids if anchor.startswith("l-")]

        first = Page(client.get(path).text)
        assert shown(first) == list(range(1, 2001))
        assert "i-4300" in first.ids  # the minutes are on every page ...
        assert "?from=4001#l-4300" in first.hrefs  # ... and link to the page that holds their line
        assert {"?from=2001#log", "?from=4001#log"} <= set(first.hrefs)  # next, last
        assert "Lines 1–2000 of 4500" in first.all_text

        middle = Page(client.get(path, params={"from": "2500"}).text)  # any line names its page
        assert shown(middle) == list(range(2001, 4001))
        assert {"?from=1#log", "?from=4001#log"} <= set(middle.hrefs)

        last = Page(client.get(path, params={"from": "4300"}).text)
        assert shown(last) == list(range(4001, 4501)) and "#l-4300" in last.hrefs
        for page in (first, middle, last):  # a bare #l-N only ever points at a line on the page
            assert {int(href[3:]) for href in page.hrefs if href.startswith("#l-")} <= set(shown(page))
        for odd in ("0", "-5", "abc", "99999999999", "4501000"):
            page = Page(client.get(path, params={"from": odd}).text)
            assert shown(page) in (list(range(1, 2001)), list(range(4001, 4501))), odd

        hits = client.get("/api/search", params={"q": "late news"}).json()["hits"]
        assert {hit["kind"]: hit["url"] for hit in hits} == {
            "info": f"{path}#i-4300",
            "line": f"{path}?from=4001#l-4300",
        }
        hit = next(hit for hit in hits if hit["kind"] == "line")
        url, _, anchor = hit["url"].partition("#")
        assert anchor in Page(client.get(url).text).ids


def test_log_page_arithmetic() -> None:
    page = LogPage.of(2500, 4500)
    assert (page.first, page.last, page.paged) == (2001, 4000, True)
    assert page.neighbours() == {"first": 1, "previous": 1, "next": 4001, "last": 4001}
    assert (page.href(2001), page.href(1999), page.href(4500)) == ("#l-2001", "?from=1#l-1999", "?from=4001#l-4500")
    assert LogPage.of(1, 4500).neighbours() == {"next": 2001, "last": 4001}
    assert LogPage.of(4500, 4500).neighbours() == {"first": 1, "previous": 2001}
    assert not LogPage.of(1, 2000).paged and LogPage.of(1, 2000).neighbours() == {}
    assert LogPage.of(0).first == LogPage.of(-3).first == 1
