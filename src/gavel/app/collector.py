"""The cyclic garbage collector while a log is replayed.

Replaying a log makes objects that live until the minutes are written (items, votes, people) and a great many
short-lived ones. Every 700 net allocations CPython's collector walks the young objects, and every so often all of
them: with the ~170,000 items of a busy million-line meeting that was ~20% of the replay (76,000 against 96,000
lines/s with the collector off). Nothing the replay makes depends on the collector (reference counting frees
what is not in a cycle), so while a log is replayed its thresholds are raised, and put back after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

REPLAY_THRESHOLDS = (50_000, 50, 100)
"""Net allocations before a young collection, young collections before a middle one, middle before a full one
(CPython's defaults: 700, 10, 10)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the collector's thresholds for the block (those it had are put back, also when the block raises)."""
    before = gc.get_threshold()
    gc.set_threshold(*REPLAY_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
