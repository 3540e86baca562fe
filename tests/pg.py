"""A throwaway PostgreSQL server for the archive tests: initdb + pg_ctl in a temporary directory.

The server listens on a free loopback port (and a Unix socket in that directory), with fsync off (unless durable),
and trusts local connections: ``PostgresServer.create_database()`` gives each test its own empty
database (a schema of its own) as a URL. ``initdb`` refuses to run as root, so as root the server
runs as the ``postgres`` system user (or ``nobody``); only the server does, the tests connect over TCP.

No PostgreSQL installed is a test failure, not a skip: ``./scripts/test`` installs Debian's
``postgresql`` package when it is missing.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import psycopg
import pytest

INSTALL_HINT = "run ./scripts/test (it installs Debian's `postgresql` package when missing)"

# The PostgreSQL case of a fixture parametrized over the archive backends: it starts the server, so it is marked.
POSTGRESQL = pytest.param("postgresql", marks=pytest.mark.servers, id="postgresql")


def postgres_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` (or the directory of ``initdb`` on $PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    pytest.fail(f"PostgreSQL is not installed (no initdb found): {INSTALL_HINT}", pytrace=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PostgresServer:
    """``with PostgresServer() as server: url = server.create_database()``."""

    def __init__(self, *, durable: bool = False) -> None:
        """``durable``: fsync and full-page writes on, as a production server has them (the tests turn both off)."""
        self.durable = durable
        self.bindir = postgres_bindir()
        self.port = 0
        self.root: Path | None = None
        self._user: str | None = None
        self._names = itertools.count(1)
        self._running = False

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", self._user, "--", *args] if self._user else list(args)

    def _run(self, *args: str) -> None:
        done = subprocess.run(self._command(*args), capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            log = ""
            if self.root is not None and (self.root / "log").exists():
                log = (self.root / "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}{log}")

    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gavel-pg-"))
        if os.geteuid() == 0:
            self._user = "postgres" if _user_exists("postgres") else "nobody"
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        data = str(self.root / "data")
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            data,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "-N",
        )
        last: Exception | None = None
        for _attempt in range(5):  # another process may take the port between probe and bind
            self.port = _free_port()
            options = f"-k {self.root} -h 127.0.0.1 -p {self.port} -c max_connections=40"
            if not self.durable:
                options += " -F -c full_page_writes=off"
            try:
                self._run(
                    str(self.bindir / "pg_ctl"), "-D", data, "-o", options, "-l", str(self.root / "log"), "-w", "start"
                )
            except RuntimeError as error:
                last = error
                continue
            self._running = True
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute("CREATE DATABASE gavel")
            return
        raise RuntimeError(f"PostgreSQL did not start: {last}")

    def stop(self) -> None:
        if self.root is None:
            return
        if self._running:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
            self._running = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def create_database(self) -> str:
        """A fresh empty database for one test; its URL.

        It is a schema of its own in the shared ``gavel`` database (the URL sets ``search_path``):
        creating one takes milliseconds where ``CREATE DATABASE`` takes ~0.2 s.
        """
        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url("gavel"), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url('gavel')}?options=-csearch_path%3D{name}"

    def server_pids(self) -> list[int]:
        """The server's processes: the postmaster and its children (the backends, the writers)."""
        if self.root is None or not self._running:
            return []
        main = int((self.root / "data" / "postmaster.pid").read_text().split()[0])
        pids = [main]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == main:
                    pids.append(int(stat.parent.name))
        return pids

    def drop_database(self, url: str) -> None:
        name = url.rsplit("%3D", 1)[1]
        with psycopg.connect(self.url("gavel"), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
