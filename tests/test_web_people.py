"""Person pages (``/people/<nick>`` and the JSON twin) and the charts of a series page, over a real archive
(SQLite and PostgreSQL): restricted meetings hidden, hostile nicks safe."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest

from gavel.storage.archive.activity import MAX_NICK_CHARS
from test_web_pages import Page
from web_support import BACKENDS, K8S, TOKEN, WEEKLY, XSS_NICK, Web, log, meeting_path, store_text, web_archive

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SLASHED = "ann/bot"  # Matrix display names may hold a slash
UNICODE = "Zoë_日本"
ROLL_CALL = (
    "15:00:00 <alice> #startmeeting roll call\n"
    "15:00:01 <alice> #present+ quietus\n"
    "15:00:02 <Sam> hi\n"
    "15:00:03 -!- Sam is now known as sam_away\n"
    "15:00:04 <alice> #endmeeting\n"
)


@pytest.fixture(scope="module", params=BACKENDS)
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        text = log(
            "alice: #startmeeting odd nicks",
            f"{SLASHED}: hello from a bridge",
            f"{UNICODE}: bonjour",
            f"alice: #action {UNICODE} to bring croissants",
            "alice: #endmeeting",
        )
        store_text(filled.archive, text, date(2024, 6, 4), "#odd")
        store_text(filled.archive, ROLL_CALL, date(2024, 6, 5), "#roll")
        yield filled


def get(web: Web, path: str, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    response = web.client(headers=headers).get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:300])
    return response


def test_person_page_lists_meetings_and_open_actions(web: Web) -> None:
    page = Page(get(web, "/people/bob").text)
    text = page.all_text
    assert "bob" in text and "bob to publish the roadmap" in text
    assert "zanzibar" not in text  # the restricted meeting's action
    corpus = web.corpus
    for stored in (corpus.roadmap, corpus.unfinished, corpus.pagination):
        assert meeting_path(stored) in page.hrefs
    assert meeting_path(corpus.restricted) not in page.hrefs

    insider = Page(get(web, "/people/bob", headers=AUTH).text)
    assert meeting_path(corpus.restricted) in insider.hrefs
    assert "bob to rotate the zanzibar keys" in insider.all_text


def test_person_json_is_the_same_data(web: Web) -> None:
    body = get(web, "/api/people/BOB").json()
    assert body["nick"] == "BOB"
    ids = [m["id"] for m in body["meetings"]]
    corpus = web.corpus
    assert corpus.roadmap.id in ids and corpus.restricted.id not in ids
    assert all(m["nick"] == "bob" for m in body["meetings"])
    assert [a["text"] for a in body["open_actions"]] == ["bob to publish the roadmap"]
    page = Page(get(web, "/people/BOB").text)
    for meeting in body["meetings"]:
        assert meeting["url"] in page.hrefs


def test_declared_present_and_other_nicks_are_on_the_person_page(web: Web) -> None:
    quiet = Page(get(web, "/people/Quietus").text).all_text
    assert "Present at 1 meeting" in quiet and "declared present, said nothing as quietus" in quiet
    [meeting] = get(web, "/api/people/quietus").json()["meetings"]
    assert (meeting["series"], meeting["nick"], meeting["lines_said"], meeting["spoke"]) == (
        "roll_call",
        "quietus",
        0,
        False,
    )
    sam = Page(get(web, "/people/sam").text).all_text
    assert "1 line said as sam_away" in sam
    [meeting] = get(web, "/api/people/sam").json()["meetings"]
    assert (meeting["nick"], meeting["lines_said"], meeting["spoke"]) == ("sam_away", 1, True)


def test_someone_seen_only_in_restricted_meetings_is_missing(web: Web) -> None:
    hidden = get(web, "/people/zed", 404)
    missing = get(web, "/people/nobody-at-all", 404)
    assert hidden.text.replace("zed", "") == missing.text.replace("nobody-at-all", "")
    assert get(web, "/api/people/zed", 404).json() == {"error": "no such person"}
    assert "secret council" in get(web, "/people/zed", headers=AUTH).text


@pytest.mark.parametrize("nick", [XSS_NICK, SLASHED, UNICODE])
def test_hostile_nicks_link_from_the_meeting_page_and_are_escaped(web: Web, nick: str) -> None:
    corpus = web.corpus
    meeting = meeting_path(corpus.hostile) if nick == XSS_NICK else None
    if meeting is None:
        series = get(web, "/api/series/odd_nicks").json()
        meeting = series["years"][0]["meetings"][0]["url"]
    href = f"/people/{quote(nick, safe='')}"
    assert href in Page(get(web, meeting).text).hrefs
    response = get(web, href)
    page = Page(response.text)
    assert f"› {nick} Present at" in page.all_text
    assert "<y" not in response.text  # the hostile nick is escaped
    assert get(web, "/api" + href).json()["nick"] == nick


def test_unicode_owner_has_the_action(web: Web) -> None:
    body = get(web, "/api/people/" + quote(UNICODE.upper(), safe="")).json()
    assert [a["text"] for a in body["open_actions"]] == [f"{UNICODE} to bring croissants"]


@pytest.mark.parametrize(
    "path",
    ["/people/", "/people/a%00b", "/people/a%0Ab", "/people/" + "x" * (MAX_NICK_CHARS + 1), "/people/%E2%80%AE"],
)
def test_bad_nicks_are_404(web: Web, path: str) -> None:
    get(web, path, 404)
    get(web, "/api" + path, 404)


# ---------------------------------------------------------------------- charts of a series


def svgs(html: str) -> list[ET.Element]:
    found = []
    start = 0
    while (start := html.find("<svg", start)) != -1:
        end = html.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(html[start:end]))
        start = end
    return found


def test_series_page_shows_three_charts_and_their_data(web: Web) -> None:
    html = get(web, f"/series/{WEEKLY}").text
    charts = svgs(html)
    titles = [chart.findtext("{http://www.w3.org/2000/svg}title") for chart in charts]
    assert titles == ["People per meeting", "Log lines per meeting", "Action items opened and closed (running totals)"]
    for chart in charts:
        assert chart.get("role") == "img"
        assert (chart.findtext("{http://www.w3.org/2000/svg}desc") or "").startswith("4 meetings.")
    table = html[html.index('id="activity-data"') : html.index("</table>", html.index('id="activity-data"'))]
    assert table.count('<tr><th scope="row">') == 4
    assert meeting_path(web.corpus.restricted) not in table

    insider = get(web, f"/series/{WEEKLY}", headers=AUTH).text
    assert all(
        (chart.findtext("{http://www.w3.org/2000/svg}desc") or "").startswith("5 meetings.") for chart in svgs(insider)
    )


def test_series_json_has_the_activity(web: Web) -> None:
    activity = get(web, f"/api/series/{WEEKLY}").json()["activity"]
    corpus = web.corpus
    assert [row["meeting_id"] for row in activity] == [
        corpus.roadmap.id,
        corpus.hostile.id,
        corpus.unfinished.id,
        corpus.pagination.id,
    ]
    roadmap = activity[0]
    assert (roadmap["people"], roadmap["lines"], roadmap["actions_opened"]) == (2, 10, 2)
    assert activity[-1]["actions_opened_total"] == 2
    assert len(get(web, f"/api/series/{WEEKLY}", headers=AUTH).json()["activity"]) == 5


def test_a_series_of_one_meeting_has_charts(web: Web) -> None:
    charts = svgs(get(web, f"/series/{K8S}").text)
    assert len(charts) == 3
    assert all(len(list(chart.iter("{http://www.w3.org/2000/svg}circle"))) == 1 for chart in charts[:2])
