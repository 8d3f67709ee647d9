"""amesim: discrete-event simulation of Swedish municipal labour-market units (AME).

Python API (the CLI wraps these thinly)::

    import amesim
    loaded = amesim.load_scenario("scenarios/bollebygd.yaml")
    tables = amesim.simulate(loaded, replications=5, seed=1)   # dict of DataFrames
    amesim.run_to_dir(loaded, "outputs/x", replications=30)    # parquet + run.json
    amesim.compare_scenarios(["base.yaml", "alt.yaml"], "outputs/cmp", replications=30)
    amesim.run_experiment(loaded, "outputs/y", precision=amesim.PrecisionRule(0.05))
"""

from .experiments import (
    PrecisionRule,
    compare_scenarios,
    make_engine,
    paired_differences,
    run_experiment,
)
from .replication import run_replication
from .runner import run_to_dir, simulate
from .scenario import ScenarioError, load_scenario
from .version import __version__

__all__ = [
    "PrecisionRule", "ScenarioError", "__version__", "compare_scenarios", "load_scenario",
    "make_engine", "paired_differences", "run_experiment", "run_replication", "run_to_dir",
    "simulate",
]
