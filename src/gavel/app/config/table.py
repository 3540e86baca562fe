"""Reading one TOML table: typed getters that record every problem instead of stopping at the first."""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


ABSENT = object()


class Table:
    """One TOML table being read: typed getters that record a problem (and return None) on bad values."""

    def __init__(
        self,
        ctx: Context,
        where: str,
        data: Mapping[str, object],
        known: Iterable[str],
        elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.where = where
        self.data = data
        known = tuple(known)
        for key in data:
            if key in known:
                continue
            hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            if hint:
                ctx.problem(self.at(key), f"unknown key (did you mean '{hint[0]}'?)")
            elif elsewhere and key in elsewhere:
                ctx.problem(self.at(key), f"unknown key here (it belongs in {elsewhere[key]})")
            else:
                ctx.problem(self.at(key), "unknown key")

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def problem(self, key: str, message: str) -> None:
        self.ctx.problem(self.at(key), message)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> object:
        return self.data.get(key, ABSENT)

    def string(self, key: str, *, required: bool = False, secret: bool = False) -> str | None:
        """A non-empty string without control characters, or None (absent or invalid)."""
        value = self.raw(key)
        if value is ABSENT:
            if required:
                self.problem(key, "missing (required)")
            return None
        if not isinstance(value, str):
            self.problem(key, f"must be a string (got {describe(value, secret=secret)})")
            return None
        if not value.strip():
            self.problem(key, "must not be empty")
            return None
        if CONTROL.search(value):
            self.problem(key, "must not contain control characters (line breaks, tabs, ...)")
            return None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key)
        if value is ABSENT:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false (got {describe(value)})")
            return default
        return value

    def integer(self, key: str, default: int, low: int, high: int | None = None, *, what: str = "") -> int:
        value = self.raw(key)
        if value is ABSENT:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or value < low or (high is not None and value > high):
            if high is not None:
                bounds = f"an integer between {low} and {high}"
            else:
                bounds = "a whole number of at least 0" if low == 0 else f"an integer of at least {low}"
            self.problem(key, f"must be {bounds}{what} (got {describe(value)})")
            return default
        return value

    def number(self, key: str, default: float, *, minimum: float, exclusive: bool = False) -> float:
        value = self.raw(key)
        if value is ABSENT:
            return default
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            number = float(value)
            if number > minimum or (number == minimum and not exclusive):
                return number
        relation = "greater than" if exclusive else "at least"
        self.problem(key, f"must be a number {relation} {minimum:g} (got {describe(value)})")
        return default

    def path(
        self, key: str, *, required: bool = False, must_exist: bool = False, directory: bool = False
    ) -> Path | None:
        text = self.string(key, required=required)
        if text is None:
            return None
        resolved = resolve_path(self.ctx, text)
        if resolved is None:
            self.problem(key, f"cannot expand '~' in {text!r}")
            return None
        if must_exist and not resolved.is_file():
            self.problem(key, f"no such file: {resolved}")
        elif directory and resolved.exists() and not resolved.is_dir():
            self.problem(key, f"not a directory: {resolved}")
        return resolved

    def secret(self, key: str) -> str | None:
        """``key`` given inline or through ``key_env`` (the name of an environment variable), never both."""
        env_key = f"{key}_env"
        inline = self.string(key, secret=True)
        if not self.has(env_key):
            return inline
        name = self.string(env_key)
        if self.has(key):
            self.problem(key, f"set either {key} or {env_key}, not both")
            return None
        if name is None:
            return None
        if not _ENV_NAME.fullmatch(name):
            self.problem(env_key, f"must be an environment variable name (got {name!r})")
            return None
        value = self.ctx.environ.get(name)
        if value is None:
            self.problem(env_key, f"the environment variable {name} is not set")
            return None
        if not value:
            self.problem(env_key, f"the environment variable {name} is empty")
            return None
        if CONTROL.search(value):
            self.problem(env_key, f"the environment variable {name} contains control characters")
            return None
        return value


def resolve_path(ctx: Context, text: str) -> Path | None:
    """``~`` expanded (``HOME`` from the given environment), relative paths against the config's directory."""
    if text == "~" or text.startswith("~/"):
        home = ctx.environ.get("HOME")
        if home:
            text = home + text[1:]
    if text.startswith("~"):
        try:
            text = str(Path(text).expanduser())
        except RuntimeError:
            return None
        if text.startswith("~"):
            return None
    return Path(os.path.normpath(ctx.base / text))


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
