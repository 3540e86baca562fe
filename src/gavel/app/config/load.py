"""``load_config``: the TOML file read, table by table, into a :class:`Config` or a :class:`ConfigError`."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gavel.app.config.errors import ConfigError
from gavel.app.config.model import (
    DEFAULT_INFO_URL,
    DEFAULT_REALNAME,
    DEFAULT_USERNAME,
    PLAIN_PORT,
    TLS_PORT,
    BotConfig,
    ChannelConfig,
    Config,
    NetworkConfig,
    SaslMechanism,
)
from gavel.app.config.rules import channel_problem, read_archive, read_formats, read_http_url, read_nick
from gavel.app.config.table import ABSENT, Context, Table, describe
from gavel.core.records import fold_nick

_NETWORK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_USERNAME = re.compile(r"[^\s@!:]+")

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
    ctx = Context(shown, Path(os.path.abspath(path)).parent, env)
    config = _read(ctx, data, Path(os.path.abspath(path)))
    if ctx.problems or config is None:
        raise ConfigError(path, ctx.problems)
    return config


def _read(ctx: Context, data: Mapping[str, object], path: Path) -> Config | None:
    top = Table(ctx, "", data, _TOP_KEYS, _ELSEWHERE)
    bot_data = top.raw("bot")
    bot: BotConfig | None = None
    if bot_data is ABSENT:
        ctx.problem("bot", "missing: the file needs a [bot] table")
    elif not isinstance(bot_data, dict):
        ctx.problem("bot", f"must be a table ([bot]) (got {describe(bot_data)})")
    else:
        bot = _read_bot(Table(ctx, "bot", bot_data, _BOT_KEYS, _ELSEWHERE))

    networks: list[NetworkConfig] = []
    raw_networks = top.raw("networks")
    if raw_networks is ABSENT:
        ctx.problem("networks", "missing: the file needs at least one [[networks]] table")
    elif not isinstance(raw_networks, list):
        ctx.problem("networks", f"must be an array of tables ([[networks]]) (got {describe(raw_networks)})")
    elif not raw_networks:
        ctx.problem("networks", "at least one network is required")
    else:
        seen: dict[str, int] = {}
        for index, item in enumerate(raw_networks):
            if not isinstance(item, dict):
                ctx.problem(f"networks[{index}]", f"must be a table ([[networks]]) (got {describe(item)})")
                continue
            network = _read_network(Table(ctx, f"networks[{index}]", item, _NETWORK_KEYS, _ELSEWHERE), bot)
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


def _read_bot(t: Table) -> BotConfig:
    nick = read_nick(t, "nick", required=True)
    output_dir = t.path("output_dir", required=True, directory=True)
    journal_dir = t.path("journal_dir", required=True, directory=True)

    url_base = ""
    if t.has("url_base") and t.raw("url_base") != "":
        url = read_http_url(t, "url_base")
        if url is not None:
            url_base = url if url.endswith("/") else url + "/"
    info_url = read_http_url(t, "info_url") or DEFAULT_INFO_URL

    archive, archive_url = read_archive(t)
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
        formats=read_formats(t),
        flood_burst=t.integer("flood_burst", 5, 1),
        flood_interval_seconds=t.number("flood_interval_seconds", 1.0, minimum=0, exclusive=True),
        reconnect_min_seconds=minimum,
        reconnect_max_seconds=maximum,
        info_url=info_url,
    )


def _read_network(t: Table, bot: BotConfig | None) -> NetworkConfig | None:
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
    nick = read_nick(t, "nick") if t.has("nick") else (bot.nick if bot is not None else None)

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
    t: Table, client_cert: Path | None, username: str | None, password: str | None, tls: bool
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


def _channels(t: Table) -> tuple[ChannelConfig, ...]:
    raw = t.raw("channels")
    if raw is ABSENT:
        t.problem("channels", 'missing: list at least one channel, e.g. channels = ["#meetings"]')
        return ()
    if not isinstance(raw, list):
        t.problem("channels", f"must be an array of channel names (got {describe(raw)})")
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
            if channel_problem(entry):
                t.problem(where, f"{channel_problem(entry)} (got {describe(entry)})")
                name = None
        elif isinstance(entry, dict):
            table = Table(t.ctx, t.at(where), entry, _CHANNEL_KEYS)
            name = table.string("name", required=True)
            if name is not None and channel_problem(name):
                table.problem("name", f"{channel_problem(name)} (got {describe(name)})")
                name = None
            key = table.secret("key")
            if key is not None and (" " in key or "," in key):
                table.problem("key", "must not contain spaces or commas")
        else:
            t.problem(where, f"must be a channel name or a table {{name = ..., key = ...}} (got {describe(entry)})")
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
