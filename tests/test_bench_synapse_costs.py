"""The Matrix benchmark's reading of Synapse's access log and metrics (benchmarks/synapse_costs.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from synapse_costs import Cost, background_cpu, costs, difference, endpoint, gc_passes, gc_time, size_evictions, table

LOG = """\
2026-12-07 03:06:20,919 - synapse.access.http.51789 - 643 - INFO - GET-0 - 127.0.0.1 - 51789 - {None} \
Processed request: 0.004sec/0.000sec ru=(0.001sec, 0.000sec) db=(0.000sec/0.000sec/0) 1506B 200 \
"GET /_matrix/client/versions HTTP/1.1" "Python-urllib/3.11" [0 dbevts]
2026-12-07 03:06:21,739 - synapse.access.http.51789 - 643 - INFO - GET-3 - 127.0.0.1 - 51789 - {@bot:gavel.test} \
Processed request: 0.037sec/0.000sec ru=(0.006sec, 0.002sec) db=(0.020sec/0.010sec/19) 4575B 200 \
"GET /_matrix/client/v3/sync?timeout=20000&filter=0&since=s72_1 HTTP/1.1" "mautrix" [0 dbevts]
2026-12-07 03:06:21,800 - synapse.handlers.auth - 1007 - INFO - POST-2 - Logging in user @alice:gavel.test
2026-12-07 03:06:21,839 - synapse.access.http.51789 - 643 - INFO - PUT-4 - 127.0.0.1 - 51789 - {@bot:gavel.test} \
Processed request: 0.010sec/0.000sec ru=(0.003sec, 0.001sec) db=(0.001sec/0.004sec/3) 59B 200 \
"PUT /_matrix/client/v3/rooms/!abc%3Agavel.test/send/m.room.message/gavel-1f HTTP/1.1" "mautrix" [0 dbevts]
2026-12-07 03:06:21,840 - synapse.access.http.51789 - 643 - INFO - PUT-5 - 127.0.0.1 - 51789 - {@bot:gavel.test} \
Processed request: 0.010sec/0.000sec ru=(0.002sec, 0.000sec) db=(0.001sec/0.002sec/3) 59B 429! \
"PUT /_matrix/client/v3/rooms/!abc%3Agavel.test/send/m.room.message/gavel-2f HTTP/1.1" "mautrix" [0 dbevts]
2026-12-07 03:06:21,841 - synapse.access.http.51789 - 643 - INFO - PUT-6 - 127.0.0.1 - 51789 - {@bot:gavel.test} \
Processed request: 0.010sec/0.000sec ru=(garbled) db=(0.001sec/0.002sec/3) 59B 200 "PUT /x HTTP/1.1"
2026-12-07 03:06:21,842 - synapse.access.http.51789 - 643 - INFO - PUT-7 - 127.0.0.1 - 51789 - {@bot:gavel.te"""


def who(user: str) -> str:
    return "bot" if user == "@bot:gavel.test" else "anonymous" if user == "None" else "other"


def test_requests_are_summed_by_who_and_kind_and_odd_lines_are_skipped() -> None:
    found = costs(LOG, who)
    assert set(found) == {("anonymous", "GET versions"), ("bot", "GET sync"), ("bot", "PUT send")}
    assert found["bot", "GET sync"] == Cost(1, pytest.approx(0.008), pytest.approx(0.010))  # type: ignore[arg-type]
    sends = found["bot", "PUT send"]
    assert sends.requests == 2 and sends.cpu == pytest.approx(0.006) and sends.db == pytest.approx(0.006)
    assert costs("", who) == {} and costs("\x00" * 100 + "Processed request: 1sec", who) == {}


def test_endpoints_are_named_by_kind_not_by_room_or_transaction() -> None:
    assert endpoint("/_matrix/client/v3/sync?since=s1") == "sync"
    assert endpoint("/_matrix/client/v3/rooms/!a%3Ab/send/m.room.message/t1") == "send"
    assert endpoint("/_matrix/client/v3/rooms/!a%3Ab/state/m.room.topic/") == "state"
    assert endpoint("/_matrix/client/v3/user/%40a%3Ab/filter") == "filter"
    assert endpoint("/") == "other"


def test_the_table_gives_counts_and_cpu_per_command() -> None:
    lines = table(costs(LOG, who), commands=2)
    bot_sends = next(line for line in lines if "PUT send" in line).split()
    assert bot_sends[:4] == ["bot", "PUT", "send", "2"] and bot_sends[4] == "1.00" and bot_sends[6] == "3.0"
    assert lines[-1].split()[:2] == ["all", "4"]
    assert table({}, commands=0)[-1].split()[:2] == ["all", "0"]  # nothing measured: no division by zero


def test_background_cpu_is_read_from_prometheus_text() -> None:
    text = """\
# HELP synapse_background_process_ru_utime_seconds_total User CPU time used by background processes, in seconds
# TYPE synapse_background_process_ru_utime_seconds_total counter
synapse_background_process_ru_utime_seconds_total{name="persist_events",server_name="gavel.test"} 3.5
synapse_background_process_ru_stime_seconds_total{name="persist_events",server_name="gavel.test"} 0.5
synapse_background_process_ru_utime_seconds_total{name="notify",server_name="gavel.test"} 1e-3
synapse_background_process_ru_utime_seconds_total{name="odd"} NaN-ish
synapse_http_server_response_ru_utime_seconds_total{method="GET",servlet="SyncRestServlet"} 9.0
"""
    assert background_cpu(text) == {"persist_events": 4.0, "notify": 0.001}
    later = {"persist_events": 5.0, "notify": 0.001, "new": 0.2}
    assert difference(later, background_cpu(text)) == {"persist_events": 1.0, "new": 0.2}
    assert background_cpu("garbage {{{ \n\n") == {}


def test_size_evictions_count_only_entries_dropped_for_room() -> None:
    text = """\
synapse_util_caches_cache_evicted_size{name="*getEvent*",reason="size",server_name="gavel.test"} 120.0
synapse_util_caches_cache_evicted_size{name="*getEvent*",reason="invalidation",server_name="gavel.test"} 7.0
synapse_util_caches_cache_evicted_size{name="get_users_in_room",reason="time",server_name="gavel.test"} 3.0
synapse_util_caches_cache_evicted_size{name="get_users_in_room",reason="size",server_name="gavel.test"} 0.0
synapse_util_caches_cache_evicted_size{name="odd",reason="size"} many
synapse_util_caches_cache_size{name="*getEvent*",server_name="gavel.test"} 10000.0
"""
    assert size_evictions(text) == {"*getEvent*": 120.0, "get_users_in_room": 0.0}
    assert size_evictions("") == {}


def test_garbage_collection_time_and_passes_are_read_by_generation() -> None:
    text = """\
python_gc_time_bucket{gen="0",le="0.0025"} 40.0
python_gc_time_count{gen="0"} 41.0
python_gc_time_sum{gen="0"} 0.125
python_gc_time_count{gen="2"} 1.0
python_gc_time_sum{gen="2"} 0.5
synapse_background_process_ru_utime_seconds_total{name="persist_events"} 3.5
"""
    assert gc_time(text) == {"0": 0.125, "2": 0.5}
    assert gc_passes(text) == {"0": 41.0, "2": 1.0}
    assert background_cpu(text) == {"persist_events": 3.5}
