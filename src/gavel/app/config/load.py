"""``load_config``: the TOML file read, table by table, into a :class:`Config` or a :class:`ConfigError`."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from gavel.app.config.bot_table import read_bot
from gavel.app.config.context import Context, describe
from gavel.app.config.delivery_model import DeliverConfig, MailConfig
from gavel.app.config.delivery_table import read_deliver, read_mail
from gavel.app.config.errors import ConfigError
from gavel.app.config.matrix_table import read_matrix
from gavel.app.config.model import BotConfig, ChannelConfig, Config, MatrixConfig, NetworkConfig
from gavel.app.config.network_table import read_network
from gavel.app.config.setting import toml_keys
from gavel.app.config.table import ABSENT, Table

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# Each table, as "unknown key here (it belongs in ...)" names it; "{key}" is the key.
_PLACES: Final[tuple[tuple[type[DataclassInstance], str], ...]] = (
    (Config, "the top level, before the first [table]"),
    (BotConfig, "[bot]"),
    (NetworkConfig, "a [[networks]] table"),
    (MatrixConfig, "a [[matrix]] table"),
    (ChannelConfig, "a channel table {{name = ..., {key} = ...}}"),
    (MailConfig, "[mail]"),
    (DeliverConfig, "a [[deliver]] table"),
)


def _elsewhere() -> Mapping[str, str]:
    """Where each key belongs, for a key written in the wrong table; a key of several tables, the first."""
    places: dict[str, str] = {}
    for model, place in _PLACES:
        for key in toml_keys(model):
            places.setdefault(key, place.format(key=key))
    return MappingProxyType(places)


_ELSEWHERE: Final = _elsewhere()


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
    top = Table(ctx, "", data, Config, _ELSEWHERE)
    bot_data = top.raw("bot")
    bot: BotConfig | None = None
    if bot_data is ABSENT:
        ctx.problem("bot", "missing: the file needs a [bot] table")
    elif not isinstance(bot_data, dict):
        ctx.problem("bot", f"must be a table ([bot]) (got {describe(bot_data)})")
    else:
        bot = read_bot(Table(ctx, "bot", bot_data, BotConfig, _ELSEWHERE))

    networks: list[NetworkConfig] = []
    raw_networks = top.raw("networks")
    matrix = _matrix_accounts(ctx, top)
    if raw_networks is ABSENT and not matrix and top.raw("matrix") is ABSENT:
        ctx.problem("networks", "missing: the file needs at least one [[networks]] table")
    elif raw_networks is ABSENT:
        pass
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
            table = Table(ctx, f"networks[{index}]", item, NetworkConfig, _ELSEWHERE)
            network = read_network(table, None if bot is None else bot.nick)
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
    names = [n.name.lower() for n in networks]
    for index, account in enumerate(matrix):
        if account.name.lower() in names:
            ctx.problem(f"matrix[{index}].name", f"{account.name!r} is already the name of a network or account")
        names.append(account.name.lower())
    mail, deliver = _delivery(ctx, top)
    if bot is None or ctx.problems:
        return None
    return Config(
        path=path,
        bot=bot,
        networks=tuple(networks),
        matrix=tuple(matrix),
        mail=mail,
        deliver=deliver,
        warnings=tuple(ctx.warnings),
    )


def _delivery(ctx: Context, top: Table) -> tuple[MailConfig | None, tuple[DeliverConfig, ...]]:
    """``[mail]`` and the ``[[deliver]]`` rules."""
    raw_mail = top.raw("mail")
    mail: MailConfig | None = None
    if raw_mail is not ABSENT and not isinstance(raw_mail, dict):
        ctx.problem("mail", f"must be a table ([mail]) (got {describe(raw_mail)})")
    elif isinstance(raw_mail, dict):
        mail = read_mail(Table(ctx, "mail", raw_mail, MailConfig, _ELSEWHERE))
    raw = top.raw("deliver")
    if raw is ABSENT:
        if mail is not None:
            ctx.warn("mail", "no [[deliver]] table: nothing is mailed")
        return mail, ()
    if not isinstance(raw, list):
        ctx.problem("deliver", f"must be an array of tables ([[deliver]]) (got {describe(raw)})")
        return mail, ()
    rules: list[DeliverConfig] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            ctx.problem(f"deliver[{index}]", f"must be a table ([[deliver]]) (got {describe(item)})")
            continue
        rule = read_deliver(
            Table(ctx, f"deliver[{index}]", item, DeliverConfig, _ELSEWHERE), mail, raw_mail is not ABSENT
        )
        if rule is not None:
            rules.append(rule)
    return mail, tuple(rules)


def _matrix_accounts(ctx: Context, top: Table) -> list[MatrixConfig]:
    raw = top.raw("matrix")
    if raw is ABSENT:
        return []
    if not isinstance(raw, list):
        ctx.problem("matrix", f"must be an array of tables ([[matrix]]) (got {describe(raw)})")
        return []
    accounts: list[MatrixConfig] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            ctx.problem(f"matrix[{index}]", f"must be a table ([[matrix]]) (got {describe(item)})")
            continue
        account = read_matrix(Table(ctx, f"matrix[{index}]", item, MatrixConfig, _ELSEWHERE))
        if account is not None:
            accounts.append(account)
    return accounts
