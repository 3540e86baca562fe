"""``gavel deliver MEETING``: send an archived meeting's mail and webhooks again, through the bot's outbox.

The meeting is read from the configured archive and its deliveries composed as the bot composes them when a
meeting ends (the same names, ``Message-ID`` and meeting id, so receivers that drop repeats may drop this one
too), written to the outbox (``<journal_dir>/deliveries``), then tried for at most ``wait`` seconds with the
courier's backoff. What did not arrive stays in the outbox: the bot sends it at its next start. Other
deliveries in the outbox are left to the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

from gavel.app.config.model import Config
from gavel.app.delivery.compose import deliveries
from gavel.app.delivery.courier import Courier
from gavel.app.delivery.outbox import DELIVERIES_DIR, Outbox
from gavel.app.delivery.record import Delivery
from gavel.app.delivery.send import configured_sender
from gavel.app.output_tree import WrittenMeeting
from gavel.core.errors import GavelError
from gavel.storage.archive import Archive, MeetingDetail
from gavel.web.data import rebuild_view

_DAY = re.compile(r"(?P<series>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})\Z")


class DeliverError(GavelError):
    """The meeting cannot be found, or has nothing to deliver."""


@dataclass(frozen=True)
class Outcome:
    delivered: tuple[Delivery, ...]
    left: tuple[Delivery, ...]  # still in the outbox


def find_meeting(archive: Archive, reference: str) -> MeetingDetail:
    """The meeting ``reference`` names: an archive id (``42``), a log basename (``nova.2024-05-01-14.00``, or
    ``nova/nova.2024-05-01-14.00``), or a series and a day (``nova/2024-05-01``: there must be one meeting that day).
    Restricted meetings are found too (and then refused by :func:`compose_again`)."""
    reference = reference.strip()
    found: MeetingDetail | None = None
    if reference.isdigit():
        found = archive.meeting(None, int(reference), include_restricted=True)
    elif day := _DAY.match(reference):
        detail = archive.series(day["series"], include_restricted=True)
        that_day = [
            meeting
            for year in (detail.years if detail else ())
            for meeting in year.meetings
            if f"{meeting.started_at:%Y-%m-%d}" == day["day"]
        ]
        if len(that_day) > 1:
            choices = ", ".join(f"{m.log_basename} (id {m.id})" for m in reversed(that_day))
            raise DeliverError(f"{reference}: {len(that_day)} meetings that day: name one of {choices}")
        if that_day:
            found = archive.meeting(None, that_day[0].id, include_restricted=True)
    else:
        series, _, basename = reference.rpartition("/")
        series = series or basename.partition(".")[0]
        if basename:
            found = archive.meeting(series, basename, include_restricted=True)
    if found is None:
        raise DeliverError(
            f"no meeting {reference!r} in the archive (give its id, its basename such as nova.2024-05-01-14.00, "
            "or series/YYYY-MM-DD)"
        )
    return found


def written_meeting(config: Config, meeting: MeetingDetail) -> WrittenMeeting:
    """The meeting as the bot wrote it: its place in the output tree, the files found there, its URL."""
    relative = f"{meeting.series}/{meeting.started_at:%Y}/{meeting.log_basename}"
    stem = config.bot.output_dir / relative
    paths = tuple(sorted(path for path in stem.parent.glob(_glob_escape(stem.name) + ".*") if path.is_file()))
    url = config.bot.url_base + relative if config.bot.url_base else ""
    view = rebuild_view(meeting, log_url=url + ".log.html" if url else None)
    return WrittenMeeting(relative, paths, meeting.unfinished, view, url)


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def compose_again(config: Config, meeting: MeetingDetail) -> list[Delivery]:
    """The meeting's deliveries; ``DeliverError`` when it has none (restricted, unfinished, no rule for it)."""
    if meeting.restricted:
        raise DeliverError(f"{meeting.log_basename} is restricted: restricted meetings are never delivered")
    if meeting.unfinished:
        raise DeliverError(f"{meeting.log_basename} is unfinished: only ended meetings are delivered")
    batch = deliveries(written_meeting(config, meeting), config.deliver, config.mail)
    if not batch:
        raise DeliverError(f"no [[deliver]] rule takes the series {meeting.series!r} (or [mail] is missing)")
    return batch


async def _send(courier: Courier, batch: list[Delivery], wait: float) -> Outcome:
    courier.start(resume=False)
    courier.put(batch)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(courier.idle(), wait)
    await courier.stop()
    left = {delivery.name for delivery in courier.outbox.pending()}
    return Outcome(tuple(d for d in batch if d.name not in left), tuple(d for d in batch if d.name in left))


def deliver_again(config: Config, meeting: MeetingDetail, wait: float) -> Outcome:
    """Persist the meeting's deliveries in the outbox and try them for up to ``wait`` seconds."""
    batch = compose_again(config, meeting)
    courier = Courier(Outbox(Path(config.bot.journal_dir) / DELIVERIES_DIR), configured_sender(config))
    return asyncio.run(_send(courier, batch, wait))
