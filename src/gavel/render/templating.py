"""The one Jinja2 environment for the HTML templates in ``templates/``."""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from gavel.render.links import hms, html_text, iso


def _linked(text: str) -> Markup:
    """Jinja filter: escaped text with its safe URLs made links."""
    return Markup(html_text(text))  # noqa: S704 - html_text escapes everything it does not build itself


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("gavel.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["linked"] = _linked
    env.filters["hms"] = hms
    env.filters["iso"] = iso
    return env
