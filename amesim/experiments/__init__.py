"""Experiments: replications with confidence intervals, paired scenario comparison with
common random numbers, sequential precision, warm-up suggestion, sensitivity sweeps and
goal seek, and execution engines (serial, local processes, dask.distributed) that give
identical results.
"""

from .compare import comparison_table, paired_differences
from .executors import DaskEngine, Engine, ProcessEngine, SerialEngine, make_engine
from .experiment import CompareResult, compare_scenarios, run_experiment, scenario_keys
from .goalseek import GoalSeekResult, Target, goal_seek
from .precision import DEFAULT_KPIS, PrecisionResult, PrecisionRule
from .progress import Progress
from .sweep import IshigamiEvaluator, ScenarioEvaluator, SweepResult, run_sweep, scenario_factors
from .sweep_analysis import analyse_sweep
from .sweep_design import Factor, make_design
from .warmup import analyse_run, mser, remaining_trend, suggest_warmup

__all__ = [
    "DEFAULT_KPIS", "CompareResult", "DaskEngine", "Engine", "Factor", "GoalSeekResult",
    "IshigamiEvaluator", "PrecisionResult", "PrecisionRule", "ProcessEngine", "Progress",
    "ScenarioEvaluator", "SerialEngine", "SweepResult", "Target", "analyse_run", "analyse_sweep",
    "compare_scenarios", "comparison_table", "goal_seek", "make_design", "make_engine", "mser",
    "paired_differences", "remaining_trend", "run_experiment", "run_sweep", "scenario_factors",
    "scenario_keys", "suggest_warmup",
]
