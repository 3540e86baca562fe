"""The served Atom feeds: ``/feed.atom`` (all series) and ``/series/<name>/feed.atom``.

A feed is the same for everyone (restricted meetings never in it), so it asks nothing about who is asking
and may be kept by shared caches. Links are absolute, on the request's base URL (its ``--root-path``
included); the weak ETag is worked out from the meeting rows, so a ``304`` reads no minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gavel.storage.archive import MeetingSummary
from gavel.web.data import Urls
from gavel.web.feeds import ATOM_TYPE, FeedHead, atom_feed, feed_etag, recent_meetings
from gavel.web.site import Site

FEED_CACHE_CONTROL = "public, max-age=300"


@dataclass(frozen=True)
class ServedLinks:
    """The meeting page (minutes, then the log at ``#log``), absolute on ``origin``."""

    origin: str
    urls: Urls

    def minutes(self, meeting: MeetingSummary) -> str:
        return self.origin + self.urls.meeting(meeting.series, meeting.log_basename, meeting.id)

    def log(self, meeting: MeetingSummary) -> str:
        return self.minutes(meeting) + "#log"


def matches(if_none_match: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 says for it)."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags


class FeedPages:
    """The endpoints of the feeds."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def all(self, request: Request) -> Response:
        return self.feed(request, None)

    def series(self, request: Request) -> Response:
        (name,) = self.site.segments(request, "series")
        return self.feed(request, name)

    def feed(self, request: Request, series: str | None) -> Response:
        archive = self.site.archive
        meetings = recent_meetings(archive, series)
        if meetings is None:
            raise HTTPException(404, "no such series")
        urls = Urls(request.scope.get("root_path", ""), lambda: archive.shared_basenames(include_restricted=False))
        origin = f"{request.url.scheme}://{request.url.netloc}"
        links = ServedLinks(origin, urls)
        page = urls.series(series) if series else urls.home()
        head = FeedHead(
            series, f"{origin}{page.rstrip('/')}/feed.atom", origin + page, request.url.hostname or "localhost"
        )
        headers = {"etag": feed_etag(head, meetings, links), "cache-control": FEED_CACHE_CONTROL}
        if matches(request.headers.get("if-none-match", ""), headers["etag"]):
            return Response(status_code=304, headers=headers)
        details = [archive.meeting(m.series, m.id, include_restricted=False) for m in meetings]
        body = atom_feed(head, [detail for detail in details if detail is not None], links)
        return Response(body, media_type=f"{ATOM_TYPE}; charset=utf-8", headers=headers)
