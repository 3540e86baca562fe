"""``[mail]`` and ``[[deliver]]``: what `gavel run --check` accepts and the errors it gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from gavel.app.config import ConfigError, load_config

BASE = """
[bot]
nick = "gavel"
output_dir = "out"
journal_dir = "journal"

[[networks]]
name = "test"
host = "irc.example.org"
channels = ["#meet"]
"""

GOOD = """
[mail]
host = "smtp.example.org"
starttls = true
user = "meetbot"
password_env = "SMTP_PASSWORD"
from = "gavel <meetbot@example.org>"

[[deliver]]
series = ["nova", "kolla"]
mail_to = ["project-discuss@lists.example.org"]
webhook = "https://hooks.example.org/gavel"
webhook_secret_env = "HOOK_SECRET"
"""

ENV = {"SMTP_PASSWORD": "pw", "HOOK_SECRET": "hs"}


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    path = tmp_path / "gavel.toml"
    path.write_text(BASE + text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, ENV if env is None else env)
    return [problem.split(": ", 1)[1] for problem in caught.value.problems]


def test_the_documented_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "gavel.toml"
    path.write_text(BASE + GOOD, encoding="utf-8")
    config = load_config(path, ENV)
    assert config.mail is not None
    assert (config.mail.sender, config.mail.port, config.mail.password) == ("gavel <meetbot@example.org>", 587, "pw")
    [rule] = config.deliver
    assert rule.wants("Nova") and not rule.wants("swift")
    assert rule.webhook_secret == "hs"
    assert "pw" not in repr(config) and "hs" not in repr(config)


def test_tls_defaults_to_port_465_and_plain_smtp_to_the_loopback_to_25(tmp_path: Path) -> None:
    path = tmp_path / "gavel.toml"
    path.write_text(BASE + GOOD.replace("starttls = true", "tls = true"), encoding="utf-8")
    mail = load_config(path, ENV).mail
    assert mail is not None and mail.port == 465
    path.write_text(BASE + '[mail]\nhost = "127.0.0.1"\nfrom = "a@b.org"\n[[deliver]]\nmail_to = ["c@d.org"]\n')
    mail = load_config(path, ENV).mail
    assert mail is not None and (mail.port, mail.tls, mail.starttls) == (25, False, False)


def test_plain_smtp_to_another_host_is_refused(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, GOOD.replace("starttls = true\n", ""))
    assert problem.startswith("mail.host: plain SMTP to smtp.example.org is refused")


def test_every_problem_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("starttls = true", "starttls = true\ntls = true\nprot = 25").replace(
        'webhook = "https://', 'webhook = "http://'
    )
    found = problems(tmp_path, text, {})
    assert "mail.prot: unknown key (did you mean 'port'?)" in found
    assert "mail.starttls: set either tls (port 465) or starttls (port 587), not both" in found
    assert "mail.password_env: the environment variable SMTP_PASSWORD is not set" in found
    assert "deliver[0].webhook_secret_env: the environment variable HOOK_SECRET is not set" in found
    assert any(problem.startswith("deliver[0].webhook: http: is refused") for problem in found)


def test_a_rule_needs_somewhere_to_send_and_mail_needs_a_server(tmp_path: Path) -> None:
    found = problems(tmp_path, '[[deliver]]\nseries = ["nova"]\n[[deliver]]\nmail_to = ["not an address"]\n')
    assert "deliver[0].mail_to: missing: a [[deliver]] table needs mail_to, webhook or both" in found
    assert "deliver[1].mail_to[0]: must be a mail address (got 'not an address')" in found
    assert "deliver[1].mail_to: needs a [mail] table (the SMTP server to send with)" in found


def test_a_webhook_needs_a_secret(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, '[[deliver]]\nwebhook = "https://h.example.org/x"\n')
    assert problem.startswith("deliver[0].webhook_secret_env: missing")


def test_a_key_of_deliver_in_mail_says_where_it_belongs(tmp_path: Path) -> None:
    found = problems(tmp_path, GOOD.replace("[mail]\n", '[mail]\nwebhook = "https://x.org"\n'))
    assert "mail.webhook: unknown key here (it belongs in a [[deliver]] table)" in found
