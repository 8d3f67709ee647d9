from ..replication import ReplicationResult, build_model, run_replication  # noqa: F401  # shim: remove after the report/robustness/sweeps branches merge
from ..scenario.calendar import calendar_of  # noqa: F401  # shim: remove after the report/robustness/sweeps branches merge
