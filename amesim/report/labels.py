"""Human labels for every id the tables use: Swedish by default, English with ``lang='en'``.

Scenario-provided ``name`` labels win for units, measures, channels, segments, staff
pools and funding; otherwise a label is built from the kind (channel/measure kind, staff
role) or from the id with Swedish letters restored (``handlaggare`` -> ``Handläggare``).
Labels are plain text: callers escape them for HTML or plotly. (Not to be confused with
:class:`amesim.results.tables.Labels`, string columns as integer codes.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..economics.catalogue import EXIT_ORDER, UNITS, better_of, format_of, lookup
from .fmt import check_lang
from .vocabulary import VALUE_SV

__all__ = ["EXIT_ORDER", "Labels", "ReportLabels", "kpi_better", "kpi_format", "pretty_id"]

_T: dict[str, dict[str, str]] = {
    # exit reasons (Kolada/KAS categories) and states
    "exit.arbete": {"sv": "Arbete", "en": "Work"},
    "exit.studier": {"sv": "Studier", "en": "Studies"},
    "exit.annan_myndighet": {"sv": "Överförd till annan myndighet", "en": "Transferred to another authority"},
    "exit.slutfort_uppdrag": {"sv": "Slutfört uppdrag", "en": "Assignment completed"},
    "exit.annat": {"sv": "Annat (t.ex. avbrott)", "en": "Other (e.g. dropped out)"},
    "exit.krom": {"sv": "Avbrutet: Rusta och matcha (AF)", "en": "Interrupted: Rusta och matcha (AF)"},
    "exit.kvar": {"sv": "Kvar i verksamheten", "en": "Still in the programme"},
    "status.arbete_studier": {"sv": "I arbete eller studier", "en": "In work or studies"},
    "status.forsorjningsstod": {"sv": "Försörjningsstöd", "en": "Social assistance"},
    "status.ovrigt": {"sv": "Övrigt", "en": "Other"},
    # channel kinds
    "channel.ekonomiskt_bistand": {"sv": "Försörjningsstöd (socialtjänsten)", "en": "Social assistance office"},
    "channel.arbetsformedlingen": {"sv": "Arbetsförmedlingen", "en": "Public Employment Service (AF)"},
    "channel.forsakringskassan": {"sv": "Försäkringskassan", "en": "Social Insurance Agency (FK)"},
    "channel.kaa": {"sv": "KAA (kommunala aktivitetsansvaret)", "en": "KAA (municipal youth activity duty)"},
    "channel.projekt": {"sv": "Projekt", "en": "Project"},
    "channel.sjalvhanvisning": {"sv": "Självhänvisning", "en": "Self-referral"},
    "channel.lss": {"sv": "LSS daglig verksamhet", "en": "LSS daily activity"},
    "channel.kriminalvarden": {"sv": "Kriminalvården", "en": "Prison and Probation Service"},
    "channel.feriejobb": {"sv": "Feriejobb", "en": "Summer jobs for youth"},
    # measure kinds
    "measure.kartlaggning": {"sv": "Kartläggning", "en": "Assessment"},
    "measure.coaching": {"sv": "Coachning", "en": "Coaching"},
    "measure.rusta": {"sv": "Rustande insats", "en": "Job-readiness training"},
    "measure.arbetsarena": {"sv": "Arbetsarena", "en": "Work arena"},
    "measure.arbetsgrupp": {"sv": "Arbetsgrupp", "en": "Work team"},
    "measure.extern_praktik": {"sv": "Extern praktik", "en": "External work placement"},
    "measure.subventionerad_anstallning": {"sv": "Subventionerad anställning", "en": "Subsidised employment"},
    "measure.program": {"sv": "Program", "en": "Programme"},
    "measure.feriejobb": {"sv": "Feriejobb", "en": "Summer job"},
    "measure.studier_vagledning": {"sv": "Studie- och yrkesvägledning", "en": "Study and career guidance"},
    # staff roles
    "role.arbetsmarknadssekreterare": {"sv": "Arbetsmarknadssekreterare", "en": "Labour-market officers"},
    "role.coach": {"sv": "Coacher", "en": "Coaches"},
    "role.handledare": {"sv": "Handledare", "en": "Supervisors"},
    "role.arbetsledare": {"sv": "Arbetsledare", "en": "Work leaders"},
    "role.praktiksamordnare": {"sv": "Praktiksamordnare", "en": "Placement coordinators"},
    "role.syv": {"sv": "Studie- och yrkesvägledare", "en": "Career counsellors"},
    "role.halsopedagog": {"sv": "Hälsopedagog", "en": "Health educator"},
    "role.enhetschef": {"sv": "Enhetschef", "en": "Unit manager"},
    "role.jobbmaklare": {"sv": "Jobbmäklare", "en": "Job brokers"},
    "role.annan": {"sv": "Övrig personal", "en": "Other staff"},
    # payers and boards
    "payer.kommunen": {"sv": "Kommunen", "en": "The municipality"},
    "payer.staten_af": {"sv": "Staten (Arbetsförmedlingen)", "en": "The state (AF)"},
    "payer.fk": {"sv": "Försäkringskassan", "en": "Social Insurance Agency"},
    "payer.samordningsforbund": {"sv": "Samordningsförbundet", "en": "Coordination association (FINSAM)"},
    "payer.esf": {"sv": "Europeiska socialfonden (ESF)", "en": "European Social Fund (ESF)"},
    "payer.lansstyrelsen": {"sv": "Länsstyrelsen", "en": "County administrative board"},
    "board.socialnamnden": {"sv": "Socialnämnden", "en": "Social services board"},
    # cost lines (prefix:<id> lines get ': <name>' appended)
    "line.forsorjningsstod": {"sv": "Försörjningsstöd", "en": "Social assistance (försörjningsstöd)"},
    "line.staff": {"sv": "Personal", "en": "Staff"},
    "line.premises": {"sv": "Lokaler", "en": "Premises"},
    "line.running": {"sv": "Driftkostnader", "en": "Running costs"},
    "line.income": {"sv": "Intäkter", "en": "Income"},
    "line.subsidy_wage": {"sv": "Lön i subventionerad anställning", "en": "Wages in subsidised jobs"},
    "line.subsidy_compensation": {"sv": "Statlig lönesubvention", "en": "State wage subsidy"},
    "line.funding": {"sv": "Extern finansiering", "en": "External funding"},
    "line.tax_revenue": {"sv": "Kommunalskatt från nya jobb (utanför budget)", "en": "Municipal tax from new jobs (outside budget)"},
    # stages (prefix:<id>)
    "stage.beredning": {"sv": "Beredning", "en": "Assignment decision"},
    "stage.handlaggare": {"sv": "Handläggare", "en": "Case manager"},
    "stage.matchning": {"sv": "Matchning", "en": "Matching"},
    "stage.direkt": {"sv": "Direkt till insats", "en": "Direct to a measure"},
    "stage.ingen_insats": {"sv": "Ingen insats ännu", "en": "No measure yet"},
    "kind.beredning": {"sv": "Väntan på beredning", "en": "Waiting for assignment decision"},
    "kind.handlaggare": {"sv": "Väntan på handläggare", "en": "Waiting for a case manager"},
    "kind.matchning": {"sv": "Väntan på matchning", "en": "Waiting for matching"},
    "kind.insats": {"sv": "Väntan på plats i insats", "en": "Waiting for a place in a measure"},
    # monthly metrics
    "metric.in_stage": {"sv": "Deltagare per steg", "en": "Participants per stage"},
    "metric.queue": {"sv": "Antal i kö", "en": "Number waiting"},
    "metric.utilisation": {"sv": "Personalens beläggning", "en": "Staff utilisation"},
    "metric.occupancy": {"sv": "Platsbeläggning", "en": "Place occupancy"},
    "metric.available_fte": {"sv": "Tillgängliga årsarbetare", "en": "Available FTE"},
    "metric.used_fte": {"sv": "Använda årsarbetare", "en": "FTE in use"},
    "metric.available_places": {"sv": "Tillgängliga platser", "en": "Available places"},
    "metric.used_places": {"sv": "Använda platser", "en": "Places in use"},
    "metric.fs_households": {"sv": "Hushåll med försörjningsstöd", "en": "Households on social assistance"},
    "metric.in_system": {"sv": "Deltagare i verksamheten", "en": "Participants in the programme"},
    "metric.arrivals": {"sv": "Nya deltagare", "en": "New participants"},
    "metric.exits": {"sv": "Avslut", "en": "Exits"},
    "metric.fs_cost": {"sv": "Kostnad för försörjningsstöd", "en": "Cost of social assistance"},
    "metric.fs_long_term": {"sv": "Hushåll med långvarigt försörjningsstöd", "en": "Long-term recipient households"},
    "metric.wait_days": {"sv": "Väntetid", "en": "Waiting time"},
}

# Ids are ASCII (``^[a-z][a-z0-9_]*$``); restore the Swedish letters of common words.
_WORDS = {
    "handlaggare": "handläggare", "kartlaggning": "kartläggning", "langt": "långt", "fran": "från",
    "narmare": "närmare", "nara": "nära", "forsorjningsstod": "försörjningsstöd", "stod": "stöd",
    "vagledning": "vägledning", "halsopedagog": "hälsopedagog", "jobbmaklare": "jobbmäklare",
    "arbetsformedlingen": "arbetsförmedlingen", "forsakringskassan": "försäkringskassan",
    "kriminalvarden": "kriminalvården", "socialnamnden": "socialnämnden", "namnden": "nämnden",
    "arbetsmarknadsnamnden": "arbetsmarknadsnämnden", "utbildningsnamnden": "utbildningsnämnden",
    "kommunstyrelsen": "kommunstyrelsen", "unga": "unga", "aldre": "äldre", "sjukskrivna": "sjukskrivna",
    "nyanlanda": "nyanlända", "vuxna": "vuxna", "fardigheter": "färdigheter", "oppen": "öppen",
    "sokverkstad": "sökverkstad", "tradgard": "trädgård", "snickeri": "snickeri", "kok": "kök",
    "atervinning": "återvinning", "bistand": "bistånd", "ovriga": "övriga", "ovrigt": "övrigt",
    "ekonomiskt": "ekonomiskt", "anstallning": "anställning", "lonebidrag": "lönebidrag",
    "valfardsjobb": "välfärdsjobb", "extratjanst": "extratjänst", "trygghetsanstallning": "trygghetsanställning",
    "samordningsforbund": "samordningsförbund", "lansstyrelsen": "länsstyrelsen", "sjalvhanvisning": "självhänvisning",
    "matchning": "matchning", "sprak": "språk", "halsa": "hälsa", "forberedande": "förberedande",
}


def pretty_id(ident: str) -> str:
    """'langt_fran' -> 'Långt från'; short ids ('ame', 'iam') become upper case acronyms."""
    if not ident:
        return ident
    if len(ident) <= 3 and ident.isalpha():
        return ident.upper()
    words = [_WORDS.get(w, w) for w in re.split(r"[_\s]+", ident) if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@dataclass
class ReportLabels:
    """Label lookup for one language and (optionally) one scenario's names."""

    lang: str = "sv"
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # section -> id -> label
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)  # section -> id -> kind
    ids: dict[str, set[str]] = field(default_factory=dict)  # section -> every id in it

    def __post_init__(self) -> None:
        check_lang(self.lang)

    @classmethod
    def from_scenario(cls, resolved: Mapping[str, Any] | None, lang: str = "sv") -> ReportLabels:
        """Read ``name`` labels and kinds from ``run.json``'s ``resolved_scenario``."""
        lab = cls(lang=lang)
        if not resolved:
            return lab
        kind_key = {"channels": "kind", "measures": "kind", "staff": "role", "economics.funding": "payer"}
        for section in ("units", "measures", "channels", "segments", "staff", "economics.funding"):
            items: Any = resolved
            for part in section.split("."):
                items = items.get(part, []) if isinstance(items, Mapping) else []
            names: dict[str, str] = {}
            kinds: dict[str, str] = {}
            for it in items or []:
                if not isinstance(it, Mapping) or "id" not in it:
                    continue
                iid = str(it["id"])
                lab.ids.setdefault(section, set()).add(iid)
                if it.get("name"):
                    names[iid] = str(it["name"])
                k = kind_key.get(section)
                if k and it.get(k):
                    kinds[iid] = str(it[k])
            lab.names[section] = names
            lab.kinds[section] = kinds
        return lab

    def merge(self, other: ReportLabels) -> ReportLabels:
        """Add names and kinds this one lacks (a comparison: units only the alternative has)."""
        for attr in ("names", "kinds"):
            mine, theirs = getattr(self, attr), getattr(other, attr)
            for section, items in theirs.items():
                for k, v in items.items():
                    mine.setdefault(section, {}).setdefault(k, v)
        for section, idents in other.ids.items():
            self.ids.setdefault(section, set()).update(idents)
        return self

    # ------------------------------------------------------------------ basics

    def t(self, key: str, default: str | None = None) -> str:
        """Translate a fixed key like 'exit.arbete'."""
        entry = _T.get(key)
        if entry is None:
            return default if default is not None else key
        return entry.get(self.lang, entry["sv"])

    def sv_en(self, sv: str, en: str) -> str:
        return sv if self.lang == "sv" else en

    def _item(self, section: str, ident: str, kind_prefix: str | None) -> str:
        name = self.names.get(section, {}).get(ident)
        if name:
            return name
        kinds = self.kinds.get(section, {})
        kind = kinds.get(ident)
        if kind_prefix == "channel" and kind:
            base = self.t(f"channel.{kind}", pretty_id(kind))
            same = [i for i, k in kinds.items() if k == kind]
            return base if len(same) == 1 else f"{base} ({pretty_id(ident)})"
        if kind_prefix and kind == ident:
            return self.t(f"{kind_prefix}.{kind}", pretty_id(ident))
        if kind_prefix and kind is None and f"{kind_prefix}.{ident}" in _T:
            return self.t(f"{kind_prefix}.{ident}")
        return pretty_id(ident)

    def unit(self, ident: str) -> str:
        return self._item("units", ident, None)

    def measure(self, ident: str) -> str:
        return self._item("measures", ident, "measure")

    def channel(self, ident: str) -> str:
        return self._item("channels", ident, "channel")

    def segment(self, ident: str) -> str:
        return self._item("segments", ident, None)

    def pool(self, ident: str) -> str:
        return self._item("staff", ident, "role")

    def funding(self, ident: str) -> str:
        return self._item("economics.funding", ident, None)

    _SECTIONS = (("segments", "segment"), ("measures", "measure"), ("channels", "channel"), ("units", "unit"),
                 ("staff", "pool"), ("economics.funding", "funding"))

    def is_ident(self, x: str) -> bool:
        """Whether ``x`` is an id this report can name (a scenario item, a reason, a value)."""
        return (x in EXIT_ORDER or x in VALUE_SV or any(x in self.ids.get(s, ()) for s, _ in self._SECTIONS)
                or any(f"{p}.{x}" in _T for p in ("channel", "measure", "role", "payer", "board", "status")))

    def ident(self, x: str) -> str:
        """Any id or enumerated value of a scenario as words: an exit reason, a segment,
        measure, channel, unit or staff pool by its name, a kind, role or payer, a value such
        as 'longest'; otherwise the id made readable."""
        if x in EXIT_ORDER:
            return self.exit_reason(x)
        for section, kind in self._SECTIONS:
            if x in self.ids.get(section, ()) or x in self.names.get(section, {}):
                return getattr(self, kind)(x)
        if x in VALUE_SV:
            return VALUE_SV[x] if self.lang == "sv" else x
        for prefix in ("channel", "measure", "role", "payer", "board", "status"):
            if f"{prefix}.{x}" in _T:
                return self.t(f"{prefix}.{x}")
        return pretty_id(x)

    def exit_reason(self, reason: str | None) -> str:
        if reason is None or reason == "" or reason == "kvar":
            return self.t("exit.kvar")
        return self.t(f"exit.{reason}", pretty_id(str(reason)))

    def status(self, status: str) -> str:
        return self.t(f"status.{status}", pretty_id(status))

    def payer(self, payer: str) -> str:
        return self.t(f"payer.{payer}", pretty_id(payer))

    def board(self, board: str) -> str:
        if not board:
            return ""
        return self.t(f"board.{board}", pretty_id(board))

    def metric(self, metric: str) -> str:
        return self.t(f"metric.{metric}", pretty_id(metric))

    def kind(self, kind: str) -> str:
        """Episode kind as a waiting label ('Väntan på beredning')."""
        return self.t(f"kind.{kind}", pretty_id(kind))

    def unit_of(self, unit: str) -> str:
        """A KPI unit ('persons', 'SEK', ...) in words (the catalogue's units)."""
        words = UNITS.get(unit)
        return (words[1] if self.lang == "en" else words[0]) if words else unit

    # ------------------------------------------------------------------ composite ids

    def stage(self, stage: str) -> str:
        """Episode stage ids: 'beredning:ame', 'handlaggare:ame', 'matchning:praktik', measure ids."""
        if ":" in stage:
            prefix, ident = stage.split(":", 1)
            if prefix in ("beredning", "handlaggare"):
                return f"{self.t('stage.' + prefix)} – {self.unit(ident)}"
            if prefix == "matchning":
                return f"{self.t('stage.matchning')} – {self.measure(ident)}"
            if prefix == "platser":
                return self.measure(ident)
            return f"{pretty_id(prefix)} – {pretty_id(ident)}"
        return self.measure(stage)

    def entity(self, metric: str, entity: str) -> str:
        """The entity column of ``monthly`` for a metric."""
        if metric in ("in_stage", "queue"):
            return self.stage(entity)
        if metric in ("utilisation", "available_fte", "used_fte"):
            return self.pool(entity)
        if metric in ("occupancy", "available_places", "used_places"):
            return self.measure(entity)
        if metric == "arrivals":
            return self.channel(entity)
        if metric == "exits":
            return self.exit_reason(entity)
        return self.metric(metric) if not entity else pretty_id(entity)

    def cost_line(self, line: str) -> str:
        if ":" not in line:
            return self.t(f"line.{line}", pretty_id(line))
        prefix, ident = line.split(":", 1)
        head = self.t(f"line.{prefix}", pretty_id(prefix))
        if prefix == "staff":
            what = self.pool(ident)
        elif prefix == "premises":
            what = self.unit(ident)
        elif prefix == "funding":
            what = self.funding(ident)
        else:
            what = self.measure(ident)
        return f"{head}: {what}"

    def _queue_stage(self, rest: str) -> str:
        """Undo KPI ids' ':' -> '_' for queue stages (queue_mean_beredning_ame)."""
        for prefix in ("beredning", "handlaggare", "matchning"):
            if rest.startswith(prefix + "_"):
                return self.stage(f"{prefix}:{rest[len(prefix) + 1:]}")
        return self.stage(rest)

    def kpi(self, kpi: str) -> str:
        """Every KPI id of ``kpis.parquet``: the catalogue's label, a family's member named
        as the scenario names it (unknown ids, e.g. from a newer version: the id made readable)."""
        found = lookup(kpi)
        if found is None:
            return pretty_id(kpi)
        spec, member = found
        what = {"exit_reason": self.exit_reason, "pool": self.pool, "measure": self.measure,
                "stage": self._queue_stage, "payer": self.payer}.get(spec.member, pretty_id)(member) if member else ""
        return spec.label(self.lang, what)

    def kpi_short(self, kpi: str) -> str:
        """A card title: the catalogue's short label."""
        found = lookup(kpi)
        return found[0].short(self.lang) if found and not found[1] else self.kpi(kpi)

    def period(self, period: str) -> str:
        if str(period) == "total":
            return self.sv_en("Hela perioden", "Whole period")
        return str(period)


#: The old name, kept while branches written against it (excel.py, a sweep page) switch to
#: ReportLabels; remove once nothing imports it.
Labels = ReportLabels


def kpi_format(kpi: str, unit: str | None = None) -> str:
    """How a KPI's value is shown: money, share, count or number (the catalogue's format)."""
    return format_of(kpi, unit)


def kpi_better(kpi: str) -> str:
    """'higher', 'lower' or '' (used when a table has no ``better`` column)."""
    return better_of(kpi)
