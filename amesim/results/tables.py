"""Turn one replication's event log into the output tables.

* ``participants``: one row per participant (who, from where, when in/out, why, path);
* ``episodes``: one row per stage a participant queued for or spent time in;
* ``fs_spells``: försörjningsstöd spells as pieces with a payment factor (economics
  integrates these; a paid subsidised job gives a piece with factor 0);
* ``monthly``: long table (replication, month, metric, entity, value) of time-weighted
  stage occupancy, queue lengths, staff utilisation, households on support, flows.
"""

from __future__ import annotations

import datetime as dt
import functools
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from operator import attrgetter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from ..scenario.model import EXIT_REASONS as EXIT_ORDER
from ..sim import stage_ids
from ..sim.engine import AmeModel, paused_gc
from .intervals import mean_over

#: Participant attributes read into columns, in one pass over the log.
_PARTICIPANT_FIELDS = ("muni", "channel", "segment", "unit", "age", "distance_start", "distance",
                       "fs_row", "household", "arrival", "exit_day", "exit_reason", "exit_cause",
                       "exit_stage", "n_measures", "wait_days", "path", "status_6m", "fs_return_day",
                       "ips", "initial", "cf_exit", "fs_unmatched")


def _columns(objects: list, fields: tuple[str, ...]) -> dict[str, tuple]:
    """Attribute columns of a list of objects: ``{field: (value of each object, ...)}``.

    ``attrgetter`` and ``zip(*rows)`` run in C: much cheaper than a comprehension per column.
    """
    if not objects:
        return {f: () for f in fields}
    return dict(zip(fields, zip(*map(attrgetter(*fields), objects), strict=True), strict=True))


def str_array(values: Sequence[str | None], dtype: str = "str") -> pd.api.extensions.ExtensionArray:
    """A pandas string column (``"str"``, or ``"string"`` with ``<NA>``) of Python strings,
    None for missing: the same array as ``pd.array(values, dtype=dtype)``, built by pyarrow
    directly, without pandas' per-element check (a third of the time)."""
    dt = pd.api.types.pandas_dtype(dtype)
    if getattr(dt, "storage", None) == "pyarrow":
        return ArrowStringArray(pa.array(values, type=pa.large_string()), dtype=dt)
    return pd.array(values, dtype=dt)


def str_repeat(labels: Sequence[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The string column ``[labels[i] for i in codes]``, taken from the few distinct labels."""
    return str_array(list(labels)).take(np.asarray(codes, np.intp))


#: Factorised string columns by the identity of their (immutable) pyarrow data: the monthly
#: table, costs and KPIs of one replication read the same columns more than once.
_FACTORISED: dict[int, tuple[weakref.ref, np.ndarray, list[str]]] = {}


def _factorize(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """``pd.factorize(column)`` as (codes, labels as str): the same codes (first-appearance
    order, -1 for missing), from pyarrow's dictionary encoding and cached per pyarrow array
    for pyarrow-backed string columns."""
    arr = column.array
    data = arr.__arrow_array__() if isinstance(arr, ArrowStringArray) else None
    if data is None or data.num_chunks != 1:
        codes, uniques = pd.factorize(column)
        return np.asarray(codes), [str(u) for u in uniques]
    key = id(data)
    hit = _FACTORISED.get(key)
    if hit is not None and hit[0]() is data:
        return hit[1], hit[2]
    enc = pc.dictionary_encode(data.chunk(0))
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.intp)
    codes.flags.writeable = False  # shared by every Labels of this column
    values = [str(u) for u in enc.dictionary.to_pylist()]
    _FACTORISED[key] = (weakref.ref(data, lambda _, key=key: _FACTORISED.pop(key, None)), codes, values)
    return codes, values


class Labels:
    """A string column as integer codes, for cheap comparisons with constants.

    ``Labels(col).eq("arbete")`` is ``col.fillna("").to_numpy(object) == "arbete"`` without
    converting every value to a Python string (missing values equal "").
    """

    def __init__(self, column: pd.Series):
        self.codes, self.values = _factorize(column)

    def isin(self, values: Iterable[str]) -> np.ndarray:
        wanted = set(values)
        # A table of the answer per code, the last entry for code -1 (missing, equal to ""),
        # indexed by the codes: one pass, instead of np.isin's sort of the codes.
        table = np.array([u in wanted for u in self.values] + ["" in wanted], bool)
        return table[self.codes]

    def eq(self, value: str) -> np.ndarray:
        return self.isin((value,))

    def map(self, mapping: dict[str, object], default: object) -> np.ndarray:
        """``mapping.get(value, default)`` by code, as objects; index it with codes (the last
        entry, for code -1, is ``default``: missing)."""
        return np.array([mapping.get(u, default) for u in self.values] + [default], dtype=object)


def _floats(values: tuple) -> np.ndarray:
    """Floats with None as NaN."""
    return np.array(values, dtype=float)  # numpy converts None to nan for float dtype


def _in_kolada(m: AmeModel, channels: tuple, paths: tuple) -> np.ndarray:
    """Whether each participant counts in the Kolada population of result KPIs: their
    channel counts and, if they entered measures, at least one of them does (feriejobb
    alone does not; 004 tabulates it apart)."""
    ch, me = m.kolada_channel, m.kolada_measure
    return np.array([ch[c] and (not path or any(me[x] for x in path))
                     for c, path in zip(channels, paths, strict=True)], bool)


@paused_gc()
def participants_table(m: AmeModel, rep: int) -> pd.DataFrame:
    end = m.cal.end
    c = _columns(m.participants, _PARTICIPANT_FIELDS)
    n = len(m.participants)
    fs_row = np.array(c["fs_row"], np.int64)
    household = np.array(c["household"], np.int64)
    arrival = np.array(c["arrival"], float)
    df = pd.DataFrame({
        "replication": np.full(n, rep, np.int32),
        "participant_id": np.arange(n, dtype=np.int64),  # a participant's id is its place in the log
        "channel": str_array(c["channel"]),
        "segment": str_array(c["segment"]),
        "unit": str_array(c["unit"]),
        "age": np.array(c["age"], float),
        "distance_start": np.array(c["distance_start"], float),
        "distance_end": np.array(c["distance"], float),
        "fs": fs_row >= 0,
        "household_id": pd.arrays.IntegerArray(household, household < 0),  # <NA> if none
        "arrival_day": arrival,
        "exit_day": _floats(c["exit_day"]),
        "exit_reason": str_array(c["exit_reason"], "string"),
        "exit_cause": str_array(c["exit_cause"], "string"),
        "exit_stage": str_array(c["exit_stage"], "string"),
        "n_measures": np.array(c["n_measures"], np.int32),
        "wait_days": np.array(c["wait_days"], float),
        "path": str_array(list(map(">".join, c["path"]))),
        "status_6m": str_array(c["status_6m"], "string"),
        "fs_return_day": _floats(c["fs_return_day"]),
        "ips": np.array(c["ips"], bool),
        "in_warmup": arrival < 0,
        "initial": np.array(c["initial"], bool),  # in a measure at the start (arrival_day before it)
        "cf_exit_day": np.array(c["cf_exit"], float),  # when they would have left with no AME (inf: never)
        "kolada": _in_kolada(m, c["channel"], c["path"]),
        "fs_unmatched": np.array(c["fs_unmatched"], bool),
    }, copy=False)  # fresh arrays: no need to copy them
    if m.r.partners:  # a unit shared by municipalities (001 §5.3): whose household
        ids = np.array(municipality_ids(m.r))
        df["municipality"] = str_array(list(ids[np.array(c["muni"], np.int64)]))
    df.attrs["horizon_day"] = end
    return df


def municipality_ids(r: object) -> list[str]:
    """Ids of the municipalities by index: the host's, then the partners' (001 §5.3)."""
    return [r.host.id, *(pt.id for pt in r.partners)]  # type: ignore[attr-defined]


def episodes_table(m: AmeModel, rep: int) -> pd.DataFrame:
    log = m.episodes
    n = len(log)
    return pd.DataFrame({
        "replication": np.full(n, rep, np.int32),
        "participant_id": log.numbers("pid"),
        "episode": np.arange(n, dtype=np.int64),  # its place in the log
        "stage": str_array(log.stage),
        "kind": str_array(log.kind),
        "queue_day": log.numbers("queued"),
        "start_day": log.numbers("start"),
        "end_day": log.numbers("end"),
        "outcome": str_array(log.outcome),
    })  # copied: the log's numbers are read-only views, and a result table must be writable


@paused_gc()
def fs_spells_table(m: AmeModel, rep: int) -> pd.DataFrame:
    pop, end = m.pop, m.cal.end
    n = pop.n
    red: dict[int, list[tuple[float, float, float]]] = defaultdict(list)
    for row, a, b, f in pop.reductions:
        red[row].append((a, b, f))
    rows, starts, ends, factors, pieces = [], [], [], [], []

    def emit(row: int, a: float, b: float, f: float, k: int) -> None:
        rows.append(row)
        starts.append(a)
        ends.append(b)
        factors.append(f)
        pieces.append(k)

    for row in range(n):
        s, e = float(pop.start[row]), float(pop.end[row])
        cuts = sorted(red.get(row, []))
        t, k = s, 0
        for a, b, f in cuts:
            a, b = max(a, t), min(b, e)
            if b <= a:
                continue
            if a > t:
                emit(row, t, a, 1.0, k)
                k += 1
            emit(row, a, b, f, k)
            k += 1
            t = b
        if e > t or k == 0:
            emit(row, t, e, 1.0, k)
    r = np.array(rows, np.int64)
    ends_a = np.array(ends, float)
    origins = np.array(pop.ORIGINS)[pop.origin[:n]] if n else np.array([], dtype=str)
    part = pop.linked[:n].copy()
    part[part < 0] = -1
    seg_ids = np.array([s.id for s in m.r.segments])
    df = pd.DataFrame({
        "replication": np.full(len(r), rep, np.int32),
        "spell_id": r,
        "piece": np.array(pieces, np.int32),
        "household_id": pop.household[r],
        "segment": seg_ids[pop.segment[r]] if len(r) else np.array([], dtype=str),
        "origin": origins[r] if len(r) else np.array([], dtype=str),
        "start_day": np.array(starts, float),
        "end_day": np.where(ends_a >= end, np.nan, ends_a),
        "cf_end_day": pop.cf_end[r],
        "amount_sek_per_month": pop.amount[r],
        "factor": np.array(factors, float),
        "participant_id": pd.array([int(x) if x >= 0 else None for x in part[r]], dtype="Int64"),
    }, copy=False)  # fresh arrays: no need to copy them
    if m.r.partners:  # a unit shared by municipalities (001 §5.3): whose household
        ids = np.array(municipality_ids(m.r))
        df["municipality"] = str_array(list(ids[pop.muni[r]])) if len(r) else str_array([])
    return df


@functools.lru_cache(maxsize=64)
def _month_stamps(months: tuple[dt.date, ...]) -> np.ndarray:
    """The months as pandas' datetime64 array (the same for every replication of a scenario)."""
    stamps = pd.to_datetime(list(months)).to_numpy()
    stamps.flags.writeable = False
    return stamps


def households_paid(spells: pd.DataFrame, edges: np.ndarray) -> np.ndarray:
    """Distinct households with any payment in each period (a spell may be cut into pieces,
    and a household may leave and return within a month, so intervals are not counted)."""
    paid = spells["factor"].to_numpy(float) > 0
    if not paid.any():
        return np.zeros(len(edges) - 1)
    s = spells["start_day"].to_numpy(float)[paid]
    e = spells["end_day"].to_numpy(float)[paid]
    e = np.where(np.isnan(e), np.inf, e)
    hh = spells["household_id"].to_numpy()[paid]
    return np.array([len(np.unique(hh[(s < hi) & (e > lo)])) for lo, hi in zip(edges[:-1], edges[1:], strict=True)],
                    float)


#: The metrics of the monthly table (what ``amesim warmup --metric`` can analyse).
MONTHLY_METRICS = ("in_stage", "queue", "utilisation", "occupancy", "available_fte", "used_fte",
                   "available_places", "used_places", "fs_households", "in_system", "arrivals", "exits")


def empty_monthly() -> pd.DataFrame:
    """A monthly table with no rows (a replication asked for KPIs that do not read it)."""
    return pd.DataFrame({"replication": pd.Series(dtype=np.int32), "month": pd.Series(dtype="datetime64[ns]"),
                         "metric": pd.Series(dtype=str), "entity": pd.Series(dtype=str),
                         "value": pd.Series(dtype=float)})


@paused_gc()
def monthly_table(m: AmeModel, rep: int, participants: pd.DataFrame, episodes: pd.DataFrame,
                  spells: pd.DataFrame) -> pd.DataFrame:
    cal = m.cal
    months, edges = cal.month_edges()
    end = cal.end
    metrics: list[str] = []
    entities: list[str] = []
    series: list[np.ndarray] = []

    def add(metric: str, entity: str, values: np.ndarray) -> None:
        metrics.append(metric)
        entities.append(entity)
        series.append(np.asarray(values, float))

    ep = episodes
    start = ep["start_day"].to_numpy()
    stop = np.where(np.isnan(ep["end_day"].to_numpy()), end, ep["end_day"].to_numpy())
    queued = ep["queue_day"].to_numpy()
    qend = np.where(np.isnan(start), stop, start)
    stage = Labels(ep["stage"])
    started = ~np.isnan(start)
    staff_load: dict[str, list[tuple[np.ndarray, np.ndarray, float]]] = defaultdict(list)
    in_stage: dict[str, np.ndarray] = {}  # also the used places of a measure's place pool
    for st in sorted(m.stage_needs):
        sel = stage.eq(st)
        ss = sel & started
        in_stage[st] = mean_over(start[ss], stop[ss], None, edges)
        add("in_stage", st, in_stage[st])
        add("queue", st, mean_over(queued[sel], qend[sel], None, edges))
        for pool, amount in m.stage_needs[st]:
            staff_load[pool].append((start[ss], stop[ss], amount))
    # samverkansforum: waiting for the next meeting
    forum = {st for st in stage.values if stage_ids.split(st)[0] == stage_ids.BEREDNING and st not in m.stage_needs}
    for st in sorted(forum):
        sel = stage.eq(st)
        add("queue", st, mean_over(queued[sel], qend[sel], None, edges))
    # Capacity step functions per pool (staff FTE, places).
    cap: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for t, pool, c in m.capacity_log:
        cap[pool].append((t, c))
    for pool, steps in sorted(cap.items()):
        ts = np.array([t for t, _ in steps] + [end])
        cs = np.array([c for _, c in steps])
        ok = np.diff(ts) > 0
        available = mean_over(ts[:-1][ok], ts[1:][ok], cs[ok], edges)
        loads = staff_load.get(pool, [])
        used = np.zeros(len(months))
        measure = stage_ids.places_measure(pool)
        if measure is not None:
            loads = []  # one place per person in the measure, whatever its needs list says
            if measure in in_stage:  # so its occupancy
                used += in_stage[measure]
            else:
                sel = stage.eq(measure) & started
                loads = [(start[sel], stop[sel], 1.0)]
        for s_, e_, a in loads:
            used += mean_over(s_, e_, np.full(len(s_), a), edges)
        kind = "utilisation" if measure is None else "occupancy"
        entity = pool if measure is None else measure
        with np.errstate(invalid="ignore", divide="ignore"):
            add(kind, entity, np.where(available > 0, used / available, np.nan))
        add("available_places" if kind == "occupancy" else "available_fte", entity, available)
        add("used_places" if kind == "occupancy" else "used_fte", entity, used)
    # Households on support (received any payment in the month).
    add("fs_households", "", households_paid(spells, edges))
    # Participants in the system, arrivals and exits.
    arr = participants["arrival_day"].to_numpy()
    ex = participants["exit_day"].to_numpy()
    add("in_system", "", mean_over(arr, np.where(np.isnan(ex), end, ex), None, edges))
    channel = Labels(participants["channel"])
    for ch in sorted(channel.values):
        a = arr[channel.eq(ch)]
        add("arrivals", ch, np.histogram(a, bins=edges)[0].astype(float))
    reasons = Labels(participants["exit_reason"])
    for reason in EXIT_ORDER:
        e = ex[reasons.eq(reason) & ~np.isnan(ex)]
        add("exits", reason, np.histogram(e, bins=edges)[0].astype(float))
    k = len(months)
    row = np.repeat(np.arange(len(metrics)), k)
    return pd.DataFrame({
        "replication": np.full(k * len(metrics), rep, np.int32),
        "month": np.tile(_month_stamps(months), len(metrics)),
        "metric": str_repeat(metrics, row),
        "entity": str_repeat(entities, row),
        "value": np.concatenate(series),
    }, copy=False)  # fresh arrays: no need to copy them
