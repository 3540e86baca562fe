"""A sans-I/O IRC client: feed it parsed lines, get back lines to send and channel events.

It never touches a socket or a clock (the caller passes the time), in the style of h11: the
asyncio connection (connection.py) and the tests drive the same object. It handles registration
(CAP LS 302, SASL PLAIN/EXTERNAL, server password, nick in use), IRCv3 capabilities
(server-time, message-tags, account-tag, extended-join, account-notify, echo-message, multi-prefix),
NickServ fallback, channel membership and accounts (WHOX), CTCP, and turns channel traffic into core events.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime

from irctokens.line import Line, build

from gavel.core.events import AccountChange, Action, Event, Join, Message, NickChange, Part, Quit
from gavel.core.records import fold_nick
from gavel.transports.irc.split import clean, privmsg_budget, split_message
from gavel.transports.outputs import ChannelEvent as ChannelEvent
from gavel.transports.outputs import JoinedChannel as JoinedChannel
from gavel.transports.outputs import LeftChannel as LeftChannel
from gavel.transports.outputs import Notice as Notice
from gavel.transports.outputs import Output as Output
from gavel.transports.outputs import Registered as Registered

WANTED_CAPS = (
    "server-time",
    "message-tags",
    "account-tag",
    "extended-join",
    "account-notify",
    "echo-message",
    "multi-prefix",
    "sasl",
)
WHOX_TOKEN = "173"  # noqa: S105 - marks our WHO replies (any 1-3 digit number), not a secret
VERSION_REPLY = "gavel IRC meeting bot (https://pypi.org/project/gavel-meetbot/)"


@dataclass(frozen=True, slots=True)
class IrcSettings:
    nick: str
    username: str = "gavel"
    realname: str = "gavel meeting bot"
    server_password: str | None = field(default=None, repr=False)
    sasl_mechanism: str | None = None  # "PLAIN" or "EXTERNAL"
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    nickserv_password: str | None = field(default=None, repr=False)
    channels: tuple[tuple[str, str | None], ...] = ()  # (channel, key)


@dataclass
class ChannelState:
    name: str
    members: dict[str, str] = field(default_factory=dict)  # folded nick -> nick
    ops: set[str] = field(default_factory=set)  # folded nicks with +o (or higher)
    topic: str = ""


def parse_server_time(value: str | None, fallback: datetime) -> datetime:
    """The ``time`` tag (``2026-01-02T03:04:05.678Z``) as an aware datetime, else ``fallback``."""
    if not value:
        return fallback
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # not a time, or one that UTC cannot hold (year 1 at +01:00)
        return fallback


def _account(value: str | None) -> str | None:
    """An account name as the server gives it; ``*`` and empty mean "not logged in"."""
    return None if not value or value == "*" else value


class IrcClient:
    """The client state machine for one connection. Create a new one for every reconnect."""

    def __init__(self, settings: IrcSettings) -> None:
        self.settings = settings
        self.nick = settings.nick
        self.registered = False
        self.caps: set[str] = set()
        self.isupport: dict[str, str] = {}
        self.channels: dict[str, ChannelState] = {}  # folded channel -> state
        self.accounts: dict[str, str] = {}  # folded nick -> account
        self.sasl_done = False
        self._offered: dict[str, str] = {}
        self._nick_attempt = 0
        self._outbox: list[str] = []
        self._outputs: list[Output] = []

    # ------------------------------------------------------------------ sending

    def _send(self, command: str, params: list[str], tags: dict[str, str] | None = None) -> None:
        self._outbox.append(build(command, [clean(p) for p in params], tags=tags).format())

    def take_lines(self) -> list[str]:
        """Lines to send (without CR LF), in order; the queue is emptied."""
        lines, self._outbox = self._outbox, []
        return lines

    def take_outputs(self) -> list[Output]:
        outputs, self._outputs = self._outputs, []
        return outputs

    def start(self) -> None:
        """Begin registration (call right after the connection is up)."""
        self._send("CAP", ["LS", "302"])
        if self.settings.server_password:
            self._send("PASS", [self.settings.server_password])
        self._send("NICK", [self.nick])
        self._send("USER", [self.settings.username, "0", "*", self.settings.realname])

    def privmsg_lines(self, target: str, text: str, *, action: bool = False) -> list[tuple[str, str]]:
        """``(line, piece)`` for each PRIVMSG that says ``text`` (split to fit 512 bytes; CR/LF/NUL made spaces)."""
        lines = []
        for piece in split_message(clean(text), privmsg_budget(target, action=action)):
            body = f"\x01ACTION {piece}\x01" if action else piece
            lines.append((build("PRIVMSG", [target, body]).format(), piece))
        return lines

    def topic_line(self, channel: str, topic: str) -> str:
        limit = int(self.isupport.get("TOPICLEN", "300") or 300)
        data = clean(topic).encode("utf-8")[:limit]
        return build("TOPIC", [channel, data.decode("utf-8", "ignore")]).format()

    def has_ops(self, channel: str) -> bool:
        state = self.channels.get(self.fold(channel))
        return state is not None and self.fold(self.nick) in state.ops

    def fold(self, name: str) -> str:
        casemapping = self.isupport.get("CASEMAPPING", "rfc1459")
        return name.lower() if casemapping == "ascii" else fold_nick(name)

    # ------------------------------------------------------------------ receiving

    def receive(self, line: Line, now: datetime) -> list[Output]:
        """Handle one line from the server; returns the outputs (lines to send go to take_lines())."""
        handler = getattr(self, "_on_" + line.command.upper(), None)
        if handler is not None:
            handler(line, now)
        return self.take_outputs()

    def _source_nick(self, line: Line) -> str:
        return line.hostmask.nickname if line.source else ""

    def _on_PING(self, line: Line, now: datetime) -> None:
        self._send("PONG", line.params[:1] or [""])

    def _on_CAP(self, line: Line, now: datetime) -> None:
        if len(line.params) < 3:
            return
        sub = line.params[1].upper()
        if sub == "LS":
            more = len(line.params) > 3 and line.params[2] == "*"
            for token in line.params[-1].split():
                name, _, value = token.partition("=")
                self._offered[name] = value
            if more or self.registered:
                return
            wanted = [cap for cap in WANTED_CAPS if cap in self._offered]
            if "sasl" in wanted and not self._sasl_configured():
                wanted.remove("sasl")
            if wanted:
                self._send("CAP", ["REQ", " ".join(wanted)])
            else:
                self._send("CAP", ["END"])
        elif sub == "ACK":
            self.caps.update(cap.lstrip("-=~") for cap in line.params[-1].split() if not cap.startswith("-"))
            if "sasl" in self.caps and self._sasl_configured() and not self.sasl_done:
                self._send("AUTHENTICATE", [self._mechanism()])
            elif not self.registered:
                self._send("CAP", ["END"])
        elif sub == "NAK" and not self.registered:
            self._send("CAP", ["END"])

    def _sasl_configured(self) -> bool:
        if self.settings.sasl_mechanism == "EXTERNAL":
            return True
        return bool(self.settings.sasl_username and self.settings.sasl_password)

    def _mechanism(self) -> str:
        return self.settings.sasl_mechanism or "PLAIN"

    def _on_AUTHENTICATE(self, line: Line, now: datetime) -> None:
        if not line.params or line.params[0] != "+":
            return
        if self._mechanism() == "EXTERNAL":
            self._send("AUTHENTICATE", ["+"])
            return
        user = self.settings.sasl_username or ""
        secret = f"{user}\0{user}\0{self.settings.sasl_password or ''}".encode()
        encoded = base64.b64encode(secret).decode("ascii")
        for start in range(0, len(encoded), 400):
            self._send("AUTHENTICATE", [encoded[start : start + 400]])
        if len(encoded) % 400 == 0:
            self._send("AUTHENTICATE", ["+"])

    def _sasl_finished(self, ok: bool, text: str) -> None:
        self.sasl_done = ok
        if not ok:
            self._outputs.append(Notice(f"SASL authentication failed: {text}"))
        if not self.registered:
            self._send("CAP", ["END"])

    def _on_903(self, line: Line, now: datetime) -> None:
        self._sasl_finished(True, "")

    def _on_904(self, line: Line, now: datetime) -> None:
        self._sasl_finished(False, line.params[-1] if line.params else "")

    _on_905 = _on_904
    _on_906 = _on_904
    _on_908 = _on_904

    def _on_001(self, line: Line, now: datetime) -> None:
        self.registered = True
        if line.params:
            self.nick = line.params[0]
        if self.settings.nickserv_password and not self.sasl_done:
            self._send("PRIVMSG", ["NickServ", f"IDENTIFY {self.settings.nickserv_password}"])
        for channel, key in self.settings.channels:
            self._send("JOIN", [channel, key] if key else [channel])
        self._outputs.append(Registered(self.nick))

    def _on_005(self, line: Line, now: datetime) -> None:
        for token in line.params[1:-1]:
            name, _, value = token.partition("=")
            if name.startswith("-"):
                self.isupport.pop(name[1:], None)
            else:
                self.isupport[name] = value

    def _on_433(self, line: Line, now: datetime) -> None:
        """Nick in use: during registration try nick_, nick__, then nick1, nick2 ..."""
        if self.registered:
            return
        self._nick_attempt += 1
        base = self.settings.nick
        self.nick = base + "_" * self._nick_attempt if self._nick_attempt <= 2 else f"{base}{self._nick_attempt - 2}"
        self._send("NICK", [self.nick])
        self._outputs.append(Notice(f"nick {base} is in use; trying {self.nick}"))

    _on_432 = _on_433
    _on_436 = _on_433

    def _on_JOIN(self, line: Line, now: datetime) -> None:
        if not line.params:
            return
        nick = self._source_nick(line)
        channel = line.params[0]
        key = self.fold(channel)
        account = _account(line.params[1]) if len(line.params) > 2 else _account((line.tags or {}).get("account"))
        if self.fold(nick) == self.fold(self.nick):
            self.channels[key] = ChannelState(channel)
            if "WHOX" in self.isupport:
                self._send("WHO", [channel, f"%tcnfa,{WHOX_TOKEN}"])
            self._outputs.append(JoinedChannel(channel))
        state = self.channels.get(key)
        if state is None:
            return
        state.members[self.fold(nick)] = nick
        if account is not None:
            self.accounts[self.fold(nick)] = account
        elif len(line.params) > 2:  # extended-join told us: not logged in
            self.accounts.pop(self.fold(nick), None)
        self._emit(state, Join(self._time(line, now), nick, self.accounts.get(self.fold(nick))))

    def _on_PART(self, line: Line, now: datetime) -> None:
        if line.params:
            self._leave(line.params[0], self._source_nick(line), line, now, "parted")

    def _on_KICK(self, line: Line, now: datetime) -> None:
        if len(line.params) >= 2:
            self._leave(line.params[0], line.params[1], line, now, "kicked: " + (line.params[2:3] or [""])[0])

    def _leave(self, channel: str, nick: str, line: Line, now: datetime, reason: str) -> None:
        state = self.channels.get(self.fold(channel))
        if state is None:
            return
        if self.fold(nick) == self.fold(self.nick):
            del self.channels[self.fold(channel)]
            self._outputs.append(LeftChannel(state.name, reason))
            return
        state.members.pop(self.fold(nick), None)
        state.ops.discard(self.fold(nick))
        self._emit(state, Part(self._time(line, now), nick))
        self._forget_if_gone(nick)

    def _forget_if_gone(self, nick: str) -> None:
        key = self.fold(nick)
        if not any(key in state.members for state in self.channels.values()):
            self.accounts.pop(key, None)

    def _on_QUIT(self, line: Line, now: datetime) -> None:
        nick = self._source_nick(line)
        key = self.fold(nick)
        for state in self.channels.values():
            if state.members.pop(key, None) is not None:
                state.ops.discard(key)
                self._emit(state, Quit(self._time(line, now), nick))
        self.accounts.pop(key, None)

    def _on_NICK(self, line: Line, now: datetime) -> None:
        if not line.params:
            return
        old, new = self._source_nick(line), line.params[0]
        old_key, new_key = self.fold(old), self.fold(new)
        if old_key == self.fold(self.nick):
            self.nick = new
        if old_key in self.accounts:
            self.accounts[new_key] = self.accounts.pop(old_key)
        for state in self.channels.values():
            if state.members.pop(old_key, None) is not None:
                state.members[new_key] = new
                if old_key in state.ops:
                    state.ops.discard(old_key)
                    state.ops.add(new_key)
                self._emit(state, NickChange(self._time(line, now), old, new))

    def _on_ACCOUNT(self, line: Line, now: datetime) -> None:
        if line.params:
            self._learn_account(self._source_nick(line), _account(line.params[0]), line, now)

    def _learn_account(
        self, nick: str, account: str | None, line: Line, now: datetime, told: ChannelState | None = None
    ) -> None:
        """Record ``nick``'s services account (None: not logged in) and, when that is news, tell every channel the
        nick is in (an ``AccountChange`` event), so the core's chairs know it too. ``told``: a channel whose WHO
        reply this is, told even when the account is not news (it may have joined after the others learnt it)."""
        key = self.fold(nick)
        news = self.accounts.get(key) != account
        if account is None:
            self.accounts.pop(key, None)
        else:
            self.accounts[key] = account
        for state in self.channels.values():
            if key in state.members and (news or state is told):
                self._emit(state, AccountChange(self._time(line, now), state.members[key], account))

    def _on_353(self, line: Line, now: datetime) -> None:
        """NAMES: members, with their prefixes (all of them, with multi-prefix)."""
        if len(line.params) < 4:
            return
        state = self.channels.get(self.fold(line.params[2]))
        if state is None:
            return
        prefixes = self._prefix_symbols()
        for entry in line.params[3].split():
            nick = entry.lstrip(prefixes).split("!", 1)[0]
            if not nick:
                continue
            state.members[self.fold(nick)] = nick
            if any(symbol in entry[: len(entry) - len(entry.lstrip(prefixes))] for symbol in self._op_symbols()):
                state.ops.add(self.fold(nick))

    def _on_354(self, line: Line, now: datetime) -> None:
        """WHOX reply for ``%tcnfa``: token, channel, nick, flags, account."""
        params = line.params
        if len(params) < 6 or params[1] != WHOX_TOKEN:
            return
        _, _, channel, nick, flags, account = params[:6]
        key = self.fold(nick)
        state = self.channels.get(self.fold(channel))
        if state is not None:
            state.members.setdefault(key, nick)  # a WHO reply for a channel names one of its members
        if account == "0":  # WHOX's "not logged in"
            self._learn_account(nick, None, line, now, state)
        elif _account(account) is not None:
            self._learn_account(nick, account, line, now, state)
        if state is not None and any(symbol in flags for symbol in self._op_symbols()):
            state.ops.add(key)

    def _prefix_symbols(self) -> str:
        prefix = self.isupport.get("PREFIX", "(qaohv)~&@%+")
        return prefix.split(")", 1)[1] if ")" in prefix else "~&@%+"

    def _op_symbols(self) -> str:
        """Prefix symbols of op (+o) and above."""
        prefix = self.isupport.get("PREFIX", "(qaohv)~&@%+")
        if ")" not in prefix:
            return "~&@"
        modes, symbols = prefix[1:].split(")", 1)
        cut = modes.find("o")
        return symbols[: cut + 1] if cut >= 0 else symbols[:1]

    def _on_MODE(self, line: Line, now: datetime) -> None:
        if len(line.params) < 2:
            return
        state = self.channels.get(self.fold(line.params[0]))
        if state is None:
            return
        prefix = self.isupport.get("PREFIX", "(qaohv)~&@%+")
        modes = prefix[1:].split(")", 1)[0] if ")" in prefix else "qaohv"
        op_modes = modes[: modes.find("o") + 1] if "o" in modes else "o"
        adding = True
        args = list(line.params[2:])
        for char in line.params[1]:
            if char in "+-":
                adding = char == "+"
                continue
            takes_arg = char in modes or char in self._list_modes(adding)
            target = args.pop(0) if takes_arg and args else None
            if char in op_modes and target is not None:
                if adding:
                    state.ops.add(self.fold(target))
                else:
                    state.ops.discard(self.fold(target))

    def _list_modes(self, adding: bool) -> str:
        """Channel modes that take an argument (CHANMODES A, B, and C when setting)."""
        groups = ([*self.isupport.get("CHANMODES", "beI,k,l,imnpst").split(","), "", "", "", ""])[:4]
        return groups[0] + groups[1] + (groups[2] if adding else "")

    def _on_332(self, line: Line, now: datetime) -> None:
        state = self.channels.get(self.fold(line.params[1])) if len(line.params) > 2 else None
        if state is not None:
            state.topic = line.params[2]

    def _on_TOPIC(self, line: Line, now: datetime) -> None:
        state = self.channels.get(self.fold(line.params[0])) if len(line.params) > 1 else None
        if state is not None:
            state.topic = line.params[1]

    def _on_PRIVMSG(self, line: Line, now: datetime) -> None:
        if len(line.params) < 2:
            return
        target, text = line.params[0], line.params[1]
        nick = self._source_nick(line)
        if text.startswith("\x01"):
            body = text.strip("\x01")
            command, _, rest = body.partition(" ")
            command = command.upper()
            if command != "ACTION":
                if self.fold(target) == self.fold(self.nick):
                    self._ctcp_reply(nick, command, rest)
                return
            self._channel_line(target, nick, rest, line, now, action=True)
            return
        self._channel_line(target, nick, text, line, now, action=False)

    def _ctcp_reply(self, nick: str, command: str, rest: str) -> None:
        if command == "VERSION":
            self._send("NOTICE", [nick, f"\x01VERSION {VERSION_REPLY}\x01"])
        elif command == "PING":
            self._send("NOTICE", [nick, f"\x01PING {rest[:64]}\x01"])

    def _channel_line(self, target: str, nick: str, text: str, line: Line, now: datetime, *, action: bool) -> None:
        state = self.channels.get(self.fold(target))
        if state is None:
            return
        key = self.fold(nick)
        tags = line.tags or {}
        account = _account(tags.get("account")) if "account" in tags else self.accounts.get(key)
        time = self._time(line, now)
        msgid = (line.tags or {}).get("msgid")
        event: Event = Action(time, nick, text, account, msgid) if action else Message(time, nick, text, account, msgid)
        self._emit(state, event)

    def own_line(self, channel: str, text: str, now: datetime, *, action: bool = False) -> ChannelEvent | None:
        """The event for a line we sent, when the server will not echo it back (no echo-message)."""
        if "echo-message" in self.caps:
            return None
        state = self.channels.get(self.fold(channel))
        if state is None:
            return None
        event: Event = Action(now, self.nick, text) if action else Message(now, self.nick, text)
        return ChannelEvent(state.name, event)

    def _time(self, line: Line, now: datetime) -> datetime:
        return parse_server_time((line.tags or {}).get("time"), now)

    def _emit(self, state: ChannelState, event: Event) -> None:
        self._outputs.append(ChannelEvent(state.name, event))
