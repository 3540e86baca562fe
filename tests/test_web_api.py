"""The JSON API (docs/web.md): the exact shapes, and the same data as the pages, on both backends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gavel.render.links import iso
from gavel.storage.archive import open_archive
from gavel.web.app import create_app
from render_support import MEETING_ID
from web_support import BACKENDS, K8S, ROADMAP, SECRET, TOKEN, WEEKLY, Web, meeting_path, store_text, web_archive

SERIES_KEYS = {"name", "meetings", "first_meeting", "last_meeting", "open_actions", "url", "api_url"}
MEETING_KEYS = {
    "id",
    "runtime_id",
    "series",
    "meeting",
    "channel",
    "network",
    "title",
    "owner",
    "chairs",
    "started_at",
    "ended_at",
    "unfinished",
    "restricted",
    "lines",
    "url",
    "api_url",
}
ACTION_KEYS = {
    "id",
    "text",
    "nick",
    "owners",
    "status",
    "done_at",
    "time",
    "line",
    "series",
    "meeting",
    "meeting_started_at",
    "url",
}
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


@pytest.fixture(scope="module", params=BACKENDS)
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


def get(web: Web, path: str, status: int = 200, token: bool = False) -> Any:
    headers = {"Authorization": f"Bearer {TOKEN}"} if token else None
    response = web.client(headers=headers).get(path)
    assert response.status_code == status, (path, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_series_list(web: Web) -> None:
    data = get(web, "/api/series")
    assert set(data) == {"series"}
    assert [s["name"] for s in data["series"]] == [K8S, WEEKLY]
    k8s, weekly = data["series"]
    assert set(k8s) == SERIES_KEYS
    assert k8s == {
        "name": K8S,
        "meetings": 1,
        "first_meeting": "2016-03-16T14:30:39Z",
        "last_meeting": "2016-03-16T14:30:39Z",
        "open_actions": 1,
        "url": f"/series/{K8S}",
        "api_url": f"/api/series/{K8S}",
    }
    assert weekly["meetings"] == 4 and weekly["last_meeting"] == "2024-04-16T15:00:00Z"
    assert weekly["open_actions"] == 2  # the restricted meeting's action is not counted
    signed_in = get(web, "/api/series", token=True)
    assert [s["name"] for s in signed_in["series"]] == [K8S, SECRET, WEEKLY]


def test_series_list_same_data_as_page(web: Web) -> None:
    html = web.client().get("/").text
    for series in get(web, "/api/series")["series"]:
        assert f'<a href="{series["url"]}">{series["name"]}</a>' in html
        assert f'<td class="num">{series["meetings"]}</td>' in html
        assert series["last_meeting"][:10] in html


def test_series(web: Web) -> None:
    data = get(web, f"/api/series/{WEEKLY}")
    assert set(data) == {"name", "meetings", "url", "years", "open_actions", "activity"}
    assert data["name"] == WEEKLY and data["meetings"] == 4 and data["url"] == f"/series/{WEEKLY}"
    assert [year["year"] for year in data["years"]] == [2024, 2023]
    meetings = [m for year in data["years"] for m in year["meetings"]]
    assert all(set(m) == MEETING_KEYS for m in meetings)
    corpus = web.corpus
    assert [m["meeting"] for m in meetings] == [
        corpus.pagination.basename,
        corpus.unfinished.basename,
        corpus.hostile.basename,
        corpus.roadmap.basename,
    ]
    roadmap = meetings[-1]
    assert roadmap == {
        "id": corpus.roadmap.id,
        "runtime_id": None,
        "series": WEEKLY,
        "meeting": "weekly_sync.2023-11-07-15.00",
        "channel": "#weekly",
        "network": None,
        "title": "weekly sync",
        "owner": "alice",
        "chairs": ["alice"],
        "started_at": "2023-11-07T15:00:00Z",
        "ended_at": "2023-11-07T15:00:09Z",
        "unfinished": False,
        "restricted": False,
        "lines": 10,
        "url": "/series/weekly_sync/weekly_sync.2023-11-07-15.00",
        "api_url": "/api/series/weekly_sync/weekly_sync.2023-11-07-15.00",
    }
    assert meetings[1]["unfinished"] is True and meetings[1]["ended_at"] is None
    actions = data["open_actions"]
    assert [a["text"] for a in actions] == ["bob to publish the roadmap", "carol to book a room"]
    assert all(set(a) == ACTION_KEYS for a in actions)
    assert actions[0]["owners"] == ["bob"] and actions[0]["status"] == "open" and actions[0]["done_at"] is None
    assert actions[0]["url"] == "/series/weekly_sync/weekly_sync.2023-11-07-15.00#i-7"
    html = web.client().get(f"/series/{WEEKLY}").text
    for meeting in meetings:
        assert f'<a href="{meeting["url"]}">' in html
    for action in actions:
        assert action["text"] in html and f'href="{action["url"]}"' in html


def test_meeting(web: Web) -> None:
    stored = web.corpus.k8s
    data = get(web, f"/api{meeting_path(stored)}")
    assert set(data) == MEETING_KEYS | {
        "items",
        "actions",
        "votes",
        "people",
        "log",
        "agenda",
        "attendance",
        "started_by",
    }
    detail = web.archive.meeting(K8S, stored.basename)
    assert detail is not None
    assert data["id"] == stored.id and data["lines"] == detail.line_count == len(data["log"])
    assert data["runtime_id"] == MEETING_ID
    assert data["items"][0] == {
        "id": detail.items[0].id,
        "kind": "info",
        "text": "irenab mspreitz salv-orlando tfukushima, fawadkhaliq banix vikasc and apuimedo present",
        "nick": "apuimedo",
        "time": "2016-03-16T14:32:28Z",
        "line": 18,
        "topic": None,
        "corrected_from": None,
        "timebox_minutes": None,
        "minutes_spent": None,
        "url": f"{meeting_path(stored)}#i-18",
    }
    assert [item["kind"] for item in data["items"]] == [item.kind for item in detail.items]
    assert data["people"][:2] == [
        {"nick": "apuimedo", "lines": 121, "also_known_as": []},
        {"nick": "mspreitz", "lines": 98, "also_known_as": []},
    ]
    assert (data["started_by"], data["agenda"]) == ("apuimedo", [])
    assert data["attendance"] == {"present": [person["nick"] for person in data["people"]], "regrets": []}
    assert [a["text"] for a in data["actions"]] == ["mspreitz to update the devrefs with examples"]
    rows = list(web.archive.log_lines(stored.id))
    assert data["log"] == [
        {"line": r.number, "time": iso(r.time), "kind": r.kind, "nick": r.nick, "text": r.text} for r in rows
    ]
    assert data["log"][0] == {
        "line": 1,
        "time": "2016-03-16T14:30:39Z",
        "kind": "message",
        "nick": "apuimedo",
        "text": "#startmeeting k8s integration discussion",
    }


def test_meeting_votes(web: Web) -> None:
    data = get(web, f"/api{meeting_path(web.corpus.hostile)}")
    (vote,) = data["votes"]
    assert set(vote) == {"question", "options", "results", "nick", "time", "ended_at", "line"}
    assert vote["options"] == ["yes", "no"]
    assert vote["results"] == [{"option": "yes", "voters": ["bob"]}, {"option": "no", "voters": ["dave"]}]
    assert ISO.match(vote["time"]) and ISO.match(vote["ended_at"])


def test_meeting_same_data_as_page(web: Web) -> None:
    stored = web.corpus.roadmap
    data = get(web, f"/api{meeting_path(stored)}")
    html = web.client().get(meeting_path(stored)).text
    for item in data["items"]:
        assert f'id="i-{item["line"]}"' in html
    for person in data["people"]:
        assert f">{person['nick']}</a> ({person['lines']})" in html
    for line in data["log"]:
        assert f'id="l-{line["line"]}"' in html


def test_restricted_is_404_in_the_api(web: Web) -> None:
    restricted = f"/api{meeting_path(web.corpus.restricted)}"
    assert get(web, restricted, 404) == {"error": "no such meeting"}
    assert get(web, f"/api/series/{SECRET}", 404) == {"error": "no such series"}
    assert get(web, f"/api/series/{WEEKLY}/{web.corpus.restricted.id}", 404) == {"error": "no such meeting"}
    data = get(web, restricted, token=True)
    assert data["restricted"] is True and any("zanzibar" in line["text"] for line in data["log"])
    series = get(web, f"/api/series/{WEEKLY}", token=True)
    assert "bob to rotate the zanzibar keys" in [a["text"] for a in series["open_actions"]]


def test_api_errors_are_json(web: Web) -> None:
    assert get(web, "/api/nope", 404) == {"error": "Not Found"}
    assert get(web, "/api/series/nope", 404) == {"error": "no such series"}
    response = web.client().post("/api/series")
    assert response.status_code == 405 and response.json() == {"error": "Method Not Allowed"}


def test_done_actions(tmp_path: Path) -> None:
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        stored = store_text(archive, ROADMAP, date(2023, 11, 7), "#weekly")
        client = TestClient(create_app(archive), raise_server_exceptions=True)
        (publish, book) = client.get(f"/api/series/{WEEKLY}").json()["open_actions"]
        assert archive.mark_action_done(publish["id"], stored.id)
        series = client.get(f"/api/series/{WEEKLY}").json()
        assert [a["text"] for a in series["open_actions"]] == [book["text"]]
        assert client.get("/api/series").json()["series"][0]["open_actions"] == 1
        meeting = client.get(f"/api{meeting_path(stored)}").json()
        done = meeting["actions"][0]
        assert done["status"] == "done" and done["done_at"] == "2023-11-07T15:00:00Z"
        html = client.get(meeting_path(stored)).text
        assert 'bob to publish the roadmap</span> <span class="badge done">done</span>' in html
