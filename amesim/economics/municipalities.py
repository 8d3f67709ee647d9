"""KPIs per municipality of a unit shared by several (001 §5.3: Bollebygd and a neighbour).

Each household belongs to one municipality (the host, where the unit is, or a partner), and
so do its försörjningsstöd, its counterfactual and the savings the unit brings. The unit's
net cost is split by the partners' ``cost_share`` (the split key), the host paying the
rest. Per municipality ``m``: participants, new participants, försörjningsstöd paid, the
counterfactual, the savings, the share of the unit's cost and that cost, and the savings
less that cost. Summed over the municipalities they give the scenario's totals (tested).
Computed only for scenarios with ``partners``, so other scenarios' KPIs are unchanged.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from .accounting import BudgetYears, fs_cost_per_year, fs_counterfactual_per_year


class _Out(Protocol):
    def add(self, kpi: str, values: np.ndarray) -> None: ...


class _Per(Protocol):
    by: BudgetYears
    k: int

    def bin(self, x: np.ndarray) -> np.ndarray: ...
    def sum(self, idx: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray: ...
    def active(self, start: np.ndarray, end: np.ndarray) -> np.ndarray: ...


def cost_shares(r: Any) -> dict[str, float]:
    """Each municipality's share of the unit's net cost: the partners' ``cost_share`` (drawn
    for this replication), the host the rest (never below 0)."""
    partners = {pt.id: min(max(float(pt.cost_share), 0.0), 1.0) for pt in r.partners}
    return {r.host.id: max(1.0 - sum(partners.values()), 0.0), **partners}


def municipality_kpis(out: _Out, per: _Per, r: Any, participants: pd.DataFrame,
                      spells: pd.DataFrame, ame_net_cost: np.ndarray) -> None:
    """Add the per-municipality KPIs (``<kpi>_<municipality id>``) to ``out``."""
    by = per.by
    fs_idx = by.index(r.economics.fs_indexation_per_year)
    # The Kolada population, as the scenario's participant KPIs (feriejobb apart); people
    # not linked to a household on support count for the host.
    participants = participants[participants["kolada"].to_numpy(bool)]
    p_muni = participants["municipality"].astype(str).to_numpy()
    s_muni = spells["municipality"].astype(str).to_numpy()
    arrival = participants["arrival_day"].to_numpy(float)
    exit_day = participants["exit_day"].to_numpy(float)
    for mid, share in cost_shares(r).items():
        mine = p_muni == mid
        out.add(f"participants_{mid}", per.active(arrival[mine], exit_day[mine]))
        out.add(f"new_participants_{mid}", per.sum(np.where(mine, per.bin(arrival), -1)))
        sp = spells[s_muni == mid]
        fs = fs_cost_per_year(sp, by, fs_idx)
        cf = fs_counterfactual_per_year(sp, by, fs_idx)
        fs, cf = np.append(fs, fs.sum()), np.append(cf, cf.sum())
        cost = ame_net_cost * share
        out.add(f"fs_cost_sek_{mid}", fs)
        out.add(f"fs_savings_sek_{mid}", cf - fs)
        out.add(f"ame_cost_share_{mid}", np.full(per.k + 1, share))
        out.add(f"ame_net_cost_sek_{mid}", cost)
        out.add(f"net_effect_sek_{mid}", cf - fs - cost)
