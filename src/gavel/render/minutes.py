"""The minutes writers, by file extension."""

from __future__ import annotations

from collections.abc import Callable

from gavel.render.minutes_html import render_html
from gavel.render.minutes_json import render_json
from gavel.render.minutes_md import render_markdown
from gavel.render.minutes_text import render_text
from gavel.render.view import MinutesView

MINUTES_WRITERS: dict[str, Callable[[MinutesView], str]] = {
    ".txt": render_text,
    ".html": render_html,
    ".md": render_markdown,
    ".json": render_json,
}

__all__ = ["MINUTES_WRITERS", "render_html", "render_json", "render_markdown", "render_text"]
