"""Every writer's output for the fixture log, byte for byte, against tests/golden/."""

from __future__ import annotations

import difflib

import pytest

from render_support import FIXTURES, Fixture, golden_path, read_exact, render_all, unbalanced_tags

EXTENSIONS = (".txt", ".html", ".md", ".json", ".log.txt", ".log.html")
OUTPUTS = {fixture.basename: render_all(fixture) for fixture in FIXTURES}
CASES = [(fixture, extension) for fixture in FIXTURES for extension in EXTENSIONS]


def test_every_writer_has_a_golden_file() -> None:
    for outputs in OUTPUTS.values():
        assert sorted(outputs) == sorted(EXTENSIONS)


@pytest.mark.parametrize(("fixture", "extension"), CASES, ids=[f"{f.basename}{e}" for f, e in CASES])
def test_output_matches_golden(fixture: Fixture, extension: str) -> None:
    path = golden_path(extension, fixture)
    expected = read_exact(path) if path.exists() else ""
    got = OUTPUTS[fixture.basename][extension]
    if got != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), got.splitlines(keepends=True), str(path), "rendered", n=2
        )
        shown = "".join(list(diff)[:80])
        pytest.fail(
            f"{extension} differs from {path}.\n"
            f"If the change is intended, run scripts/regen-golden and review `git diff tests/golden`.\n{shown}"
        )


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.basename for f in FIXTURES])
@pytest.mark.parametrize("extension", [".html", ".log.html"])
def test_html_outputs_are_well_formed(fixture: Fixture, extension: str) -> None:
    assert unbalanced_tags(OUTPUTS[fixture.basename][extension]) == []
