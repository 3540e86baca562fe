"""Streaming log writers: ``.log.txt`` and ``.log.html``, one line at a time.

A log may have a million lines, so nothing here holds the log in memory, and ``write`` is kept
lean: plain string formatting, ``html.escape`` and a precompiled regex only where needed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple, TextIO

import gavel
from gavel.core.commands import COMMANDS, parse
from gavel.core.effects import LineKind, LogLine, Relation
from gavel.core.events import Row
from gavel.render.links import escape_html, hms, html_text
from gavel.render.templating import environment

HtmlRow = tuple[LineKind, object, str, str, str]
"""What :meth:`LogLineHtml.lines` reads of a row (a ``Row``, or one without its datetime): kind, -, stamp, nick,
text."""

_MESSAGE = LineKind.MESSAGE
_ACTION = LineKind.ACTION
_NICK = LineKind.NICK
PALETTE_SIZE = 16

# "#cmd rest": MeetBot styles a line that starts with a known command (as the core parses it);
# and a leading "nick:" address.
_COMMAND = re.compile(r"(\s*#\w+:?[ \t]*)(.*)\Z", re.DOTALL)
_WORD = re.compile(r"\w+")  # a command name the pattern's `#\w+` reads whole
_ADDRESS = re.compile(r"([A-Za-z0-9_\-\[\]\\`^{}|]+:)(?!//)")


def _text_line(kind: LineKind, stamp: str, nick: str, text: str) -> str:
    if kind is _MESSAGE:
        return f"{stamp} <{nick}> {text}"
    if kind is _ACTION:
        return f"{stamp} * {nick} {text}"
    if kind is _NICK:
        return f"{stamp} -!- {text}"
    return text


def format_log_line(line: LogLine) -> str:
    """The ``.log.txt`` form of one line (MeetBot's format)."""
    return _text_line(line.kind, hms(line.time), line.nick, line.text)


class LogTextWriter:
    """Writes ``.log.txt``: lines joined by ``\\n``, no newline after the last one (as MeetBot)."""

    def __init__(self, stream: TextIO, *, continuing: bool = False) -> None:
        self._write = stream.write
        self._stream = stream
        self._separator = "\n" if continuing else ""

    def write(self, line: LogLine) -> None:
        self._write(self._separator + format_log_line(line))
        self._separator = "\n"

    def write_rows(self, rows: Sequence[Row]) -> None:
        """Write consecutive lines."""
        if not rows:
            return
        message = _MESSAGE
        lines = [
            f"{stamp} <{nick}> {text}" if kind is message else _text_line(kind, stamp, nick, text)
            for kind, _, stamp, nick, text in rows
        ]
        lines[0] = self._separator + lines[0]  # (not before the join: that would copy the whole batch again)
        self._write("\n".join(lines))
        self._separator = "\n"

    def close(self) -> None:
        self._stream.flush()


def nick_colour(nick: str) -> int:
    """A stable palette index for ``nick`` (the same in every run and on every machine)."""
    return zlib.crc32(nick.lower().encode("utf-8")) % PALETTE_SIZE


def _style(command: str) -> str:
    """The class of a command line's spans: ``#topic`` has its own, as in MeetBot's log."""
    return "topic" if command == "topic" else "cmd"


def _command_openings() -> dict[str, str]:
    """The HTML before the argument of the common command line, by its head: ``#name`` or ``#name:`` (a registry
    name or alias of word characters, in lower case) alone, or followed by one space (its key ends with it)."""
    openings: dict[str, str] = {}
    for command in COMMANDS:
        style = _style(command.name)
        for name in (command.name, *command.aliases):
            if _WORD.fullmatch(name) is None:  # "#present+": the pattern's \w+ stops at "+"
                continue
            for head in (f"#{name}", f"#{name}:", f"#{name} ", f"#{name}: "):
                openings[head] = f'<span class="{style}">{head}</span><span class="{style}line">'
    return openings


_COMMAND_OPENINGS = _command_openings()


def _message_body(text: str) -> str:
    """The HTML of a message: ``_message_body_reference``, with the common command line (``#name`` or ``#name:``
    in lower case, then one space not followed by a space or a tab, or the end) styled by one look-up of its head,
    without the parse and the pattern (``test_message_body_is_its_reference`` holds the two equal)."""
    first = text[:1]
    if first == "#":
        space = text.find(" ")
        if space < 0:
            opening = _COMMAND_OPENINGS.get(text)
            if opening is not None:
                return opening + "</span>"
        else:
            opening = _COMMAND_OPENINGS.get(text[: space + 1])
            after = text[space + 1 : space + 2]
            if opening is not None and after != " " and after != "\t":  # (more blanks belong to the head)
                return f"{opening}{html_text(text[space + 1 :])}</span>"
    if first == "#" or first.isspace():
        body = _command_body(text)
        if body is not None:
            return body
    return _plain_body(text)


def _message_body_reference(text: str) -> str:
    """The HTML of a message: command lines and a leading ``nick:`` styled as MeetBot's log.html."""
    first = text[:1]
    body = _command_body(text) if first == "#" or first.isspace() else None
    return _plain_body(text) if body is None else body


def _command_body(text: str) -> str | None:
    """The HTML of a command line (the core parses it so), else None."""
    parsed = parse(text)
    match = _COMMAND.match(text) if parsed is not None else None
    if parsed is None or match is None:
        return None
    style = _style(parsed[0].name)
    return (
        f'<span class="{style}">{escape_html(match.group(1))}</span>'
        f'<span class="{style}line">{html_text(match.group(2))}</span>'
    )


def _plain_body(text: str) -> str:
    """The HTML of a message that is no command line: a leading ``nick:`` styled, URLs linked."""
    colon = text.find(":")
    if colon > 0 and " " not in text[:colon]:  # "nick: ..." has its colon before any space
        match = _ADDRESS.match(text)
        if match is not None:
            address = match.group(1)
            return f'<span class="hi">{escape_html(address)}</span>{html_text(text[len(address) :])}'
    return html_text(text)


class LogLineHtml:
    """The HTML of log lines after their time stamps: the nick and the text, escaped and styled.

    Both the ``.log.html`` writer and the web's meeting page put these after a line's anchor and time stamp,
    so the two show every line alike. Each nick's span is made once: a log has few nicks and many lines.
    """

    def __init__(self) -> None:
        self._nicks: dict[str, str] = {}
        self._actors: dict[str, str] = {}

    def _nick(self, nick: str) -> str:
        span = self._nicks[nick] = f'<span class="nk c{nick_colour(nick)}"> &lt;{escape_html(nick)}&gt;</span> '
        return span

    def _actor(self, nick: str) -> str:
        span = self._actors[nick] = f'<span class="nka c{nick_colour(nick)}"> * {escape_html(nick)}</span> '
        return span

    def _other_line(self, kind: LineKind, nick: str, text: str) -> str:
        """The HTML of a line that is not a message."""
        if kind is _ACTION:
            actor = self._actors.get(nick) or self._actor(nick)
            return f'{actor}<span class="ac">{html_text(text)}</span>'
        if kind is _NICK:
            return f'<span class="sys"> -!- {html_text(text)}</span>'
        return f'<span class="raw">{html_text(text)}</span>'

    def lines(self, rows: Iterable[HtmlRow], numbers: Iterable[int], frame: LineFrame) -> list[str]:
        """The HTML of each row with its number, framed: one pass per batch (this runs once per log line)."""
        out: list[str] = []
        append = out.append
        nicks = self._nicks
        message = _MESSAGE
        a, b, c, d, e = frame
        for (kind, _, stamp, nick, text), number in zip(rows, numbers, strict=True):
            anchor = str(number)  # (formatted once: an f-string formats an int each time)
            if kind is message:  # the common case, inline
                span = nicks.get(nick) or self._nick(nick)
                if "#" in text or ":" in text:  # maybe a command, an address or a URL
                    body = _message_body(text)
                elif "&" in text or "<" in text or ">" in text:
                    body = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                else:
                    body = text
                append(f"{a}{anchor}{b}{anchor}{c}{stamp}{d}{span}{body}{e}")
            else:
                append(f"{a}{anchor}{b}{anchor}{c}{stamp}{d}{self._other_line(kind, nick, text)}{e}")
        return out


class LineFrame(NamedTuple):
    """What goes around a line's number (twice), time stamp and HTML: ``a N b N c stamp d html e``."""

    a: str
    b: str
    c: str
    d: str
    e: str


FILE_FRAME = LineFrame('<a href="#l-', '" id="l-', '"><span class="tm">', "</span></a>", "\n")
"""The ``.log.html`` file's frame: the time stamp is the line's anchor."""


_RELATION_WORDS = {
    Relation.REPLY: ("reply to line", "reply"),
    Relation.THREAD: ("in the thread of line", "in a thread"),
    Relation.EDIT: ("edit of line", "edit"),
    Relation.REDACTION: ("redaction of line", "redaction"),
}


def relation_note(relation: Relation, refers_to: int | None, href: str | None = None) -> str:
    """The HTML that marks a line as a reply, thread line, edit or redaction, linked to the line it refers to
    (``href``: that line's link, ``#l-N`` when not given)."""
    linked, alone = _RELATION_WORDS[relation]
    if refers_to is None:
        return f' <span class="rel">({alone})</span>'
    return f' <a class="rel" href="{href or f"#l-{refers_to}"}">({linked} {refers_to})</a>'


def related_html(line: LogLine, html: str, frame: LineFrame = FILE_FRAME, href: str | None = None) -> str:
    """``html`` (a line framed by ``frame``) with a link to the line ``line`` relates to, if any, before the frame's
    end (``href``: that line's link, ``#l-N`` when not given)."""
    if line.relation is None:
        return html
    end = len(frame.e)
    return html[:-end] + relation_note(line.relation, line.refers_to, href) + html[-end:]


class LogHtmlWriter:
    """Writes ``.log.html``: a page header, one anchored line per ``write``, a footer on ``close``."""

    def __init__(self, stream: TextIO, *, title: str) -> None:
        self._stream = stream
        self._write = stream.write
        self._lines = LogLineHtml()
        stream.write(environment().get_template("log_header.html").render(title=title))

    def write(self, line: LogLine) -> None:
        self._write(self.html(line))

    def html(self, line: LogLine) -> str:
        """The framed HTML of one line (with its link to a related line), as ``write`` writes it."""
        return related_html(line, self._lines.lines([line.row()], [line.number], FILE_FRAME)[0])

    def write_rows(self, first: int, rows: Sequence[Row]) -> None:
        """Write consecutive lines, the first numbered ``first``."""
        self._write("".join(self._lines.lines(rows, range(first, first + len(rows)), FILE_FRAME)))

    def close(self) -> None:
        self._stream.write(log_html_footer())
        self._stream.flush()


def log_html_footer() -> str:
    """What ``LogHtmlWriter.close`` writes after the last line."""
    return environment().get_template("log_footer.html").render(version=gavel.__version__)
