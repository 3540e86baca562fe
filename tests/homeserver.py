"""A throwaway Synapse homeserver for the Matrix tests: loopback only, SQLite, no federation, rate limits raised.

(The Matrix benchmark starts it with PostgreSQL and Prometheus metrics instead: see ``Synapse``'s arguments.)

Synapse lives in its own virtual environment (``.synapse-venv``, made by ``scripts/test``; ``GAVEL_SYNAPSE_PYTHON``
names another interpreter), never in the project's. One server serves the whole test session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
SERVER_NAME = "gavel.test"
START_TIMEOUT = 60.0

# Applied over the generated homeserver.yaml (by Synapse's own Python, which has PyYAML).
_OVERRIDES = r"""
import json, sys, yaml
path, port, message_limit = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
extra = json.loads(sys.argv[4])
with open(path) as stream:
    config = yaml.safe_load(stream)
config["listeners"] = [{
    "port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False, "x_forwarded": False,
    "resources": [{"names": ["client"], "compress": False}],
}]
if extra.get("metrics_port"):  # Prometheus metrics (per-servlet and background-process CPU) on a second port
    config["enable_metrics"] = True
    config["listeners"].append({"port": extra["metrics_port"], "bind_addresses": ["127.0.0.1"], "type": "metrics"})
if extra.get("database"):  # PostgreSQL instead of the generated SQLite file
    config["database"] = {"name": "psycopg2", "args": extra["database"]}
config.update(extra.get("settings") or {})  # top-level settings of the caller's (the benchmark's cache sizes)
config["trusted_key_servers"] = []
config["suppress_key_server_warning"] = True
config["presence"] = {"enabled": False}
config["url_preview_enabled"] = False
config["enable_registration"] = False
config["report_stats"] = False
config["federation_domain_whitelist"] = []
lots = {"per_second": 10000, "burst_count": 100000}
for key in ("rc_message", "rc_registration", "rc_admin_redaction", "rc_room_creation", "rc_3pid_validation",
            "rc_invites_per_room", "rc_invites_per_user", "rc_invites_per_issuer", "rc_joins_per_room"):
    config[key] = dict(lots)
config["rc_login"] = {"address": dict(lots), "account": dict(lots), "failed_attempts": dict(lots)}
config["rc_joins"] = {"local": dict(lots), "remote": dict(lots)}
config["rc_invites"] = {"per_room": dict(lots), "per_user": dict(lots), "per_issuer": dict(lots)}
config["rc_presence"] = {"per_user": dict(lots)}
if message_limit is not None:  # the rate-limit test's server: the bot's messages are throttled
    config["rc_message"] = {"per_second": message_limit[0], "burst_count": message_limit[1]}
config["log_config"] = None
if extra.get("access_log_only"):  # INFO for the access log only: the per-request lines the benchmark reads
    log_config = path.rsplit("/", 1)[0] + "/log.yaml"
    precise = "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s"
    with open(log_config, "w") as stream:
        yaml.safe_dump({
            "version": 1, "disable_existing_loggers": False,
            "formatters": {"precise": {"format": precise}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "precise"}},
            "loggers": {"synapse.access": {"level": "INFO"}},
            "root": {"level": "WARNING", "handlers": ["console"]},
        }, stream)
    config["log_config"] = log_config
with open(path, "w") as stream:
    yaml.safe_dump(config, stream)
"""


# Settings a small homeserver that hosts bots and does not federate may run with, by name (the Matrix benchmark's
# ``--tune``; what each saved is in docs/performance.md). "log" is ``Synapse(access_log_only=True)``.
BOT_HOST_TUNING: dict[str, dict[str, Any]] = {
    # Federation is off (federation_domain_whitelist: []), yet the main process's federation sender still works out
    # every new event's destinations (the room's servers, from its state). [] names no sender: nothing is sent.
    "no-federation-sender": {"federation_sender_instances": []},
    # Synapse runs the collector itself (at most a pass per 1 s / 10 s / 30 s for generations 0 / 1 / 2); its
    # full (generation 2) passes go over every live object: this makes them ten times rarer.
    "gc": {"gc_thresholds": [700, 10, 100]},
    # No push notifications and no unread counts (badges) for clients: the push rules of every member are no
    # longer evaluated for every event. A homeserver whose people use phones or badges keeps it on.
    "no-push": {"push": {"enabled": False}},
    # Room and user statistics (for the admin API's room list) are not kept up to date. (The user directory has no
    # such switch: user_directory.enabled only turns off searching it, its updates go on.)
    "no-stats": {"stats": {"enabled": False}},
}


def synapse_python() -> str:
    """The interpreter that has Synapse installed."""
    configured = os.environ.get("GAVEL_SYNAPSE_PYTHON")
    candidates = [configured] if configured else [str(ROOT / ".synapse-venv" / "bin" / "python")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(
        "Synapse is not installed: run ./scripts/test (it makes .synapse-venv) or set GAVEL_SYNAPSE_PYTHON"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Synapse:
    """Start with ``with Synapse() as server:``; ``server.url``, ``server.register(name)`` -> access token."""

    def __init__(
        self,
        message_limit: tuple[float, int] | None = None,
        *,
        metrics: bool = False,
        postgres: dict[str, str | int] | None = None,
        settings: dict[str, Any] | None = None,
        access_log_only: bool = False,
    ) -> None:
        """``message_limit``: ``rc_message`` as (per second, burst) instead of (almost) no limit. ``metrics``: serve
        Prometheus metrics at ``metrics_url``. ``postgres``: keep the data in that PostgreSQL database (psycopg2
        connection arguments: host, port, user, database) instead of an SQLite file; the database must be empty
        and use the C collation, and Synapse's venv needs ``psycopg2``. ``settings``: top-level keys of
        homeserver.yaml to set over the generated ones (e.g. ``caches``, or ``BOT_HOST_TUNING``'s).
        ``access_log_only``: log at INFO only the access log (a line per request, which ``log()`` returns), the rest
        from WARNING on (by default every INFO line is written)."""
        self.message_limit = message_limit
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_port = _free_port() if metrics else 0
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/_synapse/metrics" if metrics else ""
        self.postgres = postgres
        self.settings = settings or {}
        self.access_log_only = access_log_only
        self.directory = Path(tempfile.mkdtemp(prefix="gavel-synapse-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.secret = ""

    def start(self) -> None:
        python = synapse_python()
        config = self.directory / "homeserver.yaml"
        subprocess.run(
            [python, "-m", "synapse.app.homeserver", "--server-name", SERVER_NAME, "--config-path", str(config),
             "--data-directory", str(self.directory), "--generate-config", "--report-stats=no"],
            check=True, capture_output=True, timeout=120, cwd=self.directory,
        )  # fmt: skip
        subprocess.run(
            [python, "-c", _OVERRIDES, str(config), str(self.port), json.dumps(self.message_limit),
             json.dumps({"metrics_port": self.metrics_port, "database": self.postgres, "settings": self.settings,
                         "access_log_only": self.access_log_only})],
            check=True, timeout=60, cwd=self.directory,
        )  # fmt: skip
        for line in config.read_text(encoding="utf-8").splitlines():
            if line.startswith("registration_shared_secret:"):
                self.secret = line.split(":", 1)[1].strip().strip("'\"")
        log = open(self.directory / "synapse.out", "wb")  # noqa: SIM115 -- closed with the process
        self.process = subprocess.Popen(
            [python, "-m", "synapse.app.homeserver", "--config-path", str(config)],
            cwd=self.directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:  # bounded: a server that does not answer fails the tests
            if self.process.poll() is not None:
                raise RuntimeError(f"Synapse exited at start:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"Synapse did not answer within {START_TIMEOUT:.0f} s:\n{self.log()[-3000:]}")

    def log(self) -> str:
        path = self.directory / "synapse.out"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def request(self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def register(self, name: str, password: str = "gavel-test-password", *, admin: bool = False) -> str:
        """A new user through the shared-secret admin API; returns its access token. A name taken already (several
        tests run a bot called "meetbot" on the session's server) logs in again instead: a new device, a new token."""
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), name.encode(), password.encode(), b"admin" if admin else b"notadmin"]))
        body = {"nonce": nonce, "username": name, "password": password, "admin": admin, "mac": mac.hexdigest()}
        try:
            token: str = self.request("POST", "/_synapse/admin/v1/register", body)["access_token"]
        except urllib.error.HTTPError as error:
            if error.code != 400 or b"M_USER_IN_USE" not in error.read():
                raise
            login = {
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": name},
                "password": password,
            }
            token = self.request("POST", "/_matrix/client/v3/login", login)["access_token"]
        return token

    def user_id(self, name: str) -> str:
        return f"@{name}:{SERVER_NAME}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
