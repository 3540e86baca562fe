"""The log on a meeting page: which lines a page shows, and their HTML."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping

from markupsafe import Markup

from gavel.render.logs import LogHtmlWriter
from gavel.storage.archive import LogRow
from gavel.web.data import LogPage, log_line

LINES_PER_CHUNK = 256


def log_page(params: Mapping[str, str], count: int) -> LogPage:
    """The page of a meeting's log that ``?from=N`` asks for (the first page if N is missing or not a number; the
    last if N is past the end)."""
    raw = params.get("from", "").strip()
    line = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 1
    return LogPage.of(min(line, max(count, 1)), count)


class LogLinesHtml:
    """Log lines as HTML, by the ``.log.html`` writer, each wrapped in ``<div class="ln" id="l-N">``.

    The writer anchors only the time stamp; the page anchors the whole line instead, so a deep link
    (``#l-N``) highlights all of it.
    """

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = LogHtmlWriter(self._buffer, title="")

    def line(self, row: LogRow) -> str:
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._writer.write(log_line(row))
        html = buffer.getvalue()
        number = row.number
        anchor = f'<a href="#l-{number}" id="l-{number}">'
        if html.startswith(anchor) and html.endswith("\n"):
            return f'<div class="ln" id="l-{number}"><a href="#l-{number}">{html[len(anchor) : -1]}</div>\n'
        return f'<div class="ln">{html.rstrip()}</div>\n'  # pragma: no cover - the writer's format changed

    def chunks(self, rows: Iterable[LogRow]) -> Iterator[Markup]:
        """The lines' HTML, a few hundred lines per piece."""
        batch: list[str] = []
        for row in rows:
            batch.append(self.line(row))
            if len(batch) >= LINES_PER_CHUNK:
                yield Markup("".join(batch))  # noqa: S704 - the log writer escapes everything it writes
                batch = []
        if batch:
            yield Markup("".join(batch))  # noqa: S704
