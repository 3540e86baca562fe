"""Helpers for the live-bot tests: a config for the test ircd, an in-process bot, waiting for replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from irctokens.line import Line

from gavel.app.config import Config, load_config
from gavel.app.live import LiveBot
from irc_client import IrcUser, privmsg
from ircd import Ircd

CHANNEL = "#meet"


def write_config(
    ircd: Ircd, work: Path, *, channels: tuple[str, ...] = (CHANNEL,), tls: bool = True, nick: str = "gavel", **bot: Any
) -> Path:
    """A gavel.toml for the test server; extra keyword arguments go to [bot]."""
    options = {
        "nick": nick,
        "output_dir": str(work / "out"),
        "journal_dir": str(work / "journal"),
        "url_base": "https://meetings.example.org/",
        "reconnect_min_seconds": 0.2,
        "reconnect_max_seconds": 1.0,
        "flood_burst": 20,
        "flood_interval_seconds": 0.05,
        **bot,
    }
    settings = "\n".join(f"{key} = {json.dumps(value)}" for key, value in options.items())
    port = ircd.tls_port if tls else ircd.port
    tls_lines = f'tls = true\ntls_ca_file = "{ircd.cafile}"' if tls else "tls = false"
    work.mkdir(parents=True, exist_ok=True)
    path = work / "gavel.toml"
    path.write_text(
        f"""
[bot]
{settings}

[[networks]]
name = "test"
host = "{ircd.host}"
port = {port}
{tls_lines}
channels = {json.dumps(list(channels))}
""",
        encoding="utf-8",
    )
    return path


@contextlib.asynccontextmanager
async def running_bot(config: Config, clock: Callable[[], datetime] | None = None) -> AsyncIterator[LiveBot]:
    """The bot running in this event loop until the block ends (on ``clock``, if given)."""
    bot = LiveBot(config) if clock is None else LiveBot(config, clock=clock)
    task = asyncio.create_task(bot.run())
    try:
        yield bot
    finally:
        bot.stop()
        await asyncio.wait_for(task, 10)


async def bot_in_channel(observer: IrcUser, channel: str = CHANNEL, nick: str = "gavel", timeout: float = 10) -> None:
    """Wait until the bot is in ``channel``: its JOIN, or its nick in the NAMES the observer got when joining."""

    def present(line: Line) -> bool:
        if line.command == "JOIN":
            return bool(line.source) and line.hostmask.nickname == nick and line.params[:1] == [channel]
        if line.command == "353" and len(line.params) > 3 and line.params[2] == channel:
            return nick in (name.lstrip("~&@%+") for name in line.params[3].split())
        return False

    await observer.wait_for(present, timeout=timeout)


async def said(user: IrcUser, text: str, *, nick: str = "gavel", timeout: float = 10) -> str:
    """Wait for the bot to say something starting with ``text`` in the channel; return the whole text."""
    line = await user.wait_for(
        lambda line: line.command == "PRIVMSG" and line.hostmask.nickname == nick and line.params[-1].startswith(text),
        timeout=timeout,
    )
    return line.params[-1]


def minutes_json(work: Path) -> dict[str, Any]:
    """The JSON minutes of the only meeting written under ``work/out``."""
    (path,) = sorted((work / "out").rglob("*.json"))
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def config_for(ircd: Ircd, work: Path, **kwargs: Any) -> Config:
    return load_config(write_config(ircd, work, **kwargs))


__all__ = ["CHANNEL", "bot_in_channel", "config_for", "minutes_json", "privmsg", "running_bot", "said", "write_config"]
