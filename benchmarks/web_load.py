"""Web load benchmark: ``gavel serve --workers N`` under 20 concurrent clients while ``gavel import`` writes.

Builds an archive of generated meetings (``import_archive.py``'s kind of log, ``--lines`` in all), starts
``gavel serve`` on it in its own processes, then runs ``--clients`` closed-loop clients (each sends a request,
waits for the answer, sends the next, over one keep-alive connection) for ``--seconds``, while a ``gavel import``
process stores ``--import-lines`` more lines (meetings of other series) into the same archive. The clients mix
pages (the index and series pages), meetings (the minutes and the first 2,000 lines of the log) and searches.

Prints requests per second, p50/p95/p99/max latency per kind and overall, the errors (any status but 200, or a
failed connection), the server's CPU time per request (its processes' user + system time over the load: less
noisy than latencies on a shared machine), the clients' own CPU time per request (they share the two cores with
the server: ~0.3 ms a request, ~5% of the server's), and the import's rate under the load. Target:
p99 <= 250 ms and no errors. Besides the clients, a prober signs in and out (``/login``, ``/logout``) every half
second while the import writes, and the slowest of those is printed (with SQLite they once waited for the import's
write lock).

    .venv/bin/python benchmarks/web_load.py                                   # SQLite in $TMPDIR
    .venv/bin/python benchmarks/web_load.py --archive postgresql://user@host/empty_db
    .venv/bin/python benchmarks/web_load.py --workers 1 --clients 10 --seconds 10 --lines 100000
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import psutil

from gavel.app.importer import import_logs
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.storage.archive import open_archive
from import_archive import SERIES, generate_tree, meeting_lines

TARGET_P99_MS = 250.0
SEARCHES = ["zebra", "kubernetes backup", '"mailing list"', "relea*", "postgres", "deploy", "café", "李雷"]
MIX = (("page", 0.35), ("meeting", 0.35), ("search", 0.30))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_import_tree(root: Path, total: int, seed: int) -> int:
    """Meetings of series of their own (``load_<name>``), so that the import stores new meetings; their lines."""
    rng = random.Random(seed)
    day = datetime(2024, 1, 1, 9, 0)
    lines = files = 0
    while lines < total:
        name = f"load_{SERIES[files % len(SERIES)]}"
        start = day + timedelta(days=files // len(SERIES), hours=files % len(SERIES))
        count = rng.randint(300, 5000)
        path = root / name / f"{start:%Y}" / f"{name}.{start:%Y-%m-%d-%H.%M}.log.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(meeting_lines(rng, name, start, count)) + "\n", encoding="utf-8")
        files += 1
        lines += count
    return lines


@dataclass
class Results:
    """Latencies (seconds) per kind of request, and the errors."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error is not None:
                self.errors.append(f"{kind}: {error}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else 0.0


def targets(base_port: int) -> tuple[list[str], list[str]]:
    """Paths of pages (index, series) and of meetings, read from the running server's JSON API."""
    conn = http.client.HTTPConnection("127.0.0.1", base_port, timeout=60)
    conn.request("GET", "/api/series")
    series = [entry["name"] for entry in json.loads(conn.getresponse().read())["series"]]
    pages = ["/", *(f"/series/{quote(name)}" for name in series)]
    meetings: list[str] = []
    for name in series:
        conn.request("GET", f"/api/series/{quote(name)}")
        detail = json.loads(conn.getresponse().read())
        for year in detail["years"]:
            meetings.extend(meeting["url"] for meeting in year["meetings"])
    conn.close()
    return pages, meetings


def client(port: int, pages: list[str], meetings: list[str], stop: float, seed: int, results: Results) -> None:
    """One closed-loop client: a request, its whole answer, the next, until ``stop``."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < stop:
        kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
        if kind == "page":
            path = rng.choice(pages)
        elif kind == "meeting":
            path = rng.choice(meetings)
        else:
            path = "/search?" + urlencode({"q": rng.choice(SEARCHES), "page": rng.choice((1, 1, 1, 2))})
        started = time.monotonic()
        error = None
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                error = f"{response.status} {path}"
        except (OSError, http.client.HTTPException) as failure:
            error = f"{failure!r} {path}"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        results.add(kind, time.monotonic() - started, error)
    conn.close()


def sign_in_prober(port: int, token: str, stop: float, took: list[float], errors: list[str]) -> None:
    """Sign in and out every half second until ``stop``: the time of each sign-in and sign-out."""
    while time.monotonic() < stop:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            started = time.monotonic()
            body = urlencode({"token": token, "next": "/"})
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            conn.request("POST", "/login", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            took.append(time.monotonic() - started)
            cookie = (response.getheader("set-cookie") or "").split(";")[0]
            if response.status != 303 or not cookie:
                errors.append(f"sign-in: {response.status}")
            started = time.monotonic()
            conn.request("POST", "/logout", headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            took.append(time.monotonic() - started)
            if response.status != 303:
                errors.append(f"sign-out: {response.status}")
        except (OSError, http.client.HTTPException) as failure:
            errors.append(f"sign-in/out: {failure!r}")
        finally:
            conn.close()
        time.sleep(0.5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and its children (0 for those that are gone)."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        for process in (root, *root.children(recursive=True)):
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
    except psutil.NoSuchProcess:
        pass
    return total


def wait_for(port: int, server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise SystemExit("gavel serve exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/series")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("gavel serve did not start")
        time.sleep(0.1)


def backend_cpu(url: str) -> dict[int, tuple[str, float]]:
    """Each PostgreSQL process's name (the ``application_name`` of a client's backend: ``PGAPPNAME`` is set for the
    server and the import; else its ``backend_type``) and its user + system CPU time so far."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, coalesce(nullif(application_name, ''), backend_type) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid()"
        ).fetchall()
    found: dict[int, tuple[str, float]] = {}
    for pid, name in rows:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = psutil.Process(pid).cpu_times()
            found[pid] = (str(name), times.user + times.system)
    return found


def backend_cpu_by_name(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds spent between the two readings, summed by name (a process begun between them counts from 0;
    one ended between them is not counted)."""
    spent: dict[str, float] = defaultdict(float)
    for pid, (name, seconds) in after.items():
        spent[name] += seconds - before.get(pid, (name, 0.0))[1]
    return dict(spent)


def own_cpu_seconds() -> float:
    """User + system CPU time of this process (the clients and the sign-in prober during the load)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(results: Results, elapsed: float, server_cpu: float, clients_cpu: float) -> None:
    every = [value for values in results.latencies.values() for value in values]
    print(f"{len(every):,} requests in {elapsed:.1f} s: {len(every) / elapsed:,.0f} requests/s")
    if every:
        print(f"server CPU: {server_cpu:.1f} s, {1000 * server_cpu / len(every):.2f} ms per request")
        print(f"clients' CPU (this process): {clients_cpu:.1f} s, {1000 * clients_cpu / len(every):.2f} ms per request")
    print(f"{'kind':<10}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, values in [*sorted(results.latencies.items()), ("all", every)]:
        row = [percentile(values, p) * 1000 for p in (50, 95, 99, 100)]
        print(f"{kind:<10}{len(values):>8}" + "".join(f"{value:>9.1f}" for value in row))
    p99 = percentile(every, 99) * 1000
    verdict = "meets" if p99 <= TARGET_P99_MS and not results.errors else "misses"
    print(
        f"errors: {len(results.errors)}; p99 {p99:.0f} ms {verdict} the target "
        f"(p99 <= {TARGET_P99_MS:.0f} ms, 0 errors)"
    )
    for error in results.errors[:10]:
        print(f"  {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive", help="an empty archive's URL (default: a fresh SQLite file in $TMPDIR)")
    parser.add_argument("--lines", type=int, default=300_000, help="lines in the archive before the load")
    parser.add_argument("--import-lines", type=int, default=300_000, help="lines the concurrent import stores")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="gavel serve --workers")
    parser.add_argument("--no-import", action="store_true", help="no writer during the load")
    parser.add_argument(
        "--serve-option", action="append", default=[], help="one more argument for gavel serve (repeatable)"
    )
    parser.add_argument(
        "--import-option", action="append", default=[], help="one more argument for gavel import (repeatable)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gavel-web-load-"))
    server = None
    try:
        url = args.archive or f"sqlite://{work / 'archive.db'}"
        generate_tree(work / "base", args.lines)
        with open_archive(url) as archive:
            done = import_logs(archive, find_logs([work / "base"], MEETBOT_LOGS), jobs=2)
        print(f"archive: {done.meetings} meetings, {done.lines:,} lines ({url.split('://')[0]})")
        extra = write_import_tree(work / "more", args.import_lines, seed=7)
        port = free_port()
        token = secrets.token_urlsafe(32)
        env = {**os.environ, "GAVEL_ARCHIVE": url, "GAVEL_WEB_TOKEN": token, "PGAPPNAME": "gavel-serve"}
        postgres = url.startswith(("postgresql:", "postgres:"))
        command = [sys.executable, "-m", "gavel", "serve", "--port", str(port), "--workers", str(args.workers)]
        command += args.serve_option
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(port, server)
        pages, meetings = targets(port)
        load = os.getloadavg()[0]
        print(
            f"{args.clients} clients for {args.seconds:g} s against {args.workers} worker(s); "
            f"{len(pages)} pages, {len(meetings)} meetings; load average before: {load:.2f} on {os.cpu_count()} CPUs"
        )
        importer = None
        if not args.no_import:
            importer = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gavel",
                    "import",
                    "--quiet",
                    "--jobs",
                    "1",
                    *args.import_option,
                    str(work / "more"),
                ],
                env={**env, "PGAPPNAME": "gavel-import"},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        import_started = time.monotonic()
        results = Results()
        stop = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=client, args=(port, pages, meetings, stop, n, results)) for n in range(args.clients)
        ]
        sign_ins: list[float] = []
        sign_in_errors: list[str] = []
        threads.append(threading.Thread(target=sign_in_prober, args=(port, token, stop, sign_ins, sign_in_errors)))
        cpu_before = cpu_seconds(server.pid)
        own_before = own_cpu_seconds()
        import_before = 0.0 if importer is None else cpu_seconds(importer.pid)
        backends_before = backend_cpu(url) if postgres else {}
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        backends = backend_cpu_by_name(backends_before, backend_cpu(url)) if postgres else {}
        import_cpu = 0.0 if importer is None else cpu_seconds(importer.pid) - import_before
        report(results, elapsed, cpu_seconds(server.pid) - cpu_before, own_cpu_seconds() - own_before)
        if importer is not None:
            print(f"the import's processes (client and parsers) over the load: {import_cpu:.1f} s CPU")
        if backends:
            requests = sum(len(values) for values in results.latencies.values())
            serve = backends.pop("gavel-serve", 0.0)
            print(
                f"PostgreSQL CPU over the load: the server's backends {serve:.1f} s "
                f"({1000 * serve / max(1, requests):.2f} ms per request), "
                + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(backends.items()) if seconds >= 0.05)
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        slowest = max(sign_ins, default=0.0) * 1000
        print(
            f"sign-ins and sign-outs beside the load: {len(sign_ins)}, p50 {percentile(sign_ins, 50) * 1000:.0f} ms, "
            f"slowest {slowest:.0f} ms, errors: {len(sign_in_errors)} {sign_in_errors[:3]}"
        )
        if importer is not None:
            output = importer.communicate()[0].decode(errors="replace").strip().splitlines()
            took = time.monotonic() - import_started
            status = "done" if importer.returncode == 0 else f"FAILED ({importer.returncode})"
            print(f"import beside the load: {extra:,} lines, {status} {took:.1f} s after the load began")
            print(f"  {output[-1] if output else ''}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
