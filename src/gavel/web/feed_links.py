"""An entry's links with all their attributes: a feedgen extension that writes them.

feedgen 1.0 writes an entry's ``<link>`` with its ``href`` only (``FeedEntry.atom_entry`` reads ``rel``,
``type`` and ``title`` from the element it has just made, not from the data), so two links of one entry
would be two "alternate" ones, which Atom forbids. So an entry gets its alternate (the minutes) from
feedgen, as ``href`` alone (which Atom reads as ``rel="alternate"``), and every other link from this
extension (registered as ``gavel_links``), which writes all their attributes.
"""

from __future__ import annotations

from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem

LINKS_EXTENSION = "gavel_links"
_ATOM_LINK = "link"  # unqualified, as feedgen makes its elements (the feed sets the default namespace)


class FeedLinksExtension(BaseExtension):  # type: ignore[misc]
    """The feed's half of the extension (feedgen needs one): it adds nothing."""


class EntryLinks(BaseEntryExtension):  # type: ignore[misc]
    """The links of one entry, as attribute dicts (``href``, ``rel``, ``type``, ``title``)."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def add(self, **attributes: str) -> None:
        self.links.append(attributes)

    def extend_atom(self, entry: Any) -> Any:
        for attributes in self.links:
            xml_elem(_ATOM_LINK, entry, **attributes)
        return entry
