"""`gavel run`: --check exit codes and messages, the sample config, handing the config to the live bot."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from gavel.app.cli import main
from gavel.app.config import Config

EXAMPLES = Path(__file__).parent.parent / "examples"
SAMPLE_ENV = {
    "GAVEL_LIBERA_SASL_PASSWORD": "sasl-secret",
    "GAVEL_LIBERA_PRIVATE_KEY": "key-secret",
    "GAVEL_OFTC_NICKSERV_PASSWORD": "nickserv-secret",
}
VALID = """
[bot]
nick = "gavel"
output_dir = "out"
journal_dir = "journal"

[[networks]]
name = "libera"
host = "irc.example.org"
channels = ["#a", "#b"]
"""


def run(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["run", *map(str, args)], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gavel.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_valid_config(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    code, out, err = run("--check", "--config", path)
    assert code == 0, err
    assert out == f"{path}: OK: 1 network, 2 channels (libera: #a #b)\n"
    assert err == ""


def test_check_reports_every_problem_and_exits_2(tmp_path: Path) -> None:
    text = VALID.replace('channels = ["#a", "#b"]', 'port = "abc"\nchannels = ["a"]\nnickserv_password = "hunter2"')
    path = write(tmp_path, text.replace('nick = "gavel"', 'nick = "gavel"\nnik = "x"'))
    code, out, err = run("--check", "--config", path)
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"error: {path}: bot.nik: unknown key (did you mean 'nick'?)",
        f"error: {path}: networks[0].port: must be an integer between 1 and 65535 (got 'abc')",
        f"error: {path}: networks[0].channels[0]: a channel name must start with #, &, ! or + (got 'a')",
        f"{path}: 3 problem(s); nothing was started",
    ]
    assert "hunter2" not in err


def test_check_missing_file(tmp_path: Path) -> None:
    code, out, err = run("--check", "--config", tmp_path / "nope.toml")
    assert code == 2
    assert out == ""
    assert f"error: {tmp_path / 'nope.toml'}: cannot read the file: No such file or directory" in err


def test_check_invalid_toml(tmp_path: Path) -> None:
    code, _, err = run("--check", "--config", write(tmp_path, "[bot\n"))
    assert code == 2
    assert "invalid TOML" in err


def test_config_is_required() -> None:
    code, _, err = run("--check", env={"GAVEL_CONFIG": ""})
    assert code == 2
    assert "--config" in err


def test_config_from_environment_variable(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    code, out, _ = run("--check", env={"GAVEL_CONFIG": str(path)})
    assert code == 0
    assert out.startswith(f"{path}: OK: ")


def test_check_prints_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace('channels = ["#a", "#b"]', 'channels = ["#a"]\ntls_verify = false'))
    code, out, err = run("--check", "--config", path)
    assert code == 0
    assert out.startswith(f"{path}: OK:")
    assert err == f"warning: {path}: networks[0].tls_verify: false: the server's certificate is not checked\n"


def test_sample_config_passes_check() -> None:
    sample = EXAMPLES / "gavel.toml"
    code, out, err = run("--check", "--config", sample, env=SAMPLE_ENV)
    assert code == 0, err
    assert err == ""
    assert out == (
        f"{sample}: OK: 2 networks, 4 channels "
        "(libera: #example-meeting #example-dev #example-private; oftc: #example-meeting)\n"
    )


def test_sample_config_needs_its_secrets() -> None:
    code, _, err = run("--check", "--config", EXAMPLES / "gavel.toml", env=dict.fromkeys(SAMPLE_ENV, ""))
    assert code == 2
    assert err.count("is empty") == len(SAMPLE_ENV)


def test_sample_unit_runs_the_documented_command() -> None:
    unit = (EXAMPLES / "gavel.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/gavel/.venv/bin/gavel run --config /etc/gavel/gavel.toml\n" in unit
    for directive in ("User=gavel", "Restart=on-failure", "ProtectSystem=strict", "NoNewPrivileges=yes"):
        assert f"\n{directive}\n" in unit
    assert "StateDirectory=gavel" in unit
    assert "EnvironmentFile=" in unit
    assert "ReadWritePaths=/srv/meetings" in unit


def test_run_hands_the_config_to_the_live_bot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Config] = []

    async def run_bot(config: Config) -> None:
        seen.append(config)

    fake = types.ModuleType("gavel.app.live")
    fake.run_bot = run_bot  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gavel.app.live", fake)
    code, out, err = run("--config", write(tmp_path, VALID))
    assert code == 0, err
    assert out == err == ""
    assert [c.networks[0].name for c in seen] == ["libera"]
    assert seen[0].bot.output_dir == tmp_path / "out"


def test_run_with_a_bad_config_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def run_bot(config: Config) -> None:
        raise AssertionError("must not start")

    fake = types.ModuleType("gavel.app.live")
    fake.run_bot = run_bot  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gavel.app.live", fake)
    code, _, err = run("--config", write(tmp_path, VALID.replace("libera", "li bera")))
    assert code == 2
    assert "networks[0].name: must be letters, digits" in err
