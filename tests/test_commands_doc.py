"""docs/commands.md is generated from the command registry, and every registered command works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gavel.core import Meeting, MeetingSettings
from gavel.core.commands import COMMANDS, Command, Permission
from gavel.core.meeting import _ITEM_COMMANDS
from gavel.render.commands_doc import commands_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "commands.md"
GEN_DOCS = ROOT / "scripts" / "gen-docs"


def test_docs_commands_md_is_up_to_date() -> None:
    expected = commands_markdown()
    actual = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert actual == expected, "docs/commands.md is stale: run scripts/gen-docs and commit the result"


def test_markdown_lists_every_command_alias_and_permission() -> None:
    text = commands_markdown()
    rows = [line for line in text.splitlines() if line.startswith("| `#")]
    assert len(rows) == len(COMMANDS)
    for command, row in zip(COMMANDS, rows, strict=True):
        assert row.startswith(f"| `#{command.name}` |")
        for alias in command.aliases:
            assert f"`#{alias}`" in row
        assert f"| {command.permission.value} |" in row
        assert command.help in row
        usage = f"#{command.name} {command.usage}".rstrip()
        assert f"| `{usage}` |" in row


def test_markdown_table_cells_are_well_formed() -> None:
    for line in commands_markdown().splitlines():
        if line.startswith("| `#"):
            # Five cells: an unescaped "|" inside a cell would add one.
            assert line.replace("\\|", "").count("|") == 6, line
    assert commands_markdown().endswith("\n")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_has_a_handler(command: Command) -> None:
    meeting = Meeting(MeetingSettings(channel="#c"))
    has_item = command.name in _ITEM_COMMANDS
    has_method = meeting.handler(command.name) is not None
    assert has_item or has_method, f"#{command.name} has no handler"
    assert not (has_item and has_method), f"#{command.name} has two handlers"


def test_item_commands_are_all_registered() -> None:
    names = {command.name for command in COMMANDS}
    assert set(_ITEM_COMMANDS) <= names


def test_restricted_commands_have_a_refusal_verb() -> None:
    for command in COMMANDS:
        assert bool(command.verb) == (command.permission is not Permission.ANYONE), command.name


def test_gen_docs_script_writes_the_same_file(tmp_path: Path) -> None:
    assert os.access(GEN_DOCS, os.X_OK), "scripts/gen-docs must be executable"
    out = tmp_path / "commands.md"
    env = {**os.environ, "PYTHON": sys.executable}
    result = subprocess.run([str(GEN_DOCS), str(out)], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == commands_markdown()
