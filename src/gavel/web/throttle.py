"""Wrong tokens, counted per client address: after ``FAILURES`` in ``WINDOW`` seconds that address waits."""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import OrderedDict
from collections.abc import Callable

FAILURES = 5
WINDOW = 60.0
MAX_CLIENTS = 10_000


def client_key(host: str) -> str:
    """The address a client is counted under: an IPv6 client by its /64 (one machine usually holds a whole /64)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class Throttle:
    """The times of recent wrong tokens per client address, for at most ``max_clients`` addresses.

    A full table first forgets addresses whose failures have all aged out, then the address that failed
    longest ago. A right token does not clear an address's failures (else a guesser behind the same address
    as a real user would be let off each time the user signs in): they only age out.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        failures: int = FAILURES,
        window: float = WINDOW,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.clock = clock
        self.failures = failures
        self.window = window
        self.max_clients = max_clients
        self.failed: OrderedDict[str, list[float]] = OrderedDict()  # least recently failed first
        self.lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds before ``client`` may try a token again; 0: now."""
        now = self.clock()
        with self.lock:
            recent = self._recent(client_key(client), now)
        if len(recent) < self.failures:
            return 0
        return max(1, math.ceil(recent[-self.failures] + self.window - now))

    def failure(self, client: str) -> None:
        """``client`` sent a wrong token."""
        now = self.clock()
        key = client_key(client)
        with self.lock:
            recent = self._recent(key, now)
            if key not in self.failed and len(self.failed) >= self.max_clients:
                self._make_room(now)
            self.failed[key] = [*recent[-self.failures :], now]
            self.failed.move_to_end(key)

    def _recent(self, key: str, now: float) -> list[float]:
        return [moment for moment in self.failed.get(key, ()) if moment > now - self.window]

    def _make_room(self, now: float) -> None:
        for key in [key for key, moments in self.failed.items() if moments[-1] <= now - self.window]:
            del self.failed[key]
        while len(self.failed) >= self.max_clients:
            self.failed.popitem(last=False)
