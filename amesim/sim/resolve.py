"""Turn a scenario's uncertain parameters into numbers for one replication.

Each :class:`Quantity` is drawn once, from a uniform number keyed by the parameter's
path (e.g. ``staff.handlaggare.fte``), so that the same parameter gets the same draw in
every scenario that has it. The result mirrors the scenario tree with plain floats and
ready-to-sample distributions; the simulation reads only this.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..scenario.calendar import Calendar
from ..scenario.model import Scenario, Schedule
from ..scenario.values import Dist, Quantity
from .rng import Stream, Streams


class Resolved(SimpleNamespace):
    """A scenario node with every Quantity replaced by a number."""


class Sampler:
    """A per-event distribution with its parameters fixed for this replication."""

    __slots__ = ("kind", "p", "lo", "hi", "_cum", "_vals", "_fixed", "_exp_mean")

    def __init__(self, d: Dist, params: dict[str, float]):
        self.kind = d.dist
        self.p = params
        self.lo = -math.inf if d.min is None else d.min
        self.hi = math.inf if d.max is None else d.max
        self._vals = list(d.values or [])
        if self.kind == "empirical":
            w = np.asarray(d.weights if d.weights is not None else [1.0] * len(self._vals), float)
            self._cum = list(np.cumsum(w))
        else:
            self._cum = []
        # Fast paths of the hot per-event draws, giving the same numbers as the general code
        # below: a fixed value (clipped once here) and an unbounded exponential.
        self._fixed = min(max(params["value"], self.lo), self.hi) if self.kind == "fixed" else None
        unbounded = self.lo == -math.inf and self.hi == math.inf
        self._exp_mean = params["mean"] if self.kind == "exponential" and unbounded else None

    def __call__(self, s: Stream) -> float:
        if self._fixed is not None:
            return self._fixed
        if self._exp_mean is not None:
            return s.exponential(self._exp_mean)
        p, k = self.p, self.kind
        if k == "fixed":
            v = p["value"]
        elif k == "exponential":
            v = s.exponential(p["mean"])
        elif k == "uniform":
            v = p["low"] + s.random() * (p["high"] - p["low"])
        elif k == "triangular":
            lo, c, hi = p["low"], p["mode"], p["high"]
            u = s.random()
            if hi <= lo:
                v = lo
            elif u < (c - lo) / (hi - lo):
                v = lo + math.sqrt(u * (hi - lo) * (c - lo))
            else:
                v = hi - math.sqrt((1 - u) * (hi - lo) * (hi - c))
        elif k == "lognormal":
            m, sd = p["mean"], p["sd"]
            sigma2 = math.log1p((sd / m) ** 2)
            v = float(s.gen.lognormal(math.log(m) - sigma2 / 2, math.sqrt(sigma2)))
        elif k == "gamma":
            m, sd = p["mean"], p["sd"]
            shape = (m / sd) ** 2
            v = float(s.gen.gamma(shape, m / shape))
        elif k == "normal":
            v = float(p["mean"] + p["sd"] * s.gen.standard_normal())
        else:  # empirical
            v = self._vals[s.choice(self._cum)]
        return min(max(v, self.lo), self.hi)

    @property
    def mean(self) -> float:
        """Mean ignoring clipping (for analytic checks and defaults)."""
        p, k = self.p, self.kind
        if k == "fixed":
            return p["value"]
        if k == "uniform":
            return (p["low"] + p["high"]) / 2
        if k == "triangular":
            return (p["low"] + p["mode"] + p["high"]) / 3
        if k == "empirical":
            w = np.diff([0.0, *self._cum])
            return float(np.dot(self._vals, w) / w.sum())
        return p["mean"]


class ScheduleFn:
    """A Schedule evaluated at simulation days (piecewise constant, with trend and months)."""

    def __init__(self, base: float, changes: list[tuple[float, float]], trend: float,
                 months: set[int] | None, cal: Calendar):
        self.base, self.changes, self.trend, self.months, self.cal = base, changes, trend, months, cal

    def __call__(self, day: float) -> float:
        v = self.base
        for d, val in self.changes:
            if day >= d:
                v = val
            else:
                break
        if self.trend:
            v *= (1 + self.trend) ** (day / 365.25)
        if self.months is not None and self.cal.date(day).month not in self.months:
            return 0.0
        return max(v, 0.0)

    def on_grid(self, days: np.ndarray) -> np.ndarray:
        """``[self(d) for d in days]`` as one array, computed with numpy (arrival generation
        asks for every day of the run and every candidate arrival)."""
        days = np.asarray(days, float)
        v = np.full(len(days), float(self.base))
        reached = np.ones(len(days), bool)  # as __call__: changes apply in order until one lies ahead
        for d, val in self.changes:
            reached &= days >= d
            v = np.where(reached, val, v)
        if self.trend:  # Python's pow, element by element: numpy's may differ in the last bit
            g = 1 + self.trend
            v = v * np.array([g ** (d / 365.25) for d in days.tolist()])
        if self.months is not None:
            start = np.datetime64(self.cal.start_date, "D")
            month = (start + np.floor(days).astype(np.int64)).astype("datetime64[M]").astype(np.int64) % 12 + 1
            v = np.where(np.isin(month, sorted(self.months)), v, 0.0)
        return np.maximum(v, 0.0)


class WindowedSchedule(ScheduleFn):
    """``rate`` on days in [lo, hi), 0 outside: a channel open from its start to its end."""

    def __init__(self, rate: ScheduleFn, lo: float, hi: float):
        super().__init__(rate.base, rate.changes, rate.trend, rate.months, rate.cal)
        self.rate, self.lo, self.hi = rate, lo, hi

    def __call__(self, day: float) -> float:
        return self.rate(day) if self.lo <= day < self.hi else 0.0

    def on_grid(self, days: np.ndarray) -> np.ndarray:
        days = np.asarray(days, float)
        return np.where((self.lo <= days) & (days < self.hi), self.rate.on_grid(days), 0.0)


def resolve(scenario: Scenario, streams: Streams, cal: Calendar, uncertainty: bool = True,
            drawn: dict[str, float] | None = None) -> Resolved:
    """Draw every parameter of ``scenario`` for one replication.

    ``drawn`` (if given) receives the value of every uncertain parameter by path, so a
    run can report which inputs it used and sensitivity analysis can regress on them.
    """
    return _Resolver(streams, cal, uncertainty, drawn).walk(scenario, "")


class _Resolver:
    """The walk behind :func:`resolve`. (A class, not a recursive closure: a closure that
    calls itself is a reference cycle, which kept the streams alive until a collection.)"""

    def __init__(self, streams: Streams, cal: Calendar, uncertainty: bool, drawn: dict[str, float] | None):
        self.streams, self.cal, self.uncertainty, self.drawn = streams, cal, uncertainty, drawn

    def qval(self, qv: Quantity, path: str) -> float:
        if not self.uncertainty or not qv.uncertain:
            return qv.point
        v = qv.draw(self.streams.uniform_for(path))
        if self.drawn is not None:
            self.drawn[path] = v
        return v

    def walk(self, obj: Any, path: str) -> Any:
        qval, walk = self.qval, self.walk
        if isinstance(obj, Quantity):
            return qval(obj, path)
        if isinstance(obj, Dist):
            params = {k: qval(v, f"{path}.{k}") for k, v in obj.quantities().items()}
            return Sampler(obj, params)
        if isinstance(obj, Schedule):
            base = qval(obj.base, f"{path}.base")
            changes = [(self.cal.day(c.date), qval(c.value, f"{path}.changes[{c.date}]")) for c in obj.changes]
            trend = qval(obj.trend_per_year, f"{path}.trend") if obj.trend_per_year else 0.0
            return ScheduleFn(base, changes, trend, set(obj.months) if obj.months else None, self.cal)
        if isinstance(obj, BaseModel):
            ident = getattr(obj, "id", None)
            out = Resolved()
            for name in type(obj).model_fields:
                setattr(out, name, walk(getattr(obj, name), f"{path}.{name}" if path else name))
            if ident is not None:
                out.id = ident
            return out
        if isinstance(obj, list):
            return [walk(x, f"{path}.{getattr(x, 'id', i)}") for i, x in enumerate(obj)]
        if isinstance(obj, dict):
            return {k: walk(v, f"{path}.{k}") for k, v in obj.items()}
        return obj
