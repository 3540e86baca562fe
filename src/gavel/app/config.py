"""The bot's configuration: one TOML file, read and checked once at start.

``load_config(path)`` reads the file with :mod:`tomllib`, checks every value and returns a frozen
:class:`Config`, or raises :class:`ConfigError` listing *every* problem it found (each naming the
file, the TOML path and what is wrong), so one ``gavel run --check`` shows all typos at once.

Rules: unknown keys are errors (with a "did you mean" suggestion); each secret may instead come from
an environment variable named by its ``*_env`` twin; paths are expanded (``~``) and made absolute
relative to the config file's directory. Secrets never appear in a repr or an error message.
The options are documented in ``docs/config.md``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gavel.app.output_tree import ALL_FORMATS
from gavel.core.errors import GavelError
from gavel.core.meeting import MeetingSettings
from gavel.core.records import fold_nick

SaslMechanism = Literal["PLAIN", "EXTERNAL"]

DEFAULT_REALNAME: Final = "gavel meeting bot"
DEFAULT_USERNAME: Final = "gavel"
DEFAULT_INFO_URL: Final = MeetingSettings(channel="#").info_url
TLS_PORT: Final = 6697
PLAIN_PORT: Final = 6667
NICK_MAX: Final = 30  # RFC 2812 says 9; today's networks allow 16 (Libera) to 30 (OFTC)
CHANNEL_MAX: Final = 50  # RFC 2812

# RFC 2812 nickname: a letter or special first, then letters, digits, specials and '-'.
_NICK = re.compile(r"[A-Za-z\[\]\\`_^{|}][A-Za-z0-9\[\]\\`_^{|}-]*")
_NETWORK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_USERNAME = re.compile(r"[^\s@!:]+")
_CHANNEL_PREFIXES = "#&!+"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ConfigError(GavelError):
    """The configuration file is unreadable or invalid. ``problems`` lists every problem found."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    name: str
    key: str | None = field(default=None, repr=False)  # the channel key (+k), a secret


@dataclass(frozen=True, slots=True)
class BotConfig:
    nick: str
    output_dir: Path  # root of the MeetBot output tree, as `gavel replay` writes
    journal_dir: Path  # where running meetings are journaled for crash recovery
    url_base: str = ""  # "" or an http(s) URL ending in "/"
    archive: Path | None = None  # the SQLite archive database file (from "sqlite:///path"), or none
    # The archive as gavel.storage.archive.open_archive takes it: "sqlite:///abs/path" or a PostgreSQL URL (which
    # may hold a password: never shown).
    archive_url: str | None = field(default=None, repr=False)
    realname: str = DEFAULT_REALNAME
    username: str = DEFAULT_USERNAME
    timezone: str = "UTC"  # IANA name, for times shown to people
    meeting_length_minutes: int = 60
    overtime_end_by_anyone: bool = True
    chairs_by_account: bool = True
    idle_end_minutes: int = 120  # 0 = never
    max_length_minutes: int = 480  # 0 = never
    set_channel_topic: bool = True
    formats: tuple[str, ...] = ALL_FORMATS
    flood_burst: int = 5
    flood_interval_seconds: float = 1.0
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 300.0
    info_url: str = DEFAULT_INFO_URL

    @property
    def zone(self) -> tzinfo:
        """``timezone`` as a tzinfo (UTC needs no time zone database)."""
        return UTC if self.timezone == "UTC" else ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    name: str
    host: str
    nick: str  # the nick on this network: the network's own `nick`, else bot.nick
    port: int = TLS_PORT
    tls: bool = True
    channels: tuple[ChannelConfig, ...] = ()
    tls_verify: bool = True
    tls_ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    server_password: str | None = field(default=None, repr=False)
    sasl_mechanism: SaslMechanism | None = None  # None: no SASL
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    nickserv_password: str | None = field(default=None, repr=False)

    def channel(self, name: str) -> ChannelConfig | None:
        """The configured channel of that name (IRC-case-insensitively), if any."""
        folded = fold_nick(name)
        return next((c for c in self.channels if fold_nick(c.name) == folded), None)


@dataclass(frozen=True, slots=True)
class Config:
    path: Path  # the file it was read from, absolute
    bot: BotConfig
    networks: tuple[NetworkConfig, ...]
    # Valid but worth a look (a password sent without TLS, ...); `gavel run` prints them.
    warnings: tuple[str, ...] = ()

    def network(self, name: str) -> NetworkConfig:
        """The network of that name; ``KeyError`` if there is none."""
        for network in self.networks:
            if network.name == name:
                return network
        raise KeyError(name)

    def meeting_settings(self, network: str, channel: str) -> MeetingSettings:
        """The settings for a meeting in ``channel`` on ``network`` (``KeyError`` for an unknown network)."""
        bot = self.bot
        return MeetingSettings(
            channel=channel,
            bot_nick=self.network(network).nick,
            length_minutes=bot.meeting_length_minutes,
            overtime_end_by_anyone=bot.overtime_end_by_anyone,
            chairs_by_account=bot.chairs_by_account,
            idle_end_minutes=bot.idle_end_minutes,
            max_length_minutes=bot.max_length_minutes,
            url_base=bot.url_base,
            info_url=bot.info_url,
            timezone=bot.zone,
        )

    def summary(self) -> str:
        """One line: ``2 networks, 3 channels (libera: #a #b; oftc: #c)``."""
        channels = sum(len(n.channels) for n in self.networks)
        detail = "; ".join(f"{n.name}: {' '.join(c.name for c in n.channels)}" for n in self.networks)
        return f"{_plural(len(self.networks), 'network')}, {_plural(channels, 'channel')} ({detail})"


# ---------------------------------------------------------------------------------------------- loading

_BOT_KEYS = (
    "nick",
    "output_dir",
    "url_base",
    "journal_dir",
    "archive",
    "realname",
    "username",
    "timezone",
    "meeting_length_minutes",
    "overtime_end_by_anyone",
    "chairs_by_account",
    "idle_end_minutes",
    "max_length_minutes",
    "set_channel_topic",
    "formats",
    "flood_burst",
    "flood_interval_seconds",
    "reconnect_min_seconds",
    "reconnect_max_seconds",
    "info_url",
)
_NETWORK_KEYS = (
    "name",
    "host",
    "port",
    "tls",
    "channels",
    "nick",
    "tls_verify",
    "tls_ca_file",
    "client_cert",
    "client_key",
    "server_password",
    "server_password_env",
    "sasl_mechanism",
    "sasl_username",
    "sasl_password",
    "sasl_password_env",
    "nickserv_password",
    "nickserv_password_env",
)
_CHANNEL_KEYS = ("name", "key", "key_env")
_TOP_KEYS = ("bot", "networks")
# Where a key put in the wrong table belongs, for the error message.
_ELSEWHERE: Final = {
    **{key: "a [[networks]] table" for key in _NETWORK_KEYS},
    **{key: "[bot]" for key in _BOT_KEYS},
    "key": "a channel table {name = ..., key = ...}",
    "key_env": "a channel table {name = ..., key_env = ...}",
    **{key: "the top level, before the first [table]" for key in _TOP_KEYS},
}


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and check the configuration file at ``path``.

    ``environ`` (default ``os.environ``) supplies the ``*_env`` secrets and ``HOME`` for ``~``.
    Raises :class:`ConfigError` listing every problem found.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    shown = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(path, [f"{shown}: cannot read the file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"{shown}: not valid UTF-8 (byte {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"{shown}: invalid TOML: {exc}"]) from None
    ctx = _Context(shown, Path(os.path.abspath(path)).parent, env)
    config = _read(ctx, data, Path(os.path.abspath(path)))
    if ctx.problems or config is None:
        raise ConfigError(path, ctx.problems)
    return config


@dataclass
class _Context:
    shown: str  # the file name as given, prefixed to every problem
    base: Path  # the config file's directory, for relative paths
    environ: Mapping[str, str]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.shown}: {where}: {message}" if where else f"{self.shown}: {message}")

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{self.shown}: {where}: {message}")


_Absent = object()


class _Table:
    """One TOML table being read: typed getters that record a problem (and return None) on bad values."""

    def __init__(
        self,
        ctx: _Context,
        where: str,
        data: Mapping[str, object],
        known: Iterable[str],
        elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.where = where
        self.data = data
        known = tuple(known)
        for key in data:
            if key in known:
                continue
            hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if hint:
                ctx.problem(self.at(key), f"unknown key (did you mean '{hint[0]}'?)")
            elif elsewhere and key in elsewhere:
                ctx.problem(self.at(key), f"unknown key here (it belongs in {elsewhere[key]})")
            else:
                ctx.problem(self.at(key), "unknown key")

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def problem(self, key: str, message: str) -> None:
        self.ctx.problem(self.at(key), message)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> object:
        return self.data.get(key, _Absent)

    def string(self, key: str, *, required: bool = False, secret: bool = False) -> str | None:
        """A non-empty string without control characters, or None (absent or invalid)."""
        value = self.raw(key)
        if value is _Absent:
            if required:
                self.problem(key, "missing (required)")
            return None
        if not isinstance(value, str):
            self.problem(key, f"must be a string (got {_describe(value, secret=secret)})")
            return None
        if not value.strip():
            self.problem(key, "must not be empty")
            return None
        if _CONTROL.search(value):
            self.problem(key, "must not contain control characters (line breaks, tabs, ...)")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is _Absent:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false (got {_describe(value)})")
            return default
        return value

    def integer(self, key: str, default: int, low: int, high: int | None = None, *, what: str = "") -> int:
        value = self.raw(key)
        if value is _Absent:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
            if high is not None:
                bounds = f"an integer between {low} and {high}"
            else:
                bounds = "a whole number of at least 0" if low == 0 else f"an integer of at least {low}"
            self.problem(key, f"must be {bounds}{what} (got {_describe(value)})")
            return default
        return value

    def number(self, key: str, default: float, *, minimum: float, exclusive: bool = False) -> float:
        value = self.raw(key)
        if value is _Absent:
            return default
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            number = float(value)
            if number > minimum or (number == minimum and not exclusive):
                return number
        relation = "greater than" if exclusive else "at least"
        self.problem(key, f"must be a number {relation} {minimum:g} (got {_describe(value)})")
        return default

    def path(
        self, key: str, *, required: bool = False, must_exist: bool = False, directory: bool = False
    ) -> Path | None:
        text = self.string(key, required=required)
        if text is None:
            return None
        resolved = _resolve_path(self.ctx, text)
        if resolved is None:
            self.problem(key, f"cannot expand '~' in {text!r}")
            return None
        if must_exist and not resolved.is_file():
            self.problem(key, f"no such file: {resolved}")
        elif directory and resolved.exists() and not resolved.is_dir():
            self.problem(key, f"not a directory: {resolved}")
        return resolved

    def secret(self, key: str) -> str | None:
        """``key`` given inline or through ``key_env`` (the name of an environment variable), never both."""
        env_key = f"{key}_env"
        inline = self.string(key, secret=True)
        if not self.has(env_key):
            return inline
        name = self.string(env_key)
        if self.has(key):
            self.problem(key, f"set either {key} or {env_key}, not both")
            return None
        if name is None:
            return None
        if not _ENV_NAME.fullmatch(name):
            self.problem(env_key, f"must be an environment variable name (got {name!r})")
            return None
        value = self.ctx.environ.get(name)
        if value is None:
            self.problem(env_key, f"the environment variable {name} is not set")
            return None
        if not value:
            self.problem(env_key, f"the environment variable {name} is empty")
            return None
        if _CONTROL.search(value):
            self.problem(env_key, f"the environment variable {name} contains control characters")
            return None
        return value


def _read(ctx: _Context, data: Mapping[str, object], path: Path) -> Config | None:
    top = _Table(ctx, "", data, _TOP_KEYS, _ELSEWHERE)
    bot_data = top.raw("bot")
    bot: BotConfig | None = None
    if bot_data is _Absent:
        ctx.problem("bot", "missing: the file needs a [bot] table")
    elif not isinstance(bot_data, dict):
        ctx.problem("bot", f"must be a table ([bot]) (got {_describe(bot_data)})")
    else:
        bot = _read_bot(_Table(ctx, "bot", bot_data, _BOT_KEYS, _ELSEWHERE))

    networks: list[NetworkConfig] = []
    raw_networks = top.raw("networks")
    if raw_networks is _Absent:
        ctx.problem("networks", "missing: the file needs at least one [[networks]] table")
    elif not isinstance(raw_networks, list):
        ctx.problem("networks", f"must be an array of tables ([[networks]]) (got {_describe(raw_networks)})")
    elif not raw_networks:
        ctx.problem("networks", "at least one network is required")
    else:
        seen: dict[str, int] = {}
        for index, item in enumerate(raw_networks):
            if not isinstance(item, dict):
                ctx.problem(f"networks[{index}]", f"must be a table ([[networks]]) (got {_describe(item)})")
                continue
            network = _read_network(_Table(ctx, f"networks[{index}]", item, _NETWORK_KEYS, _ELSEWHERE), bot)
            if network is None:
                continue
            folded = network.name.lower()
            if folded in seen:
                ctx.problem(
                    f"networks[{index}].name",
                    f"{network.name!r} is already the name of networks[{seen[folded]}] (names must be unique)",
                )
            else:
                seen[folded] = index
            networks.append(network)
    if bot is None or ctx.problems:
        return None
    return Config(path=path, bot=bot, networks=tuple(networks), warnings=tuple(ctx.warnings))


def _read_bot(t: _Table) -> BotConfig:
    nick = _nick(t, "nick", required=True)
    output_dir = t.path("output_dir", required=True, directory=True)
    journal_dir = t.path("journal_dir", required=True, directory=True)

    url_base = ""
    if t.has("url_base") and t.raw("url_base") != "":
        url = _http_url(t, "url_base")
        if url is not None:
            url_base = url if url.endswith("/") else url + "/"
    info_url = _http_url(t, "info_url") or DEFAULT_INFO_URL

    archive, archive_url = _archive(t)
    if output_dir is not None:
        for key, inside in (("journal_dir", journal_dir), ("archive", archive)):
            if inside is not None and (inside == output_dir or output_dir in inside.parents):
                t.problem(key, f"must not be inside output_dir ({output_dir}): everything there is published")

    username = t.string("username") or DEFAULT_USERNAME
    if t.has("username") and not _USERNAME.fullmatch(username):
        t.problem("username", f"must not contain spaces, '@', '!' or ':' (got {username!r})")

    tz_name = t.string("timezone") or "UTC"
    if tz_name != "UTC":
        try:
            ZoneInfo(tz_name)
        except (ValueError, ZoneInfoNotFoundError, OSError):
            hint = difflib.get_close_matches(tz_name, sorted(available_timezones()), n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            t.problem("timezone", f"unknown IANA time zone {tz_name!r}{suggestion}")

    minimum = t.number("reconnect_min_seconds", 1.0, minimum=0, exclusive=True)
    maximum = t.number("reconnect_max_seconds", 300.0, minimum=0, exclusive=True)
    if maximum < minimum:
        t.problem("reconnect_max_seconds", f"must be at least reconnect_min_seconds ({minimum:g}) (got {maximum:g})")

    return BotConfig(
        nick=nick or "",
        output_dir=output_dir or Path(),
        journal_dir=journal_dir or Path(),
        url_base=url_base,
        archive=archive,
        archive_url=archive_url,
        realname=t.string("realname") or DEFAULT_REALNAME,
        username=username,
        timezone=tz_name,
        meeting_length_minutes=t.integer("meeting_length_minutes", 60, 1),
        overtime_end_by_anyone=t.boolean("overtime_end_by_anyone", True),
        chairs_by_account=t.boolean("chairs_by_account", True),
        idle_end_minutes=t.integer("idle_end_minutes", 120, 0, what=" (0 = never)"),
        max_length_minutes=t.integer("max_length_minutes", 480, 0, what=" (0 = never)"),
        set_channel_topic=t.boolean("set_channel_topic", True),
        formats=_formats(t),
        flood_burst=t.integer("flood_burst", 5, 1),
        flood_interval_seconds=t.number("flood_interval_seconds", 1.0, minimum=0, exclusive=True),
        reconnect_min_seconds=minimum,
        reconnect_max_seconds=maximum,
        info_url=info_url,
    )


def _read_network(t: _Table, bot: BotConfig | None) -> NetworkConfig | None:
    name = t.string("name", required=True)
    if name is not None and not _NETWORK_NAME.fullmatch(name):
        t.problem("name", f"must be letters, digits, '.', '_' or '-' (got {name!r})")
    host = t.string("host", required=True)
    if host is not None and (any(c.isspace() for c in host) or "/" in host):
        t.problem("host", f"must be a host name or address, not a URL (got {host!r})")
    tls = t.boolean("tls", True)
    port = t.integer("port", TLS_PORT if tls else PLAIN_PORT, 1, 65535)
    tls_verify = t.boolean("tls_verify", True)
    tls_ca_file = t.path("tls_ca_file", must_exist=True)
    client_cert = t.path("client_cert", must_exist=True)
    client_key = t.path("client_key", must_exist=True)
    nick = _nick(t, "nick") if t.has("nick") else (bot.nick if bot is not None else None)

    if not tls:
        for key in ("tls_ca_file", "client_cert", "client_key"):
            if t.has(key):
                t.problem(key, "needs tls = true")
        if t.has("tls_verify"):
            t.problem("tls_verify", "needs tls = true")
    if client_key is not None and not t.has("client_cert"):
        t.problem("client_key", "needs client_cert")
    if tls and not tls_verify:
        t.ctx.warn(t.at("tls_verify"), "false: the server's certificate is not checked")

    server_password = t.secret("server_password")
    sasl_username = t.string("sasl_username")
    sasl_password = t.secret("sasl_password")
    nickserv_password = t.secret("nickserv_password")
    mechanism = _sasl_mechanism(t, client_cert, sasl_username, sasl_password, tls)
    if not tls and (server_password or sasl_password or nickserv_password):
        t.ctx.warn(t.where, "tls = false: passwords are sent unencrypted")

    channels = _channels(t)
    if name is None or host is None or nick is None:
        return None
    return NetworkConfig(
        name=name,
        host=host,
        nick=nick,
        port=port,
        tls=tls,
        channels=channels,
        tls_verify=tls_verify,
        tls_ca_file=tls_ca_file,
        client_cert=client_cert,
        client_key=client_key,
        server_password=server_password,
        sasl_mechanism=mechanism,
        sasl_username=sasl_username,
        sasl_password=sasl_password,
        nickserv_password=nickserv_password,
    )


def _sasl_mechanism(
    t: _Table, client_cert: Path | None, username: str | None, password: str | None, tls: bool
) -> SaslMechanism | None:
    given = t.string("sasl_mechanism")
    mechanism: SaslMechanism | None
    if given is None:
        if t.has("sasl_mechanism"):
            return None
        mechanism = "PLAIN" if username is not None or t.has("sasl_password") or t.has("sasl_password_env") else None
    elif given.upper() == "PLAIN":
        mechanism = "PLAIN"
    elif given.upper() == "EXTERNAL":
        mechanism = "EXTERNAL"
    else:
        t.problem("sasl_mechanism", f"must be 'PLAIN' or 'EXTERNAL' (got {given!r})")
        return None
    if mechanism == "PLAIN":
        if username is None and not t.has("sasl_username"):
            t.problem("sasl_username", "missing: SASL PLAIN needs sasl_username")
        if password is None and not (t.has("sasl_password") or t.has("sasl_password_env")):
            t.problem("sasl_password", "missing: SASL PLAIN needs sasl_password or sasl_password_env")
    elif mechanism == "EXTERNAL":
        if client_cert is None and not t.has("client_cert"):
            t.problem("sasl_mechanism", "EXTERNAL needs client_cert (a TLS client certificate)")
        elif not tls:
            t.problem("sasl_mechanism", "EXTERNAL needs tls = true")
        if t.has("sasl_password") or t.has("sasl_password_env"):
            t.problem("sasl_password", "not used with SASL EXTERNAL (it authenticates with client_cert)")
    return mechanism


def _channels(t: _Table) -> tuple[ChannelConfig, ...]:
    raw = t.raw("channels")
    if raw is _Absent:
        t.problem("channels", 'missing: list at least one channel, e.g. channels = ["#meetings"]')
        return ()
    if not isinstance(raw, list):
        t.problem("channels", f"must be an array of channel names (got {_describe(raw)})")
        return ()
    if not raw:
        t.problem("channels", "at least one channel is required")
        return ()
    channels: list[ChannelConfig] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw):
        where = f"channels[{index}]"
        name: str | None
        key: str | None = None
        if isinstance(entry, str):
            name = entry
            if _channel_problem(entry):
                t.problem(where, f"{_channel_problem(entry)} (got {_describe(entry)})")
                name = None
        elif isinstance(entry, dict):
            table = _Table(t.ctx, t.at(where), entry, _CHANNEL_KEYS)
            name = table.string("name", required=True)
            if name is not None and _channel_problem(name):
                table.problem("name", f"{_channel_problem(name)} (got {_describe(name)})")
                name = None
            key = table.secret("key")
            if key is not None and (" " in key or "," in key):
                table.problem("key", "must not contain spaces or commas")
        else:
            t.problem(where, f"must be a channel name or a table {{name = ..., key = ...}} (got {_describe(entry)})")
            continue
        if name is None:
            continue
        folded = fold_nick(name)
        if folded in seen:
            t.problem(where, f"{name!r} is listed twice (also channels[{seen[folded]}])")
            continue
        seen[folded] = index
        channels.append(ChannelConfig(name=name, key=key))
    return tuple(channels)


def _channel_problem(name: str) -> str | None:
    if not name or name[0] not in _CHANNEL_PREFIXES:
        return "a channel name must start with #, &, ! or +"
    if len(name) < 2:
        return "a channel name needs at least one character after its prefix"
    if len(name) > CHANNEL_MAX:
        return f"a channel name is at most {CHANNEL_MAX} characters"
    if " " in name or "," in name or _CONTROL.search(name) or "\xa0" in name:
        return "a channel name must not contain spaces, commas or control characters"
    return None


def _nick(t: _Table, key: str, *, required: bool = False) -> str | None:
    nick = t.string(key, required=required)
    if nick is None:
        return None
    if len(nick) > NICK_MAX or not _NICK.fullmatch(nick):
        t.problem(
            key,
            f"must be a valid IRC nick: up to {NICK_MAX} letters, digits and []\\`_^{{|}}- "
            f"not starting with a digit or '-' (got {nick!r})",
        )
        return None
    return nick


def _http_url(t: _Table, key: str) -> str | None:
    url = t.string(key)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        t.problem(key, f"must be an http:// or https:// URL (got {url!r})")
        return None
    return url


def _archive(t: _Table) -> tuple[Path | None, str | None]:
    """``(SQLite file, URL for open_archive)``; a PostgreSQL archive has no file."""
    url = t.string("archive", secret=True)
    if url is None:
        return None, None
    if url.startswith(("postgresql://", "postgres://")):
        return None, url
    prefix = "sqlite://"
    if not url.startswith(prefix) or len(url) == len(prefix):
        t.problem(
            "archive",
            "must be a sqlite:// URL such as 'sqlite:///var/lib/gavel/archive.db' or a postgresql:// URL "
            f"(got a {url.split(':', 1)[0]!r} URL)"
            if ":" in url
            else "must be a sqlite:// or postgresql:// URL",
        )
        return None, None
    resolved = _resolve_path(t.ctx, url[len(prefix) :])
    if resolved is None:
        t.problem("archive", f"cannot expand '~' in {url!r}")
        return None, None
    if resolved.is_dir():
        t.problem("archive", f"must name a database file, not a directory: {resolved}")
    return resolved, f"sqlite://{resolved}"


def _formats(t: _Table) -> tuple[str, ...]:
    raw = t.raw("formats")
    if raw is _Absent:
        return ALL_FORMATS
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        t.problem("formats", f'must be an array of strings such as [".html", ".txt"] (got {_describe(raw)})')
        return ALL_FORMATS
    if not raw:
        t.problem("formats", f"list at least one of {', '.join(ALL_FORMATS)}")
        return ALL_FORMATS
    formats: list[str] = []
    for index, text in enumerate(raw):
        dotted = text if text.startswith(".") else "." + text
        if dotted not in ALL_FORMATS:
            hint = difflib.get_close_matches(dotted, ALL_FORMATS, n=1)
            suggestion = f"did you mean '{hint[0]}'? " if hint else ""
            t.problem(f"formats[{index}]", f"unknown format {text!r} ({suggestion}known: {', '.join(ALL_FORMATS)})")
        elif dotted in formats:
            t.problem(f"formats[{index}]", f"{text!r} is listed twice")
        else:
            formats.append(dotted)
    # Keep the canonical order, whatever order the file lists them in.
    return tuple(f for f in ALL_FORMATS if f in formats) or ALL_FORMATS


def _resolve_path(ctx: _Context, text: str) -> Path | None:
    """``~`` expanded (``HOME`` from the given environment), relative paths against the config's directory."""
    if text == "~" or text.startswith("~/"):
        home = ctx.environ.get("HOME")
        if home:
            text = home + text[1:]
    if text.startswith("~"):
        try:
            text = str(Path(text).expanduser())
        except RuntimeError:
            return None
        if text.startswith("~"):
            return None
    return Path(os.path.normpath(ctx.base / text))


def _describe(value: object, *, secret: bool = False) -> str:
    """A short, safe description of a bad value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if secret:
        kind = {str: "a string", int: "an integer", float: "a number", list: "an array", dict: "a table"}
        return kind.get(type(value), "a value")
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # dates and times


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
