"""The scenario model: a typed, validated description of one municipality's AME organisation.

Pure data. Nothing here reads files (see :mod:`amesim.scenario.loader`) or runs a
simulation (see :mod:`amesim.sim`). Field descriptions double as the JSON Schema
documentation that editors show (``amesim schema``).

Units used throughout: time in days unless a name says ``_months``/``_years``;
money in SEK (current prices of ``time.start_date``'s year); rates per month.

The vocabulary (ids, exit reasons, kinds) is in :mod:`.terms` and the organisation (staff,
measures, units) in :mod:`.organisation`; both are re-exported here, so
``amesim.scenario.model`` names every part of a scenario.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .organisation import (
    Beredning,
    CaseManager,
    Condition,
    Effect,
    EffectAfter,
    Eligibility,
    Matching,
    Measure,
    PlacesChange,
    ProgramStep,
    ReservedPlaces,
    RouteRule,
    SickLeave,
    StaffChange,
    StaffDensity,
    StaffNeed,
    StaffPool,
    Subsidy,
    Target,
    Unit,
)
from .terms import (
    EXIT_REASONS,
    HAZARD_REASONS,
    ChannelKind,
    CompletionReason,
    EffectRoute,
    ExitReason,
    HazardReason,
    Id,
    MeasureKind,
    Payer,
    StaffRole,
    check_mmdd,
)
from .values import Dist, Quantity, Source, Strict

__all__ = [
    "EXIT_REASONS", "HAZARD_REASONS", "AfterExit", "Batch", "Beredning", "CaseManager", "Change",
    "Channel", "ChannelKind", "CompletionReason", "Condition", "Economics", "Effect", "EffectAfter",
    "EffectRoute", "Eligibility", "ExitReason", "Funding", "HazardReason", "Id",
    "InitialParticipants", "Ips", "Matching", "Measure", "MeasureKind", "Payer", "PlacesChange",
    "Partner", "Population", "ProgramStep", "ReReferral", "Referral", "ReservedPlaces", "RouteRule", "Scenario", "Schedule",
    "Segment", "SickLeave", "StaffChange", "StaffDensity", "StaffNeed", "StaffPool", "StaffRole",
    "Host", "Subsidy", "Summer", "Target", "Tax", "Time", "Travel", "Unit",
]

# --------------------------------------------------------------------------- time


class Summer(Strict):
    """The summer period, when staff take most vacation and employers are away."""

    start: str = Field("06-22", description="First day of the summer period, MM-DD.")
    end: str = Field("08-16", description="Last day of the summer period, MM-DD.")
    source: str | None = Field(
        "assumption: Swedish industrial holiday weeks 26-33", description="Provenance."
    )

    @field_validator("start", "end")
    @classmethod
    def _mmdd(cls, v: str) -> str:
        return check_mmdd(v)


class Time(Strict):
    """Calendar and horizon. Reporting is by calendar month and budget (calendar) year."""

    start_date: dt.date = Field(description="First simulated day (YYYY-MM-DD).")
    horizon_years: float = Field(gt=0, le=50, description="Length of the reported period, years.")
    warmup_days: float = Field(
        0, ge=0, description="Days simulated before start_date whose results are discarded."
    )
    summer: Summer = Field(default_factory=Summer)


# --------------------------------------------------------------------------- schedules


class Change(Strict):
    """From ``date`` on, the scheduled value is ``value`` (a step change)."""

    date: dt.date
    value: Quantity


class Schedule(Strict):
    """A rate that can change over calendar time: base value, step changes, a trend.

    A bare number or Quantity mapping means a constant rate. ``trend_per_year`` is a
    relative change per year compounding from ``start_date`` (e.g. -0.1 = -10 %/year).
    ``months`` restricts the rate to some calendar months (seasonal channels).
    """

    base: Quantity = Field(description="Value at the start (per month).")
    changes: list[Change] = Field(default_factory=list, description="Step changes, by date.")
    trend_per_year: Quantity | None = None
    months: list[Annotated[int, Field(ge=1, le=12)]] | None = Field(
        default=None, description="Calendar months when the rate applies (others: zero)."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_scalar(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"base": data}
        if isinstance(data, dict) and "base" not in data and (
            {"value", "range", "triangular", "normal"} & set(data)
        ):
            return {"base": data}
        return data

    @model_validator(mode="after")
    def _sorted(self) -> Schedule:
        dates = [c.date for c in self.changes]
        if dates != sorted(dates):
            raise ValueError("changes must be in date order")
        return self


# --------------------------------------------------------------------------- people


class Segment(Strict):
    """A participant group that matters for routing and outcomes (004: by age or need)."""

    id: Id
    name: str | None = Field(None, description="Swedish label for reports.")
    age: Dist = Field(description="Age in years at arrival.")
    distance: Dist = Field(
        description="Distance to the labour market at arrival, 0 (ready) to 10 (very far)."
    )
    baseline_exit_per_month: Quantity = Field(
        description="Counterfactual: monthly hazard of leaving unemployment/support with no "
        "AME measure at all. Exits at this rate are not credited to the AME."
    )
    baseline_exit_mix: dict[HazardReason, Quantity] = Field(
        default_factory=lambda: {
            "arbete": Quantity(value=0.6, source="assumption: default split; most counterfactual "
                               "exits from work-related support are to work"),
            "annat": Quantity(value=0.4, source="assumption: default split; the rest move, get "
                              "other income or leave for unknown reasons"),
        },
        description="Where counterfactual exits go (weights).",
    )
    fs_share: Quantity = Field(
        Quantity(value=0.5, source="assumption: half of non-EB referrals also get support"),
        description="Share of participants from channels other than ekonomiskt bistånd whose "
        "household receives försörjningsstöd.",
    )
    priority: int = Field(0, description="Queue priority: lower numbers go first.")


class ReReferral(Strict):
    """Households that end an assignment but stay on support can be referred again (003:
    participants who have gone round several measures)."""

    after_months: Quantity = Field(
        description="Months after the end of an assignment before the household can be "
        "referred again (by the social office, or picked by another channel)."
    )
    max_assignments: int = Field(
        3, ge=1, le=100, description="Most assignments a household gets in total; after the last "
        "one it is not referred again.",
    )


class Referral(Strict):
    """How the social office refers households on support to the AME (001: falls with turnover)."""

    rate_per_month: Schedule = Field(
        description="Monthly probability that an eligible, not yet referred household is referred."
    )
    capacity_per_month: Schedule = Field(
        description="Most referrals the social office makes in a month (handläggare time)."
    )
    min_months_on_support: float = Field(
        0, ge=0, description="Months on support before a household is considered."
    )
    priority: Literal["random", "longest"] = Field(
        "random", description="Who is referred first when capacity binds."
    )
    re_referral: ReReferral | None = Field(
        None, description="Referral again after an assignment that did not end support "
        "(none: a household gets one assignment)."
    )


class Population(Strict):
    """The households receiving försörjningsstöd: the counterfactual the AME acts on."""

    initial_households: Quantity = Field(description="Households on support at the start.")
    inflow_per_month: Schedule = Field(description="New households per month.")
    payment_sek_per_month: Dist = Field(description="Monthly payment per household, SEK.")
    segments: dict[str, float] = Field(description="Mix of segments among households (weights).")
    segments_source: Source = Field(None, description="Where the segment mix comes from.")
    work_related_share: Quantity = Field(
        description="Share of households whose support is due to unemployment, i.e. who can be "
        "referred to the AME."
    )
    referral: Referral


class Batch(Strict):
    """A yearly intake on a fixed date (feriejobb)."""

    date: str = Field(description="MM-DD of the yearly intake.")
    size: Quantity = Field(description="People per intake.")

    @field_validator("date")
    @classmethod
    def _mmdd(cls, v: str) -> str:
        return check_mmdd(v)


class Channel(Strict):
    """A referral channel into the AME (003 figure 1, 'Inflöde')."""

    id: Id
    kind: ChannelKind
    name: str | None = None
    rate_per_month: Schedule | None = Field(
        None, description="Poisson arrivals per month (not for ekonomiskt_bistand, whose "
        "arrivals come from population.referral)."
    )
    batch: Batch | None = None
    segments: dict[str, float] = Field(
        default_factory=dict,
        description="Segment mix (weights). Ignored for ekonomiskt_bistand (population mix).",
    )
    segments_source: Source = Field(None, description="Where the segment mix comes from.")
    unit: str | None = Field(None, description="Unit receiving the channel; default: by target.")
    first_measure: str | None = Field(
        None, description="Measure the referrer assigns directly, skipping beredning."
    )
    referral_weights: dict[str, float] | None = Field(
        None, description="ekonomiskt_bistand only: weight of this channel, by segment, for a "
        "household the social office refers (002: SKE assigns to a specific insats). Each "
        "referred household goes to one ekonomiskt_bistand channel, drawn by these weights "
        "among the channels with a positive weight for its segment. Default: 1 for every segment."
    )
    referral_weights_source: Source = Field(None, description="Where the referral weights come from.")
    fs_share: Quantity | None = Field(
        None, description="Share of this channel's participants whose household receives "
        "försörjningsstöd (default: the segment's fs_share). Such a participant is linked to a "
        "household of their own segment on support; if none is free, they are not on support.",
    )
    in_kolada: bool | None = Field(
        None, description="Whether participants from this channel count in the Kolada population "
        "of the AME's results (default: yes, except feriejobb, which 004 tabulates separately).",
    )
    krom_per_month: Quantity = Field(
        Quantity(value=0.0, source="assumption: no Rusta och matcha interruptions unless stated"),
        description="Monthly hazard that AF assigns the participant to "
        "Rusta och matcha, which interrupts the municipal measure (002, 003)."
    )
    start: dt.date | None = Field(None, description="Channel opens (e.g. project start).")
    end: dt.date | None = Field(None, description="Channel closes (e.g. project end).")


# --------------------------------------------------------------------------- after exit, money


class Ips(Strict):
    """IPS-style support after exit to work (Lilla Edet, 003)."""

    places: Quantity
    duration_months: float = Field(12, gt=0)
    retention_boost: Quantity = Field(description="Added probability of still working at 6 months.")


class AfterExit(Strict):
    retention_6m: dict[Literal["arbete", "studier"], Quantity] = Field(
        description="Probability of still being in work/studies 6 months after such an exit."
    )
    return_to_fs_12m: dict[Literal["arbete", "studier", "annan_myndighet"], Quantity] = Field(
        description="Probability a household that left support at exit is back within 12 months."
    )
    ips: Ips | None = None


class Funding(Strict):
    """External money: project co-funding, samordningsförbund grants, state grants."""

    id: Id
    name: str | None = None
    payer: Payer
    sek_per_year: Quantity
    start: dt.date | None = None
    end: dt.date | None = None


class Tax(Strict):
    """Municipal tax on the work the AME caused: only the time in work gained against the
    counterfactual (an exit to work before the household would have left anyway), for at
    most the length of a job. Outside every budget total."""

    include: bool = Field(False, description="Show municipal tax from work the AME caused.")
    municipal_tax_rate: Quantity
    wage_sek_per_month: Quantity
    job_months: Quantity = Field(
        description="Mean length of a job found after an exit to work, months (caps the time "
        "in work counted)."
    )


class Economics(Strict):
    fs_indexation_per_year: Quantity = Field(
        Quantity(value=0.02, source="assumption: riksnorm follows prices, ~2%/year"),
        description="Yearly increase of försörjningsstöd payments.",
    )
    cost_indexation_per_year: Quantity = Field(
        Quantity(value=0.025, source="assumption: wage drift ~2.5%/year"),
        description="Yearly increase of staff and running costs.",
    )
    funding: list[Funding] = Field(default_factory=list)
    tax: Tax | None = None


# --------------------------------------------------------------------------- initial state


class InitialParticipants(Strict):
    """People already in a measure on the first simulated day (the realistic initial state).

    They count as participants from the start, not as new arrivals: their ``arrival_day`` is
    the day they notionally started the measure, before the simulation starts.
    """

    measure: str = Field(description="Measure id the people are in at the start.")
    count: Quantity = Field(description="People in the measure at the start (drawn once per "
                            "replication if uncertain).")
    segments: dict[str, float] | None = Field(
        None, description="Segment mix (weights). Default: the channel's mix (the population's "
        "for ekonomiskt_bistand), limited to the measure's eligible segments."
    )
    channel: str | None = Field(
        None, description="Channel they came by. Default: the first channel that assigns the "
        "measure directly (first_measure), else the first channel received by the measure's unit."
    )
    elapsed_share: Quantity | None = Field(
        None, description="Share of the planned duration already done. Default: uniform 0-1 per "
        "person (the residual of a renewal process)."
    )
    waiting: bool = Field(
        False, description="The people are on the waiting list for the measure on the first "
        "day, not in it (they queue from the start, longest waiting first)."
    )
    waited_days: Dist | None = Field(
        None, description="waiting: how long each had waited before the first day (default 0)."
    )


# --------------------------------------------------------------------------- shared unit


class Travel(Strict):
    """What the journey to a unit in another municipality does to who takes part (001 §5.3:
    "kommunikationerna med kollektivtrafik", a unit shared with a neighbour)."""

    participation_share: Quantity = Field(
        Quantity(value=1.0, source="assumption: everyone referred starts unless stated"),
        description="Share of the households the partner's social office refers that start; the "
        "others decline the offer, stay on support and are not referred again.",
    )
    dropout_per_month: Quantity = Field(
        Quantity(value=0.0, source="assumption: no extra drop-out unless stated"),
        description="Extra monthly drop-out hazard in every measure for participants whose "
        "household lives in the partner municipality (added to the measure's own).",
    )
    minutes_one_way: float | None = Field(
        None, ge=0, description="Travel time by public transport, for documentation only.")


class Partner(Strict):
    """A municipality that shares the unit (001 §5.3): its own households on support, its own
    social office's referrals, its share of the unit's cost and the travel to the unit. The
    scenario's ``population`` is the host municipality's, where the unit is."""

    id: Id
    name: str | None = None
    population: Population = Field(description="The partner's households on support and its "
                                   "social office's referrals (same segments as the host).")
    cost_share: Quantity = Field(description="Share of the unit's net cost the partner pays (the "
                                 "cost split key); the host pays the rest.")
    travel: Travel = Field(default_factory=Travel)


class Host(Strict):
    """The municipality where the unit is, for labels of the per-municipality KPIs."""

    id: Id = Field("kommunen", description="Id of the host municipality.")
    name: str | None = None


# --------------------------------------------------------------------------- scenario


class Scenario(Strict):
    """One organisation of a municipality's labour-market work."""

    name: str
    description: str | None = None
    time: Time
    population: Population
    segments: list[Segment]
    channels: list[Channel]
    units: list[Unit]
    staff: list[StaffPool] = Field(default_factory=list)
    measures: list[Measure]
    after_exit: AfterExit
    economics: Economics = Field(default_factory=Economics)
    host: Host = Field(default_factory=Host, description="The municipality where the unit is "
                       "(with partners: its id labels its KPIs).")
    partners: list[Partner] = Field(
        default_factory=list, description="Municipalities sharing the unit (001 §5.3); none: the "
        "unit serves only the host municipality (the scenario's population).")
    initial_participants: list[InitialParticipants] = Field(
        default_factory=list, description="People already in measures on the first simulated "
        "day (time.start_date minus warmup_days)."
    )

    def by_id(self, section: str) -> dict[str, Any]:
        return {item.id: item for item in getattr(self, section)}
