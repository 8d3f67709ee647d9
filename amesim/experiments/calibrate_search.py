"""The two searches of ``amesim calibrate`` over a :class:`~.calibrate.Problem`.

Both start with the same first stage, a scrambled Sobol design over the prior box
(scipy.stats.qmc, seeded), evaluated in parallel; it also fixes the weights (the
simulation's own sd per target, :meth:`Problem.fix_weights`).

* ``optimize``: simulated method of moments. From the best design point, scipy's bounded
  Nelder-Mead (derivative-free) minimises the sum of squared standardised errors. With
  common random numbers the objective is deterministic, and a rerun replays the same
  sequence of points from the evaluation cache.
* ``abc``: approximate Bayesian computation by importance sampling with an adaptive
  proposal (population Monte Carlo, Beaumont et al. 2009). The kernel is Gaussian with the
  targets' own uncertainty as bandwidth, ``exp(-J/2)``; the prior is uniform on the box.
  Generation 0 is the Sobol design; each later generation draws from a mixture of
  truncated normals around the weighted points so far (diagonal covariance, twice the
  weighted variance). Every evaluation keeps its place in the sample, weighted by
  kernel / (deterministic-mixture proposal density), so nothing computed is wasted.
  pyabc was considered: it brings its own samplers and database (SQLAlchemy, redis for
  distribution) and cannot run on amesim's engines or resume from amesim's store, which
  this transparent version does in ~100 lines.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Any

import numpy as np
from scipy import optimize, stats
from scipy.stats import qmc

from .calibrate import Evaluation, Problem


def first_stage_size(k: int, budget: int) -> int:
    """Sobol points of the first stage: a power of two, about 4 per parameter (>= 8),
    at most half the budget."""
    n = 2 ** math.ceil(math.log2(max(8, 4 * k)))
    while n > max(4, budget // 2):
        n //= 2
    return n


def sobol(k: int, n: int, seed: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance properties need 2^m points
        return qmc.Sobol(k, scramble=True, seed=seed).random(n)


@dataclasses.dataclass
class SearchResult:
    method: str
    best: Evaluation
    fitted: dict[str, float]
    message: str
    posterior: Any = None          # DataFrame for abc: parameters, weight, generation
    details: dict[str, Any] = dataclasses.field(default_factory=dict)


def run_optimize(problem: Problem, max_evaluations: int) -> SearchResult:
    k = len(problem.params)
    n0 = first_stage_size(k, max_evaluations)
    design = problem.evaluate(sobol(k, n0, problem.seed))
    problem.fix_weights(design)
    start = min(design, key=lambda e: e.objective)
    x0 = problem.unit_of(start.values)
    step = 0.15
    simplex = np.array([x0] + [np.clip(x0 + step * np.eye(k)[i] * (1 if x0[i] < 0.5 else -1), 0, 1)
                               for i in range(k)])
    left = max(max_evaluations - n0, 0)
    msg = "first stage only (no evaluations left for the optimiser)"
    if left > 0:
        def f(u: np.ndarray) -> float:
            return problem.evaluate([np.clip(u, 0, 1)])[0].objective

        res = optimize.minimize(f, x0, method="Nelder-Mead", bounds=[(0.0, 1.0)] * k,
                                options={"maxfev": left, "initial_simplex": simplex,
                                         "xatol": 1e-3, "fatol": 1e-3})
        msg = f"Nelder-Mead: {res.message}"
    best = min(problem.evaluations, key=lambda e: (e.objective, e.index))
    # Evaluations that are as good within the chi-square(k) 95 % band: an approximate
    # confidence set of the evaluated points (coarse; abc gives a proper posterior).
    band = best.objective + stats.chi2.ppf(0.95, k)
    near = [e for e in problem.evaluations if e.objective <= band]
    ranges = {p.path: (min(e.values[p.path] for e in near), max(e.values[p.path] for e in near))
              for p in problem.params}
    return SearchResult("optimize", best, dict(best.values), msg,
                        details={"first_stage": n0, "confidence_set": ranges,
                                 "confidence_set_points": len(near)})


# --------------------------------------------------------------------------- abc


def _proposal_params(units: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mixture of normals around the weighted points: centres, weights, common sd."""
    w = w / w.sum()
    mean = w @ units
    var = w @ (units - mean) ** 2
    sd = np.sqrt(np.maximum(2 * var, 0.02 ** 2))
    keep = w > 1e-8 * w.max()
    return units[keep], w[keep] / w[keep].sum(), sd


def _density(x: np.ndarray, centres: np.ndarray, w: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Density of the truncated-normal mixture on [0, 1]^k at the rows of x."""
    z = stats.norm.cdf((1 - centres) / sd) - stats.norm.cdf(-centres / sd)   # (m, k)
    norm = np.prod(z, axis=1)                                                # (m,)
    dens = np.zeros(len(x))
    for c, wc, nc in zip(centres, w, norm, strict=True):
        dens += wc * np.prod(stats.norm.pdf((x - c) / sd) / sd, axis=1) / max(nc, 1e-300)
    return dens


def _draw(centres: np.ndarray, w: np.ndarray, sd: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, centres.shape[1]))
    for i in range(n):
        for _ in range(1000):
            x = centres[rng.choice(len(centres), p=w)] + sd * rng.standard_normal(len(sd))
            if np.all((x >= 0) & (x <= 1)):
                break
        out[i] = np.clip(x, 0, 1)
    return out


def abc_weights(problem: Problem, gens: list[tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray] | None]]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Importance weights of every evaluation: kernel exp(-J/2) / mixture proposal density
    (deterministic mixture over the generations; generation 0 is uniform on the box)."""
    evs = problem.evaluations
    units = np.array([problem.unit_of(e.values) for e in evs])
    total = sum(n for n, _ in gens)
    q = np.zeros(len(evs))
    for n, prop in gens:
        q += (n / total) * (np.ones(len(evs)) if prop is None else _density(units, *prop))
    j = np.array([e.objective for e in evs])
    kern = np.exp(-(j - j.min()) / 2)
    return units, kern / np.maximum(q, 1e-300)


def run_abc(problem: Problem, max_evaluations: int, generations: int = 3) -> SearchResult:
    import pandas as pd

    k = len(problem.params)
    generations = max(1, min(generations, max_evaluations // 4))
    per_gen = max(4, max_evaluations // generations)
    problem.fix_weights(problem.evaluate(sobol(k, per_gen, problem.seed)))
    gens: list[tuple[int, Any]] = [(per_gen, None)]
    for g in range(1, generations):
        units, w = abc_weights(problem, gens)
        prop = _proposal_params(units, w)
        rng = np.random.default_rng([problem.seed, 7919, g])
        problem.evaluate(_draw(*prop, per_gen, rng))
        gens.append((per_gen, prop))
    units, w = abc_weights(problem, gens)
    w = w / w.sum()
    ess = float(1 / np.sum(w ** 2))
    keep = w >= 1e-4 * w.max()
    df = pd.DataFrame([{"evaluation": e.index, **e.values} for e in problem.evaluations])
    df["objective"] = [e.objective for e in problem.evaluations]
    df["weight"] = w
    post = df[keep].copy()
    post["weight"] = post["weight"] / post["weight"].sum()
    mean = {p.path: float(np.sum(post[p.path] * post["weight"])) for p in problem.params}
    # The posterior mean on the evaluation grid (4 significant digits, integers rounded), so
    # fitted.yaml holds exactly the point the fit table was simulated at.
    best = problem.evaluate([problem.unit_of(mean)])[0]
    return SearchResult("abc", best, dict(best.values), f"{generations} generations of {per_gen} points",
                        posterior=post.reset_index(drop=True),
                        details={"ess": round(ess, 1), "generations": generations,
                                 "points_per_generation": per_gen, "kept": int(keep.sum())})


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    x, w = np.asarray(x)[order], np.asarray(w)[order]
    c = np.cumsum(w) - 0.5 * w
    c /= np.sum(w)
    return float(np.interp(q, c, x))
