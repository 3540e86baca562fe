"""The bot's configuration: one TOML file, read and checked once at start.

``load_config(path)`` reads the file with :mod:`tomllib`, checks every value and returns a frozen
:class:`Config`, or raises :class:`ConfigError` listing *every* problem it found (each naming the
file, the TOML path and what is wrong), so one ``gavel run --check`` shows all typos at once.

Rules: unknown keys are errors (with a "did you mean" suggestion); each secret may instead come from
an environment variable named by its ``*_env`` twin; paths are expanded (``~``) and made absolute
relative to the config file's directory. Secrets never appear in a repr or an error message.
The options are documented in ``docs/config.md``.

The package: ``model`` (the dataclasses; each field's ``setting(...)`` from ``setting`` makes it a
key, with its meaning, default and bounds), ``table`` (reading one TOML table of a model),
``context`` (the problems found), ``rules`` (checks of single values), ``bot_table``,
``network_table`` and ``matrix_table`` (the rules of each table), ``load`` (the file, table by table), ``errors``
(:class:`ConfigError`) and ``docs`` (docs/config.md, generated from the model).
"""

from gavel.app.config.errors import ConfigError
from gavel.app.config.load import load_config
from gavel.app.config.model import (
    CHANNEL_MAX,
    DEFAULT_INFO_URL,
    DEFAULT_REALNAME,
    DEFAULT_USERNAME,
    NICK_MAX,
    PLAIN_PORT,
    TLS_PORT,
    BotConfig,
    ChannelConfig,
    Config,
    MatrixConfig,
    NetworkConfig,
    SaslMechanism,
)

__all__ = [
    "CHANNEL_MAX",
    "DEFAULT_INFO_URL",
    "DEFAULT_REALNAME",
    "DEFAULT_USERNAME",
    "NICK_MAX",
    "PLAIN_PORT",
    "TLS_PORT",
    "BotConfig",
    "ChannelConfig",
    "Config",
    "ConfigError",
    "MatrixConfig",
    "NetworkConfig",
    "SaslMechanism",
    "load_config",
]
