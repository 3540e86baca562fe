"""The templates compiled ahead (render/compiled_templates): fresh, used, and passed over when stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jinja2
from jinja2 import ChoiceLoader, PackageLoader

from gavel.render.templating import (
    COMPILED,
    MANIFEST,
    FreshModuleLoader,
    compile_into,
    environment,
    fresh_compiled,
    source_environment,
)


def test_compiled_templates_are_fresh(tmp_path: Path) -> None:
    """What scripts/compile-templates would write now is what is committed (run it after changing a template)."""
    names = compile_into(source_environment(), tmp_path)
    assert names == sorted(source_environment().list_templates())
    committed = sorted(path.name for path in COMPILED.iterdir() if path.name != "__pycache__")
    assert committed == sorted(path.name for path in tmp_path.iterdir())
    for path in tmp_path.iterdir():
        assert (COMPILED / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name


def test_the_environment_loads_every_template_compiled() -> None:
    loader = environment().loader
    assert isinstance(loader, ChoiceLoader)
    compiled = loader.loaders[0]
    assert isinstance(compiled, FreshModuleLoader)
    assert compiled.fresh == frozenset(source_environment().list_templates())
    assert environment().get_template("log_footer.html").render(version="9") == source_environment().get_template(
        "log_footer.html"
    ).render(version="9")


def test_a_stale_or_foreign_compiled_template_is_passed_over(tmp_path: Path) -> None:
    env = source_environment()
    sources = env.loader
    assert isinstance(sources, PackageLoader)
    target = tmp_path / "compiled"
    shutil.copytree(COMPILED, target, ignore=shutil.ignore_patterns("__pycache__"))
    assert fresh_compiled(sources, env, target) == frozenset(env.list_templates())
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    manifest["templates"]["minutes.html"] = "0" * 64  # compiled from another source
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert fresh_compiled(sources, env, target) == frozenset(env.list_templates()) - {"minutes.html"}
    manifest["jinja"] = jinja2.__version__ + ".other"  # compiled by another Jinja
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert fresh_compiled(sources, env, target) == frozenset()
    (target / MANIFEST).unlink()
    assert fresh_compiled(sources, env, target) == frozenset()
