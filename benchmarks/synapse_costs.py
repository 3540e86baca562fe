"""What a Synapse homeserver spent on which requests, read from its access log.

Synapse logs one line per request it answered (logger ``synapse.access.http.PORT``) with the requester, the CPU the
request's log context used (``ru=(user, system)``), its database time and the request line::

    ... - {@alice:gavel.test} Processed request: 0.037sec/0.000sec ru=(0.006sec, 0.000sec)
        db=(0.020sec/0.010sec/19) 4575B 200 "GET /_matrix/client/v3/sync?timeout=0 HTTP/1.1" ...

``costs(text, who)`` sums them by (who, endpoint): who is a role the caller names by user id (the bot, the observer,
the users), the endpoint a request kind (``sync``, ``send``, ``state``, ``join`` ...). Lines that are not access lines,
or are cut or garbled, are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_ACCESS = re.compile(
    r"\{(?P<user>[^}]*)\} Processed request: [\d.]+sec/[-\d.]+sec "
    r"ru=\((?P<utime>[\d.]+)sec, (?P<stime>[\d.]+)sec\) db=\([\d.]+sec/(?P<db>[\d.]+)sec/\d+\) "
    r"\d+B (?P<status>\d{3})!? \"(?P<method>[A-Z]+) (?P<path>\S+)"
)
_KINDS = ("sync", "send", "state", "join", "receipt", "typing", "read_markers", "whoami", "joined_rooms", "createRoom")


@dataclass
class Cost:
    requests: int = 0
    cpu: float = 0.0  # seconds of user + system CPU in the requests' log contexts
    db: float = 0.0  # seconds spent in database transactions

    def add(self, other: Cost) -> None:
        self.requests += other.requests
        self.cpu += other.cpu
        self.db += other.db


def endpoint(path: str) -> str:
    """The kind of a client-server API request: ``sync``, ``send``, ``state`` ... (else its last named segment)."""
    parts = [part for part in path.split("?", 1)[0].split("/") if part]
    for kind in _KINDS:
        if kind in parts:
            return kind
    named = [part for part in parts if part[:1] not in "!#@%" and not part.startswith(("v1", "v3", "r0", "_"))]
    return named[-1] if named else "other"


def costs(text: str, who: Callable[[str], str]) -> dict[tuple[str, str], Cost]:
    """(role, endpoint) -> what those requests cost, for every access line of ``text``."""
    found: dict[tuple[str, str], Cost] = {}
    for match in _ACCESS.finditer(text):
        key = (who(match["user"]), f"{match['method']} {endpoint(match['path'])}")
        cost = found.setdefault(key, Cost())
        cost.add(Cost(1, float(match["utime"]) + float(match["stime"]), float(match["db"])))
    return found


def table(found: dict[tuple[str, str], Cost], commands: int) -> list[str]:
    """Lines of a table: each (role, endpoint) with its requests and CPU, in all and per command, most CPU first."""
    lines = [f"  {'who':<10} {'request':<20} {'count':>7} {'per cmd':>8} {'CPU s':>7} {'CPU ms/cmd':>10} {'db s':>6}"]
    total = Cost()
    for (role, kind), cost in sorted(found.items(), key=lambda item: -item[1].cpu):
        total.add(cost)
        per = max(commands, 1)
        lines.append(
            f"  {role:<10} {kind:<20} {cost.requests:>7} {cost.requests / per:>8.2f} {cost.cpu:>7.2f} "
            f"{1000 * cost.cpu / per:>10.1f} {cost.db:>6.2f}"
        )
    per = max(commands, 1)
    lines.append(
        f"  {'all':<10} {'':<20} {total.requests:>7} {total.requests / per:>8.2f} {total.cpu:>7.2f} "
        f"{1000 * total.cpu / per:>10.1f} {total.db:>6.2f}"
    )
    return lines


_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_BACKGROUND = ("synapse_background_process_ru_utime_seconds", "synapse_background_process_ru_stime_seconds")


def background_cpu(metrics: str) -> dict[str, float]:
    """CPU seconds by background process (event persistence, notifier, pushers ...) from Synapse's Prometheus
    metrics text: what its requests' log lines do not show."""
    return _by_name(metrics, _BACKGROUND)


def size_evictions(metrics: str) -> dict[str, float]:
    """Entries each of Synapse's caches dropped because it was full (``caches.global_factor`` and
    ``event_cache_size`` set how many it holds), from its Prometheus metrics text; invalidations are not counted."""
    return _by_name(metrics, ("synapse_util_caches_cache_evicted_size",), reason="size")


def gc_time(metrics: str) -> dict[str, float]:
    """Seconds Synapse spent in the garbage collector's passes so far, by generation ("0", "1", "2"; Synapse runs
    them itself, at most one per ``gc_min_interval``, when ``gc_thresholds`` are exceeded), from its metrics."""
    return _by_name(metrics, ("python_gc_time_sum",), key="gen")


def gc_passes(metrics: str) -> dict[str, float]:
    """How many passes the garbage collector made so far, by generation."""
    return _by_name(metrics, ("python_gc_time_count",), key="gen")


def _by_name(metrics: str, names: tuple[str, ...], key: str = "name", **wanted: str) -> dict[str, float]:
    """The samples of the metrics ``names`` (with or without ``_total``) whose labels include ``wanted``, summed by
    their ``key`` label; samples whose value is not a number are skipped."""
    found: dict[str, float] = {}
    for sample in _SAMPLE.finditer(metrics):
        if sample["name"].removesuffix("_total") not in names:
            continue
        labels = dict(_LABEL.findall(sample["labels"] or ""))
        if any(labels.get(key) != value for key, value in wanted.items()):
            continue
        try:
            value = float(sample["value"])
        except ValueError:
            continue
        name = labels.get(key, "?")
        found[name] = found.get(name, 0.0) + value
    return found


def difference(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: value - before.get(name, 0.0) for name, value in after.items() if value - before.get(name, 0.0) > 0}
