"""Ids of stages and capacity pools: one home for how they are spelt and read back.

A *stage* is what an episode queues for and spends time in (the ``stage`` column of the
episodes table, the ``entity`` of queue figures): a measure's own id, or
``matchning:<measure>``, ``beredning:<unit>``, ``handlaggare:<unit>``. A *pool* is a
capacity (``capacity_log``, utilisation and occupancy): a staff pool's own id, or
``platser:<measure>`` for a measure's places. Scenario ids never hold a ``:``
(``[a-z][a-z0-9_]*``), so a prefixed id reads back unambiguously. The prefixes are also
the episode kinds, beside ``insats`` for a stay in a measure.

The engine, the tables and the report build and read ids here instead of spelling
``"platser:"`` or ``"beredning:"`` themselves.
"""

from __future__ import annotations

SEP = ":"

#: Episode kinds; all but ``MEASURE`` also prefix the ids of their stages.
BEREDNING = "beredning"
CASE_MANAGER = "handlaggare"
MATCHING = "matchning"
MEASURE = "insats"
#: Prefix of a measure's place pool.
PLACES = "platser"


def beredning_stage(unit: str) -> str:
    """A unit's beredning (dedicated staff or the samverkansforum's waiting list)."""
    return f"{BEREDNING}{SEP}{unit}"


def case_manager_stage(unit: str) -> str:
    """A unit's case managers (handläggare), held from referral to exit."""
    return f"{CASE_MANAGER}{SEP}{unit}"


def matching_stage(measure: str) -> str:
    """Matching to an external place before a measure (praktiksamordnare)."""
    return f"{MATCHING}{SEP}{measure}"


def places_pool(measure: str) -> str:
    """A measure's places as a capacity pool."""
    return f"{PLACES}{SEP}{measure}"


def split(ident: str) -> tuple[str, str]:
    """``'beredning:ame'`` -> ``('beredning', 'ame')``; an id without a prefix (a measure or
    a staff pool) -> ``('', ident)``."""
    kind, sep, rest = ident.partition(SEP)
    return (kind, rest) if sep else ("", ident)


def places_measure(pool: str) -> str | None:
    """The measure whose places ``pool`` is, or None for a staff pool."""
    kind, rest = split(pool)
    return rest if kind == PLACES else None
