"""Crash-test helper: appends events to a journal until killed (``tests/test_journal.py`` sends it SIGKILL).

Usage: ``python journal_crash_child.py PATH create|resume SYNC_EVERY``

It prints ``start N`` once the journal is open (N: the index of its first event), then, after every
``sync()``, the index of the last event that sync made durable, flushing stdout each time. Event ``i``
is always ``event_for(i)``, so the parent knows exactly what the journal must hold. Bounded: it stops
by itself after ``LIMIT`` events or ``SECONDS`` seconds.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gavel.core.events import Action, Event, Join, Message, NickChange, Part, Quit, RawLine, Tick
from gavel.storage.journal import Journal

T0 = datetime(2016, 3, 16, 14, 30, 39, tzinfo=UTC)
LIMIT = 2_000_000
SECONDS = 3.0
_WORDS = ("agreed", "#info café ☕", "naïve \ud800 lone surrogate", "x" * 700, "line\nbreak", '"quoted" \\ back')


def event_for(index: int) -> Event:
    """The ``index``-th event of the crash test: every kind, varied sizes (some lines are a few KiB)."""
    time = T0 + timedelta(microseconds=index * 1_001)
    nick = f"nick{index % 7}"
    text = f"{index} {_WORDS[index % len(_WORDS)]}" * (1 + (index % 13 == 0) * 6)
    match index % 9:
        case 0 | 1 | 2:
            return Message(time, nick, text, account=nick if index % 2 else None, msgid=f"id{index}")
        case 3:
            return Action(time, nick, text)
        case 4:
            return NickChange(time, nick, nick + "_")
        case 5:
            return Join(time, nick, account="acct" if index % 2 else None)
        case 6:
            return Part(time, nick) if index % 2 else Quit(time, nick)
        case 7:
            return RawLine(time, text)
        case _:
            return Tick(time)


def main(argv: list[str]) -> int:
    path, mode, every = Path(argv[1]), argv[2], int(argv[3])
    if mode == "create":
        journal = Journal.create(path, network="crashnet", channel="#crash", created=T0)
        start = 0
    else:
        journal = Journal.reopen(path)  # truncates the torn tail the last kill left
        start = len(Journal.read(path)[1])
    out = sys.stdout
    out.write(f"start {start}\n")
    out.flush()
    deadline = time.monotonic() + SECONDS
    for index in range(start, start + LIMIT):
        journal.append(event_for(index))
        if (index - start + 1) % every == 0:
            journal.sync()
            out.write(f"{index}\n")
            out.flush()
            if time.monotonic() > deadline:
                break
    journal.close()
    out.write("done\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
