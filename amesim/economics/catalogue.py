"""The KPI catalogue: every indicator's unit, better direction, format, headline roles and
Swedish and English labels, written once.

:mod:`.kpis` computes the values and takes unit and direction from here (a KPI missing
here is an error there); the report labels and formats from here; the command line, the
precision rule and the report pages take their headline lists from here (:func:`headline`);
``tests/test_kpi_catalogue.py`` checks ``docs/kpis.md`` against it. Adding a KPI is one
entry here plus its computation.

Families are patterns with one placeholder, written as in the docs: ``exits_<reason>``,
``utilisation_<pool>``, ``payer_cost_<payer>_sek``. A family over a closed enumeration
takes its members from the scenario model's types (exit reasons: ``ExitReason``), never
from a list typed again here; other families take any id of the scenario.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import get_args

from ..scenario.model import EXIT_REASONS, ExitReason

#: Exit reasons in Kolada's order, from the scenario model's type.
EXIT_ORDER: tuple[str, ...] = tuple(get_args(ExitReason))
assert EXIT_ORDER == EXIT_REASONS  # one enumeration, two spellings in the scenario model
#: Exit reasons that count as "work or studies" (Kolada's result measure).
WORK_STUDIES: tuple[str, ...] = ("arbete", "studier")

FORMATS = ("money", "share", "count", "number")
#: How a KPI's 'total' relates to its years: 'sum' (counts and amounts: the years add up),
#: 'mean' (an annual rate: the mean of the years, marked **mean** in docs/kpis.md) or
#: 'window' (pooled or counted over the whole window, e.g. distinct participants, ratios).
TOTALS = ("sum", "mean", "window")
#: Where a KPI is a headline: the lists the command line, the precision rule and the report
#: pages show first (``headline(view)`` gives them in catalogue order).
VIEWS = ("cli_run", "cli_compare", "precision", "run_cards", "compare_cards", "key_table", "forest")
#: What a family's placeholder stands for (the report labels the member as such).
MEMBER_KINDS = ("exit_reason", "pool", "measure", "stage", "payer", "municipality")

#: Units of KPIs, with their Swedish and English words.
UNITS: dict[str, tuple[str, str]] = {
    "persons": ("personer", "persons"), "households": ("hushåll", "households"), "SEK": ("kronor", "SEK"),
    "share": ("andel", "share"), "relative change": ("relativ förändring", "relative change"),
    "days": ("dagar", "days"), "months": ("månader", "months"),
    "persons/FTE": ("personer per årsarbetare", "persons per FTE"),
    "exits/person": ("avslut per deltagare", "exits per participant"),
    "places": ("platser", "places"),
}

_FORMAT_OF_UNIT = {"SEK": "money", "share": "share", "relative change": "share", "persons": "count",
                   "households": "count"}


@dataclass(frozen=True)
class Kpi:
    """One KPI or one family of KPIs.

    ``sv``/``en`` are labels; a family's contain ``{}`` for its member's label. ``short_sv``
    / ``short_en`` are card titles (default: the label). ``gross`` marks an indicator that
    counts exits that would mostly have come without the AME (docs/model.md): a report
    shows it as gross and never calls a change in it better or worse.
    """

    id: str
    unit: str
    sv: str
    en: str
    better: str = ""
    fmt: str = ""
    total: str = "window"
    headline: tuple[str, ...] = ()
    gross: bool = False
    member: str = ""
    better_for: Mapping[str, str] = field(default_factory=dict)
    short_sv: str = ""
    short_en: str = ""

    def __post_init__(self) -> None:
        fmt = self.fmt or _FORMAT_OF_UNIT.get(self.unit, "number")
        object.__setattr__(self, "fmt", fmt)
        assert fmt in FORMATS, self.id
        assert self.unit in UNITS, self.id
        assert self.better in ("higher", "lower", ""), self.id
        assert self.total in TOTALS, self.id
        assert set(self.headline) <= set(VIEWS), self.id
        assert ("<" in self.id) == bool(self.member), self.id
        assert not self.member or self.member in MEMBER_KINDS, self.id
        assert not self.member or "{}" in self.sv and "{}" in self.en, self.id

    @property
    def is_family(self) -> bool:
        return bool(self.member)

    @property
    def members(self) -> tuple[str, ...] | None:
        """The closed set of members (exit reasons), or None when any scenario id fits."""
        return EXIT_ORDER if self.member == "exit_reason" else None

    def pattern(self) -> re.Pattern[str]:
        head, _, rest = self.id.partition("<")
        tail = rest.partition(">")[2]
        return re.compile(re.escape(head) + "(?P<member>[a-z0-9_]+?)" + re.escape(tail) + r"\Z")

    @property
    def per_year(self) -> bool:
        """Whether a headline shows it per year (counts, amounts, annual rates) rather than
        over the whole window (shares, means of days, ratios)."""
        return self.total in ("sum", "mean") or self.fmt == "count"

    def better_of(self, member: str = "") -> str:
        """The better direction of the KPI (of one member, for a family)."""
        return self.better_for.get(member, self.better) if member else self.better

    def ident(self, member: str) -> str:
        """The id of one member of a family: ``exits_<reason>`` -> ``exits_arbete``."""
        return re.sub(r"<[a-z_]+>", member, self.id)

    def label(self, lang: str, member_label: str = "") -> str:
        text = self.en if lang == "en" else self.sv
        return text.format(member_label) if self.is_family else text

    def short(self, lang: str) -> str:
        return (self.short_en if lang == "en" else self.short_sv) or self.label(lang)


_WS = dict.fromkeys(WORK_STUDIES, "higher")

# Headline views, shortened.
_RUN, _CMP, _PREC = "cli_run", "cli_compare", "precision"
_RCARD, _CCARD, _TABLE, _FOREST = "run_cards", "compare_cards", "key_table", "forest"

#: The catalogue, in the order of docs/kpis.md.
CATALOGUE: tuple[Kpi, ...] = (
    # ---- volumes and exits (the Kolada population; summer jobs apart)
    Kpi("outside_kolada_participants", "persons",
        "Deltagare utanför Koladas mått (feriearbete)",
        "Participants outside the Kolada measure (summer jobs)"),
    Kpi("outside_kolada_exits", "persons",
        "Avslut utanför Koladas mått (feriearbete)",
        "Exits outside the Kolada measure (summer jobs)", total="sum"),
    Kpi("participants", "persons", "Deltagare", "Participants",
        short_sv="Deltagare per år", short_en="Participants per year",
        headline=(_RUN, _RCARD, _TABLE, _FOREST)),
    Kpi("new_participants", "persons", "Nya deltagare", "New participants", total="sum",
        headline=(_TABLE,)),
    Kpi("exits", "persons", "Avslut", "Exits", total="sum",
        headline=(_TABLE, _FOREST)),
    Kpi("exits_<reason>", "persons", "Avslut: {}", "Exits: {}", total="sum",
        member="exit_reason", better_for=_WS, gross=True),
    Kpi("share_<reason>", "share", "Andel avslut: {}", "Share of exits: {}",
        member="exit_reason", better_for=_WS, gross=True),
    Kpi("share_work_studies", "share",
        "Andel avslut till arbete eller studier (brutto)",
        "Share of exits to work or studies (gross)", better="higher", gross=True,
        short_sv="Avslut till arbete eller studier (brutto)",
        short_en="Exits to work or studies (gross)",
        headline=(_RUN, _CMP, _PREC, _RCARD, _TABLE, _FOREST)),
    Kpi("share_work_studies_caused", "share",
        "Andel av avsluten till arbete eller studier som AME:n orsakade",
        "Share of the exits to work or studies the AME caused", better="higher",
        short_sv="Avslut till arbete eller studier som AME:n orsakade",
        short_en="Exits to work or studies caused by the AME",
        headline=(_RUN, _CMP, _TABLE, _FOREST)),
    Kpi("fs_link_unmatched", "persons",
        "Anvisade utan matchande hushåll i modellen",
        "Referred without a matching household in the model", total="sum"),
    Kpi("share_work_studies_primar", "share",
        "Andel till arbete eller studier från insatser med mål arbete (brutto)",
        "Share to work or studies from work-aimed measures (gross)", better="higher", gross=True),
    Kpi("share_work_studies_sekundar", "share",
        "Andel till arbete eller studier från förberedande insatser (brutto)",
        "Share to work or studies from preparing measures (gross)", better="higher", gross=True),
    Kpi("share_work_studies_6m", "share",
        "I arbete eller studier 6 månader efter avslut (brutto)",
        "In work or studies 6 months after exit (gross)", better="higher", gross=True,
        headline=(_TABLE, _FOREST)),
    Kpi("returns_fs_12m_share", "share",
        "Åter till försörjningsstöd inom 12 månader",
        "Back on social assistance within 12 months", better="lower",
        headline=(_TABLE,)),
    Kpi("exits_per_participant", "exits/person", "Avslut per deltagare", "Exits per participant",
        better="higher"),
    Kpi("participants_per_fte", "persons/FTE", "Deltagare per årsarbetare", "Participants per FTE",
        total="mean",
        headline=(_TABLE,)),
    # ---- flow, waiting and capacity
    Kpi("wait_days_mean", "days",
        "Väntetid till första insats (dagar)", "Waiting time to first measure (days)",
        better="lower", short_sv="Väntetid till första insats",
        short_en="Waiting time to first measure",
        headline=(_RUN, _CMP, _CCARD, _TABLE, _FOREST)),
    Kpi("days_in_programme_mean", "days",
        "Tid i verksamheten (dagar)", "Time in the programme (days)", better="lower",
        headline=(_TABLE, _FOREST)),
    Kpi("utilisation_<pool>", "share", "Personalens beläggning: {}", "Staff utilisation: {}",
        member="pool"),
    Kpi("occupancy_<measure>", "share", "Platsbeläggning: {}", "Place occupancy: {}",
        member="measure"),
    Kpi("budget_gap_places_<measure>", "places",
        "Platser i bruk utöver budget: {}", "Places used beyond the budget: {}",
        fmt="number", member="measure"),
    Kpi("budget_gap_places", "places",
        "Platser i bruk utöver budget (alla insatser med budget)",
        "Places used beyond the budget (all budgeted measures)", fmt="number"),
    Kpi("reserved_places_starts", "persons",
        "Starter i insatser med reserverade platser", "Starts in measures with reserved places",
        total="sum"),
    Kpi("reserved_places_fallback_starts", "persons",
        "Reserverade platser som fylldes av andra anvisare",
        "Reserved places filled by other channels (fallback)", total="sum"),
    # ---- a unit shared by municipalities (001 §5.3), one of each per municipality
    Kpi("participants_<municipality>", "persons", "Deltagare: {}", "Participants: {}",
        total="window", member="municipality"),
    Kpi("new_participants_<municipality>", "persons", "Nya deltagare: {}", "New participants: {}",
        total="sum", member="municipality"),
    Kpi("fs_cost_sek_<municipality>", "SEK", "Kostnad för försörjningsstöd: {}",
        "Cost of social assistance: {}", better="lower", total="sum", member="municipality"),
    Kpi("fs_savings_sek_<municipality>", "SEK", "Försörjningsstöd som AME:n sparar: {}",
        "Social assistance saved by the AME: {}", better="higher", total="sum",
        member="municipality"),
    Kpi("ame_cost_share_<municipality>", "share", "Andel av AME:ns kostnad: {}",
        "Share of the AME's cost: {}", total="mean", member="municipality"),
    Kpi("ame_net_cost_sek_<municipality>", "SEK", "AME:ns nettokostnad: {}",
        "Net cost of the AME: {}", better="lower", total="sum", member="municipality"),
    Kpi("net_effect_sek_<municipality>", "SEK",
        "Sparat försörjningsstöd minus andel av AME:ns kostnad: {}",
        "Social assistance saved less the share of the AME's cost: {}", better="higher",
        total="sum", member="municipality"),
    Kpi("queue_mean_<stage>", "persons", "Genomsnittlig kö: {}", "Mean queue: {}",
        better="lower", fmt="number", member="stage"),
    # ---- försörjningsstöd
    Kpi("fs_households", "households",
        "Hushåll med försörjningsstöd under året", "Households on social assistance in the year",
        better="lower", total="mean",
        headline=(_RUN, _CMP, _TABLE, _FOREST)),
    Kpi("fs_long_term_households", "households",
        "Hushåll med långvarigt försörjningsstöd under året (10–12 månader)",
        "Households on long-term social assistance in the year (10–12 months)", better="lower",
        total="mean",
        headline=(_TABLE, _FOREST)),
    Kpi("fs_long_term_share", "share",
        "Andel hushåll med långvarigt försörjningsstöd",
        "Share of households on long-term social assistance", better="lower", total="mean"),
    Kpi("fs_months_per_household", "months",
        "Månader med försörjningsstöd per hushåll",
        "Months on social assistance per household", better="lower", total="mean"),
    Kpi("fs_cost_sek", "SEK", "Kostnad för försörjningsstöd", "Cost of social assistance",
        better="lower", total="sum",
        short_sv="Försörjningsstöd per år", short_en="Social assistance per year",
        headline=(_RUN, _CMP, _PREC, _RCARD, _CCARD, _TABLE, _FOREST)),
    Kpi("fs_cost_counterfactual_sek", "SEK",
        "Försörjningsstöd om AME:n inte fanns (jämförelse)",
        "Social assistance without the AME (counterfactual)", total="sum"),
    Kpi("fs_savings_sek", "SEK",
        "Försörjningsstöd som AME:n sparar", "Social assistance saved by the AME",
        better="higher", total="sum",
        short_sv="Försörjningsstöd som AME:n sparar per år",
        short_en="Social assistance saved by the AME per year",
        headline=(_RUN, _TABLE)),
    Kpi("fs_households_counterfactual", "households",
        "Hushåll med försörjningsstöd om AME:n inte fanns",
        "Households on social assistance without the AME", total="mean"),
    Kpi("fs_households_change_share", "relative change",
        "Förändring av antalet hushåll med försörjningsstöd tack vare AME:n",
        "Change in households on social assistance due to the AME", better="lower",
        total="mean",
        headline=(_TABLE,)),
    Kpi("fs_long_term_households_counterfactual", "households",
        "Hushåll med långvarigt försörjningsstöd om AME:n inte fanns",
        "Households on long-term social assistance without the AME", total="mean"),
    # ---- money
    Kpi("ame_cost_sek", "SEK",
        "Kostnad för AME (personal, lokaler, drift, köpta platser)",
        "AME cost (staff, premises, running, purchased places)", better="lower", total="sum"),
    Kpi("subsidy_net_cost_sek", "SEK",
        "Nettokostnad för subventionerade anställningar", "Net cost of subsidised jobs",
        better="lower", total="sum"),
    Kpi("external_funding_sek", "SEK", "Extern finansiering", "External funding",
        better="higher", total="sum"),
    Kpi("ame_net_cost_sek", "SEK",
        "AME:ns egen nettokostnad (AME, subventionerade jobb, minus extern finansiering)",
        "The AME's own net cost (AME, subsidised jobs, less external funding)", better="lower",
        total="sum", short_sv="AME:ns egen kostnad per år", short_en="The AME's own cost per year",
        headline=(_RUN, _CMP, _RCARD, _CCARD, _TABLE, _FOREST)),
    Kpi("net_municipal_cost_sek", "SEK",
        "Kommunens samlade nettokostnad (försörjningsstöd och AME)",
        "Total net cost to the municipality (social assistance and AME)", better="lower",
        total="sum", short_sv="Kommunens samlade nettokostnad per år",
        short_en="Total net municipal cost per year",
        headline=(_RUN, _CMP, _CCARD, _TABLE, _FOREST)),
    Kpi("cost_per_exit_work_studies_sek", "SEK",
        "AME-kostnad per avslut till arbete eller studier",
        "AME cost per exit to work or studies", better="lower",
        headline=(_TABLE, _FOREST)),
    Kpi("payer_cost_<payer>_sek", "SEK", "Betalas av: {}", "Paid by: {}", total="sum",
        member="payer"),
    Kpi("tax_revenue_sek", "SEK",
        "Kommunalskatt från nya jobb (utanför budgeten)",
        "Municipal tax from new jobs (outside the budget)", better="higher", total="sum"),
)

_BY_ID = {k.id: k for k in CATALOGUE}
assert len(_BY_ID) == len(CATALOGUE), "a KPI id appears twice in the catalogue"


@cache
def lookup(kpi: str) -> tuple[Kpi, str] | None:
    """(catalogue entry, member) of a KPI id ('' for a fixed KPI), None if unknown.

    Fixed ids win over families (``share_work_studies`` is not ``share_<reason>``), and a
    family over exit reasons only takes the reasons of the scenario model.
    """
    if kpi in _BY_ID and not _BY_ID[kpi].is_family:
        return _BY_ID[kpi], ""
    for k in CATALOGUE:
        if not k.is_family:
            continue
        m = k.pattern().match(kpi)
        if m and (k.members is None or m["member"] in k.members):
            return k, m["member"]
    return None


def spec(kpi: str) -> Kpi:
    """The catalogue entry of a KPI id; a KeyError naming the id if it has none."""
    found = lookup(kpi)
    if found is None:
        raise KeyError(f"KPI {kpi!r} is not in the KPI catalogue (amesim/economics/catalogue.py)")
    return found[0]


def unit_of(kpi: str) -> str:
    return spec(kpi).unit


def better_of(kpi: str) -> str:
    """'higher', 'lower' or '' (neither is better)."""
    found = lookup(kpi)
    return found[0].better_of(found[1]) if found else ""


def format_of(kpi: str, unit: str | None = None) -> str:
    """How a value is shown: 'money', 'share', 'count' or 'number' (unknown ids: by unit)."""
    found = lookup(kpi)
    if found is not None:
        return found[0].fmt
    return _FORMAT_OF_UNIT.get(unit or "", "number")


def is_gross(kpi: str) -> bool:
    found = lookup(kpi)
    return bool(found and found[0].gross)


def per_year(kpi: str) -> bool:
    """Whether a headline figure of the KPI is per year (see :attr:`Kpi.per_year`)."""
    found = lookup(kpi)
    return found[0].per_year if found else not kpi.endswith("_mean") and format_of(kpi) != "share"


def headline(view: str) -> tuple[str, ...]:
    """The fixed KPIs a view shows first, in catalogue order."""
    if view not in VIEWS:
        raise ValueError(f"unknown headline view {view!r}; use one of {', '.join(VIEWS)}")
    return tuple(k.id for k in CATALOGUE if view in k.headline)
