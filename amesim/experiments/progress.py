"""Progress bar for long runs: replications done / total and ETA, on stderr.

Quiet unless stderr is a terminal, so logs, CI output and pipes stay clean.
"""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    """A thin wrapper over rich.progress with one bar per task (scenario)."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: Any = None
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("replications"), TimeElapsedColumn(), TextColumn("ETA"),
                TimeRemainingColumn(), console=Console(stderr=True), transient=False,
            )

    def add(self, description: str, total: int, completed: int = 0) -> int | None:
        if self._bar is None:
            return None
        return self._bar.add_task(description, total=total, completed=completed)

    def advance(self, task: int | None, n: int = 1) -> None:
        if self._bar is not None and task is not None:
            self._bar.advance(task, n)

    def update(self, task: int | None, **kw: Any) -> None:
        """E.g. ``total=`` when a precision run extends, ``description=``."""
        if self._bar is not None and task is not None:
            self._bar.update(task, **kw)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
