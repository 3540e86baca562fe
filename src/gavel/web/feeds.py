"""Atom feeds of the archive: the newest public meetings of all series, or of one (docs/web.md, "Feeds").

A feed reader holds no session, so a feed is the same for everyone: restricted meetings are never in it,
whoever asks (the archive is always read without them, and a restricted row is dropped again here). The
served feeds (``feed_pages``) and the exported ones (``export``) differ only in their links
(:class:`FeedLinks`); this module picks the meetings, names them and writes the XML with feedgen.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from feedgen.feed import FeedGenerator
from markupsafe import escape

import gavel
from gavel.core.records import ItemKind
from gavel.storage.archive import Archive, MeetingDetail, MeetingSummary
from gavel.web.feed_links import LINKS_EXTENSION, EntryLinks, FeedLinksExtension

FEED_ENTRIES = 50  # meetings per feed, newest first
SUMMARY_LINES = 30  # topics, and action items, listed per entry (then "... and N more")
ATOM_TYPE = "application/atom+xml"
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)  # a feed without entries (no clock: same bytes each time)
# IRC formatting (colours with their numbers, hex colours) and what XML 1.0 cannot hold at all.
_IRC_COLOURS = re.compile(r"\x03(?:\d{1,2}(?:,\d{1,2})?)?|\x04(?:[0-9A-Fa-f]{6}(?:,[0-9A-Fa-f]{6})?)?")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without IRC formatting codes and the characters XML 1.0 forbids (escaping is lxml's job)."""
    return _NOT_XML.sub("", _IRC_COLOURS.sub("", text))


class FeedLinks(Protocol):
    """Where a feed's entries point: absolute URLs when the base is known, else relative to the feed."""

    def minutes(self, meeting: MeetingSummary) -> str: ...

    def log(self, meeting: MeetingSummary) -> str: ...


@dataclass(frozen=True)
class FeedHead:
    """The feed itself: ``self_url`` (where it is), ``page_url`` (its HTML page), ``authority`` (the host that
    names the entries' ``tag:`` ids) and ``series`` (None for the feed of all series)."""

    series: str | None
    self_url: str
    page_url: str
    authority: str

    @property
    def title(self) -> str:
        return f"{self.series} meetings" if self.series else "All meetings"

    @property
    def id(self) -> str:
        if "://" in self.self_url:
            return self.self_url
        return f"tag:{self.authority},2000-01-01:gavel/{self.series or ''}/feed.atom"


def newest_first(meetings: Iterable[MeetingSummary], limit: int = FEED_ENTRIES) -> list[MeetingSummary]:
    """The ``limit`` newest public meetings (by start; the later stored first among equal starts)."""
    public = (meeting for meeting in meetings if not meeting.restricted)
    return sorted(public, key=lambda m: (m.started_at, m.id), reverse=True)[:limit]


def recent_meetings(archive: Archive, series: str | None, limit: int = FEED_ENTRIES) -> list[MeetingSummary] | None:
    """The meetings of a feed: of ``series``, or of all series (None); None when the series has no public one.

    For all series, the series are read newest first and the reading stops once ``limit`` meetings are in hand
    and the next series' last meeting is older than all of them.
    """
    if series is not None:
        detail = archive.series(series, include_restricted=False)
        if detail is None:
            return None
        return newest_first((m for year in detail.years for m in year.meetings), limit)
    found: list[MeetingSummary] = []
    for summary in sorted(archive.list_series(include_restricted=False), key=lambda s: s.last_meeting_at, reverse=True):
        if len(found) >= limit and summary.last_meeting_at < found[-1].started_at:
            break
        detail = archive.series(summary.name, include_restricted=False)
        if detail is not None:
            found = newest_first([*found, *(m for year in detail.years for m in year.meetings)], limit)
    return found


def updated(meeting: MeetingSummary) -> datetime:
    """When a meeting's entry last changed: its end, else (unfinished) its start."""
    return meeting.ended_at or meeting.started_at


def entry_id(authority: str, meeting: MeetingSummary) -> str:
    """A ``tag:`` URI that stays while the meeting is stored again: its runtime id, else its archive id."""
    name = meeting.runtime_id or f"{meeting.series}/{meeting.id}"
    return f"tag:{authority},{meeting.started_at:%Y-%m-%d}:gavel/meeting/{name}"


def entry_title(meeting: MeetingSummary) -> str:
    when = f"{meeting.series} {meeting.started_at:%Y-%m-%d %H:%M} UTC"
    return f"{when}: {meeting.title}" if meeting.title else when


def _listing(heading: str, lines: Sequence[str]) -> str:
    if not lines:
        return ""
    shown = "".join(f"<li>{escape(line)}</li>" for line in lines[:SUMMARY_LINES])
    more = f"<li>… and {len(lines) - SUMMARY_LINES} more</li>" if len(lines) > SUMMARY_LINES else ""
    return f"<h3>{heading}</h3><ul>{shown}{more}</ul>"


def entry_summary(meeting: MeetingDetail) -> str:
    """The entry's summary as HTML (every piece of meeting text escaped): where, its topics, its action items."""
    where = f"{meeting.channel} on {meeting.network}" if meeting.network else meeting.channel
    state = ", unfinished" if meeting.unfinished else ""
    topics = [item.text for item in meeting.items if item.kind == ItemKind.TOPIC.value]
    actions = [f"{a.text} ({', '.join(a.owners)})" if a.owners else a.text for a in meeting.actions]
    head = f"<p>{escape(where)}: {meeting.line_count} lines{state}.</p>"
    return head + _listing("Topics", topics) + _listing("Action items", actions)


def feed_etag(head: FeedHead, meetings: Sequence[MeetingSummary], links: FeedLinks) -> str:
    """A weak ETag from what the entries are made of (their rows and links), so a ``304`` needs no minutes read."""
    digest = hashlib.sha256(repr((gavel.__version__, head)).encode("utf-8", "surrogatepass"))
    for meeting in meetings:
        digest.update(repr((meeting, links.minutes(meeting), links.log(meeting))).encode("utf-8", "surrogatepass"))
    return f'W/"{digest.hexdigest()[:32]}"'


def atom_feed(head: FeedHead, meetings: Sequence[MeetingDetail], links: FeedLinks) -> bytes:
    """The feed as UTF-8 Atom XML, entries in the order given (newest first)."""
    feed = FeedGenerator()
    feed.id(xml_text(head.id))
    feed.title(xml_text(head.title))
    feed.link(href=head.self_url, rel="self", type=ATOM_TYPE)
    feed.link(href=head.page_url, rel="alternate", type="text/html")
    feed.generator("gavel", version=gavel.__version__)
    feed.register_extension(LINKS_EXTENSION, FeedLinksExtension, EntryLinks, atom=True, rss=False)
    feed.updated(max((updated(meeting) for meeting in meetings), default=EMPTY_FEED_UPDATED))
    for meeting in meetings:
        if meeting.restricted:  # never, whoever asks
            continue
        entry = feed.add_entry(order="append")
        entry.id(xml_text(entry_id(head.authority, meeting)))
        entry.title(xml_text(entry_title(meeting)))
        entry.author(name=xml_text(meeting.owner) or "unknown")
        entry.published(meeting.ended_at or meeting.started_at)
        entry.updated(updated(meeting))
        entry.summary(xml_text(entry_summary(meeting)), type="html")
        entry.link(href=links.minutes(meeting))  # written as href only: a link without rel is the alternate
        entry_links: EntryLinks = getattr(entry, LINKS_EXTENSION)
        entry_links.add(href=links.log(meeting), rel="related", type="text/html", title="Log")
    xml: bytes = feed.atom_str(pretty=True)
    return xml
