"""Two `gavel run` bots and a `gavel import` writing into one PostgreSQL archive at the same time.

Each bot (a process of its own, on the test InspIRCd) chairs a meeting in its channel, held by a scripted user;
both meetings end at once, while `gavel import` stores a directory of logs. Afterwards every meeting is in the
archive exactly once, made of its own lines, items and people only (compared with `gavel replay` of the bots'
logs and of the imported logs into a fresh SQLite archive), and search finds each by a word only it says.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gavel.storage.archive import Archive, SearchQuery, open_archive
from irc_client import IrcUser, connected
from ircd import Ircd
from live_support import bot_in_channel, said, write_config
from test_live_crash import show_bot_log, start_bot, stop_bot

IMPORTED = 40  # meetings in the imported directory ...
IMPORTED_LINES = 4000  # ... of this many lines each: the import runs while the bots store
LIVE = {"alpha": ("gavel1", "alice"), "beta": ("gavel2", "bob")}  # channel name: (bot nick, chair)


def write_logs(root: Path) -> None:
    """``IMPORTED`` MeetBot logs, meeting ``i`` saying the word ``impword<i>`` in every line."""
    for i in range(IMPORTED):
        start = datetime(2023, 1, 1, 14, 0, tzinfo=UTC) + timedelta(days=i)
        name = f"imp{i % 4}"
        path = root / name / f"{name}.{start:%Y-%m-%d-%H.%M}.log.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        said_lines = [f"<chair{i}> #startmeeting {name}", f"<chair{i}> #topic topic of impword{i}"]
        said_lines += [f"<user{n % 5}_{i}> line {n} impword{i}" for n in range(IMPORTED_LINES)]
        said_lines += [f"<chair{i}> #action user1_{i} to follow impword{i}", f"<chair{i}> #endmeeting"]
        stamps = (start + timedelta(seconds=n) for n in range(len(said_lines)))
        path.write_text("".join(f"{at:%H:%M:%S} {text}\n" for at, text in zip(stamps, said_lines, strict=True)))


async def hold_meeting(chair: IrcUser, channel: str, bot: str, ready: asyncio.Event) -> None:
    """A short meeting with a topic, an info, an action and chat; #endmeeting once ``ready`` is set."""
    await chair.join(channel)
    await bot_in_channel(chair, channel, nick=bot, timeout=20)
    chair.send_line("PRIVMSG", channel, "#startmeeting " + channel[1:])
    await said(chair, "Meeting started", nick=bot)
    word = f"liveword{channel[1:]}"
    chair.send_line("PRIVMSG", channel, f"#topic the {word} topic")
    for n in range(30):
        chair.send_line("PRIVMSG", channel, f"line {n} about {word}")
    chair.send_line("PRIVMSG", channel, f"#info {word} is said here")
    chair.send_line("PRIVMSG", channel, f"#action {chair.nick} to check {word}")
    await ready.wait()
    chair.send_line("PRIVMSG", channel, "#endmeeting")
    await said(chair, "Meeting ended", nick=bot, timeout=20)


def stored_count(url: str) -> int:
    with open_archive(url) as archive:
        return sum(s.meeting_count for s in archive.list_series())


def wait_for_meetings(url: str, count: int, importer: subprocess.Popen[bytes]) -> None:
    """Wait (at most 60 s) until the import has ended and ``count`` meetings are stored."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if importer.poll() is not None and stored_count(url) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{stored_count(url)} meetings stored, not {count}, after 60 s")


def meeting_contents(archive: Archive) -> dict[tuple[str, str], tuple[object, ...]]:
    """Every meeting as (series, basename) -> (title, lines, items, people), times left out (a live
    meeting's log keeps only seconds)."""
    out: dict[tuple[str, str], tuple[object, ...]] = {}
    for summary in archive.list_series():
        detail = archive.series(summary.name)
        assert detail is not None
        for year in detail.years:
            for listed in year.meetings:
                meeting = archive.meeting(summary.name, listed.id)
                assert meeting is not None
                key = (summary.name, meeting.log_basename)
                assert key not in out, f"{key} stored twice"
                lines = [(row.number, row.kind, row.nick, row.text) for row in archive.log_lines(meeting.id)]
                items = [(i.kind, i.text, i.nick, i.line) for i in meeting.items]
                people = [(p.nick, p.lines) for p in meeting.people]
                out[key] = (meeting.title, lines, items, people)
    return out


def test_two_bots_and_an_import_share_one_postgresql_archive(ircd: Ircd, postgres_url: str, tmp_path: Path) -> None:
    write_logs(tmp_path / "logs")
    bots, logs = [], []
    for channel, (nick, _chair) in LIVE.items():
        config = write_config(
            ircd, tmp_path / nick, channels=(f"#{channel}",), tls=False, nick=nick, archive=postgres_url
        )
        logs.append(tmp_path / f"{nick}.out")
        bots.append(start_bot(config, logs[-1]))
    importer = None
    try:

        async def scenario() -> subprocess.Popen[bytes]:
            async with connected(ircd.host, ircd.port, *(chair for _bot, chair in LIVE.values())) as chairs:
                ready = asyncio.Event()
                meetings = [
                    asyncio.create_task(hold_meeting(user, f"#{channel}", bot, ready))
                    for user, (channel, (bot, _chair)) in zip(chairs, LIVE.items(), strict=True)
                ]
                await asyncio.sleep(0)  # the meetings start; the import starts beside them
                command = ["import", str(tmp_path / "logs"), "--archive", postgres_url, "--jobs", "1", "-q"]
                started = subprocess.Popen(
                    [sys.executable, "-m", "gavel", *command],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                while stored_count(postgres_url) < 2 and started.poll() is None:
                    await asyncio.sleep(0.05)  # both meetings end once the import is storing
                ready.set()
                await asyncio.wait_for(asyncio.gather(*meetings), 60)
                return started

        importer = asyncio.run(asyncio.wait_for(scenario(), 120))
        wait_for_meetings(postgres_url, IMPORTED + len(LIVE), importer)
        output = importer.stdout.read().decode() if importer.stdout else ""
        assert importer.returncode == 0, output
    except BaseException:
        for log in logs:
            show_bot_log(log)
        raise
    finally:
        if importer is not None and importer.poll() is None:
            importer.kill()
            importer.wait(10)
        for bot in bots:
            stop_bot(bot)

    # The bots stored their meetings while the import was storing: their stored_at lie inside the import's span.
    with open_archive(postgres_url) as archive, archive._connection():
        rows = archive._query("SELECT s.name, m.stored_at FROM meetings m JOIN series s ON s.id = m.series_id")
        imported = [at for name, at in rows if name.startswith("imp")]
        live = [at for name, at in rows if name in LIVE]
        assert len(live) == len(LIVE), sorted({name for name, _ in rows})
        assert all(min(imported) < at < max(imported) for at in live), (live, min(imported), max(imported))
        shared = meeting_contents(archive)

    # The reference: `gavel replay` of the bots' own logs and of the imported logs, one at a time, into SQLite.
    bot_logs = sorted(str(p) for nick, _ in LIVE.values() for p in (tmp_path / nick / "out").rglob("*.log.txt"))
    assert len(bot_logs) == len(LIVE), bot_logs
    imported_logs = sorted(str(p) for p in (tmp_path / "logs").rglob("*.log.txt"))
    reference_url = f"sqlite://{tmp_path / 'reference.db'}"
    for group in (bot_logs, imported_logs):
        replay = ["replay", *group, "-o", str(tmp_path / "replayed"), "--archive", reference_url, "-q"]
        done = subprocess.run(
            [sys.executable, "-m", "gavel", *replay],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    with open_archive(reference_url) as reference:
        expected = meeting_contents(reference)
    assert sorted(shared) == sorted(expected)
    for key, contents in expected.items():
        assert shared[key] == contents, f"meeting {key} differs from its replay"

    with open_archive(postgres_url) as archive:
        for key in shared:
            word = f"liveword{key[0]}" if key[0] in LIVE else None
            if word is None:
                continue
            hits = archive.search(SearchQuery(word, per_page=50))
            assert {(h.series, h.meeting_basename) for h in hits.hits} == {key}, word
        for i in range(IMPORTED):
            hits = archive.search(SearchQuery(f"impword{i}", per_page=5))
            # every chat line, the #topic and #action lines and their two items (counted up to the cap)
            assert hits.total == min(IMPORTED_LINES + 4, archive.search_cap)
            assert {h.meeting_basename for h in hits.hits} == {
                f"imp{i % 4}.{datetime(2023, 1, 1, 14, 0) + timedelta(days=i):%Y-%m-%d-%H.%M}"
            }
