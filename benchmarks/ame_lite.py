"""AME-lite as plain, idiomatic SimPy: the baseline amesim is measured against.

AME-lite is a small open network that every implementation in ``benchmarks/`` runs:

    Poisson arrivals (1/day)
      -> assessment: 3 staff, exponential 2 days
      -> 60 %: work arena, 45 places, exponential 60 days
         40 %: external placement, 45 places, exponential 90 days
      -> exit

``scale`` multiplies arrivals, staff and places (x20 keeps the same utilisations:
assessment 67 %, arena and placement 80 %). Time runs on amesim's axis: a warm-up from
``-warmup_days`` to 0, then the horizon. The estimate is the mean time in system of
people arriving in ``[0, horizon - drain_days)``; the drain (2 years, ~8 mean
placement stays) lets practically all of them leave before the run ends.

This file is deliberately what a SimPy user would write: ``simpy.Resource``, one
process per person, ``random.Random`` draws, a list of (arrival, exit) times.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import simpy

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class AmeLite:
    """Parameters shared by the amesim, SimPy and Ciw versions of AME-lite."""

    scale: int = 1
    horizon_years: float = 10.0
    warmup_days: float = 365.0
    drain_days: float = 730.0
    arrivals_per_day: float = 1.0
    assessment_staff: int = 3
    assessment_mean_days: float = 2.0
    arena_share: float = 0.6
    arena_places: int = 45
    arena_mean_days: float = 60.0
    placement_places: int = 45
    placement_mean_days: float = 90.0

    @property
    def rate(self) -> float:
        """Arrivals per day at this scale."""
        return self.arrivals_per_day * self.scale

    @property
    def end(self) -> float:
        """Last simulated day (amesim rounds the horizon to whole days)."""
        return float(round(self.horizon_years * DAYS_PER_YEAR))

    @property
    def window(self) -> tuple[float, float]:
        """Arrival days whose time in system is averaged."""
        return (0.0, self.end - self.drain_days)

    def theoretical_mean(self) -> float:
        """Exact steady-state mean time in system (Erlang C at each M/M/c node;
        departures of an M/M/c queue are Poisson, so the nodes are independent)."""
        lam = self.rate
        shares = (1.0, self.arena_share, 1.0 - self.arena_share)
        means = (self.assessment_mean_days, self.arena_mean_days, self.placement_mean_days)
        servers = (self.assessment_staff, self.arena_places, self.placement_places)
        total = 0.0
        for share, mean, c in zip(shares, means, servers, strict=True):
            wq = erlang_c_wait(lam * share, mean, c * self.scale)
            total += share * (wq + mean)
        return total


def erlang_c_wait(lam: float, mean_service: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (arrival rate ``lam``, c servers)."""
    a = lam * mean_service
    rho = a / c
    if rho >= 1:
        return math.inf
    # Erlang C via the numerically stable Erlang B recursion.
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    p_wait = b / (1 - rho + rho * b)
    return p_wait * mean_service / (c - a)


def window_mean(arrivals: Sequence[float], exits: Sequence[float], cfg: AmeLite) -> tuple[float, int]:
    """Mean time in system of those who arrived in the window and have left; and their number."""
    lo, hi = cfg.window
    n, total = 0, 0.0
    for a, e in zip(arrivals, exits, strict=True):
        if lo <= a < hi and not math.isnan(e):
            total += e - a
            n += 1
    return (total / n if n else math.nan), n


@dataclass
class LiteResult:
    """One run of one implementation."""

    mean_days: float
    n: int
    wall_seconds: float
    participants: int


def run_simpy(cfg: AmeLite, seed: int) -> LiteResult:
    """Run AME-lite once in plain SimPy; wall time covers building, running and the estimate."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    env = simpy.Environment(initial_time=-cfg.warmup_days)
    staff = simpy.Resource(env, capacity=cfg.assessment_staff * cfg.scale)
    arena = simpy.Resource(env, capacity=cfg.arena_places * cfg.scale)
    placement = simpy.Resource(env, capacity=cfg.placement_places * cfg.scale)
    arrived: list[float] = []
    left: list[float] = []

    def person(i: int):
        with staff.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0 / cfg.assessment_mean_days))
        if rng.random() < cfg.arena_share:
            measure, mean = arena, cfg.arena_mean_days
        else:
            measure, mean = placement, cfg.placement_mean_days
        with measure.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1.0 / mean))
        left[i] = env.now

    def arrivals():
        while True:
            yield env.timeout(rng.expovariate(cfg.rate))
            arrived.append(env.now)
            left.append(math.nan)
            env.process(person(len(arrived) - 1))

    env.process(arrivals())
    env.run(until=cfg.end)
    mean, n = window_mean(arrived, left, cfg)
    return LiteResult(mean, n, time.perf_counter() - t0, len(arrived))


if __name__ == "__main__":
    c = AmeLite()
    r = run_simpy(c, 1)
    print(f"plain SimPy: mean {r.mean_days:.2f} days (theory {c.theoretical_mean():.2f}), "
          f"n={r.n}, {r.participants} people, {r.wall_seconds:.3f} s")
