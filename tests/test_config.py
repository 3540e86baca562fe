"""gavel.app.config: loading, defaults, every validation rule, env secrets, paths, secret-free reprs."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gavel.app.config import (
    DEFAULT_INFO_URL,
    BotConfig,
    ChannelConfig,
    Config,
    ConfigError,
    NetworkConfig,
    load_config,
)
from gavel.app.output_tree import ALL_FORMATS
from gavel.core import errors
from gavel.core.meeting import MeetingSettings

MINIMAL = """
[bot]
nick = "gavel"
output_dir = "/srv/meetings"
journal_dir = "/var/lib/gavel/journal"

[[networks]]
name = "libera"
host = "irc.example.org"
channels = ["#project-meeting"]
"""

NETWORK = """
[[networks]]
name = "libera"
host = "irc.example.org"
channels = ["#project-meeting"]
"""


def write(tmp_path: Path, text: str, name: str = "gavel.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def bot(extra: str = "", *, network: str = NETWORK) -> str:
    """A valid file with ``extra`` lines added to [bot]."""
    return f'[bot]\nnick = "gavel"\noutput_dir = "/srv/m"\njournal_dir = "/var/lib/gavel/j"\n{extra}\n{network}'


def net(extra: str, *, channels: str = '["#meeting"]') -> str:
    """A valid file whose one network has ``extra`` lines."""
    return bot(network=f'[[networks]]\nname = "n"\nhost = "irc.example.org"\nchannels = {channels}\n{extra}\n')


def problems(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ or {})
    prefix = f"{path}: "
    assert all(p.startswith(prefix) for p in info.value.problems), info.value.problems
    return [p.removeprefix(prefix) for p in info.value.problems]


def only_problem(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> str:
    found = problems(tmp_path, text, environ)
    assert len(found) == 1, found
    return found[0]


def load(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Config:
    return load_config(write(tmp_path, text), environ or {})


# ------------------------------------------------------------------------------------------ valid files


def test_minimal_config_and_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, MINIMAL)
    assert config.path == tmp_path / "gavel.toml"
    assert config.warnings == ()
    assert config.bot == BotConfig(
        nick="gavel", output_dir=Path("/srv/meetings"), journal_dir=Path("/var/lib/gavel/journal")
    )
    b = config.bot
    assert (b.url_base, b.archive, b.realname, b.username, b.timezone) == (
        "",
        None,
        "gavel meeting bot",
        "gavel",
        "UTC",
    )
    assert (b.meeting_length_minutes, b.idle_end_minutes, b.max_length_minutes) == (60, 120, 480)
    assert b.overtime_end_by_anyone and b.chairs_by_account and b.set_channel_topic
    assert b.formats == ALL_FORMATS
    assert (b.flood_burst, b.flood_interval_seconds) == (5, 1.0)
    assert (b.reconnect_min_seconds, b.reconnect_max_seconds) == (1.0, 300.0)
    assert b.tick_seconds == 30.0
    assert b.info_url == DEFAULT_INFO_URL == MeetingSettings(channel="#x").info_url
    assert b.zone is UTC
    assert config.networks == (
        NetworkConfig(
            name="libera", host="irc.example.org", nick="gavel", channels=(ChannelConfig("#project-meeting"),)
        ),
    )
    n = config.networks[0]
    assert (n.port, n.tls, n.tls_verify, n.sasl_mechanism) == (6697, True, True, None)
    assert n.server_password is None and n.sasl_password is None and n.nickserv_password is None
    assert n.tls_ca_file is None and n.client_cert is None and n.client_key is None


FULL = """
[bot]
nick = "gavel"
realname = "gavel bot"
username = "meetbot"
output_dir = "/srv/meetings"
url_base = "https://meetings.example.org/gavel"
journal_dir = "/var/lib/gavel/journal"
archive = "sqlite:///var/lib/gavel/archive.db"
timezone = "Europe/Berlin"
meeting_length_minutes = 45
overtime_end_by_anyone = false
chairs_by_account = false
idle_end_minutes = 0
max_length_minutes = 600
set_channel_topic = false
formats = ["json", ".html", ".log.txt"]
flood_burst = 3
flood_interval_seconds = 2
reconnect_min_seconds = 0.5
reconnect_max_seconds = 60
info_url = "https://wiki.example.org/gavel"

[[networks]]
name = "libera"
host = "irc.libera.chat"
channels = ["#a", { name = "&b", key = "sesame" }, "!c", "+d"]
sasl_username = "gavel"
sasl_password_env = "SASL"
tls_ca_file = "ca.pem"

[[networks]]
name = "oftc"
host = "irc.oftc.net"
port = 6667
tls = false
nick = "gavel-bot"
server_password = "serverpw"
nickserv_password_env = "NICKSERV"
channels = [{ name = "#meet", key_env = "KEY" }]

[[networks]]
name = "certfp"
host = "irc.example.net"
port = 7000
client_cert = "~/gavel.pem"
client_key = "~/gavel.key"
sasl_mechanism = "external"
tls_verify = false
channels = ["#x"]
"""


def test_full_config(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for name in ("gavel.pem", "gavel.key"):
        (home / name).write_text("x")
    (tmp_path / "ca.pem").write_text("x")
    environ = {"SASL": "saslpw", "NICKSERV": "nspw", "KEY": "chankey", "HOME": str(home)}
    config = load(tmp_path, FULL, environ)
    b = config.bot
    assert b.url_base == "https://meetings.example.org/gavel/"
    assert b.archive == Path("/var/lib/gavel/archive.db")
    assert (b.realname, b.username, b.timezone) == ("gavel bot", "meetbot", "Europe/Berlin")
    assert b.zone == ZoneInfo("Europe/Berlin")
    assert (b.meeting_length_minutes, b.idle_end_minutes, b.max_length_minutes) == (45, 0, 600)
    assert not (b.overtime_end_by_anyone or b.chairs_by_account or b.set_channel_topic)
    assert b.formats == (".log.txt", ".html", ".json")  # canonical order
    assert (b.flood_burst, b.flood_interval_seconds, b.reconnect_min_seconds, b.reconnect_max_seconds) == (
        3,
        2.0,
        0.5,
        60.0,
    )
    assert isinstance(b.flood_interval_seconds, float)
    assert b.info_url == "https://wiki.example.org/gavel"

    libera, oftc, certfp = config.networks
    assert libera.channels == (
        ChannelConfig("#a"),
        ChannelConfig("&b", "sesame"),
        ChannelConfig("!c"),
        ChannelConfig("+d"),
    )
    assert (libera.port, libera.sasl_mechanism, libera.sasl_username, libera.sasl_password) == (
        6697,
        "PLAIN",
        "gavel",
        "saslpw",
    )
    assert libera.tls_ca_file == tmp_path / "ca.pem"
    assert (oftc.port, oftc.tls, oftc.nick) == (6667, False, "gavel-bot")
    assert (oftc.server_password, oftc.nickserv_password, oftc.sasl_mechanism) == ("serverpw", "nspw", None)
    assert oftc.channels == (ChannelConfig("#meet", "chankey"),)
    assert oftc.channel("#MEET") == ChannelConfig("#meet", "chankey")
    assert oftc.channel("#other") is None
    assert (certfp.port, certfp.sasl_mechanism, certfp.tls_verify) == (7000, "EXTERNAL", False)
    assert (certfp.client_cert, certfp.client_key) == (home / "gavel.pem", home / "gavel.key")
    assert config.network("oftc") is oftc
    with pytest.raises(KeyError):
        config.network("efnet")
    # Valid, but worth a warning: passwords in clear text, an unchecked certificate.
    assert len(config.warnings) == 2
    assert any("networks[1]: tls = false: passwords are sent unencrypted" in w for w in config.warnings)
    assert any("networks[2].tls_verify: false" in w for w in config.warnings)
    assert config.summary() == "3 networks, 6 channels (libera: #a &b !c +d; oftc: #meet; certfp: #x)"


def test_meeting_settings(tmp_path: Path) -> None:
    text = bot(
        'url_base = "http://m.example.org"\nmeeting_length_minutes = 30\novertime_end_by_anyone = false\n'
        'chairs_by_account = false\nidle_end_minutes = 10\nmax_length_minutes = 90\ninfo_url = "https://x.org/"',
        network=NETWORK + '\n[[networks]]\nname = "oftc"\nhost = "irc.oftc.net"\nnick = "gavel2"\nchannels = ["#m"]',
    )
    config = load(tmp_path, text)
    assert config.bot.url_base == "http://m.example.org/"  # the runtime's (file names are not the core's)
    assert config.meeting_settings("oftc", "#m") == MeetingSettings(
        channel="#m",
        bot_nick="gavel2",
        length_minutes=30,
        overtime_end_by_anyone=False,
        chairs_by_account=False,
        idle_end_minutes=10,
        max_length_minutes=90,
        info_url="https://x.org/",
    )
    assert config.meeting_settings("libera", "#project-meeting").bot_nick == "gavel"
    with pytest.raises(KeyError):
        config.meeting_settings("nope", "#m")


def test_dataclasses_are_frozen_and_slotted(tmp_path: Path) -> None:
    config = load(tmp_path, MINIMAL)
    for obj in (config, config.bot, config.networks[0], config.networks[0].channels[0]):
        assert not hasattr(obj, "__dict__")
        first = dataclasses.fields(obj)[0].name
        # Python 3.11 raises TypeError rather than FrozenInstanceError for frozen slots classes (cpython gh-90562).
        with pytest.raises((dataclasses.FrozenInstanceError, TypeError)):
            setattr(obj, first, "x")
        assert getattr(obj, first) != "x"


def test_plain_port_default_without_tls(tmp_path: Path) -> None:
    assert load(tmp_path, net("tls = false")).networks[0].port == 6667


# ------------------------------------------------------------------------------------------ secrets


def test_secrets_from_environment(tmp_path: Path) -> None:
    text = net(
        'server_password_env = "SRV"\nsasl_username = "u"\nsasl_password_env = "SASL"\nnickserv_password_env = "NS"',
        channels='[{ name = "#k", key_env = "KEY" }]',
    )
    environ = {"SRV": "s3rv", "SASL": "s4sl", "NS": "n5", "KEY": "k3y"}
    network = load(tmp_path, text, environ).networks[0]
    assert (network.server_password, network.sasl_password, network.nickserv_password) == ("s3rv", "s4sl", "n5")
    assert network.channels[0].key == "k3y"


def test_secret_env_variable_unset_or_empty(tmp_path: Path) -> None:
    text = net('nickserv_password_env = "NS"')
    assert only_problem(tmp_path, text) == "networks[0].nickserv_password_env: the environment variable NS is not set"
    assert only_problem(tmp_path, text, {"NS": ""}) == (
        "networks[0].nickserv_password_env: the environment variable NS is empty"
    )


def test_secret_and_its_env_twin_together(tmp_path: Path) -> None:
    text = net('nickserv_password = "hunter2"\nnickserv_password_env = "NS"')
    problem = only_problem(tmp_path, text, {"NS": "x"})
    assert problem == "networks[0].nickserv_password: set either nickserv_password or nickserv_password_env, not both"


def test_secret_env_bad_variable_name(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, net('server_password_env = "MY-VAR"'))
    assert problem == "networks[0].server_password_env: must be an environment variable name (got 'MY-VAR')"


def test_reprs_and_errors_never_show_secrets(tmp_path: Path) -> None:
    text = net(
        'server_password = "SRV-SECRET"\nsasl_username = "u"\nsasl_password_env = "SASL"\n'
        'nickserv_password = "NS-SECRET"',
        channels='[{ name = "#k", key = "KEY-SECRET" }]',
    )
    config = load(tmp_path, text, {"SASL": "SASL-SECRET"})
    shown = repr(config) + str(config) + repr(config.networks) + repr(config.networks[0].channels)
    for secret in ("SRV-SECRET", "SASL-SECRET", "NS-SECRET", "KEY-SECRET"):
        assert secret not in shown
    assert "sasl_username='u'" in shown
    assert "name='#k'" in shown
    # A wrong type or a bad channel key is reported without its value.
    bad = net("sasl_password = 12345\nsasl_username = 'u'", channels='[{ name = "#k", key = "KEY SECRET" }]')
    found = problems(tmp_path, bad)
    assert found == [
        "networks[0].sasl_password: must be a string (got an integer)",
        "networks[0].channels[0].key: must not contain spaces or commas",
    ]
    assert not any("12345" in p or "KEY SECRET" in p for p in found)


# ------------------------------------------------------------------------------------------ paths


def test_relative_paths_resolve_against_the_config_directory(tmp_path: Path) -> None:
    conf = tmp_path / "etc"
    conf.mkdir()
    (conf / "ca.pem").write_text("x")
    text = f"""
[bot]
nick = "g"
output_dir = "out"
journal_dir = "../state/./journal"
archive = "sqlite://archive.db"
{NETWORK}
tls_ca_file = "ca.pem"
"""
    path = write(conf, text)
    config = load_config(path, {})
    assert config.bot.output_dir == conf / "out"
    assert config.bot.journal_dir == tmp_path / "state" / "journal"
    assert config.bot.archive == conf / "archive.db"
    assert config.networks[0].tls_ca_file == conf / "ca.pem"
    assert all(p.is_absolute() for p in (config.bot.output_dir, config.bot.journal_dir))


def test_relative_config_path_gives_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, MINIMAL.replace('"/srv/meetings"', '"out"'))
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("gavel.toml"), {})
    assert config.bot.output_dir == tmp_path / "out"
    assert config.path == tmp_path / "gavel.toml"


def test_home_is_expanded(tmp_path: Path) -> None:
    text = MINIMAL.replace('"/srv/meetings"', '"~/meetings"').replace('"/var/lib/gavel/journal"', '"~"')
    config = load(tmp_path, text, {"HOME": "/home/gavel"})
    assert config.bot.output_dir == Path("/home/gavel/meetings")
    assert config.bot.journal_dir == Path("/home/gavel")


def test_missing_file_for_tls_option(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, net('client_cert = "nope.pem"'))
    assert problem == f"networks[0].client_cert: no such file: {tmp_path / 'nope.pem'}"


def test_output_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    problem = only_problem(tmp_path, MINIMAL.replace('"/srv/meetings"', '"afile"'))
    assert problem == f"bot.output_dir: not a directory: {tmp_path / 'afile'}"


def test_private_state_must_not_be_published(tmp_path: Path) -> None:
    text = MINIMAL.replace('"/var/lib/gavel/journal"', '"/srv/meetings/.journal"').replace(
        "journal_dir", 'archive = "sqlite:///srv/meetings/a.db"\njournal_dir'
    )
    assert problems(tmp_path, text) == [
        "bot.journal_dir: must not be inside output_dir (/srv/meetings): everything there is published",
        "bot.archive: must not be inside output_dir (/srv/meetings): everything there is published",
    ]


# ------------------------------------------------------------------------------------------ file-level errors


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert info.value.problems == [f"{path}: cannot read the file: No such file or directory"]
    assert info.value.path == path


def test_invalid_toml(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, '[bot]\nnick = "gavel\n')
    assert problem.startswith("invalid TOML: ") and "line 2" in problem


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gavel.toml"
    path.write_bytes(b'[bot]\nnick = "\xff"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert len(info.value.problems) == 1
    assert info.value.problems == [f"{path}: not valid UTF-8 (byte 14)"]


def test_config_error_is_a_gavel_error(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(errors.GavelError) as info:
        load_config(path, {})
    assert isinstance(info.value, ConfigError)
    assert str(info.value) == "\n".join(info.value.problems)


def test_empty_file(tmp_path: Path) -> None:
    assert problems(tmp_path, "") == [
        "bot: missing: the file needs a [bot] table",
        "networks: missing: the file needs at least one [[networks]] table",
    ]


# ------------------------------------------------------------------------------------------ one test per rule


def test_unknown_key_with_suggestion(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot("idle_end_minute = 5")) == (
        "bot.idle_end_minute: unknown key (did you mean 'idle_end_minutes'?)"
    )
    assert only_problem(tmp_path, net("tls_verfy = false")) == (
        "networks[0].tls_verfy: unknown key (did you mean 'tls_verify'?)"
    )


def test_unknown_key_without_suggestion(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot("colour = 'blue'")) == "bot.colour: unknown key"


def test_unknown_key_in_the_wrong_table(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot('host = "irc.example.org"')) == (
        "bot.host: unknown key here (it belongs in a [[networks]] table)"
    )
    assert (
        only_problem(tmp_path, net('timezone = "UTC"'))
        == "networks[0].timezone: unknown key here (it belongs in [bot])"
    )


def test_unknown_top_level_table(tmp_path: Path) -> None:
    assert only_problem(tmp_path, MINIMAL + "\n[network]\n") == "network: unknown key (did you mean 'networks'?)"


def test_unknown_channel_table_key(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, net("", channels='[{ name = "#a", kee = "x" }]'))
    assert problem == "networks[0].channels[0].kee: unknown key (did you mean 'key'?)"


def test_missing_required_bot_keys(tmp_path: Path) -> None:
    assert problems(tmp_path, "[bot]\n" + NETWORK) == [
        "bot.nick: missing (required)",
        "bot.output_dir: missing (required)",
        "bot.journal_dir: missing (required)",
    ]


def test_missing_required_network_keys(tmp_path: Path) -> None:
    assert problems(tmp_path, bot(network="[[networks]]\n")) == [
        "networks[0].name: missing (required)",
        "networks[0].host: missing (required)",
        'networks[0].channels: missing: list at least one channel, e.g. channels = ["#meetings"]',
    ]


def test_wrong_type_messages(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot("nick2 = 1").replace("nick2 = 1", 'chairs_by_account = "yes"')) == (
        "bot.chairs_by_account: must be true or false (got 'yes')"
    )
    assert only_problem(tmp_path, bot("realname = 42")) == "bot.realname: must be a string (got 42)"
    assert only_problem(tmp_path, bot('realname = "  "')) == "bot.realname: must not be empty"
    assert only_problem(tmp_path, bot('realname = "a\\nb"')) == (
        "bot.realname: must not contain control characters (line breaks, tabs, ...)"
    )


def test_port_must_be_in_range(tmp_path: Path) -> None:
    for port in ('"abc"', "0", "65536", "true", "6697.0"):
        shown = {"true": "true", '"abc"': "'abc'"}.get(port, port)
        assert only_problem(tmp_path, net(f"port = {port}")) == (
            f"networks[0].port: must be an integer between 1 and 65535 (got {shown})"
        )


def test_minutes_must_be_whole_and_not_negative(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot("idle_end_minutes = -1")) == (
        "bot.idle_end_minutes: must be a whole number of at least 0 (0 = never) (got -1)"
    )
    assert only_problem(tmp_path, bot("meeting_length_minutes = 0")) == (
        "bot.meeting_length_minutes: must be an integer of at least 1 (got 0)"
    )
    assert only_problem(tmp_path, bot("flood_burst = 0")) == "bot.flood_burst: must be an integer of at least 1 (got 0)"


def test_seconds_must_be_positive_numbers(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot("flood_interval_seconds = 0")) == (
        "bot.flood_interval_seconds: must be a number greater than 0 (got 0)"
    )
    assert only_problem(tmp_path, bot("reconnect_min_seconds = nan")) == (
        "bot.reconnect_min_seconds: must be a number greater than 0 (got nan)"
    )
    for bad in ("0", "0.05", "-1", "nan"):  # a tick under a tenth of a second would only burn the CPU
        assert only_problem(tmp_path, bot(f"tick_seconds = {bad}")) == (
            f"bot.tick_seconds: must be a number at least 0.1 (got {bad})"
        ), bad


def test_reconnect_max_at_least_min(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot("reconnect_min_seconds = 10\nreconnect_max_seconds = 5")) == (
        "bot.reconnect_max_seconds: must be at least reconnect_min_seconds (10) (got 5)"
    )


def test_timezone_must_be_known(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot('timezone = "Europe/Berln"')) == (
        "bot.timezone: unknown IANA time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)"
    )
    assert only_problem(tmp_path, bot('timezone = "../../etc/passwd"')).startswith(
        "bot.timezone: unknown IANA time zone '../../etc/passwd'"
    )


def test_url_base_must_be_http(tmp_path: Path) -> None:
    for url in ("ftp://m.example.org/", "meetings.example.org", "https://", "javascript:alert(1)"):
        assert only_problem(tmp_path, bot(f'url_base = "{url}"')) == (
            f"bot.url_base: must be an http:// or https:// URL (got {url!r})"
        )
    assert load(tmp_path, bot('url_base = "https://m.example.org/x/"')).bot.url_base == "https://m.example.org/x/"


def test_info_url_must_be_http(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot('info_url = "file:///etc/passwd"')) == (
        "bot.info_url: must be an http:// or https:// URL (got 'file:///etc/passwd')"
    )


def test_archive_must_be_sqlite_or_postgresql_url(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot('archive = "mysql://db/gavel"')) == (
        "bot.archive: must be a sqlite:// URL such as 'sqlite:///var/lib/gavel/archive.db' or a postgresql:// URL "
        "(got a 'mysql' URL)"
    )


def test_archive_may_be_postgresql_and_its_password_stays_hidden(tmp_path: Path) -> None:
    path = tmp_path / "gavel.toml"
    path.write_text(bot('archive = "postgresql://gavel:s3cret@db.example.org/gavel"'), encoding="utf-8")
    config = load_config(path, environ={})
    assert config.bot.archive is None
    assert config.bot.archive_url == "postgresql://gavel:s3cret@db.example.org/gavel"
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize("nick", ["1gavel", "-gavel", "ga vel", "gavel!", "g" * 31, "gävel"])
def test_nick_must_be_a_valid_irc_nick(tmp_path: Path, nick: str) -> None:
    problem = only_problem(tmp_path, bot().replace('nick = "gavel"', f"nick = {nick!r}"))
    assert problem.startswith("bot.nick: must be a valid IRC nick")
    assert problem.endswith(f"(got {nick!r})")


@pytest.mark.parametrize("nick", ["gavel", "Gavel_2", "[bot]", "a-b", "`x^{|}\\", "g" * 30])
def test_valid_nicks(tmp_path: Path, nick: str) -> None:
    toml_nick = nick.replace("\\", "\\\\")
    assert load(tmp_path, net(f'nick = "{toml_nick}"')).networks[0].nick == nick


def test_network_nick_is_validated(tmp_path: Path) -> None:
    assert only_problem(tmp_path, net('nick = "9"')).startswith("networks[0].nick: must be a valid IRC nick")


def test_username_without_spaces_or_at(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot('username = "a@b"')) == (
        "bot.username: must not contain spaces, '@', '!' or ':' (got 'a@b')"
    )


@pytest.mark.parametrize(
    ("channel", "problem"),
    [
        ("meeting", "a channel name must start with #, &, ! or +"),
        ("#", "a channel name needs at least one character after its prefix"),
        ("#a b", "a channel name must not contain spaces, commas or control characters"),
        ("#a,#b", "a channel name must not contain spaces, commas or control characters"),
        ("#a\x07", "a channel name must not contain spaces, commas or control characters"),
        ("#" + "x" * 50, "a channel name is at most 50 characters"),
    ],
)
def test_channel_names(tmp_path: Path, channel: str, problem: str) -> None:
    toml_channel = channel.replace("\x07", "\\u0007")
    found = only_problem(tmp_path, net("", channels=f'["{toml_channel}"]'))
    assert found.startswith(f"networks[0].channels[0]: {problem} (got ")


def test_channel_table_name_is_checked(tmp_path: Path) -> None:
    assert only_problem(tmp_path, net("", channels='[{ name = "nohash" }]')) == (
        "networks[0].channels[0].name: a channel name must start with #, &, ! or + (got 'nohash')"
    )
    assert only_problem(tmp_path, net("", channels='[{ key = "k" }]')) == (
        "networks[0].channels[0].name: missing (required)"
    )


def test_channel_entry_of_wrong_type(tmp_path: Path) -> None:
    assert only_problem(tmp_path, net("", channels="[42]")) == (
        "networks[0].channels[0]: must be a channel name or a table {name = ..., key = ...} (got 42)"
    )


def test_channels_listed_twice(tmp_path: Path) -> None:
    assert only_problem(tmp_path, net("", channels='["#Meeting", "#meeting"]')) == (
        "networks[0].channels[1]: '#meeting' is listed twice (also channels[0])"
    )


def test_at_least_one_channel(tmp_path: Path) -> None:
    assert only_problem(tmp_path, net("", channels="[]")) == "networks[0].channels: at least one channel is required"
    assert only_problem(tmp_path, net("", channels='"#a"')) == (
        "networks[0].channels: must be an array of channel names (got '#a')"
    )


def test_at_least_one_network(tmp_path: Path) -> None:
    assert only_problem(tmp_path, "networks = []\n" + bot(network="")) == "networks: at least one network is required"
    # A top-level key written after [bot] belongs to [bot] (TOML's rule): say where it should go.
    assert problems(tmp_path, bot(network="networks = []")) == [
        "bot.networks: unknown key here (it belongs in the top level, before the first [table])",
        "networks: missing: the file needs at least one [[networks]] table",
    ]
    assert only_problem(tmp_path, bot(network='[networks]\nname = "x"')) == (
        "networks: must be an array of tables ([[networks]]) (got a table)"
    )


def test_network_names_unique(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot(network=NETWORK + NETWORK.replace("libera", "Libera"))) == (
        "networks[1].name: 'Libera' is already the name of networks[0] (names must be unique)"
    )


def test_network_name_charset(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot(network=NETWORK.replace('"libera"', '"libera chat"'))) == (
        "networks[0].name: must be letters, digits, '.', '_' or '-' (got 'libera chat')"
    )


def test_host_is_not_a_url(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot(network=NETWORK.replace('"irc.example.org"', '"ircs://irc.example.org"'))) == (
        "networks[0].host: must be a host name or address, not a URL (got 'ircs://irc.example.org')"
    )


def test_formats(tmp_path: Path) -> None:
    assert only_problem(tmp_path, bot('formats = [".htm"]')) == (
        "bot.formats[0]: unknown format '.htm' (did you mean '.html'? known: " + ", ".join(ALL_FORMATS) + ")"
    )
    assert only_problem(tmp_path, bot('formats = [".md", "md"]')) == "bot.formats[1]: 'md' is listed twice"
    assert only_problem(tmp_path, bot("formats = []")).startswith("bot.formats: list at least one of .log.txt")
    assert load(tmp_path, bot('formats = ["md"]')).bot.formats == (".md",)


def test_sasl_plain_needs_username_and_password(tmp_path: Path) -> None:
    assert only_problem(tmp_path, net('sasl_username = "u"')) == (
        "networks[0].sasl_password: missing: SASL PLAIN needs sasl_password or sasl_password_env"
    )
    assert only_problem(tmp_path, net('sasl_password = "p"')) == (
        "networks[0].sasl_username: missing: SASL PLAIN needs sasl_username"
    )
    assert only_problem(tmp_path, net('sasl_mechanism = "PLAIN"\nsasl_username = "u"')) == (
        "networks[0].sasl_password: missing: SASL PLAIN needs sasl_password or sasl_password_env"
    )


def test_sasl_mechanism_values(tmp_path: Path) -> None:
    assert only_problem(tmp_path, net('sasl_mechanism = "SCRAM-SHA-256"')) == (
        "networks[0].sasl_mechanism: must be 'PLAIN' or 'EXTERNAL' (got 'SCRAM-SHA-256')"
    )


def test_sasl_external_needs_client_cert(tmp_path: Path) -> None:
    assert only_problem(tmp_path, net('sasl_mechanism = "EXTERNAL"')) == (
        "networks[0].sasl_mechanism: EXTERNAL needs client_cert (a TLS client certificate)"
    )
    (tmp_path / "c.pem").write_text("x")
    text = net('sasl_mechanism = "EXTERNAL"\nclient_cert = "c.pem"\nsasl_password = "p"')
    assert only_problem(tmp_path, text) == (
        "networks[0].sasl_password: not used with SASL EXTERNAL (it authenticates with client_cert)"
    )


def test_tls_options_need_tls(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    assert problems(tmp_path, net('tls = false\ntls_ca_file = "ca.pem"\ntls_verify = false')) == [
        "networks[0].tls_ca_file: needs tls = true",
        "networks[0].tls_verify: needs tls = true",
    ]


def test_client_key_needs_client_cert(tmp_path: Path) -> None:
    (tmp_path / "k.pem").write_text("x")
    assert only_problem(tmp_path, net('client_key = "k.pem"')) == "networks[0].client_key: needs client_cert"


def test_many_problems_reported_together(tmp_path: Path) -> None:
    text = """
[bot]
nick = "9lives"
output_dir = "/srv/m"
journal_dir = "/var/lib/j"
timezone = "Mars/Olympus"
idle_end_minutes = -5
formts = [".md"]

[[networks]]
name = "a"
host = "irc.example.org"
port = "abc"
channels = ["nohash", "#ok"]
nickserv_password_env = "UNSET"

[[networks]]
name = "a"
host = "irc.example.net"
"""
    found = problems(tmp_path, text)
    assert found == [
        "bot.formts: unknown key (did you mean 'formats'?)",
        "bot.nick: must be a valid IRC nick: up to 30 letters, digits and []\\`_^{|}- not starting with a digit or "
        "'-' (got '9lives')",
        "bot.timezone: unknown IANA time zone 'Mars/Olympus'",
        "bot.idle_end_minutes: must be a whole number of at least 0 (0 = never) (got -5)",
        "networks[0].port: must be an integer between 1 and 65535 (got 'abc')",
        "networks[0].nickserv_password_env: the environment variable UNSET is not set",
        "networks[0].channels[0]: a channel name must start with #, &, ! or + (got 'nohash')",
        'networks[1].channels: missing: list at least one channel, e.g. channels = ["#meetings"]',
        "networks[1].name: 'a' is already the name of networks[0] (names must be unique)",
    ]
