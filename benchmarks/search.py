"""Archive search benchmark: latency of ``Archive.search`` (and ``/api/search``) over a 3M-line archive (SQLite or
PostgreSQL).

Generates (deterministically) a MeetBot tree shaped like ``import_archive.py``'s (the same series,
nicks, commands, votes, ``/me`` and nick changes) but with a realistic vocabulary: about half the
words are ``import_archive``'s few very common ones ("the", "patch", "release", ...), the rest are
drawn from 60,000 made-up words with a Zipf distribution, so there are rare, medium and common
words; a few lines address a nick (``user3: ...``) and ~3% of meetings are ``#restrictlogs``.
The tree is imported with ``gavel import``'s code into an SQLite archive, which is kept (``--db``,
default under the temporary directory) so that later runs start at once.

Then a fixed query mix runs through ``Archive.search``, each query ``--rounds`` times after one
warm-up pass: rare, medium and very common words, two words, phrases, prefixes, filters (series,
nick, kind, dates), later pages and hostile text; and a smaller sample through ``/api/search``
(Starlette's TestClient: routing, parameter checks, JSON), for the end-to-end figure. Prints
p50/p95/p99/max per category and overall, next to the target.

    .venv/bin/python benchmarks/search.py                      # 3M lines, cached in $TMPDIR
    .venv/bin/python benchmarks/search.py --lines 300000 --rounds 3
    .venv/bin/python benchmarks/search.py --db /var/tmp/search-bench.db --verbose
    .venv/bin/python benchmarks/search.py --lines 300000 --archive postgresql://user@host/empty_db
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

import psycopg

from gavel.app.importer import import_logs
from gavel.app.log_files import MEETBOT_LOGS, find_logs
from gavel.storage.archive import SearchQuery, SearchResults, open_archive, sqlite_path
from import_archive import NICKS, SERIES, WORDS, chat_line, server_cpu_reader

T = TypeVar("T")
TARGET_P95_MS = 50.0
GENERATOR_VERSION = 2  # bump when the generated archive changes (the cached file's name carries it)
VOCABULARY = 60_000
ZIPF_S = 1.1
COMMON_SHARE = 0.45  # of the words in a line, drawn from import_archive.WORDS (each of them is very common)
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def vocabulary() -> list[str]:
    """60,000 distinct made-up words (2-4 syllables), most frequent first; none is one of WORDS."""
    rng = random.Random(7)
    seen = {word.casefold() for word in WORDS}
    words: list[str] = []
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


@dataclass(frozen=True)
class Plan:
    index: int
    name: str
    start: datetime
    count: int
    restricted: bool


def plan_tree(total: int, seed: int, meeting_lines: int | None = None) -> list[Plan]:
    """Which meetings to write (as import_archive.generate_tree lays them out): at least ``total`` lines, in
    meetings of ``meeting_lines`` lines each (default: 300-5,000 lines, drawn)."""
    rng = random.Random(seed)
    day = datetime(2014, 1, 6, 14, 0)
    plans: list[Plan] = []
    lines = 0
    while lines < total:
        index = len(plans)
        name = SERIES[index % len(SERIES)]
        start = day + timedelta(days=25 * (index // len(SERIES)), hours=index % len(SERIES))
        count = rng.randint(300, 5000) if meeting_lines is None else meeting_lines
        plans.append(Plan(index, name, start, count, rng.random() < 0.03))
        lines += count
    return plans


class Words:
    """Draws a line's words: a common word (import_archive.WORDS) or a Zipf-distributed made-up one."""

    def __init__(self) -> None:
        self.rare = vocabulary()
        self.cumulative = list(accumulate(1 / (rank + 3) ** ZIPF_S for rank in range(len(self.rare))))
        self.nick_weights = list(accumulate(1 / (rank + 1) for rank in range(len(NICKS))))

    def text(self, rng: random.Random, count: int) -> str:
        out = []
        top = self.cumulative[-1]
        for _ in range(count):
            if rng.random() < COMMON_SHARE:
                out.append(rng.choice(WORDS))
            else:
                out.append(self.rare[bisect.bisect(self.cumulative, rng.random() * top)])
        return " ".join(out)

    def nick(self, rng: random.Random) -> str:
        return NICKS[bisect.bisect(self.nick_weights, rng.random() * self.nick_weights[-1])]


_WORDS: Words | None = None


def write_meeting(root: Path, plan: Plan, seed: int) -> int:
    """One meeting's log file (the same mix of lines as import_archive.meeting_lines); its line count."""
    global _WORDS
    if _WORDS is None:
        _WORDS = Words()
    words = _WORDS
    rng = random.Random(seed * 1_000_003 + plan.index)
    moment = plan.start
    out = [f"{moment:%H:%M:%S} <chair_> #startmeeting {plan.name}"]
    if plan.restricted:
        out.append(f"{moment:%H:%M:%S} <chair_> #restrictlogs")
    vote_open = False
    for n in range(len(out), plan.count - 1):
        moment += timedelta(seconds=rng.choice((0, 1, 1, 2, 5)))
        nick = words.nick(rng)
        text = words.text(rng, rng.randint(3, 18))
        if rng.random() < 0.12:
            text = f"{words.nick(rng)}: {text}"
        line, vote_open = chat_line(rng, n, nick, text, partial(words.nick, rng), f"{plan.index}/", vote_open=vote_open)
        out.append(f"{moment:%H:%M:%S} {line}")
    out.append(f"{moment:%H:%M:%S} <chair_> #endmeeting")
    path = root / plan.name / f"{plan.start:%Y}" / f"{plan.name}.{plan.start:%Y-%m-%d-%H.%M}.log.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return len(out)


def _write_chunk(args: tuple[Path, list[Plan], int]) -> int:
    root, plans, seed = args
    return sum(write_meeting(root, plan, seed) for plan in plans)


def generate_tree(root: Path, total: int, seed: int, jobs: int, meeting_lines: int | None) -> None:
    started = time.perf_counter()
    plans = plan_tree(total, seed, meeting_lines)
    chunks = [(root, plans[i :: max(1, jobs)], seed) for i in range(max(1, jobs))]
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        lines = sum(pool.map(_write_chunk, chunks))
    print(f"generated {len(plans)} meetings, {lines:,} lines in {time.perf_counter() - started:.1f} s")


def import_tree(url: str, root: Path, jobs: int) -> None:
    started = time.perf_counter()
    with open_archive(url) as archive:
        report = import_logs(archive, find_logs([root], MEETBOT_LOGS), jobs=jobs)
        assert report.failed == 0, report.errors
    print(f"imported {report.meetings} meetings, {report.lines:,} lines in {time.perf_counter() - started:.1f} s")


def build_archive(db: Path, total: int, seed: int, jobs: int, meeting_lines: int | None) -> None:
    """Generate the tree in a temporary directory and import it into ``db`` (written under another name first,
    so an interrupted run never leaves a half-filled cache)."""
    work = Path(tempfile.mkdtemp(prefix="gavel-search-bench-", dir=db.parent))
    try:
        generate_tree(work / "tree", total, seed, jobs, meeting_lines)
        partial = work / "archive.db"
        import_tree(f"sqlite://{partial}", work / "tree", jobs)
        with sqlite3.connect(partial) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial.replace(db)
        print(f"cached as {db}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fill_postgres(url: str, total: int, seed: int, jobs: int, meeting_lines: int | None) -> None:
    """Generate and import the tree into an empty PostgreSQL archive (then ANALYZE: the planner needs the
    statistics to choose between the GIN index and the primary key)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('meetings') IS NOT NULL").fetchone()
        if row is not None and row[0]:
            count = conn.execute("SELECT count(*) FROM meetings").fetchone()
            if count is not None and count[0]:
                print("using the meetings already in the archive")
                return
    work = Path(tempfile.mkdtemp(prefix="gavel-search-bench-"))
    try:
        generate_tree(work / "tree", total, seed, jobs, meeting_lines)
        import_tree(url, work / "tree", jobs)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def stored_lines(url: str) -> int:
    path = sqlite_path(url)
    if path is not None:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("SELECT count(*) FROM log_lines").fetchone()[0])
    with psycopg.connect(url) as pg:
        row = pg.execute("SELECT count(*) FROM log_lines").fetchone()
        return 0 if row is None else int(row[0])


# ---------------------------------------------------------------------------------------------- the query mix


@dataclass(frozen=True)
class Case:
    category: str
    query: SearchQuery

    @property
    def label(self) -> str:
        q = self.query
        extra = [
            f"{name}={value}"
            for name in ("series", "nick", "kind", "since", "until", "page")
            if (value := getattr(q, name)) not in (None, 1)
        ]
        return repr(q.text) + (" " + " ".join(extra) if extra else "")


def query_mix(first_year: int, last_year: int) -> list[Case]:
    """The fixed query mix (the same words for any --lines: ranks in the Zipf vocabulary)."""
    made_up = vocabulary()
    rare = [made_up[rank] for rank in (25_000, 38_000, 47_000, 52_000, 59_000)]
    medium = [made_up[rank] for rank in (60, 150, 400, 900, 2_000)]
    frequent = made_up[0]
    q = SearchQuery
    mid = first_year + (last_year - first_year) // 2
    cases: dict[str, list[SearchQuery]] = {
        "rare word": [*(q(word) for word in rare), q("4242"), q("known")],
        "medium word": [q(word) for word in medium],
        "common word": [q("the"), q("patch"), q("release"), q(frequent), q("user0"), q("tests")],
        "two words": [
            q(f"{rare[0]} {medium[0]}"),
            q(f"{medium[1]} {medium[2]}"),
            q(f"the {medium[3]}"),
            q("the patch"),
            q(f"release {frequent}"),
            q(f"{rare[1]} the"),
        ],
        "phrase": [
            q('"the patch"'),
            q('"mailing list"'),
            q('"failure path"'),
            q(f'"{medium[0]} {medium[1]}"'),
            q('"the patch looks good"'),
        ],
        "prefix": [q("relea*"), q("tes*"), q(f"{medium[2][:4]}*"), q(f"{rare[2][:5]}*"), q("pa*"), q("t*")],
        "filtered": [
            q("the", series="team_docs"),
            q("the", nick="user3"),
            q("the", kind="action"),
            q("release", kind="line", since=date(mid, 1, 1), until=date(mid + 1, 1, 1)),
            q("the", since=date(last_year, 6, 1)),
            q(medium[0], series="team_qa", since=date(mid, 1, 1)),
            q(rare[3], nick="user1"),
            q("the", nick="nobody_here"),
            q("patch", series="team_web", nick="user0", kind="line"),
            q("the", kind="topic", series="team_infra"),
        ],
        "later page": [
            q("the", page=2),
            q("the", page=50),
            q("release", page=5, per_page=50),
            q(medium[4], page=3),
            q("patch", page=400),
        ],
        "hostile": [
            q('"foo'),
            q("AND"),
            q("*"),
            q("-"),
            q('"the'),
            q("the AND"),
            q("NEAR(the patch"),
            q("-the"),
            q("the*"),
            q("the " * 16),
        ],
    }
    return [Case(category, query) for category, queries in cases.items() for query in queries]


# ---------------------------------------------------------------------------------------------- measuring


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, category: str, seconds: float) -> None:
        self.samples.setdefault(category, []).append(seconds * 1000)

    def table(self, title: str) -> str:
        rows = [f"{title:<16} {'n':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)"]
        everything = [ms for values in self.samples.values() for ms in values]
        for category, values in [*self.samples.items(), ("overall", everything)]:
            p50, p95, p99 = (percentile(values, p) for p in (50, 95, 99))
            rows.append(f"{category:<16} {len(values):>4} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {max(values):>8.1f}")
        return "\n".join(rows)

    def overall_p95(self) -> float:
        return percentile([ms for values in self.samples.values() for ms in values], 95)


def percentile(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def timed(call: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def describe(results: SearchResults) -> str:
    return f"{results.total:,}{'+' if results.total_capped else ''} hits"


def api_params(query: SearchQuery) -> dict[str, str | int]:
    params: dict[str, str | int] = {"q": query.text}
    for name in ("series", "channel", "nick", "kind"):
        if (value := getattr(query, name)) is not None:
            params[name] = value
    if query.since is not None:
        params["since"] = str(query.since)
    if query.until is not None:  # the API's until includes that day: ask for the day before
        assert isinstance(query.until, date)
        params["until"] = str(query.until - timedelta(days=1))
    if query.page != 1:
        params["page"] = query.page
    if query.per_page != 20:
        params["per_page"] = query.per_page
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--meeting-lines", type=int, help="lines per meeting (default: 300-5,000 each; the issue's shape: 100000)"
    )
    parser.add_argument("--db", type=Path, help="the archive file (generated when missing; default: in $TMPDIR)")
    parser.add_argument(
        "--archive", help="a postgresql:// archive instead (filled when it has no meetings; not cached otherwise)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="processes generating and parsing the tree")
    parser.add_argument("--rounds", type=int, default=5, help="timed runs of every query (after one warm-up run)")
    parser.add_argument("--api-rounds", type=int, default=3, help="timed runs of each /api/search sample query")
    parser.add_argument("--verbose", action="store_true", help="print every query's time and hit count")
    parser.add_argument("--cap", type=int, help="Archive.search_cap (default: the archive's own)")
    args = parser.parse_args()
    if args.archive:
        url = args.archive
        fill_postgres(url, args.lines, args.seed, args.jobs, args.meeting_lines)
    else:
        db: Path = args.db or Path(tempfile.gettempdir()) / (
            f"gavel-search-bench-{args.lines}-s{args.seed}-m{args.meeting_lines or 'mixed'}-v{GENERATOR_VERSION}.db"
        )
        db.parent.mkdir(parents=True, exist_ok=True)
        if not db.exists():
            build_archive(db, args.lines, args.seed, args.jobs, args.meeting_lines)
        else:
            print(f"using the cached archive {db} ({db.stat().st_size / 2**20:,.0f} MiB)")
        url = f"sqlite://{db}"

    lines = stored_lines(url)
    with open_archive(url) as archive:
        if args.cap is not None:
            archive.search_cap = args.cap
        series = archive.list_series(include_restricted=True)
        first = min(s.first_meeting_at for s in series).year
        last = max(s.last_meeting_at for s in series).year
        print(
            f"archive: {lines:,} log lines, {sum(s.meeting_count for s in series)} meetings, {first}-{last}; "
            f"search_cap {getattr(archive, 'search_cap', None)}"
        )
        cases = query_mix(first, last)
        for case in cases:  # warm-up: page cache, SQLite cache, statement cache
            archive.search(case.query)
        timings = Timings()
        cpu = Timings()  # CPU time: this process's (SQLite's work and ours) and the PostgreSQL backend's
        server_cpu = server_cpu_reader(archive)
        slowest: dict[str, float] = {}
        per_query: dict[str, list[float]] = {}  # CPU ms of each round, for --verbose
        for round_ in range(args.rounds):
            for case in cases:
                cpu_started = time.process_time() + server_cpu()
                seconds, results = timed(partial(archive.search, case.query))
                spent = time.process_time() + server_cpu() - cpu_started
                cpu.add(case.category, spent)
                per_query.setdefault(f"{case.category:<12} {case.label:<52}", []).append(spent * 1000)
                timings.add(case.category, seconds)
                slowest[case.label] = max(slowest.get(case.label, 0.0), seconds)
                if args.verbose and round_ == 0:
                    print(f"  {case.category:<12} {case.label:<52} {seconds * 1000:8.1f} ms  {describe(results)}")
        print()
        print(timings.table("Archive.search"))
        print()
        print(cpu.table("(CPU time)"))
        if args.verbose:
            print("\nCPU ms per query over the rounds (p50, max):")
            for label, values in per_query.items():
                print(f"  {label} {percentile(values, 50):8.1f} {max(values):8.1f}")

        from starlette.testclient import TestClient

        from gavel.web.app import create_app

        api = Timings()
        sample = [case for index, case in enumerate(cases) if index % 3 == 0]
        with TestClient(create_app(archive)) as client:
            for case in sample:
                response = client.get("/api/search?" + urlencode(api_params(case.query)))
                assert response.status_code == 200, (case.label, response.text[:200])
            for _ in range(args.api_rounds):
                for case in sample:
                    path = "/api/search?" + urlencode(api_params(case.query))
                    seconds, response = timed(partial(client.get, path))
                    assert response.status_code == 200
                    api.add(case.category, seconds)
        print()
        print(api.table("GET /api/search"))
        print()
        worst = sorted(slowest.items(), key=lambda item: -item[1])[:5]
        print("slowest queries: " + "; ".join(f"{label} {seconds * 1000:.0f} ms" for label, seconds in worst))
        p95 = timings.overall_p95()
        backend = "SQLite" if sqlite_path(url) is not None else "PostgreSQL"
        met = "met" if p95 <= TARGET_P95_MS else "MISSED"
        print(
            f"target ({backend}): Archive.search p95 <= {TARGET_P95_MS:.0f} ms over {lines:,} lines -> {met} "
            f"({p95:.1f} ms)"
        )


if __name__ == "__main__":
    main()
