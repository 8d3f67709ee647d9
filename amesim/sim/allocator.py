"""Shared capacity: places and staff FTE, with priority queues, reneging and changing capacity.

SimPy's resources cannot change capacity (summer, sick leave) or take a request that needs
several resources at once (a work-arena place *and* a share of a handledare). This small
allocator does both: a :class:`Pool` holds a capacity that may change at any time; a
:class:`Queue` belongs to one stage (a measure, beredning, case management) and knows what
one participant consumes from which pools. Requests are granted strictly in (priority,
arrival) order within a queue, whenever every pool has room.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

import simpy

EPS = 1e-9


class Pool:
    __slots__ = ("id", "capacity", "used", "queues", "on_change")

    def __init__(self, ident: str, capacity: float):
        self.id = ident
        self.capacity = capacity
        self.used = 0.0
        self.queues: list[Queue] = []
        self.on_change: Callable[[Pool, float], None] | None = None


class Request(simpy.Event):
    __slots__ = ("queue", "cancelled", "owner")

    def __init__(self, env: simpy.Environment, queue: Queue, owner: object):
        super().__init__(env)
        self.queue = queue
        self.cancelled = False
        self.owner = owner


class Queue:
    """Waiting line of one stage; ``needs`` are (pool, amount per participant)."""

    __slots__ = ("id", "env", "needs", "pools", "_heap", "_seq", "waiting")

    def __init__(self, env: simpy.Environment, ident: str, needs: list[tuple[Pool, float]]):
        self.id = ident
        self.env = env
        self.needs = needs
        self.pools = [p for p, _ in needs]
        self._heap: list[tuple[int, int, Request]] = []
        self._seq = itertools.count()
        self.waiting = 0
        for pool, _ in needs:
            pool.queues.append(self)

    def fits(self) -> bool:
        for p, a in self.needs:  # noqa: SIM110 (a loop, not all(<generator>): a hot check)
            if not p.used + a <= p.capacity + EPS:
                return False
        return True

    def take_if_free(self) -> bool:
        """Take capacity at once if nobody is waiting and it fits (no event needed)."""
        if self.waiting:
            return False
        needs = self.needs
        for p, a in needs:  # fits() and _take() inlined: the hot path of every stage
            if not p.used + a <= p.capacity + EPS:
                return False
        for p, a in needs:
            p.used += a
        return True

    def request(self, owner: object, priority: int = 0) -> Request:
        req = Request(self.env, self, owner)
        if self.take_if_free():
            req.succeed()
            return req
        heapq.heappush(self._heap, (priority, next(self._seq), req))
        self.waiting += 1
        return req

    def cancel(self, req: Request) -> None:
        """Withdraw a request that has not been granted (reneging, exit while waiting)."""
        if not req.triggered and not req.cancelled:
            req.cancelled = True
            self.waiting -= 1
            # Removing the head may let the next one in.
            dispatch([self])

    def drain(self) -> list[Request]:
        """Forget every waiting request when a run has ended, and return them."""
        waiting = [req for *_, req in self._heap]
        self._heap.clear()
        return waiting

    def _take(self) -> None:
        for p, a in self.needs:
            p.used += a

    def release(self) -> None:
        for p, a in self.needs:
            p.used -= a
            if p.used < EPS:
                p.used = 0.0
        for p in self.pools:  # dispatch only if someone waits for these pools
            for q in p.queues:
                if q.waiting:
                    dispatch_pools(self.pools)
                    return

    def _grant_head(self) -> bool:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        if not self._heap or not self.fits():
            return False
        _, _, req = heapq.heappop(self._heap)
        self.waiting -= 1
        self._take()
        req.succeed()
        return True


def dispatch(queues: list[Queue]) -> None:
    """Grant as many waiting requests as capacity allows, in queue order."""
    if len(queues) == 1:  # one queue: granting in it frees nothing for another
        q = queues[0]
        while q.waiting and q._grant_head():
            pass
        return
    progress = True
    while progress:
        progress = False
        for q in queues:
            while q.waiting and q._grant_head():
                progress = True


def dispatch_pools(pools: list[Pool]) -> None:
    if len(pools) == 1:  # the common case (a queue listed twice would grant nothing more)
        dispatch(pools[0].queues)
        return
    seen: dict[int, Queue] = {}
    for p in pools:
        for q in p.queues:
            seen.setdefault(id(q), q)
    dispatch(list(seen.values()))


def set_capacity(pool: Pool, capacity: float) -> None:
    pool.capacity = capacity
    if pool.on_change is not None:
        pool.on_change(pool, capacity)
    dispatch(pool.queues)
