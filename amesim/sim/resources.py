"""Every capacity of one replication and the processes that change it over time.

Staff pools (their FTE after dated changes of posts, sick leave and summer vacation),
measure places (dated changes, fewer in summer), the queues for them (each a stage with
the capacity it needs per person, :mod:`.stage_ids`), and the samverkansforum's meetings
that decide a number of referrals at a time. Capacity changes are logged
(``capacity_log``) for utilisation and occupancy. Nothing here knows a participant: the
queues serve whoever asks (:mod:`.journey`).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ..scenario.calendar import Calendar
from . import stage_ids
from .allocator import Pool, Queue, set_capacity
from .environment import Environment, Journey
from .resolve import Resolved
from .rng import Streams


class StaffRuntime:
    """A staff pool's FTE now: its posts (dated changes), less people off sick, less summer
    vacation."""

    __slots__ = ("pool", "fte", "persons", "share", "sick", "vac_frac", "summer")

    def __init__(self, pool: Pool, fte: float, persons: int, vac_frac: float):
        self.pool, self.fte, self.persons = pool, fte, persons
        self.share = fte / persons if persons else 0.0
        self.sick = 0
        self.vac_frac = vac_frac
        self.summer = False

    def set_posts(self, fte: float, persons: int) -> None:
        """A dated change of the pool's FTE and the people sharing it."""
        self.fte, self.persons = fte, persons
        self.share = fte / persons if persons else 0.0

    def capacity(self) -> float:
        c = max(self.fte - self.sick * self.share, 0.0)
        return c * (1 - self.vac_frac) if self.summer else c


class Resources:
    """The pools, queues and forum waiting lists of one replication, built from the
    resolved scenario; :meth:`start` starts the processes that change their capacity."""

    def __init__(self, r: Resolved, cal: Calendar, env: Environment, streams: Streams):
        self.r, self.cal, self.env, self.streams = r, cal, env, streams
        #: (day, pool id, capacity) at the start and at every change.
        self.capacity_log: list[tuple[float, str, float]] = []
        #: Each queue's needs: [(pool id, capacity per person), ...], by stage id.
        self.stage_needs: dict[str, list[tuple[str, float]]] = {}
        self.pools: dict[str, Pool] = {}
        summer_days = [e - s for s, e in cal.summers()] or [56.0]
        summer_len = float(np.median(summer_days))
        self.staff: dict[str, StaffRuntime] = {}
        for sp in r.staff:
            fte = max(sp.fte, 0.0)
            persons = sp.persons or max(int(math.ceil(fte - 1e-9)), 1)
            vac = min(max(sp.vacation_weeks_in_summer, 0.0) * 7 / summer_len, 1.0)
            self.staff[sp.id] = StaffRuntime(self._add_pool(sp.id, fte), fte, persons, vac)
        self._summer_on = False
        self.place_pools: dict[str, tuple[Pool, float, float]] = {}
        self.queues: dict[str, Queue] = {}
        self.matching: dict[str, Queue] = {}
        for m in r.measures:
            needs = self._staff_needs(m.staff)
            if m.places is not None:
                places = max(math.floor(m.places + 1e-9), 0)
                pool = self._add_pool(stage_ids.places_pool(m.id), float(places))
                self.place_pools[m.id] = (pool, float(places), m.summer_places_factor)
                needs = [(pool, 1.0), *needs]
            self.queues[m.id] = self._add_queue(m.id, needs)
            if m.matching is not None:
                self.matching[m.id] = self._add_queue(stage_ids.matching_stage(m.id), self._staff_needs(m.matching.staff))
        self.beredning_q: dict[str, Queue] = {}
        self.case_q: dict[str, Queue] = {}
        self.forum: dict[str, deque[list]] = {}
        for u in r.units:
            if u.beredning.model == "dedicated":
                self.beredning_q[u.id] = self._add_queue(stage_ids.beredning_stage(u.id), self._staff_needs(u.beredning.staff))
            elif u.beredning.model == "samverkansforum":
                self.forum[u.id] = deque()
            if u.case_manager is not None:
                need = [(self.pools[u.case_manager.pool], 1.0 / max(u.case_manager.caseload_per_fte, 1e-12))]
                self.case_q[u.id] = self._add_queue(stage_ids.case_manager_stage(u.id), need)

    def _log_capacity(self, pool: Pool, capacity: float) -> None:
        self.capacity_log.append((self.env.now, pool.id, capacity))

    def _add_pool(self, ident: str, capacity: float) -> Pool:
        p = Pool(ident, capacity)
        p.on_change = self._log_capacity
        self.pools[ident] = p
        self.capacity_log.append((self.cal.t0, ident, capacity))
        return p

    def _add_queue(self, ident: str, needs: list[tuple[Pool, float]]) -> Queue:
        self.stage_needs[ident] = [(p.id, a) for p, a in needs]
        return Queue(self.env, ident, needs)

    def _staff_needs(self, needs: list[Resolved]) -> list[tuple[Pool, float]]:
        return [(self.pools[n.pool], 1.0 / max(n.participants_per_fte, 1e-12)) for n in needs]

    # ------------------------------------------------------------------ processes

    def start(self) -> None:
        """Start the summer, sick leave, dated changes and forum meetings (in this order:
        it fixes the order of simultaneous events)."""
        env = self.env
        env.process(self._summer())
        for sid, rt in self.staff.items():
            sp = next(s for s in self.r.staff if s.id == sid)
            share = min(max(sp.sick_leave.share, 0.0), 0.95)
            most = max([rt.persons, *(self._persons(c.fte, c.persons) for c in sp.changes)])
            if share > 0 and (rt.share > 0 or sp.changes):
                for k in range(most):  # person k is sick only while the pool has k+1 people
                    env.process(self._sick(rt, sp, share, k))
            if sp.changes:
                Journey(env, self._staff_changes(rt, sp))
        for m in self.r.measures:
            if m.places_changes and m.id in self.place_pools:
                Journey(env, self._places_changes(m))
        for u in self.r.units:
            if u.beredning.model == "samverkansforum":
                env.process(self._forum(u))

    def pending(self) -> list:
        """Empty the queues and forum waiting lists when a run has ended, and return what
        was waiting in them (requests and forum events), for the model's ``close``."""
        pending: list = []
        for q in [*self.queues.values(), *self.matching.values(), *self.beredning_q.values(),
                  *self.case_q.values()]:
            pending += q.drain()
        for items in self.forum.values():
            pending += [item[0] for item in items]
            items.clear()
        return pending

    def close(self) -> None:
        """Unlink pools and queues (each refers to the other), so they are freed at once."""
        for pool in self.pools.values():
            pool.on_change = None
            pool.queues = []  # queues refer to their pools and pools to their queues

    def _summer(self):
        events = []
        for s, e in self.cal.summers():
            events += [(max(s, self.cal.t0), True), (e, False)]
        for t, on in sorted(events):
            if t >= self.cal.end:
                break
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self._summer_on = on
            for rt in self.staff.values():
                rt.summer = on
                set_capacity(rt.pool, rt.capacity())
            for pool, places, factor in self.place_pools.values():
                set_capacity(pool, float(math.floor(places * (factor if on else 1.0) + 1e-9)))

    @staticmethod
    def _persons(fte: float, persons: int | None) -> int:
        return persons or max(int(math.ceil(max(fte, 0.0) - 1e-9)), 1)

    def _staff_changes(self, rt: StaffRuntime, sp: Resolved):
        """Dated changes of a pool's posts (a project ends, a post is added or cut)."""
        env = self.env
        for c in sp.changes:
            t = self.cal.day(c.date)
            if t >= self.cal.end:
                break
            if t > env.now:
                yield env.timeout(t - env.now)
            fte = max(c.fte, 0.0)
            rt.set_posts(fte, self._persons(fte, c.persons))
            set_capacity(rt.pool, rt.capacity())

    def _places_changes(self, m: Resolved):
        """Dated changes of a measure's places (budgeted places changed)."""
        env = self.env
        for c in m.places_changes:
            t = self.cal.day(c.date)
            if t >= self.cal.end:
                break
            if t > env.now:
                yield env.timeout(t - env.now)
            pool, _, factor = self.place_pools[m.id]
            places = float(max(math.floor(c.places + 1e-9), 0))
            self.place_pools[m.id] = (pool, places, factor)
            on = self._summer_on
            set_capacity(pool, float(math.floor(places * (factor if on else 1.0) + 1e-9)))

    def _sick(self, rt: StaffRuntime, sp: Resolved, share: float, k: int):
        s = self.streams[f"staff:{sp.id}:{k}"]
        mean_spell = max(sp.sick_leave.spell_days.mean, 1e-6)
        mean_healthy = mean_spell * (1 - share) / share
        while True:
            yield self.env.timeout(s.exponential(mean_healthy))
            spell = max(sp.sick_leave.spell_days(s), 0.0)
            if k >= rt.persons:  # this post does not exist now: nobody to fall ill
                yield self.env.timeout(spell)
                continue
            rt.sick += 1
            set_capacity(rt.pool, rt.capacity())
            yield self.env.timeout(spell)
            rt.sick = max(rt.sick - 1, 0)
            set_capacity(rt.pool, rt.capacity())

    def _forum(self, u: Resolved):
        b = u.beredning
        q = self.forum[u.id]
        while True:
            yield self.env.timeout(b.interval_days)
            if not b.meets_in_summer and self.cal.in_summer(self.env.now):
                continue
            decided = 0
            while q and decided < b.max_cases_per_meeting:
                item = q.popleft()
                if item[1]:  # withdrawn
                    continue
                item[0].succeed()
                decided += 1
