"""One ``[[networks]]`` table: the server, TLS, authentication and the channels to serve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gavel.app.config.context import describe
from gavel.app.config.model import PLAIN_PORT, ChannelConfig, NetworkConfig, SaslMechanism
from gavel.app.config.rules import channel_problem, read_nick
from gavel.app.config.table import ABSENT, Table
from gavel.core.records import fold_nick

_NETWORK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def read_network(t: Table, bot_nick: str | None) -> NetworkConfig | None:
    """The network, or None when its name, host or nick is missing or invalid (each a problem recorded)."""
    name = t.string("name")
    if name is not None and not _NETWORK_NAME.fullmatch(name):
        t.problem("name", f"must be letters, digits, '.', '_' or '-' (got {name!r})")
    host = t.string("host")
    if host is not None and (any(c.isspace() for c in host) or "/" in host):
        t.problem("host", f"must be a host name or address, not a URL (got {host!r})")
    tls = t.boolean("tls")
    port = t.integer("port") if tls else t.integer("port", default=PLAIN_PORT)
    tls_verify = t.boolean("tls_verify")
    tls_ca_file = t.path("tls_ca_file")
    client_cert = t.path("client_cert")
    client_key = t.path("client_key")
    nick = read_nick(t, "nick") if t.has("nick") else bot_nick

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
        **t.remaining(),
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
        plain: dict[str, Any] = {}
        if isinstance(entry, str):
            name = entry
            if channel_problem(entry):
                t.problem(where, f"{channel_problem(entry)} (got {describe(entry)})")
                name = None
        elif isinstance(entry, dict):
            table = Table(t.ctx, t.at(where), entry, ChannelConfig)
            name = table.string("name")
            if name is not None and channel_problem(name):
                table.problem("name", f"{channel_problem(name)} (got {describe(name)})")
                name = None
            key = table.secret("key")
            if key is not None and (" " in key or "," in key):
                table.problem("key", "must not contain spaces or commas")
            plain = table.remaining()
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
        channels.append(ChannelConfig(name=name, key=key, **plain))
    return tuple(channels)
