"""What reading one file collects: its problems and warnings, worded the same way everywhere."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Context:
    shown: str  # the file name as given, prefixed to every problem
    base: Path  # the config file's directory, for relative paths
    environ: Mapping[str, str]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.shown}: {where}: {message}" if where else f"{self.shown}: {message}")

    def warn(self, where: str, message: str) -> None:
        self.warnings.append(f"{self.shown}: {where}: {message}")

    def resolve(self, text: str) -> Path | None:
        """``~`` expanded (``HOME`` from the given environment), relative paths against the config's directory."""
        if text == "~" or text.startswith("~/"):
            home = self.environ.get("HOME")
            if home:
                text = home + text[1:]
        if text.startswith("~"):
            try:
                text = str(Path(text).expanduser())
            except RuntimeError:
                return None
            if text.startswith("~"):
                return None
        return Path(os.path.normpath(self.base / text))


def describe(value: object, *, secret: bool = False) -> str:
    """A short, safe description of a bad value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if secret:
        kind = {str: "a string", int: "an integer", float: "a number", list: "an array", dict: "a table"}
        return kind.get(type(value), "a value")
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # dates and times
