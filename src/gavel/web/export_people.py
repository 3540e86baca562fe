"""The static export's person pages: ``DIR/people/<nick>.html`` for everyone who spoke, was declared present,
changed nick or owns an action in an exported meeting, and ``DIR/people/index.html`` listing them.

Each page is the archive's ``person`` read (the same rules as ``/people/<nick>`` in ``gavel serve``), its links
pointing at the exported files. A nick is one person as the core folds nicks (``Alice`` and ``ALICE`` share a
page); its file name is the folded nick when that is a plain file name, else a cleaned form with a hash. A page that
names a restricted meeting or one of its actions gets the restricted mode, and so does the index when any page does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from gavel.core.records import fold_nick
from gavel.storage.archive import MeetingDetail, PersonDetail
from gavel.storage.archive.activity import MAX_NICK_CHARS

PEOPLE_DIR = "people"
INDEX = "index.html"


@dataclass(frozen=True, slots=True)
class ExportedPath:
    """Where a meeting was exported: ``<series directory>/<YYYY>/<basename>`` (no extension), and whether it is
    restricted."""

    stem: str
    restricted: bool

    def href(self, suffix: str = ".html") -> str:
        """The link from a person page (one directory down from the top)."""
        return "../" + quote(self.stem) + suffix


@dataclass(frozen=True, slots=True)
class PersonPage:
    """One person's page: the file (under ``people/``), the archive's read, and the links of its meetings."""

    file: str
    person: PersonDetail
    restricted: bool


def nicks_of(meeting: MeetingDetail) -> Iterable[str]:
    """Every nick a person page is made for from ``meeting``: speakers and their other nicks, who was declared
    present, action owners."""
    for person in meeting.people:
        yield person.nick
        yield from person.also_known_as
    yield from meeting.present
    for action in meeting.actions:
        yield from action.owners


def collect(found: dict[str, str], nicks: Iterable[str]) -> None:
    """Add each nick under its folded form (the first spelling seen names the page); nicks no page can have are
    left out."""
    for nick in nicks:
        if 0 < len(nick) <= MAX_NICK_CHARS:
            found.setdefault(fold_nick(nick), nick)


def is_restricted(person: PersonDetail, paths: dict[int, ExportedPath]) -> bool:
    """Whether the page names a restricted meeting (or an action of one, or one not exported: kept private)."""
    ids = [seen.meeting.id for seen in person.meetings] + [action.meeting_id for action in person.open_actions]
    return any(meeting_id not in paths or paths[meeting_id].restricted for meeting_id in ids)
