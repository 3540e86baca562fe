"""The Matrix benchmark's homeserver settings reach Synapse (benchmarks/matrix.py ``--cache-factor``)."""

from __future__ import annotations

import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from homeserver import Synapse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from matrix import TUNINGS, cache_settings, tuned_settings

pytestmark = pytest.mark.servers


def max_size(metrics: str, cache: str) -> float:
    prefix = f'synapse_util_caches_cache_max_size{{name="{cache}",'
    return next(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(prefix))


def test_cache_settings_scale_synapses_caches(synapse: Synapse) -> None:
    """``synapse`` (the session's server) only marks the test `servers` and makes sure the venv is there; a second
    server starts with the caches 4x their default sizes: the event cache holds 20,480 events instead of 5,120."""
    assert cache_settings(None) == {}
    server = Synapse(metrics=True, settings=cache_settings(4))
    with server, urllib.request.urlopen(server.metrics_url, timeout=10) as answer:
        metrics = answer.read().decode()
    assert max_size(metrics, "*getEvent*") == 20_480


def background_processes(server: Synapse) -> set[str]:
    with urllib.request.urlopen(server.metrics_url, timeout=10) as answer:
        metrics = answer.read().decode()
    prefix = 'synapse_background_process_ru_utime_seconds_total{name="'
    return {line[len(prefix) :].split('"', 1)[0] for line in metrics.splitlines() if line.startswith(prefix)}


def test_the_benchmark_s_tuning_reaches_synapse(synapse: Synapse) -> None:
    """``--tune`` (tests/homeserver.py BOT_HOST_TUNING): with the federation sender and room statistics off, a
    message wakes neither; with ``access_log_only`` the log holds the access lines the benchmark reads and no other
    INFO line. An untuned server (with metrics too) does both and logs its other INFO lines."""
    assert tuned_settings(("log", "no-federation-sender", "no-stats")) == {
        "federation_sender_instances": [],
        "stats": {"enabled": False},
    }
    for server in (
        Synapse(metrics=True),
        Synapse(metrics=True, settings=tuned_settings(TUNINGS), access_log_only=True),
    ):
        with server:
            token = server.register("tuned")
            room = server.request("POST", "/_matrix/client/v3/createRoom", {"preset": "public_chat"}, token)
            path = f"/_matrix/client/v3/rooms/{quote(room['room_id'])}/send/m.room.message/t1"
            server.request("PUT", path, {"msgtype": "m.text", "body": "hello"}, token)
            deadline = time.monotonic() + 10
            while "persist_events" not in background_processes(server) and time.monotonic() < deadline:
                time.sleep(0.1)  # bounded
            time.sleep(0.5)  # the processes that follow an event's persistence
            names, log = background_processes(server), server.log()
            tuned = server.access_log_only
        assert "persist_events" in names
        assert ("process_event_queue_for_federation" in names) is not tuned
        assert ("stats.notify_new_event" in names) is not tuned
        assert "Processed request" in log and '"PUT /_matrix/client/v3/rooms/' in log
        others = [line for line in log.splitlines() if " - INFO - " in line and "synapse.access." not in line]
        assert bool(others) is not tuned
