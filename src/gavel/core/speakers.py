"""Zakim's speaker queue: ``q+ [note]``, ``q-``, ``q?``, ``ack nick`` / ``ack next``. Logged, never minuted."""

from __future__ import annotations

from gavel.core.records import fold_nick


class SpeakerQueue:
    """Who asked to speak, in order, each once (IRC-case-insensitively), with their note."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[str, str]] = {}  # folded nick -> (nick, note)

    def entries(self) -> list[tuple[str, str]]:
        return list(self._entries.values())

    def add(self, nick: str, note: str) -> None:
        """Queue ``nick`` (at the end; one already queued keeps its place and gets the new note if any)."""
        key = fold_nick(nick)
        old = self._entries.get(key)
        self._entries[key] = (nick, note or (old[1] if old else ""))

    def remove(self, nick: str) -> tuple[str, str] | None:
        return self._entries.pop(fold_nick(nick), None)

    def first(self) -> tuple[str, str] | None:
        return next(iter(self._entries.values()), None)

    def clear(self) -> None:
        self._entries.clear()

    def rename(self, old: str, new: str) -> None:
        old_key, new_key = fold_nick(old), fold_nick(new)
        if old_key in self._entries and new_key not in self._entries:
            note = self._entries[old_key][1]
            self._entries = {
                new_key if key == old_key else key: (new, note) if key == old_key else entry
                for key, entry in self._entries.items()
            }
