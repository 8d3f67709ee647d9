"""Where a participant goes: their unit, and the next measure (the unit's routing rules
for the individual model; eligibility and the measures' opening dates for both models)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..scenario.calendar import DAYS_PER_MONTH

if TYPE_CHECKING:
    from .environment import Environment
    from .participant import Participant
    from .resolve import Resolved
    from .rng import StreamFamily


class Routing:
    """Unit and measure choice (mixed into :class:`~amesim.sim.engine.AmeModel`)."""

    env: Environment
    r: Resolved
    units: dict[str, Resolved]
    measures: dict[str, Resolved]
    window: dict[str, tuple[float, float]]  # days on which a measure takes people: [start, end)
    always_open: dict[str, bool]
    open_to_all: dict[str, bool]  # measures without an eligibility limit
    s_routing: StreamFamily

    def _unit_for(self, c: Resolved, segment: str) -> Resolved:
        if c.unit is not None:
            return self.units[c.unit]
        fallback = None
        for u in self.r.units:
            t = u.target
            if t.channels is not None and c.id not in t.channels:
                continue
            if t.segments is None or segment in t.segments:
                return u
            fallback = fallback or u
        return fallback or self.r.units[0]

    def _open_now(self, mid: str) -> bool:
        """Whether measure ``mid`` takes people today (its start/end dates)."""
        if self.always_open[mid]:
            return True
        lo, hi = self.window[mid]
        return lo <= self.env.now < hi

    @staticmethod
    def _open(e: Resolved) -> bool:
        return e.segments is None and e.channels is None and e.distance_min <= 0.0 and e.distance_max >= 10.0

    def _eligible(self, m: Resolved, p: Participant) -> bool:
        e = m.eligibility
        return ((e.segments is None or p.segment in e.segments)
                and (e.channels is None or p.channel in e.channels)
                and e.distance_min <= p.distance <= e.distance_max)

    def _next_individual(self, p: Participant, u: Resolved) -> str | None:
        if p.n_measures >= u.max_measures:
            return None
        now = self.env.now
        if u.reassessment is not None and now - p.last_assessment >= u.reassess_months * DAYS_PER_MONTH:
            m = self.measures[u.reassessment]
            if self._eligible(m, p) and self._open_now(m.id):
                return m.id
        for rule in u.routing:
            w = rule.when
            if w.segments is not None and p.segment not in w.segments:
                continue
            if w.channels is not None and p.channel not in w.channels:
                continue
            if not (w.distance_min <= p.distance <= w.distance_max):
                continue
            # The rule's measures with a weight, not done yet, that the participant may enter.
            mids: list[str] = []
            cum: list[float] = []
            total = 0.0
            for mid, wt in rule.measures.items():
                if wt > 0 and mid not in p.path and (self.open_to_all[mid] or self._eligible(self.measures[mid], p)) \
                        and (self.always_open[mid] or self._open_now(mid)):
                    total += wt
                    mids.append(mid)
                    cum.append(total)
            if mids:
                return mids[self.s_routing[u.id].choice(cum)]
        return None
