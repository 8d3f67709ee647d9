"""The package version: one home, read by the package, the CLI, run.json and pyproject.toml."""

__version__ = "0.1.0"
