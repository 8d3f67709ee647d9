"""amesim's SimPy environment processes the same events in the same order as SimPy's."""

from __future__ import annotations

import random

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from amesim.sim.environment import Environment, Journey


def _trace(env: simpy.Environment, seed: int, until: float) -> list[tuple[float, str]]:
    """A small model using timeouts, resources, conditions, interrupts and plain events;
    its log of (time, what) depends on the exact order of simultaneous events."""
    rng = random.Random(seed)
    log: list[tuple[float, str]] = []
    res = simpy.Resource(env, capacity=2)
    signal = env.event()

    def worker(i: int):
        try:
            with res.request() as req:
                got = yield req | env.timeout(rng.choice([0.0, 1.0, 2.5]))
                log.append((env.now, f"w{i} {'got' if req in got else 'gave up'}"))
                if req in got:
                    yield env.timeout(rng.choice([0.0, 1.0, 1.5]))
            if i == 3:
                signal.succeed(i)
            log.append((env.now, f"w{i} done"))
        except simpy.Interrupt as e:
            log.append((env.now, f"w{i} interrupted {e.cause}"))

    def waiter():
        v = yield signal
        log.append((env.now, f"signal {v}"))

    def source():
        procs = []
        for i in range(8):
            yield env.timeout(rng.choice([0.0, 0.5, 1.0]))
            procs.append(env.process(worker(i)))
        yield env.timeout(1.0)
        for p in procs:
            if p.is_alive:
                p.interrupt("stop")

    env.process(waiter())
    env.process(source())
    env.run(until=until)
    log.append((env.now, "end"))
    return log


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), until=st.sampled_from([1.0, 2.5, 4.0, 30.0]))
def test_same_trace_as_simpy(seed: int, until: float) -> None:
    assert _trace(Environment(), seed, until) == _trace(simpy.Environment(), seed, until)


def test_run_stops_before_events_at_until_and_sets_now() -> None:
    env = Environment(initial_time=-5.0)
    seen: list[float] = []

    def p():
        for d in (1.0, 4.0, 5.0, 1.0):
            yield env.timeout(d)
            seen.append(env.now)

    env.process(p())
    env.run(until=5.0)  # the event at exactly 5.0 waits, as in SimPy
    assert seen == [-4.0, 0.0] and env.now == 5.0
    env.run(until=6.0)
    assert seen == [-4.0, 0.0, 5.0] and env.now == 6.0


def test_undefused_failure_raises_and_bad_arguments_are_refused() -> None:
    env = Environment()
    env.event().fail(RuntimeError("boom"))
    with pytest.raises(RuntimeError, match="boom"):
        env.run(until=1.0)
    with pytest.raises(ValueError, match="Negative delay"):
        env.timeout(-1.0)
    with pytest.raises(ValueError, match="until"):
        env.run(until=env.now)


# --------------------------------------------------------------------------- Journey

Step = tuple


def _delay(n: int, offset: bool) -> float:
    """n/8 days, plus 1/1024 with ``offset``: then no worker event falls on a whole day
    (at most 32 offsets add up), where the spawner's events are."""
    return n / 8 + (1 / 1024 if offset else 0.0)


_steps = st.one_of(
    st.tuples(st.just("hold"), st.integers(0, 16)),
    st.tuples(st.just("request"), st.integers(0, 16), st.integers(0, 16)),
    st.tuples(st.just("wait"), st.integers(0, 2), st.integers(0, 16)),
    st.tuples(st.just("fire"), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("sub"), st.integers(0, 16)),
)
_workers = st.lists(st.tuples(st.integers(0, 4), st.lists(_steps, min_size=1, max_size=4)),
                    min_size=1, max_size=8)


def _journey_trace(env: simpy.Environment, workers: list[tuple[int, list[Step]]], start: str,
                   offset: bool) -> list[tuple]:
    """Run ``workers`` (spawn gap, steps) started by a spawner process with ``start``:
    'process' (env.process), 'journey' (Journey on an Initialize event) or 'now'
    (Journey started at once). The log is each resumption: (time, worker, step, what it got)."""
    log: list[tuple] = []
    res = simpy.Resource(env, capacity=1)
    signals = [env.event() for _ in range(3)]

    def sub(i: int, d: float):
        yield env.timeout(d)
        v = yield env.timeout(d, value=f"sub{i}")
        return v

    def worker(i: int, steps: list[Step]):
        log.append((env.now, i, "start"))
        for k, step in enumerate(steps):
            kind = step[0]
            if kind == "hold":
                v = yield env.timeout(_delay(step[1], offset), value=k)
                log.append((env.now, i, k, v))
            elif kind == "request":
                with res.request() as req:
                    got = yield req | env.timeout(_delay(step[1], offset))
                    log.append((env.now, i, k, req in got))
                    if req in got:
                        yield env.timeout(_delay(step[2], offset))
                        log.append((env.now, i, k, "released"))
            elif kind == "wait":
                ev = signals[step[1]]
                try:
                    got = yield ev | env.timeout(_delay(step[2], offset))
                    v = ev in got and got[ev]
                    # a failed signal's value is its exception: compare it by type and text
                    log.append((env.now, i, k, repr(v) if isinstance(v, BaseException) else v))
                except ValueError as e:  # the signal failed: thrown in here, as SimPy does
                    log.append((env.now, i, k, f"failed {e}"))
            elif kind == "fire":
                ev = signals[step[1]]
                if not ev.triggered:
                    if step[2]:
                        ev.succeed(i)
                    else:
                        ev.fail(ValueError(f"by {i}"))
                log.append((env.now, i, k, "fired"))
            else:
                v = yield from sub(i, _delay(step[1], offset))
                log.append((env.now, i, k, v))
        log.append((env.now, i, "end"))

    def spawner():
        for i, (gap, steps) in enumerate(workers):
            if gap:
                yield env.timeout(gap if offset else gap / 4)
            if start == "process":
                env.process(worker(i, steps))
            else:
                Journey(env, worker(i, steps), now=start == "now")

    env.process(spawner())
    try:
        env.run(until=200.0)
    except ValueError as e:  # a failed signal nobody waited for: raised by run, in both
        log.append((env.now, "raised", str(e)))
    return log


@settings(max_examples=150, deadline=None)
@given(workers=_workers, lean=st.booleans())
def test_journey_gives_the_same_trace_as_a_process(workers, lean: bool) -> None:
    """A Journey on an Initialize event is resumed on the same events in the same order
    as ``env.process`` (simultaneous spawns and ties included), on either environment."""
    make = Environment if lean else simpy.Environment
    assert (_journey_trace(make(), workers, "journey", offset=False)
            == _journey_trace(make(), workers, "process", offset=False))


@settings(max_examples=150, deadline=None)
@given(workers=_workers.map(lambda ws: [(max(gap, 1), steps) for gap, steps in ws]))
def test_journey_started_at_once_gives_the_same_trace_when_nothing_else_happens_then(workers) -> None:
    """``now=True`` is the same order as a process when the spawner starts one journey at
    an instant and none of the journey's events falls on the spawner's next instant (the
    arrival process's case; see Journey's docstring for what can differ otherwise)."""
    assert (_journey_trace(Environment(), workers, "now", offset=True)
            == _journey_trace(Environment(), workers, "process", offset=True))


def test_journey_trace_tells_apart_the_order_of_simultaneous_events() -> None:
    """The comparisons above can fail: a journey started at once whose event falls on the
    spawner's next instant is resumed before the spawner there, a process after it."""
    workers = [(1, [("hold", 2)]), (1, [("hold", 2)])]  # spawns at 0.25 and 0.5, holds 0.25
    now = _journey_trace(Environment(), workers, "now", offset=False)
    process = _journey_trace(Environment(), workers, "process", offset=False)
    assert process[:2] == [(0.25, 0, "start"), (0.5, 1, "start")]
    assert now[:2] == [(0.25, 0, "start"), (0.5, 0, 0, 0)]
