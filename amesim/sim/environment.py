"""SimPy internals in one room: a leaner environment and process runner, same events, same order.

Every participant resumption goes through ``Environment.run``/``step``/``schedule`` and
reads ``env.now``: in SimPy that is a property, a ``step()`` call with exception set-up
per event and a ``schedule()`` call per timeout. :class:`Environment` keeps SimPy's
calendar (the same heap of ``(time, priority, id, event)``), so events are processed in
exactly the same order and SimPy's own events (processes, conditions, requests) work
unchanged; it only makes ``now`` a plain attribute, runs the loop inline and builds
timeouts directly. :class:`Journey` runs a generator as ``env.process`` does, without
the Process event nobody waits for; :func:`paused_gc` keeps the cyclic garbage collector
out of a run. Everything here leans on SimPy 4.1's internals (``_queue``, ``_eid``,
``Initialize``, ``BoundClass``, ``_ok``/``_value``/``_defused``), hence the pinned version.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from heapq import heappop, heappush
from types import MethodType
from typing import Any

import simpy
from simpy.core import BoundClass
from simpy.events import NORMAL, Event, Initialize, Timeout


class Environment(simpy.Environment):
    """``simpy.Environment`` with ``now`` as an attribute and ``run(until=day)`` inlined."""

    now: float = 0.0  # shadows SimPy's property: the instance attribute below is read instead

    def __init__(self, initial_time: float = 0.0):
        super().__init__(initial_time)
        self.now = initial_time
        # SimPy binds its event classes to the instance only for its own class; do it here
        # too, or every env.process(...) would build a bound method first.
        for name, obj in simpy.Environment.__dict__.items():
            if type(obj) is BoundClass and name not in Environment.__dict__:
                setattr(self, name, getattr(self, name))

    def timeout(self, delay: float, value: Any = None) -> Timeout:  # type: ignore[override]
        """``simpy.Timeout(self, delay, value)``, built without its two calls."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        ev = Timeout.__new__(Timeout)
        ev.env = self
        ev.callbacks = []
        ev._value = value
        ev._delay = delay
        ev._ok = True
        heappush(self._queue, (self.now + delay, NORMAL, next(self._eid), ev))
        return ev

    def event(self) -> Event:  # type: ignore[override]
        return Event(self)

    def run(self, until: float) -> None:  # type: ignore[override]
        """Process every event before day ``until`` and stop there.

        What ``simpy.Environment.run(until=...)`` does: its stop event is urgent at
        ``until`` and scheduled before anything else at that time, so exactly the events
        before ``until`` run. A failed event nobody defused raises, as in SimPy.
        """
        at = float(until)
        if at <= self.now:
            raise ValueError(f"until ({at}) must be greater than the current time ({self.now})")
        queue = self._queue
        while queue and queue[0][0] < at:
            now, _, _, event = heappop(queue)
            self._now = self.now = now
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                exc = type(event._value)(*event._value.args)
                exc.__cause__ = event._value
                raise exc
        self._now = self.now = at

    def scheduled(self) -> list[Event]:
        """The events still on the calendar, in heap order (a finished run's leftovers)."""
        return [event for *_, event in self._queue]

    def close(self) -> None:
        """Drop the calendar and the event classes bound to this environment (SimPy's
        ``bind_early``: each holds the environment, a reference cycle), so a finished
        environment is freed by reference counting. It cannot run again."""
        self._queue.clear()
        for name, value in list(vars(self).items()):
            if isinstance(value, MethodType) and value.__self__ is self:
                delattr(self, name)


def release_waiters(events: Iterable[Event]) -> None:
    """Forget who waits for these pending events, and for the conditions and processes
    waiting on them in turn, when a run has ended.

    A process (or a :class:`Journey`) suspended on ``req | timeout``
    is a reference cycle: its generator holds the condition, whose callbacks hold the
    process. Left alone, such a cycle keeps the whole model alive until a garbage
    collection, which then traverses every participant and episode logged. Dropping the
    callbacks breaks the cycles; the suspended generators are then closed and freed.
    """
    stack = list(events)
    while stack:
        event = stack.pop()
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks or ():
            waiter = getattr(callback, "__self__", None)
            if isinstance(waiter, Event) and waiter.callbacks is not None:
                stack.append(waiter)  # a condition or process: whoever waits on it


class _InitializeDone:
    """Stands for a processed Initialize event: a journey started at once gets None."""

    __slots__ = ()
    _ok = True
    _value = None


_STARTED = _InitializeDone()


class Journey:
    """Runs one participant's generator exactly as ``env.process`` would, minus the Process
    event itself.

    A :class:`simpy.Process` is also an event that fires when its generator ends, so other
    processes can wait for it. Nobody waits for a participant, so that event (scheduled and
    popped once per participant) is dropped; the generator starts on the same urgent
    ``Initialize`` event and is resumed on the same events in the same order as a Process.
    A failed event is thrown into the generator, as SimPy does.

    ``now=True`` starts the generator at once instead of on an Initialize event (one event
    less per arrival): for a participant created by an arrival process that does nothing
    else at that instant, this is the same order, because the urgent Initialize would have
    been the next event processed anyway. (Only simultaneous arrivals could interleave
    differently: each person now starts before the next is created; their draws come from
    separate streams.)
    """

    __slots__ = ("env", "_generator")

    def __init__(self, env: simpy.Environment, generator: Iterator[simpy.Event], now: bool = False):
        self.env = env
        self._generator = generator
        if now:  # start at once, as if its Initialize event were the next one processed
            self._resume(_STARTED)
        else:
            Initialize(env, self)  # type: ignore[arg-type]  (it only needs ``_resume``)

    def _resume(self, event: simpy.Event) -> None:
        gen = self._generator
        while True:
            try:
                if event._ok:
                    event = gen.send(event._value)
                else:
                    event._defused = True
                    event = gen.throw(type(event._value)(*event._value.args))
            except StopIteration:
                return
            if event.callbacks is not None:  # not processed yet: resume when it is
                event.callbacks.append(self._resume)
                return


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector.

    A run leaves no cyclic garbage (reference counting frees finished processes), but the
    collector would keep traversing every participant and episode kept for the log: a third
    of the run time at 80,000 participants. Building the tables from that log is alike.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
