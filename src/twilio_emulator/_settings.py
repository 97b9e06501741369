"""Settings from JSON: each value taken as its field's declared type, and back to JSON.

JSON has no tuples, mixes int and float, and nests settings groups as objects; the settings
dataclasses declare what they take, and these two functions translate both ways.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["as_json", "coerce"]


def coerce(name: str, hint: Any, value: Any) -> Any:
    """`value` as the type `hint` declares; raises `ValueError` naming the setting `name`."""
    try:
        return _coerced(hint, value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a valid value") from None


def _coerced(hint: Any, value: Any) -> Any:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        ok = value in args
    elif origin in (typing.Union, types.UnionType) and type(None) in args:  # an optional value
        inner = next(a for a in args if a is not type(None))
        return None if value is None else _coerced(inner, value)
    elif hint is bool:
        ok = isinstance(value, bool)
    elif hint is float:
        ok, value = number, float(value) if number else value
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is str:
        ok = isinstance(value, str)
    elif origin is tuple:
        return _tuple(args, value)
    elif origin is Mapping:
        ok = isinstance(value, Mapping)
    else:
        ok = isinstance(value, hint)
    if not ok:
        raise ValueError(value)
    return value


def _tuple(args: tuple[Any, ...], value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(value)
    if len(args) == 2 and args[1] is Ellipsis:  # tuple[X, ...]: any length
        return tuple(_coerced(args[0], item) for item in value)
    if len(value) != len(args):
        raise ValueError(value)
    return tuple(_coerced(hint, item) for hint, item in zip(args, value, strict=True))


def as_json(value: Any) -> Any:
    """`value` as JSON-ready data: settings groups as objects, tuples as lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [as_json(item) for item in value]
    return value
