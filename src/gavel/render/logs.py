"""Streaming log writers: ``.log.txt`` and ``.log.html``, one line at a time.

A log may have a million lines, so nothing here holds the log in memory, and ``write`` is kept
lean: plain string formatting, ``html.escape`` and a precompiled regex only where needed.
"""

from __future__ import annotations

import re
import zlib
from html import escape
from typing import TextIO

import gavel
from gavel.core.commands import parse
from gavel.core.effects import LineKind, LogLine
from gavel.render.links import html_text
from gavel.render.templating import environment

_MESSAGE = LineKind.MESSAGE
_ACTION = LineKind.ACTION
_NICK = LineKind.NICK
PALETTE_SIZE = 16

# "#cmd rest": MeetBot styles a line that starts with a known command (as the core parses it);
# and a leading "nick:" address.
_COMMAND = re.compile(r"(\s*#\w+:?[ \t]*)(.*)\Z", re.DOTALL)
_ADDRESS = re.compile(r"([A-Za-z0-9_\-\[\]\\`^{}|]+:)(?!//)")


def _hms(line: LogLine) -> str:
    time = line.time
    return f"{time.hour:02d}:{time.minute:02d}:{time.second:02d}"


def format_log_line(line: LogLine) -> str:
    """The ``.log.txt`` form of one line (MeetBot's format)."""
    kind = line.kind
    if kind is _MESSAGE:
        return f"{_hms(line)} <{line.nick}> {line.text}"
    if kind is _ACTION:
        return f"{_hms(line)} * {line.nick} {line.text}"
    if kind is _NICK:
        return f"{_hms(line)} -!- {line.text}"
    return line.text


class LogTextWriter:
    """Writes ``.log.txt``: lines joined by ``\\n``, no newline after the last one (as MeetBot)."""

    def __init__(self, stream: TextIO, *, continuing: bool = False) -> None:
        self._stream = stream
        self._separator = "\n" if continuing else ""

    def write(self, line: LogLine) -> None:
        self._stream.write(self._separator + format_log_line(line))
        self._separator = "\n"

    def close(self) -> None:
        self._stream.flush()


def nick_colour(nick: str) -> int:
    """A stable palette index for ``nick`` (the same in every run and on every machine)."""
    return zlib.crc32(nick.lower().encode("utf-8")) % PALETTE_SIZE


def _message_body(text: str) -> str:
    """The HTML of a message: command lines and a leading ``nick:`` styled as MeetBot's log.html."""
    first = text[:1]
    if first == "#" or first.isspace():
        parsed = parse(text)
        match = _COMMAND.match(text) if parsed is not None else None
        if parsed is not None and match is not None:
            style = "topic" if parsed[0].name == "topic" else "cmd"
            return (
                f'<span class="{style}">{escape(match.group(1), quote=False)}</span>'
                f'<span class="{style}line">{html_text(match.group(2))}</span>'
            )
    match = _ADDRESS.match(text)
    if match is not None:
        address = match.group(1)
        return f'<span class="hi">{escape(address, quote=False)}</span>{html_text(text[len(address) :])}'
    return html_text(text)


class LogHtmlWriter:
    """Writes ``.log.html``: a page header, one anchored line per ``write``, a footer on ``close``."""

    def __init__(self, stream: TextIO, *, title: str) -> None:
        self._stream = stream
        self._nicks: dict[str, str] = {}
        self._actors: dict[str, str] = {}
        stream.write(environment().get_template("log_header.html").render(title=title))

    def _nick(self, nick: str) -> str:
        span = self._nicks.get(nick)
        if span is None:
            span = f'<span class="nk c{nick_colour(nick)}"> &lt;{escape(nick, quote=False)}&gt;</span> '
            self._nicks[nick] = span
        return span

    def _actor(self, nick: str) -> str:
        span = self._actors.get(nick)
        if span is None:
            span = f'<span class="nka c{nick_colour(nick)}"> * {escape(nick, quote=False)}</span> '
            self._actors[nick] = span
        return span

    def write(self, line: LogLine) -> None:
        number = line.number
        kind = line.kind
        if kind is _MESSAGE:
            body = self._nick(line.nick) + _message_body(line.text)
        elif kind is _ACTION:
            body = f'{self._actor(line.nick)}<span class="ac">{html_text(line.text)}</span>'
        elif kind is _NICK:
            body = f'<span class="sys"> -!- {html_text(line.text)}</span>'
        else:
            body = f'<span class="raw">{html_text(line.text)}</span>'
        self._stream.write(f'<a href="#l-{number}" id="l-{number}"><span class="tm">{_hms(line)}</span></a>{body}\n')

    def close(self) -> None:
        self._stream.write(environment().get_template("log_footer.html").render(version=gavel.__version__))
        self._stream.flush()
