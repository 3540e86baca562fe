"""Matrix benchmark: N rooms with meetings at once on a loopback Synapse; command-to-reply latency, bot and Synapse CPU.

The bot runs as in production (`python -m gavel run --config FILE`, a child process) against a loopback Synapse
(tests/homeserver.py: no federation, rate limits raised) that keeps its data in a durable PostgreSQL (tests/pg.py,
fsync on) as a real host runs it, or with `--database sqlite` in an SQLite file as the test suite's does (Synapse's
docs call SQLite "for testing only"). One room per meeting. One scripted user per room (plain HTTP, all in this
process; it only sends, it never syncs) starts a meeting, then every round says a few chat lines (`--chat`, 3) and one
command the bot answers (#startvote, #showvote, #endvote, #showvote in turn). Latency is from just before the
command's PUT to the moment an observer (one more user in every room, one /sync long-poll with an uploaded filter, as
a chat client's) receives the bot's first notice after it. Rounds are paced, each room's phase spread over the
interval: by default a command and three chat lines every 10 s in each room, the pace of a busy meeting (a real one has
a command every ~10-60 s and ~4 chat lines per command; the fixture's, 335 lines in an hour, one command in 40 lines),
so 50 rooms give 5 commands and 15 chat lines a second. At the end every meeting is ended and its minutes counted.

Next to gavel, the same load runs against a *floor*: a minimal bot (this file, `--floor`, also a child process) that
syncs with gavel's filter and answers each of those commands with one notice, and logs, journals and renders nothing;
and with no bot at all (`none`): what the scripted users and the observer cost Synapse by themselves, so that what
each bot adds to Synapse's CPU is the difference. Both bots' latencies include Synapse's own time to accept a message
and wake the syncs that wait for it, which dominates.

Besides latency it prints, per phase, the CPU seconds of the bot, of Synapse, of PostgreSQL's processes and of this
load generator, the load average, Synapse's requests by who made them (bot, observer, users) with their CPU and
database time, read from Synapse's access log, its background processes' CPU (event persistence ...) and its caches
that dropped entries for want of room and its garbage collector's passes, from its Prometheus metrics: CPU per
command is far less sensitive to other load on the machine than the latency. And where each command's time went: the
user's PUT, the wait until the bot's /sync brought the command, the bot's own time until it sends its reply, the
bot's PUT, the wait until the observer's /sync brought the reply (p50, p99 and the mean of the slowest 1%), from
timestamps the bots write (gavel runs through benchmarks/matrix_probe.py: `python -m gavel` with two wrappers).

Synapse runs untuned by default. ``--tune`` gives it settings a small private (non-federating) homeserver may use
(tests/homeserver.py ``BOT_HOST_TUNING``): ``--tune log,gc,no-federation-sender,no-stats`` logs only its access log at
INFO, sends nothing over federation, keeps no room statistics and makes full collector passes rarer; ``no-push`` adds
push off. They save Synapse CPU, but on the quiet machine one tuned run answered slower than the untuned run after
it (p50 4.4 s against 1.8 s; Synapse saturated in both), so the target's run stays untuned (docs/performance.md).

The target's run (issue 11: p99 <= 200 ms with 50 rooms; on a quiet machine, ~7 minutes):

    .venv/bin/python benchmarks/matrix.py                    # 50 rooms, a command every 10 s each, 10 rounds:
                                                             # gavel, then the floor, then no bot; PostgreSQL
    .venv/bin/python benchmarks/matrix.py --interval 2       # the stress load of the figures before 2026-12-07 night
    .venv/bin/python benchmarks/matrix.py --database sqlite  # Synapse on SQLite
    .venv/bin/python benchmarks/matrix.py --chat 0           # the commands alone
    .venv/bin/python benchmarks/matrix.py --quick            # 10 rooms, 4 rounds

It needs `.synapse-venv` with Synapse and psycopg2 (`./scripts/test` installs both) and PostgreSQL's server
(Debian `postgresql`, which `./scripts/test` installs too).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from gavel.transports.matrix.protocol import sync_filter
from homeserver import BOT_HOST_TUNING, Synapse, synapse_python
from matrix_probe import Probe, Sync, read_probe
from pg import PostgresServer
from synapse_costs import background_cpu, costs, difference, gc_passes, gc_time, size_evictions, table

TARGET_P99_MS = 200.0
COMMANDS = ("#startvote Ship it? yes, no", "#showvote", "#endvote", "#showvote")
CHAT = ("the patch looks good to me ✓", "/me nods", "#info tests pass on the branch")
TICKS = os.sysconf("SC_CLK_TCK")
PROBED_GAVEL = Path(__file__).resolve().parent / "matrix_probe.py"  # `python -m gavel` with timestamps
# The observer's filter, as a chat client's: members loaded lazily, no presence. (The floor bot uses gavel's.)
OBSERVER_FILTER = {"presence": {"types": []}, "room": {"state": {"lazy_load_members": True}, "timeline": {"limit": 50}}}


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its waited-for children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / TICKS


class Client:
    """A Matrix account over plain HTTP."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str, user_id: str = "") -> None:
        self.session, self.url, self.token, self.user_id = session, url, token, user_id
        self.filter_id: str | None = None

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.session.request(method, self.url + path, json=body, headers=headers) as response:
            answer = await response.json(content_type=None)
            if response.status != 200:
                raise RuntimeError(f"{method} {path}: {response.status} {answer}")
            return answer

    async def say(self, room: str, text: str, msgtype: str = "m.text") -> str:
        """Send a message; its event id."""
        if text.startswith("/me "):
            text, msgtype = text[4:], "m.emote"
        path = f"/_matrix/client/v3/rooms/{quote(room)}/send/m.room.message/{secrets.token_hex(8)}"
        answer = await self.call("PUT", path, {"msgtype": msgtype, "body": text})
        return str(answer.get("event_id", ""))

    async def typing(self, room: str, typing: bool) -> None:
        path = f"/_matrix/client/v3/rooms/{quote(room)}/typing/{quote(self.user_id)}"
        await self.call("PUT", path, {"typing": typing, "timeout": 10_000})

    async def receipt(self, room: str, event_id: str) -> None:
        await self.call("POST", f"/_matrix/client/v3/rooms/{quote(room)}/receipt/m.read/{quote(event_id)}", {})

    async def join(self, room: str) -> None:
        await self.call("POST", f"/_matrix/client/v3/join/{quote(room)}", {})

    async def use_filter(self, definition: dict[str, Any]) -> None:
        """Upload a /sync filter once and sync with its id, as clients do (an inline filter is parsed each time)."""
        me = (await self.call("GET", "/_matrix/client/v3/account/whoami"))["user_id"]
        uploaded = await self.call("POST", f"/_matrix/client/v3/user/{quote(me)}/filter", definition)
        self.filter_id = uploaded["filter_id"]

    async def sync(self, since: str | None, timeout_ms: int) -> dict[str, Any]:
        query = f"?timeout={timeout_ms}" + (f"&filter={quote(self.filter_id)}" if self.filter_id else "")
        query += f"&since={since}" if since else ""
        answer: dict[str, Any] = await self.call("GET", "/_matrix/client/v3/sync" + query)
        return answer


def messages(response: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(room id, event) of every message a /sync response holds, in order."""
    found = []
    for room, joined in (response.get("rooms", {}).get("join") or {}).items():
        for event in joined.get("timeline", {}).get("events", []):
            if event.get("type") == "m.room.message":
                found.append((room, event))
    return found


# ---------------------------------------------------------------------------- the floor bot (a child process)


async def floor_bot(url: str, token: str, rooms: list[str]) -> None:
    """Join ``rooms``; answer each benchmark command with one notice, until SIGTERM."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with aiohttp.ClientSession() as session:
        bot = Client(session, url, token)
        for room in rooms:
            await bot.join(room)
        await bot.use_filter(sync_filter())  # gavel's
        since = (await bot.sync(None, 0))["next_batch"]
        me = (await bot.call("GET", "/_matrix/client/v3/account/whoami"))["user_id"]
        probe = Probe(os.environ["GAVEL_BENCH_PROBE"])
        print("ready", flush=True)
        while not stop.is_set():
            syncing = asyncio.ensure_future(bot.sync(since, 20_000))
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({syncing, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not syncing.done():
                syncing.cancel()
                break
            stopping.cancel()
            response = syncing.result()
            probe.synced(response, me)
            since = response["next_batch"]
            for room, event in messages(response):
                body = event.get("content", {}).get("body", "")
                if event.get("sender") != me and body.startswith(("#startvote", "#showvote", "#endvote")):
                    start = time.monotonic()
                    await bot.say(room, "ok", "m.notice")
                    probe.put(room, start, time.monotonic())


# ---------------------------------------------------------------------------- the load


@dataclass
class Timed:
    """One command's moments (``time.monotonic()``, one clock for every process): before its PUT, its PUT answered,
    the observer's sync that brought the bot's reply."""

    room: str
    sent: float
    accepted: float = 0.0
    event_id: str = ""
    seen: float | None = None


SEGMENTS = (
    ("user PUT", "the user's PUT (Synapse accepts and persists the command, wakes the syncs)"),
    ("to bot", "from the user's PUT to the bot's /sync answer holding the command"),
    ("bot", "from that answer to the bot's PUT of its reply (journal, fsync, core)"),
    ("bot PUT", "the bot's PUT (Synapse accepts and persists the reply)"),
    ("to observer", "from the bot's PUT to the observer's /sync answer holding the reply"),
)


def breakdown(
    timed: list[Timed], got: dict[str, float], puts: dict[str, list[tuple[float, float]]]
) -> dict[str, list[float]]:
    """Seconds of each segment (``SEGMENTS``) for every answered command whose moments are all known, plus "total":
    the bot's reply is its first send in the room after it got the command."""
    found: dict[str, list[float]] = {name: [] for name, _ in SEGMENTS}
    found["total"] = []
    for command in timed:
        received = got.get(command.event_id)
        sends = puts.get(command.room, [])
        at = bisect.bisect_left(sends, (received, 0.0)) if received is not None else len(sends)
        if command.seen is None or received is None or at == len(sends):
            continue
        start, end = sends[at]
        moments = (
            command.accepted - command.sent,
            received - command.sent,
            start - received,
            end - start,
            command.seen - start,
        )
        for (name, _), seconds in zip(SEGMENTS, moments, strict=True):
            found[name].append(seconds)
        found["total"].append(command.seen - command.sent)
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def breakdown_lines(found: dict[str, list[float]], syncs: list[Sync]) -> list[str]:
    """The breakdown as printed: each segment's p50 / p99, and its mean over the slowest 1% of commands (where the
    tail's time goes; the segments of one command overlap only in "user PUT", which "to bot" includes)."""
    total = found["total"]
    if not total:
        return ["  latency breakdown: no command with all its moments known"]
    slowest = sorted(range(len(total)), key=lambda index: -total[index])[: max(1, len(total) // 100)]
    lines = [f"  latency breakdown ({len(total)} commands; ms):   p50     p99   slowest 1% (mean)"]
    for name, meaning in (*SEGMENTS, ("total", "command -> the observer sees the reply")):
        values = found[name]
        tail = statistics.fmean(values[index] for index in slowest)
        lines.append(
            f"    {name:<12} {1000 * percentile(values, 0.5):>8.0f} {1000 * percentile(values, 0.99):>7.0f} "
            f"{1000 * tail:>9.0f}   {meaning}"
        )
    if syncs:
        events = sum(count for _, count, _ in syncs)
        only_own = sum(1 for _, count, own in syncs if count and count == own)
        empty = sum(1 for _, count, _ in syncs if not count)
        lines.append(
            f"  the bot's /syncs: {len(syncs)}, {events / len(syncs):.2f} timeline events each; {only_own} held only "
            f"its own messages, {empty} no timeline event"
        )
    return lines


class Load:
    def __init__(
        self, synapse: Synapse, session: aiohttp.ClientSession, rooms: int, chat: int, clients: bool = False
    ) -> None:
        """``clients``: the users send typing notifications around each line and the observer read receipts."""
        self.synapse, self.session, self.chat, self.clients = synapse, session, chat, clients
        self.receipts: set[asyncio.Task[None]] = set()
        self.users: list[Client] = []
        self.rooms: list[str] = []
        self.count = rooms
        self.pending: dict[str, Timed] = {}  # room -> its command waiting for the bot's reply
        self.timed: list[Timed] = []  # every command of the phase that a bot should answer
        self.answered: dict[str, asyncio.Event] = {}  # room -> set when the observer saw the bot's reply
        self.latencies: list[float] = []
        self.bot_ids: set[str] = set()

    def client(self, name: str) -> Client:
        return Client(self.session, self.synapse.url, self.synapse.register(name), self.synapse.user_id(name))

    async def prepare(self) -> None:
        self.observer = self.client("observer")
        for number in range(self.count):
            user = self.client(f"user{number:03d}")
            room = await user.call("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"})
            self.users.append(user)
            self.rooms.append(room["room_id"])
            await self.observer.join(room["room_id"])

    async def observe(self, stop: asyncio.Event) -> None:
        await self.observer.use_filter(OBSERVER_FILTER)
        since = (await self.observer.sync(None, 0))["next_batch"]
        while not stop.is_set():
            response = await self.observer.sync(since, 1000)
            now = time.monotonic()
            since = response["next_batch"]
            if self.clients:  # a chat client marks what it showed as read: one receipt per room and sync
                for room, joined in (response.get("rooms", {}).get("join") or {}).items():
                    timeline = joined.get("timeline", {}).get("events", [])
                    if timeline:
                        task = asyncio.create_task(self.observer.receipt(room, timeline[-1]["event_id"]))
                        self.receipts.add(task)
                        task.add_done_callback(self.receipts.discard)
            for room, event in messages(response):
                content = event.get("content", {})
                if event.get("sender") in self.bot_ids and content.get("msgtype") == "m.notice":
                    timed = self.pending.pop(room, None)
                    if timed is not None:
                        timed.seen = now
                        self.latencies.append(now - timed.sent)
                        self.answered[room].set()

    async def command(self, index: int, text: str, timeout: float = 15.0) -> None:
        """Say ``text`` in room ``index`` and wait (at most ``timeout``) until the observer sees the bot answer it;
        with no bot (``self.bot_ids`` empty) nothing answers and nothing is waited for."""
        room = self.rooms[index]
        if self.clients:
            await self.users[index].typing(room, True)
        answered = self.answered[room] = asyncio.Event()
        timed = Timed(room, time.monotonic())
        if self.bot_ids:
            self.pending[room] = timed
            self.timed.append(timed)
        timed.event_id = await self.users[index].say(room, text)
        timed.accepted = time.monotonic()
        if self.clients:
            await self.users[index].typing(room, False)
        if self.bot_ids:
            with contextlib.suppress(TimeoutError):  # a lost reply counts as unanswered, not as a failure
                await asyncio.wait_for(answered.wait(), timeout)
        self.pending.pop(room, None)

    async def run(self, rounds: int, interval: float) -> None:
        async def one(index: int) -> None:
            await asyncio.sleep(interval * index / self.count)  # phases spread over the interval
            for number in range(rounds):
                started = time.monotonic()
                for line in CHAT[: self.chat]:
                    if self.clients:  # as a chat client does around each line
                        await self.users[index].typing(self.rooms[index], True)
                    await self.users[index].say(self.rooms[index], line)
                    if self.clients:
                        await self.users[index].typing(self.rooms[index], False)
                await self.command(index, COMMANDS[number % len(COMMANDS)])
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))

        await asyncio.gather(*(one(index) for index in range(self.count)))


async def wait_joined(client: Client, rooms: list[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # bounded
        joined = set((await client.call("GET", "/_matrix/client/v3/joined_rooms"))["joined_rooms"])
        if joined.issuperset(rooms):
            return
        await asyncio.sleep(0.2)
    raise SystemExit("the bot did not join every room in time")


def write_config(work: Path, synapse: Synapse, rooms: list[str]) -> Path:
    listed = ", ".join(f'"{room}"' for room in rooms)
    path = work / "gavel.toml"
    path.write_text(
        f'[bot]\nnick = "meetbot"\noutput_dir = "{work / "out"}"\njournal_dir = "{work / "journal"}"\n\n'
        f'[[matrix]]\nname = "bench"\nhomeserver = "{synapse.url}"\nuser_id = "{synapse.user_id("meetbot")}"\n'
        f'access_token_env = "GAVEL_BENCH_TOKEN"\nrooms = [{listed}]\n',
        encoding="utf-8",
    )
    return path


async def phase(
    kind: str, synapse: Synapse, postgres: PostgresServer | None, load: Load, work: Path, rounds: int, interval: float
) -> dict[str, Any]:
    """One run of the load against gavel, the floor or no bot ("none": what the users and the observer cost Synapse
    by themselves): latencies, CPU seconds of the bot, Synapse, PostgreSQL and this load generator."""
    python = sys.executable
    child: subprocess.Popen[bytes] | None = None
    me = ""
    if kind == "none":
        load.bot_ids = set()
    else:
        name = "meetbot" if kind == "gavel" else "floorbot"
        token = synapse.register(name + secrets.token_hex(2) if kind != "gavel" else name)
        bot = Client(load.session, synapse.url, token)
        me = (await bot.call("GET", "/_matrix/client/v3/account/whoami"))["user_id"]
        load.bot_ids = {me}
    load.latencies = []
    probe = work / f"{kind}.probe"
    env = {**os.environ, "GAVEL_BENCH_PROBE": str(probe)}
    if kind == "gavel":
        config = write_config(work, synapse, load.rooms)
        env["GAVEL_BENCH_TOKEN"] = token
        child = subprocess.Popen([python, str(PROBED_GAVEL), "run", "--config", str(config)], env=env)
    elif kind == "floor":
        child = subprocess.Popen(
            [python, __file__, "--floor", synapse.url, token, *load.rooms], stdout=subprocess.PIPE, env=env
        )
    try:
        if child is not None:
            await wait_joined(bot, load.rooms)
            await asyncio.sleep(1.0)  # the bot's first sync
        stop = asyncio.Event()
        observer = asyncio.create_task(load.observe(stop))
        await asyncio.sleep(0.5)
        if kind == "gavel":
            for index in range(load.count):
                await load.command(index, "#startmeeting bench")
        load.latencies, load.timed = [], []
        assert synapse.process is not None
        server = synapse.process.pid
        log_start, metrics_before = len(synapse.log()), await metrics(load.session, synapse)
        bot_before = cpu_seconds(child.pid) if child is not None else 0.0
        synapse_before, started, loadavg = cpu_seconds(server), time.monotonic(), os.getloadavg()[0]
        database_before, generator_before = database_cpu(postgres), time.process_time()
        await load.run(rounds, interval)
        took = time.monotonic() - started
        window = (started, started + took)
        bot_cpu = cpu_seconds(child.pid) - bot_before if child is not None else 0.0
        synapse_cpu = cpu_seconds(server) - synapse_before
        database, generator = database_cpu(postgres) - database_before, time.process_time() - generator_before
        await asyncio.sleep(0.2)  # the last access lines
        spent = costs(synapse.log()[log_start:], lambda user: role(user, me))
        metrics_after = await metrics(load.session, synapse)
        behind = difference(background_cpu(metrics_after), background_cpu(metrics_before))
        evicted = difference(size_evictions(metrics_after), size_evictions(metrics_before))
        collected = difference(gc_time(metrics_after), gc_time(metrics_before))
        passes = difference(gc_passes(metrics_after), gc_passes(metrics_before))
        latencies = sorted(load.latencies)
        if kind == "gavel":
            for index in range(load.count):
                await load.users[index].say(load.rooms[index], "#endmeeting")
            deadline = time.monotonic() + 60
            while len(list((work / "out").rglob("*.json"))) < load.count and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        stop.set()
        await observer
    finally:
        if child is not None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(5)
    if child is not None:  # a member that no longer syncs still costs Synapse per event (its push rules): leave
        for room in load.rooms:
            await bot.call("POST", f"/_matrix/client/v3/rooms/{quote(room)}/leave", {})
    sent = load.count * rounds
    got, puts, syncs = read_probe(str(probe))
    bot_syncs = [sync for sync in syncs if window[0] <= sync[0] <= window[1]]  # the measured rounds' only
    return {
        "kind": kind,
        "replies": len(latencies),
        "commands": sent,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("inf"),
        "p99_ms": 1000 * percentile(latencies, 0.99) if latencies else float("inf"),
        "max_ms": 1000 * latencies[-1] if latencies else float("inf"),
        "bot_cpu_s": bot_cpu,
        "synapse_cpu_s": synapse_cpu,
        "database_cpu_s": database,
        "generator_cpu_s": generator,
        "loadavg": (loadavg, os.getloadavg()[0]),
        "seconds": took,
        "minutes": len(list((work / "out").rglob("*.json"))) if kind == "gavel" else None,
        "costs": spent,
        "background": behind,
        "evicted": evicted,
        "gc": {gen: (passes.get(gen, 0.0), seconds) for gen, seconds in sorted(collected.items())},
        "breakdown": breakdown(load.timed, got, puts) if child is not None else None,
        "syncs": bot_syncs,
    }


def database_cpu(postgres: PostgresServer | None) -> float:
    """CPU seconds the PostgreSQL server's processes used so far (0 for SQLite, which is inside Synapse's)."""
    if postgres is None:
        return 0.0
    total = 0.0
    for pid in postgres.server_pids():
        try:
            total += cpu_seconds(pid)
        except (OSError, IndexError, ValueError):
            continue  # a backend that ended meanwhile
    return total


async def metrics(session: aiohttp.ClientSession, synapse: Synapse) -> str:
    """Synapse's Prometheus metrics text (read outside the measured CPU: it takes Synapse ~0.1 s to write)."""
    async with session.get(synapse.metrics_url) as response:
        return await response.text()


def role(user: str, bot: str) -> str:
    """Who made a request, by the user id in Synapse's access log."""
    if user == bot:
        return "bot"
    if user.startswith("@observer:"):
        return "observer"
    return "users" if user.startswith("@user") else "other"


def check_driver() -> None:
    """Synapse needs psycopg2 for PostgreSQL: say how to get it rather than fail at its start."""
    found = subprocess.run([synapse_python(), "-c", "import psycopg2"], capture_output=True, check=False, timeout=60)
    if found.returncode != 0:
        raise SystemExit(
            "Synapse's venv has no psycopg2: run ./scripts/test (or .synapse-venv/bin/pip install psycopg2-binary), "
            "or use --database sqlite"
        )


def synapse_database(postgres: PostgresServer) -> dict[str, str | int]:
    """A database for Synapse on ``postgres`` (C collation, as Synapse requires); its psycopg2 arguments."""
    with psycopg.connect(postgres.admin_url, autocommit=True) as connection:
        connection.execute("CREATE DATABASE synapse TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
    return {"host": "127.0.0.1", "port": postgres.port, "user": "postgres", "database": "synapse"}


async def main(
    rooms: int,
    rounds: int,
    interval: float,
    bots: list[str],
    database: str,
    chat: int,
    clients: bool,
    cache_factor: float | None = None,
    tune: tuple[str, ...] = (),
) -> None:
    if database == "postgresql":
        check_driver()
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(PostgresServer(durable=True)) if database == "postgresql" else None
        synapse = stack.enter_context(
            Synapse(
                metrics=True,
                postgres=synapse_database(postgres) if postgres is not None else None,
                settings=tuned_settings(tune) | cache_settings(cache_factor),
                access_log_only="log" in tune,
            )
        )
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="gavel-matrix-bench-"))
        async with aiohttp.ClientSession() as session:
            load = Load(synapse, session, rooms, chat, clients)
            await load.prepare()
            results = [await phase(kind, synapse, postgres, load, Path(tmp), rounds, interval) for kind in bots]
    extra = ", typing and receipts" if clients else ""
    print(
        f"{rooms} rooms, {rounds} rounds of {interval:g} s ({chat} lines and 1 command per room and round{extra}: "
        f"{rooms / interval:g} commands/s and {rooms * chat / interval:g} chat lines/s); Synapse on {database}"
        + (f", its caches {cache_factor:g}x their default sizes" if cache_factor is not None else "")
        + f"; tuning: {', '.join(tune) or 'none'}"
    )
    for result in results:
        report(result, rooms, database == "postgresql")
    baseline = next((result for result in results if result["kind"] == "none"), None)
    if baseline is not None:
        for result in results:
            if result is not baseline:
                print(
                    f"{result['kind']}'s own cost to Synapse per command, over the run without a bot: "
                    + added(result, baseline)
                )
    if "gavel" in bots:
        gavel = results[bots.index("gavel")]
        verdict = "meets" if gavel["p99_ms"] <= TARGET_P99_MS else "misses"
        print(f"gavel {verdict} the target p99 <= {TARGET_P99_MS:.0f} ms")


TUNINGS = ("log", *BOT_HOST_TUNING)
# The target's run leaves Synapse untuned: the tunings save CPU, but did not make it answer sooner
# (docs/performance.md). no-push is never a default: a homeserver's people would lose push notifications and unread
# counts.
DEFAULT_TUNING: tuple[str, ...] = ()


def tuned_settings(tune: tuple[str, ...]) -> dict[str, Any]:
    """homeserver.yaml settings of the named tunings (tests/homeserver.py ``BOT_HOST_TUNING``; "log" is not one)."""
    settings: dict[str, Any] = {}
    for name in tune:
        settings |= BOT_HOST_TUNING.get(name, {})
    return settings


def cache_settings(factor: float | None) -> dict[str, Any]:
    """Synapse's caches ``factor`` times their default sizes: ``caches.global_factor`` (default 0.5) scales them all,
    the event cache too (``event_cache_size`` 10K x 0.5: 5,120 events); None: the defaults."""
    return {} if factor is None else {"caches": {"global_factor": 0.5 * factor}}


def report(result: dict[str, Any], rooms: int, postgresql: bool) -> None:
    """Print one phase's figures."""
    if result["kind"] == "none":
        answers = "no bot (the users and the observer alone)"
    else:
        answers = (
            f"command->reply p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, "
            f"max {result['max_ms']:.0f} ms ({result['replies']}/{result['commands']} answered); "
            f"bot CPU {result['bot_cpu_s']:.1f} s,"
        )
    print(
        f"{result['kind']:>6}: {answers} Synapse CPU {result['synapse_cpu_s']:.1f} s "
        + (f"+ PostgreSQL {result['database_cpu_s']:.1f} s " if postgresql else "")
        + f"over {result['seconds']:.1f} s; load generator {result['generator_cpu_s']:.1f} s"
        + f"; load average {result['loadavg'][0]:.1f} -> {result['loadavg'][1]:.1f}"
        + (f"; {result['minutes']}/{rooms} minutes written" if result["minutes"] is not None else "")
    )
    per_command = 1000 / max(result["commands"], 1)
    requests = sum(cost.cpu for cost in result["costs"].values())
    behind = sum(result["background"].values())
    print(
        f"  per command: Synapse CPU {per_command * result['synapse_cpu_s']:.1f} ms"
        + (f", PostgreSQL CPU {per_command * result['database_cpu_s']:.1f} ms" if postgresql else "")
        + f"; of Synapse's: requests {per_command * requests:.1f} ms, background processes {per_command * behind:.1f}"
        + " ms, the rest (outside any request or process: HTTP, the reactor, logging, GC) "
        + f"{per_command * (result['synapse_cpu_s'] - requests - behind):.1f} ms. Its requests (access log):"
    )
    print("\n".join(table(result["costs"], result["commands"])))
    if result["breakdown"] is not None:
        print("\n".join(breakdown_lines(result["breakdown"], result["syncs"])))
    busiest = sorted(result["background"].items(), key=lambda item: -item[1])[:8]
    print("  its background processes (CPU s): " + ", ".join(f"{name} {cpu:.2f}" for name, cpu in busiest))
    print(
        "  its garbage collector: "
        + (
            ", ".join(
                f"generation {gen} {count:.0f} passes {seconds:.2f} s" for gen, (count, seconds) in result["gc"].items()
            )
            or "no pass"
        )
    )
    evicted = sorted(result["evicted"].items(), key=lambda item: -item[1])[:4]
    full = ", ".join(f"{name} {count:.0f}" for name, count in evicted)
    print(
        "  its caches that dropped entries because they were full: "
        + (full if full else "none (larger caches, caches.global_factor or event_cache_size, would not help)")
    )


def added(result: dict[str, Any], baseline: dict[str, Any]) -> str:
    """What ``result``'s bot added to Synapse's (and PostgreSQL's) CPU per command, over the run without a bot."""
    per = 1000 / max(result["commands"], 1)
    synapse = per * (result["synapse_cpu_s"] - baseline["synapse_cpu_s"])
    database = per * (result["database_cpu_s"] - baseline["database_cpu_s"])
    return f"Synapse {synapse:+.1f} ms, PostgreSQL {database:+.1f} ms"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--floor":
        asyncio.run(floor_bot(sys.argv[2], sys.argv[3], sys.argv[4:]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=50, help="rooms with a meeting each (default 50)")
    parser.add_argument("--rounds", type=int, default=10, help="commands per room (default 10)")
    parser.add_argument(
        "--interval",
        type=float,
        default=10.0,
        help="seconds per round (default 10: a command and three chat lines every 10 s in each room, the pace of a "
        "busy meeting; 2 is the stress load of the figures before 2026-12-07 night)",
    )
    parser.add_argument(
        "--bots",
        default="gavel,floor,none",
        help="the phases, in order (default gavel,floor,none): gavel, the floor bot, and none (the same load with no "
        "bot: what the users and the observer cost Synapse by themselves)",
    )
    parser.add_argument("--quick", action="store_true", help="10 rooms, 4 rounds")
    parser.add_argument(
        "--clients",
        action="store_true",
        help="the users send typing notifications around each line and the observer a read receipt per room and "
        "sync, as chat clients do (the bot's /sync filter keeps them from waking it)",
    )
    parser.add_argument(
        "--chat", type=int, default=len(CHAT), help=f"chat lines per room and round (default {len(CHAT)})"
    )
    parser.add_argument(
        "--cache-factor",
        type=float,
        default=None,
        help="Synapse's caches this many times their default sizes (caches.global_factor 0.5 x this; the event cache "
        "holds 5,120 events by default)",
    )
    parser.add_argument(
        "--tune",
        default=",".join(DEFAULT_TUNING) or "none",
        help="Synapse's settings for a small homeserver that hosts bots (comma-separated, or none: "
        f"{', '.join(TUNINGS)}; default {','.join(DEFAULT_TUNING) or 'none'}): see tests/homeserver.py "
        "BOT_HOST_TUNING; log: INFO for the access log only",
    )
    parser.add_argument(
        "--database",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="where Synapse keeps its data (default: postgresql, durable, as a real host runs it; "
        "sqlite is the test suite's, which Synapse's docs call for testing only)",
    )
    args = parser.parse_args()
    if args.quick:
        args.rooms, args.rounds = 10, 4
    if not 0 <= args.chat <= len(CHAT):
        parser.error(f"--chat: 0 to {len(CHAT)} lines")
    bots = [kind.strip() for kind in args.bots.split(",") if kind.strip()]
    if not bots or any(kind not in ("gavel", "floor", "none") for kind in bots) or len(set(bots)) != len(bots):
        parser.error("--bots: a comma-separated list of gavel, floor and none, each at most once")
    if args.cache_factor is not None and not 0.1 <= args.cache_factor <= 100:
        parser.error("--cache-factor: 0.1 to 100")
    tune = tuple(name.strip() for name in args.tune.split(",") if name.strip() and name.strip() != "none")
    if any(name not in TUNINGS for name in tune):
        parser.error(f"--tune: a comma-separated list of {', '.join(TUNINGS)}, or none")
    asyncio.run(
        main(
            args.rooms,
            args.rounds,
            args.interval,
            bots,
            args.database,
            args.chat,
            args.clients,
            args.cache_factor,
            tune,
        )
    )
