"""Who can get where in a scenario's organisation, worked out from the YAML before anything runs.

A static over-approximation of the engine's routing (:mod:`amesim.sim.engine`: ``_unit_for``,
``_journey``, ``_next_individual``, ``_process_track``, ``_initial``). People are tracked as
*profiles*: (unit, channel, segment) with the interval of distances to the labour market
they can have. Profiles enter from channels with arrivals (and ``initial_participants``),
pass the units' routing rules, reassessment and process sequences, and after each measure
their distance interval widens by its ``distance_change``. Everything the engine can do is
included (first-match order, ``max_measures``, measures already done and dates are
ignored), so what this finds unreachable is unreachable in every replication; something
it finds reachable may still be rare.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from dataclasses import dataclass, field

from ..scenario.calendar import horizon_days
from ..scenario.checks import initial_channel, initial_mix
from ..scenario.model import Channel, Measure, Scenario, Schedule, Unit
from ..scenario.values import Dist

Interval = tuple[float, float]
Profile = tuple[str, str]  # (channel, segment)
Key = tuple[str, str, str]  # (unit, channel, segment)
#: A transition people can make: (from node, to node, kind), node ids as in the diagram.
Used = tuple[str, str, str]

FULL: Interval = (0.0, 10.0)
_MAX_GROWTH = 50  # widen an interval to 0-10 after this many steps (slowly creeping changes)


def dist_bounds(d: Dist) -> Interval:
    """Smallest and largest value a Dist can draw (unbounded families give +-inf), clipped."""
    lo, hi = -math.inf, math.inf
    if d.dist == "fixed" and d.value is not None:
        lo, hi = d.value.bounds()
    elif d.dist in ("uniform", "triangular") and d.low is not None and d.high is not None:
        lo, hi = d.low.bounds()[0], d.high.bounds()[1]
    elif d.dist in ("exponential", "lognormal", "gamma"):
        lo = 0.0
    elif d.dist == "empirical" and d.values:
        lo, hi = min(d.values), max(d.values)
    if d.min is not None:
        lo, hi = max(lo, d.min), max(hi, d.min)
    if d.max is not None:
        lo, hi = min(lo, d.max), min(hi, d.max)
    return lo, hi


def _clip(v: float) -> float:
    return min(max(v, 0.0), 10.0)


def _meet(a: Interval, b: Interval) -> Interval | None:
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


def _hull(a: Interval | None, b: Interval) -> Interval:
    return b if a is None else (min(a[0], b[0]), max(a[1], b[1]))


def schedule_max(s: Schedule) -> float:
    """The largest value a schedule can take (zero if it is restricted to no month)."""
    if s.months is not None and not s.months:
        return 0.0
    return max([s.base.bounds()[1], *(c.value.bounds()[1] for c in s.changes)])


def simulated_window(s: Scenario) -> tuple[dt.date, dt.date]:
    """First simulated day (warm-up included) and the day after the last."""
    start = s.time.start_date
    first = start - dt.timedelta(days=math.ceil(s.time.warmup_days))
    return first, start + dt.timedelta(days=horizon_days(start, s.time.horizon_years))


def has_arrivals(s: Scenario, c: Channel) -> bool:
    """Whether the channel can bring anyone within the simulated period."""
    first, end = simulated_window(s)
    if (c.start is not None and c.start >= end) or (c.end is not None and c.end <= first):
        return False
    if c.kind == "ekonomiskt_bistand":
        pop, ref = s.population, s.population.referral
        households = pop.initial_households.bounds()[1] > 0 or schedule_max(pop.inflow_per_month) > 0
        return (households and pop.work_related_share.bounds()[1] > 0
                and schedule_max(ref.rate_per_month) > 0 and schedule_max(ref.capacity_per_month) > 0)
    rate = c.rate_per_month is not None and schedule_max(c.rate_per_month) > 0
    batch = c.batch is not None and c.batch.size.bounds()[1] > 0
    return rate or batch


def channel_mix(s: Scenario, c: Channel) -> list[str]:
    """Segments a channel brings (the population's for ekonomiskt_bistand)."""
    mix = s.population.segments if c.kind == "ekonomiskt_bistand" else c.segments
    return [k for k, w in mix.items() if w > 0]


def unit_for(s: Scenario, c: Channel, segment: str) -> tuple[str, bool]:
    """The unit the engine sends a channel's segment to, and whether a unit really receives
    it (False: nobody's target does, and the engine falls back to some unit)."""
    if c.unit is not None:
        return c.unit, True
    fallback = None
    for u in s.units:
        t = u.target
        if t.channels is not None and c.id not in t.channels:
            continue
        if t.segments is None or segment in t.segments:
            return u.id, True
        fallback = fallback or u.id
    return (fallback or s.units[0].id), False


def may_be_closed(s: Scenario, m: Measure) -> bool:
    """Whether the measure's dates close it for part of the simulated period."""
    first, end = simulated_window(s)
    return (m.start is not None and m.start > first) or (m.end is not None and m.end < end)


def never_open(s: Scenario, m: Measure) -> bool:
    first, end = simulated_window(s)
    return (m.start is not None and m.start >= end) or (m.end is not None and m.end <= first)


def eligible_part(m: Measure, channel: str, segment: str, iv: Interval) -> Interval | None:
    """The distances of a profile the measure takes, or None if it takes none of them."""
    e = m.eligibility
    if e.segments is not None and segment not in e.segments:
        return None
    if e.channels is not None and channel not in e.channels:
        return None
    return _meet(iv, (e.distance_min, e.distance_max))


def surely_ends(m: Measure) -> bool:
    """Everyone's assignment ends when the measure is completed (on_completion sums to 1)."""
    return sum(q.bounds()[0] for q in m.on_completion.values()) >= 1 - 1e-9


@dataclass
class Reach:
    """The result: where profiles can be, which rules match, which transitions happen."""

    arrivals: dict[str, bool] = field(default_factory=dict)  # channel -> brings anyone
    channel_units: dict[str, dict[str, str]] = field(default_factory=dict)  # channel -> segment -> unit
    unreceived: dict[str, list[str]] = field(default_factory=dict)  # channel -> segments nobody targets
    decide: dict[str, dict[Profile, Interval]] = field(default_factory=dict)  # unit -> routed profiles
    entered: dict[str, dict[Key, Interval]] = field(default_factory=dict)  # measure -> profiles in it
    units_reached: set[str] = field(default_factory=set)
    tracks_run: set[str] = field(default_factory=set)  # process units whose track someone walks
    rule_matched: dict[tuple[str, int], set[Profile]] = field(default_factory=dict)
    rule_gives: dict[tuple[str, int], set[str]] = field(default_factory=dict)
    #: (unit, rule, measure) -> profiles the rule matched but the measure does not take
    rule_excluded: dict[tuple[str, int, str], set[Profile]] = field(default_factory=dict)
    #: channel -> (segment, only some excluded) sent to a first_measure that does not take them
    direct_ineligible: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    initial: dict[str, list[Profile]] = field(default_factory=dict)  # measure -> profiles at start
    used: set[Used] = field(default_factory=set)

    def reached(self, measure: str) -> bool:
        return bool(self.entered.get(measure))


def analyse(s: Scenario) -> Reach:
    """Every place people can get to in ``s`` (see the module docstring)."""
    return _Walk(s).run()


class _Walk:
    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.r = Reach()
        self.units: dict[str, Unit] = s.by_id("units")
        self.measures: dict[str, Measure] = s.by_id("measures")
        self.seg_dist = {g.id: tuple(map(_clip, dist_bounds(g.distance))) for g in s.segments}
        self.work: deque[tuple[str, str, tuple]] = deque()
        self.growth: dict[tuple, int] = {}
        self.by_cont: dict[tuple[str, Key, str], Interval] = {}  # (measure, key, 'ind'|'proc')
        self.first_of: dict[str, str | None] = {c.id: c.first_measure for c in s.channels}

    # ------------------------------------------------------------------ state

    def _grow(self, store: dict, key: tuple, iv: Interval, tag: tuple) -> bool:
        old = store.get(key)
        new = _hull(old, iv)
        if old == new:
            return False
        n = self.growth[tag] = self.growth.get(tag, 0) + 1
        store[key] = FULL if n > _MAX_GROWTH else new
        return True

    def enter(self, mid: str, key: Key, iv: Interval | None, cont: str, came_from: str, kind: str) -> None:
        """People of ``key`` with distances ``iv`` start measure ``mid``; afterwards they go on
        by the unit's routing (``cont`` 'ind') or along its process track ('proc')."""
        if iv is None:
            return
        self.r.used.add((came_from, f"measure:{mid}", kind))
        self.r.units_reached.add(key[0])
        self._grow(self.r.entered.setdefault(mid, {}), key, iv, ("all", mid, key))
        if self._grow(self.by_cont, (mid, key, cont), iv, ("m", mid, key, cont)):
            self.work.append(("measure", mid, (key, cont)))

    def to_unit(self, unit: str, c: str, seg: str, iv: Interval) -> None:
        """An individual decision in ``unit`` (reassessment and routing)."""
        self.r.units_reached.add(unit)
        if self._grow(self.r.decide.setdefault(unit, {}), (c, seg), iv, ("u", unit, c, seg)):
            self.work.append(("unit", unit, (c, seg)))

    # ------------------------------------------------------------------ steps

    def run(self) -> Reach:
        s, r = self.s, self.r
        for c in s.channels:
            r.arrivals[c.id] = has_arrivals(s, c)
            r.channel_units[c.id] = {}
            for seg in channel_mix(s, c):
                uid, received = unit_for(s, c, seg)
                r.channel_units[c.id][seg] = uid
                if not received:
                    r.unreceived.setdefault(c.id, []).append(seg)
                if r.arrivals[c.id]:
                    self.arrive(c, seg, uid)
        for item in s.initial_participants:
            cid = initial_channel(s, item)
            if cid is None:
                continue
            m = self.measures[item.measure]
            unit = self.units[m.unit]
            cont = "proc" if unit.process_model == "process" else "ind"
            for seg in initial_mix(s, item, cid):
                r.initial.setdefault(m.id, []).append((cid, seg))
                self.enter(m.id, (m.unit, cid, seg), self.seg_dist[seg], cont, "initial", "initial")
        while self.work:
            what, ident, key = self.work.popleft()
            if what == "unit":
                self.decide(ident, *key)
            else:
                self.after_measure(ident, *key)
        return r

    def arrive(self, c: Channel, seg: str, uid: str) -> None:
        iv = self.seg_dist[seg]
        key = (uid, c.id, seg)
        unit = self.units[uid]
        first = c.first_measure
        if first is not None:
            m = self.measures[first]
            part = eligible_part(m, c.id, seg, iv)
            if part != iv:  # the engine does not check it
                self.r.direct_ineligible.setdefault(c.id, []).append((seg, part is not None))
            self.enter(first, key, iv, "ind", f"channel:{c.id}", "direct")
            if not may_be_closed(self.s, m):
                return
        self.r.used.add((f"channel:{c.id}", f"unit:{uid}", "arrive"))
        if unit.process_model == "process":
            self.r.units_reached.add(uid)
            self.track(unit, None, c.id, seg, iv)
        else:
            self.to_unit(uid, c.id, seg, iv)

    def decide(self, uid: str, c: str, seg: str) -> None:
        """``_next_individual``: reassessment, then every rule that can match."""
        iv = self.r.decide[uid][(c, seg)]
        u = self.units[uid]
        key = (uid, c, seg)
        src = f"unit:{uid}"
        if u.reassessment is not None:
            m = self.measures[u.reassessment]
            self.enter(m.id, key, eligible_part(m, c, seg, iv), "ind", src, "reassess")
        for j, rule in enumerate(u.routing):
            w = rule.when
            if (w.segments is not None and seg not in w.segments) or (
                    w.channels is not None and c not in w.channels):
                continue
            part = _meet(iv, (w.distance_min, w.distance_max))
            if part is None:
                continue
            self.r.rule_matched.setdefault((uid, j), set()).add((c, seg))
            for mid, weight in rule.measures.items():
                if weight <= 0:
                    continue
                got = eligible_part(self.measures[mid], c, seg, part)
                if got is None:
                    self.r.rule_excluded.setdefault((uid, j, mid), set()).add((c, seg))
                    continue
                self.r.rule_gives.setdefault((uid, j), set()).add(mid)
                self.r.used.add((src, f"measure:{mid}", f"route:{j}"))
                self.enter(mid, key, got, "ind", src, f"route:{j}")

    def track(self, u: Unit, after: str | None, c: str, seg: str, iv: Interval,
              side_start: bool = False) -> None:
        """``_process_track``: the next measure(s) of the sequence or side track."""
        seq, side = u.sequence, u.side_track
        self.r.tracks_run.add(u.id)
        if side_start:
            track, idx = side, 0
        elif after in seq:
            track, idx = seq, seq.index(after) + 1
        elif after in side:
            track, idx = side, side.index(after) + 1
        else:
            track, idx = seq, 0
        src = f"measure:{after}" if after is not None else f"unit:{u.id}"
        kind = "side" if track is side else "sequence"
        for k in range(idx, len(track)):
            m = self.measures[track[k]]
            got = eligible_part(m, c, seg, iv)
            self.enter(m.id, (u.id, c, seg), got, "proc", src, kind)
            if got == iv and not may_be_closed(self.s, m):
                return  # everyone takes this one; the rest of the track follows from it

    def after_measure(self, mid: str, key: Key, cont: str) -> None:
        m = self.measures[mid]
        if surely_ends(m):
            return
        uid, c, seg = key
        lo, hi = self.by_cont[(mid, key, cont)]
        if m.distance_change is not None:
            dlo, dhi = dist_bounds(m.distance_change)
            lo, hi = _clip(lo + dlo), _clip(hi + dhi)
        iv = (lo, hi)
        u = self.units[uid]
        if cont == "proc":
            self.track(u, mid, c, seg, iv)
            if mid in u.sequence and u.side_track and u.side_track_share.bounds()[1] > 0:
                self.track(u, mid, c, seg, iv, side_start=True)
            return
        if self.first_of.get(c) == mid:
            self.r.used.add((f"channel:{c}", f"unit:{uid}", "after"))
        self.to_unit(uid, c, seg, iv)
