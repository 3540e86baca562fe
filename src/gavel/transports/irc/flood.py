"""Outgoing flood control: a token bucket (a burst, then one line per interval)."""

from __future__ import annotations


class TokenBucket:
    """``burst`` lines may go at once; after that one line every ``interval`` seconds.

    Pure: the caller passes the current monotonic time, so tests need no clock.
    """

    def __init__(self, burst: int, interval: float, now: float) -> None:
        if burst < 1 or interval < 0:
            raise ValueError("burst must be >= 1 and interval >= 0")
        self.burst = burst
        self.interval = interval
        self._tokens = float(burst)
        self._stamp = now

    def _refill(self, now: float) -> None:
        if self.interval == 0:
            self._tokens = float(self.burst)
        elif now > self._stamp:
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) / self.interval)
        self._stamp = max(self._stamp, now)

    def delay(self, now: float) -> float:
        """Seconds to wait before the next line may be sent (0 when it may go now)."""
        self._refill(now)
        if self._tokens >= 1:
            return 0.0
        return (1 - self._tokens) * self.interval

    def take(self, now: float) -> None:
        """Spend one token (call when a line is sent)."""
        self._refill(now)
        self._tokens -= 1
