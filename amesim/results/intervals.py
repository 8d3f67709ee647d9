"""Time-weighted statistics of intervals, computed from event logs (no polling).

``integral(starts, ends, weights, T)`` is the area under the step function
``sum_i w_i * [s_i <= t < e_i]`` from -inf to each T, in O((N + M) log N).
Monthly means, utilisation and occupancy are differences of it at month edges.
"""

from __future__ import annotations

import numpy as np


def integral(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray | None, T: np.ndarray) -> np.ndarray:
    s = np.asarray(starts, float)
    e = np.asarray(ends, float)
    w = np.ones_like(s) if weights is None else np.asarray(weights, float)
    T = np.asarray(T, float)
    out = np.zeros(len(T))
    for x, sign in ((s, 1.0), (e, -1.0)):
        order = np.argsort(x, kind="stable")
        xs, ws = x[order], w[order]
        cw = np.concatenate([[0.0], np.cumsum(ws)])
        cwx = np.concatenate([[0.0], np.cumsum(ws * xs)])
        k = np.searchsorted(xs, T, side="left")
        out += sign * (T * cw[k] - cwx[k])
    return out


def mean_over(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray | None, edges: np.ndarray) -> np.ndarray:
    """Mean of the step function over each period [edges[j], edges[j+1]).

    With non-negative weights the mean cannot be negative: the cancellation of the running
    sums leaves float noise of about -1e-14, clipped here so a count is never below zero.
    """
    area = np.diff(integral(starts, ends, weights, edges))
    if weights is None or not np.any(np.asarray(weights, float) < 0):
        area = np.maximum(area, 0.0)
    length = np.diff(edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(length > 0, area / length, np.nan)
