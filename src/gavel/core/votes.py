"""Votes: ``#startvote Question? a, b, c``, ``#vote b``, ``#showvote``, ``#endvote``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from gavel.core.records import fold_nick

DEFAULT_OPTIONS = ("yes", "no", "abstain")
_OPTION_SPLIT = re.compile(r"\s*[,/]\s*|\s+")


def parse_startvote(arg: str) -> tuple[str, tuple[str, ...]]:
    """Split ``Question? a, b, c`` into the question and its options (default yes/no/abstain).

    The question runs up to the last ``?``; with no ``?`` the whole text is the question.
    Options are separated by commas, slashes or spaces; duplicates (case-insensitive) are dropped.
    """
    arg = arg.strip()
    mark = arg.rfind("?")
    if mark < 0:
        return arg, DEFAULT_OPTIONS
    question, rest = arg[: mark + 1].strip(), arg[mark + 1 :].strip()
    rest = re.sub(r"^(?:choices|options)\s*:\s*", "", rest, flags=re.IGNORECASE)
    options: list[str] = []
    seen: set[str] = set()
    for option in _OPTION_SPLIT.split(rest):
        if option and option.lower() not in seen:
            seen.add(option.lower())
            options.append(option)
    return question, tuple(options) if len(options) >= 2 else DEFAULT_OPTIONS


@dataclass
class Vote:
    """An open or closed vote. Ballots are keyed by IRC-folded nick: a person's last vote counts."""

    question: str
    options: tuple[str, ...]
    nick: str
    time: datetime
    line: int
    ballots: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (display nick, option)
    ended: datetime | None = None

    def option_for(self, choice: str) -> str | None:
        """The option matching ``choice`` case-insensitively, or None."""
        wanted = choice.strip().lower()
        for option in self.options:
            if option.lower() == wanted:
                return option
        return None

    def cast(self, nick: str, option: str) -> None:
        self.ballots[fold_nick(nick)] = (nick, option)

    def rename(self, old: str, new: str) -> None:
        ballot = self.ballots.pop(fold_nick(old), None)
        if ballot is not None:
            self.ballots[fold_nick(new)] = (new, ballot[1])

    def tally(self) -> list[tuple[str, list[str]]]:
        """Each option with the nicks who chose it, in the order the options were given."""
        voters: dict[str, list[str]] = {option: [] for option in self.options}
        for display, option in self.ballots.values():
            voters[option].append(display)
        return [(option, sorted(voters[option], key=str.lower)) for option in self.options]

    def summary(self) -> str:
        """``yes (2): alice, bob; no (0); abstain (1): carol``."""
        parts = []
        for option, nicks in self.tally():
            parts.append(f"{option} ({len(nicks)})" + (": " + ", ".join(nicks) if nicks else ""))
        return "; ".join(parts)

    def result_text(self) -> str:
        """The minutes text of an ended vote: the question, then the counts."""
        counts = ", ".join(f"{option}={len(nicks)}" for option, nicks in self.tally())
        return f"{self.question} ({counts})"
