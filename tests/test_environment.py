"""amesim's SimPy environment processes the same events in the same order as SimPy's."""

from __future__ import annotations

import random

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from amesim.sim.environment import Environment


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
