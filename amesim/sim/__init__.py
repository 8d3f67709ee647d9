"""SimPy process code: one AME organisation, one replication at a time."""

from ..scenario.calendar import (
    calendar_of,  # shim: remove after the report/robustness/sweeps branches merge
)
from .engine import AmeModel, build_model

__all__ = ["AmeModel", "build_model", "calendar_of"]


def __getattr__(name: str) -> object:
    """``amesim.sim.run_replication`` and ``ReplicationResult``, now in :mod:`amesim.replication`."""
    if name in ("ReplicationResult", "run_replication"):  # shim: remove after the report/robustness/sweeps branches merge
        from .. import replication

        return getattr(replication, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
