"""The SimPy model of one AME organisation for one replication: build, run, close.

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

The model is assembled from one module per responsibility: :mod:`.participant` (the
record and its counterfactual clock), :mod:`.resources` (staff, places, queues and what
changes their capacity), :mod:`.journey` (referral, beredning, measures),
:mod:`.routing` (unit and next measure), :mod:`.exits` and :mod:`.initial` (people in
measures on the first day); the participant-side parts are mixins of :class:`AmeModel`,
so the hot path keeps plain attribute and method lookups. Here: the tables the hot path
reads, the arrival and referral processes, ``run`` and ``close``.
"""

from __future__ import annotations

import math
from itertools import accumulate

import numpy as np

from ..scenario.calendar import DAYS_PER_MONTH, Calendar, calendar_of
from ..scenario.model import Scenario
from .environment import Environment, Journey, paused_gc, release_waiters
from .episodes import EpisodeLog
from .exits import Exits
from .initial import InitialParticipants
from .journey import ParticipantJourney
from .participant import CounterfactualClock, Participant, exit_mixes, measure_effects
from .population import Population, poisson_times
from .resolve import Resolved, ScheduleFn, WindowedSchedule, resolve
from .resources import Resources
from .rng import Streams
from .routing import Routing

INF = math.inf


class AmeModel(ParticipantJourney, InitialParticipants, Exits, Routing, CounterfactualClock):
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
        #: Segment ids of each channel's mix and their cumulative weights.
        self.channel_mix = {c.id: (list(c.segments), list(accumulate(c.segments.values())))
                            for c in r.channels}
        #: Each segment's counterfactual exit mix as (reasons, weights normalised to 1).
        self.base_mix = exit_mixes(r.segments)
        self._route_share: dict[tuple[str, tuple[str, ...]], float] = {}
        #: Each measure's effect: (hazard ratio, routes, after months in days, after ratio).
        self.effects = measure_effects(r.measures)
        self.dropout = {m.id: max(m.dropout_per_month, 0.0) for m in r.measures}
        #: Measures with reserved places: (channels that go first, least days others wait).
        self.reserved = {m.id: (frozenset(m.reserved.channels), max(m.reserved.fallback_after_days, 0.0))
                         for m in r.measures if m.reserved is not None}
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
        self.resources = res = Resources(r, cal, self.env, streams)
        # The resources' tables, read by the journey and the tables as the model's own.
        self.capacity_log, self.stage_needs = res.capacity_log, res.stage_needs
        self.pools, self.staff, self.queues, self.matching = res.pools, res.staff, res.queues, res.matching
        self.beredning_q, self.case_q, self.forum = res.beredning_q, res.case_q, res.forum
        self.density_pools = {
            u.id: [self.staff[pid] for pid in (u.staff_density.pools or
                                                [sp.id for sp in r.staff if sp.unit == u.id])]
            for u in r.units if u.staff_density is not None}
        self._ips_used = 0
        self._open_case: dict[int, int] = {}  # participant id -> their case-manager episode

    # ------------------------------------------------------------------ processes

    def run(self) -> None:
        env = self.env
        self.resources.start()
        if self.r.initial_participants:
            env.process(self._initial())
        Journey(env, self._arrivals())  # nobody waits for these processes to end
        if any(c.kind == "ekonomiskt_bistand" for c in self.r.channels):
            Journey(env, self._referrals())
            for k in range(1, len(self.pop.configs)):  # partner municipalities (001 §5.3)
                Journey(env, self._referrals(k))
        with paused_gc():
            env.run(until=self.cal.end)

    def close(self) -> None:
        """Drop what is still pending when the run has ended (scheduled events, waiting
        requests, forum items), so the model holds no reference cycles through suspended
        generators and is freed at once when dropped, instead of by a garbage collection.
        The logs (participants, episodes, capacity, population) are kept; the model cannot
        run further."""
        pending = self.env.scheduled()  # events hold the generators waiting on them
        pending += self.resources.pending()
        release_waiters(pending)
        self.env.close()
        self.resources.close()

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

    def _referrals(self, k: int = 0):
        """The social office of municipality ``k`` (0: the host) refers eligible households
        monthly, limited by its capacity. A partner's referred household starts with the
        travel's participation share; one who declines stays on support and is not referred
        again (the journey is the obstacle, and it does not go away)."""
        pop = self.pop
        ref = pop.configs[k].referral
        s = self.streams["referral" + pop.suffixes[k]]
        env = self.env
        min_days = ref.min_months_on_support * DAYS_PER_MONTH
        pick = self._referral_channels()
        s_channel = self.streams["referral:channel" + pop.suffixes[k]]
        muni = None if len(pop.configs) == 1 else k
        take_up = 1.0 if k == 0 else min(max(self.r.partners[k - 1].travel.participation_share, 0.0), 1.0)
        s_travel = self.streams["travel" + pop.suffixes[k]]
        while env.now < self.cal.end:
            t = env.now
            cand = pop.referable(t, min_days, muni)
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
            if take_up < 1.0 and batch:  # travel: some decline the offer (001 §5.3)
                starts = s_travel.gen.random(len(batch)) < take_up
                for (_, row), go in zip(batch, starts, strict=True):
                    if not go:  # cannot make the journey: not offered a place again
                        pop.finish(row)
                batch = [b for b, go in zip(batch, starts, strict=True) if go]
            for _, row in batch:
                pop.take(row, -2)  # reserved: referred, arriving later this month
            cids = [pick(int(pop.segment[row]), s_channel) for _, row in batch]
            Journey(env, self._deliver(batch, cids))
            yield env.timeout(DAYS_PER_MONTH)

    def _partner_re_referral(self, k: int) -> tuple[float, int]:
        """(days until a household may be referred again, most assignments) of municipality
        ``k``'s social office."""
        if k == 0:
            return self.re_referral
        re = self.pop.configs[k].referral.re_referral
        return (max(re.after_months, 0.0) * DAYS_PER_MONTH, int(re.max_assignments)) \
            if re is not None else (INF, 1)

    def _referral_channels(self):  # type: ignore[no-untyped-def]
        """The ekonomiskt_bistand channel of a referred household: drawn by the channels'
        ``referral_weights`` for its segment (a draw only when more than one may take it, so
        a scenario with one such channel uses no random numbers here)."""
        by_seg: list[tuple[list[str], list[float]]] = []
        eb = [c for c in self.r.channels if c.kind == "ekonomiskt_bistand"]
        for seg in self.r.segments:
            ids, cum, total = [], [], 0.0
            for c in eb:
                w = 1.0 if c.referral_weights is None else c.referral_weights.get(seg.id, 0.0)
                if w > 0:
                    total += w
                    ids.append(c.id)
                    cum.append(total)
            by_seg.append((ids or [eb[0].id], cum or [1.0]))

        def pick(seg: int, stream) -> str:  # type: ignore[no-untyped-def]
            ids, cum = by_seg[seg]
            return ids[0] if len(ids) == 1 else ids[stream.choice(cum)]

        return pick

    def _deliver(self, batch: list[tuple[float, int]], cids: list[str]):
        for (t, row), cid in zip(batch, cids, strict=True):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self._start(cid, self.env.now, row)


def build_model(scenario: Scenario, seed: int, replication: int, uncertainty: bool = True,
                drawn: dict[str, float] | None = None) -> AmeModel:
    """The model of replication ``replication`` of ``scenario``, ready to ``run()``.

    ``drawn`` receives the parameter values drawn for this replication."""
    cal = calendar_of(scenario)
    streams = Streams(seed, replication)
    r = resolve(scenario, streams, cal, uncertainty, drawn)
    return AmeModel(r, cal, streams)
