"""Scenario model (pure, typed, validated at load) and its YAML loader."""

from .loader import Issue, LoadedScenario, ScenarioError, load_scenario, scenario_from_dict
from .model import EXIT_REASONS, HAZARD_REASONS, Scenario
from .values import Dist, Quantity

__all__ = [
    "EXIT_REASONS", "HAZARD_REASONS", "Dist", "Issue", "LoadedScenario", "Quantity", "Scenario",
    "ScenarioError", "load_scenario", "scenario_from_dict",
]
