"""``.html`` minutes: semantic HTML5 from the ``minutes.html`` template."""

from __future__ import annotations

from collections.abc import Iterator

from gavel.render.templating import environment
from gavel.render.view import MinutesView


def render_html(view: MinutesView) -> str:
    """The ``.html`` minutes."""
    return environment().get_template("minutes.html").render(view=view)


def html_chunks(view: MinutesView) -> Iterator[str]:
    """The ``.html`` minutes as the template streams them."""
    return environment().get_template("minutes.html").generate(view=view)
