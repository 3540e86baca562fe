"""The configuration model: frozen dataclasses, what ``load_config`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo

from gavel.app.output_tree import ALL_FORMATS
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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
