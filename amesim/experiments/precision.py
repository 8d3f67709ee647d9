"""Sequential replication: add replications until the chosen KPIs are precise enough.

The replication/CI method (e.g. Law, *Simulation Modeling and Analysis*, §9.4.1; Robinson,
*Simulation*, ch. 9) for several KPIs at once: after at least ``min_replications``, stop at
the first N where, for every chosen KPI, the 95 % CI half-width over N replications is at
most ``target`` × |mean|; stop at ``max_replications`` otherwise and say so.

Determinism: replications are always 0..N-1, whatever runs them. Parallel engines compute
a batch of replications at a time, but the rule is checked on *every* prefix 0..n-1 in
order, and replications computed beyond the first prefix that meets the target are dropped.
So the chosen N, and hence every table, is the same with ``--jobs 1``, ``--jobs 8`` or dask.

For comparisons the rule applies to the paired differences ALT − BASE: by default the
half-width of the mean difference relative to the base mean (``relative_to='base'``;
converges even when the true difference is zero), or relative to the mean difference
itself (``'difference'``; the classic rule, which never stops when there is no effect).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..economics.catalogue import headline
from ..replication import ReplicationResult
from ..results.store import ResultStore

# The two numbers planners ask for first: the cost of försörjningsstöd and the share of
# exits to work or studies.
DEFAULT_KPIS: tuple[str, ...] = headline("precision")


@dataclass(frozen=True)
class PrecisionRule:
    """Stop when every chosen KPI's relative CI half-width is at most ``target``."""

    target: float
    kpis: tuple[str, ...] = DEFAULT_KPIS
    period: str = "total"
    min_replications: int = 10
    max_replications: int = 1000
    relative_to: str = "base"  # comparisons only: 'base' or 'difference'

    def __post_init__(self) -> None:
        if not self.target > 0:
            raise ValueError("--precision must be a positive number, e.g. 0.05 for ±5 %")
        if self.min_replications < 2:
            raise ValueError("precision needs at least 2 replications to start with")
        if self.max_replications < self.min_replications:
            raise ValueError("--max-replications must be at least the starting number of replications")
        if self.relative_to not in ("base", "difference"):
            raise ValueError("relative_to must be 'base' or 'difference'")
        if not self.kpis:
            raise ValueError("choose at least one KPI for --precision")


@dataclass
class PrecisionResult:
    replications: int
    reached: bool
    target: float
    half_widths: dict[str, float] = field(default_factory=dict)  # relative, at the chosen N

    @property
    def worst(self) -> float:
        return max(self.half_widths.values(), default=math.inf)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["half_widths"] = {k: (None if not math.isfinite(v) else round(v, 6)) for k, v in d["half_widths"].items()}
        return d


def relative_half_width(values: np.ndarray, denominator: float | None = None) -> float:
    """CI half-width / |denominator| (default the mean); inf when undefined, 0 when exact."""
    from ..results.summary import t_interval  # scipy: imported only when needed

    mean, lo, hi = t_interval(values)
    if math.isnan(lo):
        return math.inf
    half = (hi - lo) / 2
    if half == 0:
        return 0.0
    den = abs(mean if denominator is None else denominator)
    return half / den if den > 0 and math.isfinite(den) else math.inf


class KpiCollector:
    """The chosen KPI values per replication (a few floats each), for the stopping rule."""

    def __init__(self, kpis: Iterable[str], period: str = "total"):
        self.kpis = tuple(kpis)
        self.period = period
        self.values: dict[int, dict[str, float]] = {}

    def add_table(self, rep: int, kpis: pd.DataFrame) -> None:
        k = kpis[(kpis["period"].astype(str) == self.period) & kpis["kpi"].isin(self.kpis)]
        found = dict(zip(k["kpi"], k["value"].astype(float), strict=True))
        unknown = [x for x in self.kpis if x not in found]
        if unknown:
            raise ValueError(f"unknown KPI(s) for --precision: {', '.join(unknown)} "
                             f"(see summary.csv or docs/kpis.md for the ids)")
        self.values[rep] = {x: found.get(x, math.nan) for x in self.kpis}

    def add(self, res: ReplicationResult) -> None:
        self.add_table(res.replication, res.kpis)

    def load(self, store: ResultStore, reps: Iterable[int]) -> None:
        """Values of replications already on disk (a resumed run)."""
        for rep in reps:
            if rep not in self.values:
                self.add_table(rep, store.read(rep, "kpis"))

    def array(self, kpi: str, n: int) -> np.ndarray:
        return np.array([self.values[r][kpi] for r in range(n)], float)


def run_criterion(collector: KpiCollector) -> Callable[[int], dict[str, float]]:
    """Relative half-width of each KPI's mean over replications 0..n-1."""
    def crit(n: int) -> dict[str, float]:
        return {k: relative_half_width(collector.array(k, n)) for k in collector.kpis}
    return crit


def compare_criterion(base: KpiCollector, alternatives: dict[str, KpiCollector],
                      relative_to: str = "base") -> Callable[[int], dict[str, float]]:
    """Relative half-width of each paired mean difference ALT − BASE over 0..n-1."""
    def crit(n: int) -> dict[str, float]:
        out = {}
        for alt, col in alternatives.items():
            for k in base.kpis:
                b = base.array(k, n)
                d = col.array(k, n) - b
                den = None
                if relative_to == "base":  # NaN (-> not met) when the base has no value
                    den = float(np.mean(b[~np.isnan(b)])) if (~np.isnan(b)).any() else math.nan
                out[f"{alt}:{k}"] = relative_half_width(d, den)
        return out
    return crit


def run_until_precise(rule: PrecisionRule, run_batch: Callable[[list[int]], None],
                      criterion: Callable[[int], dict[str, float]], batch_size: int = 1,
                      on_extend: Callable[[int], None] | None = None) -> PrecisionResult:
    """Run batches of replications until ``criterion(n)`` is within target for some n.

    ``run_batch(reps)`` must make replications ``reps`` available to ``criterion``.
    Every prefix n ≥ min_replications is checked in order, so the answer does not depend
    on ``batch_size``. ``on_extend(total)`` tells a progress bar the new planned total.
    """
    batch_size = max(1, batch_size)
    have, checked = 0, rule.min_replications - 1
    planned = rule.min_replications
    while True:
        if on_extend is not None:
            on_extend(planned)
        run_batch(list(range(have, planned)))
        have = planned
        for n in range(checked + 1, have + 1):
            hw = criterion(n)
            if max(hw.values(), default=math.inf) <= rule.target:
                return PrecisionResult(n, True, rule.target, hw)
        checked = have
        if have >= rule.max_replications:
            return PrecisionResult(have, False, rule.target, criterion(have))
        planned = min(have + batch_size, rule.max_replications)
