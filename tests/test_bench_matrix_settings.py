"""The Matrix benchmark's homeserver settings reach Synapse (benchmarks/matrix.py ``--cache-factor``)."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest

from homeserver import Synapse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from matrix import cache_settings

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
