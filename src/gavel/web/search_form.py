"""The search parameters (``/search`` and ``/api/search``): read, checked, and turned into an archive query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from gavel.storage.archive import SearchQuery
from gavel.web.auth import Viewer
from gavel.web.data import SEARCH_KINDS

MAX_QUERY_CHARS = 500
MAX_FILTER_CHARS = 200
MAX_PAGE = 1000
PER_PAGE = 20
MAX_PER_PAGE = 100


class SearchError(ValueError):
    """A search parameter that cannot be used; the message says why (shown to the user, with a 400)."""


@dataclass(frozen=True)
class SearchForm:
    """The search parameters as given (for redisplay in the form) and parsed."""

    q: str = ""
    series: str = ""
    channel: str = ""
    nick: str = ""
    kind: str = ""
    since: str = ""
    until: str = ""
    page: int = 1
    per_page: int = PER_PAGE

    def params(self, **changes: Any) -> str:
        """This search as a query string (empty fields left out), with ``changes``."""
        form = replace(self, **changes)
        pairs: list[tuple[str, str]] = [
            (name, value)
            for name in ("q", "series", "channel", "nick", "kind", "since", "until")
            if (value := getattr(form, name))
        ]
        if form.per_page != PER_PAGE:
            pairs.append(("per_page", str(form.per_page)))
        if form.page != 1:
            pairs.append(("page", str(form.page)))
        return urlencode(pairs)


def _int_param(params: Mapping[str, str], name: str, default: int, highest: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= highest:
        raise SearchError(f"{name} must be a whole number from 1 to {highest}")
    return int(raw)


def _bound(name: str, raw: str, *, end: bool) -> date | datetime | None:
    """A ``since``/``until`` value: a date (``until`` includes that day) or an ISO 8601 time (naive = UTC)."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        pass
    else:
        if not end:
            return day
        try:
            return day + timedelta(days=1)
        except OverflowError:
            return None
    try:
        moment = datetime.fromisoformat(raw)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise SearchError(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time") from None


def read_search(params: Mapping[str, str]) -> SearchForm:
    """The search form's parameters, checked; raises :class:`SearchError` for one that cannot be used."""
    values: dict[str, str] = {}
    for name in ("q", "series", "channel", "nick", "kind", "since", "until"):
        value = params.get(name, "")
        limit = MAX_QUERY_CHARS if name == "q" else MAX_FILTER_CHARS
        if len(value) > limit:
            raise SearchError(f"{name} is too long (at most {limit} characters)")
        if "\x00" in value:
            raise SearchError(f"{name} contains a NUL character")
        values[name] = value if name == "q" else value.strip()
    if values["kind"] and values["kind"] not in SEARCH_KINDS:
        raise SearchError(f"kind must be one of: {', '.join(SEARCH_KINDS)}")
    return SearchForm(
        q=values["q"],
        series=values["series"],
        channel=values["channel"],
        nick=values["nick"],
        kind=values["kind"],
        since=values["since"],
        until=values["until"],
        page=_int_param(params, "page", 1, MAX_PAGE),
        per_page=_int_param(params, "per_page", PER_PAGE, MAX_PER_PAGE),
    )


def search_query(form: SearchForm, viewer: Viewer) -> SearchQuery:
    return SearchQuery(
        form.q,
        series=form.series or None,
        channel=form.channel or None,
        nick=form.nick or None,
        kind=form.kind or None,
        since=_bound("since", form.since, end=False),
        until=_bound("until", form.until, end=True),
        page=form.page,
        per_page=form.per_page,
        include_restricted=viewer.authenticated,
    )
