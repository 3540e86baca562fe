"""scribe.perl's corrections: ``s/old/new/`` corrects one's own latest item, ``#fix N s/old/new/`` any item.

``old`` is plain text, never a pattern: the first place it occurs is replaced, so no input can make the
bot search for long.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "s/"  # a chat line starting with this may be a correction (core/rows.py's BARE_PREFIXES)


@dataclass(frozen=True, slots=True)
class Correction:
    old: str
    new: str

    def apply(self, text: str) -> str:
        return text.replace(self.old, self.new, 1)


def parse_correction(text: str) -> Correction | None:
    """``s/old/new/`` (the last slash optional) as a Correction; None when the text is not of that form.

    ``old`` may be empty here (``s///``): the caller replies that there is nothing to replace.
    """
    text = text.rstrip()
    if not text.startswith(PREFIX):
        return None
    parts = text[len(PREFIX) :].split("/")
    if len(parts) == 3 and parts[2] == "":
        parts.pop()
    if len(parts) != 2:
        return None
    return Correction(parts[0], parts[1])
