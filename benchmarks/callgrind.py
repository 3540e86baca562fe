"""Counting the instructions a command runs, with valgrind's callgrind (stable where wall-clock time is not, on
a busy machine): what ``replay.py --instructions`` and ``import_archive.py --instructions`` report."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def count_instructions(command: list[str], counts: Path) -> tuple[int, str]:
    """Run ``command`` under callgrind (its profile written to ``counts``): the instructions it ran and what it
    printed."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={counts}", *command],
        check=True,
        capture_output=True,
        text=True,
    )
    total = re.search(r"Collected : (\d+)", done.stderr)
    if total is None:
        raise SystemExit(f"no instruction count from valgrind: {done.stderr[-500:]}")
    return int(total.group(1)), done.stdout
