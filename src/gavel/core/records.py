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


@dataclass(slots=True)
class Item:
    """One minutes item. ``line`` is the log line it came from; ``topic`` the topic it falls under.

    Treat as immutable (change an item with ``dataclasses.replace``); not ``frozen`` because a busy meeting makes
    one per command line, and a frozen dataclass of these nine fields costs ~3.7x more to construct (~15,700 against
    ~4,200 instructions as ``Meeting.add_item`` calls it, counted with valgrind), as for the per-line events
    (core/events.py).
    """

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
_CAPITAL_I_DOT, _DOTLESS_I, _LONG_S = "\u0130", "\u0131", "\u017f"
_ODD_CASE = frozenset((_CAPITAL_I_DOT, _DOTLESS_I, _LONG_S))


# A run of nick characters in a lower-cased text. Ignoring case, the pattern's look-arounds also see the Kelvin sign
# as a nick character (it is a K); lower() makes it a "k", so in a lower-cased text without _ODD_CASE letters the runs
# are exactly the stretches the look-arounds see as nick characters.
_NICK_WORD = re.compile(rf"[{_NICK_CHAR}]+")


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


def _held_piece(name: str) -> str:
    """What the lower case of any text without _ODD_CASE letters that names ``name`` holds: the longest run of its
    ASCII and uncased characters, lower-cased ("" when it has none).

    Ignoring case, ``re`` matches an uncased character only with itself, and an ASCII one only with itself, its other
    case, the Kelvin sign or an _ODD_CASE letter; ``lower()`` maps all but those letters to the character's lower
    case, and keeps each character's place (only U+0130, an _ODD_CASE letter, lowers to two).
    ``test_a_named_nick_leaves_its_held_piece`` checks it against ``mentions``, and
    ``test_uncased_characters_match_only_themselves`` that ``re`` takes as uncased every character this does."""
    runs = [""]
    for char in name:
        if char.isascii() or char.lower() == char == char.upper():
            runs[-1] += char.lower()
        elif runs[-1]:
            runs.append("")
    return max(runs, key=len)


def actions_by_person(
    actions: list[Item], nicks: list[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> tuple[dict[str, list[Item]], list[Item]]:
    """Assign each action to every nick it names as a whole word or by reference (``Item.owners``: a Matrix pill);
    the rest are unassigned.

    ``nicks`` are the people who spoke or were ``#nick``-ed; ``aliases`` the other nicks of a person (by the
    nick in ``nicks``): an action naming one of those belongs to that person. The result is ordered by nick
    (case-insensitively) and keeps each person's actions in meeting order.

    An ASCII nick made only of nick characters is named exactly where it is a whole run of nick characters in the
    text (ignoring case), so for a text without _ODD_CASE letters one ``findall`` and a set intersection find all
    such nicks at once; other nicks, and every nick in other texts, are searched with ``mention_pattern``, in a
    text without _ODD_CASE letters only when its lower case holds the nick's ``_held_piece``
    (``test_actions_by_person_agrees_with_mentions`` holds the result to ``mentions``).
    """
    ordered = sorted(set(nicks), key=lambda n: (n.lower(), n))
    also = aliases or {}
    names = [(nick, name) for nick in ordered for name in (nick, *also.get(nick, ()))]
    by_word: dict[str, list[str]] = {}  # a lower-cased nick word -> the people it names
    searched: list[tuple[str, str, str]] = []  # (person, name, its _held_piece) found only by pattern
    for nick, name in names:
        lowered = name.lower()
        if name.isascii() and _NICK_WORD.fullmatch(lowered):
            by_word.setdefault(lowered, []).append(nick)
        else:
            searched.append((nick, name, _held_piece(name)))
    patterns: dict[str, re.Pattern[str]] = {}  # compiled when first needed (compiling costs more than searching)
    owners: dict[str, list[Item]] = {}
    unassigned: list[Item] = []
    for action in actions:
        text = action.text
        named: set[str] = set()
        if action.owners:  # named by reference (a Matrix pill), under any of their nicks
            by_reference = {owner.lower() for owner in action.owners}
            named.update(nick for nick, name in names if name.lower() in by_reference)
        # _ODD_CASE.isdisjoint(text) in three searches (isdisjoint makes a string of each character: 8,500
        # instructions against 1,700)
        if not (_CAPITAL_I_DOT in text or _DOTLESS_I in text or _LONG_S in text):
            lowered = text.lower()
            for word in by_word.keys() & _NICK_WORD.findall(lowered):
                named.update(by_word[word])
            rest = [(nick, name) for nick, name, piece in searched if piece in lowered]
        else:
            rest = names
        for nick, name in rest:
            if nick not in named:
                pattern = patterns.get(name)
                if pattern is None:
                    pattern = patterns[name] = mention_pattern(name)
                if pattern.search(text) is not None:
                    named.add(nick)
        for nick in named:
            owners.setdefault(nick, []).append(action)
        if not named:
            unassigned.append(action)
    return {nick: owners[nick] for nick in ordered if nick in owners}, unassigned
