"""``gavel serve`` (a real uvicorn process on a loopback port) and ``gavel export`` from the command line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from gavel.app.cli import main
from gavel.storage.archive import open_archive
from web_support import TOKEN, WEEKLY, fill


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


def post_login(base: str, token: str, headers: dict[str, str]) -> int:
    body = urllib.parse.urlencode({"token": token}).encode("ascii")
    request = urllib.request.Request(base + "/login", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.servers  # `gavel serve` in a process of its own
def test_serve(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'archive.db'}"
    with open_archive(url) as archive:
        fill(archive, url)
    port = free_port()
    env = {**os.environ, "GAVEL_WEB_TOKEN": TOKEN, "GAVEL_ARCHIVE": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "gavel", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                status, body, headers = fetch(base + "/api/series")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else b""
                assert time.monotonic() < deadline, "gavel serve did not start"
                time.sleep(0.05)
        assert status == 200
        assert [s["name"] for s in json.loads(body)["series"]] == ["k8s_integration_discussion", WEEKLY]
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert "server" not in headers
        status, body, _ = fetch(base + "/api/series", {"Authorization": f"Bearer {TOKEN}"})
        assert "secret_council" in [s["name"] for s in json.loads(body)["series"]]
        status, body, _ = fetch(base + f"/series/{WEEKLY}")
        assert status == 200 and b"bob to publish the roadmap" in body
        assert fetch(base + "/series/..%2F..%2Fetc%2Fpasswd")[0] == 404
        for n in range(5):  # uvicorn's own proxy headers are off: X-Forwarded-For from an untrusted peer is ignored
            assert post_login(base, "guess", {"X-Forwarded-For": f"192.0.2.{n}"}) == 401
        assert post_login(base, TOKEN, {"X-Forwarded-For": "192.0.2.99"}) == 429
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()


def test_serve_refuses_a_bad_archive_url() -> None:
    result = CliRunner().invoke(main, ["serve", "--archive", "bogus://nowhere"])
    assert result.exit_code == 1
    assert "unknown archive URL" in result.output


def test_export_command(tmp_path: Path) -> None:
    url = f"sqlite://{tmp_path / 'archive.db'}"
    with open_archive(url) as archive:
        fill(archive, url)
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["export", "--archive", url, str(out)])
    assert result.exit_code == 0, result.output
    assert f"{out}: 2 series, 5 meeting(s)" in result.output
    assert (out / WEEKLY / "2023" / "weekly_sync.2023-11-07-15.00.html").is_file()
    assert not (out / "secret_council").exists()
    result = CliRunner().invoke(
        main, ["export", "--archive", url, str(out), "--include-restricted", "--url-base", "https://m.example/"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "secret_council" / "2024" / "secret_council.2024-05-01-15.00.log.txt").is_file()
    text = (out / WEEKLY / "2023" / "weekly_sync.2023-11-07-15.00.txt").read_text(encoding="utf-8")
    assert "https://m.example/weekly_sync/2023/weekly_sync.2023-11-07-15.00.log.html" in text


@pytest.mark.parametrize("command", ["serve", "export"])
def test_docs_show_every_option(command: str) -> None:
    """docs/web.md's synopsis of ``gavel serve`` / ``gavel export`` names each of their options."""
    docs = (Path(__file__).parent.parent / "docs" / "web.md").read_text(encoding="utf-8")
    synopsis = docs.split("```", 2)[1]
    usage = synopsis[synopsis.index(f"gavel {command}") :].split("\ngavel ")[0]
    cli = main.commands[command]
    options = [name for param in cli.params for name in param.opts if name.startswith("--")]
    assert options and all(f"[{name}" in usage for name in options), (options, usage)
