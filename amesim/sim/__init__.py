"""SimPy process code: one AME organisation, one replication at a time."""

from .replication import ReplicationResult, build_model, calendar_of, run_replication

__all__ = ["ReplicationResult", "build_model", "calendar_of", "run_replication"]
