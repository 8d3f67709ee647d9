"""Economics: who pays what (``costs``) and what it achieves (``kpis``), per budget year.

Both tables are computed after a replication from its event-log tables and the resolved
scenario, so parameter uncertainty (staff cost, wages, amounts) flows into the CIs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .accounting import BudgetYears, costs_table
from .kpis import kpis_table

__all__ = ["BudgetYears", "costs_table", "economics_tables", "kpis_table"]


def economics_tables(model: Any, participants: pd.DataFrame, episodes: pd.DataFrame,
                     spells: pd.DataFrame, monthly: pd.DataFrame,
                     replication: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(costs, kpis) of one finished replication of ``model`` (an AmeModel)."""
    costs = costs_table(model.r, model.cal, participants, episodes, spells, replication)
    kpis = kpis_table(model.r, model.cal, participants, episodes, spells, monthly, costs, replication)
    return costs, kpis
