"""Periods: canonical keys, parsing of what spreadsheets write, and order.

A period is kept as its canonical key string — `2026Q3` (quarter), `2026-09`
(month), `2026` (year) — which sorts correctly as text within one kind.  Data files
may write periods in other common ways (`2026-Q3`, `Q3 2026`, `3 кв. 2026`,
`09.2026`, `сентябрь 2026`, `Sep 2026`, `2026 г.`, or a date, bucketed into its
period); `parse_period` accepts those and returns the canonical key, or None.
"""

from __future__ import annotations

import datetime as _dt
import re

_QUARTER = [
    re.compile(r"^(?P<y>\d{4})\s*[-/]?\s*[QqКк]\s*(?P<q>[1-4])$"),  # 2026Q3, 2026-Q3, 2026/Q3, 2026 К3
    re.compile(r"^[QqКк]\s*(?P<q>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})$"),  # Q3 2026, Q3-2026, Q3/2026
    # 3 кв. 2026, 3-й квартал 2026 года
    re.compile(r"^(?P<q>[1-4])\s*(-?й)?\s*(кв\.?|квартал)\s*(?P<y>\d{4})\s*(г\.?|года?)?$", re.IGNORECASE),
    re.compile(r"^(?P<q>[IV]{1,3})\s*(кв\.?|квартал)\s*(?P<y>\d{4})\s*(г\.?|года?)?$", re.IGNORECASE),  # III кв. 2026
]
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}
_MONTH = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"),  # 2026-09
    re.compile(r"^(?P<m>\d{1,2})[./](?P<y>\d{4})$"),  # 09.2026, 9/2026
]
# A month written by name, before or after the year: `сентябрь 2026`, `Sep 2026`, `2026 сент.`
_MONTH_NAMED = [
    re.compile(r"^(?P<name>[^\W\d_]+)\.?\s*[-/ ]?\s*(?P<y>\d{4})\s*(г\.?|года?)?$"),
    re.compile(r"^(?P<y>\d{4})\s*[-/ ]?\s*(?P<name>[^\W\d_]+)\.?$"),
]
_YEAR = re.compile(r"^(?P<y>\d{4})\s*(г\.?|год|года)?$", re.IGNORECASE)  # 2026, 2026 г., 2026 год
_DATE = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})([ T].*)?$"),  # ISO date or timestamp
    re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(\s+\d{1,2}:\d{2}(:\d{2})?)?$"),  # 30.09.2026 [12:00]
]


def _month_names() -> dict[str, int]:
    """Every accepted spelling of a month name (casefolded, `ё` as `е`) → its number."""
    spellings = [
        "январь января янв january jan",
        "февраль февраля фев февр february feb",
        "март марта мар march mar",
        "апрель апреля апр april apr",
        "май мая may",
        "июнь июня июн june jun",
        "июль июля июл july jul",
        "август августа авг august aug",
        "сентябрь сентября сен сент september sep sept",
        "октябрь октября окт october oct",
        "ноябрь ноября ноя нояб november nov",
        "декабрь декабря дек december dec",
    ]
    return {word: number for number, words in enumerate(spellings, 1) for word in words.split()}


_MONTH_NAMES = _month_names()

KINDS = ("quarter", "month", "year")


def key_for_date(date: _dt.date, kind: str) -> str:
    """The period that contains `date`."""
    if kind == "quarter":
        return f"{date.year}Q{(date.month - 1) // 3 + 1}"
    if kind == "month":
        return f"{date.year}-{date.month:02d}"
    return f"{date.year}"


def parse_day(cell: object) -> _dt.date | None:
    """A day as spreadsheets and exports write it — a date cell, `2026-08-16`,
    `16.08.2026` — or None if the cell holds no real day."""
    if isinstance(cell, _dt.datetime):
        return cell.date()
    if isinstance(cell, _dt.date):
        return cell
    value = " ".join(str(cell).strip().split())
    for pattern in _DATE:
        m = pattern.match(value)
        if m:
            try:
                return _dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                return None
    return None


def bounds(key: str) -> tuple[_dt.date, _dt.date]:
    """The first and last day of a canonical period key."""
    kind = kind_of(key)
    if kind == "quarter":
        year, q = key.split("Q")
        start, months = _dt.date(int(year), 3 * int(q) - 2, 1), 3
    elif kind == "month":
        year, month = key.split("-")
        start, months = _dt.date(int(year), int(month), 1), 1
    else:
        start, months = _dt.date(int(key), 1, 1), 12
    following = start.month - 1 + months
    after = _dt.date(start.year + following // 12, following % 12 + 1, 1)
    return start, after - _dt.timedelta(days=1)


def parse_period(text: object, kind: str) -> str | None:
    """Canonical key of `text` as a period of `kind`, or None if it is not one.

    `text` is usually a string; a `date`/`datetime` (as spreadsheets give) is
    bucketed into the period that contains it.
    """
    if isinstance(text, (_dt.date, _dt.datetime)):
        return key_for_date(text, kind)
    value = " ".join(str(text).strip().split())
    for pattern in _DATE:
        m = pattern.match(value)
        if m:
            try:
                return key_for_date(_dt.date(int(m["y"]), int(m["m"]), int(m["d"])), kind)
            except ValueError:
                return None
    if kind == "quarter":
        for pattern in _QUARTER:
            m = pattern.match(value)
            if m:
                q = m["q"].upper()
                if q in _ROMAN:
                    return f"{m['y']}Q{_ROMAN[q]}"
                return f"{m['y']}Q{int(q)}" if q.isdigit() else None
        return None
    if kind == "month":
        for pattern in _MONTH:
            m = pattern.match(value)
            if m and 1 <= int(m["m"]) <= 12:
                return f"{m['y']}-{int(m['m']):02d}"
        for pattern in _MONTH_NAMED:
            m = pattern.match(value)
            if m:
                number = _MONTH_NAMES.get(m["name"].casefold().replace("ё", "е"))
                if number is not None:
                    return f"{m['y']}-{number:02d}"
        return None
    if kind == "year":
        m = _YEAR.match(value)
        return m["y"] if m else None
    return None


def written_kind(text: object) -> str | None:
    """The kind of period `text` is written as, if it names a whole period.

    Dates fit every kind (they are bucketed), so they give None; so does text
    that is no period at all.  Used to explain "a month in a quarterly ruleset".
    """
    if isinstance(text, (_dt.date, _dt.datetime)):
        return None
    value = " ".join(str(text).strip().split())
    if any(p.match(value) for p in _DATE):
        return None
    for kind in KINDS:
        if parse_period(value, kind) is not None:
            return kind
    return None


def example(kind: str) -> str:
    return {"quarter": "2026Q3", "month": "2026-09", "year": "2026"}.get(kind, "2026Q3")


def previous(key: str) -> str:
    """The period before `key` (same kind)."""
    if "Q" in key:
        year, q = key.split("Q")
        return f"{int(year) - 1}Q4" if q == "1" else f"{year}Q{int(q) - 1}"
    if "-" in key:
        year, month = key.split("-")
        return f"{int(year) - 1}-12" if month == "01" else f"{year}-{int(month) - 1:02d}"
    return str(int(key) - 1)


def year_to_date(key: str) -> list[str]:
    """The periods of `key`'s year from its first up to `key` itself (`ytd(x)` adds them up)."""
    if "Q" in key:
        year, q = key.split("Q")
        return [f"{year}Q{i}" for i in range(1, int(q) + 1)]
    if "-" in key:
        year, m = key.split("-")
        return [f"{year}-{i:02d}" for i in range(1, int(m) + 1)]
    return [key]


def ordinal(key: str) -> int:
    """A number that orders periods of one kind and makes neighbours differ by 1."""
    if "Q" in key:
        year, q = key.split("Q")
        return int(year) * 4 + int(q) - 1
    if "-" in key:
        year, month = key.split("-")
        return int(year) * 12 + int(month) - 1
    return int(key)


def kind_of(key: str) -> str:
    return "quarter" if "Q" in key else "month" if "-" in key else "year"


def sort_periods(keys: list[str]) -> list[str]:
    return sorted(set(keys), key=ordinal)
