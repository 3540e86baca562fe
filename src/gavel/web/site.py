"""What every endpoint works with: one archive, who may see its restricted meetings, the templates;
and the helpers over them (who is asking, the URLs, a page's context, rendering, finding a meeting)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

import gavel
from gavel.schedule.model import Schedule
from gavel.schedule.watch import ScheduleWatcher
from gavel.storage.archive import Archive, MeetingDetail, SearchResults
from gavel.web.assets import environment
from gavel.web.auth import Access, Viewer
from gavel.web.data import Urls, valid_segment
from gavel.web.middleware import private, public
from gavel.web.page_cache import DEFAULT_PAGE_CACHE_BYTES, CachedPage, PageCache, etag_matches
from gavel.web.search_form import SearchForm, read_search, search_query

log = logging.getLogger(__name__)

CHUNK_CHARS = 1 << 16


def utc_now() -> datetime:
    """The server's clock (the schedule's "next meeting"); tests pass their own."""
    return datetime.now(UTC)


def chunked(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces joined into chunks of about ``CHUNK_CHARS`` (fewer thread-pool hops when streaming)."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


class Site:
    """The archive behind the endpoints, and the helpers they share."""

    def __init__(
        self,
        archive: Archive,
        access: Access,
        schedule: Schedule | ScheduleWatcher | None = None,
        now: Callable[[], datetime] | None = None,
        page_cache_bytes: int = DEFAULT_PAGE_CACHE_BYTES,
    ) -> None:
        self.archive = archive
        self.access = access
        self.auth = access.settings
        self._schedule = schedule
        self._schedule_lock = threading.Lock()  # requests run in threads; the watcher is not thread-safe
        self.clock = now or utc_now
        self.env = environment()
        self.pages = PageCache(page_cache_bytes)

    @property
    def schedule(self) -> Schedule | None:
        """The schedule; one given as a directory watcher is re-read when its files changed (see
        ``gavel.schedule.watch``), its changes and new problems logged."""
        source = self._schedule
        if not isinstance(source, ScheduleWatcher):
            return source
        with self._schedule_lock:
            reload = source.refresh(self.clock())
            schedule = source.schedule
        for change in reload.changes:
            log.info("schedule re-read: %s", change)
        for error in reload.errors:
            log.error("schedule re-read: %s", error)
        return schedule

    def viewer(self, request: Request) -> Viewer:
        return self.access.viewer(request)

    def urls(self, request: Request) -> Urls:
        def shared() -> frozenset[tuple[str, str]]:
            return self.archive.shared_basenames(include_restricted=self.viewer(request).authenticated)

        return Urls(request.scope.get("root_path", ""), shared)

    def context(self, request: Request, viewer: Viewer, **values: Any) -> dict[str, Any]:
        urls = self.urls(request)
        path = request.url.path
        return {
            "urls": urls,
            "viewer": viewer,
            "login_enabled": self.auth.login_enabled,
            "login_url": urls.root + "/login?" + urlencode({"next": path}),
            "version": gavel.__version__,
            "q": "",
            **values,
        }

    def page(self, name: str, context: dict[str, Any], status: int = 200) -> Response:
        html = self.env.get_template(name).render(context)
        return private(Response(html, status, media_type="text/html; charset=utf-8"))

    def stream_page(self, name: str, context: dict[str, Any]) -> Response:
        pieces = self.env.get_template(name).generate(context)
        return private(StreamingResponse(chunked(pieces), media_type="text/html; charset=utf-8"))

    def public_page(
        self,
        request: Request,
        viewer: Viewer,
        name: str,
        key: Hashable,
        context: Callable[[], dict[str, Any]],
        *,
        stream: bool = False,
    ) -> Response:
        """The page ``name`` rendered from ``context()``. For an anonymous viewer it comes from the page cache
        when it holds this page for ``key`` (what the caller read from the archive for the page: everything shown
        that can change), else is rendered and kept there; it carries an ETag and is ``304 Not Modified`` for an
        ``If-None-Match`` naming it. The caller makes sure an anonymous viewer's page shows nothing restricted.

        A signed-in viewer's page is rendered every time (streamed with ``stream``), never kept."""
        if viewer.authenticated:
            return self.stream_page(name, context()) if stream else self.page(name, context())
        full_key = self.page_key(request, name, key)
        cached = self.pages.get(full_key)
        if cached is None:
            html = "".join(self.env.get_template(name).generate(context()))
            cached = self.pages.put(full_key, html.encode("utf-8"))
        return self.cached_response(request, cached)

    def page_key(self, request: Request, name: str, key: Hashable) -> Hashable:
        """Where :meth:`public_page` keeps the page ``name`` made from ``key`` for this request (its path, the root
        path and whether there is a sign-in link)."""
        return (name, request.scope.get("root_path", ""), request.url.path, self.auth.login_enabled, key)

    def kept_page(self, request: Request, name: str, key: Hashable) -> Response | None:
        """The public page :meth:`public_page` kept for ``key``, as its answer; None when it has not (or keeps
        none). Only for anonymous viewers: the caller checks it."""
        if not self.pages.max_bytes:
            return None
        cached = self.pages.get(self.page_key(request, name, key), count_miss=False)  # public_page counts it
        return None if cached is None else self.cached_response(request, cached)

    @staticmethod
    def cached_response(request: Request, cached: CachedPage) -> Response:
        """A kept page, or ``304 Not Modified`` when the request's ``If-None-Match`` names it."""
        headers = {"etag": cached.etag}
        if etag_matches(request.headers.get("if-none-match", ""), cached.etag):
            return public(Response(status_code=304, headers=headers))
        return public(Response(cached.body, media_type="text/html; charset=utf-8", headers=headers))

    @staticmethod
    def segments(request: Request, *names: str) -> list[str]:
        values = [request.path_params[name] for name in names]
        if not all(valid_segment(value) for value in values):
            raise HTTPException(404, "no such page")
        return values

    def find_meeting(self, request: Request, viewer: Viewer) -> MeetingDetail:
        series, meeting = self.segments(request, "series", "meeting")
        found = self.archive.meeting(series, meeting, include_restricted=viewer.authenticated)
        if found is None:
            raise HTTPException(404, "no such meeting")
        return found

    def run_search(self, request: Request, viewer: Viewer) -> tuple[SearchForm, SearchResults | None]:
        form = read_search(request.query_params)
        if not form.q.strip():
            return form, None
        return form, self.archive.search(search_query(form, viewer))
