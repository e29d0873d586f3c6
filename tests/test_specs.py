"""Spec parsing and the registry: typed parameters, clear errors, no evaluation of input."""

from __future__ import annotations

from typing import Literal

import pytest

from robustx.errors import SpecError
from robustx.registry import Registry
from robustx.specs import bind, canonical, parse_spec


def factory(
    rate: float = 0.1,
    edits: int = 1,
    keep: bool = True,
    langs: tuple[str, ...] = ("de", "hi"),
    mode: Literal["fast", "slow"] = "fast",
    floor: float | None = None,
) -> None:
    """A factory with one parameter of each supported type."""


def test_parse_and_bind_converts_each_type() -> None:
    spec = parse_spec("noise: rate=0.3, edits=2,keep=false,langs=de+zh+th,mode=slow,floor=0.8")
    kwargs = bind("attack", factory, spec)
    assert kwargs == {
        "rate": 0.3,
        "edits": 2,
        "keep": False,
        "langs": ("de", "zh", "th"),
        "mode": "slow",
        "floor": 0.8,
    }


def test_defaults_fill_missing_and_canonical_is_order_independent() -> None:
    a = bind("attack", factory, parse_spec("noise:edits=2,rate=0.1"))
    b = bind("attack", factory, parse_spec("noise:rate=0.1,edits=2"))
    assert canonical("noise", a) == canonical("noise", b)
    assert canonical("noise", a) == "noise:edits=2,floor=none,keep=true,langs=de+hi,mode=fast,rate=0.1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("noise:rate", "malformed parameter 'rate'"),
        ("noise:rate=abc", "bad value 'abc' for noise:rate: expected float"),
        ("noise:edits=1.5", "expected int"),
        ("noise:keep=maybe", "expected bool"),
        ("noise:mode=slwo", "did you mean 'slow'"),
        ("noise:rat=0.1", "did you mean 'rate'"),
        ("noise:rate=0.1,rate=0.2", "given twice"),
        ("noise:rate=nan", "expected float"),
        (":rate=1", "empty name"),
    ],
)
def test_malformed_specs_raise_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        bind("attack", factory, parse_spec(text))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_values_are_never_evaluated_as_code() -> None:
    kwargs = bind("attack", factory, parse_spec("noise:langs=__import__('os')"))
    assert kwargs["langs"] == ("__import__('os')",)


def test_registry_unknown_name_suggests_closest() -> None:
    reg: Registry[int] = Registry("attack")
    reg.add("charnoise", 1)
    reg.add("codeswitch", 2)
    assert reg.get("codeswitch") == 2
    with pytest.raises(SpecError, match="did you mean 'charnoise'"):
        reg.get("charnose")
    with pytest.raises(ValueError, match="registered twice"):
        reg.add("charnoise", 3)
