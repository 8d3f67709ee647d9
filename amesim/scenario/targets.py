"""Calibration target files: observed figures to hold a scenario against (pure data).

A target file (``calibration/<family or source>.yaml``) lists figures a seed reports for
an organisation, each with the KPI and period it corresponds to, how sure the source is
and where it comes from::

    scenario: ../scenarios/gr2013_kungsbacka.yaml   # the scenario they describe
    source: "004 Kommunala arbetsmarknadsinsatser i Göteborgsregionen 2013"
    targets:
      - kpi: participants
        period: 2013
        value: 368
        uncertainty: {relative_sd: 0.1}
        source: "004 Avslutade deltagare KAS/Kolada 2013"
      - kpi: fs_long_term_households
        period: 2021
        value: 59                                   # persons, as the seed counts them
        conversion:                                 # persons -> households
          factor: {range: [0.6, 0.9], source: "assumption: ..."}
          what: "long-term persons -> households"
        uncertainty: {sd: 6}
        source: "001 §6"
    parameters:                                     # what `amesim calibrate` may fit
      segments.langt_fran.baseline_exit_per_month:
        range: [0.01, 0.05]
        source: "assumption: why this is free and why this range"

``uncertainty`` is exactly one of ``sd`` (absolute, in the KPI's unit after conversion),
``relative_sd`` (a share of the value) or ``interval: [low, high]`` (a 95 % interval, so
sd = (high - low) / 3.92). A ``conversion`` says how a figure the seed counts in other
units (persons where the model counts households) maps onto the KPI: the model value is
``value x factor``, and the factor's own uncertainty is added to the target's
(:attr:`Target.sd`). Whether ``kpi`` is a real KPI id can only be known from a run; the
calibration checks it after the first evaluation.

Errors name the file, line and field path (:class:`~.loader.ScenarioError`), like
scenario files, and the loader's limits on file size and depth apply.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from .loader import Issue, ScenarioError, _compose, _lookup, dotted
from .values import Quantity, Source, Strict

_PERIOD = re.compile(r"^(total|\d{4})$")


class Uncertainty(Strict):
    """How sure the source is: exactly one of ``sd``, ``relative_sd`` or ``interval``."""

    sd: float | None = Field(None, gt=0, description="Standard deviation in the KPI's unit.")
    relative_sd: float | None = Field(None, gt=0, le=5, description="Standard deviation as a share of the value.")
    interval: tuple[float, float] | None = Field(None, description="A 95 % interval [low, high].")
    source: Source

    @model_validator(mode="after")
    def _one(self) -> Uncertainty:
        given = [k for k in ("sd", "relative_sd", "interval") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of sd, relative_sd or interval: [low, high] "
                             f"(got {', '.join(given) or 'none'})")
        if self.interval is not None and not self.interval[0] < self.interval[1]:
            raise ValueError("interval: low must be below high")
        return self


class Conversion(Strict):
    """A seed figure in other units than the KPI: model value = value x factor."""

    factor: Quantity = Field(description="Multiplier from the seed's unit to the KPI's, with its uncertainty.")
    what: str = Field(min_length=1, description="What is converted, e.g. 'persons -> households'.")

    @field_validator("factor")
    @classmethod
    def _positive(cls, q: Quantity) -> Quantity:
        if _span_low(q) <= 0:
            raise ValueError("a conversion factor must be positive")
        return q


class TargetSpec(Strict):
    """One observed figure."""

    id: str | None = Field(None, description="Name of the target (default '<kpi>:<period>').")
    kpi: str = Field(min_length=1, description="KPI id (docs/kpis.md).")
    period: str = Field(description="A year ('2013') or 'total'.")
    value: float = Field(description="The observed figure, in the seed's unit.")
    uncertainty: Uncertainty
    conversion: Conversion | None = None
    source: str = Field(min_length=1, description="Seed file and table or section.")
    note: str | None = None

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            v = str(v)
        if isinstance(v, str) and not _PERIOD.match(v):
            raise ValueError("expected a year such as 2013, or 'total'")
        return v


class TargetFile(Strict):
    scenario: str | None = Field(None, description="The scenario these figures describe, relative to this file.")
    source: str = Field(min_length=1, description="The seed document.")
    description: str | None = None
    targets: list[TargetSpec] = Field(min_length=1)
    parameters: dict[str, Quantity] = Field(
        default_factory=dict,
        description="Parameters `amesim calibrate` fits by default: PATH -> {range: [low, high], source}. "
        "Each needs a range (its prior) and a source (load_targets checks both, naming the PATH's line).")


def _parameter_problems(spec: TargetFile, pos: Any, file: str) -> list[Issue]:
    """A calibrated parameter needs its prior (``range``) and why it is free (``source``)."""
    out = []
    for path, q in spec.parameters.items():
        f, line = _lookup(("parameters", path), pos, file)
        if q.range is None:
            out.append(Issue(f, line, f"parameters.{path}",
                             "a calibrated parameter needs range: [low, high] (its prior), not a fixed value"))
        if not q.source:
            out.append(Issue(f, line, f"parameters.{path}.source",
                             "say why it is free and where the range comes from (source)"))
    return out


def _span_low(q: Quantity) -> float:
    if q.value is not None:
        return q.value
    if q.range is not None:
        return q.range[0]
    if q.triangular is not None:
        return q.triangular[0]
    assert q.normal is not None
    return q.normal[0] - 2 * q.normal[1]


def quantity_sd(q: Quantity) -> float:
    """Standard deviation of a Quantity's distribution (0 for a fixed value)."""
    if q.range is not None:
        return (q.range[1] - q.range[0]) / math.sqrt(12)
    if q.triangular is not None:
        a, c, b = q.triangular
        return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18)
    if q.normal is not None:
        return q.normal[1]
    return 0.0


@dataclass(frozen=True)
class Target:
    """A target ready for fitting: the observed value in the KPI's unit and its sd."""

    id: str
    kpi: str
    period: str
    observed: float
    sd: float
    source: str
    spec: TargetSpec
    line: int | None
    file: str
    index: int


def _model_value(t: TargetSpec) -> tuple[float, float]:
    """Observed value and sd in the KPI's unit (conversion applied, delta method)."""
    u = t.uncertainty
    if u.sd is not None:
        sd = u.sd
    elif u.relative_sd is not None:
        sd = u.relative_sd * abs(t.value)
    else:
        assert u.interval is not None
        sd = (u.interval[1] - u.interval[0]) / 3.92
    if t.conversion is None:
        return t.value, sd
    f, f_sd = t.conversion.factor.point, quantity_sd(t.conversion.factor)
    return t.value * f, math.sqrt((f * sd) ** 2 + (t.value * f_sd) ** 2)


@dataclass(frozen=True)
class LoadedTargets:
    path: Path
    spec: TargetFile
    targets: list[Target]

    @property
    def scenario_path(self) -> Path | None:
        return (self.path.parent / self.spec.scenario).resolve() if self.spec.scenario else None


def _issues(err: ValidationError, pos: Any, file: str) -> list[Issue]:
    out = []
    for e in err.errors():
        loc = tuple(x for x in e["loc"] if isinstance(x, int | str) and not str(x).startswith("function-"))
        f, line = _lookup(loc, pos, file)
        out.append(Issue(f, line, dotted(loc), e["msg"].removeprefix("Value error, ")))
    return out


def load_targets(path: str | Path) -> LoadedTargets:
    """Read and validate a target file; :class:`ScenarioError` names file, line and path."""
    p = Path(path)
    data, pos = _compose(p)
    try:
        spec = TargetFile.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_issues(err, pos, str(p))) from None
    problems, seen, targets = _parameter_problems(spec, pos, str(p)), {}, []
    for i, t in enumerate(spec.targets):
        tid = t.id or f"{t.kpi}:{t.period}"
        f, line = _lookup(("targets", i), pos, str(p))
        if tid in seen:
            problems.append(Issue(f, line, f"targets[{i}]", f"target {tid!r} is already given at "
                                  f"targets[{seen[tid]}]; give one of them another id"))
        seen.setdefault(tid, i)
        observed, sd = _model_value(t)
        targets.append(Target(tid, t.kpi, t.period, observed, sd, t.source, t, line, f, i))
    if spec.scenario and not (p.parent / spec.scenario).is_file():
        f, line = _lookup(("scenario",), pos, str(p))
        problems.append(Issue(f, line, "scenario", f"scenario file {spec.scenario!r} not found "
                              f"(looked in {p.parent})"))
    if problems:
        raise ScenarioError(problems)
    return LoadedTargets(p, spec, targets)


def target_issue(t: Target, message: str) -> Issue:
    """An issue about one target, pointing at its line (for KPI ids checked after a run)."""
    return Issue(t.file, t.line, f"targets[{t.index}].kpi", message)
