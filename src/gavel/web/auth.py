"""Who is asking: the shared token (a bearer header, or the session the login form started) or a trusted
proxy's user header; and the settings and state behind that (sessions, the throttle of wrong tokens, both kept
in the archive so that every worker process shares them)."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request

from gavel.core.errors import GavelError
from gavel.storage.archive.web_state import WebState
from gavel.web.proxies import PEER_TRUSTED, Network, parse_network
from gavel.web.sessions import SESSION_COOKIE, Sessions
from gavel.web.throttle import Throttle

MIN_TOKEN_CHARS = 24
DEFAULT_SESSION_HOURS = 12.0
MAX_SESSION_HOURS = 24.0 * 90
VIEWER_KEY = "gavel.viewer"  # the scope key: who is asking, worked out once per request


class AccessSettingsError(GavelError):
    """Settings that would leave the archive open; ``problems`` lists every one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class AuthSettings:
    """Who may see restricted meetings.

    ``token``: a shared secret (at least ``MIN_TOKEN_CHARS`` characters), sent as ``Authorization: Bearer
    <token>`` or given once to the login form, which starts a session of ``session_hours``. ``user_header``: a
    header (e.g. ``X-Remote-User``) set by a reverse proxy; any non-empty value authenticates, but only on
    requests whose peer is in ``trusted_proxies``. Neither set: nobody.
    """

    token: str | None = None
    user_header: str | None = None
    trusted_proxies: tuple[Network, ...] = ()
    session_hours: float = DEFAULT_SESSION_HOURS

    @property
    def login_enabled(self) -> bool:
        return bool(self.token)


def auth_settings(
    *,
    token: str | None = None,
    user_header: str | None = None,
    trusted_proxies: Sequence[str] = (),
    session_hours: float = DEFAULT_SESSION_HOURS,
) -> AuthSettings:
    """The settings, checked: raises :class:`AccessSettingsError` with every problem at once."""
    problems: list[str] = []
    token = token or None
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        problems.append(
            f"the token (--token or $GAVEL_WEB_TOKEN) has {len(token)} characters; it needs at least "
            f"{MIN_TOKEN_CHARS} (e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    networks: list[Network] = []
    for text in trusted_proxies:
        try:
            networks.append(parse_network(text))
        except ValueError as error:
            problems.append(str(error))
    user_header = (user_header or "").strip() or None
    if user_header and not trusted_proxies:
        problems.append(
            f"--trust-user-header {user_header} needs --trusted-proxy ADDR|CIDR: the reverse proxies whose "
            f"{user_header} header is believed (e.g. --trusted-proxy 127.0.0.1)"
        )
    if not 0 < session_hours <= MAX_SESSION_HOURS:
        problems.append(
            f"--session-hours {session_hours:g} is out of range (more than 0, at most {MAX_SESSION_HOURS:g})"
        )
    if problems:
        raise AccessSettingsError(problems)
    return AuthSettings(token, user_header, tuple(networks), session_hours)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: ``authenticated`` requests see restricted meetings."""

    authenticated: bool = False
    user: str | None = None  # the proxy's user name, when authenticated by the user header
    by_cookie: bool = False


def client_address(request: Request) -> str:
    """The client's address (a trusted proxy's ``X-Forwarded-For`` already applied, see ``TrustedProxies``)."""
    return request.client.host if request.client else "unknown"


class Access:
    """The settings and the state that decide who is asking: the sessions and the throttle of wrong tokens."""

    def __init__(self, settings: AuthSettings, store: WebState, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.sessions = Sessions(store, settings.session_hours * 3600, clock)
        self.throttle = Throttle(store, clock)

    def check_token(self, request: Request, candidate: str) -> bool:
        """Whether ``candidate`` is the token. Counts a wrong one for the client's address; a client over
        its limit gets a ``429`` without its token being looked at (so guessing on learns nothing)."""
        expected = self.settings.token
        if not expected:
            return False
        client = client_address(request)
        wait = self.throttle.retry_after(client)
        if wait:
            raise HTTPException(429, f"too many wrong tokens: try again in {wait} s", {"Retry-After": str(wait)})
        if hmac.compare_digest(candidate.encode("utf-8"), expected.encode("utf-8")):
            return True
        self.throttle.failure(client)
        return False

    def viewer(self, request: Request) -> Viewer:
        """Who is asking (worked out once per request); a wrong bearer token is refused (401) rather than
        quietly ignored."""
        known: Viewer | HTTPException | None = request.scope.get(VIEWER_KEY)
        if known is None:
            try:
                known = self._identify(request)
            except HTTPException as refusal:
                known = refusal
            request.scope[VIEWER_KEY] = known
        if isinstance(known, HTTPException):
            raise known
        return known

    def _identify(self, request: Request) -> Viewer:
        settings = self.settings
        if settings.user_header and request.scope.get(PEER_TRUSTED):
            user = request.headers.get(settings.user_header, "").strip()
            if user:
                return Viewer(True, user=user)
        if settings.token:
            scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer":
                if self.check_token(request, credentials.strip()):
                    return Viewer(True)
                raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": 'Bearer realm="gavel"'})
            cookie = request.cookies.get(SESSION_COOKIE)
            if cookie and self.sessions.valid(cookie):
                return Viewer(True, by_cookie=True)
        return Viewer()
