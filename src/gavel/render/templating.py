"""The one Jinja2 environment for the HTML templates in ``templates/``.

Its templates are compiled ahead of time into ``compiled_templates/`` (``scripts/compile-templates``: Jinja's own
``compile_templates``, with a manifest of each source's SHA-256 and the Jinja version): compiling ``minutes.html``
costs ~100 million instructions (Jinja's lexer, parser and code generator, in Python), which every ``gavel replay``
process paid once, about a thousand instructions a line of a 100,000-line log. A compiled template is used only
while its source and the installed Jinja are the ones it was compiled from; any other is compiled as before.
``test_compiled_templates_are_fresh`` fails when one is stale.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    ModuleLoader,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
)
from markupsafe import Markup

from gavel.render.links import hms, html_text, iso
from gavel.render.minutes_items import action_items, summary_items

COMPILED = Path(__file__).with_name("compiled_templates")
MANIFEST = "manifest.json"


def _linked(text: str) -> Markup:
    """Jinja filter: escaped text with its safe URLs made links."""
    return Markup(html_text(text))  # noqa: S704 - html_text escapes everything it does not build itself


def source_digest(source: str) -> str:
    """What the manifest records of a template's source."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


class FreshModuleLoader(ModuleLoader):
    """Jinja's ``ModuleLoader`` for the templates named in ``fresh`` only (any other: ``TemplateNotFound``, so a
    ``ChoiceLoader`` goes on to the sources)."""

    def __init__(self, path: Path, fresh: frozenset[str]) -> None:
        super().__init__(path)
        self.fresh = fresh

    def load(self, environment: Environment, name: str, globals: MutableMapping[str, Any] | None = None) -> Template:
        if name not in self.fresh:
            raise TemplateNotFound(name)
        return super().load(environment, name, globals)


def fresh_compiled(sources: BaseLoader, environment: Environment, compiled: Path) -> frozenset[str]:
    """The templates in ``compiled`` whose source (read through ``sources``) and Jinja version are those of its
    manifest."""
    try:
        manifest = json.loads((compiled / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    if manifest.get("jinja") != jinja2.__version__:
        return frozenset()
    fresh = set()
    for name, digest in manifest.get("templates", {}).items():
        try:
            source = sources.get_source(environment, name)[0]
        except TemplateNotFound:
            continue
        if source_digest(source) == digest and (compiled / ModuleLoader.get_module_filename(name)).is_file():
            fresh.add(name)
    return frozenset(fresh)


def make_environment(
    package: str,
    *,
    keep_trailing_newline: bool = True,
    compiled: Path | None = None,
    **filters: Callable[..., object],
) -> Environment:
    """A Jinja2 environment for ``package``'s ``templates/``: autoescaped, strict, with the shared filters
    (``compiled``: where its templates were compiled ahead, used while fresh)."""
    sources = PackageLoader(package, "templates")
    env = Environment(
        loader=sources,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
    env.filters.update(linked=_linked, hms=hms, iso=iso, **filters)
    if compiled is not None:
        fresh = fresh_compiled(sources, env, compiled)
        if fresh:
            env.loader = ChoiceLoader([FreshModuleLoader(compiled, fresh), sources])
    return env


def compile_into(env: Environment, target: Path) -> list[str]:
    """Compile every template of ``env`` (its sources) into ``target``, with the manifest: what
    ``scripts/compile-templates`` runs. Returns the names compiled."""
    loader = env.loader
    sources = loader.loaders[-1] if isinstance(loader, ChoiceLoader) else loader
    assert sources is not None
    plain = env.overlay(loader=sources)
    target.mkdir(exist_ok=True)
    for stale in target.glob("tmpl_*.py"):
        stale.unlink()
    names = sorted(plain.list_templates())
    plain.compile_templates(target, zip=None, ignore_errors=False)
    manifest = {
        "jinja": jinja2.__version__,
        "templates": {name: source_digest(sources.get_source(plain, name)[0]) for name in names},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return names


def _environment(compiled: Path | None) -> Environment:
    return make_environment("gavel.render", compiled=compiled, summary_items=summary_items, action_items=action_items)


@functools.cache
def environment() -> Environment:
    """The minutes and log templates (``gavel/render/templates``), compiled ahead where fresh."""
    return _environment(COMPILED)


def source_environment() -> Environment:
    """``environment()`` compiling every template from its source (what ``compile_into`` compiles)."""
    return _environment(None)
