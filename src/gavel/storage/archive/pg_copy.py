"""Log lines as the text of one ``COPY log_lines ... FROM STDIN`` (PostgreSQL's text format), built in one pass.

:func:`copy_text` is the fast path of psycopg's ``Copy.write_row`` with :func:`tokens.tsvector_of` (the reference,
which ``gavel import``'s writer ran once per line, ~7 us of Python per line): the rows of a batch become one string,
written with one ``Copy.write``. Tests hold the two equal: the same rows stored either way read back the same, and
:func:`positioned` equals :func:`tokens.tsvector_of` for every token string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import add

from gavel.storage.archive.spool import LineRow, from_micros
from gavel.storage.archive.tokens import tsvector_of

COPY_LINES = "COPY log_lines (meeting_id, number, time, kind, nick, text, tsv, text_length, id) FROM STDIN"
"""The statement :func:`copy_text` writes for (its columns, in its order)."""
QUICK_POSITIONS = 1024
"""Lines of at most this many tokens (nearly all) get their positions from a list made once."""
_DAY = 86_400_000_000  # microseconds
_POSITIONS = tuple(f":{position}" for position in range(1, QUICK_POSITIONS + 1))
# What COPY's text format reads specially in a value: the delimiter (tab), the end of a row, the escape character.
_SPECIAL = re.compile(r"[\t\n\r\\]")
_ESCAPED = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def positioned(token_string: str) -> str:
    """:func:`tokens.tsvector_of`: the ``tsvector`` literal of tokens joined by spaces, each with its position."""
    found = token_string.split()
    if len(found) > QUICK_POSITIONS:
        return tsvector_of(token_string)
    return " ".join(map(add, found, _POSITIONS))  # (map stops at the end of found)


def escaped(value: str) -> str:
    """``value`` as a value of COPY's text format (tabs, line ends and backslashes escaped)."""
    return value.translate(_ESCAPED) if _SPECIAL.search(value) else value


def copy_text(meeting_id: int, rows: Sequence[LineRow], first_id: int) -> str:
    """The rows of meeting ``meeting_id`` as the data of :data:`COPY_LINES`: one line per row, their ids
    ``first_id`` on, in order.

    A row's time is written as ``YYYY-MM-DD HH:MM:SS.ffffff+00``, its date made once a day (a ``datetime`` and its
    ``isoformat`` took ~1.5 us a line: nearly every line has a time of its own). Its text and nick are escaped where
    they hold a tab, a line end or a backslash (``spool.clean`` took out NUL, which PostgreSQL cannot store), its
    tokens written as a ``tsvector`` literal (:func:`positioned`; letters and digits, which need no escaping).
    """
    out: list[str] = []
    append = out.append
    special = _SPECIAL.search
    last_day, date = None, ""
    for line_id, (number, when, kind, nick, text, found, size) in enumerate(rows, first_id):
        day, moment = divmod(when, _DAY)
        if day != last_day:  # (lines come in time order, most of a meeting's in one day)
            last_day, date = day, from_micros(when).date().isoformat()
        clock, fraction = divmod(moment, 1_000_000)
        minutes, seconds = divmod(clock, 60)
        stamp = f"{date} {minutes // 60:02}:{minutes % 60:02}:{seconds:02}.{fraction:06}+00"
        if special(text) or special(nick):
            nick, text = nick.translate(_ESCAPED), text.translate(_ESCAPED)
        append(f"{meeting_id}\t{number}\t{stamp}\t{kind}\t{nick}\t{text}\t{positioned(found)}\t{size}\t{line_id}\n")
    return "".join(out)
