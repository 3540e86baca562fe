"""``gavel serve --workers 2``: two real worker processes over one archive share sign-ins, sign-outs and the count
of wrong tokens. Each request goes over a new connection, and the test asks the system which worker accepted it."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from gavel.storage.archive import open_archive
from test_web_cli import free_port
from web_support import TOKEN, Corpus, fill, meeting_path

WAIT = 20.0


class Workers:
    """A running ``gavel serve --workers 2``: requests to a chosen worker."""

    def __init__(self, server: subprocess.Popen[bytes], port: int, corpus: Corpus) -> None:
        self.server = server
        self.port = port
        self.corpus = corpus

    def pids(self) -> set[int]:
        return {child.pid for child in psutil.Process(self.server.pid).children(recursive=True)}

    def connect(self, worker: int | None = None) -> tuple[http.client.HTTPConnection, int]:
        """A new connection (to ``worker`` when given: connections are made until that one accepts); who took it."""
        for _attempt in range(200):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
            conn.connect()
            assert conn.sock is not None
            taken_by = self._acceptor(conn.sock.getsockname()[1])
            if worker is None or taken_by == worker:
                return conn, taken_by
            conn.close()
        raise AssertionError(f"worker {worker} accepted none of 200 connections")

    def _acceptor(self, client_port: int) -> int:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for pid in self.pids():
                try:
                    sockets = psutil.Process(pid).net_connections(kind="tcp")
                except psutil.NoSuchProcess:
                    continue
                if any(s.raddr and s.raddr.port == client_port for s in sockets):
                    return pid
            time.sleep(0.01)
        raise AssertionError("no worker accepted the connection")

    def request(
        self, worker: int, method: str, path: str, cookie: str | None = None, form: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        conn, _ = self.connect(worker)
        headers = {"Cookie": f"gavel_session={cookie}"} if cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        return response


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    url = f"sqlite://{tmp_path / 'archive.db'}"
    with open_archive(url) as archive:
        corpus = fill(archive, url)
    port = free_port()
    env = {**os.environ, "GAVEL_WEB_TOKEN": TOKEN, "GAVEL_ARCHIVE": url}
    command = [sys.executable, "-m", "gavel", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    running = Workers(server, port, corpus)
    try:
        deadline = time.monotonic() + WAIT
        while True:  # both workers up: each answers
            assert server.poll() is None, server.stdout.read() if server.stdout else b""
            assert time.monotonic() < deadline, "gavel serve --workers 2 did not start"
            try:
                if len(running.pids()) >= 2:
                    conn, _ = running.connect()
                    conn.request("GET", "/api/series")
                    if conn.getresponse().status == 200:
                        conn.close()
                        break
            except OSError:
                pass
            time.sleep(0.1)
        yield running
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stdout:
            server.stdout.close()


def two_workers(running: Workers) -> tuple[int, int]:
    """The ids of two workers that each accepted a connection."""
    seen: set[int] = set()
    for _attempt in range(200):
        conn, pid = running.connect()
        conn.close()
        seen.add(pid)
        if len(seen) == 2:
            first, second = sorted(seen)
            return first, second
    raise AssertionError(f"only {seen} accepted connections")


@pytest.mark.servers  # `gavel serve` in processes of its own
def test_workers_share_sign_in_and_sign_out(workers: Workers) -> None:
    first, second = two_workers(workers)
    restricted = meeting_path(workers.corpus.restricted)
    assert workers.request(first, "GET", restricted).status == 404
    signed_in = workers.request(first, "POST", "/login", form={"token": TOKEN, "next": "/"})
    assert signed_in.status == 303
    cookie = signed_in.getheader("set-cookie", "").split(";")[0].split("=", 1)[1]
    assert workers.request(second, "GET", restricted, cookie).status == 200
    assert workers.request(first, "GET", restricted, cookie).status == 200
    assert workers.request(second, "POST", "/logout", cookie).status == 303
    assert workers.request(first, "GET", restricted, cookie).status == 404
    assert workers.request(second, "GET", restricted, cookie).status == 404


@pytest.mark.servers
def test_workers_count_wrong_tokens_together(workers: Workers) -> None:
    first, second = two_workers(workers)
    for n in range(5):  # 5 wrong tokens, split between the workers
        worker = first if n % 2 else second
        assert workers.request(worker, "POST", "/login", form={"token": "guess"}).status == 401
    for worker in (first, second):
        refused = workers.request(worker, "POST", "/login", form={"token": TOKEN})
        assert refused.status == 429 and refused.getheader("retry-after")
