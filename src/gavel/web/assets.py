"""The web's packaged files: its templates (``gavel/web/templates``) and static files (``gavel/web/static``)."""

from __future__ import annotations

import functools
from importlib import resources

from jinja2 import Environment

from gavel.render.logs import nick_colour
from gavel.render.templating import make_environment
from gavel.web.data import day_time

STATIC_FILES = {"gavel.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}


@functools.cache
def environment() -> Environment:
    """The web templates (``gavel/web/templates/*.html``), autoescaped."""
    return make_environment("gavel.web", keep_trailing_newline=False, day_time=day_time, colour=nick_colour)


@functools.cache
def static_file(name: str) -> bytes:
    """A file of ``gavel/web/static`` (only those named in ``STATIC_FILES``)."""
    if name not in STATIC_FILES:
        raise KeyError(name)
    return resources.files("gavel.web").joinpath("static", name).read_bytes()


def stylesheet() -> bytes:
    return static_file("gavel.css")
