"""The sweep and goal-seek report: one self-contained ``report.html`` like the run report.

Built with the run report's page framework (:class:`amesim.report.html.Page`: the same
CSS, navigation, embedded plotly and failing-section notes); this module adds only the
sweep's sections: the parameters swept, tornado (oat), Sobol bars with CIs, Morris μ*-σ,
RBD-FAST bars (lhs), response curves (one parameter) and heat maps (two), and the
goal-seek answer in one sentence.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..results.store import atomic_write_text
from . import figures as F
from . import fmt
from .assumptions import describe_path, fmt_quantity
from .labels import Labels, kpi_format
from .page import BuiltPage, Page, PageType, e

METHOD_SV = {"oat": ("en parameter i taget (tornado)", "one at a time (tornado)"),
             "grid": ("fullständigt rutnät", "full grid"),
             "lhs": ("latinsk hyperkub", "Latin hypercube"),
             "sobol": ("Sobol-index (variansuppdelning)", "Sobol indices (variance decomposition)"),
             "morris": ("Morris-screening", "Morris screening"),
             "goalseek": ("målsökning", "goal seek")}


def _param_label(path: str, lab: Labels) -> str:
    try:
        return describe_path(tuple(path.split(".")), lab)
    except Exception:  # noqa: BLE001 - an unknown id still gets its path
        return path


def _fmt_value(kpi: str, lab: Labels):
    return fmt.formatter(kpi_format(kpi), lab.lang, threshold=0, decimals=1)


def _axis_scale(kpi: str, lang: str) -> tuple[float, str]:
    f = kpi_format(kpi)
    if f == "money":
        return 1e6, (" mnkr" if lang == "sv" else " MSEK")
    if f == "share":
        return 0.01, " %"
    return 1.0, ""


class SweepData:
    """What the report reads from a sweep folder."""

    def __init__(self, root: Path):
        self.root = root
        self.meta: dict[str, Any] = json.loads((root / "sweep.json").read_text(encoding="utf-8"))
        self.design = pd.read_parquet(root / "design.parquet")
        self.paths = [f["path"] for f in self.meta.get("factors", [])]
        p = root / "points.parquet"
        self.points = pd.read_parquet(p) if p.exists() else None
        i = root / "indices.csv"
        self.indices = pd.read_csv(i) if i.exists() and i.stat().st_size > 0 else None
        g = root / "goalseek.json"
        self.goalseek: dict[str, Any] | None = json.loads(g.read_text(encoding="utf-8")) if g.exists() else None

    @property
    def method(self) -> str:
        return str(self.meta.get("method", ""))

    @property
    def kpis(self) -> list[str]:
        return list(self.meta.get("kpis", []))

    @property
    def period(self) -> str:
        return str(self.meta.get("period", "total"))


def _factors_table(sd: SweepData, lab: Labels) -> str:
    rows = []
    for f in sd.meta.get("factors", []):
        from ..scenario.values import Quantity

        q = Quantity.model_validate({k: f[k] for k in ("value", "range", "triangular", "normal") if k in f})
        rows.append(f"<tr><td>{e(_param_label(f['path'], lab))}<span class='ci'><code>{e(f['path'])}</code></span></td>"
                    f"<td>{e(fmt_quantity(q, lab.lang))}</td>"
                    f"<td class='num'>{e(fmt.number(f['base'], 2 if abs(f['base']) < 10 else 0, lab.lang))}</td>"
                    f"<td>{e(f.get('source') or '')}</td></tr>")
    return (f"<div class='scroll'><table><thead><tr><th>{e(lab.sv_en('Parameter', 'Parameter'))}</th>"
            f"<th>{e(lab.sv_en('Intervall', 'Range'))}</th><th class='num'>{e(lab.sv_en('Utgångsvärde', 'Base'))}</th>"
            f"<th>{e(lab.sv_en('Källa', 'Source'))}</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _overview(sd: SweepData, lab: Labels) -> str:
    m = sd.meta
    sv, en = METHOD_SV.get(sd.method, (sd.method, sd.method))
    n_f = len(m.get("factors", []))
    text = lab.sv_en(
        f"Svepet varierar {n_f} parametrar med metoden {sv}: {m.get('points')} beräkningspunkter, "
        f"var och en med {m.get('replications')} replikeringar. Alla punkter använder samma slumptal "
        "(samma personer, tider och dragna värden för de parametrar som inte varieras), så skillnader "
        "mellan punkterna beror på parametrarna och inte på slumpen.",
        f"The sweep varies {n_f} parameters by {en}: {m.get('points')} design points, each with "
        f"{m.get('replications')} replications. Every point uses the same random numbers (the same people, "
        "times and drawn values of the parameters not varied), so differences between points are the "
        "parameters' effect, not chance.")
    return f"<p class='lead'>{e(text)}</p>" + _factors_table(sd, lab)


def _index_frame(sd: SweepData, kpi: str, index: str) -> pd.DataFrame:
    i = sd.indices
    if i is None:
        return pd.DataFrame()
    return i[(i["kpi"] == kpi) & (i["index"] == index)].set_index("parameter")


def _bars(page: Page, sd: SweepData, lab: Labels, kpi: str, indices: list[tuple[str, str]],
          title: str, share: bool = True) -> str:
    fig = go.Figure()
    frames = [_index_frame(sd, kpi, idx) for idx, _ in indices]
    order = frames[-1]["value"].sort_values().index.tolist() if not frames[-1].empty else []
    for k, ((_, name), fr) in enumerate(zip(indices, frames, strict=True)):
        if fr.empty:
            continue
        fr = fr.reindex(order)
        v = fr["value"].to_numpy(float)
        err = np.clip(fr["ci_high"].to_numpy(float) - v, 0, None)
        errm = np.clip(v - fr["ci_low"].to_numpy(float), 0, None)
        fig.add_trace(go.Bar(y=[_param_label(p, lab) for p in order], x=v, orientation="h", name=name,
                             marker_color=F.PALETTE[k % len(F.PALETTE)],
                             error_x={"type": "data", "array": err, "arrayminus": errm, "visible": True}))
    F.base_layout(fig, title, lab.lang, height=max(360, 120 + 40 * len(order) * len(indices)))
    fig.update_layout(barmode="group", margin={"l": 20}, yaxis={"automargin": True})
    if share:
        fig.update_xaxes(tickformat=".0%")
    return page.figure(fig, f"{sd.method}-{kpi}")


def _tornado(page: Page, sd: SweepData, lab: Labels, kpi: str) -> str:
    lo, hi = _index_frame(sd, kpi, "effect_low"), _index_frame(sd, kpi, "effect_high")
    if lo.empty or hi.empty:
        return ""
    swing = (hi["value"] - lo["value"].reindex(hi.index)).abs().sort_values()
    order = swing.index.tolist()
    scale, suffix = _axis_scale(kpi, lab.lang)
    fig = go.Figure()
    for fr, name, color in ((lo, lab.sv_en("lågt värde", "low value"), F.PALETTE[0]),
                            (hi, lab.sv_en("högt värde", "high value"), F.PALETTE[1])):
        fr = fr.reindex(order)
        v = fr["value"].to_numpy(float)
        fig.add_trace(go.Bar(
            y=[_param_label(p, lab) for p in order], x=v / scale, orientation="h", name=name,
            marker_color=color, error_x={"type": "data", "visible": True,
                                         "array": np.clip(fr["ci_high"].to_numpy(float) - v, 0, None) / scale,
                                         "arrayminus": np.clip(v - fr["ci_low"].to_numpy(float), 0, None) / scale}))
    title = lab.sv_en(f"{lab.kpi(kpi)}: förändring mot utgångsläget", f"{lab.kpi(kpi)}: change from the base")
    F.base_layout(fig, title, lab.lang, height=max(360, 120 + 50 * len(order)))
    fig.update_layout(barmode="overlay", margin={"l": 20}, yaxis={"automargin": True})
    fig.update_xaxes(title_text=lab.sv_en("skillnad", "difference") + suffix, zeroline=True)
    return page.figure(fig, f"tornado-{kpi}")


def _morris(page: Page, sd: SweepData, lab: Labels, kpi: str) -> str:
    mu, sg = _index_frame(sd, kpi, "mu_star"), _index_frame(sd, kpi, "sigma")
    if mu.empty:
        return ""
    scale, suffix = _axis_scale(kpi, lab.lang)
    sg = sg.reindex(mu.index)
    top = set(mu["value"].sort_values(ascending=False).index[:8])
    fig = go.Figure(go.Scatter(
        x=mu["value"] / scale, y=sg["value"] / scale, mode="markers+text",
        text=[_param_label(p, lab) if p in top else "" for p in mu.index], textposition="top center",
        hovertext=[_param_label(p, lab) for p in mu.index], hoverinfo="text+x+y",
        marker={"size": 11, "color": F.PALETTE[0]},
        error_x={"type": "data", "visible": True,
                 "array": np.clip(mu["ci_high"] - mu["value"], 0, None) / scale}))
    F.base_layout(fig, lab.sv_en(f"{lab.kpi(kpi)}: Morris μ* och σ", f"{lab.kpi(kpi)}: Morris μ* and σ"),
                  lab.lang, height=560)
    fig.update_xaxes(title_text="μ* (" + lab.sv_en("medelstorlek av effekten", "mean size of the effect") + ")" + suffix,
                     rangemode="tozero")
    fig.update_yaxes(title_text="σ (" + lab.sv_en("samspel eller icke-linjäritet", "interaction or non-linearity") + ")" + suffix,
                     rangemode="tozero")
    return page.figure(fig, f"morris-{kpi}")


def _curve(page: Page, sd: SweepData, lab: Labels, kpi: str, path: str, target: float | None = None) -> str:
    pts = sd.points
    if pts is None:
        return ""
    p = pts[(pts["kpi"] == kpi) & (pts["period"] == sd.period)].merge(sd.design[["point", path]], on="point")
    g = p.groupby(path).agg(mean=("mean", "mean"), sd=("sd", "mean"), n=("n", "min")).reset_index()
    g = g.sort_values(path)
    scale, suffix = _axis_scale(kpi, lab.lang)
    from scipy import stats

    t = stats.t.ppf(0.975, np.maximum(g["n"].to_numpy() - 1, 1))
    half = t * g["sd"].to_numpy(float) / np.sqrt(np.maximum(g["n"].to_numpy(float), 1))
    x = g[path].to_numpy(float)
    m = g["mean"].to_numpy(float)
    fig = go.Figure()
    bx, by = F.band_polygon(list(x), (m - half) / scale, (m + half) / scale)
    fig.add_trace(go.Scatter(x=bx, y=by, fill="toself", fillcolor=F.rgba(F.PALETTE[0], 0.2),
                             line={"width": 0}, name=lab.sv_en("95 % konfidensintervall", "95% CI"),
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=m / scale, mode="lines+markers", name=lab.sv_en("medelvärde", "mean"),
                             line={"color": F.PALETTE[0], "width": 3}))
    if target is not None:
        fig.add_hline(y=target / scale, line={"dash": "dash", "color": F.PALETTE[3]},
                      annotation_text=lab.sv_en("mål", "target"))
    F.base_layout(fig, f"{lab.kpi(kpi)} ({lab.period(sd.period).lower()})", lab.lang)
    fig.update_xaxes(title_text=_param_label(path, lab))
    fig.update_yaxes(title_text=lab.kpi(kpi) + suffix)
    return page.figure(fig, f"curve-{kpi}-{path}")


def _heatmap(page: Page, sd: SweepData, lab: Labels, kpi: str, px: str, py: str) -> str:
    pts = sd.points
    if pts is None:
        return ""
    p = pts[(pts["kpi"] == kpi) & (pts["period"] == sd.period)].merge(sd.design[["point", px, py]], on="point")
    grid = p.pivot_table(index=py, columns=px, values="mean", aggfunc="mean")
    scale, suffix = _axis_scale(kpi, lab.lang)
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(float) / scale, x=grid.columns.to_numpy(float),
                               y=grid.index.to_numpy(float), colorscale="Viridis",
                               colorbar={"title": {"text": suffix.strip() or ""}}))
    F.base_layout(fig, f"{lab.kpi(kpi)} ({lab.period(sd.period).lower()})", lab.lang, height=560)
    fig.update_xaxes(title_text=F.wrap(_param_label(px, lab), 70))
    fig.update_yaxes(title_text=F.wrap(_param_label(py, lab), 40))
    fig.update_layout(margin={"l": 110})
    return page.figure(fig, f"heatmap-{kpi}")


def goalseek_sentence(gs: dict[str, Any], lab: Labels) -> str:
    """The goal-seek answer in one sentence (Swedish by default)."""
    kpi, path = gs["kpi"], gs["path"]
    what, par = lab.kpi(kpi).lower(), _param_label(path, lab)
    f = _fmt_value(kpi, lab)
    target = f(gs["target"])
    period = lab.period(gs.get("period", "total")).lower()
    n = lambda x: fmt.number(x, 0 if gs.get("step") else 2, lab.lang)  # noqa: E731
    if gs.get("value") is None:
        side = gs.get("side", "")
        return lab.sv_en(
            f"Inom intervallet {n(gs['low'])}–{n(gs['high'])} når {what} aldrig målet {target} "
            f"({period}); {side}".rstrip("; ") + ".",
            f"Within {n(gs['low'])}–{n(gs['high'])}, {what} never reaches the target {target} ({period}); "
            f"{side}".rstrip("; ") + ".")
    ci = (f" (95 % konfidensintervall {n(gs['ci_low'])}–{n(gs['ci_high'])})" if gs.get("ci_low") is not None
          else "")
    ci_en = ci.replace("konfidensintervall", "CI") if ci else ""
    if gs.get("step"):
        return lab.sv_en(
            f"{what[:1].upper() + what[1:]} når målet {target} ({period}) från {par.lower()} = {n(gs['value'])}{ci}.",
            f"{what[:1].upper() + what[1:]} reaches the target {target} ({period}) from {par} = {n(gs['value'])}{ci_en}.")
    return lab.sv_en(
        f"{what[:1].upper() + what[1:]} passerar målet {target} ({period}) vid {par.lower()} = {n(gs['value'])}{ci}.",
        f"{what[:1].upper() + what[1:]} crosses the target {target} ({period}) at {par} = {n(gs['value'])}{ci_en}.")


def _methods(sd: SweepData, lab: Labels) -> str:
    m = sd.meta
    sv = lab.sv_en
    items = [
        (sv("Metod", "Method"), sv(*METHOD_SV.get(sd.method, (sd.method, sd.method)))),
        (sv("Scenario", "Scenario"), ", ".join((m.get("scenario") or {}).get("files", []))),
        (sv("Punkter och replikeringar", "Points and replications"),
         f"{m.get('points')} × {m.get('replications')}, " + sv(f"frö {m.get('seed')}", f"seed {m.get('seed')}")),
        (sv("Gemensamma slumptal", "Common random numbers"), sv(
            "Replikering r använder samma slumptalsströmmar i varje punkt; osäkra parametrar som inte varieras "
            "dras med samma tal i varje punkt.",
            "Replication r uses the same random streams at every point; uncertain parameters not varied are "
            "drawn with the same numbers at every point.")),
        (sv("Index", "Indices"), sv(
            "Index beräknas med SALib på medelvärdet över replikeringarna i varje punkt; intervallen är 95 % "
            "bootstrap-intervall över punkterna (tornado: parade t-intervall över replikeringarna).",
            "Indices are computed with SALib on each point's mean over replications; intervals are 95% "
            "bootstrap intervals over the points (tornado: paired t intervals over replications).")),
        (sv("Fördelningar", "Distributions"), sv(
            "Intervall dras likformigt, triangelfördelningar som de anges; en normalfördelning varieras över sina "
            "mittersta 95 %.",
            "Ranges are sampled uniformly, triangular distributions as given; a normal is swept over its "
            "central 95%.")),
        (sv("Körtid", "Run time"), f"{fmt.number(m.get('wall_seconds'), 1, lab.lang)} s "
         + sv(f"({fmt.number(m.get('replication_seconds'), 0, lab.lang)} s i replikeringarna)",
              f"({fmt.number(m.get('replication_seconds'), 0, lab.lang)} s in replications)")),
    ]
    return '<dl class="methods">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in items) + "</dl>"


def build_sweep_page(sd: SweepData, lang: str = "sv") -> tuple[Page, str, list[str]]:
    lab = Labels.from_scenario(sd.meta.get("resolved_scenario"), lang)
    page = Page(lab, threshold=0)
    paths = sd.paths
    gs = sd.goalseek
    if gs is not None:
        page.section("svar", lab.sv_en("Svar", "Answer"),
                     lambda: f"<p class='lead' style='font-size:1.35rem;color:#1a1a1a'>{e(goalseek_sentence(gs, lab))}</p>"
                     + _curve(page, sd, lab, gs["kpi"], gs["path"], gs.get("target")))
    page.section("oversikt", lab.sv_en("Vad som varieras", "What is varied"), lambda: _overview(sd, lab))
    for kpi in sd.kpis if gs is None else []:
        title = lab.kpi(kpi)

        def build(kpi: str = kpi) -> str:
            parts = []
            if sd.method == "oat":
                parts.append(_tornado(page, sd, lab, kpi))
            elif sd.method == "sobol":
                parts.append(_bars(page, sd, lab, kpi, [("S1", lab.sv_en("första ordningen (S1)", "first order (S1)")),
                                                        ("ST", lab.sv_en("totalt (ST)", "total (ST)"))],
                                   lab.sv_en(f"{lab.kpi(kpi)}: andel av variationen", f"{lab.kpi(kpi)}: share of the variance")))
            elif sd.method == "morris":
                parts.append(_morris(page, sd, lab, kpi))
            elif sd.method == "lhs":
                parts.append(_bars(page, sd, lab, kpi, [("S1", "RBD-FAST S1")],
                                   lab.sv_en(f"{lab.kpi(kpi)}: andel av variationen", f"{lab.kpi(kpi)}: share of the variance")))
            if len(paths) == 1 and sd.method != "oat":
                parts.append(_curve(page, sd, lab, kpi, paths[0]))
            elif len(paths) == 2 and sd.method == "grid":
                parts.append(_heatmap(page, sd, lab, kpi, paths[0], paths[1]))
            elif sd.method == "grid":
                parts += [_curve(page, sd, lab, kpi, p) for p in paths]
            return "".join(parts)

        page.section(f"kpi-{kpi}", title, build)
    page.section("metod", lab.sv_en("Metod", "Method"), lambda: _methods(sd, lab))
    name = (sd.meta.get("scenario") or {}).get("name", "")
    title = (lab.sv_en("Målsökning", "Goal seek") if gs is not None else lab.sv_en("Känslighetsanalys", "Sensitivity analysis")) \
        + (f": {name}" if name else "")
    sub = [lab.sv_en(*METHOD_SV.get(sd.method, (sd.method, sd.method))).capitalize()
           + f" · {sd.meta.get('points')} " + lab.sv_en("punkter", "points")
           + f" × {sd.meta.get('replications')} " + lab.sv_en("replikeringar", "replications")]
    return page, title, sub


def write_sweep_report(root: str | Path, lang: str = "sv") -> Path:
    """Write ``report.html`` into a finished sweep or goal-seek folder."""
    fmt.check_lang(lang)
    sd = SweepData(Path(root))
    page, title, sub = build_sweep_page(sd, lang)
    out = Path(root) / "report.html"
    atomic_write_text(out, page.render(title, sub))
    return out


def is_sweep_dir(path: Path) -> bool:
    """A sweep or goal-seek folder: its meta (sweep.json) and design are written first."""
    return (path / "sweep.json").is_file() and (path / "design.parquet").is_file()


def _build(path: Path, lang: str, threshold: int) -> BuiltPage:
    page, title, sub = build_sweep_page(SweepData(path), lang)
    return BuiltPage(page, title, sub)


#: ``amesim report DIR`` on a sweep or goal-seek folder rebuilds this page.
PAGE_TYPE = PageType("sweep", is_sweep_dir, _build)
