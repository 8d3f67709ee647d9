"""The episode log: every stage of every participant, kept as columns while the model runs.

An episode is one participant's stay in one stage (queued, started, ended, how it
ended). A replication logs a few per participant, and the output table wants them as
columns; so the log *is* columns: typed arrays for numbers (handed to numpy without a
copy) and lists for the few distinct strings. An episode is its row number.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np


class EpisodeRow(NamedTuple):
    """One episode read back from the log (tests and debugging; the engine writes columns)."""

    pid: int
    stage: str
    kind: str
    queued: float
    start: float
    end: float
    outcome: str


class EpisodeLog:
    """Columns of the episode log; ``open()`` adds a row and returns its number.

    The engine sets ``start[ep]``, ``end[ep]`` and ``outcome[ep]`` as the episode goes
    on: ``start``/``end`` are NaN until then, ``outcome`` is "ongoing".
    """

    __slots__ = ("pid", "stage", "kind", "queued", "start", "end", "outcome")

    def __init__(self) -> None:
        self.pid = array("q")
        self.stage: list[str] = []
        self.kind: list[str] = []
        self.queued = array("d")
        self.start = array("d")
        self.end = array("d")
        self.outcome: list[str] = []

    def open(self, pid: int, stage: str, kind: str, queued: float) -> int:
        """A new episode of participant ``pid`` that queued for ``stage`` on day ``queued``."""
        self.pid.append(pid)
        self.stage.append(stage)
        self.kind.append(kind)
        self.queued.append(queued)
        self.start.append(math.nan)
        self.end.append(math.nan)
        self.outcome.append("ongoing")
        return len(self.outcome) - 1

    def __len__(self) -> int:
        return len(self.outcome)

    def __iter__(self) -> Iterator[EpisodeRow]:
        return map(EpisodeRow._make, zip(self.pid, self.stage, self.kind, self.queued, self.start,
                                         self.end, self.outcome, strict=True))

    def numbers(self, column: str) -> np.ndarray:
        """A numeric column as a numpy array (a read-only view of the log, no copy)."""
        values = np.frombuffer(getattr(self, column), dtype=np.int64 if column == "pid" else float)
        values.flags.writeable = False
        return values
