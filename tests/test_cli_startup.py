"""`gavel --help` and a small `gavel replay` start fast: a command loads the heavy modules only when it runs, and
only those it needs (start-up figures in docs/design.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "data" / "k8s_integration_discussion.2016-03-16-14.30.log.txt"
# Runs the command line with the given arguments and writes the names of the modules loaded to the file named first.
PROBE = """
import atexit, json, sys

modules_file = sys.argv.pop(1)


def dump() -> None:
    with open(modules_file, "w", encoding="utf-8") as out:
        json.dump(sorted(sys.modules), out)


atexit.register(dump)
from gavel.app.cli import main

main(prog_name="gavel")
"""
# The web app and its server, the database drivers and archive backends, the progress bar, the live bot's machinery.
SERVING = ("starlette", "uvicorn", "gavel.web")
DATABASES = ("psycopg", "sqlite3", "gavel.storage.archive.sqlite", "gavel.storage.archive.postgres")
LIVE = ("asyncio", "gavel.app.live", "gavel.transports.irc")
PROCESSES = ("concurrent.futures", "multiprocessing")
HEAVY_FOR_REPLAY = (*SERVING, *DATABASES, *LIVE, *PROCESSES, "rich")
# The archive code, the core and the writers: the commands load them when they run.
HEAVY_FOR_HELP = (*HEAVY_FOR_REPLAY, "gavel.storage.archive", "gavel.core", "gavel.app.replay", "jinja2")


def loaded(tmp_path: Path, *args: str | Path) -> list[str]:
    """The modules loaded by `gavel ARGS` (which must succeed), in a fresh interpreter."""
    modules_file = tmp_path / "modules.json"
    command = [sys.executable, "-c", PROBE, str(modules_file), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    names: list[str] = json.loads(modules_file.read_text(encoding="utf-8"))
    return names


def among(names: list[str], packages: tuple[str, ...]) -> list[str]:
    return [name for name in names if name in packages or name.startswith(tuple(p + "." for p in packages))]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], *([command, "--help"] for command in ("replay", "import", "run", "serve", "export"))],
)
def test_help_loads_no_heavy_module(tmp_path: Path, args: list[str]) -> None:
    assert among(loaded(tmp_path, *args), HEAVY_FOR_HELP) == []


@pytest.mark.parametrize("quiet", [[], ["--quiet"]])
def test_replay_of_one_log_loads_only_what_it_needs(tmp_path: Path, quiet: list[str]) -> None:
    names = loaded(tmp_path, "replay", FIXTURE, "--output-dir", tmp_path / "out", *quiet)
    assert among(names, HEAVY_FOR_REPLAY) == []
    assert "gavel.app.replay" in names and "jinja2" in names  # the probe saw the replay


def test_an_irc_bot_loads_no_matrix_or_webhook_client() -> None:
    """mautrix and aiohttp (about 18 MiB) are for a bot that serves Matrix rooms or posts webhooks."""
    probe = "import sys, gavel.app.live; print(sorted(m for m in sys.modules if m.startswith(('mautrix', 'aiohttp'))))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
