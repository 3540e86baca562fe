"""Several writers storing overlapping meetings into one archive at once, on both backends: no error, every meeting
exactly once, each made of one writer's version only (see tests/writers_support.py).

Writers are processes (as bots and `gavel import` are; tests/archive_writer_child.py) or threads sharing one
open archive (as the channels of one bot). Every writer stores meeting 0 first, at the same moment, half of them
one version and half the other; then every meeting in an order of its own.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from gavel.storage.archive import Archive, open_archive
from gavel.storage.archive.store import meeting_key
from writers_support import MEETINGS, VERSIONS, check_archive, parse_plan, store_version

HERE = Path(__file__).parent
WRITERS = 4


def plans(seed: int) -> list[str]:
    """One plan per writer: meeting 0 first (versions alternating), then every meeting in a shuffled order."""
    rng = random.Random(seed)
    out = []
    for w in range(WRITERS):
        order = list(range(MEETINGS))
        rng.shuffle(order)
        steps = [f"0{VERSIONS[w % 2]}"] + [f"{k}{rng.choice(VERSIONS)}" for k in order]
        out.append(",".join(steps))
    return out


def run_processes(url: str, seed: int) -> None:
    start_at = time.time() + 2.0  # every child has opened the archive by then
    children = [
        subprocess.Popen(
            [sys.executable, str(HERE / "archive_writer_child.py"), url, str(start_at), plan],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for plan in plans(seed)
    ]
    results = []
    for child in children:
        try:
            out, err = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
        results.append((child.returncode, out, err))
    failed = [result for result in results if result[0] != 0]
    assert not failed, failed
    assert all(out.strip() == f"stored {MEETINGS + 1}" for _, out, _ in results), results


def run_threads(archive: Archive, seed: int) -> None:
    barrier = threading.Barrier(WRITERS, timeout=30)
    errors: list[BaseException] = []

    def write(plan: str) -> None:
        try:
            barrier.wait()
            for k, version in parse_plan(plan):
                store_version(archive, k, version)
        except BaseException as error:  # reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(plan,)) for plan in plans(seed)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors


def test_processes_store_the_same_meetings_at_once(archive_url: str) -> None:
    with open_archive(archive_url):  # the schema exists before the writers start
        pass
    for seed in (1, 2):  # the second round replaces every meeting stored by the first
        run_processes(archive_url, seed)
        with open_archive(archive_url) as archive:
            check_archive(archive)


def test_threads_store_the_same_meetings_at_once(archive: Archive) -> None:
    for seed in (3, 4):
        run_threads(archive, seed)
        check_archive(archive)


def test_the_check_sees_a_mixed_meeting(archive: Archive) -> None:
    """The check itself: a meeting whose lines are one version and whose minutes another is caught."""
    for k in range(MEETINGS):
        store_version(archive, k, "a")
    assert check_archive(archive) == dict.fromkeys(range(MEETINGS), "a")
    meeting = archive.meeting("team2", "team2.2024-05-03-14.00")
    assert meeting is not None
    with archive._transaction():
        archive._run("UPDATE meetings SET title = 'm2 vb' WHERE id = ?", (meeting.id,))
    try:
        check_archive(archive)
    except AssertionError as error:
        assert "meeting 2" in str(error)
    else:
        raise AssertionError("a mixed meeting passed the check")


def test_meeting_key_is_the_identity_in_any_process() -> None:
    start = datetime(2024, 5, 1, 14, 0, tzinfo=UTC)
    key = meeting_key("team", start, "#team")
    assert key == -1978397940481759144  # fixed: every process, every Python, derives the same number
    assert -(2**63) <= key < 2**63
    assert meeting_key("team", start.replace(tzinfo=None), "#team") == key  # a naive time is UTC
    assert meeting_key("team", start.astimezone(timezone(timedelta(hours=2))), "#team") == key
    others = {
        meeting_key("team2", start, "#team"),
        meeting_key("team", start + timedelta(microseconds=1), "#team"),
        meeting_key("team", start, "#team2"),
        meeting_key("#team", start, "team"),
        meeting_key("team", start, "#\ud800"),  # a lone surrogate is hashed, not an error
    }
    assert key not in others and len(others) == 5
