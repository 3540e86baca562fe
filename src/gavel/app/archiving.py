"""Meetings on their way into the archive."""

from __future__ import annotations

from dataclasses import dataclass

from gavel.render.view import MinutesView
from gavel.storage.archive import Archive
from gavel.storage.archive.spool import LineSpool


@dataclass
class ParsedMeeting:
    """A meeting on its way to the archive: its minutes and its spooled lines."""

    view: MinutesView
    spool: LineSpool

    def store(self, archive: Archive, *, network: str | None = None) -> int:
        """Store it in ``archive`` (returns its id) and free the spool, stored or not."""
        try:
            return archive.store_rows(self.view, self.spool.batches(), network=network)
        finally:
            self.spool.discard()
