"""Error responses: JSON under ``/api``, an HTML page elsewhere; never cached, always with the security headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gavel.storage.archive import ArchiveBusyError
from gavel.web.auth import Viewer
from gavel.web.middleware import SECURITY_HEADERS
from gavel.web.site import Site

ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]
BUSY_MESSAGE = "the archive is busy: try again in a few seconds, or narrow the search"
log = logging.getLogger("gavel.web")


def error_handler(site: Site) -> ErrorHandler:
    """The handler for every exception an endpoint raises (an ``HTTPException``'s status; 503 with Retry-After
    for an :class:`ArchiveBusyError`, logged; else 500)."""

    async def error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = exc.detail if isinstance(exc, HTTPException) else "internal error"
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        if isinstance(exc, ArchiveBusyError):  # a slow or locked database is not an internal error
            log.warning("503 for %s: %s", request.url.path, exc)
            status, message = 503, BUSY_MESSAGE
            headers["retry-after"] = str(exc.retry_after)
        headers.update(SECURITY_HEADERS)
        headers["cache-control"] = "no-store"
        root = request.scope.get("root_path", "").rstrip("/")
        if request.url.path.startswith(root + "/api/") or request.url.path == root + "/api":
            return JSONResponse({"error": message}, status, headers=headers)
        context = site.context(request, Viewer(), status=status, message=message)
        html = site.env.get_template("error.html").render(context)
        return Response(html, status, headers=headers, media_type="text/html; charset=utf-8")

    return error
