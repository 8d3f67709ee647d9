"""amesim: discrete-event simulation of Swedish municipal labour-market units (AME).

Python API (the CLI wraps these thinly)::

    import amesim
    loaded = amesim.load_scenario("scenarios/bollebygd.yaml")
    tables = amesim.simulate(loaded, replications=5, seed=1)   # dict of DataFrames
    amesim.run_to_dir(loaded, "outputs/x", replications=30)    # parquet + run.json
"""

__version__ = "0.1.0"

from .runner import run_to_dir, simulate  # noqa: E402
from .scenario import ScenarioError, load_scenario  # noqa: E402
from .sim import run_replication  # noqa: E402

__all__ = ["ScenarioError", "__version__", "load_scenario", "run_replication", "run_to_dir", "simulate"]
