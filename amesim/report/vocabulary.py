"""Swedish for what a scenario file says: its field names, its enumerated values, and the
prefixes of its source notes.

Scenario files are written in English field names with ASCII ids; a Swedish report must
not show ``employer fee share`` or ``longest``. Every field of the scenario model has a
Swedish name here (``tests/test_report_swedish.py`` walks the model to check), and every
value of its enumerations (``Literal`` types) a Swedish word, here or in
:mod:`.labels`. A source note is the scenario author's text and stays as written, except
its conventional prefixes (``derived:``, ``assumption:``, "not in the seeds").
"""

from __future__ import annotations

import re

FIELD_SV: dict[str, str] = {
    "after": "efter insatsen", "after_exit": "efter avslut", "after_months": "efter antal månader",
    "base": "grundvärde", "changes": "förändringar", "channel": "inflöde",
    "compensation_cap_sek_per_month": "tak för statlig ersättning per månad (kr)", "count": "antal",
    "dist": "fördelning", "dropout_per_month": "avbrott per månad", "duration_months": "längd (månader)",
    "economics": "ekonomi", "effect": "effekt", "elapsed_share": "andel av insatsen som redan gått",
    "elasticity": "elasticitet", "employer_fee_share": "arbetsgivaravgift (andel av lönen)",
    "hazard_ratio": "effekt på takten ut ur försörjningsstöd (hasardkvot)", "high": "högst",
    "in_kolada": "räknas i Koladas mått", "include": "tas med", "initial_participants": "deltagare vid start",
    "job_months": "jobbets längd (månader)", "low": "lägst", "max": "högst", "max_assignments": "högst antal uppdrag",
    "max_multiplier": "största förstärkning", "mean": "medel", "measure": "insats", "min": "lägst",
    "mode": "troligast", "months": "månader", "municipal_tax_rate": "kommunal skattesats",
    "normal": "normalfördelning", "payer": "betalare", "places_changes": "ändrat antal platser",
    "pools": "personalgrupper", "population": "befolkning med försörjningsstöd",
    "price_sek_per_participant": "pris per deltagare (kr)", "range": "intervall", "re_referral": "ny anvisning",
    # format extensions of the scenario library (002 several SKE channels, reserved and
    # budgeted places; 001 §5.3 a unit shared with a neighbouring municipality)
    "budgeted_places": "budgeterade platser", "reserved": "reserverade platser",
    "fallback_after_days": "andra anvisare får platsen efter (dagar)",
    "referral_weights": "andel av socialtjänstens anvisningar per grupp",
    "referral_weights_source": "källa för anvisningsandelarna",
    "host": "värdkommun", "partners": "samverkande kommuner", "cost_share": "andel av kostnaden",
    "travel": "resväg", "participation_share": "andel som börjar trots resan",
    "minutes_one_way": "restid enkel väg (minuter)",
    "reference_participants_per_fte": "referens: deltagare per årsarbetare",
    "retention_boost": "ökad chans att vara kvar i arbete", "routes": "avslutsvägar som påverkas",
    "sd": "standardavvikelse", "staff_density": "personaltäthet", "time": "tid",
    "triangular": "triangelfördelning", "units": "enheter", "value": "värde", "values": "värden",
    "waited_days": "dagar i kö före start", "waiting": "i kö vid start", "weights": "vikter",

    "start_date": "startdatum", "horizon_years": "tidshorisont (år)", "warmup_days": "uppvärmning (dagar)",
    "initial_households": "hushåll med försörjningsstöd vid start", "inflow_per_month": "nya hushåll per månad",
    "payment_sek_per_month": "utbetalning per hushåll och månad (kr)", "segments": "fördelning på grupper",
    "work_related_share": "andel med arbetslöshet som orsak", "rate_per_month": "antal per månad",
    "capacity_per_month": "högst antal per månad", "age": "ålder", "distance": "avstånd till arbetsmarknaden (0–10)",
    "baseline_exit_per_month": "avslut per månad utan AME", "fte": "årsarbetare",
    "annual_cost_sek": "årskostnad per årsarbetare (kr)", "places": "platser",
    "duration_days": "längd (dagar)", "hazards_per_month": "avslutsrisk per månad",
    "on_completion": "utfall vid fullföljd insats", "distance_change": "förändrat avstånd efter insats",
    "patience_days": "tålamod i kö (dagar)", "participants_per_fte": "deltagare per årsarbetare",
    "caseload_per_fte": "ärenden per årsarbetare", "interval_days": "dagar mellan möten",
    "max_cases_per_meeting": "ärenden per möte", "model": "modell", "process_model": "arbetssätt",
    "routing": "fördelning till insatser", "reassess_months": "månader mellan omprövningar",
    "reassessment": "omprövning", "max_measures": "högst antal insatser", "krom_per_month": "Rusta och matcha per månad",
    "retention_6m": "kvar i arbete/studier efter 6 månader", "return_to_fs_12m": "åter till försörjningsstöd inom 12 månader",
    "summer_places_factor": "andel platser på sommaren", "aim": "mål", "batch": "årligt intag",
    "size": "antal", "date": "datum", "first_measure": "första insats", "sek_per_year": "kronor per år",
    "wage_sek_per_month": "lön per månad (kr)", "state_compensation_share": "statlig ersättning (andel)",
    "fs_payment_factor": "andel försörjningsstöd under insatsen", "board": "nämnd",
    "fs_indexation_per_year": "uppräkning försörjningsstöd per år", "cost_indexation_per_year": "uppräkning kostnader per år",
    "persons": "personer", "role": "roll", "sequence": "huvudspår", "side_track": "sidospår",
    "referral": "anvisning från socialtjänsten", "staff": "personalbehov", "matching": "matchning",
    "steps": "steg", "when": "villkor", "measures": "insatser", "distance_max": "högst avstånd",
    "distance_min": "minst avstånd", "case_manager": "handläggare", "beredning": "beredning",
    "eligibility": "målgrupp", "subsidy": "subvention", "funding": "extern finansiering",
    "summer": "sommar", "vacation_weeks_in_summer": "semesterveckor på sommaren", "sick_leave": "sjukfrånvaro",
    "share": "andel", "spell_days": "längd per sjukperiod (dagar)", "priority": "prioritet",
    "fs_share": "andel med försörjningsstöd", "max_months": "högst antal månader",
    "running_cost_sek_per_year": "driftkostnad per år (kr)", "income_sek_per_year": "intäkter per år (kr)",
    "premises_sek_per_year": "lokalkostnad per år (kr)", "sanction_per_month": "sanktioner per månad",
    "side_track_share": "andel till sidospår", "meets_in_summer": "möten på sommaren", "ips": "IPS-stöd",
    "min_months_on_support": "minsta antal månader med stöd", "trend_per_year": "trend per år",
    "baseline_exit_mix": "avslut utan AME fördelat på", "distance_effect": "effekt av avstånd",
    "tax": "kommunalskatt", "start": "start", "end": "slut", "target": "målgrupp", "channels": "inflöden",
}

#: The scenario model's enumerated values that are not ids of kinds, roles or reasons.
VALUE_SV: dict[str, str] = {
    "random": "slumpvis", "longest": "den som väntat längst först",
    "samverkansforum": "samverkansforum", "dedicated": "särskild mottagningsenhet",
    "direct": "direkt tilldelning", "individual": "individuellt arbetssätt",
    "process": "processorienterat arbetssätt", "primar": "primär (målet är arbete eller studier)",
    "sekundar": "sekundär (arbetsförberedande)",
}

DIST_SV = {"fixed": "fast", "exponential": "exponentialfördelning", "uniform": "likformig",
           "triangular": "triangelfördelning", "lognormal": "lognormalfördelning", "gamma": "gammafördelning",
           "normal": "normalfördelning", "empirical": "empirisk"}

_SOURCE_SV = (
    (re.compile(r"\bderived:\s*", re.I), "härlett: "),
    (re.compile(r"\bassumption:\s*", re.I), "antagande: "),
    (re.compile(r"^calibrated to\b", re.I), "kalibrerat mot"),
    (re.compile(r"\bnot in the seeds\b", re.I), "finns inte i underlagen"),
    (re.compile(r"\bsee header\b", re.I), "se scenariofilens inledning"),
)


def source_text(source: str, lang: str = "sv") -> str:
    """A scenario's source note for the report: its conventional English prefixes in Swedish."""
    if lang != "sv" or not source:
        return source
    for pattern, sv in _SOURCE_SV:
        source = pattern.sub(sv, source)
    return source
