"""The one error the configuration loader raises."""

from __future__ import annotations

from pathlib import Path

from gavel.core.errors import GavelError


class ConfigError(GavelError):
    """The configuration file is unreadable or invalid. ``problems`` lists every problem found."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
