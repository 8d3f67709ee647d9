"""The documents a scenario's sources cite by code ("001 §6", "docs/evidence.md"), with full titles.

Source notes cite the municipal reports behind the bundled scenarios by their seed number
(``000``-``004``, see DOMAIN.md) and amesim's own evidence digests by file name. A reader
of the report cannot look up "001"; the report ends its assumptions with the list of the
documents actually cited, each with its full title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .labels import ReportLabels
from .page import e

#: Code -> (Swedish, English) full reference.
REFERENCES: dict[str, tuple[str, str]] = {
    "000": ("Ekerö kommun (2015). Förändrad organisation för arbetsmarknadsrelaterade insatser. Utredning, "
            "dnr KS15/221-001.",
            "Ekerö municipality (2015). Changed organisation of labour-market measures (Förändrad organisation "
            "för arbetsmarknadsrelaterade insatser). Report, ref. KS15/221-001."),
    "001": ("Bollebygds kommun, socialnämnden (2020). Utredning av arbetsmarknadsenhetens verksamhet. "
            "Protokoll § 111, dnr SN2020/147.",
            "Bollebygd municipality, social services board (2020). Review of the labour-market unit (Utredning av "
            "arbetsmarknadsenhetens verksamhet). Minutes § 111, ref. SN2020/147."),
    "002": ("Västerås stad, de förtroendevalda revisorerna (2022). Granskning av det strategiska arbetet med "
            "arbetsmarknadsåtgärder.",
            "City of Västerås, the elected auditors (2022). Audit of the strategic work with labour-market measures "
            "(Granskning av det strategiska arbetet med arbetsmarknadsåtgärder)."),
    "003": ("LOKA – Lokala arbetsmarknadsprogram: utmaningar av och för en inkluderande arbetsmarknad (2023). "
            "Första resultatrapporten: arbetsmarknadsenheternas organisering och arbetsprocess i åtta kommuner. "
            "Mittuniversitetet, FoU Västernorrland och FoU i Väst/GR.",
            "LOKA – Local labour-market programmes (2023). First results report: organisation and work process of "
            "labour-market units in eight municipalities. Mid Sweden University, FoU Västernorrland, FoU i Väst/GR."),
    "004": ("Bergström Casinowsky, G., FoU i Väst/Göteborgsregionen. Kommunala arbetsmarknadsinsatser i "
            "Göteborgsregionen 2013 – en kartläggning av organisation, uppdrag, mål, insatser och resultat.",
            "Bergström Casinowsky, G., FoU i Väst/Gothenburg Region. Municipal labour-market measures in the "
            "Gothenburg Region 2013 – a mapping of organisation, remits, goals, measures and results."),
    "DOMAIN.md": ("amesim: sammanfattning av underlagen 000–004 och av statistik om försörjningsstöd (DOMAIN.md).",
                  "amesim: digest of the documents 000–004 and of statistics on social assistance (DOMAIN.md)."),
    "docs/evidence.md": ("amesim: sammanställning av effektstudier om arbetsmarknadsinsatser (IFAU, SBU m.fl.) och de "
                         "effektstorlekar som följer av dem (docs/evidence.md).",
                         "amesim: digest of effect studies of labour-market measures (IFAU, SBU and others) and the "
                         "effect sizes they support (docs/evidence.md)."),
}

_CODE = re.compile(r"(?<![\w.§-])(00[0-4])(?![\w-])|(DOMAIN\.md)|(docs/evidence\.md)")


def cited(sources: Iterable[str]) -> list[str]:
    """The reference codes the source notes cite, in the order of :data:`REFERENCES`."""
    found: set[str] = set()
    for s in sources:
        for m in _CODE.finditer(s or ""):
            found.add(next(g for g in m.groups() if g))
    return [c for c in REFERENCES if c in found]


def references_html(sources: Iterable[str], lab: ReportLabels) -> str:
    codes = cited(sources)
    if not codes:
        return ""
    items = "".join(f"<li><b>{e(c)}</b>: {e(REFERENCES[c][0 if lab.lang == 'sv' else 1])}</li>" for c in codes)
    head = lab.sv_en("Underlag som källorna hänvisar till", "Documents the sources cite")
    return f"<h3>{e(head)}</h3><ul class=\"references\">{items}</ul>"
