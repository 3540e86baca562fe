"""Rendered public pages kept in memory: a bounded LRU of bytes, keyed by what each page was rendered from.

A key holds the archive rows a page shows (a meeting's whole :class:`MeetingDetail` with its ``stored_at``, a
series' meetings and activity, ...) as read for the request, plus how it was asked for (path, root path, log page).
So nothing needs invalidating: a re-import, a rename, a new restriction, a correction or an action marked done
changes the rows read for the next request, hence the key, and the old entry is never asked for again (the LRU
drops it in time). Worker processes and ``gavel import`` processes need not tell each other anything.

Only pages rendered for an anonymous viewer, showing nothing restricted, are kept (the callers check it; see
``Site.public_page``): a signed-in viewer's page is rendered each time, so a restricted meeting is never stored
here, and an anonymous request never sees a signed-in viewer's page.

Each entry carries its strong ETag (a hash of its bytes, the same in every worker process), for ``304 Not
Modified`` answers to conditional requests.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from gavel.storage.defaults import DEFAULT_PAGE_CACHE_MB

DEFAULT_PAGE_CACHE_BYTES = DEFAULT_PAGE_CACHE_MB << 20
"""Bytes of rendered pages each server process keeps (the first log pages of ~150 meetings of 2,000 lines)."""


@dataclass(frozen=True, slots=True)
class CachedPage:
    """A rendered page and its entity tag (``"..."``, quotes included)."""

    body: bytes
    etag: str


def entity_tag(body: bytes) -> str:
    """A strong entity tag for ``body``: the same bytes give the same tag in any process."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 asks for GET: a ``W/``
    prefix is ignored), or is ``*``."""
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


class PageCache:
    """At most ``max_bytes`` of pages (0: keep nothing), the least recently used dropped first. Thread-safe:
    requests run in a thread pool.

    An entry counts its body's bytes plus the length of its key's ``repr`` (a key holds the rows the page was made
    from: a meeting of 10,000 items has a key of megabytes; Python's objects take more than their ``repr``, so this
    is a proportional underestimate)."""

    def __init__(self, max_bytes: int = DEFAULT_PAGE_CACHE_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"a page cache cannot hold {max_bytes} bytes")
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._pages: OrderedDict[Hashable, tuple[CachedPage, int]] = OrderedDict()  # each page with its cost
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)

    def get(self, key: Hashable, *, count_miss: bool = True) -> CachedPage | None:
        """The page kept under ``key``, if any (``count_miss``: count it as a miss when there is none; a caller that
        looks again, with another key for the same page, counts the miss once)."""
        with self._lock:
            entry = self._pages.get(key)
            if entry is None:
                self.misses += count_miss
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, body: bytes) -> CachedPage:
        """Keep ``body`` under ``key`` (unless it alone is larger than the cache); the entry, with its tag."""
        page = CachedPage(body, entity_tag(body))
        if len(body) > self.max_bytes:
            return page
        cost = len(body) + len(repr(key))
        if cost > self.max_bytes:
            return page
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._pages[key] = (page, cost)
            self.size += cost
            while self.size > self.max_bytes:
                _, (_, dropped) = self._pages.popitem(last=False)
                self.size -= dropped
        return page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self.size = 0
