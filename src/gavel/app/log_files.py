"""Which files ``gavel replay`` and ``gavel import`` read: the files named, and the logs under the directories named."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MEETBOT_LOGS = (".log.txt",)  # MeetBot's logs: ``gavel import`` reads only these (their name carries the date)
CHANNEL_LOGS = (*MEETBOT_LOGS, ".log")  # ``gavel replay`` reads irssi/weechat channel logs too


def find_logs(paths: Iterable[Path], suffixes: tuple[str, ...] = CHANNEL_LOGS) -> list[Path]:
    """Each file of ``paths``, and every file whose name ends with one of ``suffixes`` under each directory of
    ``paths`` (at any depth: MeetBot's ``<name>/<YYYY>/`` tree, or flat); in the order given, a directory's files
    sorted, each file once."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            logs = (p for p in path.rglob("*") if p.name.endswith(suffixes) and p.is_file())
            found.update(dict.fromkeys(sorted(logs)))
        else:
            found[path] = None
    return list(found)
