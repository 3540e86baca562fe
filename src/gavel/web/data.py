"""What the web pages, the JSON API and the static export show, built from archive rows.

URLs here are paths on the web server (``/series/<name>/<meeting>#l-N``), prefixed with the
application's root path when it runs behind a reverse proxy under a sub-path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import gavel
from gavel.core.effects import LineKind, LogLine, Relation
from gavel.core.meeting import MeetingSettings
from gavel.core.records import ItemKind
from gavel.render.links import iso
from gavel.render.view import (
    UNASSIGNED,
    AgendumView,
    ItemView,
    MinutesView,
    Owner,
    Person,
    VoteView,
    summary_groups,
)
from gavel.storage.archive import (
    AGENDUM_KIND,
    ActionRow,
    AgendumRow,
    ItemRow,
    LogRow,
    MeetingDetail,
    MeetingSummary,
    SearchHit,
    SeriesDetail,
    SeriesSummary,
)

ITEM_KINDS = tuple(kind.value for kind in ItemKind)
SEARCH_KINDS = ("line", *ITEM_KINDS, AGENDUM_KIND)
DEFAULT_INFO_URL = MeetingSettings(channel="#gavel").info_url
_BARE_KINDS = (ItemKind.INFO.value, ItemKind.TOPIC.value)
_LINE_KINDS = {kind.value: kind for kind in LineKind}
_RELATIONS = {relation.value: relation for relation in Relation}
# A path segment we accept for a series or meeting: no separators, no control characters, not "." or "..".
_SEGMENT = re.compile(r"[^/\\\x00-\x1f\x7f]{1,200}\Z")


def valid_segment(value: str) -> bool:
    """True when ``value`` may name a series or a meeting in a URL (anything else is a 404)."""
    return _SEGMENT.match(value) is not None and value not in (".", "..")


class Urls:
    """Paths of the pages, under ``root`` (the application's root path, "" at the top of the site).

    A meeting is named by its log basename, or by its id where two meetings of a series share a basename
    (MeetBot names files by meeting name and minute only): ``shared`` gives those (series, basename) pairs,
    asked for once, when a link with a meeting id is first made.
    """

    def __init__(self, root: str = "", shared: Callable[[], frozenset[tuple[str, str]]] | None = None) -> None:
        self.root = root.rstrip("/")
        self._shared_source = shared
        self._shared: frozenset[tuple[str, str]] | None = None

    def _ref(self, series: str, basename: str, meeting_id: int | None) -> str:
        if meeting_id is None or self._shared_source is None:
            return basename
        if self._shared is None:
            self._shared = self._shared_source()
        return str(meeting_id) if (series, basename) in self._shared else basename

    def home(self) -> str:
        return self.root + "/"

    def series(self, name: str) -> str:
        return f"{self.root}/series/{quote(name, safe='')}"

    def meeting(self, series: str, basename: str, meeting_id: int | None = None) -> str:
        return f"{self.series(series)}/{quote(self._ref(series, basename, meeting_id), safe='')}"

    def line(self, series: str, basename: str, line: int, meeting_id: int | None = None) -> str:
        """The meeting page at log line ``line`` (on the page of the log that holds it)."""
        start = LogPage.of(line).first
        return self.meeting(series, basename, meeting_id) + (f"?from={start}" if start > 1 else "") + f"#l-{line}"

    def item(self, series: str, basename: str, line: int, meeting_id: int | None = None) -> str:
        """The meeting page at the minutes item that came from log line ``line``."""
        return f"{self.meeting(series, basename, meeting_id)}#i-{line}"

    def person(self, nick: str) -> str:
        """A person's page (``/people/<nick>``; a ``/`` in the nick is encoded, the route takes it back)."""
        return f"{self.root}/people/{quote(nick, safe='')}"

    def api(self, path: str) -> str:
        """The JSON twin of a page path made by this object."""
        return self.root + "/api" + path[len(self.root) :]

    def search(self) -> str:
        return self.root + "/search"

    def static(self, name: str) -> str:
        return f"{self.root}/static/{name}"


LOG_PAGE_LINES = 2000  # log lines per meeting page (the minutes are on every page)


@dataclass(frozen=True)
class LogPage:
    """Which lines of a meeting's log one meeting page shows: ``first`` to ``first + size - 1``, of ``count``.

    Pages start at 1, 2001, 4001 ... (``?from=N`` names any line; the page that holds it is shown), so a
    link to a line is stable however the page was reached.
    """

    first: int
    count: int = 0
    size: int = LOG_PAGE_LINES

    @classmethod
    def of(cls, line: int, count: int = 0, size: int = LOG_PAGE_LINES) -> LogPage:
        """The page that holds ``line`` (the first page for anything below 1)."""
        return cls((max(line, 1) - 1) // size * size + 1, count, size)

    @property
    def last(self) -> int:
        return min(self.first + self.size - 1, self.count) if self.count else self.first + self.size - 1

    @property
    def paged(self) -> bool:
        """Whether the log needs more than one page."""
        return self.count > self.size

    def holds(self, line: int) -> bool:
        return self.first <= line <= self.last

    def href(self, line: int) -> str:
        """A link to ``line`` from this page: its anchor, with the page that holds it when that is another."""
        if self.holds(line):
            return f"#l-{line}"
        return f"?from={LogPage.of(line, size=self.size).first}#l-{line}"

    def page_href(self, first: int) -> str:
        """A link to the page starting at line ``first``, at the top of the log."""
        return f"?from={first}#log"

    def neighbours(self) -> dict[str, int]:
        """The first lines of the first, previous, next and last pages (those that differ from this one)."""
        last_page = LogPage.of(self.count, self.count, self.size).first
        pages = {"first": 1, "previous": self.first - self.size, "next": self.first + self.size, "last": last_page}
        return {name: first for name, first in pages.items() if 1 <= first <= last_page and first != self.first}


def hit_url(urls: Urls, hit: SearchHit) -> str:
    """Where a search hit opens: its log line, or (for a minutes item) the item in the minutes."""
    if hit.kind == "line":
        return urls.line(hit.series, hit.meeting_basename, hit.line, hit.meeting_id)
    return urls.item(hit.series, hit.meeting_basename, hit.line, hit.meeting_id)


def day_time(moment: datetime) -> str:
    """``2016-03-16 14:30 UTC``."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"


# ---------------------------------------------------------------------- MinutesView from archive rows


def line_kind(kind: str) -> LineKind:
    """The kind of an archived log line (an unknown one is shown as it is: raw)."""
    return _LINE_KINDS.get(kind, LineKind.RAW)


def line_relation(relation: str) -> Relation | None:
    """How an archived log line relates to an earlier one (an unknown relation: none)."""
    return _RELATIONS.get(relation)


def log_line(row: LogRow) -> LogLine:
    """An archived log line as the core's ``LogLine`` (what the log writers take)."""
    line = LogLine(row.number, row.time, line_kind(row.kind), row.nick, row.text)
    if row.relation is not None:
        line.relation = line_relation(row.relation)
        line.refers_to = row.refers_to if line.relation is not None else None
    return line


def rebuild_view(
    meeting: MeetingDetail,
    *,
    log_url: str | None = None,
    info_url: str = DEFAULT_INFO_URL,
    unfinished_at: datetime | None = None,
) -> MinutesView:
    """The minutes view of an archived meeting, as ``build_view`` made it when the meeting ended.

    The archive does not keep the meeting's ``url_base`` (so its absolute ``log_url``), ``info_url``,
    the gavel version that wrote it, nor (for an unfinished meeting) when its log ended: those come
    from the arguments (pass the last log line's time as ``unfinished_at``), the running gavel, or
    the meeting's start. ``log_url`` defaults to the log's file name, relative to the minutes. The meeting
    id is the one stored with it (None for a meeting archived without one).
    """
    log_href = quote(f"{meeting.log_basename}.log.html")

    def view_of(item: ItemRow) -> ItemView:
        label = "" if item.kind in _BARE_KINDS else item.kind.upper()
        href = f"{log_href}#l-{item.line}"
        return ItemView(
            item.kind,
            label,
            item.text,
            item.nick,
            item.time,
            item.line,
            item.topic,
            href,
            item.corrected_from,
            item.timebox_minutes,
            item.minutes_spent,
        )

    items = tuple(view_of(item) for item in meeting.items)
    actions = tuple(item for item in items if item.kind == ItemKind.ACTION.value)
    owners_of = {(action.line, action.text): action.owners for action in meeting.actions}
    owned: dict[str, list[ItemView]] = {}
    unassigned: list[ItemView] = []
    for action in actions:
        owners = owners_of.get((action.line, action.text), ())
        for nick in owners:
            owned.setdefault(nick, []).append(action)
        if not owners:
            unassigned.append(action)
    by_person = [Owner(nick, tuple(owned[nick])) for nick in sorted(owned, key=lambda n: (n.lower(), n))]
    if unassigned:
        by_person.append(Owner(UNASSIGNED, tuple(unassigned)))
    votes = tuple(
        VoteView(
            vote.question,
            vote.options,
            vote.results,
            vote.nick,
            vote.time,
            vote.ended_at,
            vote.line,
            f"{log_href}#l-{vote.line}",
        )
        for vote in meeting.votes
    )
    ended = meeting.ended_at
    return MinutesView(
        name=meeting.series,
        channel=meeting.channel,
        title=meeting.title,
        page_title=f"{meeting.channel}: {meeting.title}" if meeting.title else f"{meeting.channel} Meeting",
        owner=meeting.owner,
        started_by=meeting.started_by,
        chairs=meeting.chairs,
        started_at=meeting.started_at,
        ended_at=ended,
        unfinished_at=None if ended is not None else (unfinished_at or meeting.started_at),
        restricted=meeting.restricted,
        log_basename=meeting.log_basename,
        log_href=log_href,
        log_url=log_url or log_href,
        items=items,
        topics=tuple(item for item in items if item.kind == ItemKind.TOPIC.value),
        summary=summary_groups(items),
        actions=actions,
        actions_by_person=tuple(by_person),
        unassigned_actions=tuple(unassigned),
        people=tuple(Person(person.nick, person.lines, person.also_known_as) for person in meeting.people),
        votes=votes,
        version=gavel.__version__,
        info_url=info_url,
        meeting_id=meeting.runtime_id,
        present=meeting.present,
        regrets=meeting.regrets,
        attendance_taken=meeting.attendance_taken,
        agenda=tuple(agendum_view(agendum) for agendum in meeting.agenda),
    )


def agendum_view(row: AgendumRow) -> AgendumView:
    return AgendumView(
        row.number,
        row.title,
        row.proposer,
        row.status,
        row.taken_at,
        row.closed_at,
        row.minutes_spent,
        row.timebox_minutes,
        row.line,
        row.added_at,
    )


# ---------------------------------------------------------------------- JSON shapes (see docs/web.md)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def series_summary_json(urls: Urls, series: SeriesSummary) -> dict[str, Any]:
    url = urls.series(series.name)
    return {
        "name": series.name,
        "meetings": series.meeting_count,
        "first_meeting": iso(series.first_meeting_at),
        "last_meeting": iso(series.last_meeting_at),
        "open_actions": series.open_actions,
        "url": url,
        "api_url": urls.api(url),
    }


def meeting_summary_json(urls: Urls, meeting: MeetingSummary) -> dict[str, Any]:
    url = urls.meeting(meeting.series, meeting.log_basename, meeting.id)
    return {
        "id": meeting.id,
        "runtime_id": meeting.runtime_id,
        "series": meeting.series,
        "meeting": meeting.log_basename,
        "channel": meeting.channel,
        "network": meeting.network,
        "title": meeting.title,
        "owner": meeting.owner,
        "chairs": list(meeting.chairs),
        "started_at": iso(meeting.started_at),
        "ended_at": _time(meeting.ended_at),
        "unfinished": meeting.unfinished,
        "restricted": meeting.restricted,
        "lines": meeting.line_count,
        "url": url,
        "api_url": urls.api(url),
    }


def action_json(urls: Urls, action: ActionRow) -> dict[str, Any]:
    return {
        "id": action.id,
        "text": action.text,
        "nick": action.nick,
        "owners": list(action.owners),
        "status": action.status,
        "done_at": _time(action.done_at),
        "time": iso(action.time),
        "line": action.line,
        "series": action.series,
        "meeting": action.meeting_basename,
        "meeting_started_at": iso(action.meeting_started_at),
        "url": urls.item(action.series, action.meeting_basename, action.line, action.meeting_id),
    }


def series_json(urls: Urls, series: SeriesDetail) -> dict[str, Any]:
    url = urls.series(series.name)
    return {
        "name": series.name,
        "meetings": series.meeting_count,
        "url": url,
        "years": [
            {"year": year.year, "meetings": [meeting_summary_json(urls, m) for m in year.meetings]}
            for year in series.years
        ],
        "open_actions": [action_json(urls, action) for action in series.open_actions],
    }


def meeting_json(urls: Urls, meeting: MeetingDetail) -> dict[str, Any]:
    """A meeting with its minutes (the log is added by the API as it streams, under ``"log"``)."""
    data = meeting_summary_json(urls, meeting)
    data["items"] = [
        {
            "id": item.id,
            "kind": item.kind,
            "text": item.text,
            "nick": item.nick,
            "time": iso(item.time),
            "line": item.line,
            "topic": item.topic,
            "corrected_from": item.corrected_from,
            "timebox_minutes": item.timebox_minutes,
            "minutes_spent": item.minutes_spent,
            "url": urls.item(meeting.series, meeting.log_basename, item.line, meeting.id),
        }
        for item in meeting.items
    ]
    data["actions"] = [action_json(urls, action) for action in meeting.actions]
    data["votes"] = [
        {
            "question": vote.question,
            "options": list(vote.options),
            "results": [{"option": option, "voters": list(voters)} for option, voters in vote.results],
            "nick": vote.nick,
            "time": iso(vote.time),
            "ended_at": _time(vote.ended_at),
            "line": vote.line,
        }
        for vote in meeting.votes
    ]
    data["people"] = [
        {"nick": person.nick, "lines": person.lines, "also_known_as": list(person.also_known_as)}
        for person in meeting.people
    ]
    data["started_by"] = meeting.started_by
    data["attendance"] = {"present": list(meeting.present), "regrets": list(meeting.regrets)}
    data["agenda"] = [
        {
            "number": a.number,
            "title": a.title,
            "proposer": a.proposer,
            "status": a.status,
            "taken_at": _time(a.taken_at),
            "closed_at": _time(a.closed_at),
            "minutes_spent": a.minutes_spent,
            "timebox_minutes": a.timebox_minutes,
            "line": a.line,
        }
        for a in meeting.agenda
    ]
    return data


def log_row_json(row: LogRow) -> dict[str, Any]:
    return {"line": row.number, "time": iso(row.time), "kind": row.kind, "nick": row.nick, "text": row.text}


def hit_json(urls: Urls, hit: SearchHit) -> dict[str, Any]:
    return {
        "series": hit.series,
        "meeting": hit.meeting_basename,
        "meeting_id": hit.meeting_id,
        "channel": hit.channel,
        "time": iso(hit.time),
        "nick": hit.nick,
        "kind": hit.kind,
        "text": hit.text,
        "line": hit.line,
        "url": hit_url(urls, hit),
        "snippet": [{"text": part.text, "highlight": part.highlight} for part in hit.snippet],
        "score": hit.score,
    }
