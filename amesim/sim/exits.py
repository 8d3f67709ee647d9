"""A participant's exit from the AME: what becomes of the household's support, returns
to support after an AME-caused exit, job retention (with IPS) and status 6 months on."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..scenario.calendar import DAYS_PER_MONTH

if TYPE_CHECKING:
    from .environment import Environment
    from .episodes import EpisodeLog
    from .participant import Participant
    from .population import Population
    from .resolve import Resolved
    from .rng import Stream

LEAVES_SUPPORT = ("arbete", "studier", "annan_myndighet")
#: Exit causes that are the household's own exit (its clock ran out): support ends.
OWN_EXIT = ("baseline", "effekt")


class Exits:
    """Exit handling (mixed into :class:`~amesim.sim.engine.AmeModel`)."""

    env: Environment
    r: Resolved
    pop: Population
    episodes: EpisodeLog
    end: float
    unit_active: dict[str, int]
    re_referral: tuple[float, int]  # (days until a household may be referred again, most assignments)
    s_after_exit: Stream
    _ips_used: int  # IPS places taken now
    _open_case: dict[int, int]  # participant id -> their case-manager episode

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
                p.consume(now)
                p.in_measure = False  # interrupted inside a measure (KROM): no after-effect
                pop.set_end(row, p.support_end(now))
                if pop.end[row] > now:
                    after, most = self._partner_re_referral(int(pop.muni[row]))
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
                            household=np.array([p.household]), amount=np.array([pop.amount[p.fs_row]]),
                            muni=int(pop.muni[p.fs_row]))
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
