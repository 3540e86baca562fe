"""Attendance: who was declared present (``#present+``, ``#here``) and who sent regrets (``#regrets+``)."""

from __future__ import annotations

from gavel.core.records import fold_nick


class Attendance:
    """Declared nicks, each once (IRC-case-insensitively), in the order given; a nick change carries them along."""

    def __init__(self) -> None:
        self.declared: dict[str, str] = {}  # folded nick -> nick as given
        self.regrets: dict[str, str] = {}

    def copy(self) -> Attendance:
        other = Attendance()
        other.declared, other.regrets = dict(self.declared), dict(self.regrets)
        return other

    def snapshot(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A comparable picture: (declared present, regrets), in order."""
        return tuple(self.declared.values()), tuple(self.regrets.values())

    def add_present(self, nick: str) -> None:
        self.declared.setdefault(fold_nick(nick), nick)
        self.regrets.pop(fold_nick(nick), None)  # here after all

    def remove_present(self, nick: str) -> bool:
        """Take back ``nick``'s declaration; False when it had none."""
        return self.declared.pop(fold_nick(nick), None) is not None

    def add_regrets(self, nick: str) -> None:
        self.regrets.setdefault(fold_nick(nick), nick)

    def rename(self, old: str, new: str) -> None:
        old_key, new_key = fold_nick(old), fold_nick(new)
        for table in (self.declared, self.regrets):
            if old_key in table and new_key not in table:
                del table[old_key]
                table[new_key] = new
