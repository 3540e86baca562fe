"""What the web server's processes share through the archive: its signing key, the signed-in sessions and the
recent wrong logins. Times are seconds since the epoch (floats); sessions are stored by a hash of their id.

PostgreSQL keeps them in the archive's own tables; SQLite in a file of its own beside the archive
(``sqlite_web.py``): see ``Archive.web_state()``."""

from __future__ import annotations

import secrets

from gavel.storage.archive.database import Database


class WebState(Database):
    """Secrets, sessions and wrong logins of ``gavel serve``, shared by all its workers."""

    def web_secret(self, name: str) -> bytes:
        """The secret called ``name``: 32 random bytes, made by the first process that asks, the same for all."""
        with self._connection():
            rows = self._query("SELECT value FROM web_secrets WHERE name = ?", (name,))
        if not rows:
            with self._transaction():
                self._run(
                    "INSERT INTO web_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    (name, secrets.token_hex(32)),
                )
                rows = self._query("SELECT value FROM web_secrets WHERE name = ?", (name,))
        return bytes.fromhex(rows[0][0])

    def add_session(self, key: str, expires_at: float, now: float, max_sessions: int) -> None:
        """Keep the session ``key`` until ``expires_at``; the expired ones go, and the oldest ones while there
        are ``max_sessions``."""
        with self._transaction():
            self._run("DELETE FROM web_sessions WHERE expires_at <= ?", (now,))
            count = self._query("SELECT count(*) FROM web_sessions")[0][0]
            if count >= max_sessions:
                self._run(
                    "DELETE FROM web_sessions WHERE key_hash IN "
                    "(SELECT key_hash FROM web_sessions ORDER BY expires_at, key_hash LIMIT ?)",
                    (count - max_sessions + 1,),
                )
            self._run("INSERT INTO web_sessions (key_hash, expires_at) VALUES (?, ?)", (key, expires_at))

    def session_expires_at(self, key: str) -> float | None:
        """When the session ``key`` expires; None when there is no such session (never started, or ended)."""
        with self._connection():
            rows = self._query("SELECT expires_at FROM web_sessions WHERE key_hash = ?", (key,))
        return float(rows[0][0]) if rows else None

    def end_session(self, key: str) -> None:
        """Forget the session ``key``."""
        with self._transaction():
            self._run("DELETE FROM web_sessions WHERE key_hash = ?", (key,))

    def add_login_failure(self, client: str, at: float, forget_before: float, max_rows: int) -> None:
        """Count a wrong login of ``client`` at ``at``; failures at or before ``forget_before`` go, and the oldest
        ones beyond ``max_rows``."""
        with self._transaction():
            self._run("DELETE FROM web_login_failures WHERE failed_at <= ?", (forget_before,))
            self._run("INSERT INTO web_login_failures (client, failed_at) VALUES (?, ?)", (client, at))
            self._run(
                "DELETE FROM web_login_failures WHERE id <= (SELECT max(id) FROM web_login_failures) - ?",
                (max_rows,),
            )

    def login_failures(self, client: str, since: float) -> list[float]:
        """The times of ``client``'s wrong logins after ``since``, oldest first."""
        with self._connection():
            rows = self._query(
                "SELECT failed_at FROM web_login_failures WHERE client = ? AND failed_at > ? ORDER BY failed_at",
                (client, since),
            )
        return [float(row[0]) for row in rows]
