"""Economics: who pays what (``costs``) and what it achieves (``kpis``), per budget year.

Both tables are computed after a replication from its event-log tables and the resolved
scenario, so parameter uncertainty (staff cost, wages, amounts) flows into the CIs.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd

from .accounting import BudgetYears, costs_table, empty_costs
from .kpis import PARTS, kpis_table, parts_for

__all__ = ["PARTS", "BudgetYears", "costs_table", "economics_tables", "kpis_table", "parts_for"]


def economics_tables(model: Any, participants: pd.DataFrame, episodes: pd.DataFrame,
                     spells: pd.DataFrame, monthly: pd.DataFrame, replication: int,
                     parts: Collection[str] = PARTS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(costs, kpis) of one finished replication of ``model`` (an AmeModel); with ``parts``
    (:func:`parts_for`) only those KPIs, and no costs table unless a part reads it."""
    costs = (costs_table(model.r, model.cal, participants, episodes, spells, replication)
             if "costs" in parts else empty_costs())
    kpis = kpis_table(model.r, model.cal, participants, episodes, spells, monthly, costs, replication, parts)
    return costs, kpis
