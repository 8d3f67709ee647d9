"""Number formatting for the report: Swedish by default (space thousands, decimal comma).

Politicians read numbers, not floats: "1,2 miljoner kronor", "31 %", "<5". Every
formatter takes ``lang`` ('sv' or 'en') and returns plain text (HTML-escape it when
inserting into a page; these strings contain no markup).
"""

from __future__ import annotations

import math

NBSP = "\u00a0"  # non-breaking space: thousands separator that never wraps a number
MINUS = "\u2212"  # typographic minus sign (Swedish convention)
DASH = "\u2013"  # en dash for ranges
LANGS = ("sv", "en")


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang


def is_missing(x: object) -> bool:
    try:
        return x is None or math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def number(x: float | None, decimals: int = 0, lang: str = "sv", sign: bool = False) -> str:
    """1234.5 -> '1 234,5' (sv) or '1,234.5' (en); NaN -> '–'."""
    if is_missing(x):
        return DASH
    v = float(x)  # type: ignore[arg-type]
    if round(v, decimals) == 0:
        v = 0.0  # no "-0"
    text = f"{abs(v):,.{decimals}f}"
    if lang == "sv":
        text = text.replace(",", NBSP).replace(".", ",")
    if v < 0:
        text = (MINUS if lang == "sv" else "-") + text
    elif sign and v > 0:
        text = "+" + text
    return text


def percent(share: float | None, decimals: int = 0, lang: str = "sv", sign: bool = False) -> str:
    """0.314 -> '31 %' (sv, with a space as Språkrådet recommends) or '31%' (en)."""
    if is_missing(share):
        return DASH
    return number(100 * float(share), decimals, lang, sign) + (f"{NBSP}%" if lang == "sv" else "%")  # type: ignore[arg-type]


def count(x: float | None, threshold: int = 5, lang: str = "sv", decimals: int = 0) -> str:
    """A count of people or households, with small-number protection.

    Values above zero but below ``threshold`` become '<5' so that politician-facing
    tables never show tiny groups (and never invite over-reading of them). Zero stays 0.
    """
    if is_missing(x):
        return DASH
    v = float(x)  # type: ignore[arg-type]
    if threshold > 0 and 0 < abs(v) < threshold:
        return f"<{threshold}" if v > 0 else f"{MINUS if lang == 'sv' else '-'}<{threshold}"
    return number(v, decimals, lang)


def is_suppressed(x: float | None, threshold: int) -> bool:
    return not is_missing(x) and threshold > 0 and 0 < abs(float(x)) < threshold  # type: ignore[arg-type]


def _money_scale(x: float, lang: str) -> tuple[float, str, str]:
    """(divisor, unit word, short unit) for an amount in SEK."""
    a = abs(x)
    if lang == "sv":
        if a >= 1e9:
            return 1e9, "miljarder kronor", "mdkr"
        if a >= 1e6:
            return 1e6, "miljoner kronor", "mnkr"
        return 1.0, "kronor", "kr"
    if a >= 1e9:
        return 1e9, "billion SEK", "bn SEK"
    if a >= 1e6:
        return 1e6, "million SEK", "m SEK"
    return 1.0, "SEK", "SEK"


def _money_decimals(scaled: float, div: float) -> int:
    if div == 1.0:
        return 0
    return 1 if abs(scaled) < 100 else 0


def round_sig(x: float) -> float:
    """Amounts below a million: 3 significant figures (false precision helps no one)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, 2 - int(math.floor(math.log10(abs(x)))))


def money(x: float | None, lang: str = "sv", short: bool = False, sign: bool = False) -> str:
    """1_234_567 -> '1,2 miljoner kronor'; 452_345 -> '452 000 kronor'."""
    if is_missing(x):
        return DASH
    v = float(x)  # type: ignore[arg-type]
    div, word, abbr = _money_scale(v, lang)
    scaled = v / div if div > 1 else round_sig(v)
    return f"{number(scaled, _money_decimals(scaled, div), lang, sign)}{NBSP}{abbr if short else word}"


def money_parts(x: float | None, lang: str = "sv", sign: bool = False) -> tuple[str, str]:
    """(number, unit) short enough for a headline card: '8,2' 'miljoner kronor', '591' 'tusen
    kronor', '650' 'kronor' (with a '+' when ``sign`` and positive)."""
    if is_missing(x):
        return DASH, ""
    v = float(x)  # type: ignore[arg-type]
    a = abs(v)
    if a >= 1e6:
        div, word = _money_scale(v, lang)[:2]
        scaled = v / div
        return number(scaled, _money_decimals(scaled, div), lang, sign), word
    if a >= 1e4:
        return number(v / 1e3, 0, lang, sign), "tusen kronor" if lang == "sv" else "thousand SEK"
    return number(round_sig(v), 0, lang, sign), "kronor" if lang == "sv" else "SEK"


def money_range(lo: float | None, hi: float | None, lang: str = "sv",
                thousands: bool = False) -> tuple[str, str, str]:
    """Both ends on the same scale: ('1,2', '2,0', 'miljoner kronor'); with ``thousands``,
    amounts from 10 000 to a million in 'tusen kronor' (as :func:`money_parts`)."""
    if is_missing(lo) or is_missing(hi):
        return DASH, DASH, ""
    lo_f, hi_f = float(lo), float(hi)  # type: ignore[arg-type]
    top = max(abs(lo_f), abs(hi_f))
    if thousands and 1e4 <= top < 1e6:
        return (number(lo_f / 1e3, 0, lang), number(hi_f / 1e3, 0, lang),
                "tusen kronor" if lang == "sv" else "thousand SEK")
    div, word, _ = _money_scale(top, lang)
    if div > 1:
        a, b = lo_f / div, hi_f / div
        d = _money_decimals(max(abs(a), abs(b)), div)
    else:
        a, b, d = round_sig(lo_f), round_sig(hi_f), 0
    return number(a, d, lang), number(b, d, lang), word


def ci_sentence(lo: float | None, hi: float | None, kind: str, lang: str = "sv", per: str = "",
                threshold: int = 5, level: int = 95) -> str:
    """'Mellan 1,2 och 2,0 miljoner kronor per år (95 % konfidensintervall)'.

    ``kind`` is 'money', 'share', 'count' or 'number'; ``per`` e.g. 'per år'.
    """
    if is_missing(lo) or is_missing(hi):
        return ("Osäkerheten kan inte beräknas (för få simuleringar)." if lang == "sv"
                else "The uncertainty cannot be computed (too few replications).")
    if kind == "money":
        a, b, unit = money_range(lo, hi, lang)
    elif kind == "share":
        a, b = number(100 * float(lo), 0, lang), number(100 * float(hi), 0, lang)  # type: ignore[arg-type]
        unit = "procent" if lang == "sv" else "percent"
    elif kind == "count":
        a, b = count(lo, threshold, lang), count(hi, threshold, lang)
        unit = ""
    else:
        a, b, unit = number(lo, 1, lang), number(hi, 1, lang), ""
    tail = " ".join(t for t in (unit, per) if t)
    if lang == "sv":
        return f"Mellan {a} och {b}{' ' + tail if tail else ''} ({level}{NBSP}% konfidensintervall)"
    return f"Between {a} and {b}{' ' + tail if tail else ''} ({level}% confidence interval)"


def interval(lo: float | None, hi: float | None, fmt: str, lang: str = "sv", threshold: int = 5,
             decimals: int = 0) -> str:
    """Compact 'lo–hi' for tables and hover text, in the same format as the value."""
    if is_missing(lo) or is_missing(hi):
        return ""
    # "−35 till −11" reads better than "−35––11" when a bound is negative.
    sep = DASH if float(lo) >= 0 and float(hi) >= 0 else (" till " if lang == "sv" else " to ")  # type: ignore[arg-type]
    if fmt == "money":
        a, b, _ = money_range(lo, hi, lang)
        abbr = _money_scale(max(abs(float(lo)), abs(float(hi))), lang)[2]  # type: ignore[arg-type]
        return f"{a}{sep}{b}{NBSP}{abbr}"
    f = formatter(fmt, lang, threshold, decimals)
    return f"{f(lo)}{sep}{f(hi)}"


def span(lo: float, hi: float, decimals: int = 1, lang: str = "sv", scale: float = 1.0) -> str:
    """'−9,2 till 4,6' / '1,9–7,0': a plain numeric range (e.g. percentage points)."""
    if is_missing(lo) or is_missing(hi):
        return ""
    a, b = scale * float(lo), scale * float(hi)
    sep = DASH if a >= 0 and b >= 0 else (" till " if lang == "sv" else " to ")
    return f"{number(a, decimals, lang)}{sep}{number(b, decimals, lang)}"


def formatter(fmt: str, lang: str = "sv", threshold: int = 5, decimals: int = 0):
    """A one-argument formatter for a value format: money, share, count, number."""
    if fmt == "money":
        return lambda v: money(v, lang, short=True)
    if fmt == "share":
        return lambda v: percent(v, decimals, lang)
    if fmt == "count":
        return lambda v: count(v, threshold, lang, decimals)
    return lambda v: number(v, decimals, lang)
