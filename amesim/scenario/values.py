"""Parameter values with provenance and uncertainty.

Two kinds of random thing appear in a scenario, and they must not be confused:

* A :class:`Quantity` is a *parameter* whose true value is uncertain (epistemic
  uncertainty): "staff cost 490-530 kSEK". It is drawn once per replication, so the
  spread of results across replications includes our ignorance about the inputs.
* A :class:`Dist` describes *variation between people or events* (aleatory), such as
  the duration of one kartläggning. It is sampled every time an event needs it. Its own
  parameters are Quantities, so "mean duration somewhere in 14-28 days" is expressible.

Both may carry a ``source``: a seed file and section, or "assumption: why".
"""

from __future__ import annotations

import functools
import math
import types
import typing
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Source = Annotated[
    str | None,
    Field(
        default=None,
        description="Where the value comes from: a seed file and section "
        "(e.g. '000 Nuvarande kostnader') or 'assumption: <why>'.",
    ),
]


def _numeric(tp: Any) -> str | None:
    """How numbers sit in a field's type: 'n' (a number), 'seq' (a list or tuple of
    numbers), 'map' (a mapping to numbers) or None (no plain numbers)."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _numeric(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = {_numeric(a) for a in typing.get_args(tp) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if tp in (int, float):
        return "n"
    if origin in (list, tuple):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        return "seq" if args and all(_numeric(a) == "n" for a in args) else None
    if origin is dict:
        args = typing.get_args(tp)
        return "map" if len(args) == 2 and _numeric(args[1]) == "n" else None
    return None


@functools.cache
def _field_kind(cls: type[BaseModel], name: str) -> str | None:
    f = cls.model_fields.get(name)
    return _numeric(f.annotation) if f is not None else None


def not_a_number(v: Any) -> str | None:
    """Why ``v`` may not stand for a number although pydantic would coerce it, or None.

    ``true`` would become 1 and ``"3"`` 3: in a hand-written file both are slips, and YAML
    reads ``1e6`` (no dot, no sign) as text, which deserves its own explanation.
    """
    if isinstance(v, bool):
        return f"expected a number, got {v} (YAML reads true, yes and on as a yes/no value)"
    if isinstance(v, str):
        try:
            float(v)
        except ValueError:
            return None  # pydantic says it is not a valid number
        return (f"expected a number, got the text {v!r}: write numbers without quotes, and "
                "exponents with a dot and a sign (YAML reads 1e6 as text; write 1.0e+6)")
    return None


class Strict(BaseModel):
    """Base for every scenario model: unknown keys are errors, never dropped.

    Two rules hold for every field of every model that derives from it, so that new fields
    get them without any code: a number must be finite (``allow_inf_nan=False``: ``.nan``
    and ``.inf`` are errors, in lists and mappings too), and a yes/no value or a text is
    never silently turned into a number (:func:`not_a_number`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_coercion(cls, v: Any, info: ValidationInfo) -> Any:
        kind = _field_kind(cls, info.field_name or "")
        if kind == "n":
            why = not_a_number(v)
        elif kind == "seq" and isinstance(v, (list, tuple)):
            why = next((f"item {i}: {w}" for i, x in enumerate(v) if (w := not_a_number(x))), None)
        elif kind == "map" and isinstance(v, dict):
            why = next((f"{k}: {w}" for k, x in v.items() if (w := not_a_number(x))), None)
        else:
            why = None
        if why:
            raise ValueError(why)
        return v


class Quantity(Strict):
    """An uncertain scalar parameter, drawn once per replication.

    Written in YAML as a bare number, or as a mapping with exactly one of ``value``,
    ``range: [low, high]`` (uniform) or ``triangular: [low, mode, high]``, or
    ``normal: [mean, sd]`` (truncated at zero for non-negative use), plus ``source``.
    """

    value: float | None = Field(default=None, description="Point value.")
    range: tuple[float, float] | None = Field(
        default=None, description="Uniform range [low, high]."
    )
    triangular: tuple[float, float, float] | None = Field(
        default=None, description="Triangular [low, mode, high]."
    )
    normal: tuple[float, float] | None = Field(
        default=None, description="Normal [mean, sd]."
    )
    source: Source = None

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise ValueError("expected a number or a mapping, got a boolean")
        if isinstance(data, str) and (why := not_a_number(data)):
            raise ValueError(why)
        if isinstance(data, (int, float)):
            return {"value": float(data)}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Quantity:
        given = [k for k in ("value", "range", "triangular", "normal") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of value, range, triangular, normal"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if self.range is not None and not self.range[0] <= self.range[1]:
            raise ValueError(f"range low must be <= high, got {list(self.range)}")
        if self.triangular is not None:
            lo, mode, hi = self.triangular
            if not lo <= mode <= hi:
                raise ValueError(f"triangular needs low <= mode <= high, got {[lo, mode, hi]}")
        if self.normal is not None and self.normal[1] < 0:
            raise ValueError("normal sd must be >= 0")
        for v in self.bounds():
            if not math.isfinite(v):
                raise ValueError("values must be finite numbers")
        return self

    def bounds(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take (normal: mean +- 4 sd)."""
        if self.value is not None:
            return (self.value, self.value)
        if self.range is not None:
            return (self.range[0], self.range[1])
        if self.triangular is not None:
            return (self.triangular[0], self.triangular[2])
        assert self.normal is not None
        m, s = self.normal
        return (m - 4 * s, m + 4 * s)

    @property
    def point(self) -> float:
        """Best single guess: the value, the mid-range, the mode or the mean."""
        if self.value is not None:
            return self.value
        if self.range is not None:
            return (self.range[0] + self.range[1]) / 2
        if self.triangular is not None:
            return self.triangular[1]
        assert self.normal is not None
        return self.normal[0]

    @property
    def uncertain(self) -> bool:
        lo, hi = self.bounds()
        return hi > lo

    def draw(self, u: float) -> float:
        """Inverse-CDF draw from one uniform number, so common random numbers line up."""
        if self.value is not None:
            return self.value
        if self.range is not None:
            lo, hi = self.range
            return lo + u * (hi - lo)
        if self.triangular is not None:
            lo, c, hi = self.triangular
            if hi == lo:
                return lo
            f = (c - lo) / (hi - lo)
            if u < f:
                return lo + math.sqrt(u * (hi - lo) * (c - lo))
            return hi - math.sqrt((1 - u) * (hi - lo) * (hi - c))
        assert self.normal is not None
        from scipy.stats import norm

        m, s = self.normal
        return float(m + s * norm.ppf(min(max(u, 1e-12), 1 - 1e-12)))


def q(value: float, source: str | None = None) -> Quantity:
    """Shorthand for a fixed Quantity in code (defaults, tests)."""
    return Quantity(value=value, source=source)


DistKind = Literal[
    "fixed", "exponential", "uniform", "triangular", "lognormal", "gamma", "normal", "empirical"
]


class Dist(Strict):
    """A per-event random variable (durations, ages, payments).

    ``dist`` picks the family; each family needs its own parameters:
    fixed(value), exponential(mean), uniform(low, high), triangular(low, mode, high),
    lognormal(mean, sd), gamma(mean, sd), normal(mean, sd; truncated at ``min``),
    empirical(values, weights). ``min``/``max`` clip every draw.
    """

    dist: DistKind = Field(description="Distribution family.")
    value: Quantity | None = None
    mean: Quantity | None = None
    sd: Quantity | None = None
    low: Quantity | None = None
    mode: Quantity | None = None
    high: Quantity | None = None
    values: list[float] | None = None
    weights: list[float] | None = None
    min: float | None = Field(default=None, description="Clip draws below this.")
    max: float | None = Field(default=None, description="Clip draws above this.")
    source: Source = None

    # A class constant (ClassVar): as a plain attribute pydantic made it a private attribute
    # and deep-copied it into every Dist it built (about a tenth of validating a sweep point).
    _needs: ClassVar[dict[str, tuple[str, ...]]] = {
        "fixed": ("value",),
        "exponential": ("mean",),
        "uniform": ("low", "high"),
        "triangular": ("low", "mode", "high"),
        "lognormal": ("mean", "sd"),
        "gamma": ("mean", "sd"),
        "normal": ("mean", "sd"),
        "empirical": ("values",),
    }

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: Any) -> Any:
        if isinstance(data, (bool, str)) and (why := not_a_number(data)):
            raise ValueError(why)
        if isinstance(data, (int, float)):
            return {"dist": "fixed", "value": data}
        return data

    @model_validator(mode="after")
    def _check(self) -> Dist:
        needed = self._needs[self.dist]
        missing = [k for k in needed if getattr(self, k) is None]
        if missing:
            raise ValueError(f"dist '{self.dist}' needs {', '.join(needed)}; missing {', '.join(missing)}")
        allowed = set(needed) | {"dist", "min", "max", "source"}
        if self.dist == "empirical":
            allowed.add("weights")
        extra = [
            k for k in ("value", "mean", "sd", "low", "mode", "high", "values", "weights")
            if getattr(self, k) is not None and k not in allowed
        ]
        if extra:
            raise ValueError(f"dist '{self.dist}' does not take {', '.join(extra)}; it needs {', '.join(needed)}")
        if self.dist == "empirical":
            assert self.values is not None
            if not self.values:
                raise ValueError("empirical needs at least one value")
            if self.weights is not None and (
                len(self.weights) != len(self.values) or min(self.weights) < 0 or sum(self.weights) <= 0
            ):
                raise ValueError("weights must be non-negative, as many as values, not all zero")
        for k in ("mean", "sd", "low", "high"):
            qv = getattr(self, k)
            if qv is not None and self.dist in ("exponential", "lognormal", "gamma") and qv.bounds()[0] <= 0:
                raise ValueError(f"{k} must be > 0 for dist '{self.dist}'")
        if self.low is not None and self.high is not None and self.low.bounds()[1] > self.high.bounds()[0]:
            raise ValueError("low must be <= high")
        if self.mode is not None and self.low is not None and self.high is not None and not (
                self.low.bounds()[1] <= self.mode.bounds()[0] and self.mode.bounds()[1] <= self.high.bounds()[0]):
            raise ValueError("triangular needs low <= mode <= high (for every value each can take)")
        if self.sd is not None and self.sd.bounds()[0] < 0:
            raise ValueError("sd must be >= 0")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must be <= max")
        return self

    def quantities(self) -> dict[str, Quantity]:
        return {
            k: getattr(self, k)
            for k in ("value", "mean", "sd", "low", "mode", "high")
            if getattr(self, k) is not None
        }
