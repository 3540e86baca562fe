"""Action items across meetings: the open ones of a series, and marking them done or open again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from gavel.storage.archive.database import Database, utc
from gavel.storage.archive.model import ActionRow

ACTIONS = (
    "SELECT a.id, a.meeting_id, s.name, m.log_basename, m.started_at, i.text, i.nick, i.time, i.line, a.status, "
    "a.done_at, a.done_in FROM actions a JOIN items i ON i.id = a.item_id JOIN meetings m ON m.id = a.meeting_id "
    "JOIN series s ON s.id = m.series_id"
)
"""The query :meth:`Actions._action_rows` reads (a WHERE and an ORDER BY go after it)."""


class Actions(Database):
    """Open actions and their status."""

    def open_actions(self, series: str, *, include_restricted: bool = False) -> list[ActionRow]:
        """The series' open actions, oldest meeting first, in minutes order."""
        with self._connection():
            return list(
                self._action_rows(
                    f"{ACTIONS} WHERE s.name = ? AND a.status = 'open' AND (? OR NOT m.restricted) "
                    "ORDER BY m.started_at, m.id, i.position",
                    (series, include_restricted),
                )
            )

    def mark_action_done(self, action_id: int, meeting_id: int | None, *, at: datetime | None = None) -> bool:
        """Mark an action done, in meeting ``meeting_id`` (or None), at ``at`` (default: that meeting's start,
        else now). False when there is no such action or meeting. Re-storing the action's meeting keeps this."""
        with self._transaction():
            if meeting_id is not None:
                started = self._query("SELECT started_at FROM meetings WHERE id = ?", (meeting_id,))
                if not started:
                    return False
                when = self._to_db_time(utc(at)) if at is not None else started[0][0]
            else:
                when = self._to_db_time(utc(at) if at is not None else datetime.now(UTC))
            changed = self._run(
                "UPDATE actions SET status = 'done', done_at = ?, done_in = ? WHERE id = ?",
                (when, meeting_id, action_id),
            )
        return changed == 1

    def reopen_action(self, action_id: int) -> bool:
        """Mark an action open again; False when there is no such action."""
        with self._transaction():
            changed = self._run(
                "UPDATE actions SET status = 'open', done_at = NULL, done_in = NULL WHERE id = ?", (action_id,)
            )
        return changed == 1

    def _action_rows(self, sql: str, params: Sequence[Any]) -> tuple[ActionRow, ...]:
        """The actions ``sql`` (:data:`ACTIONS` with a condition) selects, with their owners."""
        rows = self._query(sql, params)
        owners: dict[int, list[str]] = {}
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for action_id, nick in self._query(
                f"SELECT action_id, nick FROM action_owners WHERE action_id IN ({marks}) "  # noqa: S608 -- only ?s
                "ORDER BY action_id, position",
                chunk,
            ):
                owners.setdefault(action_id, []).append(nick)
        f = self._from_db_time
        return tuple(
            ActionRow(
                id=row[0],
                meeting_id=row[1],
                series=row[2],
                meeting_basename=row[3],
                meeting_started_at=f(row[4]),
                text=row[5],
                nick=row[6],
                time=f(row[7]),
                line=row[8],
                owners=tuple(owners.get(row[0], ())),
                status=row[9],
                done_at=None if row[10] is None else f(row[10]),
                done_in=row[11],
            )
            for row in rows
        )
