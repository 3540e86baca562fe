"""The headers every response carries: the security headers (an ASGI middleware) and the private cache policy."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


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


def private(response: Response) -> Response:
    """Never shared by caches: what a page shows depends on who asks."""
    response.headers.setdefault("cache-control", "private, no-cache")
    response.headers["vary"] = "Authorization, Cookie"
    return response


def public(response: Response) -> Response:
    """A page for anonymous viewers, showing nothing restricted: a shared cache may keep it, but asks again (with
    its ETag) each time, so a meeting restricted since is a 404 at once; a request with credentials (another
    ``Vary``) is a different page to a cache."""
    response.headers["cache-control"] = "public, no-cache"
    response.headers["vary"] = "Authorization, Cookie"
    return response
