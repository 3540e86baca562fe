"""The meeting archive: every meeting's minutes, log lines and actions, searchable, in SQLite or PostgreSQL.

    archive = open_archive("sqlite:///var/lib/gavel/archive.db")   # or "postgresql://user@host/db"
    meeting_id = archive.store(record, log_lines)                  # a MeetingRecord and its LogLines
    results = archive.search(SearchQuery("release plan", series="openstack"))

URLs: ``sqlite://PATH`` names a file (``sqlite:///var/lib/gavel/archive.db`` is the absolute path
``/var/lib/gavel/archive.db``, ``sqlite://archive.db`` is relative to the working directory, as in
the configuration file); a URL without a scheme is an SQLite path too; ``postgresql://`` (or
``postgres://``) URLs go to psycopg as they are. The schema is created or upgraded on open.
"""

from __future__ import annotations

from pathlib import Path

from gavel.storage.archive.activity import Attendance, MeetingActivity, PersonDetail
from gavel.storage.archive.base import Archive
from gavel.storage.archive.database import DEFAULT_POOL_SIZE, redact
from gavel.storage.archive.model import (
    AGENDUM_KIND,
    ActionRow,
    ActionStatus,
    AgendumRow,
    ArchiveBusyError,
    ArchiveError,
    ItemRow,
    LogRow,
    MeetingDetail,
    MeetingSummary,
    MeetingVersion,
    PersonRow,
    SchemaTooNewError,
    SearchHit,
    SearchQuery,
    SearchResults,
    SeriesDetail,
    SeriesSummary,
    SnippetPart,
    VoteRow,
    YearMeetings,
)
from gavel.storage.archive.record import ItemRecord, MeetingRecord
from gavel.storage.defaults import DEFAULT_ARCHIVE_URL

__all__ = [
    "AGENDUM_KIND",
    "DEFAULT_ARCHIVE_URL",
    "ActionRow",
    "ActionStatus",
    "AgendumRow",
    "Archive",
    "ArchiveBusyError",
    "ArchiveError",
    "Attendance",
    "ItemRecord",
    "ItemRow",
    "LogRow",
    "MeetingActivity",
    "MeetingDetail",
    "MeetingRecord",
    "MeetingSummary",
    "MeetingVersion",
    "PersonDetail",
    "PersonRow",
    "SchemaTooNewError",
    "SearchHit",
    "SearchQuery",
    "SearchResults",
    "SeriesDetail",
    "SeriesSummary",
    "SnippetPart",
    "VoteRow",
    "YearMeetings",
    "open_archive",
    "sqlite_path",
]


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite archive URL (or plain path); None for any other URL."""
    if url.startswith("sqlite://"):
        rest = url[len("sqlite://") :]
        if not rest:
            raise ArchiveError(f"archive URL {url!r} names no file: use e.g. sqlite:///var/lib/gavel/archive.db")
        return Path(rest).expanduser()
    if "://" in url:
        return None
    if not url:
        raise ArchiveError("empty archive URL")
    return Path(url).expanduser()


def open_archive(url: str = DEFAULT_ARCHIVE_URL, *, pool_size: int = DEFAULT_POOL_SIZE) -> Archive:
    """Open (creating or upgrading its schema) the archive at ``url``, reading through at most ``pool_size``
    connections at once (SQLite: readers besides its one writer; PostgreSQL: connections in all).

    Raises :class:`ArchiveError` for an unknown scheme or a database that cannot be opened, and
    :class:`SchemaTooNewError` for one written by a newer gavel.
    """
    if pool_size < 1:
        raise ArchiveError(f"an archive needs at least one connection (pool size {pool_size})")
    path = sqlite_path(url)
    if path is not None:
        from gavel.storage.archive.sqlite import SqliteArchive

        return SqliteArchive(url, path, pool_size=pool_size)
    if url.startswith(("postgresql://", "postgres://")):
        from gavel.storage.archive.postgres import PostgresArchive

        return PostgresArchive(url, pool_size=pool_size)
    raise ArchiveError(
        f"unknown archive URL {redact(url)!r}: use sqlite:///path/to/archive.db or postgresql://user@host/db"
    )
