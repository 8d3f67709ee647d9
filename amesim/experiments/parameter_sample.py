"""Feed a calibration's parameter sample into run/compare (``--parameters DIR``).

Parameter uncertainty from a calibration reaches the final intervals: each replication
draws one parameter set from the posterior (abc: ``posterior.parquet``, weighted) or
takes the fitted point (optimize: ``calibration.json``), and runs with it set like
``--set``. The draw depends only on the seed and the replication number
(``numpy.random.default_rng([seed, replication, SALT])``), so every executor runs the
same sets; a comparison gives replication r of every
scenario the same set (common random numbers).

The scenario the run is claimed with carries each calibrated parameter at its weighted
posterior mean with a source naming the sample (its file and content hash), so the
run's fingerprint changes with the sample, a resume with another sample is refused, and
the report's assumptions table shows where the values come from. ``parameters.parquet``
has the set each replication drew.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..replication import ReplicationResult, run_replication
from ..scenario import LoadedScenario, Scenario
from ..scenario.paths import lookup, with_values
from .executors import Engine

#: Keeps the posterior draws' random stream apart from the simulation's.
SALT = 0x5A3F1E
_NOT_PARAMETERS = {"evaluation", "objective", "weight", "generation"}


class ParameterSampleError(ValueError):
    """A --parameters argument that is not a calibration's output (exit 2 in the CLI)."""


@dataclasses.dataclass(frozen=True)
class ParameterSample:
    """Parameter sets (rows) over ``paths`` with weights summing to 1."""

    source: Path
    kind: str                 # "posterior" or "fitted point"
    paths: tuple[str, ...]
    values: np.ndarray        # (sets, parameters)
    weights: np.ndarray       # (sets,)
    sha256: str

    def draw(self, seed: int, replication: int) -> dict[str, float]:
        """The set replication ``replication`` of a run with ``seed`` uses."""
        if len(self.weights) == 1:
            i = 0
        else:
            i = int(np.random.default_rng([seed, replication, SALT]).choice(len(self.weights), p=self.weights))
        return {p: float(v) for p, v in zip(self.paths, self.values[i], strict=True)}

    def mean(self) -> dict[str, float]:
        return {p: float(v) for p, v in zip(self.paths, self.weights @ self.values, strict=True)}

    def note(self, shown: str = "the weighted mean") -> str:
        """The source written on each calibrated value (``shown``: which value it carries)."""
        n = f"{len(self.weights)} weighted sets" if self.kind == "posterior" else "one point"
        return (f"calibrated: each replication draws from {self.source.as_posix()} ({self.kind}, {n}, "
                f"sha256 {self.sha256[:12]}); shown: {shown}")

    def drawn(self, scenario: Scenario, seed: int, replication: int,
              keep: frozenset[str] = frozenset()) -> tuple[Scenario, dict[str, float]]:
        """``scenario`` with the set drawn for (seed, replication), except the ``keep`` paths
        (a sweep's swept parameters keep the point's value); and the values set."""
        values = {k: v for k, v in self.draw(seed, replication).items() if k not in keep}
        if not values:
            return scenario, values
        return with_values(scenario, values, self.note("this replication's draw")), values

    def describe(self) -> dict[str, Any]:
        return {"file": str(self.source), "kind": self.kind, "sets": len(self.weights),
                "sha256": self.sha256, "parameters": list(self.paths), "mean": self.mean()}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_parameter_sample(path: str | Path) -> ParameterSample:
    """A calibration folder, its ``posterior.parquet`` or its ``calibration.json``."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    meta_path = folder / "calibration.json"
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as e:
            raise ParameterSampleError(f"{meta_path}: not readable JSON ({e})") from None
    posterior = p if p.is_file() and p.suffix == ".parquet" else folder / "posterior.parquet"
    if p.is_file() and p.suffix not in (".parquet", ".json"):
        raise ParameterSampleError(f"{p}: give a calibration folder (amesim calibrate --out), its "
                                   "posterior.parquet or calibration.json; a fitted.yaml is a scenario "
                                   "and runs as one (amesim run fitted.yaml)")
    if posterior.is_file() and not (p.is_file() and p.name == "calibration.json"):
        df = pd.read_parquet(posterior)
        paths = [c for c in df.columns if c not in _NOT_PARAMETERS]
        if "weight" not in df.columns or not paths or df.empty:
            raise ParameterSampleError(f"{posterior}: not a calibration posterior (needs parameter "
                                       "columns and 'weight')")
        w = df["weight"].to_numpy(float)
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise ParameterSampleError(f"{posterior}: weights must be finite, non-negative, not all 0")
        return ParameterSample(posterior, "posterior", tuple(paths), df[paths].to_numpy(float),
                               w / w.sum(), _sha(posterior))
    if meta.get("kind") == "calibration" and isinstance(meta.get("fitted"), dict):
        fitted = meta["fitted"]
        return ParameterSample(meta_path, "fitted point", tuple(fitted),
                               np.array([[float(v) for v in fitted.values()]]), np.ones(1), _sha(meta_path))
    raise ParameterSampleError(f"{p}: no posterior.parquet or finished calibration.json there; give the "
                               "--out folder of a finished `amesim calibrate`")


def load_and_apply(loaded_list: list[LoadedScenario], path: str | Path,
                   ) -> tuple[list[LoadedScenario], ParameterSample]:
    """``--parameters PATH`` for any command: the sample, and each scenario at its weighted
    mean (:func:`apply_sample`); says on stderr what is drawn. Raises ParameterSampleError
    or PathError (exit 2 in the CLI)."""
    sample = load_parameter_sample(path)
    print(f"parameters: {sample.kind} from {sample.source} ({len(sample.weights)} sets, "
          f"{len(sample.paths)} parameters), drawn per replication", file=sys.stderr)
    return [apply_sample(ld, sample) for ld in loaded_list], sample


def apply_sample(loaded: LoadedScenario, sample: ParameterSample) -> LoadedScenario:
    """``loaded`` with the sample's weighted mean set, each value's source naming the sample
    (the base every replication's draw replaces)."""
    for path in sample.paths:
        lookup(loaded.scenario, path, allow_unset=True)   # PathError (exit 2) if not in this scenario
    scenario = with_values(loaded.scenario, sample.mean(), sample.note(), name=str(loaded.files[-1]),
                           describe=f"--parameters {sample.source}")
    return dataclasses.replace(loaded, scenario=scenario)


def _run_drawn(_shared: Any, scenario: Scenario, sample: ParameterSample, seed: int,
               replication: int, uncertainty: bool) -> ReplicationResult:
    """Top-level (picklable) task: one replication with its drawn parameter set."""
    drawn, values = sample.drawn(scenario, seed, replication)
    res = run_replication(drawn, seed, replication, uncertainty)
    res.parameters.update(values)
    return res


class SampledEngine(Engine):
    """Wraps an engine: each replication runs with the set the sample draws for it."""

    def __init__(self, inner: Engine, sample: ParameterSample):
        self.inner, self.sample = inner, sample
        self.name, self.workers = inner.name, inner.workers

    def __call__(self, scenario: Scenario, seed: int, reps: list[int],
                 uncertainty: bool = True) -> Iterator[ReplicationResult]:
        tasks = ((scenario, self.sample, seed, r, uncertainty) for r in reps)
        yield from self.inner.map_unordered(_run_drawn, tasks)

    def map_unordered(self, *args: Any, **kw: Any) -> Iterator[Any]:
        return self.inner.map_unordered(*args, **kw)

    def describe(self) -> dict[str, Any]:
        return {**self.inner.describe(), "parameters_from": self.sample.describe()}

    def close(self) -> None:
        self.inner.close()
