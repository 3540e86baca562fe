"""Commands said without ``#`` at the very start of a line, as Zakim and scribe.perl have them.

``q+ [note]``, ``q-``, ``q?``, ``ack <nick>`` / ``ack next``, ``agenda+ <text>``, ``take up agendum N`` (or
``item N``); ``s/old/new/`` is a correction (core/corrections.py). Lower case only, and each must be the whole
first word, so chat such as ``q+1`` or ``ack, will do`` stays chat. Every such line starts with one of
``PREFIXES`` (core/rows.py's BARE_PREFIXES: the replay fast path looks at nothing else).
"""

from __future__ import annotations

from gavel.core import commands
from gavel.core.agenda import is_number
from gavel.core.commands import Command
from gavel.core.corrections import PREFIX as CORRECTION_PREFIX

_WORDS = ("q+", "q-", "q?", "agenda+")
_ACK, _TAKE_UP = "ack ", "take up "
PREFIXES = (CORRECTION_PREFIX, *_WORDS, _ACK, _TAKE_UP)


def parse(text: str) -> tuple[Command, str] | None:
    """``(command, argument)`` when ``text`` is a bare command (not a correction), else None."""
    first, _, rest = text.rstrip().partition(" ")
    rest = rest.strip()
    if first in _WORDS:
        name = first
    elif text.startswith(_ACK) and rest and " " not in rest:
        name = "ack"
    elif text.startswith(_TAKE_UP):
        words = rest.split()
        if len(words) != 3 or words[1] not in ("agendum", "item") or not is_number(words[2]):
            return None
        name, rest = "take", words[2]
    else:
        return None
    command = commands.lookup(name)
    assert command is not None
    return command, rest
