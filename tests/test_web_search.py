"""Search, as a page and as ``/api/search``: ranking, highlighting, filters, pagination, deep links, bad input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from web_support import BACKENDS, K8S, TOKEN, WEEKLY, Web, meeting_path, web_archive

HIT_KEYS = {"series", "meeting", "time", "nick", "kind", "text", "url"}


@pytest.fixture(scope="module", params=BACKENDS)
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


def api(web: Web, status: int = 200, token: bool = False, **params: str | int) -> Any:
    headers = {"Authorization": f"Bearer {TOKEN}"} if token else None
    response = web.client(headers=headers).get("/api/search?" + urlencode(params))
    assert response.status_code == status, (params, response.text[:300])
    return response.json()


def test_api_shape_and_deep_links(web: Web) -> None:
    data = api(web, q="roadmap")
    assert set(data) == {"total", "total_capped", "hits"}
    assert data["total"] == len(data["hits"]) > 0 and data["total_capped"] is False
    corpus = web.corpus
    for hit in data["hits"]:
        assert set(hit) >= HIT_KEYS
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", hit["time"])
        assert hit["series"] == WEEKLY and hit["meeting"] == corpus.roadmap.basename
        anchor = "l" if hit["kind"] == "line" else "i"
        assert hit["url"] == f"{meeting_path(corpus.roadmap)}#{anchor}-{hit['line']}"
        assert "roadmap" in hit["text"].lower()
        assert any(part["highlight"] and part["text"].lower() == "roadmap" for part in hit["snippet"])
    kinds = {hit["kind"] for hit in data["hits"]}
    assert {"line", "info", "action", "agreed", "topic"} <= kinds
    scores = [hit["score"] for hit in data["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_following_a_hit_opens_its_line(web: Web) -> None:
    (hit,) = api(web, q="read draft yesterday")["hits"]
    assert hit["kind"] == "line" and hit["nick"] == "bob"
    path, _, fragment = hit["url"].partition("#")
    assert fragment == f"l-{hit['line']}"
    html = web.client().get(path).text
    line = re.search(rf'<div class="ln" id="{fragment}">(.*?)</div>', html)
    assert line is not None and "I read the roadmap draft yesterday" in line.group(1)


def test_following_an_item_hit_opens_the_minutes_item(web: Web) -> None:
    (hit,) = api(web, q="publish", kind="action")["hits"]
    path, _, fragment = hit["url"].partition("#")
    html = web.client().get(path).text
    item = re.search(rf'<li class="item action" id="{fragment}">(.*?)</li>', html)
    assert item is not None and "bob to publish the roadmap" in item.group(1)


def test_search_page_highlights_and_links(web: Web) -> None:
    response = web.client().get("/search?q=ROADMAP")
    assert response.status_code == 200
    html = response.text
    assert "<mark>roadmap</mark>" in html
    assert f'<a href="{meeting_path(web.corpus.roadmap)}#l-4">' in html
    assert f'<a href="{meeting_path(web.corpus.roadmap)}#i-7">' in html
    assert 'value="ROADMAP"' in html
    assert re.search(r"\d+ results", html)


def test_search_page_is_a_get_form(web: Web) -> None:
    html = web.client().get("/search").text
    form = re.search(r'<form class="search" method="get" action="/search" role="search">(.*?)</form>', html, re.S)
    assert form is not None
    names = set(re.findall(r'name="(\w+)"', form.group(1)))
    assert names == {"q", "series", "channel", "nick", "kind", "since", "until"}
    assert "result" not in html  # nothing searched yet


def test_filters(web: Web) -> None:
    assert {hit["series"] for hit in api(web, q="the", series=K8S)["hits"]} == {K8S}
    assert {hit["series"] for hit in api(web, q="the", series=WEEKLY)["hits"]} == {WEEKLY}
    assert api(web, q="roadmap", series="nope")["total"] == 0
    assert {hit["nick"] for hit in api(web, q="roadmap", nick="BOB")["hits"]} == {"bob"}
    assert {hit["kind"] for hit in api(web, q="roadmap", kind="line")["hits"]} == {"line"}
    actions = api(web, q="roadmap", kind="action")["hits"]
    assert [hit["text"] for hit in actions] == ["bob to publish the roadmap"]
    assert api(web, q="roadmap", channel="#weekly")["total"] > 0
    assert api(web, q="roadmap", channel="#other")["total"] == 0


def test_date_filters(web: Web) -> None:
    everything = api(web, q="the")["total"]
    old = api(web, q="the", until="2016-03-16")["total"]  # until includes that day
    assert 0 < old < everything
    assert api(web, q="the", until="2016-03-15")["total"] == 0
    assert api(web, q="the", since="2016-03-17")["total"] == everything - old
    assert api(web, q="roadmap", since="2023-11-07", until="2023-11-07")["total"] > 0
    assert api(web, q="roadmap", since="2023-11-07T15:00:05Z")["total"] < api(web, q="roadmap")["total"]
    assert api(web, q="the", since="2030-01-01", until="2000-01-01")["total"] == 0


def test_pagination(web: Web) -> None:
    first = api(web, q="pagination")
    assert first["total"] == 60 and len(first["hits"]) == 20
    second = api(web, q="pagination", page=2)
    third = api(web, q="pagination", page=3)
    urls = [hit["url"] for page in (first, second, third) for hit in page["hits"]]
    assert len(set(urls)) == 60
    assert api(web, q="pagination", page=4)["hits"] == []
    assert len(api(web, q="pagination", per_page=50)["hits"]) == 50
    response = web.client().get("/api/search?q=pagination&page=2")
    assert response.headers["link"] == (
        '</api/search?q=pagination>; rel="prev", </api/search?q=pagination&page=3>; rel="next"'
    )
    html = web.client().get("/search?q=pagination&series=weekly_sync&page=2").text
    assert "page 2 of 3" in html
    assert '<a rel="prev" href="/search?q=pagination&amp;series=weekly_sync">' in html
    assert '<a rel="next" href="/search?q=pagination&amp;series=weekly_sync&amp;page=3">' in html


def test_a_capped_total_is_shown(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web.archive, "search_cap", 25)  # 60 lines say "pagination"
    data = api(web, q="pagination")
    assert (data["total"], data["total_capped"], len(data["hits"])) == (25, True, 20)
    last = api(web, q="pagination", page=2)
    assert len(last["hits"]) == 5 and last["total_capped"] is True
    assert 'rel="next"' not in web.client().get("/api/search?q=pagination&page=2").headers.get("link", "")
    html = web.client().get("/search?q=pagination").text
    assert "25+ results, page 1 of 2." in html
    assert "More match: the pages hold the best 25 of them" in html
    assert "More match" not in web.client().get("/search?q=roadmap").text


def test_restricted_meetings_are_not_searched_without_auth(web: Web) -> None:
    assert api(web, q="zanzibar") == {"total": 0, "total_capped": False, "hits": []}
    html = web.client().get("/search?q=zanzibar").text
    assert "0 results" in html and "<mark>" not in html
    signed_in = api(web, q="zanzibar", token=True)
    assert signed_in["total"] >= 3
    assert {hit["series"] for hit in signed_in["hits"]} == {WEEKLY, "secret_council"}
    hit = signed_in["hits"][0]
    path = hit["url"].partition("#")[0]
    assert web.client().get(path).status_code == 404
    assert web.client(headers={"Authorization": f"Bearer {TOKEN}"}).get(path).status_code == 200


def test_unicode_search(web: Web) -> None:
    data = api(web, q="café")
    assert data["total"] == 1
    assert data["hits"][0]["text"] == "Grüße naïve café 日本語 🎉 déjà-vu"
    assert "<mark>café</mark>" in web.client().get("/search?q=caf%C3%A9").text


BAD_QUERIES = [
    '"foo',
    '"',
    '""',
    "AND",
    "roadmap AND",
    "OR OR NOT",
    "*",
    "-",
    "-roadmap",
    "road*",
    "NEAR(roadmap draft)",
    "roadmap:draft",
    "^roadmap",
    "'; DROP TABLE meetings; --",
    "\\",
    "%",
    "_",
    "日本語",
    "🎉",
    "\u200b",
    "\ud7ff",
    "a" * 500,
    "roadmap " * 60,
    "x\ty\nz\r",
    "{roadmap}",
    "(",
    ")",
    "roadmap)",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("q", BAD_QUERIES)
def test_odd_queries_never_fail(web: Web, q: str) -> None:
    client = web.client()
    response = client.get("/api/search", params={"q": q})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert set(response.json()) == {"total", "total_capped", "hits"}
    page = client.get("/search", params={"q": q})
    assert page.status_code in (200, 400)


def test_prefix_and_phrase(web: Web) -> None:
    assert api(web, q="roadm*")["total"] == api(web, q="roadmap")["total"]
    phrase = api(web, q='"roadmap draft"')["hits"]
    assert phrase and all("roadmap draft" in hit["text"] for hit in phrase)


BAD_PARAMS: list[tuple[dict[str, str], str]] = [
    ({"q": "x" * 501}, "q is too long"),
    ({"q": "roadmap", "nick": "n" * 201}, "nick is too long"),
    ({"q": "roadmap\x00"}, "NUL"),
    ({"q": "roadmap", "series": "a\x00b"}, "NUL"),
    ({"q": "roadmap", "page": "0"}, "page must be"),
    ({"q": "roadmap", "page": "-1"}, "page must be"),
    ({"q": "roadmap", "page": "abc"}, "page must be"),
    ({"q": "roadmap", "page": "1.5"}, "page must be"),
    ({"q": "roadmap", "page": "99999999999999999999"}, "page must be"),
    ({"q": "roadmap", "page": "٣"}, "page must be"),
    ({"q": "roadmap", "per_page": "1000"}, "per_page must be"),
    ({"q": "roadmap", "kind": "bogus"}, "kind must be one of"),
    ({"q": "roadmap", "since": "2024-13-45"}, "since must be a date"),
    ({"q": "roadmap", "until": "yesterday"}, "until must be a date"),
    ({"q": "roadmap", "since": "0001-01-01T00:00+01:00"}, "since must be a date"),
    ({}, "q (the text to search for) is required"),
    ({"q": "   "}, "q (the text to search for) is required"),
]


@pytest.mark.parametrize(("params", "message"), BAD_PARAMS)
def test_bad_parameters_are_400_with_a_message(web: Web, params: dict[str, str], message: str) -> None:
    client = web.client()
    response = client.get("/api/search", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]
    page = client.get("/search", params=params)
    if params.get("q", "").strip():
        assert page.status_code == 400
        assert message in page.text
    else:
        assert page.status_code == 200  # the empty search form


def test_extreme_but_valid_bounds(web: Web) -> None:
    assert api(web, q="roadmap", until="9999-12-31")["total"] > 0
    assert api(web, q="roadmap", since="0001-01-01")["total"] > 0
    assert api(web, q="roadmap", page=1000)["hits"] == []
    assert api(web, q="roadmap", unknown="ignored")["total"] > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    q=st.text(max_size=40),
    nick=st.text(max_size=8),
    kind=st.sampled_from(["", "line", "action", "info", "bogus"]),
    since=st.sampled_from(["", "2016-01-01", "2024-02-30", "x", "2024-01-01T10:00:00+05:00"]),
    page=st.sampled_from(["", "1", "2", "0", "x", "-5", "1e3"]),
)
def test_search_fuzz_never_500(web: Web, q: str, nick: str, kind: str, since: str, page: str) -> None:
    params = {"q": q, "nick": nick, "kind": kind, "since": since, "page": page}
    client = web.client()
    for path in ("/api/search", "/search"):
        response = client.get(path, params=params)
        assert response.status_code in (200, 400)
