"""A participant's way through the AME, from arrival to exit.

Arrival (:meth:`_start`: segment, attributes, unit) and the link to a household on
support, which starts the counterfactual clock (:meth:`_link`); then the referral
(beredning in a samverkansforum or by dedicated staff, a case manager), and measures: one
at a time by the unit's routing (the individual model) or along its fixed sequence and
side track (the process model). Each wait is a single event raced against the deadline
and the person's patience; each stay a single timeout (drop-out is drawn at the start).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..scenario.calendar import DAYS_PER_MONTH
from . import stage_ids
from .environment import Journey
from .participant import Participant

if TYPE_CHECKING:
    import simpy

    from .allocator import Queue
    from .environment import Environment
    from .episodes import EpisodeLog
    from .population import Population
    from .resolve import Resolved, Sampler
    from .rng import Stream, StreamFamily, Streams

INF = math.inf
#: Queue priority offset of people from a measure's reserved channels: ahead of every segment.
RESERVED_FIRST = 1_000_000


class ParticipantJourney:
    """The participant process (mixed into :class:`~amesim.sim.engine.AmeModel`)."""

    env: Environment
    r: Resolved
    streams: Streams
    pop: Population
    episodes: EpisodeLog  # an episode is its row number in this log
    participants: list[Participant]
    segments: dict[str, Resolved]
    seg_index: dict[str, int]
    channel_mix: dict[str, tuple[list[str], list[float]]]
    measures: dict[str, Resolved]
    queues: dict[str, Queue]  # by measure id
    matching: dict[str, Queue]  # by measure id
    beredning_q: dict[str, Queue]  # by unit id (dedicated beredning)
    case_q: dict[str, Queue]  # by unit id
    forum: dict  # unit id -> deque of [event, withdrawn] (samverkansforum)
    unit_active: dict[str, int]
    dropout: dict[str, float]  # drop-out rate per month, by measure id
    reserved: dict[str, tuple[frozenset[str], float]]  # measure id -> (channels first, fallback days)
    plain_duration: dict[str, Sampler | None]
    _open_case: dict[int, int]
    s_segments: StreamFamily
    s_attributes: StreamFamily
    s_support: StreamFamily
    s_deadline: StreamFamily
    s_durations: StreamFamily
    s_outcomes: StreamFamily
    s_patience: StreamFamily

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
            p.muni = int(pop.muni[row])
            if p.muni:  # the household lives in a partner municipality: the journey to the unit
                p.extra_dropout = max(self.r.partners[p.muni - 1].travel.dropout_per_month, 0.0)
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
            if first is not None and not (self._open_now(first)
                                          and self._eligible(self.measures[first], p)):
                first = None  # the measure the referrer assigns takes nobody now, or not
                # this person (its eligibility): the usual way in
            if first is None and not (yield from self._referral(p, u)):
                return
            if u.process_model == "process":
                # A process unit's track, also after a measure the referrer assigned directly
                # (it goes on after that measure if it is on the track, else from the start).
                if first is not None and (yield from self._measure(p, self.measures[first])) != "continue":
                    return
                yield from self._process_track(p, u, first)
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

    def _episode(self, p: Participant, stage: str, kind: str) -> int:
        """A new episode of ``p``, queued now; returns its number."""
        return self.episodes.open(p.id, stage, kind, self.env.now)

    def _acquire(self, p: Participant, q: Queue, kind: str, patience: float = INF):
        """Queue for ``q``; returns the started episode, or None if the person left instead."""
        ep = self._episode(p, q.id, kind)
        if q.take_if_free():  # granted at once, like an already triggered request
            self.episodes.start[ep] = self.env.now
            return ep
        granted = yield from self._wait_in(p, q, ep, patience)
        return ep if granted else None

    def _reserved_turn(self, p: Participant, mid: str, ep: int, patience: float, hold: bool):
        """A measure with reserved places (``Measure.reserved``): the queue priority of ``p``
        and the patience left. People from the reserved channels go first; anyone else first
        waits the fallback days (``hold``: not someone on the waiting list at the start), which
        uses up their patience. Returns (None, 0) if they left while waiting."""
        channels, days = self.reserved[mid]
        if p.channel in channels:
            return p.priority - RESERVED_FIRST, patience
        if hold and days > 0:
            left = p.deadline - self.env.now  # (a timeout counts as triggered: not _wait)
            limit, why = (left, "deadline") if left <= patience else (patience, "renege")
            if limit >= days:
                why = None
            yield self.env.timeout(max(min(limit, days), 0.0))
            if why is not None:
                eps = self.episodes
                p.wait_days += self.env.now - eps.queued[ep]
                eps.end[ep] = self.env.now
                eps.outcome[ep] = why
                self._leave_by(p, why, mid)
                return None, 0.0
            patience -= days
        return p.priority, patience

    def _wait_in(self, p: Participant, q: Queue, ep: int, patience: float,
                 priority: int | None = None):
        """Wait in ``q`` (nothing free now) in episode ``ep``. True when granted; False if the
        deadline or the person's patience ran out first (then they have left)."""
        req = q.request(p, p.priority if priority is None else priority)
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

    def _hold(self, p: Participant, d: float):
        """Spend ``d`` days unless the deadline comes first. True if completed."""
        left = p.deadline - self.env.now
        if left < d:
            yield self.env.timeout(max(left, 0.0))
            return False
        yield self.env.timeout(max(d, 0.0))
        return True

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
            priority = p.priority
            if self.reserved and mid in self.reserved:
                priority, patience = yield from self._reserved_turn(p, mid, ep, patience, placed is None)
                if priority is None:
                    return "exit"
            if q.take_if_free():  # granted at once (no generator for _acquire on the hot path)
                eps.start[ep] = env.now
            elif not (yield from self._wait_in(p, q, ep, patience, priority)):
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
        rate = self.dropout[mid] + p.extra_dropout
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
