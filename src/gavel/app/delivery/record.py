"""One delivery: what to send where, complete, so the outbox can keep it across a crash."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

DeliveryKind = Literal["mail", "webhook"]


class DeliveryError(Exception):
    """An attempt failed (the server is down, refused, answered non-2xx): tried again later."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message for one receiver: a mail (``to``: the recipients; ``body``: the whole RFC 5322 message, ASCII) or
    a webhook POST (``url``; ``body``: the JSON document). ``name`` is unique and the same each time the meeting's
    deliveries are made again (recovery), so a delivery made twice is still one file."""

    name: str
    meeting_id: str
    kind: DeliveryKind
    body: str
    to: tuple[str, ...] = ()
    url: str = ""

    def to_json(self) -> str:
        record = {"version": 1, "meeting_id": self.meeting_id, "kind": self.kind, "to": list(self.to)}
        record |= {"url": self.url, "body": self.body}
        return json.dumps(record, ensure_ascii=True) + "\n"

    @classmethod
    def from_json(cls, name: str, text: str) -> Delivery:
        """The record of an outbox file; ``ValueError`` for anything but a well-formed record."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("not a version 1 delivery record")
        kind, meeting_id, body, url, to = (data.get(key) for key in ("kind", "meeting_id", "body", "url", "to"))
        if kind not in ("mail", "webhook") or not isinstance(meeting_id, str) or not isinstance(body, str):
            raise ValueError("kind, meeting_id or body missing or of the wrong type")
        if not isinstance(url, str) or not isinstance(to, list) or not all(isinstance(item, str) for item in to):
            raise ValueError("url or to of the wrong type")
        if (kind == "mail" and not to) or (kind == "webhook" and not url):
            raise ValueError("a mail without recipients or a webhook without URL")
        return cls(name, meeting_id, kind, body, tuple(to), url)
