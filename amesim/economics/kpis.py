"""Indicators municipalities report, per budget year and for the whole window.

Computed from the event-log tables of one replication (never by polling the model), so
a KPI is a pure function of ``participants``, ``episodes``, ``fs_spells``, ``monthly``
and ``costs``. The output is long: ``replication, kpi, period, value, unit, better``;
``period`` is a calendar year ('2021') or 'total' (the whole reported window).
Definitions, formulas and the sources they mirror are in ``docs/kpis.md``; unit and
better direction come from the KPI catalogue (:mod:`.catalogue`), so a KPI computed here
must have an entry there. The ids are a stable interface (reports and comparisons key on them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..results.tables import Labels
from ..scenario.calendar import Calendar
from .accounting import KOMMUNEN, BudgetYears, fs_counterfactual_per_year, staff_fte_days
from .catalogue import CATALOGUE, EXIT_ORDER, WORK_STUDIES, better_of, lookup, unit_of
from .municipalities import municipality_kpis

COLUMNS = ["replication", "kpi", "period", "value", "unit", "better"]
LEAVES_SUPPORT = ("arbete", "studier", "annan_myndighet")
LONG_TERM_MONTHS = 10  # Socialstyrelsen: support in 10-12 months of a calendar year
FOLLOW_UP_6M = 182.0
FOLLOW_UP_12M = 365.0
TOL = 1e-6

#: The computations of :func:`kpis_table`, each giving a group of KPIs. A caller that needs
#: some KPIs only (a sweep, goal seek, calibration) computes their parts and skips the rest,
#: with the tables only they read (the monthly table, the costs).
PARTS = ("participants", "monthly", "fs", "costs", "municipalities")
_MONTHLY = ("utilisation_<pool>", "occupancy_<measure>", "budget_gap_places_<measure>",
            "budget_gap_places", "queue_mean_<stage>")
_MUNICIPALITIES = ("participants_<municipality>", "new_participants_<municipality>",
                   "fs_cost_sek_<municipality>", "fs_savings_sek_<municipality>",
                   "ame_cost_share_<municipality>", "ame_net_cost_sek_<municipality>",
                   "net_effect_sek_<municipality>")
_FS = ("fs_households", "fs_long_term_households", "fs_long_term_share", "fs_months_per_household",
       "fs_households_counterfactual", "fs_households_change_share",
       "fs_long_term_households_counterfactual")
_COSTS = ("fs_cost_sek", "fs_cost_counterfactual_sek", "fs_savings_sek", "ame_cost_sek",
          "subsidy_net_cost_sek", "external_funding_sek", "ame_net_cost_sek", "net_municipal_cost_sek",
          "cost_per_exit_work_studies_sek", "payer_cost_<payer>_sek", "tax_revenue_sek")
#: Catalogue entry -> the part that computes it (tests/test_lean_kpis.py checks every entry
#: against the full table).
PART_OF: dict[str, str] = {
    k.id: ("monthly" if k.id in _MONTHLY else "municipalities" if k.id in _MUNICIPALITIES
           else "fs" if k.id in _FS else "costs" if k.id in _COSTS else "participants")
    for k in CATALOGUE
}
#: Parts another part reads: the costs use the exits to work or studies of the participant
#: KPIs, the municipalities the AME's net cost.
_NEEDS = {"costs": ("participants",), "municipalities": ("costs", "participants")}


def parts_for(kpis: Iterable[str] | None) -> frozenset[str]:
    """The parts of :func:`kpis_table` that give ``kpis`` (all of them for None or an id
    outside the catalogue, so the caller's error can list every KPI there is)."""
    if kpis is None:
        return frozenset(PARTS)
    out: set[str] = set()
    for kpi in kpis:
        found = lookup(kpi)
        if found is None:
            return frozenset(PARTS)
        out.add(PART_OF[found[0].id])
    for part in list(out):
        out.update(_NEEDS.get(part, ()))
    return frozenset(out)


class _Rows:
    """Accumulates KPI values as arrays over periods: K years, then 'total'."""

    def __init__(self, labels: list[str]):
        self.periods = [*labels, "total"]
        self.frames: list[tuple[str, np.ndarray, str, str]] = []

    def add(self, kpi: str, values: np.ndarray) -> None:
        """One KPI over the periods; its unit and better direction from the catalogue."""
        v = np.asarray(values, float)
        assert len(v) == len(self.periods), kpi
        self.frames.append((kpi, v, unit_of(kpi), better_of(kpi)))

    def frame(self, replication: int) -> pd.DataFrame:
        k, n = len(self.periods), len(self.frames)
        return pd.DataFrame({
            "replication": np.full(n * k, replication, np.int32),
            "kpi": np.repeat([f[0] for f in self.frames], k),
            "period": np.tile(self.periods, n),
            "value": np.concatenate([f[1] for f in self.frames]) if n else np.empty(0),
            "unit": np.repeat([f[2] for f in self.frames], k),
            "better": np.repeat([f[3] for f in self.frames], k),
        }, copy=False)  # fresh arrays: no need to copy them


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, float), np.asarray(den, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _with_mean(per_year: np.ndarray) -> np.ndarray:
    """Per-year values plus their mean over years as 'total' (annual-rate KPIs)."""
    v = np.asarray(per_year, float)
    total = float(np.nanmean(v)) if np.any(~np.isnan(v)) else np.nan
    return np.append(v, total)


class _Periods:
    """Binning of days into budget years, with 'total' = the whole window appended."""

    def __init__(self, by: BudgetYears):
        self.by = by
        self.k = len(by.years)
        self.lo = np.append(by.edges[:-1], by.edges[0])
        self.hi = np.append(by.edges[1:], by.edges[-1])

    def bin(self, x: np.ndarray) -> np.ndarray:
        """Year index of each day in the window, -1 outside it (or NaN)."""
        x = np.asarray(x, float)
        idx = np.searchsorted(self.by.edges, x, side="right") - 1
        bad = np.isnan(x) | (x < self.by.edges[0]) | (x >= self.by.edges[-1])
        return np.where(bad, -1, idx)

    def sum(self, idx: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-year sums (counts without weights) plus the total over the window."""
        ok = idx >= 0
        w = None if weights is None else np.asarray(weights, float)[ok]
        per = np.bincount(idx[ok], weights=w, minlength=self.k).astype(float)[: self.k]
        return np.append(per, per.sum())

    def active(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """How many intervals [start, end] (NaN end = open) touch each period."""
        e = np.where(np.isnan(end), np.inf, end)
        return np.array([np.count_nonzero((start < h) & (e >= lo_)) for lo_, h in zip(self.lo, self.hi, strict=True)],
                        float)


def _lookup(keys: np.ndarray, values: np.ndarray, at: np.ndarray, fill: object) -> np.ndarray:
    """``values`` of the unique ``keys`` looked up at ``at`` (``fill`` where absent):
    ``pd.Series(values, index=keys).reindex(at)`` without the index."""
    keys = np.asarray(keys)
    at = np.asarray(at)
    if len(keys) == 0:
        return np.full(len(at), fill, dtype=np.asarray(values).dtype if len(at) else float)
    order = np.argsort(keys, kind="stable")
    ks, vs = keys[order], np.asarray(values)[order]
    pos = np.minimum(np.searchsorted(ks, at), len(ks) - 1)
    return np.where(ks[pos] == at, vs[pos], fill)


class _Started:
    """The insats episodes that started: participant, episode number, start day, stage."""

    def __init__(self, episodes: pd.DataFrame):
        start = episodes["start_day"].to_numpy(float)
        sel = Labels(episodes["kind"]).eq("insats") & ~np.isnan(start)
        self.who = episodes["participant_id"].to_numpy(np.int64)[sel]
        self.seq = episodes["episode"].to_numpy(np.int64)[sel]
        self.start = start[sel]
        self.stage = Labels(episodes["stage"])
        self.stage_codes = self.stage.codes[sel]

    def last_aim(self, aims: dict[str, str], pid: np.ndarray) -> np.ndarray:
        """Per participant (``pid``), the aim of the last insats they started ('' if none)."""
        # Last by episode number within each participant (ties: the later row).
        order = np.lexsort((self.seq, self.who))
        who = self.who[order]
        last = np.r_[who[1:] != who[:-1], True] if len(who) else np.zeros(0, bool)
        table = self.stage.map(aims, "")  # by stage code, then '' for missing (code -1)
        code = _lookup(who[last], self.stage_codes[order][last], pid, -1).astype(np.intp)
        return table[code]

    def first_start(self, pid: np.ndarray) -> np.ndarray:
        """Per participant (``pid``), the day their first insats started (NaN if none)."""
        who, start = self.who, self.start
        order = np.lexsort((start, who))
        who, start = who[order], start[order]
        first = np.r_[True, who[1:] != who[:-1]] if len(who) else np.zeros(0, bool)
        return _lookup(who[first], start[first], pid, np.nan).astype(float)


def _last_spell_end(spells: pd.DataFrame, pid: np.ndarray) -> np.ndarray:
    """Per participant (``pid``), the latest end of their linked spells (NaN if none or open)."""
    who = spells["participant_id"].to_numpy(np.int64, na_value=-1)
    linked = who >= 0  # participant ids count from 0; -1: not linked
    who = who[linked]
    end = spells["end_day"].to_numpy(float)[linked]
    keys, inverse = np.unique(who, return_inverse=True)
    latest = np.full(len(keys), np.nan)
    np.fmax.at(latest, inverse, end)  # max ignoring NaN, like groupby().max()
    return _lookup(keys, latest, pid, np.nan).astype(float)


def _participant_kpis(out: _Rows, per: _Periods, r: Any, cal: Calendar, p_all: pd.DataFrame,
                      episodes: pd.DataFrame, spells: pd.DataFrame) -> dict[str, np.ndarray]:
    horizon = per.by.horizon
    # The Kolada population (004; Kolada's result KPI): summer jobs and other measures marked
    # outside it are reported on their own lines, not in the shares.
    kolada = p_all["kolada"].to_numpy(bool)
    p = p_all if kolada.all() else p_all[kolada]
    outside = p_all[~kolada]
    x_out = per.bin(outside["exit_day"].to_numpy(float))
    out.add("outside_kolada_participants", per.active(outside["arrival_day"].to_numpy(float),
                                                      outside["exit_day"].to_numpy(float)))
    out.add("outside_kolada_exits", per.sum(x_out))
    pid = p["participant_id"].to_numpy()
    arrival = p["arrival_day"].to_numpy(float)
    exit_day = p["exit_day"].to_numpy(float)
    reason = Labels(p["exit_reason"])
    cause = Labels(p["exit_cause"])
    xi = per.bin(exit_day)

    participants = per.active(arrival, exit_day)
    out.add("participants", participants)
    out.add("new_participants", per.sum(per.bin(arrival)))
    exits = per.sum(xi)
    out.add("exits", exits)
    counts = {}
    for rsn in EXIT_ORDER:
        counts[rsn] = per.sum(np.where(reason.eq(rsn), xi, -1))
        out.add(f"exits_{rsn}", counts[rsn])
    for rsn in EXIT_ORDER:
        out.add(f"share_{rsn}", _ratio(counts[rsn], exits))
    ws = sum((counts[rsn] for rsn in WORK_STUDIES), np.zeros(per.k + 1))
    out.add("share_work_studies", _ratio(ws, exits))
    # Gross is not net: of the exits to work or studies, the share the AME's effect caused
    # (the rest are the households' own exits that would have come anyway, docs/model.md).
    caused = reason.isin(WORK_STUDIES) & cause.eq("effekt")
    out.add("share_work_studies_caused", _ratio(per.sum(np.where(caused, xi, -1)), ws))
    unmatched = p["fs_unmatched"].to_numpy(bool)
    out.add("fs_link_unmatched", per.sum(np.where(unmatched, per.bin(arrival), -1)))

    # Västerås (002): by the aim of the last measure the participant had started.
    started = _Started(episodes)
    aim = started.last_aim({m.id: m.aim for m in r.measures}, pid)
    is_ws = reason.isin(WORK_STUDIES)
    for a in ("primar", "sekundar"):
        xa = np.where(aim == a, xi, -1)
        out.add(f"share_work_studies_{a}", _ratio(per.sum(np.where(is_ws, xa, -1)), per.sum(xa)))

    reserved = {m.id: set(m.reserved.channels) for m in r.measures if m.reserved is not None}
    if reserved:  # 002: places reserved for AF, filled by the unit's own referrals (fallback)
        channel = _lookup(p_all["participant_id"].to_numpy(), p_all["channel"].astype(str).to_numpy(),
                          started.who, "")
        stage = started.stage.values
        fell_back = np.array([(code >= 0 and stage[code] in reserved
                               and ch not in reserved[stage[code]])
                              for code, ch in zip(started.stage_codes, channel, strict=True)], bool)
        in_reserved = np.isin(started.stage_codes, [i for i, v in enumerate(stage) if v in reserved])
        si_all = per.bin(started.start)
        out.add("reserved_places_starts", per.sum(np.where(in_reserved, si_all, -1)))
        out.add("reserved_places_fallback_starts", per.sum(np.where(fell_back, si_all, -1)))

    # Status 6 months after exit, among exits with a follow-up inside the horizon.
    status = Labels(p["status_6m"])
    xf = np.where(~status.eq(""), xi, -1)
    out.add("share_work_studies_6m", _ratio(per.sum(np.where(status.eq("arbete_studier"), xf, -1)),
                                            per.sum(xf)))

    # Returns to försörjningsstöd within 12 months of an AME-caused exit off support.
    left_at_exit = np.abs(_last_spell_end(spells, pid) - exit_day) < TOL
    base = (p["fs"].to_numpy(bool) & reason.isin(LEAVES_SUPPORT) & cause.eq("effekt")
            & left_at_exit & (exit_day + FOLLOW_UP_12M <= horizon))
    ret = p["fs_return_day"].to_numpy(float)
    back = base & (ret <= exit_day + FOLLOW_UP_12M)
    out.add("returns_fs_12m_share", _ratio(per.sum(np.where(back, xi, -1)),
                                           per.sum(np.where(base, xi, -1))))

    # GR (004): exits / participants; LOKA (003): participants per FTE.
    out.add("exits_per_participant", _ratio(exits, participants))
    by = per.by
    fte = sum((staff_fte_days(sp, cal, by) for sp in r.staff), np.zeros(per.k))
    fte = _ratio(fte, by.days())  # mean FTE in each year, following dated changes
    out.add("participants_per_fte", _with_mean(_ratio(participants[:-1], fte)))

    # Waiting from referral to the start of the first measure (by start year).
    first = started.first_start(pid)
    si = per.bin(first)
    out.add("wait_days_mean", _ratio(per.sum(si, first - arrival), per.sum(si)))
    out.add("days_in_programme_mean", _ratio(per.sum(xi, exit_day - arrival), exits))
    return {"exits_work_studies": ws}


def _group_sums(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``values`` per group 0 .. n_groups-1, skipping NaN, as pandas' groupby sums:
    compensated (Kahan) summation in row order (the same bits as ``groupby().sum()``)."""
    order = np.argsort(group, kind="stable")
    g, v = group[order], values[order]
    ok = ~np.isnan(v)
    g, v = g[ok], v[ok]
    pos = np.arange(len(g)) - np.searchsorted(g, g, side="left")  # position within the group
    total, comp = np.zeros(n_groups), np.zeros(n_groups)
    for j in range(int(pos.max()) + 1 if len(pos) else 0):  # the j-th value of every group
        at = pos == j
        gi = g[at]
        y = v[at] - comp[gi]
        t = total[gi] + y
        c = t - total[gi] - y
        c[np.isnan(c)] = 0.0  # an infinite value: no compensation (as pandas)
        comp[gi] = c
        total[gi] = t
    return total


def _monthly_kpis(out: _Rows, per: _Periods, cal: Calendar, monthly: pd.DataFrame,
                  budgeted: dict[str, float] | None = None) -> None:
    """Time-weighted staff utilisation, place occupancy and queue lengths per period."""
    keep = ["used_fte", "available_fte", "used_places", "available_places", "queue"]
    metric = Labels(monthly["metric"])
    entity = Labels(monthly["entity"])
    sel = metric.isin(keep) & (entity.codes >= 0)  # groupby drops a missing key
    if not sel.any():
        return
    months, edges = cal.month_edges()
    # Weight of each row: the days of its month in the window (NaN for a month outside it).
    month = monthly["month"].to_numpy()
    if not np.issubdtype(month.dtype, np.datetime64):
        month = pd.to_datetime(monthly["month"]).to_numpy()
    month = month[sel]
    known = np.array(months, dtype="datetime64[D]").astype(month.dtype)
    pos = np.minimum(np.searchsorted(known, month), len(known) - 1)
    w = np.where(known[pos] == month, np.diff(edges)[pos], np.nan)
    yi = month.astype("datetime64[Y]").astype(np.int64) + 1970 - per.by.start_year
    wv = monthly["value"].to_numpy(float)[sel] * w
    # Per (metric, entity) pair and year: sums of weighted values and of weights.
    pairs, pair = np.unique(metric.codes[sel] * (len(entity.values) + 1) + entity.codes[sel],
                            return_inverse=True)
    inside = (yi >= 0) & (yi < per.k)
    key = pair[inside] * per.k + yi[inside]
    sums_wv = _group_sums(key, wv[inside], len(pairs) * per.k)
    sums_w = _group_sums(key, w[inside], len(pairs) * per.k)
    sums: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for i, code in enumerate(pairs.tolist()):
        mc, ec = divmod(code, len(entity.values) + 1)
        sums[(metric.values[mc], entity.values[ec])] = (sums_wv[i * per.k:(i + 1) * per.k],
                                                        sums_w[i * per.k:(i + 1) * per.k])
    zero = np.zeros(per.k)

    def series(metric: str, entity: str) -> tuple[np.ndarray, np.ndarray]:
        wv, w_ = sums.get((metric, entity), (zero, zero))
        return np.append(wv, wv.sum()), np.append(w_, w_.sum())

    entities: dict[str, set[str]] = {}
    for metric, entity in sums:
        entities.setdefault(metric, set()).add(entity)
    for pool in sorted(entities.get("available_fte", [])):
        used, _ = series("used_fte", pool)
        avail, _ = series("available_fte", pool)
        out.add(f"utilisation_{pool}", _ratio(used, avail))
    for measure in sorted(entities.get("available_places", [])):
        used, _ = series("used_places", measure)
        avail, _ = series("available_places", measure)
        out.add(f"occupancy_{measure}", _ratio(used, avail))
    if budgeted:  # 002 Bilaga 1: places used against the places the budget pays for
        gap = np.zeros(per.k + 1)
        for measure, places in sorted(budgeted.items()):
            used, w_ = series("used_places", measure)
            g = _ratio(used, w_) - places  # time-weighted mean places used, less the budget
            out.add(f"budget_gap_places_{measure}", g)
            gap = gap + g
        out.add("budget_gap_places", gap)
    for stage in sorted(entities.get("queue", [])):
        q, w_ = series("queue", stage)
        out.add(f"queue_mean_{stage.replace(':', '_')}", _ratio(q, w_))


def _paid_months_per_year(hh: np.ndarray, i0: np.ndarray, i1: np.ndarray, month_year: np.ndarray,
                          k: int) -> np.ndarray:
    """Distinct calendar months with a payment, per household (rows) and year (columns).

    Pieces are inclusive month ranges [i0, i1]; a household's overlapping or touching
    ranges are merged first so that a month with two pieces counts once.
    """
    if len(hh) == 0:
        return np.zeros((0, k), np.int64)
    order = np.lexsort((i0, hh))
    hh, i0, i1 = hh[order], i0[order], i1[order]
    new_hh = np.r_[True, hh[1:] != hh[:-1]]
    # Running max of i1 within each household (households are sorted, so offset keys work).
    big = int(i1.max()) + 2
    reach = np.maximum.accumulate(hh * big + i1) - hh * big
    starts = new_hh | np.r_[True, i0[1:] > reach[:-1]]
    g = np.flatnonzero(starts)
    m0, m1, mhh = i0[g], np.maximum.reduceat(i1, g), hh[g]
    first = np.array([np.argmax(month_year == y) if np.any(month_year == y) else 0 for y in range(k)])
    last = np.array([len(month_year) - 1 - np.argmax(month_year[::-1] == y) for y in range(k)])
    n = np.clip(np.minimum(m1[:, None], last) - np.maximum(m0[:, None], first) + 1, 0, None)
    rows = np.flatnonzero(np.r_[True, mhh[1:] != mhh[:-1]])
    return np.add.reduceat(n, rows, axis=0)


def month_ranges(hh: np.ndarray, s: np.ndarray, e: np.ndarray, edges: np.ndarray,
                 horizon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(household, first month, last month) of pieces [s, e) of households ``hh`` that
    overlap the months between ``edges``: inclusive month indexes clipped to them; an open
    piece (NaN end) runs to the horizon."""
    e = np.where(np.isnan(e), horizon, e)
    ok = (e > s) & (e > edges[0]) & (s < edges[-1])
    s, e, hh = s[ok], e[ok], hh[ok]
    n = len(edges) - 1
    i0 = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, n - 1)
    i1 = np.clip(np.searchsorted(edges, e, side="left") - 1, 0, n - 1)
    return hh, i0, i1


def paid_month_ranges(spells: pd.DataFrame, edges: np.ndarray,
                      horizon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`month_ranges` of the paid pieces (factor > 0): any payment in a month makes it
    a month on support (Socialstyrelsen's count)."""
    paid = spells["factor"].to_numpy(float) > 0
    return month_ranges(spells["household_id"].to_numpy(np.int64)[paid],
                        spells["start_day"].to_numpy(float)[paid],
                        spells["end_day"].to_numpy(float)[paid], np.asarray(edges, float), horizon)


def _months_on_support(per: _Periods, cal: Calendar,
                       ranges: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Distinct calendar months with support per household (rows) and year (columns)."""
    months, _ = cal.month_edges()
    month_year = np.array([d.year for d in months]) - per.by.start_year
    return _paid_months_per_year(*ranges, month_year, per.k)


def _fs_kpis(out: _Rows, per: _Periods, cal: Calendar, spells: pd.DataFrame) -> None:
    """Households on support and long-term recipients (any payment in a month = a month),
    and the same households in the counterfactual (no AME at all)."""
    _, edges = cal.month_edges()
    horizon = per.by.horizon
    months_in_year = _months_on_support(per, cal, paid_month_ranges(spells, edges, horizon))
    households = np.count_nonzero(months_in_year > 0, axis=0).astype(float)
    long_term = np.count_nonzero(months_in_year >= LONG_TERM_MONTHS, axis=0).astype(float)
    hh_months = months_in_year.sum(axis=0).astype(float)
    out.add("fs_households", _with_mean(households))
    out.add("fs_long_term_households", _with_mean(long_term))
    out.add("fs_long_term_share", _with_mean(_ratio(long_term, households)))
    out.add("fs_months_per_household", _with_mean(_ratio(hh_months, households)))
    # The counterfactual: every spell paid from its start to its counterfactual end; spells
    # that exist only because someone returned after an AME exit are left out.
    first = (spells["piece"].to_numpy() == 0) & (spells["origin"] != "return").to_numpy(bool)
    cf_end = spells["cf_end_day"].to_numpy(float)[first]
    cf_months = _months_on_support(per, cal, month_ranges(
        spells["household_id"].to_numpy(np.int64)[first], spells["start_day"].to_numpy(float)[first],
        np.where(cf_end >= horizon, np.nan, cf_end), edges, horizon))
    cf_households = np.count_nonzero(cf_months > 0, axis=0).astype(float)
    cf_long = np.count_nonzero(cf_months >= LONG_TERM_MONTHS, axis=0).astype(float)
    out.add("fs_households_counterfactual", _with_mean(cf_households))
    out.add("fs_households_change_share", _with_mean(_ratio(households - cf_households, cf_households)))
    out.add("fs_long_term_households_counterfactual", _with_mean(cf_long))


def _cost_kpis(out: _Rows, per: _Periods, r: Any, spells: pd.DataFrame, costs: pd.DataFrame,
               exits_ws: np.ndarray) -> np.ndarray:
    """The cost KPIs; returns the AME's net cost per period (split among municipalities)."""
    c = costs
    yi = c["year"].to_numpy(int) - per.by.start_year
    line = Labels(c["line"])
    payer = Labels(c["payer"])
    sek = c["sek"].to_numpy(float)
    kom = payer.eq(KOMMUNEN)
    line_kind = [v.split(":", 1)[0] for v in line.values]  # 'staff:handledare' -> 'staff'

    def kind_in(*kinds: str) -> np.ndarray:
        return np.array([k in kinds for k in line_kind] + [False], bool)[line.codes]

    def total(mask: np.ndarray) -> np.ndarray:
        return per.sum(np.where(mask, yi, -1), sek)

    fs = total(kom & kind_in("forsorjningsstod"))
    ame = total(kom & kind_in("staff", "premises", "running", "income", "purchase"))
    subsidy = total(kom & kind_in("subsidy_wage", "subsidy_compensation"))
    funding = 0.0 - total(kom & kind_in("funding"))
    net = total(kom & ~kind_in("tax_revenue"))
    out.add("fs_cost_sek", fs)
    by = per.by
    cf = fs_counterfactual_per_year(spells, by, by.index(r.economics.fs_indexation_per_year))
    cf = np.append(cf, cf.sum())
    out.add("fs_cost_counterfactual_sek", cf)
    out.add("fs_savings_sek", cf - fs)
    out.add("ame_cost_sek", ame)
    out.add("subsidy_net_cost_sek", subsidy)
    out.add("external_funding_sek", funding)
    out.add("ame_net_cost_sek", ame + subsidy - funding)
    out.add("net_municipal_cost_sek", net)
    out.add("cost_per_exit_work_studies_sek", _ratio(ame + subsidy - funding, exits_ws))
    for other in sorted(set(payer.values) - {KOMMUNEN}):
        out.add(f"payer_cost_{other}_sek", total(payer.eq(other)))
    if r.economics.tax is not None and r.economics.tax.include:
        out.add("tax_revenue_sek", 0.0 - total(kom & kind_in("tax_revenue")))
    return ame + subsidy - funding


def kpis_table(r: Any, cal: Calendar, participants: pd.DataFrame, episodes: pd.DataFrame,
               spells: pd.DataFrame, monthly: pd.DataFrame, costs: pd.DataFrame,
               replication: int, parts: Collection[str] = PARTS) -> pd.DataFrame:
    """The KPIs of one replication, long (see ``docs/kpis.md`` for definitions): all of them,
    or those of ``parts`` (:func:`parts_for`), each the same value as in the full table."""
    by = BudgetYears.of(cal)
    per = _Periods(by)
    out = _Rows(by.labels)
    if "participants" in parts:
        extra = _participant_kpis(out, per, r, cal, participants, episodes, spells)
    if "monthly" in parts:
        budgeted = {m.id: float(m.budgeted_places) for m in r.measures if m.budgeted_places is not None}
        _monthly_kpis(out, per, cal, monthly, budgeted)
    if "fs" in parts:
        _fs_kpis(out, per, cal, spells)
    if "costs" in parts:
        ame_net = _cost_kpis(out, per, r, spells, costs, extra["exits_work_studies"])
    if "municipalities" in parts and r.partners:  # a unit shared by municipalities (001 §5.3)
        municipality_kpis(out, per, r, participants, spells, ame_net)
    return out.frame(replication)
