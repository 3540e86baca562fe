"""Wrong tokens, counted per client address in the archive (so every worker of ``gavel serve`` counts them
together): after ``FAILURES`` in ``WINDOW`` seconds that address waits."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable

from gavel.storage.archive.web_state import WebState

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
    """The times of recent wrong tokens per client address, in ``store`` (the archive), on ``clock`` (seconds
    since the epoch).

    Failures older than the window are forgotten as new ones come, and the oldest beyond ``failures`` per
    ``max_clients`` addresses. A right token does not clear an address's failures (else a guesser behind the
    same address as a real user would be let off each time the user signs in): they only age out.
    """

    def __init__(
        self,
        store: WebState,
        clock: Callable[[], float],
        *,
        failures: int = FAILURES,
        window: float = WINDOW,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.failures = failures
        self.window = window
        self.max_clients = max_clients

    def retry_after(self, client: str) -> int:
        """Seconds before ``client`` may try a token again; 0: now."""
        now = self.clock()
        recent = self.store.login_failures(client_key(client), now - self.window)
        if len(recent) < self.failures:
            return 0
        return max(1, math.ceil(recent[-self.failures] + self.window - now))

    def failure(self, client: str) -> None:
        """``client`` sent a wrong token."""
        now = self.clock()
        self.store.add_login_failure(client_key(client), now, now - self.window, self.failures * self.max_clients)
