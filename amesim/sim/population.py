"""The households on försörjningsstöd: the counterfactual population the AME works on.

Households are generated up front as arrays (no SimPy events): each support spell has a
start, a counterfactual end (the baseline exit hazard, what would happen with no AME at
all), a monthly amount and whether unemployment is the reason (referable). The AME can
end a spell earlier (exit to work), reduce payment (a paid subsidised job) or stop it
(sanction); households that leave can come back (a new spell).
"""

from __future__ import annotations

import heapq

import numpy as np

from .calendar import DAYS_PER_MONTH, Calendar
from .resolve import Resolved, ScheduleFn
from .rng import Stream, Streams


def poisson_times(rate: ScheduleFn, t0: float, t1: float, gen: np.random.Generator) -> np.ndarray:
    """Non-homogeneous Poisson arrival days on [t0, t1) for a per-month rate, by thinning."""
    if t1 <= t0:
        return np.empty(0)
    grid = np.arange(t0, t1 + 1.0, 1.0)
    lam_max = float(np.max(rate.on_grid(grid))) / DAYS_PER_MONTH
    if lam_max <= 0:
        return np.empty(0)
    n = gen.poisson(lam_max * (t1 - t0))
    t = np.sort(gen.uniform(t0, t1, n))
    keep = gen.random(n) * lam_max < rate.on_grid(t) / DAYS_PER_MONTH
    return t[keep]


class RowSet:
    """A set of row numbers with O(log n) add, remove and k-th smallest (a Fenwick tree)."""

    def __init__(self, size: int):
        self.size = size
        self.tree = [0] * (size + 1)
        self.member = [False] * size
        self.count = 0

    def grow(self, size: int) -> None:
        """Make room for rows up to ``size`` (rebuilds the tree in O(size))."""
        members = [i for i, m in enumerate(self.member) if m]
        self.__init__(size)
        for i in members:
            self.add(i)

    def _update(self, row: int, delta: int) -> None:
        i, tree, n = row + 1, self.tree, self.size
        while i <= n:
            tree[i] += delta
            i += i & -i

    def add(self, row: int) -> None:
        if not self.member[row]:
            self.member[row] = True
            self.count += 1
            self._update(row, 1)

    def remove(self, row: int) -> None:
        if self.member[row]:
            self.member[row] = False
            self.count -= 1
            self._update(row, -1)

    def kth(self, k: int) -> int:
        """The k-th smallest member (0-based); requires 0 <= k < count."""
        tree, pos, rest = self.tree, 0, k + 1
        step = 1 << (self.size.bit_length() - 1)
        while step:
            nxt = pos + step
            if nxt <= self.size and tree[nxt] < rest:
                pos = nxt
                rest -= tree[nxt]
            step >>= 1
        return pos


class Population:
    """Support spells (one row each) with growable arrays."""

    ORIGINS = ("initial", "inflow", "channel", "return")

    def __init__(self, r: Resolved, cal: Calendar, streams: Streams, seg_index: dict[str, int]):
        self.r, self.cal, self.streams = r, cal, streams
        self.seg_index = seg_index
        self.segments = r.segments
        self.n = 0
        cap = 1024
        self.household = np.zeros(cap, np.int64)
        self.start = np.zeros(cap)
        self.cf_end = np.zeros(cap)
        self.end = np.zeros(cap)
        self.amount = np.zeros(cap)
        self.eligible = np.zeros(cap, bool)
        self.segment = np.zeros(cap, np.int64)
        self.participant = np.full(cap, -1, np.int64)
        self.origin = np.zeros(cap, np.int8)
        self.reductions: list[tuple[int, float, float, float]] = []  # (row, start, end, factor)
        self._next_household = 0
        # Households a channel can pick now (referable at the time of the last pick), kept up
        # to date lazily from spell starts and ends, so a pick does not scan every spell ever.
        self._pickable = RowSet(cap)
        self._starts: list[tuple[float, int]] = []  # (start, row) of referable spells not yet picked up
        self._ends: list[tuple[float, int]] = []  # (end, row) of rows in _pickable
        self._generate()

    # ------------------------------------------------------------------ storage

    def _grow(self, need: int) -> None:
        cap = len(self.start)
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in ("household", "start", "cf_end", "end", "amount", "eligible", "segment", "participant", "origin"):
            arr = getattr(self, name)
            fill = -1 if name == "participant" else 0
            grown = np.full(new, fill, arr.dtype)
            grown[:cap] = arr
            setattr(self, name, grown)

    def add(self, start: np.ndarray, seg: np.ndarray, origin: int, eligible: np.ndarray,
            household: np.ndarray | None = None, amount: np.ndarray | None = None) -> np.ndarray:
        """Append spells; durations and amounts drawn here. Returns the new row indices."""
        k = len(start)
        rows = np.arange(self.n, self.n + k)
        self._grow(self.n + k)
        g = self.streams["population"].gen
        hazard = np.array([self.segments[s].baseline_exit_per_month for s in seg]) / DAYS_PER_MONTH
        dur = g.standard_exponential(k) / np.maximum(hazard, 1e-12)
        if household is None:
            household = np.arange(self._next_household, self._next_household + k)
            self._next_household += k
        if amount is None:
            pay = self.r.population.payment_sek_per_month
            s = self.streams["population.payment"]
            amount = np.array([max(pay(s), 0.0) for _ in range(k)])
        self.household[rows] = household
        self.start[rows] = start
        self.cf_end[rows] = start + dur
        self.end[rows] = start + dur
        self.amount[rows] = amount
        self.eligible[rows] = eligible
        self.segment[rows] = seg
        self.origin[rows] = origin
        self.n += k
        if self.n > self._pickable.size:
            self._pickable.grow(len(self.start))
        new = rows[np.asarray(eligible, bool)]
        if len(new) == 1:
            heapq.heappush(self._starts, (float(self.start[new[0]]), int(new[0])))
        elif len(new):
            self._starts += zip(self.start[new].tolist(), new.tolist(), strict=True)
            heapq.heapify(self._starts)
        return rows

    # ------------------------------------------------------------------ generation

    def _draw_segments(self, k: int, weights: np.ndarray, g: np.random.Generator) -> np.ndarray:
        p = weights / weights.sum()
        return g.choice(len(p), size=k, p=p)

    def _generate(self) -> None:
        pop, cal = self.r.population, self.cal
        g = self.streams["population"].gen
        mix = np.zeros(len(self.segments))
        for sid, w in pop.segments.items():
            mix[self.seg_index[sid]] = w
        share = min(max(pop.work_related_share, 0.0), 1.0)
        # Initial stock: stationary composition, long spells over-represented (length bias).
        n0 = int(round(max(pop.initial_households, 0)))
        if n0:
            mean_dur = np.array([1 / max(s.baseline_exit_per_month, 1e-9) for s in self.segments])
            seg = self._draw_segments(n0, mix * mean_dur, g)
            hazard = np.array([self.segments[s].baseline_exit_per_month for s in seg]) / DAYS_PER_MONTH
            elapsed = g.standard_exponential(n0) / np.maximum(hazard, 1e-12)
            self.add(cal.t0 - elapsed, seg, 0, g.random(n0) < share)
        arrivals = poisson_times(pop.inflow_per_month, cal.t0, cal.end, g)
        if len(arrivals):
            seg = self._draw_segments(len(arrivals), mix, g)
            self.add(arrivals, seg, 1, g.random(len(arrivals)) < share)

    # ------------------------------------------------------------------ queries used by the AME

    def referable(self, t: float, min_days: float) -> np.ndarray:
        n = self.n
        return np.flatnonzero(
            self.eligible[:n] & (self.participant[:n] == -1) & (self.start[:n] <= t)
            & (self.end[:n] > t) & (t - self.start[:n] >= min_days)
        )

    def pick_for_channel(self, t: float, stream: Stream) -> int:
        """A random active, referable household (someone AF/FK refers may also get support).

        Picks the same household as ``referable(t, 0.0)[int(u * len(...))]`` would, but in
        O(log n): ``t`` never decreases between calls, so the set of candidates is updated
        from the spells that started or ended since the last call.
        """
        pickable, starts, ends = self._pickable, self._starts, self._ends
        while starts and starts[0][0] <= t:
            _, row = heapq.heappop(starts)
            if self.participant[row] == -1 and self.end[row] > t:
                pickable.add(row)
                heapq.heappush(ends, (float(self.end[row]), row))
        while ends and ends[0][0] <= t:
            _, row = heapq.heappop(ends)
            if self.end[row] <= t:
                pickable.remove(row)
        if pickable.count == 0:
            return -1
        return pickable.kth(int(stream.random() * pickable.count))

    def take(self, row: int, participant: int) -> None:
        """Mark a household as an AME participant (or reserved for one, -2): no longer referable."""
        self.participant[row] = participant
        self._pickable.remove(row)

    def stop(self, row: int, t: float) -> None:
        if t < self.end[row]:
            self.end[row] = t
            if self._pickable.member[row]:
                heapq.heappush(self._ends, (float(t), row))

    def reduce(self, row: int, t0: float, t1: float, factor: float) -> None:
        t1 = min(t1, self.end[row])
        if t1 > t0 and factor != 1.0:
            self.reductions.append((row, t0, t1, factor))
