"""The people of a meeting: lines said per person, and the nicks named by ``#nick`` and ``#chair``."""

from __future__ import annotations

from gavel.core.records import fold_nick


class People:
    """Who spoke and how often, compared IRC-case-insensitively (``fold_nick``), and who else was named.

    Counting is on the per-line path and folding is not: a line adds one to ``lines_as_written`` under
    the nick as written (the replay hot path does that increment itself), and the counts are folded
    only when read. The queries fold without writing anything. Folding late must still leave out the
    bot's lines under the nick the bot had when it said them, so ``settle`` folds the counts so far
    into the settled ones, and the meeting calls it before the bot's nick changes.
    ``test_people_are_counted_as_if_each_line_were_folded_at_once`` (tests/test_core_people.py) holds the
    counts equal to folding each line as it is said.
    """

    def __init__(self) -> None:
        # nick as written -> lines said since the last settle (cleared in place: the hot path holds this dict)
        self.lines_as_written: dict[str, int] = {}
        self._lines: dict[str, int] = {}  # folded nick -> lines said, settled
        self._first_seen: dict[str, str] = {}  # folded nick -> the nick as first seen
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
        """Fold the counts so far into the settled ones, leaving out ``bot`` (the bot's folded nick, or None)."""
        self._lines, self._first_seen = self._folded_counts(bot)
        self.lines_as_written.clear()

    def lines_by_person(self, bot: str | None) -> list[tuple[str, int]]:
        """Each person who spoke with their line count, most lines first (ties by nick); ``bot``'s unsettled lines
        are left out."""
        lines, first_seen = self._folded_counts(bot)
        rows = [(first_seen[key], count) for key, count in lines.items()]
        return sorted(rows, key=lambda row: (-row[1], row[0].lower(), row[0]))

    def nicks(self, bot: str | None) -> list[str]:
        """Everyone who spoke or was named, as first seen, without ``bot``."""
        nicks = self._folded_counts(bot)[1]
        for key, nick in self._named.items():
            nicks.setdefault(key, nick)
        if bot is not None:
            nicks.pop(bot, None)
        return list(nicks.values())

    def name(self, nick: str) -> None:
        """Make ``nick`` known (``#nick``, ``#chair``) though it may never speak."""
        self._named.setdefault(fold_nick(nick), nick)

    def rename(self, old: str, new: str) -> None:
        """A named nick follows its nick change (its lines stay counted under the nick that said them)."""
        old_key = fold_nick(old)
        if old_key in self._named:
            del self._named[old_key]
            self._named[fold_nick(new)] = new

    def _folded_counts(self, bot: str | None) -> tuple[dict[str, int], dict[str, str]]:
        """New dicts: the settled counts plus the unsettled ones folded (without ``bot``'s), and each nick as first
        seen."""
        lines, first_seen = dict(self._lines), dict(self._first_seen)
        folded = self._folded
        for nick, count in self.lines_as_written.items():
            key = folded.get(nick)
            if key is None:
                key = fold_nick(nick)
            if key == bot:
                continue
            if key in lines:
                lines[key] += count
            else:
                lines[key] = count
                first_seen[key] = nick
        return lines, first_seen
