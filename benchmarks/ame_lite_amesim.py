"""AME-lite as an amesim scenario (``benchmarks/scenarios/ame_lite*.yaml``).

The wall time is one *full* replication, ``run_replication``: resolving parameters,
simulating, and building every output table (participants, episodes, försörjningsstöd
spells, monthly statistics, costs and KPIs). ``sim_only=True`` times building and
running the SimPy model alone, for comparison.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from amesim.replication import run_replication
from amesim.scenario import Scenario
from amesim.scenario.loader import scenario_from_dict
from amesim.sim import build_model
from benchmarks.ame_lite import AmeLite, LiteResult, window_mean

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def scenario_dict(cfg: AmeLite) -> dict[str, Any]:
    """The YAML file for ``cfg.scale`` (1 or 20) with the horizon and warm-up of ``cfg``."""
    files = {1: "ame_lite.yaml", 20: "ame_lite_x20.yaml"}
    if cfg.scale not in files:
        raise ValueError(f"AME-lite scenarios exist for scale 1 and 20, not {cfg.scale}")
    data = yaml.safe_load((SCENARIOS / files[cfg.scale]).read_text(encoding="utf-8"))
    data["time"]["horizon_years"] = cfg.horizon_years
    data["time"]["warmup_days"] = cfg.warmup_days
    return data


def scenario(cfg: AmeLite) -> Scenario:
    return scenario_from_dict(scenario_dict(cfg), name=f"ame_lite x{cfg.scale}")


def run_amesim(cfg: AmeLite, seed: int, sc: Scenario | None = None, sim_only: bool = False) -> LiteResult:
    """One replication; validation of the scenario (``sc``) is done once, outside the timing."""
    sc = sc if sc is not None else scenario(cfg)
    t0 = time.perf_counter()
    if sim_only:
        model = build_model(sc, seed, 0)
        model.run()
        arrived = np.array([p.arrival for p in model.participants])
        left = np.array([np.nan if p.exit_day is None else p.exit_day for p in model.participants])
        model.close()  # freed now, as in run_replication, not by a collection in a later run
    else:
        res = run_replication(sc, seed, 0)
        arrived = res.participants["arrival_day"].to_numpy()
        left = res.participants["exit_day"].to_numpy()
    mean, n = window_mean(arrived.tolist(), left.tolist(), cfg)
    return LiteResult(mean, n, time.perf_counter() - t0, len(arrived))
