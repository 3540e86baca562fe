"""Replay benchmark: lines/s and peak RSS of `gavel replay` with every output, next to a floor.

The floor only reads the lines, applies one regex and writes .log.txt + .log.html: the least any
replay must do. Each measurement runs in a fresh child process so its peak RSS is its own.

Two workloads: ``chat`` (2-4% command lines, like most meetings) and ``busy`` (~17% command lines: topics, info,
links, actions with owners, agreements, votes; a real Fedora magazine meeting has 19%).

    .venv/bin/python benchmarks/replay.py                 # both workloads: 100k lines, plus 1M for the RSS check
    .venv/bin/python benchmarks/replay.py --workload busy --no-scale
    .venv/bin/python benchmarks/replay.py --workload busy --write busy.2026-11-24-14.00.log.txt  # the log only
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from callgrind import count_instructions
from gavel.app.output_tree import ALL_FORMATS
from gavel.app.replay import ReplayOptions, replay_file
from gavel.transports.replay import ReplayReport, read_rows

TARGETS = {"chat": 1.5, "busy": 2.0}  # gavel / floor, per workload
TARGET_RSS_MIB = 60.0
NICKS = [f"user{i}" for i in range(40)] + ["ünïcode", "renée", "李雷", "chair_"]
SENTENCE = (
    "the patch looks good to me but we need tests for the failure path and docs before "
    "it can land — let's revisit next week ✓ 👍 naïve café déjà vu <b>&amp;</b> nick: 42%"
)
WORDS = SENTENCE.split(" ")
URL = "https://example.org/review/x?y=1&z=<2>"
URL_SHARE = 0.04  # lines that carry a URL (the fixture: 0.6%; busy review meetings: a few %)


# A line maker: (rng, line number, nick, text, vote open?) -> the line (without its time).
LineMaker = Callable[[random.Random, int, str, str, bool], str]


def _topic(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"<chair_> #topic topic number {n}: {text[:40]}"


def _info(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"<{nick}> #info {text}"


def _action(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"<{nick}> #action {rng.choice(NICKS)} to {text}"


def _link(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"<{nick}> #link https://review.example.org/{n} {text[:30]}"


def _idea(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"<{nick}> #idea {text}"


def _agreed(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"<chair_> #agreed {text}"


def _start_or_end_vote(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return "<chair_> #endvote" if vote_open else f"<chair_> #startvote Ship release {n}? yes, no, later"


def _vote(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"<{nick}> #vote {rng.choice(('yes', 'no', 'later', 'YES'))}"


def _me(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"* {nick} {text}"


def _nick_change(rng: random.Random, n: int, nick: str, text: str, vote_open: bool) -> str:
    return f"-!- {nick} is now known as {nick}_away"


# Each workload: (share of lines, maker) in order; a vote line is made only while a vote is open (else the roll
# falls through to the next entry). Lines the table does not reach are chat.
CHAT_HEAVY: tuple[tuple[float, LineMaker], ...] = (
    (0.002, _topic),
    (0.004, _info),
    (0.002, _action),
    (0.001, _link),
    (0.001, _idea),
    (0.001, _start_or_end_vote),
    (0.009, _vote),
    (0.02, _me),
    (0.0005, _nick_change),
)
# A busy meeting (a real Fedora magazine meeting has 19% command lines): ~17% commands, most of them items.
COMMAND_DENSE: tuple[tuple[float, LineMaker], ...] = (
    (0.008, _topic),
    (0.06, _info),
    (0.03, _action),
    (0.015, _link),
    (0.01, _idea),
    (0.012, _agreed),
    (0.003, _start_or_end_vote),
    (0.06, _vote),  # only while a vote is open: about half of the time
    (0.02, _me),
    (0.0005, _nick_change),
)
WORKLOADS = {"chat": CHAT_HEAVY, "busy": COMMAND_DENSE}  # chat-heavy: 2-4% commands, like the seeds


def generate(path: Path, lines: int, seed: int = 1, mix: tuple[tuple[float, LineMaker], ...] = CHAT_HEAVY) -> None:
    """A deterministic meeting: chat mixed with commands (in the shares of ``mix``), unicode, votes, /me and nick
    changes."""
    rng = random.Random(seed)
    second = 14 * 3600

    def stamp() -> str:
        return time.strftime("%H:%M:%S", time.gmtime(second))

    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{stamp()} <chair_> #startmeeting bench meeting\n")
        vote_open = False
        for n in range(1, lines - 1):
            second += rng.choice((0, 1, 1, 2))
            nick = rng.choice(NICKS)
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 18)))
            if rng.random() < URL_SHARE:
                text += f" {URL}/{n}"
            roll = rng.random()
            line = f"<{nick}> {text}"
            bound = 0.0
            for share, make in mix:
                bound += share
                if roll < bound and (make is not _vote or vote_open):
                    line = make(rng, n, nick, text, vote_open)
                    vote_open ^= make is _start_or_end_vote
                    break
            out.write(f"{stamp()} {line}\n")
        out.write(f"{stamp()} <chair_> #endmeeting")


_FLOOR_RE = re.compile(r"(\d\d:\d\d:\d\d) <([^>\s]+)> (.*)")


def floor(log: Path, out: Path) -> int:
    """Read, one regex, write .log.txt and .log.html (the same per-line markup as gavel's log page)."""
    count = 0
    with (
        open(log, encoding="utf-8") as src,
        open(out / "floor.log.txt", "w", encoding="utf-8") as txt,
        open(out / "floor.log.html", "w", encoding="utf-8") as page,
    ):
        page.write("<!DOCTYPE html><html><body><pre>\n")
        for line in src:
            count += 1
            line = line.rstrip("\n")
            match = _FLOOR_RE.match(line)
            txt.write(line + "\n")
            if match:
                when, nick, text = match.groups()
                page.write(
                    f'<a href="#l-{count}" id="l-{count}"><span class="tm">{when}</span></a>'
                    f'<span class="nk c0"> &lt;{html.escape(nick)}&gt;</span> {html.escape(text)}\n'
                )
            else:
                page.write(f'<a href="#l-{count}" id="l-{count}"></a>{html.escape(line)}\n')
        page.write("</pre></body></html>\n")
    return count


def gavel_replay(log: Path, out: Path, formats: tuple[str, ...] = ALL_FORMATS) -> int:
    result = replay_file(log, ReplayOptions(output_dir=out, formats=formats))
    if result.error or len(result.meetings) != 1:
        raise SystemExit(f"replay failed: {result.error or result.warnings}")
    return result.lines


def read_only(log: Path, out: Path) -> int:
    """Only the replay transport: the log's rows, read and dropped batch by batch."""
    report = ReplayReport(str(log))
    with open(log, "rb") as stream:
        for _ in read_rows(stream, date(2026, 11, 24), report):
            pass
    return report.lines


def idle(log: Path, out: Path) -> int:
    """Nothing: a child that only starts and imports, which --instructions subtracts from the others."""
    return 0


def child(mode: str, log: Path, out: Path) -> None:
    """Run one measurement and print its figures as JSON (imports happen before the clock starts, as the
    floor's do; a whole `gavel replay` command adds about 0.1 s of start-up on top)."""
    started = time.perf_counter()
    runs = {"floor": floor, "gavel": gavel_replay, "idle": idle, "read": read_only}
    if mode.startswith("gavel:"):  # gavel:none, gavel:.log.html ...: a replay writing only those formats
        formats = tuple(name for name in mode[len("gavel:") :].split(",") if name != "none")
        lines = gavel_replay(log, out, formats)
    else:
        lines = runs[mode](log, out)
    elapsed = time.perf_counter() - started
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "lines": lines, "seconds": elapsed, "rss_mib": rss_mib}))


def measure(mode: str, log: Path, repeat: int) -> dict[str, float]:
    """Best time of ``repeat`` runs (each a fresh process), with the peak RSS of the slowest-memory run."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(log), out], check=True, capture_output=True, text=True
            )
        figures = json.loads(done.stdout)
        if not best or figures["seconds"] < best["seconds"]:
            best = {**figures, "rss_mib": max(figures["rss_mib"], best.get("rss_mib", 0.0))}
        else:
            best["rss_mib"] = max(best["rss_mib"], figures["rss_mib"])
    return best


def instructions(mode: str, log: Path) -> int:
    """Instructions one child runs (valgrind's callgrind counts them; stable where wall-clock time is not)."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, __file__, "--child", mode, str(log), out]
        return count_instructions(command, Path(out) / "callgrind.out")[0]


def report_instructions(workload: str, log: Path, lines: int) -> None:
    """Instructions per line of the floor and of gavel (start-up and imports subtracted), and their ratio."""
    idle = instructions("idle", log)
    low = instructions("floor", log) - idle
    ours = instructions("gavel", log) - idle
    print(
        f"{workload} workload, {lines:,} lines: floor {low / lines:,.0f} instructions/line, "
        f"gavel {ours / lines:,.0f} instructions/line, ratio {ours / low:.2f}"
    )


def report_parts(workload: str, log: Path, lines: int) -> None:
    """Instructions per line of each part alone: reading (the transport only), the core and the minutes view (a
    replay that writes no file, minus reading), and each output (a replay writing only it, minus one writing none)."""
    idle = instructions("idle", log)
    read = instructions("read", log)
    none = instructions("gavel:none", log)
    parts = {"reading": read - idle, "core + view": none - read}
    for name in ALL_FORMATS:
        parts[name] = instructions(f"gavel:{name}", log) - none
    print(f"{workload} workload, {lines:,} lines, instructions/line by part:")
    for name, count in parts.items():
        print(f"  {name:<12} {count / lines:>9,.0f}")
    print(f"  {'sum':<12} {sum(parts.values()) / lines:>9,.0f}")


def report(workload: str, target: float, rows: list[tuple[int, dict[str, float], dict[str, float]]]) -> None:
    header = ("lines", "floor lines/s", "gavel lines/s", "ratio", "floor RSS", "gavel RSS")
    print(f"{workload} workload")
    print("{:>9} {:>14} {:>14} {:>6} {:>10} {:>10}".format(*header))
    for size, low, ours in rows:
        ratio = ours["seconds"] / low["seconds"]
        print(
            f"{size:>9,} {size / low['seconds']:>14,.0f} {size / ours['seconds']:>14,.0f} {ratio:>6.2f} "
            f"{low['rss_mib']:>7.1f} MiB {ours['rss_mib']:>7.1f} MiB"
        )
    first = rows[0]
    ratio = first[2]["seconds"] / first[1]["seconds"]
    rss = max(row[2]["rss_mib"] for row in rows)
    print(
        f"target: ratio <= {target} -> {'met' if ratio <= target else 'MISSED'} ({ratio:.2f}); "
        f"peak RSS <= {TARGET_RSS_MIB:.0f} MiB -> {'met' if rss <= TARGET_RSS_MIB else 'MISSED'} ({rss:.1f} MiB)"
    )
    if len(rows) > 1:
        growth = rows[1][2]["rss_mib"] - rows[0][2]["rss_mib"]
        print(f"RSS growth from {rows[0][0]:,} to {rows[1][0]:,} lines: {growth:+.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-scale", action="store_true", help="skip the 1M-line RSS check")
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--write", metavar="LOG", help="only write the generated log (of --workload) to LOG")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions with valgrind instead of timing (slow)"
    )
    parser.add_argument(
        "--parts", action="store_true", help="with --instructions: each part alone (reading, core, each output)"
    )
    parser.add_argument("--child", nargs=3, metavar=("MODE", "LOG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return
    workloads = list(WORKLOADS) if args.workload == "all" else [args.workload]
    if args.write:
        generate(Path(args.write), args.lines, mix=WORKLOADS[workloads[0]])
        return
    work = Path(tempfile.mkdtemp(prefix="gavel-bench-"))
    try:
        for workload in workloads:
            if args.instructions:
                log = work / "bench_meeting.2026-11-24-14.00.log.txt"
                generate(log, args.lines, mix=WORKLOADS[workload])
                if args.parts:
                    report_parts(workload, log, args.lines)
                else:
                    report_instructions(workload, log, args.lines)
                continue
            sizes = [args.lines] + ([] if args.no_scale else [args.lines * 10])
            rows = []
            for size in sizes:
                log = work / "bench_meeting.2026-11-24-14.00.log.txt"
                generate(log, size, mix=WORKLOADS[workload])
                repeat = args.repeat if size == args.lines else 1
                rows.append((size, measure("floor", log, repeat), measure("gavel", log, repeat)))
            report(workload, TARGETS[workload], rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
