"""The config model drives the loader and docs/config.md: keys, defaults, bounds and reference all come from it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gavel.app import config as config_package
from gavel.app.config import BotConfig, ChannelConfig, Config, ConfigError, NetworkConfig, load_config
from gavel.app.config.context import Context
from gavel.app.config.docs import config_markdown, key_table, shown_default, shown_type
from gavel.app.config.setting import NOT_IN_FILE, options, setting, toml_keys
from gavel.app.config.table import Table
from gavel.core import errors

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "config.md"
MODELS = (Config, BotConfig, NetworkConfig, ChannelConfig)
NETWORK = '[[networks]]\nname = "n"\nhost = "irc.example.org"\nchannels = ["#m"]\n'


def load_text(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "gavel.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, {})


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_text(tmp_path, text)
    return [p.split(": ", 1)[1] for p in info.value.problems]


def bot_file(extra: str = "") -> str:
    return f'[bot]\nnick = "g"\noutput_dir = "/srv/m"\njournal_dir = "/var/lib/g"\n{extra}\n{NETWORK}'


# ------------------------------------------------------------------------------------------ docs/config.md


def test_docs_config_md_is_up_to_date() -> None:
    actual = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    assert actual == config_markdown(), (
        "docs/config.md is stale: run `.venv/bin/python -m gavel.app.config.docs docs/config.md` and commit the result"
    )


def test_the_docs_module_writes_the_same_text(tmp_path: Path) -> None:
    out = tmp_path / "config.md"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "gavel.app.config.docs"]
    written = subprocess.run([*command, str(out)], capture_output=True, text=True, env=env, check=False)
    assert written.returncode == 0, written.stderr
    assert out.read_text(encoding="utf-8") == config_markdown()
    printed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert printed.stdout == config_markdown()


@pytest.mark.parametrize("model", [BotConfig, NetworkConfig, ChannelConfig], ids=lambda m: m.__name__)
def test_every_key_has_a_row_with_type_default_and_meaning(model: type[BotConfig]) -> None:
    text = config_markdown()
    rows = key_table(model)[2:]
    assert [row.split(" | ")[0] for row in rows] == [
        "| " + " / ".join(f"`{key}`" for key in option.keys) for option in options(model)
    ]
    for option, row in zip(options(model), rows, strict=True):
        assert row in text
        cells = row.strip("|").split(" | ")
        assert len(cells) == 4, row  # an unescaped "|" inside a cell would add one
        _, kind, default, meaning = (cell.strip() for cell in cells)
        assert kind == shown_type(option) and kind
        assert default == shown_default(option) and default
        assert meaning == " ".join(option.setting.help.split()).replace("|", "\\|") and meaning


def test_shown_types_and_defaults_come_from_the_fields() -> None:
    bot = {option.name: option for option in options(BotConfig)}
    network = {option.name: option for option in options(NetworkConfig)}
    assert (shown_type(bot["meeting_length_minutes"]), shown_default(bot["meeting_length_minutes"])) == (
        "integer ≥ 1",
        "`60`",
    )
    assert (shown_type(bot["flood_interval_seconds"]), shown_default(bot["flood_interval_seconds"])) == (
        "number > 0",
        "`1.0`",
    )
    assert (shown_type(bot["nick"]), shown_default(bot["nick"])) == ("string", "**required**")
    assert (shown_type(bot["output_dir"]), shown_default(bot["realname"])) == ("path", '`"gavel meeting bot"`')
    assert shown_default(bot["formats"]).startswith('`[".log.txt", ')
    assert (shown_type(network["port"]), shown_type(network["sasl_password"])) == ("integer 1–65535", "secret")
    assert (shown_type(network["tls"]), shown_default(network["tls"]), shown_default(network["client_cert"])) == (
        "boolean",
        "`true`",
        "none",
    )


def test_the_prose_lists_the_secrets_and_required_keys_of_the_model() -> None:
    text = config_markdown()
    assert (
        "(`server_password`, `sasl_password`, `nickserv_password`, `access_token`, `password`, `webhook_secret`, "
        "channel `key`)" in text
    )
    assert "**`nick`, `output_dir` and `journal_dir` are required**" in text
    assert "`idle_end_minutes = 120`, `max_length_minutes = 480`" in text


# ------------------------------------------------------------------------------------------ keys from the model


def test_each_table_accepts_exactly_its_fields_and_the_secrets_env_twins() -> None:
    for model in MODELS:
        in_file = [f for f in dataclasses.fields(model) if f.name not in ("path", "warnings", "archive_url")]
        secrets = [f.name for f in in_file if f.metadata["gavel.config"].secret]
        assert set(toml_keys(model)) == {f.name for f in in_file} | {f"{name}_env" for name in secrets}
    assert set(toml_keys(ChannelConfig)) == {"name", "key", "key_env"}
    assert "nickserv_password_env" in toml_keys(NetworkConfig)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_secrets_are_never_in_a_repr(model: type[Config]) -> None:
    for item in dataclasses.fields(model):
        described = item.metadata["gavel.config"]
        if described is not None and described.secret:
            assert not item.repr, f"{model.__name__}.{item.name} is a secret: give it repr=False"


@pytest.mark.parametrize("key", [f.name for f in dataclasses.fields(BotConfig) if f.name != "archive_url"])
def test_every_bot_field_is_a_key_and_a_typo_suggests_it(tmp_path: Path, key: str) -> None:
    typo = key[:-1] + ("x" if key[-1] != "x" else "y")
    assert problems(tmp_path, bot_file(f"{typo} = 1")) == [f"bot.{typo}: unknown key (did you mean '{key}'?)"]


@pytest.mark.parametrize("key", [k for k in toml_keys(BotConfig) if k not in toml_keys(NetworkConfig)])
def test_a_bot_key_in_a_network_table_says_where_it_belongs(tmp_path: Path, key: str) -> None:
    found = problems(tmp_path, bot_file() + f"{key} = 1\n")
    assert len(found) == 1
    assert found[0].startswith(f"networks[0].{key}: unknown key")
    assert "did you mean" in found[0] or found[0].endswith("(it belongs in [bot])")


def test_a_channel_key_elsewhere_says_it_belongs_in_a_channel_table(tmp_path: Path) -> None:
    assert problems(tmp_path, bot_file() + 'key_env = "K"\n') == [
        "networks[0].key_env: unknown key here (it belongs in a channel table {name = ..., key_env = ...})"
    ]


def test_plain_keys_take_the_model_default(tmp_path: Path) -> None:
    config = load_text(tmp_path, bot_file())
    assert config.bot == BotConfig(nick="g", output_dir=Path("/srv/m"), journal_dir=Path("/var/lib/g"))
    for option in options(BotConfig):
        if not option.required:
            assert getattr(config.bot, option.name) == option.default, option.name


def test_a_field_without_setting_or_not_in_file_is_refused() -> None:
    @dataclass(frozen=True)
    class Forgotten:
        name: str = field(metadata=setting("A name."))
        colour: str = "blue"

    with pytest.raises(TypeError, match=r"Forgotten\.colour: give it metadata=setting"):
        options(Forgotten)


# A model as a developer might extend one: every field below is read, checked, defaulted and documented
# with no loader code of its own.
@dataclass(frozen=True, slots=True)
class Extended:
    name: str = field(metadata=setting("What it is called."))
    retries: int = field(default=3, metadata=setting("How often to retry.", minimum=0, maximum=9))
    verbose: bool = field(default=False, metadata=setting("Say more."))
    delay_seconds: float = field(default=0.5, metadata=setting("How long to wait.", minimum=0, exclusive=True))
    motto: str = field(default="hello", metadata=setting("What to say."))
    token: str | None = field(default=None, repr=False, metadata=setting("A password.", secret=True))
    ca_file: Path | None = field(default=None, metadata=setting("A CA file.", must_exist=True))
    cache: Path = field(default=Path("/var/cache/x"), metadata=setting("A directory.", directory=True))
    derived: int = field(default=0, metadata=NOT_IN_FILE)


def read_extended(
    tmp_path: Path, data: dict[str, object], environ: dict[str, str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    ctx = Context("x.toml", tmp_path, environ or {})
    values = Table(ctx, "t", data, Extended).remaining()
    return values, [p.removeprefix("x.toml: ") for p in ctx.problems]


def test_a_new_field_is_accepted_defaulted_and_read_by_its_type(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    values, found = read_extended(tmp_path, {"name": "n"})
    assert found == []
    assert Extended(**values) == Extended(name="n")
    data: dict[str, object] = {
        "name": "n",
        "retries": 9,
        "verbose": True,
        "delay_seconds": 2,
        "motto": "hi",
        "token_env": "TOKEN",
        "ca_file": "ca.pem",
        "cache": "cache",
    }
    values, found = read_extended(tmp_path, data, {"TOKEN": "t0k"})
    assert found == []
    assert values == {
        "name": "n",
        "retries": 9,
        "verbose": True,
        "delay_seconds": 2.0,
        "motto": "hi",
        "token": "t0k",
        "ca_file": tmp_path / "ca.pem",
        "cache": tmp_path / "cache",
    }


def test_a_new_field_is_checked_against_its_setting(tmp_path: Path) -> None:
    (tmp_path / "cache").write_text("a file")
    data: dict[str, object] = {
        "retries": 10,
        "verbose": "yes",
        "delay_seconds": 0,
        "motto": "",
        "token": 5,
        "ca_file": "nope.pem",
        "cache": "cache",
        "derived": 1,
        "retrys": 1,
    }
    _, found = read_extended(tmp_path, data)
    assert found == [
        "t.derived: unknown key",
        "t.retrys: unknown key (did you mean 'retries'?)",
        "t.name: missing (required)",
        "t.retries: must be an integer between 0 and 9 (got 10)",
        "t.verbose: must be true or false (got 'yes')",
        "t.delay_seconds: must be a number greater than 0 (got 0)",
        "t.motto: must not be empty",
        "t.token: must be a string (got an integer)",
        f"t.ca_file: no such file: {tmp_path / 'nope.pem'}",
        f"t.cache: not a directory: {tmp_path / 'cache'}",
    ]


def test_a_new_field_is_documented() -> None:
    rows = key_table(Extended)
    assert rows[2:] == [
        "| `name` | string | **required** | What it is called. |",
        "| `retries` | integer 0–9 | `3` | How often to retry. |",
        "| `verbose` | boolean | `false` | Say more. |",
        "| `delay_seconds` | number > 0 | `0.5` | How long to wait. |",
        '| `motto` | string | `"hello"` | What to say. |',
        "| `token` / `token_env` | secret | none | A password. |",
        "| `ca_file` | path | none | A CA file. |",
        '| `cache` | path | `"/var/cache/x"` | A directory. |',
    ]


def test_a_field_of_a_type_without_a_rule_is_an_error_not_ignored(tmp_path: Path) -> None:
    @dataclass(frozen=True)
    class Odd:
        sizes: tuple[int, ...] = field(default=(), metadata=setting("Sizes."))

    with pytest.raises(TypeError, match=r"Odd\.sizes: the loader has no rule"):
        Table(Context("x.toml", tmp_path, {}), "t", {"sizes": [1]}, Odd).remaining()


# ------------------------------------------------------------------------------------------ one ConfigError


def test_there_is_one_config_error() -> None:
    assert not hasattr(errors, "ConfigError")
    assert issubclass(ConfigError, errors.GavelError)
    assert config_package.ConfigError is ConfigError
