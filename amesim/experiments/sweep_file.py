"""Sweep files: a sweep written down (``amesim sweep sweep.yaml``), with sources.

Example::

    scenario: ../scenarios/bollebygd.yaml     # relative to this file
    method: sobol                             # oat | grid | lhs | sobol | morris
    samples: 256
    replications: 10
    kpis: [net_municipal_cost_sek, fs_long_term_households]
    vary:
      measures.vi_coachning.hazards_per_month.arbete:
        range: [0.02, 0.06]
        source: "assumption: coaching's effect 10-30 % (DOMAIN.md)"
      staff.handlaggare.fte: {triangular: [2, 3, 4], source: "budget options 2022"}
    vary_all_uncertain: false                 # also every range/distribution of the scenario
    set: {measures.praktik.places: 10}        # fixed overrides, like --set

Each ``vary`` entry is written like any scenario Quantity: ``range`` (uniform),
``triangular`` or ``normal``, plus ``source``. Options on the command line override the
file's (``--method``, ``--samples``, ``-n``, ``--kpi``, ``--seed``), and ``--vary`` adds to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from ..scenario.loader import Issue, ScenarioError, _compose, _lookup, dotted
from ..scenario.values import Quantity, Strict
from .sweep_design import Method


class SweepFile(Strict):
    scenario: str = Field(description="Scenario file, relative to the sweep file.")
    method: Method | None = None
    samples: int | None = Field(None, ge=2)
    replications: int | None = Field(None, ge=1)
    seed: int | None = None
    kpis: list[str] | None = None
    period: str | None = None
    vary: dict[str, Quantity] = Field(default_factory=dict)
    vary_all_uncertain: bool = False
    set: dict[str, float] = Field(default_factory=dict)


def is_sweep_file(path: str | Path) -> bool:
    """A sweep file names a ``scenario``; a scenario file has ``time``, ``population``..."""
    try:
        data, _ = _compose(Path(path))
    except ScenarioError:
        return False
    return isinstance(data, dict) and "scenario" in data and "time" not in data


def load_sweep_file(path: str | Path) -> tuple[SweepFile, Path]:
    """The validated sweep file and the scenario path it names (resolved)."""
    p = Path(path)
    data, pos = _compose(p)
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as err:
        issues = []
        for e in err.errors():
            loc = tuple(x for x in e["loc"] if isinstance(x, int | str) and not str(x).startswith("function-"))
            f, line = _lookup(loc, pos, str(p))
            issues.append(Issue(f, line, dotted(loc), e["msg"].removeprefix("Value error, ")))
        raise ScenarioError(issues) from None
    scenario = (p.parent / spec.scenario).resolve()
    if not scenario.is_file():
        f, line = _lookup(("scenario",), pos, str(p))
        raise ScenarioError([Issue(f, line, "scenario", f"scenario file {spec.scenario!r} not found "
                                                       f"(looked in {p.parent})")])
    return spec, scenario


def describe(spec: SweepFile) -> dict[str, Any]:
    return spec.model_dump(mode="json", exclude_none=True)
