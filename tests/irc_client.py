"""A small scripted IRC user for tests against a real server (see tests/ircd.py).

Every network wait is bounded: connecting, registering, ``wait_for`` and closing all take a timeout and give up by
themselves. Received lines are kept in ``IrcUser.lines`` (parsed irctokens ``Line`` objects) for a test to look back.

``wait_for`` scans the whole history, oldest first, but skips lines that an earlier ``wait_for`` already returned, so
waiting twice for "a PRIVMSG saying hi" finds two different lines. Pass ``since=user.mark()`` to ignore older lines.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Self

from irctokens.line import Line, build
from irctokens.stateful import StatefulDecoder

Predicate = Callable[[Line], bool]

SASL_FAILURES = {"902", "904", "905", "906", "908"}
REGISTRATION_FAILURES = {"432", "433", "436", "465"}


class IrcUserError(Exception):
    """A scripted user could not connect, register, or saw its connection close while waiting."""


def line_matches(
    command: str,
    *params: str | None,
    nick: str | None = None,
    text: str | None = None,
) -> Predicate:
    """A predicate: ``command``, leading ``params`` (None = any), source ``nick``, last param ``text`` (each optional).

    Commands, nicks and params are compared case-insensitively (IRC names are), ``text`` exactly.
    """

    def predicate(line: Line) -> bool:
        if line.command.upper() != command.upper():
            return False
        if len(line.params) < len(params):
            return False
        for want, got in zip(params, line.params, strict=False):
            if want is not None and want.lower() != got.lower():
                return False
        if nick is not None and (line.source is None or line.hostmask.nickname.lower() != nick.lower()):
            return False
        return text is None or (bool(line.params) and line.params[-1] == text)

    return predicate


def privmsg(target: str | None = None, text: str | None = None, *, nick: str | None = None) -> Predicate:
    """A PRIVMSG to ``target`` with exactly ``text``, from ``nick`` (each None = any)."""
    return line_matches("PRIVMSG", target, nick=nick, text=text)


class IrcUser:
    """One IRC client connection driven by a test. Create it with ``await IrcUser.connect(...)``."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, nick: str) -> None:
        self.nick = nick
        self.lines: list[Line] = []
        self.available_caps: dict[str, str] = {}
        self.caps: set[str] = set()
        self.isupport: dict[str, str] = {}
        self.account: str | None = None
        self.closed = False
        self._reader = reader
        self._writer = writer
        self._decoder = StatefulDecoder()
        self._consumed: set[int] = set()
        self._changed = asyncio.Condition()
        self._reader_task: asyncio.Task[None] = asyncio.create_task(self._read_loop(), name=f"irc-user-{nick}")

    # -- connecting ------------------------------------------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        nick: str,
        *,
        tls: bool = False,
        cafile: str | Path | None = None,
        server_hostname: str | None = None,
        caps: Iterable[str] = (),
        sasl: tuple[str, str] | None = None,
        username: str | None = None,
        realname: str | None = None,
        timeout: float = 10.0,
    ) -> Self:
        """Connect and register (CAP LS 302, CAP REQ ``caps``, SASL PLAIN when ``sasl=(account, password)``).

        Returns once the MOTD (or its absence) has been received. Raises ``IrcUserError`` when a requested cap is not
        offered, SASL or registration fails, or it all takes longer than ``timeout`` seconds.
        """
        ssl_context: ssl.SSLContext | None = None
        if tls:
            ssl_context = ssl.create_default_context(cafile=str(cafile) if cafile is not None else None)
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=ssl_context,
                    server_hostname=(server_hostname or host) if tls else None,
                )
        except (OSError, TimeoutError) as exc:
            raise IrcUserError(f"{nick}: cannot connect to {host}:{port} (tls={tls}): {exc!r}") from exc
        user = cls(reader, writer, nick)
        try:
            async with asyncio.timeout(timeout):
                await user._register(list(caps), sasl, username or nick.lower()[:10], realname or nick)
        except TimeoutError as exc:
            await user.close(quit_message=None)
            raise IrcUserError(
                f"{nick}: registration took longer than {timeout} s; last lines: {user._tail()}"
            ) from exc
        except BaseException:
            await user.close(quit_message=None)
            raise
        return user

    async def _register(self, caps: list[str], sasl: tuple[str, str] | None, username: str, realname: str) -> None:
        self.send_line("CAP", "LS", "302")
        self.send_line("NICK", self.nick)
        self.send_line("USER", username, "0", "*", realname)
        while True:
            line = await self.wait_for(lambda ln: ln.command in ("CAP", "001") or ln.command in REGISTRATION_FAILURES)
            if line.command != "CAP":
                break  # a server without CAP: nothing to negotiate
            if line.params[1] == "LS":
                for item in line.params[-1].split():
                    name, _, value = item.partition("=")
                    self.available_caps[name] = value
                if line.params[2] == "*":
                    continue  # more CAP LS lines follow
                wanted = list(dict.fromkeys([*caps, *(["sasl"] if sasl else [])]))
                missing = [cap for cap in wanted if cap not in self.available_caps]
                if missing:
                    raise IrcUserError(
                        f"{self.nick}: server does not offer caps {missing}: {sorted(self.available_caps)}"
                    )
                if wanted:
                    self.send_line("CAP", "REQ", " ".join(wanted))
                    reply = await self.wait_for(lambda ln: ln.command == "CAP" and ln.params[1] in ("ACK", "NAK"))
                    if reply.params[1] == "NAK":
                        raise IrcUserError(f"{self.nick}: CAP REQ refused: {reply.format()}")
                    self.caps.update(reply.params[-1].split())
                if sasl:
                    await self._authenticate(*sasl)
                self.send_line("CAP", "END")
                break
        welcome = await self.wait_for(lambda ln: ln.command == "001" or ln.command in REGISTRATION_FAILURES)
        if welcome.command != "001":
            raise IrcUserError(f"{self.nick}: registration refused: {welcome.format()}")
        self.nick = welcome.params[0]
        await self.wait_for(lambda ln: ln.command in ("376", "422"))

    async def _authenticate(self, account: str, password: str) -> None:
        self.send_line("AUTHENTICATE", "PLAIN")
        await self.wait_for(lambda ln: ln.command == "AUTHENTICATE" or ln.command in SASL_FAILURES)
        payload = base64.b64encode(f"{account}\0{account}\0{password}".encode()).decode()
        if len(payload) >= 400:
            raise ValueError("SASL credentials too long for one AUTHENTICATE line (chunking is not implemented)")
        self.send_line("AUTHENTICATE", payload)
        result = await self.wait_for(lambda ln: ln.command == "903" or ln.command in SASL_FAILURES)
        if result.command != "903":
            raise IrcUserError(f"{self.nick}: SASL PLAIN as {account!r} failed: {result.format()}")
        logged_in = [ln for ln in self.lines if ln.command == "900"]
        self.account = logged_in[-1].params[2] if logged_in else account

    # -- sending ---------------------------------------------------------------------------------------------------

    def send_raw(self, text: str) -> None:
        """Send one raw line (no CR/LF)."""
        if "\r" in text or "\n" in text:
            raise ValueError(f"line contains CR/LF: {text!r}")
        if self.closed or self._writer.is_closing():
            raise IrcUserError(f"{self.nick}: cannot send on a closed connection: {text!r}; last lines: {self._tail()}")
        self._writer.write(text.encode() + b"\r\n")

    def send_line(self, command: str, *params: str, tags: dict[str, str] | None = None) -> None:
        """Send a command built with irctokens (the last param becomes trailing when needed)."""
        self.send_raw(build(command, list(params), tags=tags).format())

    async def join(self, channel: str, timeout: float = 5.0) -> Line:
        """JOIN and wait for the server's echo of our own JOIN."""
        since = self.mark()
        self.send_line("JOIN", channel)
        return await self.wait_for(line_matches("JOIN", channel, nick=self.nick), timeout, since=since)

    async def part(self, channel: str, reason: str = "bye", timeout: float = 5.0) -> Line:
        since = self.mark()
        self.send_line("PART", channel, reason)
        return await self.wait_for(line_matches("PART", channel, nick=self.nick), timeout, since=since)

    def say(self, target: str, text: str) -> None:
        self.send_line("PRIVMSG", target, text)

    def action(self, target: str, text: str) -> None:
        """A CTCP ACTION ("/me text")."""
        self.send_line("PRIVMSG", target, f"\x01ACTION {text}\x01")

    def notice(self, target: str, text: str) -> None:
        self.send_line("NOTICE", target, text)

    async def change_nick(self, new: str, timeout: float = 5.0) -> Line:
        """NICK ``new`` and wait for the server to confirm it (raises on 432/433)."""
        since, old = self.mark(), self.nick
        self.send_line("NICK", new)
        reply = await self.wait_for(
            lambda ln: line_matches("NICK", nick=old)(ln) or ln.command in ("432", "433", "436"), timeout, since=since
        )
        if reply.command != "NICK":
            raise IrcUserError(f"{old}: nick change to {new!r} refused: {reply.format()}")
        return reply

    async def quit(self, message: str = "bye", timeout: float = 5.0) -> None:
        """QUIT, wait (bounded) for the server to close the connection, then close our side."""
        await self.close(quit_message=message, timeout=timeout)

    async def drain(self) -> None:
        await self._writer.drain()

    # -- receiving -------------------------------------------------------------------------------------------------

    def mark(self) -> int:
        """The index the next received line will get: pass it as ``wait_for(..., since=mark)``."""
        return len(self.lines)

    async def wait_for(self, predicate: Predicate, timeout: float = 5.0, *, since: int = 0) -> Line:
        """The first line at index >= ``since`` matching ``predicate`` and not returned by an earlier ``wait_for``.

        Waits at most ``timeout`` seconds; raises ``TimeoutError`` (with the last lines received) when nothing
        matched, or ``IrcUserError`` at once when the connection closed without a match.
        """
        index = since
        try:
            async with asyncio.timeout(timeout):
                while True:
                    while index < len(self.lines):
                        if index not in self._consumed and predicate(self.lines[index]):
                            self._consumed.add(index)
                            return self.lines[index]
                        index += 1
                    if self.closed:
                        raise IrcUserError(f"{self.nick}: connection closed; last lines: {self._tail()}")
                    async with self._changed:
                        if index == len(self.lines) and not self.closed:
                            await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"{self.nick}: no matching line within {timeout} s; last lines: {self._tail()}"
            ) from None

    async def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait (bounded) until the server has closed the connection; ``TimeoutError`` if it stays open."""
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._reader_task)
        except TimeoutError:
            raise TimeoutError(f"{self.nick}: connection still open after {timeout} s") from None

    def received(self, predicate: Predicate, *, since: int = 0) -> list[Line]:
        """All received lines from ``since`` on matching ``predicate`` (does not consume them)."""
        return [line for line in self.lines[since:] if predicate(line)]

    async def _read_loop(self) -> None:
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                lines = self._decoder.push(data)
                if lines is None:
                    break
                for line in lines:
                    if line.command == "PING":
                        self.send_line("PONG", *line.params)
                    elif line.command == "NICK" and line.source and line.hostmask.nickname.lower() == self.nick.lower():
                        self.nick = line.params[0]
                    elif line.command == "005":
                        for item in line.params[1:-1]:
                            key, _, value = item.partition("=")
                            self.isupport[key.upper()] = value
                    self.lines.append(line)
                async with self._changed:
                    self._changed.notify_all()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            self.closed = True
            async with self._changed:
                self._changed.notify_all()

    def _tail(self, count: int = 8) -> list[str]:
        return [line.format() for line in self.lines[-count:]]

    # -- closing ---------------------------------------------------------------------------------------------------

    async def close(self, quit_message: str | None = "bye", timeout: float = 5.0) -> None:
        """Close the connection (sending QUIT first unless ``quit_message`` is None). Safe to call twice."""
        try:
            if quit_message is not None and not self.closed and not self._writer.is_closing():
                with contextlib.suppress(OSError, ssl.SSLError):
                    self.send_line("QUIT", quit_message)
                    async with asyncio.timeout(timeout):
                        await self._writer.drain()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(timeout):
                        await asyncio.shield(self._reader_task)
        finally:
            self._writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._writer.wait_closed()
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
            self.closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def connect_many(host: str, port: int, nicks: Sequence[str], **kwargs: Any) -> list[IrcUser]:
    """Connect several users in parallel (each registration takes ~1 s on InspIRCd). All or none: on any failure the
    ones that did connect are closed and the first error is raised."""
    results = await asyncio.gather(
        *(IrcUser.connect(host, port, nick, **kwargs) for nick in nicks), return_exceptions=True
    )
    users = [result for result in results if isinstance(result, IrcUser)]
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors:
        await asyncio.gather(*(user.close(quit_message=None) for user in users), return_exceptions=True)
        raise errors[0]
    return users


@contextlib.asynccontextmanager
async def connected(host: str, port: int, *nicks: str, **kwargs: Any) -> AsyncIterator[list[IrcUser]]:
    """``async with connected(host, port, "alice", "bob") as (alice, bob):`` — closes them all on exit."""
    users = await connect_many(host, port, nicks, **kwargs)
    try:
        yield users
    finally:
        await asyncio.gather(*(user.close() for user in users), return_exceptions=True)
