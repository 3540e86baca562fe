"""The archive's web UI and JSON API: a Starlette application over an :class:`Archive`.

Pages are rendered on the server (Jinja2, autoescape on), work without JavaScript and send a strict
Content-Security-Policy; every page has a JSON twin under ``/api`` (see docs/web.md). Restricted
meetings (``#restrictlogs``) exist only for authenticated requests: everyone else gets a 404.

Archive calls block, so every endpoint that uses the archive is a plain function (Starlette runs it
in its thread pool), and a meeting's log is streamed, never held whole.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import gavel
from gavel.render.logs import LogHtmlWriter, nick_colour
from gavel.render.templating import make_environment
from gavel.storage.archive import Archive, LogRow, MeetingDetail, SearchQuery, SearchResults
from gavel.web.data import (
    SEARCH_KINDS,
    LogPage,
    Urls,
    day_time,
    hit_json,
    hit_url,
    log_line,
    log_row_json,
    meeting_json,
    rebuild_view,
    series_json,
    series_summary_json,
    valid_segment,
)

MAX_QUERY_CHARS = 500
MAX_FILTER_CHARS = 200
MAX_PAGE = 1000
PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_FORM_BYTES = 4096
TOKEN_COOKIE = "token"  # noqa: S105 - the cookie's name, not a secret
TOKEN_COOKIE_AGE = 30 * 24 * 3600
_CHUNK_CHARS = 1 << 16
_LINES_PER_CHUNK = 256

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


@dataclass(frozen=True)
class AuthSettings:
    """Who may see restricted meetings.

    ``token``: a shared secret, sent as ``Authorization: Bearer <token>`` or in the ``token`` cookie
    (set by the login form). ``user_header``: a header set by a trusted reverse proxy (e.g.
    ``X-Remote-User``); any non-empty value authenticates. Neither set: nobody.
    """

    token: str | None = None
    user_header: str | None = None

    @property
    def login_enabled(self) -> bool:
        return bool(self.token)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: ``authenticated`` requests see restricted meetings."""

    authenticated: bool = False
    user: str | None = None  # the proxy's user name, when authenticated by the user header
    by_cookie: bool = False


class SearchError(ValueError):
    """A search parameter that cannot be used; the message says why (shown to the user, with a 400)."""


@dataclass(frozen=True)
class SearchForm:
    """The search parameters as given (for redisplay in the form) and parsed."""

    q: str = ""
    series: str = ""
    channel: str = ""
    nick: str = ""
    kind: str = ""
    since: str = ""
    until: str = ""
    page: int = 1
    per_page: int = PER_PAGE

    def params(self, **changes: Any) -> str:
        """This search as a query string (empty fields left out), with ``changes``."""
        form = replace(self, **changes)
        pairs: list[tuple[str, str]] = [
            (name, value)
            for name in ("q", "series", "channel", "nick", "kind", "since", "until")
            if (value := getattr(form, name))
        ]
        if form.per_page != PER_PAGE:
            pairs.append(("per_page", str(form.per_page)))
        if form.page != 1:
            pairs.append(("page", str(form.page)))
        return urlencode(pairs)


def _int_param(params: Mapping[str, str], name: str, default: int, highest: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= highest:
        raise SearchError(f"{name} must be a whole number from 1 to {highest}")
    return int(raw)


def log_page(params: Mapping[str, str], count: int) -> LogPage:
    """The page of a meeting's log that ``?from=N`` asks for (the first page if N is missing or not a number; the
    last if N is past the end)."""
    raw = params.get("from", "").strip()
    line = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 1
    return LogPage.of(min(line, max(count, 1)), count)


def _bound(name: str, raw: str, *, end: bool) -> date | datetime | None:
    """A ``since``/``until`` value: a date (``until`` includes that day) or an ISO 8601 time (naive = UTC)."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        pass
    else:
        if not end:
            return day
        try:
            return day + timedelta(days=1)
        except OverflowError:
            return None
    try:
        moment = datetime.fromisoformat(raw)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise SearchError(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time") from None


def read_search(params: Mapping[str, str]) -> SearchForm:
    """The search form's parameters, checked; raises :class:`SearchError` for one that cannot be used."""
    values: dict[str, str] = {}
    for name in ("q", "series", "channel", "nick", "kind", "since", "until"):
        value = params.get(name, "")
        limit = MAX_QUERY_CHARS if name == "q" else MAX_FILTER_CHARS
        if len(value) > limit:
            raise SearchError(f"{name} is too long (at most {limit} characters)")
        if "\x00" in value:
            raise SearchError(f"{name} contains a NUL character")
        values[name] = value if name == "q" else value.strip()
    if values["kind"] and values["kind"] not in SEARCH_KINDS:
        raise SearchError(f"kind must be one of: {', '.join(SEARCH_KINDS)}")
    return SearchForm(
        q=values["q"],
        series=values["series"],
        channel=values["channel"],
        nick=values["nick"],
        kind=values["kind"],
        since=values["since"],
        until=values["until"],
        page=_int_param(params, "page", 1, MAX_PAGE),
        per_page=_int_param(params, "per_page", PER_PAGE, MAX_PER_PAGE),
    )


def search_query(form: SearchForm, viewer: Viewer) -> SearchQuery:
    return SearchQuery(
        form.q,
        series=form.series or None,
        channel=form.channel or None,
        nick=form.nick or None,
        kind=form.kind or None,
        since=_bound("since", form.since, end=False),
        until=_bound("until", form.until, end=True),
        page=form.page,
        per_page=form.per_page,
        include_restricted=viewer.authenticated,
    )


def _chunked(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces joined into chunks of about ``_CHUNK_CHARS`` (fewer thread-pool hops when streaming)."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= _CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


class LogLinesHtml:
    """Log lines as HTML, by the ``.log.html`` writer, each wrapped in ``<div class="ln" id="l-N">``.

    The writer anchors only the time stamp; the page anchors the whole line instead, so a deep link
    (``#l-N``) highlights all of it.
    """

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = LogHtmlWriter(self._buffer, title="")

    def line(self, row: LogRow) -> str:
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._writer.write(log_line(row))
        html = buffer.getvalue()
        number = row.number
        anchor = f'<a href="#l-{number}" id="l-{number}">'
        if html.startswith(anchor) and html.endswith("\n"):
            return f'<div class="ln" id="l-{number}"><a href="#l-{number}">{html[len(anchor) : -1]}</div>\n'
        return f'<div class="ln">{html.rstrip()}</div>\n'  # pragma: no cover - the writer's format changed

    def chunks(self, rows: Iterable[LogRow]) -> Iterator[Markup]:
        """The lines' HTML, a few hundred lines per piece."""
        batch: list[str] = []
        for row in rows:
            batch.append(self.line(row))
            if len(batch) >= _LINES_PER_CHUNK:
                yield Markup("".join(batch))  # noqa: S704 - the log writer escapes everything it writes
                batch = []
        if batch:
            yield Markup("".join(batch))  # noqa: S704


@functools.cache
def environment() -> Environment:
    """The web templates (``gavel/web/templates/*.html``), autoescaped."""
    return make_environment("gavel.web", keep_trailing_newline=False, day_time=day_time, colour=nick_colour)


STATIC_FILES = {"gavel.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}


@functools.cache
def static_file(name: str) -> bytes:
    """A file of ``gavel/web/static`` (only those named in ``STATIC_FILES``)."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return resources.files("gavel.web").joinpath("static", name).read_bytes()


def stylesheet() -> bytes:
    return static_file("gavel.css")


class SecurityHeaders:
    """ASGI middleware: the security headers on every response (unless the response set its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ArchiveWeb:
    """The endpoints, over one archive."""

    def __init__(self, archive: Archive, auth: AuthSettings) -> None:
        self.archive = archive
        self.auth = auth
        self.env = environment()

    # ------------------------------------------------------------------ helpers

    def viewer(self, request: Request) -> Viewer:
        """Who is asking; a wrong bearer token is refused (401) rather than quietly ignored."""
        auth = self.auth
        if auth.user_header:
            user = request.headers.get(auth.user_header, "").strip()
            if user:
                return Viewer(True, user=user)
        if auth.token:
            expected = auth.token.encode("utf-8")
            header = request.headers.get("authorization", "")
            scheme, _, credentials = header.partition(" ")
            if scheme.lower() == "bearer":
                if hmac.compare_digest(credentials.strip().encode("utf-8"), expected):
                    return Viewer(True)
                raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": 'Bearer realm="gavel"'})
            cookie = request.cookies.get(TOKEN_COOKIE)
            if cookie and hmac.compare_digest(cookie.encode("utf-8"), expected):
                return Viewer(True, by_cookie=True)
        return Viewer()

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
        return _private(Response(html, status, media_type="text/html; charset=utf-8"))

    def stream_page(self, name: str, context: dict[str, Any]) -> Response:
        pieces = self.env.get_template(name).generate(context)
        return _private(StreamingResponse(_chunked(pieces), media_type="text/html; charset=utf-8"))

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

    # ------------------------------------------------------------------ pages

    def index(self, request: Request) -> Response:
        viewer = self.viewer(request)
        series = self.archive.list_series(include_restricted=viewer.authenticated)
        return self.page("index.html", self.context(request, viewer, series=series))

    def series(self, request: Request) -> Response:
        viewer = self.viewer(request)
        (name,) = self.segments(request, "series")
        found = self.archive.series(name, include_restricted=viewer.authenticated)
        if found is None:
            raise HTTPException(404, "no such series")
        return self.page("series.html", self.context(request, viewer, series=found))

    def meeting(self, request: Request) -> Response:
        viewer = self.viewer(request)
        meeting = self.find_meeting(request, viewer)
        page = log_page(request.query_params, meeting.line_count)
        rows = self.archive.log_lines(meeting.id, page.first - 1, page.size, include_restricted=viewer.authenticated)
        context = self.context(
            request,
            viewer,
            meeting=meeting,
            view=rebuild_view(meeting),
            log=LogLinesHtml().chunks(rows),
            log_page=page,
        )
        return self.stream_page("meeting.html", context)

    def search(self, request: Request) -> Response:
        viewer = self.viewer(request)
        series = self.archive.list_series(include_restricted=viewer.authenticated)
        try:
            form, results = self.run_search(request, viewer)
        except SearchError as error:
            raw = {name: request.query_params.get(name, "")[:MAX_QUERY_CHARS] for name in ("q", "nick", "channel")}
            form = SearchForm(
                q=raw["q"], nick=raw["nick"][:MAX_FILTER_CHARS], channel=raw["channel"][:MAX_FILTER_CHARS]
            )
            context = self.context(
                request, viewer, form=form, results=None, error=str(error), series=series, kinds=SEARCH_KINDS, q=form.q
            )
            return self.page("search.html", context, 400)
        urls = self.urls(request)
        hits = [] if results is None else [(hit, hit_url(urls, hit)) for hit in results.hits]
        context = self.context(
            request,
            viewer,
            form=form,
            results=results,
            hits=hits,
            error=None,
            series=series,
            kinds=SEARCH_KINDS,
            q=form.q,
        )
        return self.page("search.html", context)

    def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            raise HTTPException(404, "no such file")
        return Response(
            static_file(name), media_type=STATIC_FILES[name], headers={"cache-control": "public, max-age=3600"}
        )

    def favicon(self, request: Request) -> Response:
        return RedirectResponse(self.urls(request).static("favicon.svg"), 301)

    # ------------------------------------------------------------------ login

    def login_form(self, request: Request) -> Response:
        if not self.auth.login_enabled:
            raise HTTPException(404, "no such page")
        viewer = self.viewer(request)
        next_path = _local_path(request.query_params.get("next", ""), self.urls(request))
        return self.page("login.html", self.context(request, viewer, next=next_path, error=None))

    async def login(self, request: Request) -> Response:
        if not self.auth.login_enabled or not self.auth.token:
            raise HTTPException(404, "no such page")
        form = await _read_form(request)
        urls = self.urls(request)
        next_path = _local_path(form.get("next", ""), urls)
        token = form.get("token", "")
        if not hmac.compare_digest(token.encode("utf-8"), self.auth.token.encode("utf-8")):
            context = self.context(request, Viewer(), next=next_path, error="That token is not right.")
            return self.page("login.html", context, 401)
        response = RedirectResponse(next_path, 303)
        response.set_cookie(
            TOKEN_COOKIE,
            self.auth.token,
            max_age=TOKEN_COOKIE_AGE,
            path=urls.home(),
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )
        return _private(response)

    async def logout(self, request: Request) -> Response:
        urls = self.urls(request)
        response = RedirectResponse(urls.home(), 303)
        response.delete_cookie(TOKEN_COOKIE, path=urls.home(), httponly=True, samesite="strict")
        return _private(response)

    # ------------------------------------------------------------------ JSON API

    def api_index(self, request: Request) -> Response:
        viewer = self.viewer(request)
        urls = self.urls(request)
        series = self.archive.list_series(include_restricted=viewer.authenticated)
        return _private(JSONResponse({"series": [series_summary_json(urls, s) for s in series]}))

    def api_series(self, request: Request) -> Response:
        viewer = self.viewer(request)
        (name,) = self.segments(request, "series")
        found = self.archive.series(name, include_restricted=viewer.authenticated)
        if found is None:
            raise HTTPException(404, "no such series")
        return _private(JSONResponse(series_json(self.urls(request), found)))

    def api_meeting(self, request: Request) -> Response:
        viewer = self.viewer(request)
        meeting = self.find_meeting(request, viewer)
        head = json.dumps(meeting_json(self.urls(request), meeting), ensure_ascii=False, separators=(",", ":"))
        rows = self.archive.log_lines(meeting.id, include_restricted=viewer.authenticated)

        def body() -> Iterator[str]:
            yield head[:-1] + ',"log":['
            separator = ""
            for row in rows:
                yield separator + json.dumps(log_row_json(row), ensure_ascii=False, separators=(",", ":"))
                separator = ","
            yield "]}"

        return _private(StreamingResponse(_chunked(body()), media_type="application/json"))

    def api_search(self, request: Request) -> Response:
        viewer = self.viewer(request)
        try:
            form, results = self.run_search(request, viewer)
        except SearchError as error:
            raise HTTPException(400, str(error)) from None
        if results is None:
            raise HTTPException(400, "q (the text to search for) is required")
        urls = self.urls(request)
        response = JSONResponse(
            {
                "total": results.total,
                "total_capped": results.total_capped,
                "hits": [hit_json(urls, hit) for hit in results.hits],
            }
        )
        links = []
        base = urls.root + "/api/search?"
        if form.page > 1:
            links.append(f'<{base}{form.params(page=form.page - 1)}>; rel="prev"')
        if form.page < min(results.pages, MAX_PAGE):
            links.append(f'<{base}{form.params(page=form.page + 1)}>; rel="next"')
        if links:
            response.headers["link"] = ", ".join(links)
        return _private(response)

    # ------------------------------------------------------------------ errors

    async def error(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = exc.detail if isinstance(exc, HTTPException) else "internal error"
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        headers.update(SECURITY_HEADERS)
        headers["cache-control"] = "no-store"
        root = request.scope.get("root_path", "").rstrip("/")
        if request.url.path.startswith(root + "/api/") or request.url.path == root + "/api":
            return JSONResponse({"error": message}, status, headers=headers)
        context = self.context(request, Viewer(), status=status, message=message)
        html = self.env.get_template("error.html").render(context)
        return Response(html, status, headers=headers, media_type="text/html; charset=utf-8")


def _private(response: Response) -> Response:
    """Never shared by caches: what a page shows depends on who asks."""
    response.headers.setdefault("cache-control", "private, no-cache")
    response.headers["vary"] = "Authorization, Cookie"
    return response


def _local_path(value: str, urls: Urls) -> str:
    """``value`` if it is a path on this site (never another host: ``//evil``, ``/\\evil``), else the home page."""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and value.isprintable() and len(value) < 2000:
        return value
    return urls.home()


async def _read_form(request: Request) -> dict[str, str]:
    """A small ``application/x-www-form-urlencoded`` body (anything over ``MAX_FORM_BYTES`` is a 413)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    except ValueError:
        raise HTTPException(400, "bad form") from None
    return {name: values[-1] for name, values in fields.items()}


def create_app(
    archive: Archive,
    *,
    token: str | None = None,
    user_header: str | None = None,
    close_archive: bool = False,
) -> Starlette:
    """The web application over ``archive``.

    ``token`` and ``user_header`` (see :class:`AuthSettings`) let requests see restricted meetings.
    With ``close_archive`` the archive is closed when the application shuts down.
    """
    web = ArchiveWeb(archive, AuthSettings(token=token or None, user_header=(user_header or "").strip() or None))
    routes = [
        Route("/", web.index, name="index"),
        Route("/series", web.index),
        Route("/series/", web.index),
        Route("/series/{series}", web.series),
        Route("/series/{series}/{meeting}", web.meeting),
        Route("/search", web.search),
        Route("/login", web.login_form, methods=["GET"]),
        Route("/login", web.login, methods=["POST"]),
        Route("/logout", web.logout, methods=["POST"]),
        Route("/static/{name}", web.static),
        Route("/favicon.ico", web.favicon),
        Route("/api/series", web.api_index),
        Route("/api/series/{series}", web.api_series),
        Route("/api/series/{series}/{meeting}", web.api_meeting),
        Route("/api/search", web.api_search),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: web.error,
        Exception: web.error,
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            archive.close()

    app = Starlette(
        routes=routes,
        exception_handlers=handlers,
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan if close_archive else None,
    )
    app.state.archive = archive
    return app
