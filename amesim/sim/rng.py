"""Random streams: one SeedSequence per replication, one named stream per random process.

Streams are keyed by name, not by creation order, so two scenarios run with the same seed
draw the same numbers for every process they share (common random numbers), however many
other processes either of them has.
"""

from __future__ import annotations

import zlib

import numpy as np

_BLOCK = 512


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def seed_sequence(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, _key(name)))


class Stream:
    """A named random stream with buffered uniforms/exponentials (scalar draws are hot)."""

    __slots__ = ("gen", "_u", "_ui", "_e", "_ei")

    def __init__(self, seed: int, replication: int, name: str):
        self.gen = np.random.Generator(np.random.PCG64(seed_sequence(seed, replication, name)))
        self._u: list[float] = []
        self._ui = 0
        self._e: list[float] = []
        self._ei = 0

    def random(self) -> float:
        if self._ui >= len(self._u):
            self._u = self.gen.random(_BLOCK).tolist()
            self._ui = 0
        v = self._u[self._ui]
        self._ui += 1
        return v

    def exponential(self, mean: float) -> float:
        if self._ei >= len(self._e):
            self._e = self.gen.standard_exponential(_BLOCK).tolist()
            self._ei = 0
        v = self._e[self._ei]
        self._ei += 1
        return v * mean

    def choice(self, cumulative: list[float]) -> int:
        """Index drawn with probabilities given as a cumulative list ending at the total."""
        u = self.random() * cumulative[-1]
        for i, c in enumerate(cumulative):
            if u < c:
                return i
        return len(cumulative) - 1


class Streams:
    """Lazily created named streams for one replication."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._streams: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        s = self._streams.get(name)
        if s is None:
            s = self._streams[name] = Stream(self.seed, self.replication, name)
        return s

    def family(self, prefix: str) -> StreamFamily:
        """The streams ``prefix + key`` as a dict keyed by ``key`` (created on first use):
        ``durations[m.id]`` in the hot path instead of formatting ``f"durations:{m.id}"``."""
        return StreamFamily(self, prefix)

    def uniform_for(self, name: str) -> float:
        """One uniform number for a named parameter (parameter uncertainty)."""
        return float(np.random.Generator(np.random.PCG64(seed_sequence(self.seed, self.replication, "param:" + name))).random())


class StreamFamily(dict):
    """Streams sharing a name prefix, keyed by the rest of the name; the same streams as
    ``streams[prefix + key]`` (a stream is keyed by its full name, not by who asks)."""

    def __init__(self, streams: Streams, prefix: str):
        super().__init__()
        self.streams, self.prefix = streams, prefix

    def __missing__(self, key: str) -> Stream:
        s = self[key] = self.streams[self.prefix + key]
        return s
