"""Parse ``name:key=value,key=value`` strings into typed keyword arguments for a factory.

Types come from the factory's annotations (int, float, bool, str, Literal[...], tuple[str, ...] written
with ``+`` between items, and ``X | None``); nothing is ever evaluated as code.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from robustx.errors import SpecError
from robustx.registry import did_you_mean


@dataclass(frozen=True)
class Spec:
    """A parsed specification: a name and its raw (string) parameters in the order given."""

    name: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Param:
    """One typed parameter of a factory, for parsing and for ``robustx attacks``."""

    name: str
    annotation: Any
    default: Any

    @property
    def type_name(self) -> str:
        return _type_name(self.annotation)


def parse_spec(text: str) -> Spec:
    """Split ``name:k=v,k=v``; raise SpecError naming the malformed part."""
    text = text.strip()
    name, _, rest = text.partition(":")
    name = name.strip()
    if not name:
        raise SpecError(f"empty name in spec '{text}'")
    params: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key:
            raise SpecError(f"malformed parameter '{part}' in spec '{text}': expected key=value")
        if key in seen:
            raise SpecError(f"parameter '{key}' given twice in spec '{text}'")
        seen.add(key)
        params.append((key, value.strip()))
    return Spec(name, tuple(params))


def factory_params(factory: Callable[..., Any]) -> list[Param]:
    """The keyword parameters a factory accepts, with resolved annotations and defaults."""
    hints = typing.get_type_hints(factory)
    out = []
    for p in inspect.signature(factory).parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        default = None if p.default is inspect.Parameter.empty else p.default
        out.append(Param(p.name, hints.get(p.name, str), default))
    return out


def bind(owner: str, factory: Callable[..., Any], spec: Spec) -> dict[str, Any]:
    """Convert a spec's raw parameters to typed kwargs for ``factory``; defaults fill the rest."""
    params = {p.name: p for p in factory_params(factory)}
    kwargs = {name: p.default for name, p in params.items()}
    for key, raw in spec.params:
        if key not in params:
            raise SpecError(
                f"{owner} '{spec.name}' has no parameter '{key}'{did_you_mean(key, list(params))}; "
                f"parameters: {', '.join(params) or '(none)'}"
            )
        kwargs[key] = convert(raw, params[key].annotation, f"{spec.name}:{key}")
    return kwargs


def canonical(name: str, kwargs: dict[str, Any]) -> str:
    """A stable string for a bound spec (all parameters, sorted): run-directory and RNG key."""
    if not kwargs:
        return name
    return name + ":" + ",".join(f"{k}={format_value(v)}" for k, v in sorted(kwargs.items()))


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "+".join(format_value(v) for v in value)
    if value is None:
        return "none"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def convert(raw: str, annotation: Any, where: str) -> Any:
    """Convert one raw string to ``annotation``; SpecError names ``where`` and the expected type."""
    origin = get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if raw.lower() in ("none", "null", "") and len(members) < len(get_args(annotation)):
            return None
        return convert(raw, members[0], where) if len(members) == 1 else raw
    if origin is Literal:
        choices = [str(c) for c in get_args(annotation)]
        if raw not in choices:
            raise SpecError(
                f"bad value '{raw}' for {where}: expected one of {', '.join(choices)}{did_you_mean(raw, choices)}"
            )
        return next(c for c in get_args(annotation) if str(c) == raw)
    if origin is tuple:
        item = get_args(annotation)[0] if get_args(annotation) else str
        return tuple(convert(v, item, where) for v in raw.split("+") if v)
    return _convert_scalar(raw, annotation, where)


def _convert_scalar(raw: str, annotation: Any, where: str) -> Any:
    try:
        if annotation is bool:
            low = raw.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if annotation is int:
            return int(raw)
        if annotation is float:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError(raw)
            return value
    except ValueError:
        raise SpecError(f"bad value '{raw}' for {where}: expected {_type_name(annotation)}") from None
    return raw


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is Literal:
        return "|".join(str(a) for a in get_args(annotation))
    if origin is tuple:
        return f"{_type_name(get_args(annotation)[0])}+..."
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in get_args(annotation))
    return getattr(annotation, "__name__", str(annotation))
