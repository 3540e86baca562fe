"""`gavel migrate` benchmark: a generated archive copied SQLite -> PostgreSQL -> SQLite, in log lines per second, with
the peak RSS of each `gavel migrate` process (it streams: the figure should not grow with the archive).

Generates the tree of benchmarks/import_archive.py (``--lines`` lines in meetings of 300-5,000 lines), imports it
into an SQLite archive (kept at ``--sqlite`` when given, and reused), then runs ``gavel migrate`` ``--repeat`` times
each way, into a PostgreSQL database emptied before each run (``--postgres``: its tables are dropped!) and into a
fresh SQLite file.

    .venv/bin/python benchmarks/migrate.py --postgres postgresql://user@host/scratch --lines 1000000
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import psycopg

from gavel.app.importer import import_logs
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.storage.archive import open_archive
from import_archive import generate_tree

TABLES = (
    "action_owners", "actions", "attendance", "agenda", "people", "votes", "items", "log_lines", "meetings", "series",
    "web_secrets", "web_sessions", "web_login_failures", "gavel_schema",
)  # fmt: skip


def build_sqlite(path: Path, lines: int) -> int:
    """The archive at ``path`` (made from a generated tree unless it exists); its log lines."""
    if not path.exists():
        with tempfile.TemporaryDirectory(prefix="gavel-migrate-bench-") as tree:
            files, total = generate_tree(Path(tree), lines)
            print(f"generated {files} logs, {total:,} lines; importing into {path}", flush=True)
            with open_archive(f"sqlite://{path}") as archive:
                import_logs(archive, find_logs([Path(tree)], MEETBOT_LOGS), jobs=2)
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT sum(line_count) FROM meetings").fetchone()[0])


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_times(pid: int | str) -> tuple[int, list[int]]:
    """A process's parent and its utime, stime, cutime, cstime (clock ticks), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), [int(value) for value in fields[11:15]]


def postmaster(url: str) -> int:
    """The PostgreSQL server's main process (the parent of a backend; the server must run on this machine)."""
    with psycopg.connect(url) as conn:  # (while the backend lives)
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        return _process_times(row[0])[0]


def server_cpu(master: int) -> float:
    """CPU seconds of the server so far: its main process, its children alive, and those that ended (reaped)."""
    ticks = sum(_process_times(master)[1])
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent, times = _process_times(entry)
            except (OSError, IndexError):
                continue
            if parent == master:
                ticks += times[0] + times[1]
    return ticks / CLOCK_TICKS


def drop_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")


class Run(NamedTuple):
    seconds: float  # wall clock
    cpu: float  # the gavel migrate process's user + system CPU seconds
    server_cpu: float  # PostgreSQL's CPU seconds meanwhile
    rss: float  # peak RSS of the gavel migrate process (VmHWM, sampled every 0.1 s), MiB
    anonymous: float  # peak of its anonymous memory (heap; RSS also counts the pages of the SQLite file it maps), MiB


def _memory_kib(pid: int) -> tuple[int, int]:
    """VmHWM (the peak RSS since the process started its program) and RssAnon of a process ((0, 0) once it is
    gone). Not ``ru_maxrss``: a child's counts the RSS of the parent it was forked from, before ``exec``."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields.get("VmHWM", "0 kB").split()[0]), int(fields.get("RssAnon", "0 kB").split()[0])


def run_migrate(source: str, target: str, master: int) -> Run:
    """One ``gavel migrate`` process: its wall-clock seconds, CPU, the server's CPU and its peak memory."""
    server_before = server_cpu(master)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "gavel", "migrate", "--quiet", source, target],
        stderr=subprocess.DEVNULL,
    )
    peak = anonymous = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        high, anon = _memory_kib(process.pid)
        peak, anonymous = max(peak, high), max(anonymous, anon)
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"gavel migrate {source} {target} failed (status {process.returncode})")
    server = server_cpu(master) - server_before
    return Run(seconds, usage.ru_utime + usage.ru_stime, server, peak / 1024, anonymous / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", required=True, help="a scratch PostgreSQL database (its gavel tables are dropped)"
    )
    parser.add_argument("--sqlite", type=Path, help="the source archive (built when missing, reused when present)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gavel-migrate-") as scratch:
        source = args.sqlite or Path(scratch) / "source.db"
        lines = build_sqlite(source, args.lines)
        print(f"source: {lines:,} lines, {source.stat().st_size / 1e6:.0f} MB", flush=True)
        master = postmaster(args.postgres)
        figures: dict[str, list[Run]] = {"sqlite->postgresql": [], "postgresql->sqlite": []}
        for run in range(args.repeat):
            drop_postgres(args.postgres)
            back_path = Path(scratch) / f"back-{run}.db"
            for name, source_url, target_url in (
                ("sqlite->postgresql", f"sqlite://{source}", args.postgres),
                ("postgresql->sqlite", args.postgres, f"sqlite://{back_path}"),
            ):
                load = os.getloadavg()[0]
                done = run_migrate(source_url, target_url, master)
                figures[name].append(done)
                print(
                    f"run {run + 1} {name}: {done.seconds:.1f} s, {lines / done.seconds:,.0f} lines/s; CPU gavel "
                    f"{done.cpu:.1f} s + PostgreSQL {done.server_cpu:.1f} s = "
                    f"{lines / (done.cpu + done.server_cpu):,.0f} lines per CPU second; peak RSS {done.rss:.0f} MiB, "
                    f"anonymous {done.anonymous:.0f} MiB "
                    f"(load {load:.1f} before)",
                    flush=True,
                )
            back_path.unlink()
        for name, runs in figures.items():
            rates = [lines / r.seconds for r in runs]
            per_cpu = [lines / (r.cpu + r.server_cpu) for r in runs]
            print(
                f"{name}: median {statistics.median(rates):,.0f} lines/s (min {min(rates):,.0f}, max "
                f"{max(rates):,.0f}); median {statistics.median(per_cpu):,.0f} lines per CPU second (min "
                f"{min(per_cpu):,.0f}, max {max(per_cpu):,.0f}); peak RSS max {max(r.rss for r in runs):.0f} MiB, "
                f"anonymous max {max(r.anonymous for r in runs):.0f} MiB"
            )


if __name__ == "__main__":
    main()
