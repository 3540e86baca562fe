"""Every writer's output for the fixture log, byte for byte, against tests/golden/."""

from __future__ import annotations

import difflib

import pytest

from render_support import golden_path, read_exact, render_all, unbalanced_tags

EXTENSIONS = (".txt", ".html", ".md", ".json", ".log.txt", ".log.html")
OUTPUTS = render_all()


def test_every_writer_has_a_golden_file() -> None:
    assert sorted(OUTPUTS) == sorted(EXTENSIONS)


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_output_matches_golden(extension: str) -> None:
    path = golden_path(extension)
    expected = read_exact(path) if path.exists() else ""
    got = OUTPUTS[extension]
    if got != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), got.splitlines(keepends=True), str(path), "rendered", n=2
        )
        shown = "".join(list(diff)[:80])
        pytest.fail(
            f"{extension} differs from {path}.\n"
            f"If the change is intended, run scripts/regen-golden and review `git diff tests/golden`.\n{shown}"
        )


@pytest.mark.parametrize("extension", [".html", ".log.html"])
def test_html_outputs_are_well_formed(extension: str) -> None:
    assert unbalanced_tags(OUTPUTS[extension]) == []
