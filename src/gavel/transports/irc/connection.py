"""The asyncio side of the IRC transport: sockets, TLS, reconnects, flood control, keepalive.

All protocol decisions live in the sans-I/O ``IrcClient``; this module only moves bytes and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from irctokens.stateful import StatefulDecoder

from gavel.transports.irc.flood import TokenBucket
from gavel.transports.irc.protocol import ChannelEvent, IrcClient, IrcSettings, Output, Registered

log = logging.getLogger("gavel.irc")

MAX_PENDING = 5000  # outgoing lines waiting for flood control before replies are dropped


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str
    port: int
    tls: bool = True
    tls_verify: bool = True
    tls_ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    flood_burst: int = 5
    flood_interval: float = 1.0
    reconnect_min: float = 1.0
    reconnect_max: float = 300.0
    ping_interval: float = 90.0
    ping_timeout: float = 180.0
    connect_timeout: float = 30.0


@dataclass
class _Outgoing:
    line: str
    own: tuple[str, str, bool] | None = field(default=None)  # (channel, text, action) of a line we say


def utc_now() -> datetime:
    return datetime.now(UTC)


def _quickack(writer: asyncio.StreamWriter) -> Callable[[], None]:
    """A function that re-arms TCP_QUICKACK (Linux) after each read, and sets TCP_NODELAY once.

    Many IRC servers do not set TCP_NODELAY, so they hold back each line until the previous one is
    acknowledged; Linux delays acknowledgements by up to 40 ms (measured: p99 reply latency 55 ms
    without this, 6 ms with it, benchmarks/live.py). Linux clears QUICKACK after use, hence per read.
    """
    sock = writer.get_extra_info("socket")
    if sock is None:
        return lambda: None
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    option = getattr(socket, "TCP_QUICKACK", None)
    if option is None:
        return lambda: None

    def rearm() -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, option, 1)

    return rearm


def tls_context(server: ServerSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=server.tls_ca_file)
    if not server.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if server.client_cert:
        context.load_cert_chain(server.client_cert, server.client_key)
    return context


class IrcConnection:
    """Keeps one network connected: reconnects with exponential backoff and jitter, rejoins, re-identifies.

    ``on_output`` receives every protocol output (channel events, registration, joins) in order,
    synchronously from the reader task.
    """

    def __init__(
        self,
        server: ServerSettings,
        settings: IrcSettings,
        on_output: Callable[[Output], None],
        *,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.server = server
        self.settings = settings
        self.on_output = on_output
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.client = IrcClient(settings)
        self.connected = asyncio.Event()
        self.attempts = 0
        self._queue: asyncio.Queue[_Outgoing] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._retry: _Outgoing | None = None
        self._stopping = False
        self.dropped = 0

    # ------------------------------------------------------------------ public

    maubot_spellings = False  # maubot-meetings' command spellings are a Matrix room's (see the Matrix connection)

    def bot_nick(self, channel: str) -> str | None:
        """The bot's nick (the same in every channel), once registered."""
        return self.client.nick if self.client.registered else None

    def room_name(self, channel: str) -> str | None:
        """A meeting started without a name is named after the channel (the core's default)."""
        return None

    def configured_name(self, channel: str) -> str:
        """The channel as the configuration spells it (IRC events already do)."""
        return channel

    def say(self, channel: str, text: str, *, action: bool = False) -> None:
        """Queue ``text`` for ``channel`` (split into 512-byte lines, sent under flood control).

        The queue is bounded (``MAX_PENDING`` lines): under a flood of commands that each want a reply, the
        excess replies are dropped (and logged) rather than letting memory grow or the server kill the bot.
        """
        for line, piece in self.client.privmsg_lines(channel, text, action=action):
            if self._queue.qsize() >= MAX_PENDING:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.warning("%s: reply queue full, %d replies dropped so far", self.server.host, self.dropped)
                return
            self._queue.put_nowait(_Outgoing(line, (channel, piece, action)))

    def join(self, channel: str, key: str | None = None) -> None:
        """Queue a JOIN (used to rejoin after a kick)."""
        self._queue.put_nowait(_Outgoing(f"JOIN {channel} {key}" if key else f"JOIN {channel}"))

    def set_topic(self, channel: str, topic: str) -> bool:
        """Set the channel topic if we have ops there; returns whether it was sent."""
        if not self.client.has_ops(channel):
            return False
        self._queue.put_nowait(_Outgoing(self.client.topic_line(channel, topic)))
        return True

    def pending(self) -> int:
        return self._queue.qsize() + (self._retry is not None)

    async def run(self) -> None:
        """Connect and stay connected until ``stop()``."""
        while not self._stopping:
            started = asyncio.get_running_loop().time()
            try:
                await self._session()
            except (TimeoutError, OSError, ssl.SSLError, ConnectionError) as error:
                if not self._stopping:
                    log.warning("%s:%d: connection lost: %s", self.server.host, self.server.port, error)
            finally:
                self.connected.clear()
                self._writer = None
            if self._stopping:
                break
            if asyncio.get_running_loop().time() - started > 60:
                self.attempts = 0
            await asyncio.sleep(self.backoff())
            self.attempts += 1

    def backoff(self) -> float:
        """Seconds before the next reconnect: exponential in the attempts, with full jitter in its upper half."""
        ceiling = min(self.server.reconnect_max, self.server.reconnect_min * 2.0 ** min(self.attempts, 30))
        return ceiling * (0.5 + self.rng.random() / 2)

    def say_now(self, channel: str, text: str) -> bool:
        """Write ``text`` to ``channel`` at once, ahead of the queue and outside flood control (for the one notice
        that must get out before the bot stops); returns whether it was written (False: not connected)."""
        writer = self._writer
        if writer is None or not self.connected.is_set():
            return False
        for line, _ in self.client.privmsg_lines(channel, text):
            writer.write(line.encode("utf-8") + b"\r\n")
        return True

    async def stop(self, message: str = "gavel stopping") -> None:
        self._stopping = True
        writer = self._writer
        if writer is not None:
            with contextlib.suppress(OSError, RuntimeError):
                writer.write(f"QUIT :{message}\r\n".encode())
                await asyncio.wait_for(writer.drain(), 2)
            writer.close()

    # ------------------------------------------------------------------ one connection

    async def _session(self) -> None:
        server = self.server
        context = tls_context(server) if server.tls else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                server.host, server.port, ssl=context, server_hostname=server.host if context else None
            ),
            server.connect_timeout,
        )
        self._writer = writer
        self.client = IrcClient(self.settings)
        self.client.start()
        self._flush_protocol(writer)
        sender = asyncio.create_task(self._send_loop(writer))
        try:
            await self._read_loop(reader, writer)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 2)

    def _flush_protocol(self, writer: asyncio.StreamWriter) -> None:
        for line in self.client.take_lines():
            writer.write(line.encode("utf-8") + b"\r\n")

    async def _read_loop(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = StatefulDecoder()
        pinged = False
        quickack = _quickack(writer)
        while not self._stopping:
            try:
                data = await asyncio.wait_for(reader.read(65536), self.server.ping_interval)
                quickack()
            except TimeoutError:
                if pinged:
                    raise ConnectionError("no answer to PING") from None
                writer.write(b"PING :gavel\r\n")
                pinged = True
                continue
            if not data:
                raise ConnectionError("server closed the connection")
            pinged = False
            lines = decoder.push(data)
            if lines is None:
                raise ConnectionError("server closed the connection")
            for line in lines:
                for output in self.client.receive(line, self.clock()):
                    if isinstance(output, Registered):
                        self.connected.set()
                    self.on_output(output)
            self._flush_protocol(writer)
            await writer.drain()

    async def _send_loop(self, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        bucket = TokenBucket(self.server.flood_burst, self.server.flood_interval, loop.time())
        await self.connected.wait()
        while True:
            item = self._retry or await self._queue.get()
            self._retry = item  # if the connection drops before it is written, the next connection sends it
            delay = bucket.delay(loop.time())
            if delay > 0:
                await asyncio.sleep(delay)
            bucket.take(loop.time())
            writer.write(item.line.encode("utf-8") + b"\r\n")
            self._retry = None
            await writer.drain()
            if item.own is not None:
                channel, text, action = item.own
                own = self.client.own_line(channel, text, self.clock(), action=action)
                if own is not None:
                    self.on_output(own)


__all__ = ["ChannelEvent", "IrcConnection", "ServerSettings"]
