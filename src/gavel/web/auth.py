"""Who is asking: a shared token (a bearer header or the login cookie) or a trusted proxy's user header."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request

TOKEN_COOKIE = "token"  # noqa: S105 - the cookie's name, not a secret
TOKEN_COOKIE_AGE = 30 * 24 * 3600


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


def viewer_of(request: Request, auth: AuthSettings) -> Viewer:
    """Who is asking; a wrong bearer token is refused (401) rather than quietly ignored."""
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
