"""Shared set-up for the report tests: small real runs and a comparison folder.

The comparison folder is made by :func:`amesim.compare_scenarios`, as ``amesim compare``
makes it, so the report is tested against the comparison.csv the program writes (not one
the report computed itself).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from amesim.experiments.experiment import compare_scenarios
from amesim.runner import run_to_dir
from amesim.scenario import load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "small.yaml"
EVIL = "<script>alert(1)</script>"


def scenario_file(tmp: Path, stem: str, name: str | None = None, handlaggare_fte: float | None = None,
                  measure_name: str | None = None) -> Path:
    """small.yaml with a new name (untrusted text allowed) and optionally one post fewer."""
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    if name is not None:
        data["name"] = name
    if handlaggare_fte is not None:
        for s in data["staff"]:
            if s["id"] == "handlaggare":
                s["fte"] = {"value": handlaggare_fte, "source": "förslag: en tjänst mindre"}
    if measure_name is not None:
        data["measures"][1]["name"] = measure_name
    path = tmp / f"{stem}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def make_run(tmp: Path, stem: str = "small", replications: int = 3, **kw: object) -> Path:
    src = scenario_file(tmp, stem, **kw)  # type: ignore[arg-type]
    out = tmp / "runs" / stem
    run_to_dir(load_scenario(src), out, replications=replications, seed=1)
    return out


def make_comparison(tmp: Path, replications: int = 3, base_name: str = "Nuläge") -> Path:
    """DIR/base, DIR/minus_en (one handläggare fewer), comparison.csv and compare.json."""
    d = tmp / "cmp"
    base = scenario_file(tmp, "base", name=base_name)
    alt = scenario_file(tmp, "minus_en", name="Minus en handläggare", handlaggare_fte=2.0)
    compare_scenarios([base, alt], d, replications=replications, seed=1)
    return d
