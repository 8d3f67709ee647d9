"""The scenario's vocabulary: ids, exit reasons, and the kinds of channels, measures,
payers and staff roles (Kolada/KAS categories and the seeds' terms)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import Field

Id = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]*$", description="Identifier: lower case, digits, underscore."),
]

#: Kolada/KAS exit categories (004) plus interruption by Arbetsförmedlingen's KROM (002, 003).
ExitReason = Literal["arbete", "studier", "annan_myndighet", "slutfort_uppdrag", "annat", "krom"]
EXIT_REASONS: tuple[str, ...] = (
    "arbete", "studier", "annan_myndighet", "slutfort_uppdrag", "annat", "krom",
)
#: Ways a household leaves support on its own (the counterfactual exit, and the routes a
#: measure's effect can speed up): the household's own clock, not an AME decision.
HazardReason = Literal["arbete", "studier", "annan_myndighet", "annat"]
HAZARD_REASONS: tuple[str, ...] = ("arbete", "studier", "annan_myndighet", "annat")
#: Exit routes a measure's causal effect can speed up (they end support).
EffectRoute = Literal["arbete", "studier", "annan_myndighet"]
#: Categories the AME registers when an assignment ends at a completed measure. None of them
#: ends försörjningsstöd by itself: exits to work or studies are the household's own exits
#: (sped up by the measures' effects), never a probability at completion (docs/model.md).
CompletionReason = Literal["slutfort_uppdrag", "annat", "annan_myndighet"]

ChannelKind = Literal[
    "ekonomiskt_bistand", "arbetsformedlingen", "forsakringskassan", "kaa", "projekt",
    "sjalvhanvisning", "lss", "kriminalvarden", "feriejobb",
]
MeasureKind = Literal[
    "kartlaggning", "coaching", "rusta", "arbetsarena", "arbetsgrupp", "extern_praktik",
    "subventionerad_anstallning", "program", "feriejobb", "studier_vagledning",
]
Payer = Literal["kommunen", "staten_af", "fk", "samordningsforbund", "esf", "lansstyrelsen"]
StaffRole = Literal[
    "arbetsmarknadssekreterare", "coach", "handledare", "arbetsledare", "praktiksamordnare",
    "syv", "halsopedagog", "enhetschef", "jobbmaklare", "annan",
]

_MMDD = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


def check_mmdd(v: str) -> str:
    """A day of the year as MM-DD that exists in some year (02-29 is allowed, 02-30 is not)."""
    if not _MMDD.match(v):
        raise ValueError(f"expected a day of the year as MM-DD, e.g. 06-22; got {v!r}")
    try:
        dt.date.fromisoformat(f"2000-{v}")  # a leap year
    except ValueError:
        raise ValueError(f"{v!r} is not a day of the year (MM-DD)") from None
    return v
