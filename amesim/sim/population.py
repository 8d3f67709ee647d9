"""The households on försörjningsstöd: the counterfactual population the AME works on.

Households are generated up front as arrays (no SimPy events): each support spell has a
start, a counterfactual end (the baseline exit hazard, what would happen with no AME at
all), a monthly amount and whether unemployment is the reason (referable). The AME can
end a spell earlier (its measures speed up the household's own clock, see
docs/model.md), reduce payment (a paid subsidised job) or stop it (sanction); households
that leave after an AME-caused exit can come back (a new spell), and households that end
an assignment still on support can be referred again.
"""

from __future__ import annotations

import heapq

import numpy as np

from ..scenario.calendar import DAYS_PER_MONTH, Calendar
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
    #: ``participant`` values besides a participant id: free, reserved for a referral in
    #: progress, and done (no more assignments).
    FREE, RESERVED, DONE = -1, -2, -3
    _ARRAYS = ("household", "start", "cf_end", "end", "amount", "eligible", "segment",
               "participant", "linked", "origin", "referable_from", "assignments", "muni")

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
        #: The last participant linked to the spell (-1: none), for the tables; ``participant``
        #: is the state (free, reserved, in an assignment, done).
        self.linked = np.full(cap, -1, np.int64)
        self.origin = np.zeros(cap, np.int8)
        #: Day from which the household may be referred (again): its start, or the end of its
        #: last assignment plus the re-referral interval.
        self.referable_from = np.zeros(cap)
        #: Assignments the household has had (re-referral stops at the scenario's maximum).
        self.assignments = np.zeros(cap, np.int32)
        #: Municipality of the household: 0 the host (the scenario's population), k the k-th
        #: partner sharing the unit (001 §5.3).
        self.muni = np.zeros(cap, np.int8)
        #: The populations by municipality index, and the stream-name suffix of each (the
        #: host's streams keep their names, so a scenario without partners is unchanged).
        self.configs = [r.population, *(pt.population for pt in getattr(r, "partners", []))]
        self.suffixes = ["", *(f":{pt.id}" for pt in getattr(r, "partners", []))]
        self.reductions: list[tuple[int, float, float, float]] = []  # (row, start, end, factor)
        self._next_household = 0
        # Households a channel can pick now, per segment (a participant is linked to a
        # household of their own segment), kept up to date lazily from the days rows become
        # pickable and their ends, so a pick does not scan every spell ever.
        k = max(len(self.segments), 1)
        self._pickable = [RowSet(cap) for _ in range(k)]
        self._starts: list[tuple[float, int]] = []  # (day pickable, row), not yet picked up
        self._ends: list[tuple[float, int]] = []  # (end, row) of rows in a pickable set
        self._generate()

    # ------------------------------------------------------------------ storage

    def _grow(self, need: int) -> None:
        cap = len(self.start)
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in self._ARRAYS:
            arr = getattr(self, name)
            fill = -1 if name in ("participant", "linked") else 0
            grown = np.full(new, fill, arr.dtype)
            grown[:cap] = arr
            setattr(self, name, grown)

    def add(self, start: np.ndarray, seg: np.ndarray, origin: int, eligible: np.ndarray,
            household: np.ndarray | None = None, amount: np.ndarray | None = None,
            dur: np.ndarray | None = None, muni: int = 0) -> np.ndarray:
        """Append spells; durations (unless given) and amounts drawn here. Returns the new
        row indices."""
        k = len(start)
        rows = np.arange(self.n, self.n + k)
        self._grow(self.n + k)
        g = self.streams["population" + self.suffixes[muni]].gen
        if dur is None:
            dur = g.standard_exponential(k) / self._hazard_per_day(seg)
        if household is None:
            household = np.arange(self._next_household, self._next_household + k)
            self._next_household += k
        if amount is None:
            pay = self.configs[muni].payment_sek_per_month
            s = self.streams["population.payment" + self.suffixes[muni]]
            amount = np.array([max(pay(s), 0.0) for _ in range(k)])
        self.household[rows] = household
        self.start[rows] = start
        self.cf_end[rows] = start + dur
        self.end[rows] = start + dur
        self.amount[rows] = amount
        self.eligible[rows] = eligible
        self.segment[rows] = seg
        self.origin[rows] = origin
        self.muni[rows] = muni
        self.referable_from[rows] = start
        self.n += k
        if self.n > self._pickable[0].size:
            for rs in self._pickable:
                rs.grow(len(self.start))
        new = rows[np.asarray(eligible, bool)]
        if len(new) == 1:
            heapq.heappush(self._starts, (float(self.start[new[0]]), int(new[0])))
        elif len(new):
            self._starts += zip(self.start[new].tolist(), new.tolist(), strict=True)
            heapq.heapify(self._starts)
        return rows

    def _hazard_per_day(self, seg: np.ndarray) -> np.ndarray:
        """Baseline exit hazard per day of each segment index in ``seg`` (tiny, not 0, so a
        zero hazard gives a practically endless spell)."""
        h = np.array([self.segments[s].baseline_exit_per_month for s in seg], float) / DAYS_PER_MONTH
        return np.maximum(h, 1e-12)

    # ------------------------------------------------------------------ generation

    def _draw_segments(self, k: int, weights: np.ndarray, g: np.random.Generator) -> np.ndarray:
        p = weights / weights.sum()
        return g.choice(len(p), size=k, p=p)

    def _generate(self) -> None:
        for k in range(len(self.configs)):
            self._generate_one(k)

    def _generate_one(self, k: int) -> None:
        """The initial stock and inflow of municipality ``k`` (0: the host)."""
        pop, cal = self.configs[k], self.cal
        g = self.streams["population" + self.suffixes[k]].gen
        mix = np.zeros(len(self.segments))
        for sid, w in pop.segments.items():
            mix[self.seg_index[sid]] = w
        share = min(max(pop.work_related_share, 0.0), 1.0)
        # Initial stock: the households on support at t0, in the stationary composition (long
        # spells over-represented: length bias). With constant hazards the time already on
        # support and the time left are independent exponentials, so each spell began an
        # elapsed time before t0 and lasts that plus a fresh residual: every one is alive at t0.
        n0 = int(round(max(pop.initial_households, 0)))
        if n0:
            mean_dur = np.array([1 / max(s.baseline_exit_per_month, 1e-9) for s in self.segments])
            seg = self._draw_segments(n0, mix * mean_dur, g)
            hazard = self._hazard_per_day(seg)
            elapsed = g.standard_exponential(n0) / hazard
            eligible = g.random(n0) < share
            residual = g.standard_exponential(n0) / hazard
            self.add(cal.t0 - elapsed, seg, 0, eligible, dur=elapsed + residual, muni=k)
        arrivals = poisson_times(pop.inflow_per_month, cal.t0, cal.end, g)
        if len(arrivals):
            seg = self._draw_segments(len(arrivals), mix, g)
            self.add(arrivals, seg, 1, g.random(len(arrivals)) < share, muni=k)

    # ------------------------------------------------------------------ queries used by the AME

    def referable(self, t: float, min_days: float, muni: int | None = None) -> np.ndarray:
        """Rows the social office (of municipality ``muni``; None: every household) may refer
        on day ``t``: work-related, free, on support, at least ``min_days`` on support, and
        past any re-referral interval."""
        n = self.n
        ok = (self.eligible[:n] & (self.participant[:n] == self.FREE) & (self.start[:n] <= t)
              & (self.end[:n] > t) & (t - self.start[:n] >= min_days)
              & (self.referable_from[:n] <= t))
        if muni is not None:
            ok &= self.muni[:n] == muni
        return np.flatnonzero(ok)

    def pick_for_channel(self, t: float, stream: Stream, seg: int) -> int:
        """A random household of segment ``seg`` that is on support, work-related and free on
        day ``t`` (someone AF or FK refers who also gets support), or -1 if there is none.
        Only the host's households: the channels are the host's, a partner municipality
        (001 §5.3) reaches the unit through its social office.

        Picks the same household as the ``u``-th of those rows in row order would, but in
        O(log n): ``t`` never decreases between calls, so the candidates are updated from
        the rows that became pickable or ended since the last call.
        """
        pickable, starts, ends = self._pickable, self._starts, self._ends
        while starts and starts[0][0] <= t:
            _, row = heapq.heappop(starts)
            if (self.participant[row] == self.FREE and self.end[row] > t
                    and self.referable_from[row] <= t and self.muni[row] == 0):
                pickable[self.segment[row]].add(row)
                heapq.heappush(ends, (float(self.end[row]), row))
        while ends and ends[0][0] <= t:
            _, row = heapq.heappop(ends)
            if self.end[row] <= t:
                pickable[self.segment[row]].remove(row)
        rs = pickable[seg]
        if rs.count == 0:
            return -1
        return rs.kth(int(stream.random() * rs.count))

    def take(self, row: int, participant: int) -> None:
        """Mark a household as an AME participant (or reserved for one): no longer referable."""
        self.participant[row] = participant
        if participant >= 0:
            self.linked[row] = participant
        self._pickable[self.segment[row]].remove(row)

    def release(self, row: int, t: float, after_days: float, max_assignments: int) -> None:
        """An assignment of the household ended on day ``t`` while it is still on support: it
        may be referred again from ``t + after_days``, unless it has had ``max_assignments``."""
        self.assignments[row] += 1
        if self.assignments[row] >= max_assignments or not np.isfinite(after_days):
            self.participant[row] = self.DONE
            return
        self.participant[row] = self.FREE
        self.referable_from[row] = t + after_days
        if self.eligible[row]:
            heapq.heappush(self._starts, (float(t + after_days), row))

    def finish(self, row: int) -> None:
        """The household's (last) assignment ended: it is not referred again."""
        self.assignments[row] += 1
        self.participant[row] = self.DONE

    def set_end(self, row: int, t: float) -> None:
        """The household's projected exit moved (its participant's clock changed speed):
        earlier under an effect, later under lock-in. Only for a row in an assignment."""
        self.end[row] = max(t, self.start[row])

    def stop(self, row: int, t: float) -> None:
        """End the spell on day ``t`` if it would end later (an AME-caused exit, a sanction,
        or a household whose own exit the AME brought forward)."""
        if t < self.end[row]:
            self.end[row] = t
            if self._pickable[self.segment[row]].member[row]:
                heapq.heappush(self._ends, (float(t), row))

    def reduce(self, row: int, t0: float, t1: float, factor: float) -> None:
        t1 = min(t1, self.end[row])
        if t1 > t0 and factor != 1.0:
            self.reductions.append((row, t0, t1, factor))
