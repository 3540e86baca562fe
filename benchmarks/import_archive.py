"""Archive import benchmark: `gavel import` of a generated MeetBot tree into SQLite, in log lines per second.

Generates (deterministically) a tree of many meetings in several series over a decade, totalling at
least ``--lines`` log lines, then imports it with ``--jobs`` parsing processes and one writer, the
way ``gavel import`` does, and reports lines/s, the database size, the writer's peak RSS and a few
search timings.

    .venv/bin/python benchmarks/import_archive.py                    # 1M lines, --jobs 2
    .venv/bin/python benchmarks/import_archive.py --lines 200000 --jobs 1
    .venv/bin/python benchmarks/import_archive.py --busy             # meetings with ~17% command lines
    .venv/bin/python benchmarks/import_archive.py --lines 30000 --instructions  # valgrind counts, parse and store
    .venv/bin/python benchmarks/import_archive.py --lines 30000 --instructions --archive postgresql://...  # empty

``--instructions`` counts the instructions (valgrind's callgrind, stable where times are not on a busy machine)
of three child processes on the same tree: one that only starts, one that parses every file (as an import
worker does), one that parses and stores them into a fresh SQLite archive or the empty ``--archive`` (``--jobs 0``);
the differences are the parsers' and the writer's instructions per line (a PostgreSQL server's are not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import replay  # benchmarks/replay.py: the command-dense workload
from callgrind import count_instructions
from gavel.app.importer import import_logs, parse_for_archive
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.storage.archive import Archive, SearchQuery, open_archive, sqlite_path

TARGET_LINES_PER_SECOND = 100_000
SERIES = [f"team_{name}" for name in ("infra", "docs", "release", "security", "qa", "web", "core", "i18n")]
NICKS = [f"user{i}" for i in range(40)] + ["ünïcode", "renée", "李雷", "chair_"]
SENTENCE = (
    "the patch looks good to me but we need tests for the failure path and docs before "
    "it can land — let's revisit next week ✓ 👍 naïve café déjà vu <b>&amp;</b> nick: 42%"
)
WORDS = [*SENTENCE.split(" "), "release", "deploy", "kubernetes", "postgres", "backup", "zebra", "mailing", "list"]


def chat_line(
    rng: random.Random, n: int, nick: str, text: str, pick_nick: Callable[[], str], link: str, *, vote_open: bool
) -> tuple[str, bool]:
    """Line ``n`` of a generated meeting (without its time) and whether a vote is open after it: mostly chat, with
    topics, info, actions, links, votes, /me and nick changes (shared with benchmarks/search.py)."""
    roll = rng.random()
    if roll < 0.003:
        return f"<chair_> #topic topic {n}: {text[:40]}", vote_open
    if roll < 0.008:
        return f"<{nick}> #info {text}", vote_open
    if roll < 0.010:
        return f"<chair_> #action {pick_nick()} to {text}", vote_open
    if roll < 0.011:
        return f"<{nick}> #link https://review.example.org/{link}{n} {text[:30]}", vote_open
    if roll < 0.012:
        vote = "<chair_> #endvote" if vote_open else f"<chair_> #startvote Ship release {n}? yes, no, later"
        return vote, not vote_open
    if roll < 0.02 and vote_open:
        return f"<{nick}> #vote {rng.choice(('yes', 'no', 'later'))}", vote_open
    if roll < 0.04:
        return f"* {nick} {text}", vote_open
    if roll < 0.0405:
        return f"-!- {nick} is now known as {nick}_away", vote_open
    return f"<{nick}> {text}", vote_open


def meeting_lines(rng: random.Random, name: str, start: datetime, count: int) -> list[str]:
    """One meeting: chat mixed with topics, info, actions, links, votes, /me and nick changes."""
    moment = start
    out = [f"{moment:%H:%M:%S} <chair_> #startmeeting {name}"]
    vote_open = False
    for n in range(1, count - 1):
        moment += timedelta(seconds=rng.choice((0, 1, 1, 2, 5)))
        nick = rng.choice(NICKS)
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 18)))
        line, vote_open = chat_line(rng, n, nick, text, lambda: rng.choice(NICKS), "", vote_open=vote_open)
        out.append(f"{moment:%H:%M:%S} {line}")
    out.append(f"{moment:%H:%M:%S} <chair_> #endmeeting")
    return out


def generate_tree(root: Path, total: int, seed: int = 1, *, busy: bool = False) -> tuple[int, int]:
    """``<name>/<YYYY>/<name>.<YYYY-MM-DD-HH.MM>.log.txt`` files totalling at least ``total`` lines: (files, lines).
    ``busy``: meetings of replay.py's command-dense workload (~17% command lines) instead."""
    rng = random.Random(seed)
    day = datetime(2014, 1, 6, 14, 0)
    files = lines = 0
    while lines < total:
        name = SERIES[files % len(SERIES)]
        start = day + timedelta(days=7 * (files // len(SERIES)), hours=files % len(SERIES))
        count = rng.randint(300, 5000)
        path = root / name / f"{start:%Y}" / f"{name}.{start:%Y-%m-%d-%H.%M}.log.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        if busy:
            replay.generate(path, count, seed=files, mix=replay.COMMAND_DENSE)
        else:
            path.write_text("\n".join(meeting_lines(rng, name, start, count)) + "\n", encoding="utf-8")
        files += 1
        lines += count
    return files, lines


def server_cpu_reader(archive: Archive) -> Callable[[], float]:
    """A function giving the CPU seconds used so far by the PostgreSQL server's backends (from /proc/PID/schedstat,
    over the backends alive when it is called; 0 for SQLite, which runs in this process)."""
    if sqlite_path(archive.url) is None:
        seen: dict[int, float] = {}

        def used() -> float:
            with archive._connection():
                pids = [pid for (pid,) in archive._query("SELECT pid FROM pg_stat_activity")]
            for pid in pids:
                stat = Path(f"/proc/{pid}/schedstat")
                if stat.exists():
                    seen[pid] = int(stat.read_text().split()[0]) / 1e9
            return sum(seen.values())

        return used
    return lambda: 0.0


@contextmanager
def sampling(read: Callable[[], float], every: float = 0.1) -> Iterator[None]:
    """Call ``read`` every ``every`` seconds in a thread while the block runs (a backend's CPU time is seen only
    while it is alive: one that ends between two calls loses at most its last ``every`` seconds)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            read()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def child(mode: str, tree: Path, url: str | None = None) -> None:
    """One measured process: ``idle`` (start and imports only), ``parse`` (every file, in this process) or
    ``import`` (parse and store into ``url``, by default a fresh SQLite archive next to the tree); prints the lines
    as JSON."""
    logs = find_logs([tree], MEETBOT_LOGS)
    lines = 0
    if mode == "parse":
        for path in logs:
            parsed = parse_for_archive(path)  # (what an import worker does)
            lines += parsed.lines
            parsed.discard()
    elif mode == "import":
        with open_archive(url or f"sqlite://{tree.parent / 'instructions.db'}") as archive:
            lines = import_logs(archive, logs, jobs=0).lines
    print(json.dumps({"mode": mode, "lines": lines}))


def instructions(mode: str, tree: Path, url: str | None = None) -> tuple[int, int]:
    """Instructions a child runs (valgrind's callgrind counts them) and the lines it handled."""
    command = [sys.executable, __file__, "--child", mode, str(tree), *([url] if url else [])]
    total, printed = count_instructions(command, tree.parent / f"callgrind.{mode}.out")
    return total, json.loads(printed.splitlines()[-1])["lines"]


def report_instructions(work: Path, lines: int, busy: bool, url: str | None) -> None:
    """The parsers' and the writer's instructions per line (start-up and imports subtracted); ``url``: the archive
    to import into (an empty one; by default a fresh SQLite file). PostgreSQL's own instructions are not counted
    (its backends are other processes), only the writer's."""
    files, lines = generate_tree(work / "tree", lines, busy=busy)
    idle, _ = instructions("idle", work / "tree")
    parse, parsed = instructions("parse", work / "tree")
    both, stored = instructions("import", work / "tree", url)
    assert parsed == stored == lines, (parsed, stored, lines)
    print(
        f"{files} meetings, {lines:,} lines{' (busy)' if busy else ''}: parsing {(parse - idle) / lines:,.0f} "
        f"instructions/line, storing (the writer) {(both - parse) / lines:,.0f}, together {(both - idle) / lines:,.0f}"
    )


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], Path(sys.argv[3]), *sys.argv[4:5])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--busy", action="store_true", help="command-dense meetings (~17%% command lines)")
    parser.add_argument("--archive", help="archive URL (default: a fresh SQLite file in a temporary directory)")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions with valgrind instead of timing (slow)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gavel-import-bench-"))
    try:
        if args.instructions:
            report_instructions(work, args.lines, args.busy, args.archive)
            return
        started = time.perf_counter()
        files, lines = generate_tree(work / "tree", args.lines, busy=args.busy)
        print(f"generated {files} meetings, {lines:,} lines in {time.perf_counter() - started:.1f} s")
        os.sync()  # the tree's write-back must not compete with the import
        url = args.archive or f"sqlite://{work / 'archive.db'}"
        logs = find_logs([work / "tree"], MEETBOT_LOGS)
        with open_archive(url) as archive:
            server = server_cpu_reader(archive)
            server_started = server()
            cpu_started = time.process_time()
            children_started = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            with sampling(server):  # backends that end during the import (a bulk load's own connection) count too
                report = import_logs(archive, logs, jobs=args.jobs)
            elapsed = time.perf_counter() - started
            writer_cpu = time.process_time() - cpu_started
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            parse_cpu = children.ru_utime + children.ru_stime - children_started.ru_utime - children_started.ru_stime
            server_cpu = server() - server_started
            assert report.failed == 0, report.errors
            rate = report.lines / elapsed
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"imported {report.meetings} meetings, {report.lines:,} lines in {elapsed:.1f} s with --jobs "
                f"{args.jobs}: {rate:,.0f} lines/s; writer peak RSS {rss:.0f} MiB"
            )
            # CPU seconds, whatever else the machine runs: the writer (this process), the parsing processes, and
            # the PostgreSQL backend serving the writer's connection (its own CPU, from /proc)
            print(
                f"CPU: writer {writer_cpu:.1f} s ({report.lines / max(writer_cpu, 1e-9):,.0f} lines per writer CPU "
                f"second), parsers {parse_cpu:.1f} s"
                + (
                    f", PostgreSQL backend {server_cpu:.1f} s (writer + backend: "
                    f"{report.lines / max(writer_cpu + server_cpu, 1e-9):,.0f} lines per CPU second)"
                    if server_cpu
                    else ""
                )
            )
            for text in ("zebra", "kubernetes backup", '"mailing list"', "relea*", "李雷"):
                started = time.perf_counter()
                results = archive.search(SearchQuery(text))
                print(f"search {text!r}: {results.total:,} hits, first page in {time.perf_counter() - started:.3f} s")
            started = time.perf_counter()
            again = import_logs(archive, logs, jobs=args.jobs)
            print(f"resume: {again.skipped} files skipped in {time.perf_counter() - started:.2f} s")
        if args.archive is None:
            size = (work / "archive.db").stat().st_size / 2**20
            print(f"database: {size:,.0f} MiB (log text {sum(p.stat().st_size for p in logs) / 2**20:,.0f} MiB)")
        met = "met" if rate >= TARGET_LINES_PER_SECOND else "MISSED"
        print(f"target: >= {TARGET_LINES_PER_SECOND:,} lines/s -> {met} ({rate:,.0f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
