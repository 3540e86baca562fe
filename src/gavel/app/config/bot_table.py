"""The ``[bot]`` table: the bot's identity, its output, and how it runs meetings."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gavel.app.config.model import BotConfig
from gavel.app.config.rules import read_archive, read_formats, read_http_url, read_nick
from gavel.app.config.table import Table

_USERNAME = re.compile(r"[^\s@!:]+")


def read_bot(t: Table) -> BotConfig:
    """The keys with rules of their own, in this order, then the plain ones (``Table.remaining``)."""
    nick = read_nick(t, "nick")
    output_dir = t.path("output_dir")
    journal_dir = t.path("journal_dir")

    url_base = t.default("url_base", str)
    if t.has("url_base") and t.raw("url_base") != "":
        url = read_http_url(t, "url_base")
        if url is not None:
            url_base = url if url.endswith("/") else url + "/"
    info_url = read_http_url(t, "info_url") or t.default("info_url", str)

    archive, archive_url = read_archive(t)
    if output_dir is not None:
        for key, inside in (("journal_dir", journal_dir), ("archive", archive)):
            if inside is not None and (inside == output_dir or output_dir in inside.parents):
                t.problem(key, f"must not be inside output_dir ({output_dir}): everything there is published")

    username = t.text("username")
    if t.has("username") and not _USERNAME.fullmatch(username):
        t.problem("username", f"must not contain spaces, '@', '!' or ':' (got {username!r})")

    timezone = t.text("timezone")
    if timezone != "UTC":
        try:
            ZoneInfo(timezone)
        except (ValueError, ZoneInfoNotFoundError, OSError):
            hint = difflib.get_close_matches(timezone, sorted(available_timezones()), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            t.problem("timezone", f"unknown IANA time zone {timezone!r}{suggestion}")

    minimum = t.number("reconnect_min_seconds")
    maximum = t.number("reconnect_max_seconds")
    if maximum < minimum:
        t.problem("reconnect_max_seconds", f"must be at least reconnect_min_seconds ({minimum:g}) (got {maximum:g})")

    formats = read_formats(t)
    return BotConfig(
        nick=nick or "",
        output_dir=output_dir or Path(),
        journal_dir=journal_dir or Path(),
        url_base=url_base,
        archive=archive,
        archive_url=archive_url,
        username=username,
        timezone=timezone,
        formats=formats,
        reconnect_min_seconds=minimum,
        reconnect_max_seconds=maximum,
        info_url=info_url,
        **t.remaining(),
    )
