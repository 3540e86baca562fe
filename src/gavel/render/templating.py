"""The one Jinja2 environment for the HTML templates in ``templates/``."""

from __future__ import annotations

import functools
from collections.abc import Callable

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from gavel.render.links import hms, html_text, iso
from gavel.render.minutes_items import action_items, summary_items


def _linked(text: str) -> Markup:
    """Jinja filter: escaped text with its safe URLs made links."""
    return Markup(html_text(text))  # noqa: S704 - html_text escapes everything it does not build itself


def make_environment(
    package: str, *, keep_trailing_newline: bool = True, **filters: Callable[..., object]
) -> Environment:
    """A Jinja2 environment for ``package``'s ``templates/``: autoescaped, strict, with the shared filters."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
    env.filters.update(linked=_linked, hms=hms, iso=iso, **filters)
    return env


@functools.cache
def environment() -> Environment:
    """The minutes and log templates (``gavel/render/templates``)."""
    return make_environment("gavel.render", summary_items=summary_items, action_items=action_items)
