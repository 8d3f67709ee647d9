"""Experiments: replications with confidence intervals, paired scenario comparison with
common random numbers, sequential precision, warm-up suggestion, and execution engines
(serial, local processes, dask.distributed) that give identical results.
"""

from .compare import comparison_table, paired_differences
from .executors import DaskEngine, Engine, ProcessEngine, SerialEngine, make_engine
from .experiment import CompareResult, compare_scenarios, run_experiment, scenario_keys
from .precision import DEFAULT_KPIS, PrecisionResult, PrecisionRule
from .progress import Progress
from .warmup import analyse_run, mser, remaining_trend, suggest_warmup

__all__ = [
    "DEFAULT_KPIS", "CompareResult", "DaskEngine", "Engine", "PrecisionResult", "PrecisionRule",
    "ProcessEngine", "Progress", "SerialEngine", "analyse_run", "compare_scenarios",
    "comparison_table", "make_engine", "mser", "paired_differences", "remaining_trend", "run_experiment",
    "scenario_keys", "suggest_warmup",
]
