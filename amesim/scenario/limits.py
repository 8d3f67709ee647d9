"""Limits on what a scenario may ask for: file size and shape, plausible values, run size.

Three layers, from cheap to expensive, each turning a hang, a crash or a memory blow-up
into a clear exit-2 error:

* **Input limits** (the loader): a scenario file is a regular file of at most
  :data:`MAX_FILE_BYTES`, nested at most :data:`MAX_DEPTH` levels, expanding to at most
  :data:`MAX_NODES` values once aliases are followed, with at most :data:`MAX_EXTENDS`
  files in an ``extends`` chain.
* **Plausible values** (:func:`plausibility_problems`, part of validation): bounds no
  municipality comes near (a million households, ten thousand staff in one pool, dates
  outside 1900-2200...) and the structural rules pydantic cannot state on one field
  (durations that can be negative, an exit mix of zeros, an empty programme, duplicate ids
  in any list). The rules are generic where they can be (every list of items with ``id``,
  every distribution field named ``*_days``, every date, every Schedule's trend), so new
  fields are covered without code.
* **Run size** (:func:`estimate_size`, checked by ``run``/``compare`` before anything is
  simulated): the events and memory one replication needs, from the scenario's volumes;
  above :data:`MAX_EVENTS_PER_REPLICATION` events or the memory limit the command refuses
  with the estimate unless given ``--allow-large``.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .values import Dist, Quantity

# --------------------------------------------------------------------------- input limits

#: Largest scenario file read (bundled scenarios are 1-30 kB).
MAX_FILE_BYTES = 2_000_000
#: Deepest nesting of mappings and lists in a file (bundled scenarios: 7).
MAX_DEPTH = 40
#: Most values a file may expand to with its aliases followed (bundled: ~900).
MAX_NODES = 100_000
#: Most files in an ``extends`` chain (bundled: 2).
MAX_EXTENDS = 16

# --------------------------------------------------------------------------- plausible values

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]

#: Upper bounds (inclusive) by (model, field) that no Swedish municipality comes near:
#: Stockholm, the largest, has ~10,000 households on försörjningsstöd and its AME a few
#: hundred staff. Checked on the largest value a Quantity can take; a Schedule's base,
#: every change and its trend; a plain number as it is. Model "*" means a field of that
#: name in any model (so a dated change of places or staff is covered too). (assumption:
#: generous guards against typos such as 1.0e+8 for 1.0e+3, not estimates.)
PLAUSIBLE_MAX: dict[tuple[str, str], tuple[float, str]] = {
    ("Population", "initial_households"): (1_000_000, "households on support"),
    ("Population", "inflow_per_month"): (100_000, "new households a month"),
    ("Referral", "capacity_per_month"): (100_000, "referrals a month"),
    ("Channel", "rate_per_month"): (100_000, "arrivals a month"),
    ("Batch", "size"): (100_000, "people per intake"),
    ("InitialParticipants", "count"): (100_000, "people in a measure at the start"),
    ("*", "fte"): (10_000, "FTE in one pool"),
    ("*", "persons"): (10_000, "people in one pool"),
    ("*", "places"): (1_000_000, "places"),
    ("Schedule", "trend_per_year"): (10.0, "relative change per year (+1000 %)"),
    ("Time", "warmup_days"): (50 * 365.25, "days of warm-up (50 years)"),
    ("Beredning", "max_cases_per_meeting"): (100_000, "cases per meeting"),
    ("Unit", "max_measures"): (1_000, "measures per assignment"),
}
#: Lower bounds (inclusive) by (model, field), same conventions (the smallest value).
PLAUSIBLE_MIN: dict[tuple[str, str], tuple[float, str]] = {
    # One day: a shorter horizon has no whole day to report. (assumption)
    ("Time", "horizon_years"): (1 / 365.25, "years (one day)"),
    # Meetings at most daily; a shorter interval only multiplies events. (assumption)
    ("Beredning", "interval_days"): (1.0, "days between meetings"),
}
#: Dates anywhere in a scenario must lie in this window (calendar arithmetic near year 1
#: or 9999 overflows; an AME scenario is about the 20th and 21st century). (assumption)
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
#: Dist fields whose name ends so are durations or amounts: no draw may be negative.
NONNEGATIVE_DISTS = {"_days": "a duration", "_sek_per_month": "an amount of money"}
#: A sick-leave spell shorter than this on average is not a spell (sick leave is counted in
#: days); tiny spells only multiply events. (assumption)
MIN_SICK_SPELL_DAYS = 1.0


def _fmt(x: float) -> str:
    if not math.isfinite(x) or abs(x) >= 1e15:
        return f"{x:.3g}"
    if x == int(x):
        return f"{int(x):,}".replace(",", " ")
    return f"{x:.6g}"


def _span(value: Any) -> tuple[float, float] | None:
    """Smallest and largest value a field's value can take (None: not a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return (float(value), float(value))
    if isinstance(value, Quantity):
        return value.bounds()
    return None


def dist_span(d: Dist) -> tuple[float, float]:
    """Smallest and largest draw of a distribution, with its clipping (min, max)."""
    p = {k: q.bounds() for k, q in d.quantities().items()}
    if d.dist == "fixed":
        lo, hi = p["value"]
    elif d.dist in ("uniform", "triangular"):
        lo, hi = p["low"][0], p["high"][1]
    elif d.dist in ("exponential", "lognormal", "gamma"):
        lo, hi = 0.0, math.inf
    elif d.dist == "normal":
        lo, hi = -math.inf, math.inf
    else:  # empirical
        lo, hi = min(d.values or [0.0]), max(d.values or [0.0])
    if d.min is not None:
        lo, hi = max(lo, d.min), max(hi, d.min)
    if d.max is not None:
        lo, hi = min(lo, d.max), min(hi, d.max)
    return lo, hi


def dist_mean(d: Dist) -> float:
    """The mean draw with every parameter at its point value (clipping ignored)."""
    p = {k: q.point for k, q in d.quantities().items()}
    if d.dist == "fixed":
        return p["value"]
    if d.dist in ("uniform",):
        return (p["low"] + p["high"]) / 2
    if d.dist == "triangular":
        return (p["low"] + p["mode"] + p["high"]) / 3
    if d.dist == "empirical":
        vals = d.values or [0.0]
        w = d.weights or [1.0] * len(vals)
        return sum(v * x for v, x in zip(vals, w, strict=False)) / (sum(w) or 1.0)
    return p["mean"]


def _bound_problems(model: str, name: str, value: Any, loc: Loc, out: list[Problem]) -> None:
    from .model import Schedule

    if isinstance(value, Schedule):
        _bound_problems(model, name, value.base, (*loc, "base"), out)
        for i, c in enumerate(value.changes):
            _bound_problems(model, name, c.value, (*loc, "changes", i, "value"), out)
        return
    span = _span(value)
    if span is None:
        return
    hi_rule = PLAUSIBLE_MAX.get((model, name)) or PLAUSIBLE_MAX.get(("*", name))
    if hi_rule is not None and span[1] > hi_rule[0]:
        out.append((loc, f"{_fmt(span[1])} is implausibly large: at most {_fmt(hi_rule[0])} "
                    f"{hi_rule[1]} (check the number of digits)"))
    lo_rule = PLAUSIBLE_MIN.get((model, name)) or PLAUSIBLE_MIN.get(("*", name))
    if lo_rule is not None and span[0] < lo_rule[0]:
        out.append((loc, f"{_fmt(span[0])} is implausibly small: at least {_fmt(lo_rule[0])} "
                    f"{lo_rule[1]}"))


def _walk(obj: Any, loc: Loc, out: list[Problem]) -> None:
    """Every generic rule, on every model, list and mapping of the scenario tree."""
    if isinstance(obj, dt.date) and not FIRST_DATE <= obj <= LAST_DATE:
        out.append((loc, f"{obj.isoformat()} is outside the dates amesim handles "
                    f"({FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()})"))
    elif isinstance(obj, (Quantity, Dist)):
        return
    elif isinstance(obj, BaseModel):
        model = type(obj).__name__
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            here = (*loc, name)
            _bound_problems(model, name, value, here, out)
            what = next((w for end, w in NONNEGATIVE_DISTS.items() if name.endswith(end)), None)
            if isinstance(value, Dist) and what is not None and (lo := dist_span(value)[0]) < 0:
                can = "any negative value" if lo == -math.inf else _fmt(lo)
                out.append((here, f"{what} must not be negative, but this can draw {can}; give "
                            "non-negative values or clip with min: 0"))
            _walk(value, here, out)
    elif isinstance(obj, list):
        seen: dict[Any, int] = {}
        for i, x in enumerate(obj):
            ident = getattr(x, "id", None) if isinstance(x, BaseModel) else None
            if ident is not None:
                if ident in seen:
                    out.append(((*loc, i, "id"), f"duplicate id {ident!r} (also at "
                                f"{_dotted((*loc, seen[ident]))}); give each id once"))
                else:
                    seen[ident] = i
            _walk(x, (*loc, i), out)
    elif isinstance(obj, dict):
        for k, x in obj.items():
            _walk(x, (*loc, k), out)


def _dotted(path: Loc) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


def plausibility_problems(s: Any) -> list[Problem]:
    """Values no scenario can mean and shapes the simulation cannot run, as (path, message)."""
    out: list[Problem] = []
    _walk(s, (), out)
    for i, seg in enumerate(s.segments):
        mix = seg.baseline_exit_mix
        if seg.baseline_exit_per_month.bounds()[1] > 0 and (
                not mix or sum(q.bounds()[0] for q in mix.values()) <= 0):
            out.append((("segments", i, "baseline_exit_mix"), "the exit rate is above 0, so the "
                        "mix of where those exits go needs a weight above 0 (for every value the "
                        "weights can take)"))
    for i, m in enumerate(s.measures):
        if m.steps is not None and not m.steps:
            out.append((("measures", i, "steps"), "a programme needs at least one step"))
    for i, pool in enumerate(s.staff):
        sick = pool.sick_leave
        if sick.share.bounds()[1] > 0 and dist_mean(sick.spell_days) < MIN_SICK_SPELL_DAYS:
            out.append((("staff", i, "sick_leave", "spell_days"), f"a sick-leave spell of "
                        f"{_fmt(dist_mean(sick.spell_days))} days on average is implausibly short "
                        f"(at least {_fmt(MIN_SICK_SPELL_DAYS)} day)"))
    return out


# --------------------------------------------------------------------------- run size

#: Refuse (without --allow-large) a replication estimated to need more events than this:
#: ~10 minutes of one core at the measured ~3 µs per event. (benchmarks/README.md: ~100 µs
#: and ~30 events per participant.)
MAX_EVENTS_PER_REPLICATION = 200_000_000
#: Memory of one replication: ~3.5 kB per participant logged at large sizes
#: (benchmarks/README.md scaling table: 3.1-3.6 kB), rounded up; a support spell is a few
#: array cells and a table row; a staff member a process and a few small objects. (assumption
#: from those measurements)
BYTES_PER_PARTICIPANT = 5_000
BYTES_PER_SPELL = 300
BYTES_PER_PERSON = 2_000
BYTES_BASE = 150_000_000  # interpreter, numpy, pandas, pyarrow, scipy (measured ~140 MB)
#: Events: a participant's queues, stages and hazards (~30, see above); a sick spell
#: starts and ends; a support spell is generated as arrays, not events.
EVENTS_PER_PARTICIPANT = 30
SECONDS_PER_EVENT = 3e-6
DAYS_PER_MONTH = 365.25 / 12


def memory_limit() -> int:
    """Memory all replications running at once may use: half of physical memory."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2)
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 8 GB of memory
        return 4 * 1024**3


@dataclass(frozen=True)
class SizeEstimate:
    """Upper estimates for one replication (every uncertain input at its largest)."""

    participants: float
    support_spells: float
    staff_persons: float
    events: float
    memory_bytes: float

    @property
    def seconds(self) -> float:
        return self.events * SECONDS_PER_EVENT

    def describe(self) -> str:
        return (f"about {_count(self.participants)} participants, {_count(self.support_spells)} "
                f"support spells, {_count(self.staff_persons)} staff, {_count(self.events)} events, "
                f"{_count(self.memory_bytes / 1e6)} MB and {_duration(self.seconds)} per replication")


def _count(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ") if x < 1e12 else f"{x:.2g}"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "forever"
    if seconds < 1:
        return "under a second"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    if seconds < 2 * 365.25 * 86400:
        return f"{seconds / 86400:.0f} days"
    return f"{_fmt(seconds / (365.25 * 86400))} years"


def _schedule_max(sch: Any, years: float) -> float:
    """The largest monthly rate a Schedule reaches over ``years`` (trend compounding)."""
    top = max([sch.base.bounds()[1], *(c.value.bounds()[1] for c in sch.changes)])
    if top <= 0:
        return 0.0
    trend = sch.trend_per_year.bounds()[1] if sch.trend_per_year is not None else 0.0
    if trend <= 0:
        return top
    log = math.log(top) + years * math.log1p(trend)
    return math.exp(log) if log < 700 else math.inf


def estimate_size(s: Any) -> SizeEstimate:
    """Upper estimate of the participants, spells, events and memory of one replication.

    Deliberately simple and on the high side: every rate at its largest over the run, every
    channel open all the time. Its purpose is to catch the orders of magnitude that hang or
    exhaust memory, not to predict run time.
    """
    years = (s.time.warmup_days / 365.25) + s.time.horizon_years
    months = years * 12
    spells = s.population.initial_households.bounds()[1] \
        + _schedule_max(s.population.inflow_per_month, years) * months
    spells *= 1.5  # returns to support after an exit
    referral = min(_schedule_max(s.population.referral.capacity_per_month, years) * months, spells)
    people = referral
    for c in s.channels:
        if c.rate_per_month is not None:
            people += _schedule_max(c.rate_per_month, years) * months
        if c.batch is not None:
            people += c.batch.size.bounds()[1] * (math.ceil(years) + 1)
    people += sum(x.count.bounds()[1] for x in s.initial_participants)
    staff = 0.0
    events = people * EVENTS_PER_PARTICIPANT
    days = years * 365.25
    for pool in s.staff:
        # The largest staffing over the run: dated changes (a field of newer models) included.
        changes = getattr(pool, "changes", None) or []
        fte = max([pool.fte.bounds()[1], *(c.fte.bounds()[1] for c in changes)])
        persons = max([pool.persons or 0, *((c.persons or 0) for c in changes), math.ceil(fte)])
        staff += persons
        sick = pool.sick_leave
        mean = dist_mean(sick.spell_days)
        share = sick.share.bounds()[1]
        spells_each = (share * days / mean) if share > 0 and mean > 0 else (
            math.inf if share > 0 else 0.0)
        events += persons * (2 * spells_each + 4 * years)  # sick spells; vacations
    for u in s.units:
        if u.beredning.model == "samverkansforum" and u.beredning.interval_days:
            events += days / u.beredning.interval_days
        if u.reassess_months:
            events += people * years * 12 / u.reassess_months
    memory = (BYTES_BASE + people * BYTES_PER_PARTICIPANT + spells * BYTES_PER_SPELL
              + staff * BYTES_PER_PERSON)
    return SizeEstimate(people, spells, staff, events, memory)


def size_problem(estimate: SizeEstimate, concurrent: int = 1) -> str | None:
    """Why a run of this size is refused (None if it is not), for ``concurrent``
    replications in memory at once (local workers)."""
    limit = memory_limit()
    if not estimate.events <= MAX_EVENTS_PER_REPLICATION:
        return (f"the scenario needs {estimate.describe()}: more than the "
                f"{_count(MAX_EVENTS_PER_REPLICATION)} events per replication amesim runs "
                "without --allow-large")
    need = estimate.memory_bytes * max(concurrent, 1)
    if not need <= limit:
        return (f"the scenario needs {estimate.describe()}; with {concurrent} at once that is "
                f"{_count(need / 1e6)} MB, more than half of this machine's memory "
                f"({_count(limit / 1e6)} MB); use fewer --jobs or give --allow-large")
    return None
