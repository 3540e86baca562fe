"""``gavel serve --threads N``: each worker works on at most N requests at once; the others wait their turn and are
all answered."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from starlette.testclient import TestClient

from gavel.app.web_workers import ServeSettings, build_app
from gavel.storage.archive import Archive, open_archive
from gavel.web.app import create_app


class Gauge:
    """How many calls run at once, and the most that ever did."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def wrap(self, function: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(0.05)
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    self.now -= 1

        return counted


@pytest.fixture
def archive(tmp_path: Path) -> Any:
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as opened:
        yield opened


@pytest.mark.parametrize("threads", [1, 3])
def test_at_most_threads_requests_are_worked_on_at_once(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    gauge = Gauge()
    monkeypatch.setattr(archive, "list_series", gauge.wrap(archive.list_series))
    with TestClient(create_app(archive, threads=threads)) as client, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: client.get("/api/series").status_code, range(16)))
    assert statuses == [200] * 16
    assert gauge.most == threads


def test_serve_settings_carry_the_threads_to_each_worker(tmp_path: Path) -> None:
    settings = ServeSettings(f"sqlite://{tmp_path / 'archive.db'}", None, None, (), 12.0, None, 64, 5)
    assert ServeSettings.from_json(settings.to_json()) == settings

    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    with TestClient(build_app(ServeSettings.from_json(settings.to_json()))) as client:
        assert client.portal is not None and client.portal.call(tokens) == 5


def test_no_threads_is_refused(archive: Archive) -> None:
    with pytest.raises(ValueError, match="at least one thread, not 0"):
        create_app(archive, threads=0)
