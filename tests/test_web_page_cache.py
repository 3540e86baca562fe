"""The page cache (gavel/web/page_cache.py): public pages rendered once, shown again only while the archive rows
they were made from are unchanged, never a signed-in viewer's page; ETags and 304s. Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gavel.storage.archive import Archive
from gavel.web.app import create_app
from gavel.web.page_cache import PageCache, entity_tag, etag_matches
from web_support import BACKENDS, ROADMAP_LINES, TOKEN, Stored, empty_archive, log, meeting_path, store_text

DAY = date(2023, 11, 7)
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(params=BACKENDS)
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    yield from empty_archive(request, tmp_path)


def serve(archive: Archive, page_cache_bytes: int = 1 << 20) -> tuple[TestClient, PageCache]:
    app = create_app(archive, token=TOKEN, page_cache_bytes=page_cache_bytes)
    return TestClient(app, raise_server_exceptions=True), app.state.pages


def roadmap(archive: Archive, *changes: tuple[str, str], extra: tuple[str, ...] = ()) -> Stored:
    """The roadmap meeting (stored again: same series, start and channel) with lines replaced or added."""
    lines = list(ROADMAP_LINES)
    for old, new in changes:
        lines[lines.index(old)] = new
    lines[-1:-1] = extra
    return store_text(archive, log(*lines), DAY, "#weekly")


# ---------------------------------------------------------------------- the cache alone


def test_the_cache_keeps_at_most_its_bytes_dropping_the_least_recently_used() -> None:
    cache = PageCache(100)  # an entry costs its body and its key's repr ("'a'": 3 characters)
    cache.put("a", b"a" * 37)
    cache.put("b", b"b" * 37)
    assert cache.get("a") is not None  # "b" is now the least recently used
    cache.put("c", b"c" * 37)
    assert cache.get("b") is None
    assert [cache.get(key) is not None for key in "ac"] == [True, True]
    assert cache.size == 80 and len(cache) == 2
    cache.put("a", b"A" * 7)  # replaced: counted once
    assert cache.size == 50
    page = cache.put("big", b"x" * 101)  # alone larger than the cache: answered, not kept
    assert page.body == b"x" * 101 and cache.get("big") is None and cache.size == 50
    cache.put("k" * 95, b"x" * 4)  # a small page with a large key: too large too
    assert cache.get("k" * 95) is None and cache.size == 50
    assert (cache.hits, cache.misses) == (3, 3)


def test_a_cache_of_no_bytes_keeps_nothing_and_a_negative_one_is_refused() -> None:
    cache = PageCache(0)
    cache.put("a", b"page")
    assert cache.get("a") is None and len(cache) == 0
    cache.put("empty", b"")
    with pytest.raises(ValueError, match="cannot hold -1 bytes"):
        PageCache(-1)


def test_entity_tags_name_the_bytes() -> None:
    tag = entity_tag(b"page")
    assert tag == entity_tag(b"page") != entity_tag(b"page!")
    assert tag.startswith('"') and tag.endswith('"')
    assert etag_matches(tag, tag)
    assert etag_matches(f'"other", W/{tag}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches("", tag)
    assert not etag_matches('"other"', tag)
    assert not etag_matches(tag.strip('"'), tag)  # unquoted: not the same tag


# ---------------------------------------------------------------------- pages


def test_a_public_meeting_page_is_rendered_once_and_revalidated_with_its_etag(archive: Archive) -> None:
    stored = roadmap(archive)
    client, pages = serve(archive)
    first = client.get(meeting_path(stored))
    second = client.get(meeting_path(stored))
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and "the roadmap draft is ready for review" in first.text
    assert (pages.misses, pages.hits) == (1, 1)
    etag = first.headers["etag"]
    assert etag == entity_tag(first.content) == second.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    assert first.headers["vary"] == "Authorization, Cookie"
    assert first.headers["content-security-policy"].startswith("default-src 'self'")
    unchanged = client.get(meeting_path(stored), headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag and unchanged.headers["cache-control"] == "public, no-cache"
    assert client.get(meeting_path(stored), headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(meeting_path(stored), headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(f"{meeting_path(stored)}?from=2").content == first.content  # the same log page: kept
    assert pages.misses == 1
    by_id = client.get(f"/series/{stored.series}/{stored.id}")  # another address (its sign-in link differs)
    assert by_id.status_code == 200 and pages.misses == 2


@pytest.mark.parametrize(
    ("changes", "extra", "shown", "gone"),
    [
        pytest.param((), ("alice: #meetingtopic Roadmap review",), "Roadmap review", None, id="renamed"),
        pytest.param(  # the minutes are the same: only the time it was stored tells the copies apart
            (("bob: I read the roadmap draft yesterday", "bob: I read the roadmap draft on Monday"),),
            (),
            "I read the roadmap draft on Monday",
            "I read the roadmap draft yesterday",
            id="log-line-edited",
        ),
        pytest.param((), ("alice: s/room/large room/",), "(corrected)", None, id="corrected"),
    ],
)
def test_a_meeting_page_changes_when_the_meeting_is_stored_again(
    archive: Archive, changes: tuple[tuple[str, str], ...], extra: tuple[str, ...], shown: str, gone: str | None
) -> None:
    stored = roadmap(archive)
    client, pages = serve(archive)
    before = client.get(meeting_path(stored))
    assert shown not in before.text
    assert client.get(meeting_path(stored)).content == before.content  # kept
    again = roadmap(archive, *changes, extra=extra)
    assert again.id == stored.id
    after = client.get(meeting_path(stored))
    assert shown in after.text
    assert gone is None or gone not in after.text
    assert after.headers["etag"] != before.headers["etag"]
    assert client.get(meeting_path(stored), headers={"If-None-Match": before.headers["etag"]}).status_code == 200
    assert pages.misses == 2


def test_a_meeting_page_shows_an_action_marked_done_since(archive: Archive) -> None:
    stored = roadmap(archive)
    client, _ = serve(archive)
    assert 'class="badge done"' not in client.get(meeting_path(stored)).text
    meeting = archive.meeting(None, stored.id)
    assert meeting is not None
    assert archive.mark_action_done(meeting.actions[0].id, None)
    assert 'class="badge done"' in client.get(meeting_path(stored)).text


def test_a_meeting_restricted_since_it_was_kept_is_hidden_at_once(archive: Archive) -> None:
    stored = roadmap(archive)
    client, pages = serve(archive)
    public = client.get(meeting_path(stored))
    assert public.status_code == 200 and len(pages) == 1
    roadmap(archive, extra=("alice: #restrictlogs",))
    assert client.get(meeting_path(stored)).status_code == 404
    assert client.get(f"/series/{stored.series}/{stored.id}").status_code == 404
    hidden = client.get(meeting_path(stored), headers={"If-None-Match": public.headers["etag"]})
    assert hidden.status_code == 404  # not a 304 on the public copy's tag
    assert stored.series not in client.get("/").text
    assert client.get(f"/series/{stored.series}").status_code == 404
    shown = client.get(meeting_path(stored), headers=BEARER)
    assert "These minutes are restricted" in shown.text
    assert shown.headers["cache-control"] == "private, no-cache" and "etag" not in shown.headers
    assert client.get(meeting_path(stored)).status_code == 404  # the signed-in page was not kept for anyone


def test_a_signed_in_viewer_never_gets_a_kept_page_nor_leaves_one(archive: Archive) -> None:
    public = roadmap(archive)
    secret = store_text(
        archive,
        log("alice: #startmeeting weekly sync", "alice: #restrictlogs", "bob: the zanzibar keys", "alice: #endmeeting"),
        date(2024, 2, 13),
        "#weekly",
    )
    client, pages = serve(archive)
    for path in ("/", f"/series/{public.series}", meeting_path(public)):
        anonymous = client.get(path)
        assert "zanzibar" not in anonymous.text and "Signed in" not in anonymous.text
    kept = len(pages)
    assert kept == 3
    for path in ("/", f"/series/{public.series}", meeting_path(public), meeting_path(secret)):
        signed_in = client.get(path, headers=BEARER)
        assert signed_in.status_code == 200, path
        assert "Signed in" in signed_in.text and "etag" not in signed_in.headers, path
        assert signed_in.headers["cache-control"] == "private, no-cache", path
    assert "zanzibar" in client.get(meeting_path(secret), headers=BEARER).text
    assert len(pages) == kept and pages.hits == 0  # neither read nor added
    for path in ("/", f"/series/{public.series}"):  # the anonymous pages are as they were
        assert "zanzibar" not in client.get(path).text and "secret" not in client.get(path).text
    assert client.get(meeting_path(secret)).status_code == 404


def test_series_and_index_pages_change_with_the_archive(archive: Archive) -> None:
    stored = roadmap(archive)
    client, pages = serve(archive)
    series, index = client.get(f"/series/{stored.series}"), client.get("/")
    assert client.get(f"/series/{stored.series}").content == series.content and pages.hits == 1
    short = log("alice: #startmeeting weekly sync", "alice: #endmeeting")
    later = store_text(archive, short, date(2024, 3, 5), "#weekly")
    assert later.basename not in series.text
    assert later.basename in client.get(f"/series/{stored.series}").text
    other = store_text(archive, log("zed: #startmeeting other team", "zed: #endmeeting"), date(2024, 3, 6), "#other")
    assert other.series not in index.text and other.series in client.get("/").text
    meeting = archive.meeting(None, stored.id)
    assert meeting is not None
    before = client.get(f"/series/{stored.series}").text
    assert archive.mark_action_done(meeting.actions[0].id, later.id)  # fewer open actions on the series page
    assert client.get(f"/series/{stored.series}").text != before


def test_without_a_cache_every_page_is_rendered(archive: Archive) -> None:
    stored = roadmap(archive)
    client, pages = serve(archive, page_cache_bytes=0)
    first = client.get(meeting_path(stored))
    assert client.get(meeting_path(stored)).content == first.content
    assert len(pages) == 0 and pages.hits == 0
    assert client.get(meeting_path(stored), headers={"If-None-Match": first.headers["etag"]}).status_code == 304
