"""The archive interface: its parts, each in its own module, written once for both backends.

A backend (``sqlite.py``, ``postgres.py``) supplies the connection (:mod:`.database`), the schema
migrations (:mod:`.migrations`), how a batch of log lines is written (:mod:`.store`), read
(:mod:`.read`) and searched (:mod:`.search`); storing minutes, listing, reading, actions
(:mod:`.actions`) and ranking are the same SQL for both.
"""

from __future__ import annotations

from abc import abstractmethod

from gavel.storage.archive.actions import Actions
from gavel.storage.archive.activity import Activity
from gavel.storage.archive.migrations import Migrating
from gavel.storage.archive.read import Reading
from gavel.storage.archive.search import SEARCH_CAP, Searching
from gavel.storage.archive.store import Storing
from gavel.storage.archive.web_state import WebState

__all__ = ["SEARCH_CAP", "Archive"]


class Archive(Migrating, Storing, Activity, Reading, Searching, Actions):
    """A meeting archive: minutes, every log line, actions and a full-text index, in SQLite or PostgreSQL.

    Open one with :func:`gavel.storage.archive.open_archive`. An archive may be shared between
    threads (each call works through a pooled connection of its own: reads run side by side, writes
    take turns); ``close()`` it, or use it as a context manager.
    Restricted meetings (``#restrictlogs``) are left out of every answer unless the call passes
    ``include_restricted=True``.
    """

    @abstractmethod
    def web_state(self) -> WebState:
        """Where ``gavel serve``'s processes keep what they share (signing key, sessions, wrong logins): the
        archive's own database (PostgreSQL), or a file of its own beside an SQLite archive (``sqlite_web.py``), so
        that signing in or out never waits for an import holding the archive's write lock."""
