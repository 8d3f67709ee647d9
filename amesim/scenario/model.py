"""The scenario model: a typed, validated description of one municipality's AME organisation.

Pure data. Nothing here reads files (see :mod:`amesim.scenario.loader`) or runs a
simulation (see :mod:`amesim.sim`). Field descriptions double as the JSON Schema
documentation that editors show (``amesim schema``).

Units used throughout: time in days unless a name says ``_months``/``_years``;
money in SEK (current prices of ``time.start_date``'s year); rates per month.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .values import Dist, Quantity, Source, Strict

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


def _check_mmdd(v: str) -> str:
    """A day of the year as MM-DD that exists in some year (02-29 is allowed, 02-30 is not)."""
    if not _MMDD.match(v):
        raise ValueError(f"expected a day of the year as MM-DD, e.g. 06-22; got {v!r}")
    try:
        dt.date.fromisoformat(f"2000-{v}")  # a leap year
    except ValueError:
        raise ValueError(f"{v!r} is not a day of the year (MM-DD)") from None
    return v


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
        return _check_mmdd(v)


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
        return _check_mmdd(v)


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


# --------------------------------------------------------------------------- organisation


class SickLeave(Strict):
    share: Quantity = Field(
        Quantity(value=0.05, source="assumption: ~5% sick leave in municipal social work"),
        description="Long-run share of time a person is off sick.",
    )
    spell_days: Dist = Field(
        Dist(dist="exponential", mean=Quantity(value=10),
             source="assumption: most sick spells are short, ~10 days on average"),
        description="Length of one sick spell.",
    )


class StaffChange(Strict):
    """From ``date`` on, the pool has ``fte`` (and ``persons``): a post added or cut, a project
    that ends (001 §6's temporary extra årsarbetare, 002's ESF dates)."""

    date: dt.date
    fte: Quantity = Field(description="Full-time equivalents from this date.")
    persons: int | None = Field(None, ge=1, description="People sharing the FTE (default: FTE "
                                "rounded up).")


class StaffPool(Strict):
    """Staff of one role in one unit. Capacity is in FTE; measures consume FTE shares."""

    id: Id
    name: str | None = None
    role: StaffRole
    unit: str
    fte: Quantity = Field(description="Full-time equivalents (årsarbetare).")
    persons: int | None = Field(
        None, ge=1, description="People sharing the FTE (default: FTE rounded up). A person off "
        "sick removes their share, so small pools are vulnerable (000)."
    )
    annual_cost_sek: Quantity = Field(description="Cost per FTE and year incl. PO, SEK.")
    vacation_weeks_in_summer: Quantity = Field(
        Quantity(value=4, source="assumption: 4 of 5-6 vacation weeks taken in summer"),
        description="Vacation weeks each person takes within the summer period.",
    )
    sick_leave: SickLeave = Field(default_factory=SickLeave)
    changes: list[StaffChange] = Field(
        default_factory=list, description="Dated changes of FTE (costs follow them).")

    @model_validator(mode="after")
    def _changes_sorted(self) -> StaffPool:
        dates = [c.date for c in self.changes]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("changes must be in date order, one per date")
        return self


class StaffNeed(Strict):
    """A measure's demand on a staff pool: one FTE serves this many participants at once."""

    pool: str
    participants_per_fte: Quantity


class Eligibility(Strict):
    segments: list[str] | None = Field(None, description="Allowed segments (default: all).")
    channels: list[str] | None = Field(None, description="Allowed channels (default: all).")
    distance_min: float = Field(0, ge=0, le=10)
    distance_max: float = Field(10, ge=0, le=10)


class Matching(Strict):
    """Time a praktiksamordnare needs to find and match an external place (003)."""

    staff: list[StaffNeed] = Field(default_factory=list)
    duration_days: Dist


class ProgramStep(Strict):
    """One step of a fixed programme (Kungsbacka planning week, Aktiv Kraft block...)."""

    id: Id
    name: str | None = None
    duration_days: Dist


class Subsidy(Strict):
    """Wage and state compensation of a subsidised employment (000, AF rules)."""

    wage_sek_per_month: Quantity
    employer_fee_share: Quantity = Field(
        Quantity(value=0.3142, source="assumption: lagstadgade arbetsgivaravgifter 31.42%"),
        description="Employer fees on top of the wage (PO).",
    )
    state_compensation_share: Quantity = Field(
        description="Share of the wage cost the state (AF) compensates."
    )
    compensation_cap_sek_per_month: Quantity | None = Field(
        None, description="Wage ceiling the compensation is computed on."
    )


class EffectAfter(Strict):
    """A post-programme effect: the hazard ratio goes on for some months after completion
    (while the person waits for or is between measures, or has left the AME)."""

    months: Quantity = Field(description="Months after completing the measure.")
    hazard_ratio: Quantity = Field(description="Ratio on the routes' hazards in those months.")


class Effect(Strict):
    """The measure's *causal* effect: what it changes against the counterfactual.

    While in the measure, the household's own hazards of leaving support (or, for someone
    not on support, unemployment) by the ``routes`` are multiplied by ``hazard_ratio``
    (proportional hazards on the counterfactual clock, docs/model.md). A ratio of 1 is no
    effect; below 1 is lock-in (less job search while in the measure). Gross exit shares
    (002's 27-28 %) are NOT effects: most of those exits would have happened anyway.
    """

    hazard_ratio: Quantity = Field(
        description="Ratio on the hazards of the routes while in the measure (1 = no effect)."
    )
    routes: list[EffectRoute] = Field(
        default_factory=lambda: ["arbete", "studier"],
        description="Exit routes the ratio applies to (arbete, studier, annan_myndighet).",
    )
    after: EffectAfter | None = Field(None, description="Post-programme effect after completion.")

    @field_validator("routes")
    @classmethod
    def _routes(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one route (arbete, studier, annan_myndighet)")
        if len(set(v)) != len(v):
            raise ValueError("routes must not repeat")
        return v


class PlacesChange(Strict):
    """From ``date`` on, the measure has ``places`` places (budgeted places changed)."""

    date: dt.date
    places: Quantity


_REMOVED_MEASURE_FIELDS = {
    "hazards_per_month": "hazards_per_month was removed: exits to work, studies or another "
    "authority are the household's own exits, sped up by the measure's causal `effect` "
    "(hazard_ratio, routes); drop-out goes in dropout_per_month (docs/model.md)",
    "distance_effect": "distance_effect was removed: a measure's causal effect is "
    "`effect.hazard_ratio` on the household's own exit hazards (docs/model.md)",
}


class Measure(Strict):
    """An insats: capacity, duration, staff, eligibility and causal effect on exits."""

    id: Id
    name: str | None = None
    kind: MeasureKind
    unit: str
    aim: Literal["primar", "sekundar"] = Field(
        "sekundar", description="Västerås (002): primary = aims at work, secondary = prepares."
    )
    places: Quantity | None = Field(None, description="Places (platser); none = unlimited.")
    places_changes: list[PlacesChange] = Field(
        default_factory=list, description="Dated changes of the number of places."
    )
    start: dt.date | None = Field(None, description="No one enters before this date.")
    end: dt.date | None = Field(
        None, description="No one enters from this date (a project that ends); those in it or "
        "already queueing are served to the end."
    )
    in_kolada: bool | None = Field(
        None, description="Whether the measure counts for the Kolada result KPIs (default: yes, "
        "except feriejobb). A participant whose measures are all outside is reported apart."
    )
    summer_places_factor: Quantity = Field(
        Quantity(value=1.0, source="assumption: all places open in summer unless stated"),
        description="Share of places open in summer (employers away)."
    )
    staff: list[StaffNeed] = Field(default_factory=list)
    duration_days: Dist | None = Field(None, description="Planned length (programme: sum of steps).")
    steps: list[ProgramStep] | None = Field(None, description="Fixed programme steps, in order.")
    max_months: float | None = Field(None, gt=0, description="Longest allowed stay (e.g. extratjänst 24).")
    matching: Matching | None = None
    eligibility: Eligibility = Field(default_factory=Eligibility)
    effect: Effect | None = Field(
        None, description="Causal effect on the household's own exits (none: no effect)."
    )
    dropout_per_month: Quantity = Field(
        Quantity(value=0.0, source="assumption: no drop-out unless stated"),
        description="Monthly hazard of leaving the measure and the AME without leaving support "
        "(registered as 'annat').",
    )
    on_completion: dict[CompletionReason, Quantity] = Field(
        default_factory=dict,
        description="Probabilities that the assignment ends when the measure is completed, by "
        "the category the AME registers; the rest continue to the next measure. Support goes on "
        "by the household's own clock.",
    )
    distance_change: Dist | None = Field(
        None, description="Change of distance on completion (stegförflyttning; negative = closer)."
    )
    patience_days: Dist | None = Field(
        None, description="How long a person waits in the queue before giving up (reneging)."
    )
    fs_payment_factor: Quantity = Field(
        Quantity(value=1.0, source="assumption: support is paid as before during an unpaid measure"),
        description="Share of försörjningsstöd still paid while in the "
        "measure (0 for a paid job that replaces support)."
    )
    subsidy: Subsidy | None = None
    running_cost_sek_per_year: Quantity = Field(
        Quantity(value=0.0, source="assumption: no running costs unless stated"),
        description="Premises, material.",
    )
    income_sek_per_year: Quantity = Field(
        Quantity(value=0.0, source="assumption: no income unless stated"),
        description="Sales, contract work.",
    )
    price_sek_per_participant: Quantity | None = Field(
        None, description="Purchased places: the price paid per participant who starts the "
        "measure (001 §5.2), booked when they start."
    )

    @model_validator(mode="before")
    @classmethod
    def _removed_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, why in _REMOVED_MEASURE_FIELDS.items():
                if key in data:
                    raise ValueError(why)
            oc = data.get("on_completion")
            if isinstance(oc, dict) and ({"arbete", "studier"} & set(oc)):
                raise ValueError(
                    "on_completion can no longer send people to arbete or studier: those are the "
                    "household's own exits, sped up by the measure's `effect` (docs/model.md); "
                    "on_completion lists slutfort_uppdrag, annat or annan_myndighet (handed over)")
        return data

    @model_validator(mode="after")
    def _duration_or_steps(self) -> Measure:
        if (self.duration_days is None) == (self.steps is None):
            raise ValueError("give exactly one of duration_days or steps")
        total = sum(v.point for v in self.on_completion.values())
        if total > 1 + 1e-9:
            raise ValueError(f"on_completion probabilities sum to {total:.3f} > 1")
        dates = [c.date for c in self.places_changes]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("places_changes must be in date order, one per date")
        if self.places_changes and self.places is None:
            raise ValueError("places_changes needs places (a measure without places is unlimited)")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Beredning(Strict):
    """How the assignment is decided (003): samverkansforum, dedicated unit, or direct."""

    model: Literal["samverkansforum", "dedicated", "direct"]
    interval_days: float | None = Field(None, gt=0, description="samverkansforum: meeting interval.")
    max_cases_per_meeting: int | None = Field(None, ge=0, description="samverkansforum: cases per meeting.")
    meets_in_summer: bool = Field(False, description="samverkansforum: meetings in summer.")
    staff: list[StaffNeed] = Field(default_factory=list, description="dedicated: staff needed.")
    duration_days: Dist | None = Field(None, description="dedicated: time to decide.")

    @model_validator(mode="after")
    def _fields_for_model(self) -> Beredning:
        if self.model == "samverkansforum" and (
            self.interval_days is None or self.max_cases_per_meeting is None
        ):
            raise ValueError("samverkansforum needs interval_days and max_cases_per_meeting")
        if self.model == "dedicated" and self.duration_days is None:
            raise ValueError("dedicated needs duration_days")
        return self


class Condition(Strict):
    segments: list[str] | None = None
    channels: list[str] | None = None
    distance_min: float = Field(0, ge=0, le=10)
    distance_max: float = Field(10, ge=0, le=10)


class RouteRule(Strict):
    """If ``when`` matches, pick the next measure by weight among those not yet done."""

    when: Condition = Field(default_factory=Condition)
    measures: dict[str, float] = Field(description="Candidate measures with weights.")
    source: Source = Field(None, description="Where the weights come from.")


class CaseManager(Strict):
    """Individual-oriented model: one handläggare follows the participant (caseload-limited)."""

    pool: str
    caseload_per_fte: Quantity


class Target(Strict):
    segments: list[str] | None = None
    channels: list[str] | None = None


class StaffDensity(Strict):
    """Dose-response of the measures' effects on staff density (SBU 351: smaller caseloads
    positive, low certainty; LOKA 003: 7-32 participants per FTE).

    The excess of a measure's hazard ratio over 1 is multiplied by
    ``min((reference / x) ** elasticity, max_multiplier)``, where ``x`` is the unit's
    participants per available FTE (of ``pools``, default all the unit's staff) when the
    measure starts. Elasticity 0 = staff density does not matter.
    """

    reference_participants_per_fte: Quantity = Field(
        description="Participants per FTE at which the measures have their stated effect."
    )
    elasticity: Quantity = Field(description="How strongly the effect follows density (0 = not).")
    max_multiplier: Quantity = Field(
        Quantity(value=1.5, source="assumption: staff density can at most raise a measure's "
                 "excess effect by half; evidence on very small caseloads is lacking"),
        description="Upper limit of the multiplier.",
    )
    pools: list[str] | None = Field(None, description="Staff pools counted (default: the unit's).")


class Unit(Strict):
    """An organisational unit with its own way in, staff and measures (000: units vs merged)."""

    id: Id
    name: str | None = None
    board: str = Field("socialnamnden", description="Organisational home (nämnd) that pays.")
    target: Target = Field(default_factory=Target, description="Who the unit is for.")
    beredning: Beredning
    process_model: Literal["individual", "process"]
    case_manager: CaseManager | None = None
    routing: list[RouteRule] = Field(default_factory=list, description="individual model.")
    sequence: list[str] = Field(default_factory=list, description="process model: main track.")
    side_track: list[str] = Field(default_factory=list, description="process model: side track.")
    side_track_share: Quantity = Field(
        Quantity(value=0.0, source="assumption: no side track unless stated"), description="process model: share failing a main step."
    )
    max_measures: int = Field(6, ge=1, description="Measures before the assignment is closed.")
    reassessment: str | None = Field(None, description="Measure id for re-assessment (BIP).")
    reassess_months: float | None = Field(None, gt=0, description="Months between assessments.")
    sanction_per_month: Quantity = Field(
        Quantity(value=0.0, source="assumption: no sanctions unless stated (Kungsbacka only, 003)"),
        description="Hazard of a sanction (support refused) for participants "
        "on support (Kungsbacka, 003)."
    )
    premises_sek_per_year: Quantity = Field(
        Quantity(value=0.0, source="assumption: no premises cost unless stated"),
        description="Rent and running costs of the unit's premises, SEK per year.",
    )
    staff_density: StaffDensity | None = Field(
        None, description="Dose-response of the measures' effects on staff density (none: "
        "effects do not depend on it)."
    )

    @model_validator(mode="after")
    def _model_fields(self) -> Unit:
        if self.process_model == "individual" and not self.routing:
            raise ValueError("individual process model needs routing rules")
        if self.process_model == "process" and not self.sequence:
            raise ValueError("process model needs a sequence")
        if (self.reassessment is None) != (self.reassess_months is None):
            raise ValueError("give both reassessment and reassess_months, or neither")
        return self


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
    initial_participants: list[InitialParticipants] = Field(
        default_factory=list, description="People already in measures on the first simulated "
        "day (time.start_date minus warmup_days)."
    )

    def by_id(self, section: str) -> dict[str, Any]:
        return {item.id: item for item in getattr(self, section)}
