"""The minutes writers, by file extension."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gavel.render.minutes_html import html_chunks, render_html
from gavel.render.minutes_json import json_chunks, render_json
from gavel.render.minutes_md import markdown_chunks, render_markdown
from gavel.render.minutes_text import render_text, text_chunks
from gavel.render.view import MinutesView

MINUTES_WRITERS: dict[str, Callable[[MinutesView], str]] = {
    ".txt": render_text,
    ".html": render_html,
    ".md": render_markdown,
    ".json": render_json,
}

# The same documents as chunks, for writing files without holding a huge meeting's minutes as one string.
MINUTES_STREAMS: dict[str, Callable[[MinutesView], Iterable[str]]] = {
    ".txt": text_chunks,
    ".html": html_chunks,
    ".md": markdown_chunks,
    ".json": json_chunks,
}

__all__ = ["MINUTES_STREAMS", "MINUTES_WRITERS", "render_html", "render_json", "render_markdown", "render_text"]
