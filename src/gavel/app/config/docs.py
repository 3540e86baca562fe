"""``docs/config.md``, generated from the config model: every key with its type, default and meaning.

Regenerate with ``python -m gavel.app.config.docs docs/config.md``; a test fails when the committed
file differs from :func:`config_markdown`. The key tables come from the model's fields and their
``setting(...)``; only the prose around them is written here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gavel.app.config.delivery_model import DeliverConfig, MailConfig
from gavel.app.config.model import TLS_PORT, BotConfig, ChannelConfig, Config, MatrixConfig, NetworkConfig
from gavel.app.config.setting import Option, options

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_HEAD = """\
# Configuration

<!-- Generated from the config model (gavel.app.config.model) by `python -m gavel.app.config.docs docs/config.md`.
Do not edit by hand. -->

The bot reads one [TOML](https://toml.io/) file at start:

```sh
gavel run --check --config /etc/gavel/gavel.toml   # validate only
gavel run --config /etc/gavel/gavel.toml           # run the bot
```

`--config` may also come from the `GAVEL_CONFIG` environment variable. A commented sample is
[`examples/gavel.toml`](../examples/gavel.toml) and a hardened systemd unit
[`examples/gavel.service`](../examples/gavel.service).

## Checking

`gavel run --check` reads and validates the file, then prints one line and exits 0:

```
/etc/gavel/gavel.toml: OK: 2 networks, 4 channels (libera: #meeting #dev #private; oftc: #meeting)
```

or prints **every** problem it found (not just the first) and exits 2. Each names the file, the TOML path and what
is wrong:

```
error: gavel.toml: bot.idle_end_minute: unknown key (did you mean 'idle_end_minutes'?)
error: gavel.toml: networks[0].port: must be an integer between 1 and 65535 (got 'abc')
error: gavel.toml: networks[1].nickserv_password_env: the environment variable OFTC_NS is not set
gavel.toml: 3 problem(s); nothing was started
```

`gavel run` without `--check` validates the same way before connecting anywhere (exit 2 on a bad file, which the
systemd unit does not restart on). Some valid settings earn a warning on stderr: `tls_verify = false`, or a password
with `tls = false`.

## General rules

- **Unknown keys are errors**, so a typo never silently leaves an option at its default. The message suggests the
  closest known key, or the table a key belongs in (`bot.host: unknown key here (it belongs in a [[networks]]
  table)`). Remember TOML's rule: keys after a `[table]` header belong to that table.
- **Types are strict**: `true`/`false` for booleans (not `"yes"`), integers for minutes and ports. Seconds accept
  integers or decimals. Strings must not be empty or contain control characters.
- **Paths** have `~` expanded (with `$HOME`) and are made absolute relative to the directory of the config file,
  so `output_dir = "meetings"` in `/etc/gavel/gavel.toml` means `/etc/gavel/meetings`.
- **Secrets** ({secrets}) may be written inline or,
  better, read from an environment variable named by the `*_env` twin: `sasl_password_env = "LIBERA_SASL"`. Giving
  both is an error, and so is naming a variable that is unset or empty. Secrets never appear in error messages,
  warnings or the repr of the loaded configuration.
"""

_CHANNEL_TABLES = """\
An entry of a network's `channels` array is a channel name, or a table for a channel with a key (+k):
`{ name = "#x", key = "..." }` or `{ name = "#x", key_env = "VAR" }`.\
"""

_TAIL = """\
## Example

```toml
[bot]
nick = "gavel"
output_dir = "/srv/meetings"
url_base = "https://meetings.example.org/"
journal_dir = "/var/lib/gavel/journal"

[[networks]]
name = "libera"
host = "irc.libera.chat"
sasl_username = "gavel"
sasl_password_env = "GAVEL_LIBERA_SASL_PASSWORD"
channels = ["#project-meeting", {{ name = "#project-private", key_env = "GAVEL_PRIVATE_KEY" }}]
```

## Why these defaults

- **TLS on, certificates verified, port {tls_port}**: every major network offers TLS; turning it off is a
  deliberate choice.
- **`idle_end_minutes = {idle_end}`, `max_length_minutes = {max_length}`**: a live bot should not keep a
  forgotten meeting open (and logging the channel) for days; two quiet hours or eight hours in all is far beyond
  a real meeting. (`gavel replay` uses 0 for both, to reproduce logs as they were.)
- **{required} are required**:
  they depend on the deployment and a wrong guess (a nick someone else owns, a journal under the published tree)
  is worse than an error.
- **Journal and archive outside `output_dir`**: everything under `output_dir` is served on the web; the journal
  and the archive hold every line, including those of `#restrictlogs` meetings.

## In code

```python
from gavel.app.config import load_config

config = load_config(Path("/etc/gavel/gavel.toml"))  # raises gavel.app.config.ConfigError (.problems: list[str])
(
    config.bot.output_dir,
    config.networks[0].channels,
)  # frozen dataclasses: Config, BotConfig, NetworkConfig, ChannelConfig
config.meeting_settings("libera", "#project-meeting")  # -> gavel.core.meeting.MeetingSettings
```

Each key is a field of those dataclasses (`gavel/app/config/model.py`) whose `setting(...)` holds its meaning and
bounds: a field added there is accepted, checked, defaulted and listed here.
"""


def config_markdown() -> str:
    """The whole of ``docs/config.md``."""
    top = {option.name: option for option in options(Config)}
    sections = [
        _HEAD.format(secrets=_secrets()),
        _section("## `[bot]`", top["bot"].setting.help, BotConfig),
        _section("## `[[networks]]`", top["networks"].setting.help, NetworkConfig),
        _section("### Channel tables", _CHANNEL_TABLES, ChannelConfig),
        _section("## `[[matrix]]`", top["matrix"].setting.help, MatrixConfig),
        _section("## `[mail]`", top["mail"].setting.help, MailConfig),
        _section("## `[[deliver]]`", top["deliver"].setting.help, DeliverConfig),
        _TAIL.format(
            tls_port=TLS_PORT,
            idle_end=_default(BotConfig, "idle_end_minutes"),
            max_length=_default(BotConfig, "max_length_minutes"),
            required=_and([f"`{option.name}`" for option in options(BotConfig) if option.required]),
        ),
    ]
    return "\n".join(sections)


def key_table(model: type[DataclassInstance]) -> list[str]:
    """The Markdown table of ``model``'s keys: one row each, with its type, default and meaning."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for option in options(model):
        keys = " / ".join(f"`{key}`" for key in option.keys)
        cells = (keys, shown_type(option), shown_default(option), option.setting.help)
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return rows


def shown_type(option: Option) -> str:
    """The key's type as the reference shows it: ``integer ≥ 1``, ``path``, ``secret``, ..."""
    setting, kind = option.setting, option.type
    if setting.kind:
        return setting.kind
    if setting.secret:
        return "secret"
    if kind is bool:
        return "boolean"
    if kind is int:
        low, high = setting.minimum, setting.maximum
        if low is not None and high is not None:
            return f"integer {low}–{high}"
        if low is not None:
            return f"integer ≥ {low}"
        return "integer" if high is None else f"integer ≤ {high}"
    if kind is float:
        if setting.minimum is None:
            return "number"
        return f"number {'>' if setting.exclusive else '≥'} {setting.minimum:g}"
    if kind is str or kind == str | None:
        return "string"
    if kind is Path or kind == Path | None:
        return "path"
    raise TypeError(f"{option.name}: give its setting a kind= for the documentation (its type is {kind})")


def shown_default(option: Option) -> str:
    """The key's default as the reference shows it: a TOML value, ``none`` or **required**."""
    if option.setting.shown_default:
        return option.setting.shown_default
    if option.required:
        return "**required**"
    if option.default is None:
        return "none"
    return f"`{_toml(option.default)}`"


def _section(heading: str, intro: str, model: type[DataclassInstance]) -> str:
    return "\n".join([heading, "", intro, "", *key_table(model), ""])


def _secrets() -> str:
    names = [
        f"`{o.name}`"
        for model in (BotConfig, NetworkConfig, MatrixConfig, MailConfig, DeliverConfig)
        for o in options(model)
        if o.setting.secret
    ]
    names += [f"channel `{o.name}`" for o in options(ChannelConfig) if o.setting.secret]
    return ", ".join(names)


def _default(model: type[DataclassInstance], name: str) -> str:
    return next(_toml(option.default) for option in options(model) if option.name == name)


def _toml(value: object) -> str:
    """``value`` written as in a TOML file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return repr(value)


def _and(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)


def _cell(text: str) -> str:
    """``text`` made safe for one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def main(argv: list[str]) -> int:
    """``python -m gavel.app.config.docs [OUTPUT]``: write the reference to OUTPUT, or to stdout."""
    text = config_markdown()
    if len(argv) > 1:
        print("usage: python -m gavel.app.config.docs [OUTPUT]", file=sys.stderr)
        return 2
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
        print(f"wrote {argv[0]}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
