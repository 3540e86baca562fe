"""The archive's web UI and JSON API: a Starlette application over an :class:`Archive`.

Pages are rendered on the server (Jinja2, autoescape on), work without JavaScript and send a strict
Content-Security-Policy; every page has a JSON twin under ``/api`` (see docs/web.md). Restricted
meetings (``#restrictlogs``) exist only for authenticated requests: everyone else gets a 404.

Archive calls block, so every endpoint that uses the archive is a plain function (Starlette runs it
in its thread pool), and a meeting's log is streamed, never held whole.

This module puts the application together: the routes, the error handler, the middleware. The
endpoints are in ``pages``, ``login`` and ``api``; what they share is in ``site``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from gavel.schedule.model import Schedule
from gavel.schedule.watch import ScheduleWatcher
from gavel.storage.archive import Archive, ArchiveBusyError
from gavel.storage.defaults import DEFAULT_SERVE_THREADS
from gavel.web.api import Api
from gavel.web.auth import DEFAULT_SESSION_HOURS, Access, auth_settings
from gavel.web.errors import ErrorHandler, error_handler
from gavel.web.feed_pages import FeedPages
from gavel.web.login import Login
from gavel.web.middleware import SecurityHeaders
from gavel.web.page_cache import DEFAULT_PAGE_CACHE_BYTES
from gavel.web.pages import Pages
from gavel.web.people import PeoplePages
from gavel.web.proxies import TrustedProxies
from gavel.web.schedule import SchedulePages
from gavel.web.site import Site


def routes(site: Site) -> list[Route]:
    """Every URL of the application and its endpoint."""
    pages, login, api, schedule = Pages(site), Login(site), Api(site), SchedulePages(site)
    feeds, people = FeedPages(site), PeoplePages(site)
    return [
        Route("/", pages.index, name="index"),
        Route("/series", pages.index),
        Route("/series/", pages.index),
        Route("/series/{series}", pages.series),
        Route("/feed.atom", feeds.all),
        Route("/series/{series}/feed.atom", feeds.series),
        Route("/series/{series}/{meeting}", pages.meeting),
        Route("/search", pages.search),
        Route("/people/{nick:path}", people.page),
        Route("/schedule", schedule.page),
        Route("/schedule/{name}", schedule.ics),
        Route("/login", login.form, methods=["GET"]),
        Route("/login", login.login, methods=["POST"]),
        Route("/logout", login.logout, methods=["POST"]),
        Route("/static/{name}", pages.static),
        Route("/favicon.ico", pages.favicon),
        Route("/api/series", api.index),
        Route("/api/series/{series}", api.series),
        Route("/api/series/{series}/{meeting}", api.meeting),
        Route("/api/search", api.search),
        Route("/api/people/{nick:path}", people.api),
        Route("/api/schedule", schedule.api),
    ]


def create_app(
    archive: Archive,
    *,
    token: str | None = None,
    user_header: str | None = None,
    trusted_proxies: Sequence[str] = (),
    session_hours: float = DEFAULT_SESSION_HOURS,
    close_archive: bool = False,
    schedule: Schedule | ScheduleWatcher | None = None,
    clock: Callable[[], float] = time.time,
    now: Callable[[], datetime] | None = None,
    page_cache_bytes: int = DEFAULT_PAGE_CACHE_BYTES,
    threads: int = DEFAULT_SERVE_THREADS,
) -> Starlette:
    """The web application over ``archive``.

    ``token``, ``user_header``, ``trusted_proxies`` and ``session_hours`` (see :func:`auth_settings`, which
    raises :class:`AccessSettingsError` for unsafe ones) let requests see restricted meetings; ``clock`` (seconds
    since the epoch) times sessions and wrong tokens, which are kept in the archive. With ``close_archive`` the
    archive is closed when the application shuts down. With a ``schedule`` the application serves ``/schedule``
    and shows each series' next meeting (``now``: the time now, for tests); a ``ScheduleWatcher`` is followed as
    its directory changes. ``page_cache_bytes`` bounds the rendered public pages kept in memory (see
    ``gavel.web.page_cache``; 0 keeps none). ``threads`` bounds the requests worked on at once (the size of the
    thread pool the endpoints run in, set when the application starts; the others wait their turn, first come
    first served).
    """
    if threads < 1:
        raise ValueError(f"the application needs at least one thread, not {threads}")
    settings = auth_settings(
        token=token, user_header=user_header, trusted_proxies=trusted_proxies, session_hours=session_hours
    )
    site = Site(archive, Access(settings, archive.web_state(), clock), schedule, now, page_cache_bytes)
    error = error_handler(site)
    # ArchiveBusyError has its own entry: handled there, it is not re-raised as an unhandled error would be
    handlers: dict[Any, ErrorHandler] = {HTTPException: error, ArchiveBusyError: error, Exception: error}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # the endpoints and the streamed pages' pieces run in this event loop's default thread pool
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        try:
            yield
        finally:
            if close_archive:
                archive.close()

    app = Starlette(
        routes=routes(site),
        exception_handlers=handlers,
        middleware=[Middleware(TrustedProxies, networks=settings.trusted_proxies), Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.archive = archive
    app.state.pages = site.pages
    return app
