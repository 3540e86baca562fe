"""Minutes records: the items a meeting produces."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


class ItemKind(enum.Enum):
    TOPIC = "topic"
    INFO = "info"
    IDEA = "idea"
    HELP = "help"
    LINK = "link"
    ACTION = "action"
    AGREED = "agreed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    VOTE = "vote"
    DONE = "done"  # an action item of an earlier meeting of the series, marked done (#done)

    @property
    def label(self) -> str:
        """MeetBot's upper-case label (``ACTION``, ``AGREED`` ...)."""
        return self.name


@dataclass(frozen=True, slots=True)
class Item:
    """One minutes item. ``line`` is the log line it came from; ``topic`` the topic it falls under."""

    kind: ItemKind
    text: str
    nick: str
    time: datetime
    line: int
    topic: str | None
    ref: str | None = None  # for DONE: the archive's id of the action marked done
    corrected_from: str | None = None  # the text as first said, when a correction changed it
    owners: tuple[str, ...] = ()  # for ACTION: nicks the line named by reference (Matrix mentions), owners too


LINK_SCHEMES = ("http", "https", "ftp", "irc", "ircs")
# A scheme is ASCII (RFC 3986), so it matches ignoring ASCII case only: "ırc://" (a dotless i) is no link.
_URL_START = re.compile("(?ai:" + "|".join(re.escape(scheme) for scheme in LINK_SCHEMES) + r")://\S")
# The characters a text that starts with a URL can start with: each scheme's first letter, in either case.
URL_FIRST_LETTERS = frozenset(letter for scheme in LINK_SCHEMES for letter in (scheme[0].lower(), scheme[0].upper()))


def starts_with_url(text: str) -> bool:
    """True when ``text`` begins with a URL whose scheme may become a link."""
    return _URL_START.match(text) is not None


# Characters a nick may contain (RFC 2812 plus the common extras); a nick is a whole word when the
# characters around it are not nick characters.
_NICK_CHAR = r"A-Za-z0-9_\-\[\]\\`^{}|"


# Ignoring case, an ASCII letter matches only ASCII letters, the Kelvin sign (which lower() maps to "k") and these
# three (re's documentation). Without them in a text, an ASCII nick can match only where its lower case is in the
# lower-cased text.
_ODD_CASE = frozenset("\u0130\u0131\u017f")


# The characters the pattern's look-arounds see as nick characters: ignoring case, the Kelvin sign is a K.
_NICK_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-[]\\`^{}|\u212a")


def _names(text: str, lowered: str, lowered_nick: str) -> bool:
    """``mentions(text, nick)`` for a non-empty ASCII nick and a text without _ODD_CASE letters (``lowered``: their
    lower case; lowering keeps the text's length then), by plain string search."""
    size = len(lowered_nick)
    at = lowered.find(lowered_nick)
    while at >= 0:
        if (at == 0 or text[at - 1] not in _NICK_CHARS) and text[at + size : at + size + 1] not in _NICK_CHARS:
            return True
        at = lowered.find(lowered_nick, at + 1)
    return False


def mention_pattern(nick: str) -> re.Pattern[str]:
    """What finds ``nick`` in a text as a whole word, case-insensitively."""
    return re.compile(rf"(?<![{_NICK_CHAR}]){re.escape(nick)}(?![{_NICK_CHAR}])", re.IGNORECASE)


def mentions(text: str, nick: str) -> bool:
    """True when ``nick`` appears in ``text`` as a whole word, case-insensitively."""
    return mention_pattern(nick).search(text) is not None


_FOLD = str.maketrans("[]\\~", "{}|^")


def fold_nick(nick: str) -> str:
    """The IRC (rfc1459) case-folded form of a nick, for comparisons."""
    return nick.lower().translate(_FOLD)


_NONE: frozenset[str] = frozenset()


def actions_by_person(
    actions: list[Item], nicks: list[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> tuple[dict[str, list[Item]], list[Item]]:
    """Assign each action to every nick it names as a whole word or by reference (``Item.owners``: a Matrix pill);
    the rest are unassigned.

    ``nicks`` are the people who spoke or were ``#nick``-ed; ``aliases`` the other nicks of a person (by the
    nick in ``nicks``): an action naming one of those belongs to that person. The result is ordered by nick
    (case-insensitively) and keeps each person's actions in meeting order.
    """
    owners: dict[str, list[Item]] = {}
    unassigned: list[Item] = []
    ordered = sorted(set(nicks), key=lambda n: (n.lower(), n))
    also = aliases or {}
    lowered_nicks = [
        (nick, name, name.lower(), name.isascii()) for nick in ordered for name in (nick, *also.get(nick, ()))
    ]
    patterns: dict[str, re.Pattern[str]] = {}  # compiled when first needed (compiling costs more than searching)
    for action in actions:
        owned = False
        text = action.text
        named_by_reference = {owner.lower() for owner in action.owners} if action.owners else _NONE
        lowered, plain = text.lower(), not _ODD_CASE.intersection(text)
        for nick, name, lowered_nick, ascii_nick in lowered_nicks:
            if (owned_by := owners.get(nick)) and owned_by[-1] is action:  # named already under another nick
                continue
            if lowered_nick in named_by_reference:
                named = True
            elif plain and ascii_nick and lowered_nick:  # no pattern needed (see _ODD_CASE)
                named = _names(text, lowered, lowered_nick)
            else:
                pattern = patterns.get(name)
                if pattern is None:
                    pattern = patterns[name] = mention_pattern(name)
                named = pattern.search(text) is not None
            if named:
                owners.setdefault(nick, []).append(action)
                owned = True
        if not owned:
            unassigned.append(action)
    return {nick: owners[nick] for nick in ordered if nick in owners}, unassigned
