"""Run one replication of a scenario and return its tables.

The one place that drives the layers in order: build and run the model (:mod:`.sim`),
the event-log tables (:mod:`.results`), costs and KPIs (:mod:`.economics`). It stands
above them all, so none of them needs to import upwards.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field

import pandas as pd

from .economics import economics_tables, parts_for
from .results.tables import (
    empty_monthly,
    episodes_table,
    fs_spells_table,
    monthly_table,
    participants_table,
)
from .scenario.model import Scenario
from .sim import build_model
from .sim.environment import paused_gc


@dataclass
class ReplicationResult:
    replication: int
    participants: pd.DataFrame
    episodes: pd.DataFrame
    fs_spells: pd.DataFrame
    monthly: pd.DataFrame
    parameters: dict[str, float] = field(default_factory=dict)
    wall_seconds: float = 0.0
    costs: pd.DataFrame = field(default_factory=pd.DataFrame)
    kpis: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of this replication by output name (parameters as a table too)."""
        params = pd.DataFrame({
            "replication": self.replication,
            "parameter": list(self.parameters),
            "value": list(self.parameters.values()),
        })
        return {
            "participants": self.participants,
            "episodes": self.episodes,
            "fs_spells": self.fs_spells,
            "monthly": self.monthly,
            "costs": self.costs,
            "kpis": self.kpis,
            "parameters": params,
        }


class _Phases:
    """Wall time of each phase into ``timings`` (seconds by phase name), if one is given."""

    def __init__(self, timings: dict[str, float] | None):
        self.timings = timings
        self.last = time.perf_counter()

    def done(self, phase: str) -> None:
        if self.timings is not None:
            now = time.perf_counter()
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.last
            self.last = now


def run_replication(scenario: Scenario, seed: int, replication: int,
                    uncertainty: bool = True, timings: dict[str, float] | None = None,
                    kpis: Collection[str] | None = None) -> ReplicationResult:
    """Simulate replication ``replication`` of ``scenario``; identical for identical inputs.

    ``timings``: a dict that receives the seconds spent in each phase (build, run, the
    tables, economics, close), for benchmarks/phases.py. ``kpis``: compute only what these
    KPIs need (sweeps, goal seek, calibration): the KPI table holds them and the KPIs
    computed with them, each the value a full replication gives; the monthly and costs
    tables are empty unless one of them reads it.
    """
    parts = parts_for(kpis)
    t0 = time.perf_counter()
    drawn: dict[str, float] = {}
    # One pause of the cyclic garbage collector for the whole replication, and the model
    # dropped before it resumes: the collector then meets the model's objects once, as
    # garbage, instead of tracing them after every phase and in later full collections.
    with paused_gc():
        phase = _Phases(timings)
        model = build_model(scenario, seed, replication, uncertainty, drawn)
        phase.done("build")
        model.run()
        phase.done("run")
        people = participants_table(model, replication)
        phase.done("participants")
        eps = episodes_table(model, replication)
        phase.done("episodes")
        spells = fs_spells_table(model, replication)
        phase.done("fs_spells")
        monthly = (monthly_table(model, replication, people, eps, spells) if "monthly" in parts
                   else empty_monthly())
        phase.done("monthly")
        costs, kpi_rows = economics_tables(model, people, eps, spells, monthly, replication, parts)
        phase.done("costs_kpis")
        model.close()  # no reference cycles left: freed here, not by a later collection
        del model
        phase.done("close")
    wall = time.perf_counter() - t0
    return ReplicationResult(replication, people, eps, spells, monthly, drawn, wall, costs=costs, kpis=kpi_rows)
