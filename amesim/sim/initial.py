"""The initial state: people already in (or queueing for) a measure on the first day."""

from __future__ import annotations

from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np

from ..scenario.checks import initial_channel, initial_mix
from . import stage_ids
from .environment import Journey
from .participant import Participant

if TYPE_CHECKING:
    from ..scenario.calendar import Calendar
    from .allocator import Queue
    from .environment import Environment
    from .episodes import EpisodeLog
    from .population import Population
    from .resolve import Resolved
    from .rng import Streams


class InitialParticipants:
    """``initial_participants`` (mixed into :class:`~amesim.sim.engine.AmeModel`)."""

    env: Environment
    r: Resolved
    cal: Calendar
    streams: Streams
    pop: Population
    episodes: EpisodeLog
    participants: list[Participant]
    segments: dict[str, Resolved]
    seg_index: dict[str, int]
    channels: dict[str, Resolved]
    units: dict[str, Resolved]
    measures: dict[str, Resolved]
    queues: dict[str, Queue]
    case_q: dict[str, Queue]
    unit_active: dict[str, int]
    _open_case: dict[int, int]

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
