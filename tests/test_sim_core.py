"""Invariants of the simulation core: conservation, capacity, determinism, queueing theory."""

from __future__ import annotations

import gc
import math
import types
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from amesim.replication import run_replication
from amesim.scenario import load_scenario, scenario_from_dict
from amesim.scenario.calendar import horizon_days
from amesim.sim import build_model
from amesim.sim.allocator import EPS

from .scenario_factory import base_dict, mmc_dict, scenarios

FIXTURE = "tests/fixtures/small.yaml"
EXITS = {"arbete", "studier", "annan_myndighet", "slutfort_uppdrag", "annat", "krom"}


def capacity_at(log: list[tuple[float, str, float]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    by: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for t, pool, c in log:
        by[pool].append((t, c))
    return {p: (np.array([t for t, _ in v]), np.array([c for _, c in v])) for p, v in by.items()}


def check_invariants(model) -> None:  # noqa: ANN001 - AmeModel
    """Every arrival is in the system or has exited once; nobody in two places; no overbooking."""
    end = model.cal.end
    ps = model.participants
    assert [p.id for p in ps] == list(range(len(ps))), "a participant's id is its place in the log"
    eps = defaultdict(list)
    for e in model.episodes:
        eps[e.pid].append(e)
    t0 = model.cal.t0
    for p in ps:
        # Initial participants began their measure before the start; everyone else arrives after.
        assert (p.arrival <= t0) if p.initial else (t0 <= p.arrival < end)
        if p.exit_day is None:
            assert p.exit_reason is None
        else:
            assert p.exit_reason in EXITS
            assert p.arrival <= p.exit_day <= end
        # Stages other than the case manager (held alongside measures) never overlap in time.
        seq = [e for e in eps[p.id] if e.kind != "handlaggare"]  # in log order
        last = p.arrival
        open_count = 0
        for e in seq:
            assert e.queued >= last - 1e-9, "a participant is in two places at once"
            finish = e.end if not math.isnan(e.end) else math.inf
            if math.isnan(e.end):
                open_count += 1
            if not math.isnan(e.start):
                assert e.queued <= e.start <= finish
            last = finish
            if p.exit_day is not None:
                assert finish <= p.exit_day + 1e-9, "activity after exit"
        # Still in the system <=> exactly one open stage (or waiting in a forum queue).
        if p.exit_day is None:
            assert open_count <= 1
        else:
            assert open_count == 0
    # Capacity: at every start, what is in use fits what was available at that moment.
    caps = capacity_at(model.capacity_log)
    intervals: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for e in model.episodes:
        if math.isnan(e.start):
            continue
        stop = e.end if not math.isnan(e.end) else math.inf
        for pool, amount in model.stage_needs.get(e.stage, []):
            intervals[pool].append((e.start, stop, amount))
    for pool, iv in intervals.items():
        ts, cs = caps[pool]
        starts = np.array([a for a, _, _ in iv])
        stops = np.array([b for _, b, _ in iv])
        amounts = np.array([w for _, _, w in iv])
        for t in np.unique(np.maximum(starts, t0)):  # capacity exists from t0 on
            in_use = amounts[(starts <= t) & (stops > t)].sum()
            cap = cs[np.searchsorted(ts, t, side="right") - 1]
            assert in_use <= cap + 1e-6 + EPS * len(iv), f"{pool} over capacity at day {t}: {in_use} > {cap}"
    # Households: a spell nobody in the AME was linked to ends exactly at its counterfactual
    # end; a linked one ends later only if its participants were in a measure with lock-in
    # (a hazard ratio below 1), the only way the AME can keep a household on support longer.
    pop = model.pop
    n = pop.n
    assert np.all(pop.end[:n] >= pop.start[:n] - 1e-9)
    untouched = (pop.linked[:n] < 0) & (pop.origin[:n] != 3)  # 3: a return after an AME exit
    assert np.array_equal(pop.end[:n][untouched], pop.cf_end[:n][untouched])
    lock_in = {mid for mid, e in model.effects.items() if e is not None and (e[0] < 1 or e[3] < 1)}
    # (rounding: an end recomputed as t + (end - t) may differ by an ulp of a huge end)
    later = np.flatnonzero(pop.end[:n] > pop.cf_end[:n] + 1e-6 + 1e-12 * np.abs(pop.cf_end[:n]))
    by_household: dict[int, set[str]] = defaultdict(set)
    for p in model.participants:
        if p.household >= 0:
            by_household[p.household] |= set(p.path)
    for row in later:
        assert by_household[int(pop.household[row])] & lock_in, \
            f"spell {row} ends after its counterfactual end without any lock-in measure"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_conservation_property(d):
    s = scenario_from_dict(d)
    m = build_model(s, seed=11, replication=0)
    m.run()
    check_invariants(m)


def test_fixture_invariants_and_tables():
    s = load_scenario(FIXTURE).scenario
    m = build_model(s, seed=5, replication=2)
    m.run()
    check_invariants(m)
    res = run_replication(s, 5, 2)
    p = res.participants
    assert len(p) == len(m.participants) > 50
    assert set(p["exit_reason"].dropna()) <= EXITS
    assert (p["exit_day"].isna() == p["exit_reason"].isna()).all()
    assert {"replication", "participant_id", "channel", "segment", "arrival_day", "exit_day",
            "exit_reason", "path"} <= set(p.columns)
    mon = res.monthly
    assert {"in_stage", "queue", "utilisation", "fs_households"} <= set(mon["metric"])
    assert mon["month"].min() == pd.Timestamp("2021-01-01")


def test_determinism_same_seed_same_tables():
    s = load_scenario(FIXTURE).scenario
    a, b = run_replication(s, 42, 3), run_replication(s, 42, 3)
    for name in ("participants", "episodes", "fs_spells", "monthly"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = run_replication(s, 43, 3)
    assert not a.participants["arrival_day"].equals(c.participants["arrival_day"])


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    rho = a / c
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (s + top)
    return p_wait / (c * mu - lam)


@pytest.mark.slow
def test_mmc_mean_wait_matches_erlang_c():
    lam, mean_s, c = 1.0, 2.5, 3
    s = scenario_from_dict(mmc_dict(lam, mean_s, c, years=8))
    waits = []
    for rep in range(8):
        ep = run_replication(s, 7, rep).episodes
        ep = ep[(ep["stage"] == "service") & ep["start_day"].notna() & (ep["queue_day"] > 30)]
        waits.append((ep["start_day"] - ep["queue_day"]).mean())
    w = np.array(waits)
    half = 2.365 * w.std(ddof=1) / np.sqrt(len(w))  # t(0.975, 7)
    expected = erlang_c_wait(lam, 1 / mean_s, c)
    assert abs(w.mean() - expected) <= half + 0.02 * expected, (w.mean(), half, expected)


def test_littles_law_on_stages():
    s = load_scenario(FIXTURE).scenario
    res = run_replication(s, 3, 0)
    ep = res.episodes
    end = horizon_days(s.time.start_date, s.time.horizon_years)
    mon = res.monthly
    days = mon[mon["metric"] == "in_stage"].groupby("month").size().index
    lengths = np.diff([*(d.to_pydatetime().date() for d in days), pd.Timestamp("2023-01-01").date()])
    weights = np.array([x.days for x in lengths], float)
    for stage in ("kartlaggning", "coaching", "arena"):
        st = ep[(ep["stage"] == stage) & ep["start_day"].notna()]
        a = st["start_day"].clip(lower=0, upper=end)
        b = st["end_day"].fillna(end).clip(lower=0, upper=end)
        area = (b - a).clip(lower=0).sum()
        # L from the monthly table (time-weighted), lambda*W from the episodes.
        series = mon[(mon["metric"] == "in_stage") & (mon["entity"] == stage)]["value"].to_numpy()
        in_system = float(np.dot(series, weights) / weights.sum())
        assert in_system == pytest.approx(area / end, rel=1e-6)
        inside = st[(st["start_day"] >= 0) & st["end_day"].notna()]
        lam = len(inside) / end
        wait = (inside["end_day"] - inside["start_day"]).mean()
        assert in_system == pytest.approx(lam * wait, rel=0.25), stage


def test_no_ame_means_counterfactual_support():
    d = base_dict()
    d["population"].update(initial_households=50, inflow_per_month=5)
    d["channels"][0]["rate_per_month"] = 0
    d["segments"][0]["baseline_exit_per_month"] = 0.1
    m = build_model(scenario_from_dict(d), 1, 0)
    m.run()
    assert m.participants == []
    pop = m.pop
    assert pop.n > 50
    assert np.array_equal(pop.end[: pop.n], pop.cf_end[: pop.n])


def test_common_random_numbers_shared_structure():
    """Changing staff leaves arrivals and household draws untouched (CRN)."""
    s1 = load_scenario(FIXTURE).scenario
    d = s1.model_dump(mode="json", exclude_none=True)
    d["staff"][0]["fte"] = {"value": 2.0}
    s2 = scenario_from_dict(d)
    a, b = run_replication(s1, 9, 0), run_replication(s2, 9, 0)
    af = lambda r: r.participants.query("channel == 'af'")["arrival_day"].to_numpy()  # noqa: E731
    assert np.array_equal(af(a), af(b))
    ini = lambda r: r.fs_spells.query("origin == 'initial' and piece == 0")["cf_end_day"].to_numpy()  # noqa: E731
    assert np.array_equal(ini(a), ini(b))


def test_staff_absence_reduces_capacity_in_summer():
    s = load_scenario(FIXTURE).scenario
    m = build_model(s, 2, 0)
    m.run()
    caps = capacity_at(m.capacity_log)
    ts, cs = caps["handlaggare"]
    summer = [(a, b) for a, b in m.cal.summers()]
    inside = [c for t, c in zip(ts, cs, strict=True) if any(a <= t < b for a, b in summer)]
    assert inside and min(inside) < 3.0
    assert max(cs) == pytest.approx(3.0)


def test_horizon_counts_whole_calendar_years():
    """5 years from 2016-01-01 include both leap days: the last budget year is complete."""
    import datetime as dt

    assert horizon_days(dt.date(2016, 1, 1), 5) == (dt.date(2021, 1, 1) - dt.date(2016, 1, 1)).days == 1827
    assert horizon_days(dt.date(2021, 1, 1), 5) == 1826
    assert horizon_days(dt.date(2020, 2, 29), 1) == 365  # to 28 February 2021
    assert horizon_days(dt.date(2021, 1, 1), 0.5) == 183  # a fractional rest: 365.25 a year


@settings(max_examples=200, deadline=None)
@given(
    base=hst.floats(-5, 50),
    changes=hst.lists(hst.tuples(hst.floats(-400, 4000), hst.floats(-5, 50)), max_size=4),
    trend=hst.sampled_from([0.0, 0.03, -0.1]),
    months=hst.one_of(hst.none(), hst.sets(hst.integers(1, 12), min_size=1)),
    window=hst.one_of(hst.none(), hst.tuples(hst.floats(-400, 2000), hst.floats(0, 4000))),
)
def test_schedule_on_grid_equals_pointwise(base, changes, trend, months, window) -> None:
    """Arrival generation evaluates schedules as arrays; they must equal the day-by-day
    function (changes in the given order, trend, months, a channel's start/end window)."""
    import datetime as dt

    from amesim.scenario.calendar import Calendar
    from amesim.sim.resolve import ScheduleFn, WindowedSchedule

    cal = Calendar(dt.date(2021, 1, 1), 365.0, 3652.0, "06-15", "08-15")
    f = ScheduleFn(base, changes, trend, months, cal)
    if window is not None:
        f = WindowedSchedule(f, *window)  # as AmeModel._channel_rate builds a channel's rate
    days = np.concatenate([np.arange(-365.0, 3652.0, 7.0), np.random.default_rng(1).uniform(-365, 3652, 300)])
    assert f.on_grid(days).tolist() == [f(d) for d in days]


def model_garbage(run) -> list[object]:
    """Objects of amesim, SimPy or a suspended generator that ``run()`` left in reference
    cycles: kept alive until a garbage collection, which then traverses the whole log."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.disable()
    try:
        run()
        gc.collect()
        found = list(gc.garbage)
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    return [o for o in found if isinstance(o, types.GeneratorType)
            or type(o).__module__.split(".")[0] in ("amesim", "simpy")]


def test_replication_frees_its_model_without_garbage_collection():
    # Seeds 0-5 include runs that end with people waiting in queues (a generator suspended on
    # a request: a cycle through the request's callbacks unless close() breaks it).
    s = load_scenario(FIXTURE).scenario
    for seed in range(6):
        assert model_garbage(lambda seed=seed: run_replication(s, seed, 0)) == []


@pytest.mark.slow  # 13-24 s: 40 scenarios, each checked for garbage
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_closed_model_leaves_no_reference_cycles(d):
    s = scenario_from_dict(d)

    def run() -> None:
        m = build_model(s, seed=3, replication=0)
        m.run()
        m.close()

    assert model_garbage(run) == []


def test_result_tables_are_writable():
    """Users edit result tables (tables are built without copying where the arrays are fresh,
    and the episode log's columns are read-only views: they must not leak into a table)."""
    res = run_replication(load_scenario(FIXTURE).scenario, 1, 0)
    for name, df in res.tables().items():
        for col in df.columns:
            if len(df) and pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
                df.loc[df.index[0], col] = 0
                assert df[col].iloc[0] == 0, (name, col)
