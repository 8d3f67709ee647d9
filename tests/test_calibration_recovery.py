"""Recovery (issue 13): simulate with known parameter values, take the simulated KPIs as
the observed figures, calibrate back from the prior box, and find the known values.

The "observed" figures are the means of 20 replications with another seed than the
calibration's (so the calibration never sees the same random numbers), with the sd of
that mean as their uncertainty. optimize must land within 10 % of each prior range of
the truth; abc's 90 % credible interval must contain it and be narrower than the prior.
Slow (~15-20 s each on one core), still run in CI.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from amesim.experiments.calibrate import CalParam
from amesim.replication import run_replication
from amesim.scenario import load_scenario
from amesim.scenario.paths import with_values

from .test_calibration import AF, LANGT, SCENARIO, calibrate, target, write_targets

pytestmark = pytest.mark.slow

TRUE = {AF: 6.0, LANGT: 0.045}
PRIOR = [CalParam(AF, 2, 10), CalParam(LANGT, 0.01, 0.08)]
KPIS = ("participants", "new_participants", "exits", "share_arbete", "exits_per_participant",
        "fs_households", "days_in_programme_mean", "fs_months_per_household", "fs_long_term_households")
OBSERVED_REPLICATIONS = 20


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("recovery")
    truth = with_values(load_scenario(SCENARIO).scenario, TRUE, source="test: the known values")
    rows = pd.concat([run_replication(truth, 99, r).kpis for r in range(OBSERVED_REPLICATIONS)])
    rows = rows[rows["period"] == "2021"]
    targets = []
    for kpi in KPIS:
        v = rows.loc[rows["kpi"] == kpi, "value"].to_numpy(float)
        targets.append(target(kpi, float(v.mean()), float(v.std(ddof=1) / np.sqrt(len(v)))))
    return write_targets(tmp / "targets.yaml", targets)


def test_optimize_recovers_the_known_values(observed: Path) -> None:
    res = calibrate(observed.parent, "optimize", observed, PRIOR, replications=8, max_evaluations=24, seed=1)
    for p in PRIOR:
        error = abs(res.meta["fitted"][p.path] - TRUE[p.path]) / (p.high - p.low)
        assert error < 0.10, (p.path, res.meta["fitted"][p.path], TRUE[p.path])
    assert res.meta["targets_fitted"] == res.meta["targets_total"] == len(KPIS)
    assert res.meta["identifiability"]["weak"] == []


def test_abc_credible_set_contains_the_known_values(observed: Path) -> None:
    res = calibrate(observed.parent, "abc", observed, PRIOR, method="abc", replications=8,
                    max_evaluations=36, seed=1)
    pars = res.params.set_index("parameter")
    for p in PRIOR:
        low, high = pars.loc[p.path, "low"], pars.loc[p.path, "high"]
        assert pars.loc[p.path, "interval"] == "90 % posterior"
        assert low <= TRUE[p.path] <= high, (p.path, low, high, TRUE[p.path])
        assert high - low < 0.5 * (p.high - p.low)   # the data narrowed the prior
    post = pd.read_parquet(res.out_dir / "posterior.parquet")
    assert post["weight"].sum() == pytest.approx(1.0)
