"""The organisation in a scenario: staff pools, measures and the units that run them.

Part of the scenario model (:mod:`.model`, which holds the whole :class:`~.model.Scenario`
and re-exports these classes).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .terms import (
    CompletionReason,
    EffectRoute,
    Id,
    MeasureKind,
    StaffRole,
)
from .values import Dist, Quantity, Source, Strict


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


class ReservedPlaces(Strict):
    """Places held for some channels first, filled by others when those leave them empty
    (002 Bilaga 1, the jobbspår: "AF (AME om platser från AF ej fylls)").

    People from ``channels`` go before everyone else in the measure's queue (ahead of segment
    priority). Anyone else waits at least ``fallback_after_days`` in the queue, even with a
    place free, and then gets a place only when nobody from ``channels`` is waiting: the
    place is offered to the reserved channels first and falls back to the unit's own
    referrals when they do not fill it.
    """

    channels: list[str] = Field(description="Channels whose people go first (e.g. AF's).")
    fallback_after_days: Quantity = Field(
        Quantity(value=0.0, source="assumption: a free place goes to the unit's own referrals "
                 "at once when no one from the reserved channels is waiting"),
        description="Shortest wait, days, before someone from another channel may take a place.",
    )

    @field_validator("channels")
    @classmethod
    def _some(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("name at least one channel the places are reserved for")
        if len(set(v)) != len(v):
            raise ValueError("channels must not repeat")
        return v


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
    budgeted_places: Quantity | None = Field(
        None, description="Places the budget pays for (002 Bilaga 1: '24 (budget 10)'), beside "
        "the places actually run; reported as the gap between places used and budgeted "
        "(KPI budget_gap_places). Does not limit anything."
    )
    reserved: ReservedPlaces | None = Field(
        None, description="Places offered first to some channels, falling back to others "
        "(none: one queue in segment priority order)."
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
        if self.budgeted_places is not None and self.places is None:
            raise ValueError("budgeted_places needs places (a measure without places is unlimited)")
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
