"""SimPy process code: one AME organisation, one replication at a time.

Driving a replication end to end (build → run → tables → economics) is one layer up, in
:mod:`amesim.replication`; the calendar is the scenario layer's (:mod:`amesim.scenario.calendar`).
"""

from .engine import AmeModel, build_model

__all__ = ["AmeModel", "build_model"]
