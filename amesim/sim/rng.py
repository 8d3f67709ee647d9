"""Random streams: one SeedSequence per replication, one named stream per random process.

Streams are keyed by name, not by creation order, so two scenarios run with the same seed
draw the same numbers for every process they share (common random numbers), however many
other processes either of them has.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Callable, Iterator
from itertools import chain

import numpy as np

_BLOCK = 512


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def seed_sequence(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=seed, spawn_key=(replication, _key(name)))


def _blocks(draw: Callable[[int], np.ndarray]) -> Iterator[array]:
    """Blocks of ``_BLOCK`` numbers, each drawn only when the previous one is used up.

    A block is a typed array (8 bytes a number; its iterator makes each Python float as
    it is used), not a list of floats (32 bytes a number, all made at once): a
    replication has a stream per staff member, most of which draw a handful of numbers.
    """
    while True:
        block = array("d")
        block.frombytes(draw(_BLOCK).tobytes())
        yield block


class Stream:
    """A named random stream with buffered uniforms/exponentials (scalar draws are hot).

    ``random()`` and the exponentials are ``__next__`` of a chain of buffered blocks: one
    C call per draw, no Python frame. A block is drawn from ``gen`` when the previous one
    is used up, so the numbers are those of drawing ``_BLOCK`` at a time on demand.
    """

    __slots__ = ("gen", "random", "_exp")

    def __init__(self, seed: int, replication: int, name: str):
        self.gen = np.random.Generator(np.random.PCG64(seed_sequence(seed, replication, name)))
        #: A uniform number in [0, 1).
        self.random: Callable[[], float] = chain.from_iterable(_blocks(self.gen.random)).__next__
        self._exp: Callable[[], float] = chain.from_iterable(_blocks(self.gen.standard_exponential)).__next__

    def exponential(self, mean: float) -> float:
        return self._exp() * mean

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
