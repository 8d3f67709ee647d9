"""Shared set-up for the report tests: small real runs and a comparison folder.

The comparison folder is made by :func:`amesim.compare_scenarios`, as ``amesim compare``
makes it, so the report is tested against the comparison.csv the program writes (not one
the report computed itself).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
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


ROOT = Path(__file__).resolve().parents[1]


def make_bollebygd_comparison(tmp: Path, replications: int = 2) -> Path:
    """The bundled Bollebygd scenario against one post fewer, as `amesim compare` writes it."""
    d = tmp / "bollebygd_cmp"
    compare_scenarios([ROOT / "scenarios" / "bollebygd.yaml", ROOT / "scenarios" / "bollebygd_minus_one_post.yaml"],
                      d, replications=replications, seed=0)
    return d


# --------------------------------------------------------------------------- Swedish text

#: English words that are not also Swedish words (so 'is', 'by', 'process', 'period' are not here).
ENGLISH_WORDS = frozenset({
    "the", "and", "of", "with", "which", "from", "for", "not", "this", "that", "these", "those", "are", "was",
    "were", "will", "would", "should", "month", "months", "year", "years", "share", "shares", "cost", "costs",
    "source", "sources", "assumption", "assumptions", "derived", "include", "included", "true", "false", "yes",
    "longest", "direct", "random", "individual", "field", "base", "alternative", "choice", "value", "values",
    "employer", "fee", "cap", "compensation", "seeds", "waiting", "staff", "unit", "units", "measure",
    "measures", "effect", "effects", "routes", "after", "hazard", "ratio", "dropout", "participants",
    "participant", "households", "household", "persons", "days", "mean", "total", "replication",
    "replications", "uncertainty", "uncertain", "baseline", "difference", "better", "worse", "clear",
})
#: Ids of the scenario model that a Swedish text must not show raw.
RAW_IDS = frozenset({"primar", "sekundar", "longest", "direct", "dedicated", "individual", "langt_fran",
                     "unga_vuxna", "narmare", "slutfort_uppdrag", "annan_myndighet"})


def foreign_words(text: str) -> list[str]:
    """English words, raw ids and snake_case identifiers in a text that should be Swedish."""
    found = []
    for word in re.findall(r"[A-Za-zÅÄÖåäö_]+", text):
        low = word.lower()
        if low in ENGLISH_WORDS or low in RAW_IDS or ("_" in word and word.strip("_")):
            found.append(word)
    return found


class VisibleText(HTMLParser):
    """The text of an HTML page a reader sees, without scripts, styles, <code> (file paths and
    field names shown on purpose) and the scenario author's own words (class "src")."""

    SKIP_TAGS = {"script", "style", "code", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "meta", "link", "img", "input", "hr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        self.stack.append(tag in self.SKIP_TAGS or "src" in classes)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag not in ("br", "meta", "link", "img", "input", "hr"):
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        p = cls()
        p.feed(html)
        return " ".join(p.parts)
