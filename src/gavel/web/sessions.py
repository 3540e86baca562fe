"""Signed-in browsers: each sign-in is a random session id, sent to the browser signed (itsdangerous) in the
session cookie, and kept in the archive (as a SHA-256 hash, with its expiry) so that every worker process of
``gavel serve`` knows it. The cookie never holds the token.

Signing out deletes the session, so a copy of the cookie stops working at once on every worker. Sessions
outlive a restart of the server. The signing key is a random secret kept in the archive too (made on first
use): whoever can read the archive's database can sign cookies, but not make up a session id it does not
find there (only the ids' hashes are stored).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from itsdangerous import BadSignature, Signer

from gavel.storage.archive.web_state import WebState

SESSION_COOKIE = "gavel_session"
MAX_SESSIONS = 10_000
SIGNING_SECRET = "session-signing-key"  # noqa: S105 - the name of the secret in the archive


def session_key(session: str) -> str:
    """What the archive keeps of a session id: its hash (a copy of the database holds no live cookie)."""
    return hashlib.sha256(session.encode("ascii")).hexdigest()


class Sessions:
    """The live sessions, in ``store`` (the archive): a session lasts ``lifetime`` seconds on ``clock``
    (seconds since the epoch: shared by processes and machines)."""

    def __init__(
        self, store: WebState, lifetime: float, clock: Callable[[], float], *, max_sessions: int = MAX_SESSIONS
    ) -> None:
        self.store = store
        self.lifetime = lifetime
        self.clock = clock
        self.max_sessions = max_sessions
        self.signer = Signer(store.web_secret(SIGNING_SECRET), salt="gavel-session")

    def start(self) -> str:
        """A new session; its cookie value (the signed id). A full table drops the oldest session."""
        session = secrets.token_urlsafe(32)
        now = self.clock()
        self.store.add_session(session_key(session), now + self.lifetime, now, self.max_sessions)
        return self.signer.sign(session).decode("ascii")

    def valid(self, cookie: str) -> bool:
        """Whether ``cookie`` is the signed id of a session that has neither ended nor expired."""
        session = self._session(cookie)
        if session is None:
            return False
        expires = self.store.session_expires_at(session_key(session))
        return expires is not None and self.clock() < expires

    def end(self, cookie: str) -> None:
        """Forget the session of ``cookie`` (signing out), on every worker."""
        session = self._session(cookie)
        if session is not None:
            self.store.end_session(session_key(session))

    def _session(self, cookie: str) -> str | None:
        """The id of a cookie this server signed, exactly as signed: base64 lets the last character of the
        signature vary in bits that decode to nothing, and itsdangerous compares the decoded bytes."""
        try:
            session = self.signer.unsign(cookie.encode("ascii")).decode("ascii")
        except (BadSignature, UnicodeError):
            return None
        return session if hmac.compare_digest(self.signer.sign(session), cookie.encode("ascii")) else None
