"""Run one replication of a scenario and return its tables."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from ..scenario.model import Scenario
from .calendar import Calendar, horizon_days
from .engine import AmeModel, paused_gc
from .resolve import resolve
from .rng import Streams


def calendar_of(s: Scenario) -> Calendar:
    t = s.time
    return Calendar(
        start_date=t.start_date,
        warmup_days=t.warmup_days,
        horizon_days=horizon_days(t.start_date, t.horizon_years),
        summer_start=t.summer.start,
        summer_end=t.summer.end,
    )


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


def build_model(scenario: Scenario, seed: int, replication: int, uncertainty: bool = True,
                drawn: dict[str, float] | None = None) -> AmeModel:
    cal = calendar_of(scenario)
    streams = Streams(seed, replication)
    r = resolve(scenario, streams, cal, uncertainty, drawn)
    return AmeModel(r, cal, streams)


def run_replication(scenario: Scenario, seed: int, replication: int,
                    uncertainty: bool = True) -> ReplicationResult:
    """Simulate replication ``replication`` of ``scenario``; identical for identical inputs."""
    from ..economics import economics_tables
    from ..results.tables import episodes_table, fs_spells_table, monthly_table, participants_table

    t0 = time.perf_counter()
    drawn: dict[str, float] = {}
    # One pause of the cyclic garbage collector for the whole replication, and the model
    # dropped before it resumes: the collector then meets the model's objects once, as
    # garbage, instead of tracing them after every phase and in later full collections.
    with paused_gc():
        model = build_model(scenario, seed, replication, uncertainty, drawn)
        model.run()
        parts = participants_table(model, replication)
        eps = episodes_table(model, replication)
        spells = fs_spells_table(model, replication)
        monthly = monthly_table(model, replication, parts, eps, spells)
        costs, kpis = economics_tables(model, parts, eps, spells, monthly, replication)
        model.close()  # no reference cycles left: freed here, not by a later collection
        del model
    wall = time.perf_counter() - t0
    return ReplicationResult(replication, parts, eps, spells, monthly, drawn, wall, costs=costs, kpis=kpis)
