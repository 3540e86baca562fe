"""`python -m gavel run` with timestamps for the Matrix benchmark's latency breakdown (benchmarks/matrix.py).

The benchmark starts gavel through this file instead of ``python -m gavel``: the same bot, the same process, with
two wrappers that write one line per fact to the file named by ``GAVEL_BENCH_PROBE`` (tab-separated, times from
``time.monotonic()``, which is one clock for every process of the machine):

    sync  TIME  EVENTS  OWN          a /sync answer reached the bot: its timeline events, how many were the bot's own
    got   TIME  EVENT_ID             a timeline event of that answer (before the bot handles any of them)
    put   ROOM  START  END           one of the bot's sends (its PUT), from before it to its answer

Nothing of gavel changes: the wrappers call the originals. The floor bot (benchmarks/matrix.py ``--floor``) writes
the same lines (``Probe``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TextIO


class Probe:
    """Writes the probe lines to ``path`` (line-buffered: a bot stopped by SIGTERM loses nothing)."""

    def __init__(self, path: str) -> None:
        self.stream: TextIO = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 -- open for the process

    def synced(self, response: dict[str, Any], me: str) -> None:
        now = time.monotonic()
        events = [
            event
            for joined in ((response.get("rooms") or {}).get("join") or {}).values()
            for event in (joined.get("timeline") or {}).get("events") or []
        ]
        own = sum(1 for event in events if event.get("sender") == me)
        lines = [f"sync\t{now:.6f}\t{len(events)}\t{own}\n"]
        lines += [f"got\t{now:.6f}\t{event.get('event_id')}\n" for event in events]
        self.stream.write("".join(lines))

    def put(self, room: str, start: float, end: float) -> None:
        self.stream.write(f"put\t{room}\t{start:.6f}\t{end:.6f}\n")


Sync = tuple[float, int, int]  # when, timeline events, the bot's own among them


def read_probe(path: str) -> tuple[dict[str, float], dict[str, list[tuple[float, float]]], list[Sync]]:
    """What a probe file holds: event id -> when the bot got it; room -> its sends (start, end) in order; each
    sync's (time, events, own events)."""
    got: dict[str, float] = {}
    puts: dict[str, list[tuple[float, float]]] = {}
    syncs: list[Sync] = []
    try:
        text = open(path, encoding="utf-8").read()  # noqa: SIM115 -- read whole
    except OSError:
        return got, puts, syncs
    for line in text.splitlines():
        fields = line.split("\t")
        try:
            if fields[0] == "got" and len(fields) == 3:
                got.setdefault(fields[2], float(fields[1]))
            elif fields[0] == "put" and len(fields) == 4:
                puts.setdefault(fields[1], []).append((float(fields[2]), float(fields[3])))
            elif fields[0] == "sync" and len(fields) == 4:
                syncs.append((float(fields[1]), int(fields[2]), int(fields[3])))
        except ValueError:
            continue  # a line cut by the bot's end
    for sends in puts.values():
        sends.sort()
    return got, puts, syncs


def install(path: str) -> None:
    """Wrap gavel's Matrix connection so that it writes the probe lines."""
    from gavel.transports.matrix import connection

    probe = Probe(path)
    handle: Callable[..., None] = connection.MatrixConnection._handle
    put: Callable[..., Awaitable[None]] = connection._put

    def probed_handle(self: connection.MatrixConnection, response: dict[str, Any], *args: Any) -> None:
        probe.synced(response, self.settings.user_id)
        handle(self, response, *args)

    async def probed_put(api: Any, room: str, item: Any) -> None:
        start = time.monotonic()
        await put(api, room, item)
        probe.put(room, start, time.monotonic())

    setattr(connection.MatrixConnection, "_handle", probed_handle)  # noqa: B010 -- a benchmark's wrapper
    setattr(connection, "_put", probed_put)  # noqa: B010


if __name__ == "__main__":
    install(os.environ["GAVEL_BENCH_PROBE"])
    from gavel.app.cli import main

    sys.argv[0] = "gavel"
    main()
