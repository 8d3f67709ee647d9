"""The participant record and its counterfactual clock (docs/model.md, section 3).

Each participant carries their household's clock: ``budget`` baseline days left on
support, the time they would stay with no AME at all. :class:`Participant` uses it up
(``consume``) and says when it runs out (``support_end``) under the regime in force: speed
1 outside measures, the measure's speed inside one, a post-programme speed for a while
after completing one. :class:`CounterfactualClock` (mixed into the model) sets the
regime when a person enters or leaves a measure (the measure's hazard ratio on its
routes, scaled by staff density), keeps the deadline (the earliest of the clock running
out, KROM and a sanction) and draws the route of the household's own exit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..scenario.calendar import DAYS_PER_MONTH

if TYPE_CHECKING:
    from .allocator import Queue
    from .population import Population
    from .resolve import Resolved
    from .resources import StaffRuntime
    from .rng import Streams

INF = math.inf

#: A measure's effect: (hazard ratio, routes, post-programme days, post-programme ratio).
Effect = tuple[float, tuple[str, ...], float, float]


@dataclass(slots=True)
class Participant:
    """One person referred to the AME, and their household's counterfactual clock."""

    id: int  # its place in AmeModel.participants (the participants table relies on it)
    channel: str
    segment: str
    unit: str
    age: float
    distance: float
    distance_start: float
    arrival: float
    priority: int
    fs_row: int = -1
    household: int = -1
    deadline: float = INF
    deadline_reason: str = "baseline"
    exit_day: float | None = None
    exit_reason: str | None = None
    exit_cause: str | None = None
    exit_stage: str | None = None
    n_measures: int = 0
    wait_days: float = 0.0
    last_assessment: float = -INF
    path: tuple[str, ...] = ()  # measures entered, in order (also: which are done)
    case_queue: Queue | None = None
    status_6m: str | None = None
    muni: int = 0  # the household's municipality (0: the host; k: the k-th partner, 001 §5.3)
    extra_dropout: float = 0.0  # added to every measure's drop-out rate (travel, 001 §5.3)
    fs_return_day: float | None = None
    ips: bool = False
    initial: bool = False
    # The counterfactual clock (docs/model.md): ``budget`` baseline days left at day
    # ``t_upd``; inside a measure used at ``speed``, outside at ``win_speed`` until
    # ``win_until`` (a post-programme effect) and at 1 after.
    budget: float = INF
    t_upd: float = 0.0
    in_measure: bool = False
    speed: float = 1.0
    ratio: float = 1.0  # the hazard ratio in force inside the measure, on ``routes``
    routes: tuple[str, ...] = ()
    win_until: float = -INF
    win_speed: float = 1.0
    win_ratio: float = 1.0
    win_routes: tuple[str, ...] = ()
    cf_exit: float = INF  # the day the person would have left with no AME at all
    krom_at: float = INF
    sanction_at: float = INF
    fs_unmatched: bool = False  # said to be on support, but no household of the segment was free

    def consume(self, now: float) -> None:
        """Use up the clock from ``t_upd`` to ``now`` under the regime in force."""
        dt_ = now - self.t_upd
        self.t_upd = now
        if dt_ <= 0 or self.budget == INF:
            return
        if self.in_measure:
            used = self.speed * dt_
        else:
            w = min(now, self.win_until) - (now - dt_)
            used = self.win_speed * w + (dt_ - w) if w > 0 else dt_
        self.budget = max(self.budget - used, 0.0)

    def support_end(self, now: float) -> float:
        """The day the clock runs out, from ``now`` (= ``t_upd``) under the regime in force."""
        b = self.budget
        if b == INF:
            return INF
        if self.in_measure:
            return now + b / self.speed if self.speed > 0 else INF
        if now < self.win_until:
            w = self.win_until - now
            if b <= self.win_speed * w:
                return now + b / self.win_speed
            return self.win_until + (b - self.win_speed * w)
        return now + b


def exit_mixes(segments: list[Resolved]) -> dict[str, tuple[list[str], list[float]]]:
    """Each segment's counterfactual exit mix as (reasons, weights normalised to 1)."""
    out: dict[str, tuple[list[str], list[float]]] = {}
    for seg in segments:
        ids = [k for k in seg.baseline_exit_mix if seg.baseline_exit_mix[k] > 0]
        tot = sum(seg.baseline_exit_mix[k] for k in ids)
        out[seg.id] = (ids, [seg.baseline_exit_mix[k] / tot for k in ids]) if tot > 0 else ([], [])
    return out


def measure_effects(measures: list[Resolved]) -> dict[str, Effect | None]:
    """Each measure's effect as an :data:`Effect` (None: no effect, speed 1)."""
    out: dict[str, Effect | None] = {}
    for m in measures:
        e = m.effect
        if e is None:
            out[m.id] = None
        else:
            after = (max(e.after.months, 0.0) * DAYS_PER_MONTH, max(e.after.hazard_ratio, 0.0)) \
                if e.after is not None else (0.0, 1.0)
            out[m.id] = (max(e.hazard_ratio, 0.0), tuple(e.routes), *after)
    return out


class CounterfactualClock:
    """How measures set a participant's clock, and the deadline it gives (mixed into
    :class:`~amesim.sim.engine.AmeModel`, whose tables it reads)."""

    base_mix: dict[str, tuple[list[str], list[float]]]  # exit_mixes()
    effects: dict[str, Effect | None]  # measure_effects()
    _route_share: dict[tuple[str, tuple[str, ...]], float]  # cache of _route_speed
    units: dict[str, Resolved]
    unit_active: dict[str, int]  # participants in each unit now
    density_pools: dict[str, list[StaffRuntime]]
    pop: Population
    streams: Streams

    def _route_speed(self, segment: str, ratio: float, routes: tuple[str, ...]) -> float:
        """Speed of the clock under a hazard ratio on some routes: 1 + (ratio - 1) x the share
        of the segment's counterfactual exits that go by those routes."""
        key = (segment, routes)
        share = self._route_share.get(key)
        if share is None:
            ids, w = self.base_mix[segment]
            share = self._route_share[key] = sum(wk for k, wk in zip(ids, w, strict=True) if k in routes)
        return 1.0 + (ratio - 1.0) * share

    def _set_deadline(self, p: Participant, now: float) -> None:
        """The deadline from ``now``: the clock running out (the end of the household's spell
        too), KROM or a sanction, whichever comes first."""
        t, why = p.support_end(now), "baseline"
        if p.fs_row >= 0 and p.exit_day is None:  # the household's spell ends with the clock
            self.pop.set_end(p.fs_row, t)
        if p.krom_at < t:
            t, why = p.krom_at, "krom"
        if p.sanction_at < t:
            t, why = p.sanction_at, "sanktion"
        p.deadline, p.deadline_reason = t, why

    def _density_multiplier(self, u: Resolved) -> float:
        """Staff density's multiplier of an effect's excess over 1 (1 without a dose-response)."""
        sd = u.staff_density
        if sd is None:
            return 1.0
        fte = sum(rt.capacity() for rt in self.density_pools[u.id])
        if fte <= 0:
            return 0.0
        x = self.unit_active[u.id] / fte
        return min((max(sd.reference_participants_per_fte, 0.0) / x) ** max(sd.elasticity, 0.0),
                   max(sd.max_multiplier, 1.0))

    def _scaled(self, ratio: float, u: Resolved) -> float:
        """A hazard ratio after staff density (only a positive effect depends on density)."""
        if ratio <= 1.0:
            return ratio
        return 1.0 + (ratio - 1.0) * self._density_multiplier(u)

    def _enter(self, p: Participant, mid: str, now: float) -> None:
        """The person starts measure ``mid``: the clock runs at the measure's speed."""
        p.consume(now)
        p.in_measure = True
        eff = self.effects[mid]
        if eff is None:
            p.speed, p.ratio, p.routes = 1.0, 1.0, ()
        else:
            ratio = self._scaled(eff[0], self.units[p.unit])
            p.speed, p.ratio, p.routes = self._route_speed(p.segment, ratio, eff[1]), ratio, eff[1]
        self._set_deadline(p, now)

    def _leave_measure(self, p: Participant, mid: str, now: float, completed: bool) -> None:
        """The person leaves measure ``mid`` (still in the AME or not): back to speed 1, or
        to the measure's post-programme effect after completing it."""
        p.consume(now)
        p.in_measure = False
        eff = self.effects[mid]
        if completed and eff is not None and eff[2] > 0 and eff[3] != 1.0:
            ratio = self._scaled(eff[3], self.units[p.unit])
            p.win_until, p.win_ratio, p.win_routes = now + eff[2], ratio, eff[1]
            p.win_speed = self._route_speed(p.segment, ratio, eff[1])
        self._set_deadline(p, now)

    def _own_exit(self, p: Participant, now: float) -> tuple[str, str]:
        """Reason and cause of the household's own exit now: the counterfactual mix, plus the
        extra hazard of the routes under the ratio in force ('effekt': the AME's doing)."""
        if p.in_measure:
            ratio, routes = p.ratio, p.routes
        elif now <= p.win_until:
            ratio, routes = p.win_ratio, p.win_routes
        else:
            ratio, routes = 1.0, ()
        ids, w = self.base_mix[p.segment]
        if not ids:
            return "annat", "baseline"
        labels: list[tuple[str, str]] = []
        cum: list[float] = []
        total = 0.0
        for k, wk in zip(ids, w, strict=True):
            on_route = k in routes
            base = wk * (min(ratio, 1.0) if on_route else 1.0)
            total += base
            labels.append((k, "baseline"))
            cum.append(total)
            if on_route and ratio > 1.0:
                total += wk * (ratio - 1.0)
                labels.append((k, "effekt"))
                cum.append(total)
        if total <= 0:
            return ids[0], "baseline"
        return labels[self.streams["baseline"].choice(cum)]
