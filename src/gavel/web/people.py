"""A person's page, ``/people/<nick>``, and its JSON twin: the meetings they were present at (spoke, under this
nick or one they changed from, or were declared present) and their open actions. The nick is folded as IRC folds
it (``Alice`` and ``ALICE`` are one page); restricted meetings are left out for viewers who may not see them, and
a person seen only there is a 404, as a missing one is."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gavel.storage.archive import PersonDetail
from gavel.storage.archive.activity import MAX_NICK_CHARS
from gavel.web.data import Urls, action_json, meeting_summary_json
from gavel.web.middleware import private
from gavel.web.site import Site


def valid_nick(nick: str) -> bool:
    """Whether ``nick`` may name a person in a URL: 1 to ``MAX_NICK_CHARS`` characters, none of them control
    characters (a ``/`` is fine: Matrix display names may hold one)."""
    return 0 < len(nick) <= MAX_NICK_CHARS and all(c >= " " and c != "\x7f" for c in nick)


def person_json(urls: Urls, person: PersonDetail) -> dict[str, Any]:
    url = urls.person(person.nick)
    return {
        "nick": person.nick,
        "url": url,
        "meetings": [
            {
                **meeting_summary_json(urls, seen.meeting),
                "nick": seen.nick,
                "lines_said": seen.lines,
                "spoke": seen.spoke,
            }
            for seen in person.meetings
        ],
        "open_actions": [action_json(urls, action) for action in person.open_actions],
    }


class PeoplePages:
    """The person page and its JSON."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def _find(self, request: Request, authenticated: bool) -> PersonDetail:
        nick = request.path_params["nick"]
        found = self.site.archive.person(nick, include_restricted=authenticated) if valid_nick(nick) else None
        if found is None:
            raise HTTPException(404, "no such person")
        return found

    def page(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        person = self._find(request, viewer.authenticated)
        return site.page("person.html", site.context(request, viewer, person=person))

    def api(self, request: Request) -> Response:
        site = self.site
        viewer = site.viewer(request)
        person = self._find(request, viewer.authenticated)
        return private(JSONResponse(person_json(site.urls(request), person)))
