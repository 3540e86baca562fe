"""Meeting names and the MeetBot file layout, as pure functions."""

from __future__ import annotations

import re
from datetime import datetime

MAX_NAME_LENGTH = 64
_NOT_NAME = re.compile(r"[^a-z0-9_]+")


def normalize_name(raw: str) -> str:
    """Lower-case ``raw`` and keep only ``[a-z0-9_]`` (other runs become ``_``); may return ``""``."""
    name = _NOT_NAME.sub("_", raw.strip().lower()).strip("_")
    return name[:MAX_NAME_LENGTH].rstrip("_")


def channel_name(channel: str) -> str:
    """The default meeting name for a channel: ``#openstack-meeting`` -> ``openstack_meeting``."""
    return normalize_name(channel.lstrip("#&!+")) or "meeting"


def basename(name: str, start: datetime) -> str:
    """Relative path without extension: ``<name>/<YYYY>/<name>.<YYYY-MM-DD-HH.MM>``.

    ``name`` must already be normalized, so the result never contains ``..`` or a separator
    other than the two ``/`` it adds.
    """
    safe = normalize_name(name) or "meeting"
    return f"{safe}/{start:%Y}/{safe}.{start:%Y-%m-%d-%H.%M}"
