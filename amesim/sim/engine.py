"""The SimPy model of one AME organisation for one replication.

Flow (LOKA figure 1, seed 003): inflöde -> beredning av uppdrag -> insatser -> avslut.
Each participant is one SimPy process. Waiting and time in a measure are single timeouts
raced against the participant's *deadline*: the earliest of the household's own exit, an
interruption by Arbetsförmedlingen's KROM, or a sanction.

The household's own exit runs on its *counterfactual clock* (docs/model.md): it has a
budget of baseline days (the time it would stay on support with no AME at all), used up at
speed 1 outside the AME's measures and at the measure's speed inside one, where the
measure's causal effect (a hazard ratio on the routes to work and studies) makes the clock
run faster (or slower: lock-in). The exit happens when the budget is used up, so a
measure can only bring forward the exits of the households it works with, and it brings
forward those that were near anyway first. Drop-out inside a measure is a competing risk
drawn once at its start, so nothing polls: monthly figures come afterwards from the log.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
import simpy

from ..scenario.calendar import DAYS_PER_MONTH, Calendar, calendar_of
from ..scenario.checks import initial_channel, initial_mix
from ..scenario.model import Scenario
from . import stage_ids
from .allocator import Pool, Queue, set_capacity
from .environment import Environment, Journey, paused_gc, release_waiters
from .episodes import EpisodeLog
from .population import Population, poisson_times
from .resolve import Resolved, Sampler, ScheduleFn, WindowedSchedule, resolve
from .rng import Stream, Streams

INF = math.inf
LEAVES_SUPPORT = ("arbete", "studier", "annan_myndighet")
#: Exit causes that are the household's own exit (its clock ran out): support ends.
OWN_EXIT = ("baseline", "effekt")


@dataclass(slots=True)
class Participant:
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


class AmeModel:
    """Builds the SimPy environment for one replication; ``run()`` fills the logs."""

    def __init__(self, r: Resolved, cal: Calendar, streams: Streams):
        self.r, self.cal, self.streams = r, cal, streams
        self.env = Environment(initial_time=cal.t0)
        self.segments = {s.id: s for s in r.segments}
        self.seg_index = {s.id: i for i, s in enumerate(r.segments)}
        self.channels = {c.id: c for c in r.channels}
        self.units = {u.id: u for u in r.units}
        self.measures = {m.id: m for m in r.measures}
        self.participants: list[Participant] = []
        self.episodes = EpisodeLog()  # an episode is its row number in this log
        self.capacity_log: list[tuple[float, str, float]] = []
        self.stage_needs: dict[str, list[tuple[str, float]]] = {}
        #: Segment ids of each channel's mix and their cumulative weights.
        self.channel_mix = {c.id: (list(c.segments), list(accumulate(c.segments.values())))
                            for c in r.channels}
        #: Each segment's counterfactual exit mix as (reasons, weights normalised to 1).
        self.base_mix: dict[str, tuple[list[str], list[float]]] = {}
        for seg in r.segments:
            ids = [k for k in seg.baseline_exit_mix if seg.baseline_exit_mix[k] > 0]
            tot = sum(seg.baseline_exit_mix[k] for k in ids)
            self.base_mix[seg.id] = (ids, [seg.baseline_exit_mix[k] / tot for k in ids]) if tot > 0 else ([], [])
        self._route_share: dict[tuple[str, tuple[str, ...]], float] = {}
        #: Each measure's effect: (hazard ratio, routes, after months in days, after ratio).
        self.effects: dict[str, tuple[float, tuple[str, ...], float, float] | None] = {}
        for m in r.measures:
            e = m.effect
            if e is None:
                self.effects[m.id] = None
            else:
                after = (max(e.after.months, 0.0) * DAYS_PER_MONTH, max(e.after.hazard_ratio, 0.0)) \
                    if e.after is not None else (0.0, 1.0)
                self.effects[m.id] = (max(e.hazard_ratio, 0.0), tuple(e.routes), *after)
        self.dropout = {m.id: max(m.dropout_per_month, 0.0) for m in r.measures}
        #: Days on which a measure takes people: [start, end).
        self.window = {m.id: (cal.day(m.start) if m.start else -INF, cal.day(m.end) if m.end else INF)
                       for m in r.measures}
        self.always_open = {mid: w == (-INF, INF) for mid, w in self.window.items()}
        #: Kolada population: channels and measures that count (feriejobb does not, 004).
        self.kolada_channel = {c.id: (c.kind != "feriejobb") if c.in_kolada is None else bool(c.in_kolada)
                               for c in r.channels}
        self.kolada_measure = {m.id: (m.kind != "feriejobb") if m.in_kolada is None else bool(m.in_kolada)
                               for m in r.measures}
        #: Participants in each unit now (arrived, not exited), for staff density.
        self.unit_active = {u.id: 0 for u in r.units}
        re = r.population.referral.re_referral
        self.re_referral = (max(re.after_months, 0.0) * DAYS_PER_MONTH, int(re.max_assignments)) \
            if re is not None else (INF, 1)
        #: Measures anyone may enter (no segment, channel or distance limit; distance is
        #: kept within 0-10), so the hot path skips the eligibility test.
        self.open_to_all = {m.id: self._open(m.eligibility) for m in r.measures}
        #: A measure's duration sampler when its planned length is just that draw (no
        #: steps, no max_months); None: ask _planned_days.
        self.plain_duration = {m.id: m.duration_days if m.steps is None and m.max_months is None else None
                               for m in r.measures}
        self.end = cal.end
        self.pop = Population(r, cal, streams, self.seg_index)
        #: Streams of the hot path by id: ``durations[m.id]`` is ``streams[f"durations:{m.id}"]``.
        self.s_segments = streams.family("segments:")
        self.s_attributes = streams.family("attributes:")
        self.s_support = streams.family("support:")
        self.s_deadline = streams.family("deadline:")
        self.s_durations = streams.family("durations:")
        self.s_outcomes = streams.family("outcomes:")
        self.s_patience = streams.family("patience:")
        self.s_after_exit = streams["after_exit"]
        self.s_routing = streams.family("routing:")
        self._build_resources()
        self.density_pools = {
            u.id: [self.staff[pid] for pid in (u.staff_density.pools or
                                                [sp.id for sp in r.staff if sp.unit == u.id])]
            for u in r.units if u.staff_density is not None}
        self._ips_used = 0
        self._open_case: dict[int, int] = {}  # participant id -> their case-manager episode

    # ------------------------------------------------------------------ resources

    def _log_capacity(self, pool: Pool, capacity: float) -> None:
        self.capacity_log.append((self.env.now, pool.id, capacity))

    def _pool(self, ident: str, capacity: float) -> Pool:
        p = Pool(ident, capacity)
        p.on_change = self._log_capacity
        self.pools[ident] = p
        self.capacity_log.append((self.cal.t0, ident, capacity))
        return p

    def _queue(self, ident: str, needs: list[tuple[Pool, float]]) -> Queue:
        self.stage_needs[ident] = [(p.id, a) for p, a in needs]
        return Queue(self.env, ident, needs)

    def _staff_needs(self, needs: list[Resolved]) -> list[tuple[Pool, float]]:
        return [(self.pools[n.pool], 1.0 / max(n.participants_per_fte, 1e-12)) for n in needs]

    def _build_resources(self) -> None:
        r, cal = self.r, self.cal
        self.pools: dict[str, Pool] = {}
        summer_days = [e - s for s, e in cal.summers()] or [56.0]
        summer_len = float(np.median(summer_days))
        self.staff: dict[str, StaffRuntime] = {}
        for sp in r.staff:
            fte = max(sp.fte, 0.0)
            persons = sp.persons or max(int(math.ceil(fte - 1e-9)), 1)
            vac = min(max(sp.vacation_weeks_in_summer, 0.0) * 7 / summer_len, 1.0)
            self.staff[sp.id] = StaffRuntime(self._pool(sp.id, fte), fte, persons, vac)
        self._summer_on = False
        self.place_pools: dict[str, tuple[Pool, float, float]] = {}
        self.queues: dict[str, Queue] = {}
        self.matching: dict[str, Queue] = {}
        for m in r.measures:
            needs = self._staff_needs(m.staff)
            if m.places is not None:
                places = max(math.floor(m.places + 1e-9), 0)
                pool = self._pool(stage_ids.places_pool(m.id), float(places))
                self.place_pools[m.id] = (pool, float(places), m.summer_places_factor)
                needs = [(pool, 1.0), *needs]
            self.queues[m.id] = self._queue(m.id, needs)
            if m.matching is not None:
                self.matching[m.id] = self._queue(stage_ids.matching_stage(m.id), self._staff_needs(m.matching.staff))
        self.beredning_q: dict[str, Queue] = {}
        self.case_q: dict[str, Queue] = {}
        self.forum: dict[str, deque[list]] = {}
        for u in r.units:
            if u.beredning.model == "dedicated":
                self.beredning_q[u.id] = self._queue(stage_ids.beredning_stage(u.id), self._staff_needs(u.beredning.staff))
            elif u.beredning.model == "samverkansforum":
                self.forum[u.id] = deque()
            if u.case_manager is not None:
                need = [(self.pools[u.case_manager.pool], 1.0 / max(u.case_manager.caseload_per_fte, 1e-12))]
                self.case_q[u.id] = self._queue(stage_ids.case_manager_stage(u.id), need)

    # ------------------------------------------------------------------ processes

    def run(self) -> None:
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
        if self.r.initial_participants:
            env.process(self._initial())
        Journey(env, self._arrivals())  # nobody waits for these processes to end
        if any(c.kind == "ekonomiskt_bistand" for c in self.r.channels):
            Journey(env, self._referrals())
        with paused_gc():
            env.run(until=self.cal.end)

    def close(self) -> None:
        """Drop what is still pending when the run has ended (scheduled events, waiting
        requests, forum items), so the model holds no reference cycles through suspended
        generators and is freed at once when dropped, instead of by a garbage collection.
        The logs (participants, episodes, capacity, population) are kept; the model cannot
        run further."""
        pending = [event for *_, event in self.env._queue]  # events hold the generators waiting on them
        for q in [*self.queues.values(), *self.matching.values(), *self.beredning_q.values(),
                  *self.case_q.values()]:
            pending += [req for *_, req in q._heap]
            q._heap.clear()
        for items in self.forum.values():
            pending += [item[0] for item in items]
            items.clear()
        release_waiters(pending)
        self.env.close()
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

    def _channel_rate(self, c: Resolved) -> ScheduleFn:
        rate: ScheduleFn = c.rate_per_month
        lo = self.cal.day(c.start) if c.start else -INF
        hi = self.cal.day(c.end) if c.end else INF
        if lo == -INF and hi == INF:
            return rate

        return WindowedSchedule(rate, lo, hi)

    def _arrivals(self):
        times: list[tuple[float, int, str]] = []
        for c in self.r.channels:
            if c.kind == "ekonomiskt_bistand":
                continue
            g = self.streams[f"arrivals:{c.id}"].gen
            if c.rate_per_month is not None:
                ts = poisson_times(self._channel_rate(c), self.cal.t0, self.cal.end, g)
                times += [(float(t), 0, c.id) for t in ts]
            if c.batch is not None:
                size = int(round(max(c.batch.size, 0)))
                for d in self.cal.yearly(c.batch.date):
                    if (c.start and d < self.cal.day(c.start)) or (c.end and d >= self.cal.day(c.end)):
                        continue
                    times += [(d, 1, c.id)] * size
        times.sort()
        env = self.env
        for t, _, cid in times:
            if t > env.now:
                yield env.timeout(t - env.now)
            self._start(cid, env.now, -1)  # (now: t up to the rounding of the clock)

    def _referrals(self):
        """The social office refers eligible households monthly, limited by its capacity."""
        ref = self.r.population.referral
        s = self.streams["referral"]
        env, pop = self.env, self.pop
        min_days = ref.min_months_on_support * DAYS_PER_MONTH
        cid = next(c.id for c in self.r.channels if c.kind == "ekonomiskt_bistand")
        while env.now < self.cal.end:
            t = env.now
            cand = pop.referable(t, min_days)
            p = 1 - math.exp(-max(ref.rate_per_month(t), 0.0))
            chosen = cand[s.gen.random(len(cand)) < p] if len(cand) else cand
            cap = ref.capacity_per_month(t)
            ncap = int(math.floor(cap)) + (1 if s.random() < cap - math.floor(cap) else 0)
            if len(chosen) > ncap:
                if ref.priority == "longest":
                    chosen = chosen[np.argsort(pop.start[chosen], kind="stable")][:ncap]
                else:
                    chosen = s.gen.permutation(chosen)[:ncap]
            when = t + s.gen.random(len(chosen)) * DAYS_PER_MONTH
            batch = sorted((float(w), int(row)) for w, row in zip(when, chosen, strict=True)
                           if w < pop.end[row] and w < self.cal.end)
            for _, row in batch:
                pop.take(row, -2)  # reserved: referred, arriving later this month
            Journey(env, self._deliver(batch, cid))
            yield env.timeout(DAYS_PER_MONTH)

    def _deliver(self, batch: list[tuple[float, int]], cid: str):
        for t, row in batch:
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self._start(cid, self.env.now, row)

    # ------------------------------------------------------------------ participants

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

    def _start(self, cid: str, t: float, row: int) -> None:
        c = self.channels[cid]
        pop = self.pop
        if row >= 0:
            seg_id = self.r.segments[int(pop.segment[row])].id
        else:
            ids, cum = self.channel_mix[cid]
            seg_id = ids[self.s_segments[cid].choice(cum)]
        seg = self.segments[seg_id]
        sa = self.s_attributes[seg_id]
        age = seg.age(sa)
        dist = min(max(seg.distance(sa), 0.0), 10.0)
        u = self._unit_for(c, seg_id)
        p = Participant(len(self.participants), cid, seg_id, u.id, age, dist, dist, t, seg.priority)
        self.participants.append(p)
        self.unit_active[u.id] += 1
        self._link(p, c, u, t, row, self.s_support[cid], self.s_deadline[cid])
        Journey(self.env, self._journey(p, c, u), now=True)

    def _link(self, p: Participant, c: Resolved, u: Resolved, t: float, row: int, sf: Stream,
              sd: Stream) -> None:
        """Link ``p`` to a household on support and start their counterfactual clock on day ``t``.

        ``row`` is the household a referral from the social office came with; otherwise, with
        the channel's share on support (default: the segment's), a free household of the
        participant's own segment is picked; if none is free the participant is not on support
        (``fs_unmatched``). The clock's budget is the household's time left on support (its
        end, which an earlier assignment may have brought forward), or for someone not on
        support a draw of their own counterfactual exit. KROM and sanction dates are drawn here.
        """
        pop = self.pop
        seg = self.segments[p.segment]
        if row < 0:
            share = c.fs_share if c.fs_share is not None else seg.fs_share
            if sf.random() < share:
                row = pop.pick_for_channel(t, sf, self.seg_index[p.segment])
                p.fs_unmatched = row < 0
        h = seg.baseline_exit_per_month
        if row >= 0:
            pop.take(row, p.id)
            p.fs_row, p.household = row, int(pop.household[row])
            p.budget = max(float(pop.end[row]) - t, 0.0)
            p.cf_exit = float(pop.cf_end[row])
        else:
            p.budget = sd.exponential(DAYS_PER_MONTH / h) if h > 0 else INF
            p.cf_exit = t + p.budget
        p.t_upd = t
        if c.krom_per_month > 0:
            p.krom_at = t + sd.exponential(DAYS_PER_MONTH / c.krom_per_month)
        if row >= 0 and u.sanction_per_month > 0:
            p.sanction_at = t + sd.exponential(DAYS_PER_MONTH / u.sanction_per_month)
        self._set_deadline(p, t)

    # ------------------------------------------------------------------ the counterfactual clock

    def _route_speed(self, segment: str, ratio: float, routes: tuple[str, ...]) -> float:
        """Speed of the clock under a hazard ratio on some routes: 1 + (ratio - 1) x the share
        of the segment's counterfactual exits that go by those routes."""
        key = (segment, routes)
        share = self._route_share.get(key)
        if share is None:
            ids, w = self.base_mix[segment]
            share = self._route_share[key] = sum(wk for k, wk in zip(ids, w, strict=True) if k in routes)
        return 1.0 + (ratio - 1.0) * share

    def _consume(self, p: Participant, now: float) -> None:
        """Use up the clock from ``p.t_upd`` to ``now`` under the regime in force."""
        dt_ = now - p.t_upd
        p.t_upd = now
        if dt_ <= 0 or p.budget == INF:
            return
        if p.in_measure:
            used = p.speed * dt_
        else:
            w = min(now, p.win_until) - (now - dt_)
            used = p.win_speed * w + (dt_ - w) if w > 0 else dt_
        p.budget = max(p.budget - used, 0.0)

    def _support_end(self, p: Participant, now: float) -> float:
        """The day the clock runs out, from ``now`` (= ``p.t_upd``) under the regime in force."""
        b = p.budget
        if b == INF:
            return INF
        if p.in_measure:
            return now + b / p.speed if p.speed > 0 else INF
        if now < p.win_until:
            w = p.win_until - now
            if b <= p.win_speed * w:
                return now + b / p.win_speed
            return p.win_until + (b - p.win_speed * w)
        return now + b

    def _set_deadline(self, p: Participant, now: float) -> None:
        t, why = self._support_end(p, now), "baseline"
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
        self._consume(p, now)
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
        self._consume(p, now)
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

    def _initial(self):
        """Create ``initial_participants``: people already in a measure on day t0.

        A process started after the summer one, so that the places and staff of day t0 are
        set when the people take them. Each is drawn from the stream ``initial:<measure>``
        (segment, attributes, duration, link to support, deadline, outcome of this stay), so
        arrivals and the households' draws stay as without them (common random numbers;
        later measures, exits and new households share the streams of everyone). Their stay is the
        residual of a renewal process: planned duration x U(0, 1) left (or x (1 -
        elapsed_share)); the part already done is before t0, and so are their arrival day
        and the start of that measure episode, so they are participants from the start but
        never new arrivals. A person on ekonomiskt bistånd (or, from another channel, with
        the segment's fs_share) is linked to a household on support, a new one started at
        t0 if none is free. Those the measure has no room for (a drawn number of places or
        staff below the count) queue for it from t0. Then they go on like anyone else.
        """
        env, pop, t0 = self.env, self.pop, self.cal.t0
        waiting: list[tuple[float, int, Participant, Resolved, Resolved, Resolved]] = []
        for item in self.r.initial_participants:
            m = self.measures[item.measure]
            s = self.streams[f"initial:{m.id}"]
            cid = initial_channel(self.r, item)
            c = self.channels[cid]
            u = self.units[m.unit]
            mix = initial_mix(self.r, item, cid)
            ids, cum = list(mix), list(accumulate(mix.values()))
            q = self.queues[m.id]
            for _ in range(int(round(max(item.count, 0.0)))):
                seg = self.segments[ids[s.choice(cum)]]
                age = seg.age(s)
                dist = min(max(seg.distance(s), 0.0), 10.0)
                if item.waiting:
                    waited = max(item.waited_days(s), 0.0) if item.waited_days is not None else 0.0
                    began = t0 - waited
                else:
                    d = self._planned_days(m, s)
                    done = item.elapsed_share if item.elapsed_share is not None else s.random()
                    left = d * (1.0 - min(max(done, 0.0), 1.0))
                    began = t0 - (d - left)
                p = Participant(len(self.participants), cid, seg.id, u.id, age, dist, dist, began,
                                seg.priority, initial=True)
                self.participants.append(p)
                self.unit_active[u.id] += 1
                row = -1
                if c.kind == "ekonomiskt_bistand":  # referred by the social office: on support
                    row = pop.pick_for_channel(t0, s, self.seg_index[seg.id])
                    if row < 0:
                        row = int(pop.add(np.array([t0]), np.array([self.seg_index[seg.id]]), 0,
                                          np.array([True]))[0])
                self._link(p, c, u, t0, row, s, s)
                if u.case_manager is not None and self.case_q[u.id].take_if_free():
                    ep = self._episode(p, stage_ids.case_manager_stage(u.id), stage_ids.CASE_MANAGER)
                    self.episodes.start[ep] = t0
                    p.case_queue = self.case_q[u.id]
                    self._open_case[p.id] = ep
                if item.waiting:
                    waiting.append((began, p.id, p, c, u, m))
                    continue
                placed = None
                if q.take_if_free():
                    ep = self._episode(p, m.id, stage_ids.MEASURE)
                    self.episodes.queued[ep] = self.episodes.start[ep] = began
                    placed = (ep, left, s)
                Journey(env, self._journey(p, c, u, (m, placed)))
        # The waiting lists, longest waiting first (the queue serves in order of request).
        for began, _, p, c, u, m in sorted(waiting, key=lambda w: (w[0], w[1])):
            Journey(env, self._journey(p, c, u, (m, ("waiting", began))))
        return
        yield  # unreachable: makes this a generator, to run as a process

    @staticmethod
    def _planned_days(m: Resolved, stream: Stream) -> float:
        """A measure's planned length: its duration (or its steps' summed), capped at max_months."""
        if m.steps is not None:
            d = sum(max(st.duration_days(stream), 0.0) for st in m.steps)
        else:
            d = max(m.duration_days(stream), 0.0)
        if m.max_months is not None:
            d = min(d, m.max_months * DAYS_PER_MONTH)
        return d

    def _episode(self, p: Participant, stage: str, kind: str) -> int:
        """A new episode of ``p``, queued now; returns its number."""
        return self.episodes.open(p.id, stage, kind, self.env.now)

    def _wait(self, p: Participant, event: simpy.Event, patience: float):
        """Wait for ``event`` or the deadline/patience. Returns None if granted, else why."""
        env = self.env
        if event.triggered:
            return None
        left = p.deadline - env.now
        limit, why = (left, "deadline") if left <= patience else (patience, "renege")
        if limit == INF:
            yield event
            return None
        yield event | env.timeout(max(limit, 0.0))
        return None if event.triggered else why

    def _acquire(self, p: Participant, q: Queue, kind: str, patience: float = INF):
        """Queue for ``q``; returns the started episode, or None if the person left instead."""
        ep = self._episode(p, q.id, kind)
        if q.take_if_free():  # granted at once, like an already triggered request
            self.episodes.start[ep] = self.env.now
            return ep
        granted = yield from self._wait_in(p, q, ep, patience)
        return ep if granted else None

    def _wait_in(self, p: Participant, q: Queue, ep: int, patience: float):
        """Wait in ``q`` (nothing free now) in episode ``ep``. True when granted; False if the
        deadline or the person's patience ran out first (then they have left)."""
        req = q.request(p, p.priority)
        why = yield from self._wait(p, req, patience)
        eps, now = self.episodes, self.env.now
        p.wait_days += now - eps.queued[ep]
        if why is None:
            eps.start[ep] = now
            return True
        q.cancel(req)
        eps.end[ep] = now
        eps.outcome[ep] = why
        self._leave_by(p, why, q.id)
        return False

    def _leave_by(self, p: Participant, why: str, stage: str) -> None:
        """Exit because the deadline came (baseline/KROM/sanction) or the person gave up."""
        if why == "renege":
            self._exit(p, "annat", "renege", stage)
        elif p.deadline_reason == "krom":
            self._exit(p, "krom", "krom", stage)
        elif p.deadline_reason == "sanktion":
            self._exit(p, "annat", "sanktion", stage)
        else:
            reason, cause = self._own_exit(p, self.env.now)
            self._exit(p, reason, cause, stage)

    def _journey(self, p: Participant, c: Resolved, u: Resolved,
                 initial: tuple[Resolved, tuple | None] | None = None):
        """A participant's way through the AME. ``initial``: (measure, placement) of someone
        in or queueing for a measure at the start (see :meth:`_initial`), who goes on from it."""
        if initial is not None:
            m, placed = initial
            if (yield from self._measure(p, m, placed)) != "continue":
                return
            if u.process_model == "process":
                yield from self._process_track(p, u, m.id)
                return
            mid = self._next_individual(p, u)
        else:
            first = c.first_measure
            if first is not None and not self._open_now(first):
                first = None  # the measure the referrer assigns takes nobody now: usual way in
            if first is None and not (yield from self._referral(p, u)):
                return
            if u.process_model == "process" and first is None:
                yield from self._process_track(p, u)
                return
            mid = first if first is not None else self._next_individual(p, u)
        # The individual model: measures chosen one at a time by the unit's routing. (Inline,
        # not a sub-generator: every resumption in a measure passes through each layer.)
        while mid is not None:
            result = yield from self._measure(p, self.measures[mid])
            if result != "continue":
                return
            mid = self._next_individual(p, u)
        self._exit(p, "slutfort_uppdrag", "completion", p.path[-1] if p.path else stage_ids.BEREDNING)

    def _referral(self, p: Participant, u: Resolved):
        """Beredning of the referral and a case manager, if the unit has them. True if the
        participant goes on to measures, False if they left instead."""
        env = self.env
        b = u.beredning
        if b.model == "samverkansforum":
            ep = self._episode(p, stage_ids.beredning_stage(u.id), stage_ids.BEREDNING)
            item = [env.event(), False]
            self.forum[u.id].append(item)
            why = yield from self._wait(p, item[0], INF)
            eps = self.episodes
            p.wait_days += env.now - eps.queued[ep]
            eps.start[ep] = eps.end[ep] = env.now
            if why is not None:
                item[1] = True
                eps.outcome[ep] = why
                self._leave_by(p, why, eps.stage[ep])
                return False
            eps.outcome[ep] = "decided"
        elif b.model == "dedicated":
            stream = self.streams[f"durations:{stage_ids.beredning_stage(u.id)}"]
            if not (yield from self._staffed_step(p, self.beredning_q[u.id], stage_ids.BEREDNING, b.duration_days,
                                                   stream, "decided")):
                return False
        if u.case_manager is not None:
            q = self.case_q[u.id]
            ep = yield from self._acquire(p, q, stage_ids.CASE_MANAGER)
            if ep is None:
                return False
            p.case_queue = q
            self._open_case[p.id] = ep  # held until exit, closed in _exit
        return True

    def _staffed_step(self, p: Participant, q: Queue, kind: str, duration: Sampler, stream: Stream,
                      outcome: str, patience: float = INF):
        """A step that needs ``q``'s capacity for a drawn time (beredning, matching): queue,
        draw the time when it starts, hold it unless the deadline comes first, release.
        True if completed (episode outcome ``outcome``); False if the person left."""
        ep = yield from self._acquire(p, q, kind, patience)
        if ep is None:
            return False
        done = yield from self._hold(p, duration(stream))
        q.release()
        eps = self.episodes
        eps.end[ep] = self.env.now
        if not done:
            eps.outcome[ep] = "deadline"
            self._leave_by(p, "deadline", q.id)
            return False
        eps.outcome[ep] = outcome
        return True

    def _hold(self, p: Participant, d: float):
        """Spend ``d`` days unless the deadline comes first. True if completed."""
        left = p.deadline - self.env.now
        if left < d:
            yield self.env.timeout(max(left, 0.0))
            return False
        yield self.env.timeout(max(d, 0.0))
        return True

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

    def _process_track(self, p: Participant, u: Resolved, after: str | None = None):
        """The fixed sequence (and side track); ``after``: go on after this measure."""
        track, idx, side = u.sequence, 0, False
        if after in u.sequence:
            idx = u.sequence.index(after) + 1
        elif after in u.side_track:
            track, idx, side = u.side_track, u.side_track.index(after) + 1, True
        s = self.s_routing[u.id]
        while idx < len(track):
            m = self.measures[track[idx]]
            if not self._eligible(m, p) or not self._open_now(m.id):
                idx += 1
                continue
            result = yield from self._measure(p, m)
            if result != "continue":
                return
            if not side and u.side_track and s.random() < u.side_track_share:
                track, idx, side = u.side_track, 0, True
            else:
                idx += 1
        self._exit(p, "slutfort_uppdrag", "completion", p.path[-1] if p.path else stage_ids.BEREDNING)

    def _measure(self, p: Participant, m: Resolved, placed: tuple | None = None):
        """Matching (if any), queue, stay. Returns 'continue' or 'exit'. ``placed``: (episode,
        days left, stream) of someone already in the measure at the start: only the stay."""
        env, eps = self.env, self.episodes
        mid = m.id
        p.n_measures += 1
        p.path += (mid,)
        q = self.queues[mid]
        if placed is not None and placed[0] != "waiting":
            ep, d, so = placed
        else:
            patience = INF
            if m.patience_days is not None:
                patience = max(m.patience_days(self.s_patience[mid]), 0.0)
            if mid in self.matching and placed is None:  # (the waiting list is matched already)
                stream = self.streams[f"durations:{stage_ids.matching_stage(mid)}"]
                if not (yield from self._staffed_step(p, self.matching[mid], stage_ids.MATCHING,
                                                       m.matching.duration_days, stream, "matched", patience)):
                    return "exit"
            ep = eps.open(p.id, mid, stage_ids.MEASURE, env.now)  # self._episode, inlined
            if placed is not None:  # on the waiting list since before the start
                eps.queued[ep] = placed[1]
            if q.take_if_free():  # granted at once (no generator for _acquire on the hot path)
                eps.start[ep] = env.now
            elif not (yield from self._wait_in(p, q, ep, patience)):
                return "exit"
            plain = self.plain_duration[mid]
            if plain is not None:
                d = max(plain(self.s_durations[mid]), 0.0)  # what _planned_days gives, without the call
            else:
                d = self._planned_days(m, self.s_durations[mid])
            so = self.s_outcomes[mid]
        # In the measure: the clock runs at the measure's speed (its causal effect), and
        # drop-out is a competing risk drawn once at the start.
        now = env.now
        self._enter(p, mid, now)
        t_drop = INF
        rate = self.dropout[mid]
        if rate > 0:
            t_drop = so.exponential(DAYS_PER_MONTH / rate)
        left = p.deadline - now  # the start (now), or t0 for someone placed at the start
        stay = min(d, t_drop, left)
        yield env.timeout(max(stay, 0.0))
        q.release()
        now = eps.end[ep] = env.now
        if p.fs_row >= 0 and m.fs_payment_factor != 1.0:
            self.pop.reduce(p.fs_row, eps.start[ep], now, max(m.fs_payment_factor, 0.0))
        if stay == left and left <= d and left <= t_drop:
            eps.outcome[ep] = "deadline"
            self._leave_by(p, "deadline", mid)  # in the measure: its effect decides the cause
            return "exit"
        if stay == t_drop and t_drop < d:
            self._leave_measure(p, mid, now, completed=False)
            eps.outcome[ep] = "dropout"
            self._exit(p, "annat", "dropout", mid)
            return "exit"
        # Completed: the post-programme effect (if any), stegförflyttning, maybe the end of
        # the assignment.
        self._leave_measure(p, mid, now, completed=True)
        eps.outcome[ep] = "completed"
        if m.kind == "kartlaggning":
            p.last_assessment = now
        if m.distance_change is not None:
            p.distance = min(max(p.distance + m.distance_change(so), 0.0), 10.0)
        u = so.random()
        acc = 0.0
        for reason, prob in m.on_completion.items():
            acc += max(prob, 0.0)
            if u < acc:
                eps.outcome[ep] = f"completed:{reason}"
                self._exit(p, reason, "completion", mid)
                return "exit"
        return "continue"

    # ------------------------------------------------------------------ exit

    def _exit(self, p: Participant, reason: str, cause: str, stage: str) -> None:
        env, pop, end = self.env, self.pop, self.end
        now = env.now
        p.exit_day, p.exit_reason, p.exit_cause, p.exit_stage = now, reason, cause, stage
        if p.case_queue is not None:
            p.case_queue.release()
            ep = self._open_case.pop(p.id, None)
            if ep is not None:
                self.episodes.end[ep], self.episodes.outcome[ep] = now, "closed"
            p.case_queue = None
        self.unit_active[p.unit] -= 1
        ae = self.r.after_exit
        sa = self.s_after_exit
        row = p.fs_row
        # (An own exit is the end of the household's spell: it was on support up to now.)
        was_on_support = row >= 0 and (cause in OWN_EXIT or pop.end[row] > now)
        if row >= 0:
            if cause in OWN_EXIT or cause == "sanktion":
                pop.stop(row, now)  # the household's own exit (any reason), or support refused
                pop.finish(row)
            else:
                # The assignment ended but the household stays on support: its clock goes on
                # (with any post-programme effect), and it may be referred again.
                self._consume(p, now)
                p.in_measure = False  # interrupted inside a measure (KROM): no after-effect
                pop.set_end(row, self._support_end(p, now))
                if pop.end[row] > now:
                    after, most = self.re_referral
                    pop.release(row, now, after, most)
                else:
                    pop.finish(row)
        if (row >= 0 and cause == "effekt" and reason in LEAVES_SUPPORT and was_on_support
                and sa.random() < ae.return_to_fs_12m.get(reason, 0.0)):
                back = now + sa.random() * 365.0
                p.fs_return_day = back
                if back < end:
                    seg = np.array([int(pop.segment[p.fs_row])])
                    pop.add(np.array([back]), seg, 3, np.array([True]),
                            household=np.array([p.household]), amount=np.array([pop.amount[p.fs_row]]))
        retained = False
        if reason in ("arbete", "studier"):
            prob = ae.retention_6m.get(reason, 0.0)
            if reason == "arbete" and ae.ips is not None and self._ips_used < math.floor(ae.ips.places + 1e-9):
                p.ips = True
                self._ips_used += 1
                prob = min(prob + ae.ips.retention_boost, 1.0)
                env.process(self._ips_release(ae.ips.duration_months * DAYS_PER_MONTH))
            retained = sa.random() < prob
        if now + 182.0 <= end:
            back = p.fs_return_day
            if back is not None and back <= now + 182.0:
                p.status_6m = "forsorjningsstod"
            elif retained:
                p.status_6m = "arbete_studier"
            elif p.fs_row >= 0 and pop.end[p.fs_row] > now + 182.0:
                p.status_6m = "forsorjningsstod"
            else:
                p.status_6m = "ovrigt"

    def _ips_release(self, d: float):
        yield self.env.timeout(d)
        self._ips_used -= 1


def build_model(scenario: Scenario, seed: int, replication: int, uncertainty: bool = True,
                drawn: dict[str, float] | None = None) -> AmeModel:
    """The model of replication ``replication`` of ``scenario``, ready to ``run()``.

    ``drawn`` receives the parameter values drawn for this replication."""
    cal = calendar_of(scenario)
    streams = Streams(seed, replication)
    r = resolve(scenario, streams, cal, uncertainty, drawn)
    return AmeModel(r, cal, streams)
