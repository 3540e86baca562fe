"""The log on a meeting page: which lines a page shows, and their HTML.

A line is rendered as the ``.log.html`` file renders it (the nick and the text by the shared
:class:`LogLineHtml`), framed for the page: the file anchors only the time stamp, the page anchors
the whole line (``<div class="ln" id="l-N">``), so a deep link (``#l-N``) highlights all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from markupsafe import Markup

from gavel.render.logs import LineFrame, LogLineHtml, related_html
from gavel.storage.archive import LogRow
from gavel.web.data import LogPage, log_line

LINES_PER_CHUNK = 256


def log_page(params: Mapping[str, str], count: int) -> LogPage:
    """The page of a meeting's log that ``?from=N`` asks for (the first page if N is missing or not a number; the
    last if N is past the end)."""
    raw = params.get("from", "").strip()
    line = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 1
    return LogPage.of(min(line, max(count, 1)), count)


PAGE_FRAME = LineFrame('<div class="ln" id="l-', '"><a href="#l-', '"><span class="tm">', "</span></a>", "</div>\n")
"""A line on the page: the whole line is the anchor (``.log.html`` anchors the time stamp: ``FILE_FRAME``)."""


def _lines_html(lines: LogLineHtml, batch: list[LogRow], page: LogPage | None) -> Markup:
    logged = [log_line(row) for row in batch]
    html = lines.lines([line.row() for line in logged], (row.number for row in batch), PAGE_FRAME)
    for index, line in enumerate(logged):
        if line.relation is not None:  # a reply, thread line, edit or redaction (Matrix): linked to its line
            href = None if page is None or line.refers_to is None else page.href(line.refers_to)
            html[index] = related_html(line, html[index], PAGE_FRAME, href)
    return Markup("".join(html))  # noqa: S704 - LogLineHtml escapes the nick and the text; the rest is digits


def log_lines_html(rows: Iterable[LogRow], page: LogPage | None = None) -> Iterator[Markup]:
    """The lines' HTML, ``LINES_PER_CHUNK`` lines per piece; a line that relates to another links to it (on
    ``page``'s terms: the page that holds it when that is another)."""
    lines = LogLineHtml()
    batch: list[LogRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= LINES_PER_CHUNK:
            yield _lines_html(lines, batch, page)
            batch = []
    if batch:
        yield _lines_html(lines, batch, page)
