"""Reading one TOML table of the config model: typed getters that record every problem, never stop at one.

A :class:`Table` knows its model (``BotConfig``, ``NetworkConfig``, ...): the keys it accepts, their
defaults and bounds all come from the model's fields. The loader reads the keys that have rules of
their own; :meth:`Table.remaining` reads every other key by its type.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from gavel.app.config.context import Context, describe
from gavel.app.config.setting import Option, Setting, options, toml_keys

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ABSENT: Final = object()
_T = TypeVar("_T")


class Table:
    """One TOML table being read: typed getters that record a problem (and return None or the default) on bad values.

    Unknown keys are reported at once, with the closest known key or, from ``elsewhere``, the table
    a key belongs in.
    """

    def __init__(
        self,
        ctx: Context,
        where: str,
        data: Mapping[str, object],
        model: type[DataclassInstance],
        elsewhere: Mapping[str, str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.where = where
        self.data = data
        self.model = model
        self.options = {option.name: option for option in options(model)}
        self.taken: set[str] = set()  # the keys the loader's rules have looked at
        known = toml_keys(model)
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

    # A key the loader's rules look at (has, raw and every getter) is theirs: remaining() leaves it alone.
    def has(self, key: str) -> bool:
        self.taken.add(key)
        return key in self.data

    def raw(self, key: str) -> object:
        self.taken.add(key)
        return self.data.get(key, ABSENT)

    def setting(self, key: str) -> Setting:
        return self.options[key].setting

    def default(self, key: str, kind: type[_T]) -> _T:
        """The model's default for ``key``."""
        value = self.options[key].default
        if not isinstance(value, kind):
            raise TypeError(f"{self.model.__name__}.{key}: the default {value!r} is not a {kind.__name__}")
        return value

    def string(self, key: str, *, required: bool | None = None, secret: bool = False) -> str | None:
        """A non-empty string without control characters, or None (absent or invalid).

        ``required`` is, unless given, whether the model's field has no default.
        """
        value = self.raw(key)
        if value is ABSENT:
            if self._required(key) if required is None else required:
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

    def text(self, key: str) -> str:
        """A string as :meth:`string` reads it, else the model's default."""
        return self.string(key) or self.default(key, str)

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if value is ABSENT:
            return self.default(key, bool)
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false (got {describe(value)})")
            return self.default(key, bool)
        return value

    def integer(self, key: str, *, default: int | None = None) -> int:
        """An integer within the setting's bounds, else ``default`` (unless given, the model's default)."""
        fallback = self.default(key, int) if default is None else default
        value = self.raw(key)
        if value is ABSENT:
            return fallback
        low, high = self.setting(key).minimum, self.setting(key).maximum
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            self.problem(
                key, f"must be {_integer_bounds(low, high)}{self.setting(key).bounds_note} (got {describe(value)})"
            )
            return fallback
        return value

    def number(self, key: str) -> float:
        """A finite number within the setting's bounds, else the model's default."""
        value = self.raw(key)
        if value is ABSENT:
            return self.default(key, float)
        minimum, exclusive = self.setting(key).minimum, self.setting(key).exclusive
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            number = float(value)
            if minimum is None or number > minimum or (number == minimum and not exclusive):
                return number
        if minimum is None:
            bounds = "a number"
        else:
            bounds = f"a number {'greater than' if exclusive else 'at least'} {minimum:g}"
        self.problem(key, f"must be {bounds} (got {describe(value)})")
        return self.default(key, float)

    def path(self, key: str) -> Path | None:
        """A path made absolute; the setting says whether it must be a file or, if it exists, a directory."""
        text = self.string(key)
        if text is None:
            return None
        resolved = self.ctx.resolve(text)
        if resolved is None:
            self.problem(key, f"cannot expand '~' in {text!r}")
            return None
        if self.setting(key).must_exist and not resolved.is_file():
            self.problem(key, f"no such file: {resolved}")
        elif self.setting(key).directory and resolved.exists() and not resolved.is_dir():
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

    def remaining(self) -> dict[str, Any]:
        """Every key not read yet, read by its type: the model's keys that need no rule of their own."""
        return {
            option.attribute: self._plain(option) for name, option in self.options.items() if name not in self.taken
        }

    def _plain(self, option: Option) -> Any:
        """The key read by its type; absent or invalid, the model's default (None for a required key)."""
        name, kind = option.name, option.type
        value: object
        if kind is bool:
            value = self.boolean(name)
        elif kind is int:
            value = self.integer(name)
        elif kind is float:
            value = self.number(name)
        elif kind is str or kind == str | None:
            value = self.secret(name) if option.setting.secret else self.string(name)
        elif kind is Path or kind == Path | None:
            value = self.path(name)
        else:
            raise TypeError(f"{self.model.__name__}.{name}: the loader has no rule for a {kind}")
        return option.default if value is None and not option.required else value

    def _required(self, key: str) -> bool:
        option = self.options.get(key)
        return option is not None and option.required


def _integer_bounds(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"an integer between {low} and {high}"
    if low == 0:
        return "a whole number of at least 0"
    if low is not None:
        return f"an integer of at least {low}"
    if high is not None:
        return f"an integer of at most {high}"
    return "an integer"
