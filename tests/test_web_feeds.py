"""The served Atom feeds (``/feed.atom``, ``/series/<name>/feed.atom``) over a real archive, parsed by feedparser."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import feedparser
import pytest
from starlette.testclient import TestClient

from gavel.storage.archive import open_archive
from gavel.web.app import create_app
from gavel.web.data import Urls
from gavel.web.feed_pages import ServedLinks
from gavel.web.feeds import FeedHead, atom_feed, newest_first, recent_meetings, xml_text
from render_support import MEETING_ID
from web_support import (
    BACKENDS,
    K8S,
    SECRET,
    TOKEN,
    WEEKLY,
    XSS_NICK,
    XSS_TEXT,
    XSS_TITLE,
    Web,
    log,
    meeting_path,
    store_text,
    web_archive,
)

ORIGIN = "http://testserver"


@pytest.fixture(scope="module", params=BACKENDS)
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


def parse(body: bytes) -> Any:
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def fetch(client: TestClient, path: str, **headers: str) -> Any:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    return parse(response.content)


def minutes_links(feed: Any) -> list[str]:
    return [next(link.href for link in entry.links if link.rel == "alternate") for entry in feed.entries]


def test_feed_of_all_series_lists_public_meetings_newest_first(web: Web) -> None:
    corpus = web.corpus
    feed = fetch(web.client(), "/feed.atom")
    newest_first = [corpus.pagination, corpus.unfinished, corpus.hostile, corpus.roadmap, corpus.k8s]
    assert minutes_links(feed) == [ORIGIN + meeting_path(stored) for stored in newest_first]
    assert feed.feed.title == "All meetings"
    assert feed.feed.id == ORIGIN + "/feed.atom"
    assert {link.rel: link.href for link in feed.feed.links} == {
        "self": ORIGIN + "/feed.atom",
        "alternate": ORIGIN + "/",
    }
    assert feed.feed.updated == "2024-04-16T15:01:01+00:00"  # the newest entry's end


def test_restricted_meetings_are_in_no_feed_whoever_asks(web: Web) -> None:
    """A feed reader holds no session: not a token, a session nor a trusted proxy's user brings one in."""
    hidden = {meeting_path(web.corpus.restricted), meeting_path(web.corpus.council)}
    signed_in = web.client()
    assert signed_in.post("/login", data={"token": TOKEN}, follow_redirects=False).status_code == 303
    proxied = web.client(user_header="X-Remote-User", trusted_proxies=("10.0.0.1",), peer="10.0.0.1")
    askers: list[tuple[TestClient, dict[str, str], int]] = [
        (web.client(), {}, 404),
        (web.client(), {"authorization": f"Bearer {TOKEN}"}, 200),
        (signed_in, {}, 200),
        (proxied, {"x-remote-user": "alice"}, 200),
    ]
    for client, headers, page_status in askers:
        assert client.get(meeting_path(web.corpus.restricted), headers=headers).status_code == page_status
        for path in ("/feed.atom", f"/series/{WEEKLY}/feed.atom"):
            response = client.get(path, headers=headers)
            feed = parse(response.content)
            assert not hidden & {link.removeprefix(ORIGIN) for link in minutes_links(feed)}
            assert b"zanzibar" not in response.content and b"Keys" not in response.content
        assert client.get(f"/series/{SECRET}/feed.atom", headers=headers).status_code == 404


def test_series_feed_and_its_entries(web: Web) -> None:
    corpus = web.corpus
    feed = fetch(web.client(), f"/series/{WEEKLY}/feed.atom")
    wanted = [corpus.pagination, corpus.unfinished, corpus.hostile, corpus.roadmap]
    assert minutes_links(feed) == [ORIGIN + meeting_path(stored) for stored in wanted]
    assert feed.feed.title == f"{WEEKLY} meetings"
    roadmap = feed.entries[3]
    assert roadmap.title == f"{WEEKLY} 2023-11-07 15:00 UTC: weekly sync"
    assert roadmap.published == roadmap.updated == "2023-11-07T15:00:09+00:00"  # its #endmeeting
    assert roadmap.author == "alice"
    links = {link.rel: link.href for link in roadmap.links}
    assert links == {"alternate": ORIGIN + meeting_path(corpus.roadmap), "related": links["alternate"] + "#log"}
    assert roadmap.id.startswith("tag:testserver,2023-11-07:gavel/meeting/")
    summary = roadmap.summary
    assert "<h3>Topics</h3><ul><li>Roadmap</li></ul>" in summary
    assert "<li>bob to publish the roadmap (bob)</li><li>carol to book a room</li>" in summary
    unfinished = feed.entries[1]
    assert unfinished.updated == "2024-03-12T15:00:00+00:00"  # no end: its start
    assert "unfinished" in unfinished.summary
    assert (
        client_get(web, f"/series/{K8S}/feed.atom").entries[0].id
        == f"tag:testserver,2016-03-16:gavel/meeting/{MEETING_ID}"
    )


def client_get(web: Web, path: str) -> Any:
    return fetch(web.client(), path)


def test_unknown_series_and_odd_names_have_no_feed(web: Web) -> None:
    client = web.client()
    assert client.get("/series/no_such_series/feed.atom").status_code == 404
    assert client.get("/series/%2e%2e/feed.atom").status_code == 404


def test_hostile_title_is_escaped_text(web: Web) -> None:
    response = web.client().get(f"/series/{WEEKLY}/feed.atom")
    assert b"<script" not in response.content
    hostile = parse(response.content).entries[2]
    assert hostile.title == f"{WEEKLY} 2024-01-09 15:00 UTC: {XSS_TITLE}"


def test_feed_links_follow_the_root_path(web: Web) -> None:
    client = web.client(root_path="/archive")
    feed = fetch(client, f"/series/{WEEKLY}/feed.atom")
    assert feed.feed.id == f"{ORIGIN}/archive/series/{WEEKLY}/feed.atom"
    assert minutes_links(feed)[0] == f"{ORIGIN}/archive{meeting_path(web.corpus.pagination)}"
    assert fetch(client, "/feed.atom").feed.id == f"{ORIGIN}/archive/feed.atom"


def test_pages_name_their_feeds(web: Web) -> None:
    client = web.client(root_path="/archive")
    index = client.get("/").text
    assert '<link rel="alternate" type="application/atom+xml" title="All meetings" href="/archive/feed.atom">' in index
    series = client.get(f"/series/{WEEKLY}").text
    assert f'type="application/atom+xml" title="{WEEKLY} meetings" href="/archive/series/{WEEKLY}/feed.atom">' in series
    secret = client.get(f"/series/{SECRET}", headers={"authorization": f"Bearer {TOKEN}"})
    assert secret.status_code == 200 and "application/atom+xml" not in secret.text  # its feed would be empty: none


def test_feed_validators(web: Web) -> None:
    client = web.client()
    first = client.get("/feed.atom")
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and first.headers["cache-control"] == "public, max-age=300"
    assert "vary" not in first.headers  # the same for everyone
    again = client.get("/feed.atom", headers={"if-none-match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert client.get("/feed.atom", headers={"if-none-match": '"other"'}).status_code == 200
    series = client.get(f"/series/{WEEKLY}/feed.atom").headers["etag"]
    assert series != etag
    rooted = web.client(root_path="/archive").get("/feed.atom").headers["etag"]
    assert rooted != etag  # other links, another feed


HOSTILE_MINUTES = log(
    "alice: #startmeeting hostile minutes",
    f"alice: #topic {XSS_TEXT}",
    "alice: #topic \x02bold\x02 \x0304,01red\x03 and \x00nul",
    f"alice: #action {XSS_NICK} to fix {XSS_TEXT}",
    "alice: #endmeeting",
)


def test_hostile_topics_and_actions_are_escaped(tmp_path: Path) -> None:
    """Text is escaped HTML in the summary (shown as text, never run); IRC formatting and NUL are dropped."""
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        store_text(archive, HOSTILE_MINUTES, date(2024, 6, 4), "#x")
        response = TestClient(create_app(archive)).get("/series/hostile_minutes/feed.atom")
    assert response.status_code == 200
    assert b"<script" not in response.content and b"<img" not in response.content
    summary = parse(response.content).entries[0].summary
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt; &amp; friends</li>" in summary
    assert "<li>bold red and \ufffdnul</li>" in summary  # the NUL was replaced when the log was read
    assert "to fix &lt;script&gt;" in summary


def test_validators_change_when_a_meeting_is_stored(tmp_path: Path) -> None:
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        store_text(archive, log("a: #startmeeting one", "a: #endmeeting"), date(2024, 6, 4), "#x")
        client = TestClient(create_app(archive))
        etag = client.get("/feed.atom").headers["etag"]
        store_text(archive, log("a: #startmeeting two", "a: #endmeeting"), date(2024, 6, 5), "#x")
        changed = client.get("/feed.atom", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert [entry.title for entry in parse(changed.content).entries] == [
        "two 2024-06-05 15:00 UTC: two",
        "one 2024-06-04 15:00 UTC: one",
    ]


def test_a_feed_holds_a_bounded_number_of_the_newest_meetings(web: Web) -> None:
    corpus = web.corpus
    newest = recent_meetings(web.archive, None, limit=3)
    assert newest is not None
    assert [m.id for m in newest] == [corpus.pagination.id, corpus.unfinished.id, corpus.hostile.id]
    assert recent_meetings(web.archive, SECRET) is None


def test_xml_text_drops_what_xml_cannot_hold() -> None:
    assert xml_text("a\x00b\x01c\x1fd\tk\ne\x02f\x0312,4g\x04ff00AAh\x0f\ud800i\ufffej") == "abcd\tk\nefghij"
    assert xml_text("Grüße 🎉 \x7f") == "Grüße 🎉 \x7f"


def test_the_feed_writer_drops_a_restricted_meeting_it_is_given(web: Web) -> None:
    """The second line of defence: whatever a caller passes, a restricted row never becomes an entry."""
    corpus = web.corpus
    detail = web.archive.meeting(WEEKLY, corpus.restricted.id, include_restricted=True)
    public = web.archive.meeting(WEEKLY, corpus.roadmap.id)
    assert detail is not None and detail.restricted and public is not None
    assert newest_first([detail, public]) == [public]
    head = FeedHead(None, f"{ORIGIN}/feed.atom", f"{ORIGIN}/", "testserver")
    links = ServedLinks(ORIGIN, Urls())
    body = atom_feed(head, [detail, public], links)
    assert b"zanzibar" not in body
    assert minutes_links(parse(body)) == [ORIGIN + meeting_path(corpus.roadmap)]
