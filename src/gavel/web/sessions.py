"""Signed-in browsers: each sign-in is a random session id, kept in this process's memory with its expiry and
sent to the browser signed (itsdangerous) in the session cookie. The cookie never holds the token.

Signing out forgets the id, so a copy of the cookie stops working at once; so does every session when the
server restarts (the ids and the signing key live only in memory).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable

from itsdangerous import BadSignature, Signer

SESSION_COOKIE = "gavel_session"
MAX_SESSIONS = 10_000


class Sessions:
    """The live sessions: id -> when it expires (on ``clock``), oldest first."""

    def __init__(self, lifetime: float, clock: Callable[[], float], *, max_sessions: int = MAX_SESSIONS) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self.max_sessions = max_sessions
        self.signer = Signer(secrets.token_bytes(32), salt="gavel-session")
        self.expires: dict[str, float] = {}
        self.lock = threading.Lock()

    def start(self) -> str:
        """A new session; its cookie value (the signed id). A full table drops the oldest session."""
        session = secrets.token_urlsafe(32)
        now = self.clock()
        with self.lock:
            self._forget_expired(now)
            while len(self.expires) >= self.max_sessions:
                del self.expires[next(iter(self.expires))]
            self.expires[session] = now + self.lifetime
        return self.signer.sign(session).decode("ascii")

    def valid(self, cookie: str) -> bool:
        """Whether ``cookie`` is the signed id of a session that has neither ended nor expired."""
        session = self._session(cookie)
        if session is None:
            return False
        with self.lock:
            expires = self.expires.get(session)
        return expires is not None and self.clock() < expires

    def end(self, cookie: str) -> None:
        """Forget the session of ``cookie`` (signing out)."""
        session = self._session(cookie)
        if session is not None:
            with self.lock:
                self.expires.pop(session, None)

    def _session(self, cookie: str) -> str | None:
        """The id of a cookie this server signed, exactly as signed: base64 lets the last character of the
        signature vary in bits that decode to nothing, and itsdangerous compares the decoded bytes."""
        try:
            session = self.signer.unsign(cookie.encode("ascii")).decode("ascii")
        except (BadSignature, UnicodeError):
            return None
        return session if hmac.compare_digest(self.signer.sign(session), cookie.encode("ascii")) else None

    def _forget_expired(self, now: float) -> None:
        while self.expires:
            oldest = next(iter(self.expires))
            if self.expires[oldest] > now:
                break
            del self.expires[oldest]
