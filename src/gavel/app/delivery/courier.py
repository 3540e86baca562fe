"""The courier: one asyncio task per delivery in the outbox, tried until it arrives, then removed.

``put`` persists deliveries durably (synchronously: the executor calls it before the meeting's journal is
finished) and starts their tasks; ``start`` starts a task for everything the outbox holds (what a crashed bot left).
A failed attempt is retried after ``first_retry`` seconds, doubling up to ``max_retry``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol

from gavel.app.delivery.outbox import Outbox
from gavel.app.delivery.record import Delivery, DeliveryError

log = logging.getLogger("gavel.delivery")

FIRST_RETRY = 15.0  # seconds
MAX_RETRY = 600.0


class Transport(Protocol):
    async def send(self, delivery: Delivery) -> None: ...


class Courier:
    def __init__(
        self, outbox: Outbox, transport: Transport, *, first_retry: float = FIRST_RETRY, max_retry: float = MAX_RETRY
    ) -> None:
        self.outbox = outbox
        self.transport = transport
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.started = False
        self.tasks: dict[str, asyncio.Task[None]] = {}  # by delivery name: one task each
        self.delivered = 0

    def put(self, deliveries: Iterable[Delivery]) -> None:
        """Persist ``deliveries`` (``OSError`` propagates), then start sending them if the courier runs."""
        batch = list(deliveries)
        if not batch:
            return
        self.outbox.put(batch)
        if self.started:
            for delivery in batch:
                self._launch(delivery)

    def start(self, *, resume: bool = True) -> None:
        """In the running loop: send everything the outbox holds (unless ``resume`` is false: ``gavel deliver``
        leaves the rest to the bot), and from now on what ``put`` adds."""
        self.started = True
        for delivery in self.outbox.pending() if resume else ():
            self._launch(delivery)

    async def stop(self) -> None:
        """Stop trying (what is left stays in the outbox for the next start)."""
        self.started = False
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def idle(self) -> None:
        """Until no delivery is being tried (tests)."""
        while self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)

    def _launch(self, delivery: Delivery) -> None:
        running = self.tasks.get(delivery.name)
        if running is not None and not running.done():
            return  # already being tried: the file was rewritten with the same message
        task = asyncio.get_running_loop().create_task(self._deliver(delivery))
        self.tasks[delivery.name] = task
        task.add_done_callback(lambda done: self._ended(delivery.name, done))

    def _ended(self, name: str, task: asyncio.Task[None]) -> None:
        if self.tasks.get(name) is task:
            del self.tasks[name]

    async def _deliver(self, delivery: Delivery) -> None:
        delay = self.first_retry
        attempt = 1
        while True:
            try:
                await self.transport.send(delivery)
            except DeliveryError as error:
                log.warning("delivery %s, attempt %d: %s; again in %.0f s", delivery.name, attempt, error, delay)
            except Exception:  # a bug in one delivery must not stop the others, nor the bot
                log.exception("delivery %s, attempt %d failed; again in %.0f s", delivery.name, attempt, delay)
            else:
                self.delivered += 1
                log.info("delivered %s (%s) after %d attempt(s)", delivery.name, delivery.kind, attempt)
                try:
                    self.outbox.remove(delivery)
                except OSError as error:  # it is sent again at the next start: at least once
                    log.error("delivery %s: sent, but cannot remove it from the outbox: %s", delivery.name, error)
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_retry)
            attempt += 1
