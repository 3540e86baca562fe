"""The exported Atom feeds: ``DIR/feed.atom`` (all series) and ``DIR/<series>/feed.atom``.

Links are absolute on ``--url-base`` when it is given, else relative to the feed's folder (a feed reader
resolves them against the feed's own URL). Restricted meetings are never in a feed, even with
``--include-restricted``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from gavel.storage.archive import Archive, MeetingSummary
from gavel.storage.files import write_atomic
from gavel.web.feeds import FeedHead, atom_feed, newest_first

FEED_FILE = "feed.atom"


@dataclass(frozen=True)
class ExportLinks:
    """The meeting's exported files: ``prefix`` + its path (folder and stem, relative to the feed's folder)."""

    prefix: str
    paths: dict[int, str]

    def minutes(self, meeting: MeetingSummary) -> str:
        return self.prefix + quote(self.paths[meeting.id]) + ".html"

    def log(self, meeting: MeetingSummary) -> str:
        return self.prefix + quote(self.paths[meeting.id]) + ".log.html"


def folder_url(url_base: str, folder: str = "") -> str:
    """The URL of an exported folder ("" or ``series/``) ending in ``/``; "" (relative) without a URL base."""
    if not url_base:
        return ""
    return (url_base if url_base.endswith("/") else url_base + "/") + (quote(folder) + "/" if folder else "")


def write_feed(
    archive: Archive,
    target: Path,
    *,
    series: str | None,
    url_base: str,
    folder: str,
    meetings: list[tuple[MeetingSummary, str]],
    mode: int,
) -> None:
    """The feed of ``meetings`` (each with its path relative to ``folder``) at ``target``: the newest public ones."""
    prefix = folder_url(url_base, folder)
    paths = {summary.id: path for summary, path in meetings}
    chosen = newest_first(summary for summary, _ in meetings)
    details = [archive.meeting(m.series, m.id, include_restricted=False) for m in chosen]
    authority = urlsplit(url_base).hostname or "localhost"
    head = FeedHead(series, prefix + FEED_FILE, prefix + "index.html", authority)
    body = atom_feed(head, [detail for detail in details if detail is not None], ExportLinks(prefix, paths))
    write_atomic(target, body.decode("utf-8"), mode)
