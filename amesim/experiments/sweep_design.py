"""What a sweep varies and the design points it runs.

A :class:`Factor` is one swept parameter: a PATH and a distribution written like any
scenario Quantity (``range`` = uniform, ``triangular``, ``normal``) with its source. Designs
are drawn by SALib in the unit hypercube and mapped to values through each factor's own
inverse CDF (:meth:`Quantity.draw`), so a triangular or normal factor is sampled as the
distribution the scenario states; a normal is swept over its central 95 % (mean ± 1.96 sd)
so that no design point lies at an absurd extreme. Integer fields are rounded.

Methods: ``oat`` (one at a time around the base: tornado), ``grid`` (full factorial),
``lhs`` (Latin hypercube), ``sobol`` (Saltelli/Sobol' sequence), ``morris`` (trajectories).
The three sampling designs come from SALib; ``oat`` and ``grid`` are plain enumerations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
from typing import Any, Literal

import numpy as np

from ..scenario.values import Quantity

Method = Literal["oat", "grid", "lhs", "sobol", "morris"]
METHODS: tuple[str, ...] = ("oat", "grid", "lhs", "sobol", "morris")
#: Default ``--samples`` per method: grid levels per factor, LHS points per factor,
#: Sobol base sample N (a power of 2), Morris trajectories r.
DEFAULT_SAMPLES = {"grid": 5, "lhs": 10, "sobol": 64, "morris": 10}
MORRIS_LEVELS = 4
NORMAL_TAIL = 0.025
#: A grid larger than this is refused (levels ** factors explodes).
MAX_GRID_POINTS = 100_000


class DesignError(ValueError):
    """A sweep that cannot be designed (no factor, bad sample size...)."""


@dataclasses.dataclass(frozen=True)
class Factor:
    """One swept parameter: ``value(u)`` maps a design coordinate in [0, 1] to a value."""

    path: str
    dist: Quantity
    base: float
    integer: bool = False

    @property
    def source(self) -> str | None:
        return self.dist.source

    def value(self, u: float) -> float:
        if self.dist.normal is not None:
            u = NORMAL_TAIL + (1 - 2 * NORMAL_TAIL) * u
        v = float(self.dist.draw(min(max(float(u), 0.0), 1.0)))
        return float(round(v)) if self.integer else v

    @property
    def low(self) -> float:
        return self.value(0.0)

    @property
    def high(self) -> float:
        return self.value(1.0)

    def describe(self) -> dict[str, Any]:
        d = self.dist.model_dump(exclude_none=True)
        return {"path": self.path, **d, "base": self.base, "integer": self.integer}


@dataclasses.dataclass
class Design:
    """Design points: ``values`` (n x k) in parameter units, ``u`` (n x k) in [0, 1]
    (NaN where a point sits at the factor's base, as OAT's centre)."""

    method: str
    factors: list[Factor]
    values: np.ndarray
    u: np.ndarray
    samples: int | None = None
    levels: int | None = None

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.factors]

    def point(self, i: int) -> dict[str, float]:
        return {f.path: float(self.values[i, j]) for j, f in enumerate(self.factors)}

    def problem(self) -> dict[str, Any]:
        """SALib's problem in the unit hypercube (the designs' own coordinates)."""
        return {"num_vars": len(self.factors), "names": self.paths,
                "bounds": [[0.0, 1.0]] * len(self.factors)}

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps([f.describe() for f in self.factors], sort_keys=True).encode())
        h.update(np.ascontiguousarray(self.values, dtype=float).tobytes())
        return h.hexdigest()


def _problem(k: int) -> dict[str, Any]:
    return {"num_vars": k, "names": [f"u{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}


def unit_design(method: str, k: int, samples: int | None, seed: int,
                levels: int = MORRIS_LEVELS) -> np.ndarray:
    """The design in the unit hypercube (n x k); SALib for lhs, sobol and morris."""
    if k < 1:
        raise DesignError("nothing to vary: give --vary PATH=LOW:HIGH or --vary-all-uncertain")
    n = samples if samples is not None else DEFAULT_SAMPLES.get(method)
    if method == "grid":
        assert n is not None
        if n < 2:
            raise DesignError("grid needs --samples of at least 2 levels per parameter")
        if n ** k > MAX_GRID_POINTS:
            raise DesignError(f"a grid of {n} levels over {k} parameters has {n ** k:,} points; "
                              "use lhs, sobol or morris, or fewer levels")
        axis = np.linspace(0.0, 1.0, n)
        return np.array(list(itertools.product(axis, repeat=k)), float)
    if method == "lhs":
        from SALib.sample import latin

        assert n is not None
        if n < 2:
            raise DesignError("lhs needs --samples of at least 2 points")
        return latin.sample(_problem(k), n * (1 if samples is not None else k), seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        assert n is not None
        if n < 2 or n & (n - 1):
            raise DesignError(f"sobol needs --samples N a power of 2 (e.g. 64, 256); got {n}")
        return sobol.sample(_problem(k), n, calc_second_order=False, scramble=True, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        assert n is not None
        if n < 2:
            raise DesignError("morris needs --samples of at least 2 trajectories")
        if k < 2:
            raise DesignError("morris needs at least two parameters; use oat or grid for one")
        return morris.sample(_problem(k), n, num_levels=levels, seed=seed)
    raise DesignError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def make_design(method: str, factors: list[Factor], samples: int | None = None, seed: int = 0,
                levels: int = MORRIS_LEVELS) -> Design:
    """Design points for ``factors`` (values and unit coordinates)."""
    k = len(factors)
    if method == "oat":
        if k < 1:
            raise DesignError("nothing to vary: give --vary PATH=LOW:HIGH or --vary-all-uncertain")
        u = np.full((1 + 2 * k, k), np.nan)
        for j in range(k):
            u[1 + 2 * j, j], u[2 + 2 * j, j] = 0.0, 1.0
    else:
        u = unit_design(method, k, samples, seed, levels)
    values = np.empty_like(u, dtype=float)
    for j, f in enumerate(factors):
        col = u[:, j]
        values[:, j] = [f.base if math.isnan(x) else f.value(x) for x in col.tolist()]
    used = samples if samples is not None else DEFAULT_SAMPLES.get(method)
    return Design(method, factors, values, u, used, levels if method == "morris" else None)


def explicit_design(method: str, factors: list[Factor], values: np.ndarray) -> Design:
    """A design given as values (goal-seek's grids); unit coordinates from the ranges."""
    values = np.asarray(values, float).reshape(len(values), len(factors))
    u = np.full_like(values, np.nan)
    for j, f in enumerate(factors):
        lo, hi = f.low, f.high
        if hi > lo:
            u[:, j] = (values[:, j] - lo) / (hi - lo)
    return Design(method, factors, values, u)
