"""Many-writers test helper: one process storing meetings into a shared archive (``tests/test_archive_writers.py``).

Usage: ``python archive_writer_child.py URL START_AT PLAN``: open the archive at ``URL``, wait until the wall
clock reaches ``START_AT`` (seconds since the epoch, so that every writer starts at once), then store each
``<meeting><version>`` of ``PLAN`` (comma-separated, see ``writers_support.parse_plan``) in order. Prints
``stored N`` and exits 0, or prints the error and exits 1. Bounded: it waits at most 30 s for the start.
"""

from __future__ import annotations

import sys
import time

from gavel.storage.archive import open_archive
from writers_support import parse_plan, store_version


def main(url: str, start_at: float, plan: str) -> int:
    steps = parse_plan(plan)
    with open_archive(url) as archive:
        time.sleep(min(30.0, max(0.0, start_at - time.time())))
        for k, version in steps:
            store_version(archive, k, version)
    print(f"stored {len(steps)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]), sys.argv[3]))
