"""The outbox: one file per delivery, written atomically and fsync'd before it is tried, removed once it arrived.

A crash anywhere leaves every delivery either not yet persisted (its meeting's journal is still open: recovery
makes it again) or in the outbox (the next start sends it). A file that does not read as a delivery is set aside as
``*.failed`` and logged, never fatal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from gavel.app.delivery.record import Delivery
from gavel.storage.files import fsync_dir, write_atomic

log = logging.getLogger("gavel.delivery")

DELIVERIES_DIR = "deliveries"  # the outbox, inside the journal directory
SUFFIX = ".delivery"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class Outbox:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a delivery name: {name!r}")
        return self.root / (name + SUFFIX)

    def put(self, deliveries: Iterable[Delivery]) -> None:
        """Persist ``deliveries`` durably (raises ``OSError``: the caller must not finish the meeting then)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for delivery in deliveries:
            write_atomic(self.path(delivery.name), delivery.to_json(), 0o600, durable=True)
        fsync_dir(self.root)

    def pending(self) -> list[Delivery]:
        """Every delivery in the outbox, oldest first (unreadable ones set aside)."""
        if not self.root.is_dir():
            return []
        found: list[tuple[float, Delivery]] = []
        for path in self.root.glob("*" + SUFFIX):
            name = path.name.removesuffix(SUFFIX)
            try:
                found.append((path.stat().st_mtime, Delivery.from_json(name, path.read_text(encoding="ascii"))))
            except FileNotFoundError:
                continue  # sent and removed meanwhile
            except (OSError, ValueError) as error:  # UnicodeDecodeError is a ValueError
                log.error("%s: not a delivery (%s); set aside as %s.failed", path, error, path.name)
                path.rename(path.with_name(path.name + ".failed"))
        return [delivery for _, delivery in sorted(found, key=lambda pair: (pair[0], pair[1].name))]

    def remove(self, delivery: Delivery) -> None:
        """The delivery arrived: forget it."""
        self.path(delivery.name).unlink(missing_ok=True)
        fsync_dir(self.root)
