"""Live benchmark: N concurrent meetings on a loopback InspIRCd; command-to-reply latency, bot CPU and peak RSS.

The bot runs as in production (`python -m gavel run --config FILE`, a child process) against a real InspIRCd
(tests/ircd.py) on 127.0.0.1, one channel per meeting. One scripted user per channel (tests/irc_client.py, all in this
process) starts a meeting, then every round sends a few ordinary lines (chat, /me, #info, #idea, #vote) and one command
the bot answers (#startvote, #showvote, #endvote, #showvote in turn). Latency is from just before the command is written
to the user's socket to the moment the bot's reply is read back in that channel. Rounds are paced (a fixed schedule per
user, phases spread over the interval), so the bot sees a steady load rather than synchronised bursts. At the end every
meeting is ended and its minutes are checked on disk (every format present, every line sent in its log).

Flood control is set out of the way (a burst of 1,000,000 lines, 1 ms interval): the latency target excludes the
token bucket's deliberate delay, and the test server never throttles (tests/ircd.py: fakelag off, huge thresholds).

Next to gavel, the same load runs against a *floor*: a minimal bot (in this file) that asks the server for the same
capabilities, joins the same channels and answers the same commands with the same lines, but logs, journals and
renders nothing; then the floor again with TCP_QUICKACK set on its socket after every read. InspIRCd does not set
TCP_NODELAY on client sockets, so a line for the bot can wait in the server's kernel (Nagle) until the bot's kernel
acknowledges the previous one, which delayed ACK holds back up to ~40 ms: the two floors show how much of the latency
is that transport effect rather than the bot's own work.

    .venv/bin/python benchmarks/live.py                      # 200 meetings, 15 rounds of 1 s, with the floors
    .venv/bin/python benchmarks/live.py --quick              # 20 meetings, 5 rounds
    .venv/bin/python benchmarks/live.py --no-floor --meetings 300 --rounds 10 --interval 0.5 --chat 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from irctokens.line import Line
from irctokens.stateful import StatefulDecoder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from irc_client import IrcUser, connect_many
from ircd import Ircd
from live_support import bot_in_channel, write_config

TARGET_P99_MS = 50.0
TARGET_RSS_MIB = 150.0
BOT = "gavel"
FLOOD_BURST = 1_000_000
FLOOD_INTERVAL = 0.001
REPLY_TIMEOUT = 10.0  # seconds a user waits for the answer to one command
MINUTES_SUFFIXES = (".log.txt", ".log.html", ".html", ".txt", ".md", ".json")
# Meetings started (and ended) at once. Each start queues 4 lines (3 replies and a TOPIC) on the bot's one connection,
# whose queue holds 500 lines (gavel.transports.irc.connection.MAX_PENDING): 200 starts at once overflow it.
WAVE = 50
SENTENCE = "the patch looks good to me but we need tests for the failure path ✓ naïve café déjà vu <b>&amp;</b> 42%"
WORDS = SENTENCE.split(" ")
TICKS = os.sysconf("SC_CLK_TCK")
# What gavel asks for (but sasl, which it does not use here).
FLOOR_CAPS = "server-time message-tags account-tag extended-join account-notify away-notify echo-message multi-prefix"
KINDS = {"gavel": "gavel", "floor": "floor bot", "quickack": "floor bot + TCP_QUICKACK"}


def channel_names(count: int) -> list[str]:
    return [f"#bench{i:03d}" for i in range(count)]


class BenchIrcd(Ircd):
    """The test server, with room for ``channels`` channels per client (the bot joins every meeting's channel)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels

    def _write_ircd_config(self) -> None:
        super()._write_ircd_config()
        path = self._dir / "inspircd.conf"
        text = path.read_text()
        limit = max(200, self.channels + 10)
        for pattern, replacement in (
            (r'maxchans="\d+"', f'maxchans="{limit}"'),
            (r'<channels users="\d+" opers="\d+">', f'<channels users="{limit}" opers="{limit}">'),
        ):
            text, count = re.subn(pattern, replacement, text)
            if count != 1:
                raise SystemExit(f"tests/ircd.py's config changed: cannot raise the channel limit ({pattern})")
        path.write_text(text)

    @property
    def pid(self) -> int:
        if self._ircd is None:
            raise RuntimeError("inspircd is not running")
        return self._ircd.pid


class TimedLines(list[Line]):
    """``IrcUser.lines`` that also records when each line was read (``time.perf_counter``)."""

    def __init__(self, lines: Iterable[Line] = ()) -> None:
        super().__init__(lines)
        self.times = [math.nan] * len(self)

    def append(self, line: Line) -> None:
        self.times.append(time.perf_counter())
        super().append(line)


@dataclass
class Result:
    kind: str
    latencies: list[float] = field(default_factory=list)  # seconds, ascending once the load is over
    sent: dict[str, int] = field(default_factory=dict)  # nick -> lines said in its channel while its meeting ran
    timeouts: int = 0
    lines_in: int = 0
    replies: int = 0
    load_seconds: float = math.nan
    cpu_load: float = math.nan
    ircd_load: float = math.nan
    clients_load: float = math.nan
    cpu_total: float = math.nan
    rss_peak: float = math.nan
    end_seconds: float = math.nan
    complete: int = 0
    problems: list[str] = field(default_factory=list)
    open_journals: int = 0
    log_markers: list[str] = field(default_factory=list)

    def ms(self, share: float) -> float:
        if not self.latencies:
            return math.inf
        rank = max(1, math.ceil(share * len(self.latencies)))  # nearest rank
        return self.latencies[rank - 1] * 1000


# ---------------------------------------------------------------------------------------------------------------------
# Processes


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status_mib(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {key} in /proc/{pid}/status")


def spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, a bounded wait, then SIGKILL to its process group."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


# ---------------------------------------------------------------------------------------------------------------------
# The floor bot (a child process: `live.py --floor-bot HOST PORT MEETINGS QUICKACK`)


def floor_replies(nick: str, text: str, questions: dict[str, str], channel: str) -> list[str]:
    """What gavel says to ``text`` (only the commands this benchmark sends; the same lines, not the same logic)."""
    command, _, arg = text.partition(" ")
    if command == "#startmeeting":
        return [
            "Meeting started (floor) and is due to finish in 60 minutes.  The chair is " + nick + ".",
            "Useful Commands: #action #agreed #help #info #idea #link #topic #startvote.",
            f"The meeting name has been set to '{arg.replace(' ', '_')}'",
        ]
    if command == "#endmeeting":
        url = f"https://meetings.example.org/{nick}"
        return ["Meeting ended (floor).", f"Minutes:        {url}.html", f"Minutes (text): {url}.txt", f"Log: {url}"]
    if command == "#startvote":
        question = arg[: arg.index("?") + 1]
        questions[channel] = question
        return [
            f"Begin voting on: {question} Valid vote options are yes, no, later.",
            "Vote using '#vote OPTION'. Only your last vote counts.",
        ]
    if command == "#showvote":
        question = questions.get(channel, "")
        return [f"{question} yes (1)" if question else f"{nick}: there is no vote in progress."]
    if command == "#endvote":
        question = questions.pop(channel, "")
        return [f'Voted on "{question}" Results are: yes (1)' if question else f"{nick}: there is no vote in progress."]
    return []


async def floor_bot(host: str, port: int, meetings: int, quickack: bool) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    sock: socket.socket = writer.get_extra_info("socket")
    channels = channel_names(meetings)
    questions: dict[str, str] = {}
    decoder = StatefulDecoder()

    def send(text: str) -> None:
        writer.write(text.encode() + b"\r\n")

    send("CAP LS 302")
    send(f"NICK {BOT}")
    send("USER floor 0 * :floor bot")
    while data := await reader.read(65536):
        if quickack:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        for line in decoder.push(data) or ():
            if line.command == "PING":
                send(f"PONG :{line.params[-1]}")
            elif line.command == "CAP" and line.params[1] == "LS" and line.params[2] != "*":
                send(f"CAP REQ :{FLOOR_CAPS}")
            elif line.command == "CAP" and line.params[1] in ("ACK", "NAK"):
                send("CAP END")
            elif line.command == "001":
                for channel in channels:
                    send(f"JOIN {channel}")
            elif line.command == "PRIVMSG" and line.source and line.params[0].startswith("#"):
                nick = line.hostmask.nickname
                if nick != BOT:
                    for reply in floor_replies(nick, line.params[1], questions, line.params[0]):
                        send(f"PRIVMSG {line.params[0]} :{reply}")
        await writer.drain()


# ---------------------------------------------------------------------------------------------------------------------
# The users


def from_bot(prefix: str, channel: str) -> Callable[[Line], bool]:
    def predicate(line: Line) -> bool:
        return (
            line.command == "PRIVMSG"
            and line.source is not None
            and line.hostmask.nickname == BOT
            and line.params[0] == channel
            and line.params[-1].startswith(prefix)
        )

    return predicate


async def bot_says(user: IrcUser, channel: str, prefix: str, timeout: float, since: int) -> float:
    """Wait for the bot to say ``prefix``... in ``channel`` (from line ``since`` on); when that line was read."""
    line = await user.wait_for(from_bot(prefix, channel), timeout, since=since)
    lines = user.lines
    assert isinstance(lines, TimedLines)
    index = next(i for i in range(len(lines) - 1, since - 1, -1) if lines[i] is line)
    return lines.times[index]


def chat_line(rng: random.Random, vote_open: bool) -> tuple[str, bool]:
    """An ordinary line (no reply expected): (text, is it a /me action)."""
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 16)))
    roll = rng.random()
    if roll < 0.1:
        return text, True
    if roll < 0.2:
        return f"#info {text}", False
    if roll < 0.25:
        return f"#idea {text}", False
    if roll < 0.4 and vote_open:
        return f"#vote {rng.choice(('yes', 'no', 'later'))}", False
    return text, False


# (command, start of the bot's reply, is a vote open afterwards); {n}: this round, {m}: the round that opened the vote
COMMANDS = (
    ("#startvote Ship release {n}? yes, no, later", "Begin voting on: Ship release {n}?", True),
    ("#showvote", "Ship release {m}?", True),
    ("#endvote", 'Voted on "Ship release {m}?"', False),
    ("#showvote", "{nick}: there is no vote in progress.", False),
)


async def run_user(
    user: IrcUser, channel: str, args: argparse.Namespace, go: asyncio.Event, result: Result, seed: int
) -> None:
    rng = random.Random(seed)
    vote_open = False
    opened = 0
    await go.wait()
    start = time.perf_counter() + rng.random() * args.interval
    for number in range(args.rounds):
        delay = start + number * args.interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        for _ in range(args.chat):
            text, action = chat_line(rng, vote_open)
            if action:
                user.action(channel, text)
            else:
                user.say(channel, text)
        command, reply, vote_open = COMMANDS[number % len(COMMANDS)]
        if command.startswith("#startvote"):
            opened = number
        since = user.mark()
        sent_at = time.perf_counter()
        user.say(channel, command.format(n=number))
        result.sent[user.nick] += args.chat + 1
        try:
            expected = reply.format(n=number, m=opened, nick=user.nick)
            received = await bot_says(user, channel, expected, REPLY_TIMEOUT, since)
        except TimeoutError:
            result.timeouts += 1
            continue
        result.latencies.append(received - sent_at)


async def in_waves(pairs: list[tuple[IrcUser, str]], text: str, reply: str, timeout: float) -> None:
    """Every user says ``text`` (``{nick}``: its nick) in its channel and waits for the bot's ``reply``, ``WAVE``
    meetings at a time."""
    for first in range(0, len(pairs), WAVE):
        wave = pairs[first : first + WAVE]
        marks = [user.mark() for user, _ in wave]
        for user, channel in wave:
            user.say(channel, text.format(nick=user.nick))
        await asyncio.gather(
            *(bot_says(user, channel, reply, timeout, mark) for (user, channel), mark in zip(wave, marks, strict=True))
        )


async def scenario(ircd: BenchIrcd, bot: subprocess.Popen[bytes], args: argparse.Namespace, result: Result) -> None:
    count = args.meetings
    started = time.perf_counter()
    users = await connect_many(ircd.host, ircd.port, [f"u{i:03d}" for i in range(count)], timeout=60)
    try:
        for user in users:
            user.lines = TimedLines(user.lines)
        pairs = list(zip(users, channel_names(count), strict=True))
        await asyncio.gather(*(user.join(channel, timeout=30) for user, channel in pairs))
        await asyncio.gather(*(bot_in_channel(user, channel, BOT, timeout=30) for user, channel in pairs))
        print(f"  {count} users and the bot in their channels after {time.perf_counter() - started:.1f} s", flush=True)
        await in_waves(pairs, "#startmeeting bench {nick}", "The meeting name has been set", 30)
        result.sent = {user.nick: 1 for user in users}  # the #startmeeting line

        go = asyncio.Event()
        tasks = [
            asyncio.create_task(run_user(user, channel, args, go, result, seed=index))
            for index, (user, channel) in enumerate(pairs)
        ]
        await asyncio.sleep(0.5)  # the start-up replies settle
        bot_before, ircd_before = cpu_seconds(bot.pid), cpu_seconds(ircd.pid)
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        load_started = time.perf_counter()
        go.set()
        async with asyncio.timeout(args.rounds * (args.interval + REPLY_TIMEOUT) + 30):
            await asyncio.gather(*tasks)
        result.load_seconds = time.perf_counter() - load_started
        result.cpu_load = cpu_seconds(bot.pid) - bot_before
        result.ircd_load = cpu_seconds(ircd.pid) - ircd_before
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        result.clients_load = self_after.ru_utime + self_after.ru_stime - self_before.ru_utime - self_before.ru_stime
        result.lines_in = sum(result.sent.values()) - count
        startvotes = sum(1 for number in range(args.rounds) if number % len(COMMANDS) == 0)
        result.replies = len(result.latencies) + startvotes * count  # + "Vote using '#vote OPTION'. ..."
        print(f"  {count} meetings x {args.rounds} rounds done in {result.load_seconds:.1f} s", flush=True)

        ended = time.perf_counter()
        await in_waves(pairs, "#endmeeting", "Log: ", 60)
        result.end_seconds = time.perf_counter() - ended
        for user in users:
            result.sent[user.nick] += 1
        result.cpu_total = cpu_seconds(bot.pid)
        result.rss_peak = status_mib(bot.pid, "VmHWM")
    finally:
        await asyncio.gather(*(user.close(timeout=2) for user in users), return_exceptions=True)
    result.latencies.sort()


# ---------------------------------------------------------------------------------------------------------------------
# One run, checks, the report


def check_minutes(out: Path, expected: dict[str, int]) -> tuple[int, list[str]]:
    """(complete sets of minutes, problems): every meeting has every format and its log holds every line sent."""
    problems: list[str] = []
    complete = 0
    seen: set[str] = set()
    for log in sorted(out.rglob("*.log.txt")):
        if log.parent.name.startswith(".gavel-work"):
            continue
        stem = str(log)[: -len(".log.txt")]
        text = log.read_text(encoding="utf-8")
        match = re.search(r"<(u\d+)> #startmeeting", text)
        if match is None:
            problems.append(f"{log.name}: no #startmeeting line")
            continue
        nick = match.group(1)
        seen.add(nick)
        logged = len(re.findall(rf"^\S+ (?:<{nick}> |\* {nick} )", text, flags=re.MULTILINE))
        if logged != expected.get(nick, -1):
            problems.append(f"{log.name}: {logged} lines of {nick} logged, {expected.get(nick)} sent")
        missing = [suffix for suffix in MINUTES_SUFFIXES if not Path(stem + suffix).exists()]
        if missing:
            problems.append(f"{log.name}: no {', '.join(missing)}")
        else:
            complete += 1
    problems += [f"no minutes for {nick}'s meeting" for nick in sorted(set(expected) - seen)]
    return complete, problems


def run(kind: str, args: argparse.Namespace, work: Path) -> Result:
    """One benchmark run on a fresh server: ``kind`` is "gavel", "floor" or "quickack"."""
    print(f"{KINDS[kind]}:", flush=True)
    result = Result(kind)
    work.mkdir(parents=True)
    with BenchIrcd(args.meetings) as ircd:
        if kind == "gavel":
            config = write_config(
                ircd,
                work,
                channels=tuple(channel_names(args.meetings)),
                tls=False,
                nick=BOT,
                flood_burst=FLOOD_BURST,
                flood_interval_seconds=FLOOD_INTERVAL,
            )
            argv = [sys.executable, "-m", "gavel", "run", "--config", str(config)]
        else:
            argv = [sys.executable, __file__, "--floor-bot", ircd.host, str(ircd.port), str(args.meetings), kind]
        bot = spawn(argv, work / "bot.log")
        try:
            asyncio.run(scenario(ircd, bot, args, result))
        finally:
            stop(bot)  # before the server goes
    output = (work / "bot.log").read_text(errors="replace")
    result.log_markers = [m for m in ("dropped", "connection lost", "Traceback", "failed to handle") if m in output]
    if kind == "gavel":
        result.complete, result.problems = check_minutes(work / "out", result.sent)
        result.open_journals = len(list((work / "journal").glob("*.journal")))
    return result


def report(results: list[Result], args: argparse.Namespace) -> bool:
    """Print the figures; whether gavel's run was correct (every reply came, every minute and line is on disk)."""
    gavel = results[0]
    print()
    print(
        f"{args.meetings} meetings x {args.rounds} rounds of {args.interval:g} s; a round: {args.chat} ordinary "
        f"line(s) + 1 command answered by the bot; {gavel.lines_in / gavel.load_seconds:,.0f} lines/s in, "
        f"{gavel.replies / gavel.load_seconds:,.0f} replies/s out. Flood control out of the way "
        f"(burst {FLOOD_BURST:,}, interval {FLOOD_INTERVAL * 1000:g} ms): no deliberate delay in these figures."
    )
    header = ("bot", "p50 ms", "p90 ms", "p99 ms", "max ms", "no reply", "CPU in load", "peak RSS")
    print("{:<26} {:>7} {:>7} {:>7} {:>7} {:>8} {:>17} {:>10}".format(*header))
    for result in results:
        share = result.cpu_load / result.load_seconds * 100
        print(
            f"{KINDS[result.kind]:<26} {result.ms(0.5):>7.1f} {result.ms(0.9):>7.1f} {result.ms(0.99):>7.1f} "
            f"{result.ms(1.0):>7.1f} {result.timeouts:>8} {result.cpu_load:>6.2f} s ({share:>3.0f}%) "
            f"{result.rss_peak:>6.1f} MiB"
        )
    events = gavel.lines_in + 2 * gavel.replies  # each reply is also echoed back, logged and journaled
    per_line = gavel.cpu_load / events * 1e6
    print(
        f"gavel: {per_line:.0f} µs of CPU per line handled ({events:,} lines in the load: users' lines, replies and "
        f"their echoes); CPU over the whole run {gavel.cpu_total:.2f} s; ending {args.meetings} meetings "
        f"({WAVE} at a time, minutes written) took {gavel.end_seconds:.1f} s"
    )
    print(
        f"during gavel's load: inspircd {gavel.ircd_load:.2f} s CPU, benchmark clients {gavel.clients_load:.2f} s "
        f"({os.cpu_count()} cores in all)"
    )
    print(
        f"minutes: {gavel.complete}/{args.meetings} complete sets ({' '.join(MINUTES_SUFFIXES)}); every line sent "
        f"found in its log: {'yes' if not gavel.problems else 'NO'}; journals left open: {gavel.open_journals}"
    )
    for problem in gavel.problems[:10]:
        print(f"  problem: {problem}")
    for result in results:
        for marker in result.log_markers:
            print(f"  {KINDS[result.kind]}: its output mentions {marker!r}")
    p99 = gavel.ms(0.99)
    latency_met = p99 <= TARGET_P99_MS and not gavel.timeouts
    print(
        f"target: p99 <= {TARGET_P99_MS:.0f} ms -> {'met' if latency_met else 'MISSED'} ({p99:.1f} ms); "
        f"peak RSS <= {TARGET_RSS_MIB:.0f} MiB -> {'met' if gavel.rss_peak <= TARGET_RSS_MIB else 'MISSED'} "
        f"({gavel.rss_peak:.1f} MiB)"
    )
    return not (gavel.problems or gavel.open_journals or gavel.complete != args.meetings or gavel.timeouts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetings", type=int, default=200, help="concurrent meetings (one channel and user each)")
    parser.add_argument("--rounds", type=int, default=15, help="commands each user sends (one per round)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a user's rounds")
    parser.add_argument("--chat", type=int, default=3, help="ordinary lines per round, before the command")
    parser.add_argument("--quick", action="store_true", help="20 meetings, 5 rounds")
    parser.add_argument("--no-floor", action="store_true", help="measure gavel only")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (configs, bot logs, minutes)")
    parser.add_argument("--floor-bot", nargs=4, metavar=("HOST", "PORT", "MEETINGS", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_bot:
        host, port, meetings, kind = args.floor_bot
        with contextlib.suppress(KeyboardInterrupt, ConnectionError):
            asyncio.run(floor_bot(host, int(port), int(meetings), kind == "quickack"))
        return
    if args.quick:
        args.meetings, args.rounds = 20, 5
    if not 1 <= args.meetings <= 1000 or args.rounds < 1 or args.interval <= 0 or args.chat < 0:
        parser.error("--meetings must be 1..1000, --rounds >= 1, --interval > 0, --chat >= 0")
    work = Path(tempfile.mkdtemp(prefix="gavel-bench-live-"))
    ok = False
    try:
        kinds = ["gavel"] if args.no_floor else ["gavel", "floor", "quickack"]
        results = [run(kind, args, work / kind) for kind in kinds]
        ok = report(results, args)
    finally:
        if args.keep or not ok:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
