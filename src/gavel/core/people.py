"""The people of a meeting: lines said per person across nick changes, and the nicks named by ``#nick``/``#chair``.

A person is whoever holds a nick: when ``sdake`` becomes ``sdake_`` the lines of both count for one person,
listed under the nick they have now with the others beside it. Someone who later takes the free ``sdake`` is
someone else. Nicks compare IRC-case-insensitively (``fold_nick``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gavel.core.records import fold_nick


@dataclass(slots=True)
class Person:
    """One person: the nick they have now, every nick they used (first spelling of each, in order) and lines."""

    nick: str
    names: list[str] = field(default_factory=list)
    lines: int = 0

    def also_known_as(self) -> tuple[str, ...]:
        """The nicks this person used other than the one they are listed under."""
        current = fold_nick(self.nick)
        return tuple(name for name in self.names if fold_nick(name) != current)

    def copy(self) -> Person:
        return Person(self.nick, list(self.names), self.lines)


class People:
    """Who spoke and how often, one entry per person, and who else was named.

    Counting is on the per-line path and merging is not: a line adds one to ``lines_as_written`` under
    the nick as written (the replay hot path does that increment itself). Those counts are settled into
    people (``settle``) only at a nick change, which is when a nick starts to mean someone else; the
    queries settle a copy and write nothing. The bot's lines under the nick it had are left out when
    settling. ``test_people_are_counted_as_if_each_line_were_folded_at_once`` (tests/test_core_people.py)
    holds the counts equal to a person-per-nick-chain count made line by line.
    """

    def __init__(self) -> None:
        # nick as written -> lines said since the last settle (cleared in place: the hot path holds this dict)
        self.lines_as_written: dict[str, int] = {}
        self._people: list[Person] = []  # settled, in order of first appearance
        self._holder: dict[str, int] = {}  # folded nick -> index in _people of the person holding it now
        self._named: dict[str, str] = {}  # folded nick -> nick, from #nick and #chair
        self._folded: dict[str, str] = {}  # nick -> folded nick (a cache: folding is on the per-line path)

    def fold(self, nick: str) -> str:
        """``fold_nick(nick)``, cached."""
        key = self._folded.get(nick)
        if key is None:
            key = self._folded[nick] = fold_nick(nick)
        return key

    def count(self, nick: str) -> None:
        """``nick`` said one more line."""
        self.lines_as_written[nick] = self.lines_as_written.get(nick, 0) + 1

    def settle(self, bot: str | None) -> None:
        """Add the counts so far to the people holding their nicks, leaving out ``bot`` (the bot's folded nick)."""
        self._settle_into(self._people, self._holder, bot)
        self.lines_as_written.clear()

    def rename(self, old: str, new: str, bot: str | None) -> None:
        """``old`` is now ``new``: settle the lines so far, then the person (and a named nick) follows the nick."""
        self.settle(bot)
        old_key, new_key = fold_nick(old), fold_nick(new)
        if old_key in self._named:
            del self._named[old_key]
            self._named[new_key] = new
        if old_key == bot:
            return
        index = self._holder.pop(old_key, None)
        if index is None:  # someone who never spoke: a person once they do, with this nick behind them
            self._people.append(Person(old, [old]))
            index = len(self._people) - 1
        person = self._people[index]
        person.nick = new
        if all(fold_nick(name) != new_key for name in person.names):
            person.names.append(new)
        self._holder[new_key] = index

    def persons(self, bot: str | None) -> list[Person]:
        """Each person who spoke (copies), most lines first (ties by nick); ``bot``'s unsettled lines are left
        out."""
        people = [person.copy() for person in self._people]
        self._settle_into(people, dict(self._holder), bot)
        spoke = [person for person in people if person.lines]
        return sorted(spoke, key=lambda person: (-person.lines, person.nick.lower(), person.nick))

    def lines_by_person(self, bot: str | None) -> list[tuple[str, int]]:
        """``(nick, lines)`` of ``persons(bot)``."""
        return [(person.nick, person.lines) for person in self.persons(bot)]

    def nicks(self, bot: str | None) -> list[str]:
        """Everyone who spoke (the nick they have now) or was named, without ``bot``."""
        people = self.persons(bot)
        used = {fold_nick(name) for person in people for name in (person.nick, *person.names)}
        nicks = [person.nick for person in people]
        nicks += [nick for key, nick in self._named.items() if key not in used and key != bot]
        return nicks

    def aliases(self, bot: str | None) -> dict[str, tuple[str, ...]]:
        """The other nicks of each person who used more than one, by the nick they have now (when two people
        ended up with the same nick, one after the other, theirs together, in alphabetical order: the order of
        two people with the same nick and count is no order)."""
        found: dict[str, tuple[str, ...]] = {}
        for person in self.persons(bot):
            aka = person.also_known_as()
            if aka:
                known = found.get(person.nick)
                found[person.nick] = aka if known is None else tuple(sorted(known + aka, key=_alphabetical))
        return found

    def nicks_of(self, nick: str) -> set[str]:
        """Every nick (folded) of the person who holds ``nick`` now (just ``nick`` for someone unsettled)."""
        key = fold_nick(nick)
        index = self._holder.get(key)
        if index is None:
            return {key}
        return {key} | {fold_nick(name) for name in self._people[index].names}

    def name(self, nick: str) -> None:
        """Make ``nick`` known (``#nick``, ``#chair``) though it may never speak."""
        self._named.setdefault(fold_nick(nick), nick)

    def _settle_into(self, people: list[Person], holder: dict[str, int], bot: str | None) -> None:
        """Add ``lines_as_written`` to ``people`` (``holder``: folded nick -> index), new people as needed."""
        folded = self._folded
        for nick, count in self.lines_as_written.items():
            key = folded.get(nick)
            if key is None:
                key = fold_nick(nick)
            if key == bot:
                continue
            index = holder.get(key)
            if index is None:
                people.append(Person(nick, [nick]))
                index = holder[key] = len(people) - 1
            people[index].lines += count


def _alphabetical(nick: str) -> tuple[str, str]:
    return (fold_nick(nick), nick)
