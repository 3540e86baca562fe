"""The rules for single values: nicks, channel names, URLs, the archive URL, the formats list."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from urllib.parse import urlsplit

from gavel.app.config.context import describe
from gavel.app.config.model import CHANNEL_MAX, NICK_MAX
from gavel.app.config.table import ABSENT, CONTROL, Table
from gavel.app.output_tree import ALL_FORMATS

# RFC 2812 nickname: a letter or special first, then letters, digits, specials and '-'.
_NICK = re.compile(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]*")
_CHANNEL_PREFIXES = "#&!+"


def channel_problem(name: str) -> str | None:
    if not name or name[0] not in _CHANNEL_PREFIXES:
        return "a channel name must start with #, &, ! or +"
    if len(name) < 2:
        return "a channel name needs at least one character after its prefix"
    if len(name) > CHANNEL_MAX:
        return f"a channel name is at most {CHANNEL_MAX} characters"
    if " " in name or "," in name or CONTROL.search(name) or "\xa0" in name:
        return "a channel name must not contain spaces, commas or control characters"
    return None


def read_nick(t: Table, key: str, *, required: bool | None = None) -> str | None:
    nick = t.string(key, required=required)
    if nick is None:
        return None
    if len(nick) > NICK_MAX or not _NICK.fullmatch(nick):
        t.problem(
            key,
            f"must be a valid IRC nick: up to {NICK_MAX} letters, digits and []\\`_^{{|}}- "
            f"not starting with a digit or '-' (got {nick!r})",
        )
        return None
    return nick


def read_http_url(t: Table, key: str) -> str | None:
    url = t.string(key)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        t.problem(key, f"must be an http:// or https:// URL (got {url!r})")
        return None
    return url


def read_archive(t: Table) -> tuple[Path | None, str | None]:
    """``(SQLite file, URL for open_archive)``; a PostgreSQL archive has no file."""
    url = t.string("archive", secret=True)
    if url is None:
        return None, None
    if url.startswith(("postgresql://", "postgres://")):
        return None, url
    prefix = "sqlite://"
    if not url.startswith(prefix) or len(url) == len(prefix):
        t.problem(
            "archive",
            "must be a sqlite:// URL such as 'sqlite:///var/lib/gavel/archive.db' or a postgresql:// URL "
            f"(got a {url.split(':', 1)[0]!r} URL)"
            if ":" in url
            else "must be a sqlite:// or postgresql:// URL",
        )
        return None, None
    resolved = t.ctx.resolve(url[len(prefix) :])
    if resolved is None:
        t.problem("archive", f"cannot expand '~' in {url!r}")
        return None, None
    if resolved.is_dir():
        t.problem("archive", f"must name a database file, not a directory: {resolved}")
    return resolved, f"sqlite://{resolved}"


def read_formats(t: Table) -> tuple[str, ...]:
    """The known formats listed, in their canonical order; else the model's default."""
    default: tuple[str, ...] = t.default("formats", tuple)
    raw = t.raw("formats")
    if raw is ABSENT:
        return default
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        t.problem("formats", f'must be an array of strings such as [".html", ".txt"] (got {describe(raw)})')
        return default
    if not raw:
        t.problem("formats", f"list at least one of {', '.join(ALL_FORMATS)}")
        return default
    formats: list[str] = []
    for index, text in enumerate(raw):
        dotted = text if text.startswith(".") else "." + text
        if dotted not in ALL_FORMATS:
            hint = difflib.get_close_matches(dotted, ALL_FORMATS, n=1)
            suggestion = f"did you mean '{hint[0]}'? " if hint else ""
            t.problem(f"formats[{index}]", f"unknown format {text!r} ({suggestion}known: {', '.join(ALL_FORMATS)})")
        elif dotted in formats:
            t.problem(f"formats[{index}]", f"{text!r} is listed twice")
        else:
            formats.append(dotted)
    # Keep the canonical order, whatever order the file lists them in.
    return tuple(f for f in ALL_FORMATS if f in formats) or default
