"""How a field of the config model appears in the TOML file: its documentation and its bounds.

Every field of the model carries one of two kinds of metadata: ``setting(...)`` makes it a key of
its TOML table (documented in ``docs/config.md``, its default the field's default), ``NOT_IN_FILE``
marks a field the loader fills in itself. The accepted keys, the "did you mean" candidates, the
defaults and the reference documentation are all read from here, never listed by hand.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, ParamSpec

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_METADATA_KEY: Final = "gavel.config"
_P = ParamSpec("_P")


@dataclass(frozen=True, slots=True)
class Setting:
    """A TOML key: what it means, how the documentation shows it, what values the loader accepts."""

    help: str  # what it means, in Markdown, for docs/config.md
    kind: str = ""  # its type as the documentation shows it; "" = from the field's type and bounds
    shown_default: str = ""  # its default as the documentation shows it; "" = from the field's default
    minimum: float | None = None  # numbers: the smallest value accepted...
    exclusive: bool = False  # ...or, when true, the value it must exceed
    maximum: int | None = None  # integers: the largest value accepted
    bounds_note: str = ""  # added to the "must be ..." of a number out of bounds, e.g. " (0 = never)"
    secret: bool = False  # may instead come from the environment variable named by `<key>_env`
    must_exist: bool = False  # a path that must name an existing file
    directory: bool = False  # a path that, if it exists, must be a directory
    key: str = ""  # the TOML key, when it cannot be the field's name (`from`, a Python keyword); "" = the field's


def _as_metadata(make: Callable[_P, Setting]) -> Callable[_P, Mapping[str, Setting | None]]:
    def metadata(*args: _P.args, **kwargs: _P.kwargs) -> Mapping[str, Setting | None]:
        return MappingProxyType({_METADATA_KEY: make(*args, **kwargs)})

    return metadata


# The metadata of a field that is a TOML key; it takes the arguments of Setting:
# ``field(default=60, metadata=setting("How long a meeting lasts.", minimum=1))``.
setting = _as_metadata(Setting)


# The metadata of a field that is not in the file: the loader works it out (the file's own path, ...).
NOT_IN_FILE: Final[Mapping[str, Setting | None]] = MappingProxyType({_METADATA_KEY: None})


@dataclass(frozen=True, slots=True)
class Option:
    """One key of a TOML table: a model field that has a :class:`Setting`."""

    name: str
    type: object  # the field's type, resolved (``int``, ``Path | None``, ...)
    default: Any  # the field's default; ``dataclasses.MISSING`` if it has none
    setting: Setting
    field: str = ""  # the dataclass field, when the key is another name ("" = the same)

    @property
    def attribute(self) -> str:
        """The dataclass field the key fills."""
        return self.field or self.name

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING

    @property
    def keys(self) -> tuple[str, ...]:
        """The key and, for a secret, its ``*_env`` twin."""
        return (self.name, f"{self.name}_env") if self.setting.secret else (self.name,)


def options(model: type[DataclassInstance]) -> tuple[Option, ...]:
    """The TOML keys of ``model``'s table, in field order.

    Raises ``TypeError`` for a field with neither ``setting(...)`` nor ``NOT_IN_FILE``: every field
    must say whether it is a key.
    """
    types = typing.get_type_hints(model)
    found: list[Option] = []
    for item in dataclasses.fields(model):
        if _METADATA_KEY not in item.metadata:
            raise TypeError(f"{model.__name__}.{item.name}: give it metadata=setting(...) or metadata=NOT_IN_FILE")
        described = item.metadata[_METADATA_KEY]
        if described is None:
            continue
        if not isinstance(described, Setting):
            raise TypeError(f"{model.__name__}.{item.name}: its metadata is not a Setting")
        default: Any = item.default
        if item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        key = described.key or item.name
        found.append(Option(key, types[item.name], default, described, "" if key == item.name else item.name))
    return tuple(found)


def toml_keys(model: type[DataclassInstance]) -> tuple[str, ...]:
    """Every key ``model``'s table accepts, secrets' ``*_env`` twins included."""
    return tuple(key for option in options(model) for key in option.keys)
