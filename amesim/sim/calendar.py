from ..scenario.calendar import DAYS_PER_MONTH, Calendar, calendar_of, horizon_days  # noqa: F401  # shim: remove after the report/robustness/sweeps branches merge
