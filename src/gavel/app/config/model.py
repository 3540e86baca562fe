"""The configuration model: frozen dataclasses, what ``load_config`` returns.

Each field that is a TOML key carries its documentation and bounds (``setting(...)``): adding a field
here with a default is enough for the loader to accept, check and default it and for docs/config.md
to describe it. A field with rules of its own (a nick, a URL) also needs them in ``load``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo

from gavel.app.config.delivery_model import DeliverConfig, MailConfig
from gavel.app.config.setting import NOT_IN_FILE, setting
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
    name: str = field(
        metadata=setting(
            f"The channel: starts with `#`, `&`, `!` or `+`, has at most {CHANNEL_MAX} characters and no spaces, "
            "commas or control characters.",
        )
    )
    key: str | None = field(
        default=None,
        repr=False,
        metadata=setting("The channel key (+k); no spaces or commas.", secret=True),
    )


@dataclass(frozen=True, slots=True)
class BotConfig:
    nick: str = field(
        metadata=setting(
            f"The bot's IRC nick (a valid IRC nick: up to {NICK_MAX} letters, digits and `` []\\`_^{{|}}- ``, not "
            "starting with a digit or `-`). A network's `nick` overrides it.",
        )
    )
    output_dir: Path = field(
        metadata=setting(
            "Root of the MeetBot-layout output tree, "
            "`DIR/<name>/<YYYY>/<name>.<YYYY-MM-DD-HH.MM>.<ext>`, the same layout `gavel replay` writes. Serve it "
            "with a web server. Need not exist yet; must not be a file.",
            directory=True,
        )
    )
    journal_dir: Path = field(
        metadata=setting(
            "Where running meetings are journaled, so a restart or crash loses nothing. Private: must not be "
            "inside `output_dir`.",
            directory=True,
        )
    )
    url_base: str = field(
        default="",
        metadata=setting(
            "The URL at which `output_dir` is served; used for the links the bot announces and puts in the "
            "minutes. A trailing `/` is added. Empty: no absolute links.",
            kind="http(s) URL",
        ),
    )
    archive: Path | None = field(
        default=None,
        metadata=setting(
            "The archive every ended meeting is stored in (and whose open action items `#startmeeting` lists). "
            "`sqlite:///var/lib/gavel/archive.db` is the file `/var/lib/gavel/archive.db`; `sqlite://archive.db` "
            "is relative to the config file's directory; a SQLite file must not be inside `output_dir`. A "
            "`postgresql://user:password@host/db` URL is passed to psycopg (its password is never shown).",
            kind="`sqlite://` or `postgresql://` URL",
        ),
    )
    # The archive as gavel.storage.archive.open_archive takes it: "sqlite:///abs/path" or a PostgreSQL URL (which
    # may hold a password: never shown). The loader derives it from `archive`.
    archive_url: str | None = field(default=None, repr=False, metadata=NOT_IN_FILE)
    realname: str = field(
        default=DEFAULT_REALNAME,
        metadata=setting('The IRC "real name" (shown by `/whois`): a good place for a contact.'),
    )
    username: str = field(
        default=DEFAULT_USERNAME,
        metadata=setting("The IRC user name (ident); no spaces, `@`, `!` or `:`."),
    )
    timezone: str = field(
        default="UTC",
        metadata=setting(
            'Time zone of the times in the bot\'s replies ("Meeting started Wed Mar 16 15:30:39 2016 CET"), like '
            'MeetBot\'s `timeZone`, e.g. `"Europe/Berlin"`. Logs, minutes and file names stay in UTC, as OpenStack '
            "and Debian run MeetBot. Checked against the system's time zone database (with a suggestion for near "
            "misses).",
            kind="IANA name",
        ),
    )
    meeting_length_minutes: int = field(
        default=60,
        metadata=setting('"Meeting started … due to finish in 60 minutes".', minimum=1),
    )
    overtime_end_by_anyone: bool = field(
        default=True,
        metadata=setting("Once a meeting is past its length, anyone (not only chairs) may `#endmeeting`."),
    )
    chairs_by_account: bool = field(
        default=True,
        metadata=setting(
            "A nick logged in to the same services account as a chair is a chair too (needs the network's "
            "account information).",
        ),
    )
    idle_end_minutes: int = field(
        default=120,
        metadata=setting(
            "End a forgotten meeting after this many minutes without a line. `0` = never.",
            minimum=0,
            bounds_note=" (0 = never)",
        ),
    )
    max_length_minutes: int = field(
        default=480,
        metadata=setting(
            "End any meeting after this many minutes in all. `0` = never.", minimum=0, bounds_note=" (0 = never)"
        ),
    )
    set_channel_topic: bool = field(
        default=True,
        metadata=setting("`#topic` also sets the channel topic, when the bot has ops."),
    )
    formats: tuple[str, ...] = field(
        default=ALL_FORMATS,
        metadata=setting(
            "The files written for each meeting; by default all of them. The leading dot may be left out; each at "
            "most once.",
            kind="array of strings",
        ),
    )
    flood_burst: int = field(
        default=5,
        metadata=setting("Lines the bot may send at once before it is throttled.", minimum=1),
    )
    flood_interval_seconds: float = field(
        default=1.0,
        metadata=setting(
            "Then one line per this many seconds. 5 lines, then one a second, is a conservative rate networks accept.",
            minimum=0,
            exclusive=True,
        ),
    )
    reconnect_min_seconds: float = field(
        default=1.0,
        metadata=setting(
            "First delay before reconnecting after a lost connection; it doubles on each failure…",
            minimum=0,
            exclusive=True,
        ),
    )
    reconnect_max_seconds: float = field(
        default=300.0,
        metadata=setting("…up to this (at least `reconnect_min_seconds`).", minimum=0, exclusive=True),
    )
    tick_seconds: float = field(
        default=30.0,
        metadata=setting(
            "How often the bot looks at the clock for each meeting: a timebox's warnings (at 80% and at the end), "
            "ending idle or overlong meetings and schedule reminders come at most this late.",
            minimum=0.1,
        ),
    )
    schedule_dir: Path | None = field(
        default=None,
        metadata=setting(
            "A directory of meeting schedules (OpenStack irc-meetings YAML, see docs/schedule.md): the bot reminds "
            "each scheduled channel before its meetings. Changes to its files are seen while the bot runs.",
            directory=True,
        ),
    )
    remind_minutes: int = field(
        default=10,
        metadata=setting(
            "With `schedule_dir`: how many minutes before a scheduled meeting the bot reminds its channel; 0: never.",
            minimum=0,
        ),
    )
    info_url: str = field(
        default=DEFAULT_INFO_URL,
        metadata=setting("Linked from the minutes as where to learn about the bot.", kind="http(s) URL"),
    )

    @property
    def zone(self) -> tzinfo:
        """``timezone`` as a tzinfo (UTC needs no time zone database)."""
        return UTC if self.timezone == "UTC" else ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    name: str = field(
        metadata=setting(
            "A short name for logs and the journal: letters, digits, `.`, `_`, `-`; unique (case-insensitively).",
        )
    )
    host: str = field(metadata=setting("The server's host name or address (not a URL)."))
    # The nick on this network: the network's own `nick`, else bot.nick.
    nick: str = field(metadata=setting("The bot's nick on this network.", shown_default="`bot.nick`"))
    port: int = field(
        default=TLS_PORT,
        metadata=setting(
            "The server's port.",
            minimum=1,
            maximum=65535,
            shown_default=f"`{TLS_PORT}` with TLS, `{PLAIN_PORT}` without",
        ),
    )
    tls: bool = field(
        default=True,
        metadata=setting("Connect with TLS. Without it any password is sent unencrypted; the bot warns about it."),
    )
    channels: tuple[ChannelConfig, ...] = field(
        default=(),
        metadata=setting(
            'The channels to join and serve. Each entry is a name (`"#project-meeting"`) or, for a channel with a '
            'key (+k), a channel table: `{ name = "#x", key = "..." }` or `{ name = "#x", key_env = "VAR" }` (see '
            "below). Each channel at most once (case-insensitively).",
            kind="array",
            shown_default="**required**, at least one",
        ),
    )
    tls_verify: bool = field(
        default=True,
        metadata=setting(
            "Check the server's certificate (and host name). `false` warns. Needs `tls = true`.",
        ),
    )
    tls_ca_file: Path | None = field(
        default=None,
        metadata=setting(
            "A PEM file of CA certificates to trust instead of the system's (a network with its own CA). Must "
            "exist. Needs `tls = true`.",
            shown_default="system CAs",
            must_exist=True,
        ),
    )
    client_cert: Path | None = field(
        default=None,
        metadata=setting(
            "A PEM TLS client certificate (CertFP; the key may be in the same file). Must exist. Needs `tls = true`.",
            must_exist=True,
        ),
    )
    client_key: Path | None = field(
        default=None,
        metadata=setting(
            "The client certificate's private key, if it is a separate file. Needs `client_cert`.",
            shown_default="in `client_cert`",
            must_exist=True,
        ),
    )
    server_password: str | None = field(
        default=None,
        repr=False,
        metadata=setting("The server password (`PASS`), for bouncers and private servers.", secret=True),
    )
    sasl_mechanism: SaslMechanism | None = field(  # None: no SASL
        default=None,
        metadata=setting(
            "SASL authentication at connection. `PLAIN` needs `sasl_username` and `sasl_password`; `EXTERNAL` "
            "authenticates with `client_cert` (which it needs) and takes no password. Case-insensitive.",
            kind='`"PLAIN"` or `"EXTERNAL"`',
            shown_default='`"PLAIN"` when `sasl_username` is set, else no SASL',
        ),
    )
    sasl_username: str | None = field(
        default=None,
        metadata=setting(
            "The services account to log in to. With `EXTERNAL`, optional (an authorization identity).",
        ),
    )
    sasl_password: str | None = field(
        default=None,
        repr=False,
        metadata=setting("The account's password, for `PLAIN`.", secret=True),
    )
    nickserv_password: str | None = field(
        default=None,
        repr=False,
        metadata=setting(
            "Identify to NickServ with this password: the fallback when the network does not offer SASL.",
            secret=True,
        ),
    )

    def channel(self, name: str) -> ChannelConfig | None:
        """The configured channel of that name (IRC-case-insensitively), if any."""
        folded = fold_nick(name)
        return next((c for c in self.channels if fold_nick(c.name) == folded), None)


@dataclass(frozen=True, slots=True)
class MatrixConfig:
    name: str = field(
        metadata=setting(
            "A short name for logs and the journal, like a network's: letters, digits, `.`, `_`, `-`; unique among "
            "networks and Matrix accounts (case-insensitively).",
        )
    )
    homeserver: str = field(metadata=setting("The homeserver's client URL, e.g. `https://matrix.example.org`."))
    user_id: str = field(metadata=setting("The bot's Matrix user id, e.g. `@meetbot:example.org`."))
    access_token: str = field(
        default="",
        repr=False,
        metadata=setting(
            "The bot account's access token (give it as `access_token_env`).",
            secret=True,
            shown_default="**required**",
        ),
    )
    rooms: tuple[str, ...] = field(
        default=(),
        metadata=setting(
            "The rooms to join and serve: aliases (`#meeting:example.org`) or ids (`!abc:example.org`). Invitations "
            "to other rooms are ignored. End-to-end encrypted rooms are not supported: the bot says so in its log "
            "and records nothing there.",
            kind="array",
            shown_default="**required**, at least one",
        ),
    )
    power_level_chairs: int = field(
        default=0,
        metadata=setting(
            "Members whose power level in a room is at least this are chairs of its meetings too (moderators are "
            "at 50, admins at 100 by default); changes of power levels during a meeting apply at once. `0` = off.",
            minimum=0,
            bounds_note=" (0 = off)",
        ),
    )

    def room(self, name: str) -> str | None:
        """The configured spelling of room ``name`` (exact: room ids and aliases are case-sensitive)."""
        return name if name in self.rooms else None


@dataclass(frozen=True, slots=True)
class Config:
    path: Path = field(metadata=NOT_IN_FILE)  # the file it was read from, absolute
    bot: BotConfig = field(metadata=setting("The bot itself: its nick, where it writes, how it runs meetings."))
    networks: tuple[NetworkConfig, ...] = field(
        default=(), metadata=setting("One table per IRC network; at least one network or Matrix account.")
    )
    matrix: tuple[MatrixConfig, ...] = field(
        default=(), metadata=setting("One table per Matrix account (`[[matrix]]`); see docs/matrix.md.")
    )
    mail: MailConfig | None = field(
        default=None, metadata=setting("The SMTP server that mails the minutes (`[mail]`), for `[[deliver]]`.")
    )
    deliver: tuple[DeliverConfig, ...] = field(
        default=(),
        metadata=setting(
            "Where the minutes of each ended meeting are sent (`[[deliver]]`, one table per rule): by mail, to a "
            "webhook, or both. Meetings under `#restrictlogs` are never sent. See README (Delivery)."
        ),
    )
    # Valid but worth a look (a password sent without TLS, ...); `gavel run` prints them.
    warnings: tuple[str, ...] = field(default=(), metadata=NOT_IN_FILE)

    def network(self, name: str) -> NetworkConfig:
        """The network of that name; ``KeyError`` if there is none."""
        for network in self.networks:
            if network.name == name:
                return network
        raise KeyError(name)

    def matrix_account(self, name: str) -> MatrixConfig | None:
        return next((account for account in self.matrix if account.name == name), None)

    def meeting_settings(self, network: str, channel: str) -> MeetingSettings:
        """The settings for a meeting in ``channel`` on ``network`` (``KeyError`` for an unknown network)."""
        bot = self.bot
        account = self.matrix_account(network)
        return MeetingSettings(
            channel=channel,
            bot_nick=_localpart(account.user_id) if account is not None else self.network(network).nick,
            length_minutes=bot.meeting_length_minutes,
            overtime_end_by_anyone=bot.overtime_end_by_anyone,
            chairs_by_account=bot.chairs_by_account,
            idle_end_minutes=bot.idle_end_minutes,
            max_length_minutes=bot.max_length_minutes,
            info_url=bot.info_url,
            timezone=bot.zone,
        )

    def summary(self) -> str:
        """One line: ``2 networks, 3 channels (libera: #a #b; oftc: #c)`` (and Matrix accounts and rooms)."""
        channels = sum(len(n.channels) for n in self.networks)
        detail = "; ".join(f"{n.name}: {' '.join(c.name for c in n.channels)}" for n in self.networks)
        text = f"{_plural(len(self.networks), 'network')}, {_plural(channels, 'channel')} ({detail})"
        if self.matrix:
            rooms = sum(len(m.rooms) for m in self.matrix)
            where = "; ".join(f"{m.name}: {' '.join(m.rooms)}" for m in self.matrix)
            text += f"; {_plural(len(self.matrix), 'Matrix account')}, {_plural(rooms, 'room')} ({where})"
        return text


def _localpart(user_id: str) -> str:
    return user_id[1:].split(":", 1)[0] if user_id.startswith("@") else user_id


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
