"""Cells: the raw tables every reader returns, and what their cells hold.

A reader (`readers.py`, `readers_text.py`) turns one file into `RawTable`s: rows of
cells with the row number a person would look for.  This module finds a table's
header row, tells blank cells, shows a cell's text in messages and reads numbers as
people and spreadsheets write them, exactly.  It knows no file format and nothing
of facts.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation

Cell = object  # str | int | float | Decimal | date | datetime | bool | None | (JSON) list/dict
HeaderTest = Callable[[Sequence[Cell]], bool]
HEADER_SEARCH_ROWS = 10  # a header may follow a few title rows (1C, CRM report exports)


@dataclass
class RawTable:
    """One table of a file: a CSV file, a JSON list, one worksheet of a workbook.

    `columns` is set when the format names its columns itself (JSON keys, Parquet
    columns); otherwise the header is one of `rows`, and facts.py finds it.
    """

    name: str  # how locations name it: the path, or `path[sheet]` in a workbook of several sheets
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)  # (row number, cells)
    columns: list[str] | None = None


def find_header(rows: Sequence[tuple[int, Sequence[Cell]]], is_header: HeaderTest) -> int | None:
    """Index in `rows` of the header: the first of the first few non-empty rows that passes."""
    seen = 0
    for index, (_, cells) in enumerate(rows):
        if all(is_blank(c) for c in cells):
            continue
        if is_header(cells):
            return index
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    return None


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def show(value: object, limit: int = 60) -> str:
    """A cell's text for a message: one line, control characters escaped, shortened."""
    text = text_of(value).translate({10: "\\n", 13: "\\r", 9: "\\t"})
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_of(cell: Cell) -> str:
    """A cell as text: integral numbers without `.0`, dates in ISO form, text trimmed."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return str(cell).upper()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, float):
        return format(cell, ".15g")
    if isinstance(cell, Decimal):
        exact = plain(cell)
        return str(exact) if exact is not None else str(cell)
    if isinstance(cell, (_dt.date, _dt.datetime)):
        return cell.isoformat()
    return str(cell).strip()


# ---------------------------------------------------------------- numbers


_GROUP_SPACES = " \u00a0\u202f\u2009\u2007"  # space, no-break, narrow no-break, thin, figure space
_CURRENCY_SIGNS = "₽$€"
_MINUS = "-\u2212"  # hyphen-minus, minus sign
_MAX_EXPONENT = 60  # larger exponents are not KPI data (and would make huge integers)
_NUMBER = re.compile(r"(?P<mantissa>[0-9.,]+)(?:[eE](?P<exp>[+-]?\d{1,3}))?")
_WIDE = Context(prec=200)
_PLAIN = re.compile(r"-?\d{1,30}(?:\.\d{1,30})?")
_SPACE = re.compile(f"[{_GROUP_SPACES}]")
_SPACED_HEAD = re.compile(f"[0-9{_GROUP_SPACES}]+")


def plain(value: Decimal) -> Decimal | None:
    """`1E+3` → `1000`, `-0` → `0`: one fixed-point spelling of each value.
    None for NaN, infinities and magnitudes beyond 1e60 (no KPI datum is that large)."""
    if not value.is_finite() or value.adjusted() > _MAX_EXPONENT:
        return None
    if value.is_zero():
        return Decimal(0)
    exponent = value.as_tuple().exponent  # an int: the value is finite
    if isinstance(exponent, int) and exponent > 0:
        return value.quantize(Decimal(1), context=_WIDE)
    return value


def decimal_from_float(value: float) -> Decimal | None:
    """A spreadsheet's binary float → the decimal it displays (15 significant digits, as
    Excel keeps): 0.1 + 0.2 gives 0.3, not 0.30000000000000004.  None for NaN/inf."""
    if not math.isfinite(value):
        return None
    return plain(Decimal(format(value, ".15g")))


def parse_number(text: str) -> Decimal | None:
    """A number as people and spreadsheets write it, exactly; None if it is not one.

    `1926000`, `1 926 000,00` (spaces, no-break or narrow no-break spaces group
    thousands), `1,926,000.00`, `1.926.000,00`, `-5`, `−5`, `(5)` (accounting
    negative), `1e3`, `1,5E+06`, `15%` (= 0.15), `1 926 000 ₽`.  One comma or one
    dot alone is the decimal separator: `1,926` is 1.926.  Groups after the first
    must have three digits.
    """
    s = text.strip(_GROUP_SPACES + "\t\r\n")
    if _PLAIN.fullmatch(s):  # the common case, `1926000` or `-0.25`: no folding needed
        return plain(Decimal(s))
    negative = False
    if len(s) > 2 and s[0] == "(" and s[-1] == ")":
        negative, s = True, s[1:-1].strip(_GROUP_SPACES)
    percent = s.endswith("%")
    if percent:
        s = s[:-1].rstrip(_GROUP_SPACES)
    s = s.strip(_CURRENCY_SIGNS).strip(_GROUP_SPACES)
    if s[:1] in ("+",) or (s[:1] and s[0] in _MINUS):
        if negative and s[0] != "+":
            return None
        negative = negative or s[0] in _MINUS
        s = s[1:].lstrip(_GROUP_SPACES)
    if s[:1] and s[0] in _CURRENCY_SIGNS:  # -₽ 5
        s = s[1:].lstrip(_GROUP_SPACES)
    # thousands grouped by spaces: fold them away after checking the grouping
    if _SPACE.search(s):
        head = _SPACED_HEAD.match(s)
        if head is None:
            return None
        groups = _SPACE.split(head.group(0).rstrip(_GROUP_SPACES))
        if not _grouped(groups) or _SPACE.search(s, head.end()):
            return None
        s = "".join(groups) + s[head.end():]
        spaced = True
    else:
        spaced = False
    m = _NUMBER.fullmatch(s)
    if m is None:
        return None
    digits = _mantissa(m["mantissa"], allow_groups=not spaced)
    if digits is None:
        return None
    exponent = int(m["exp"]) if m["exp"] else 0
    if abs(exponent) > _MAX_EXPONENT:
        return None
    try:
        value = Decimal(digits).scaleb(exponent - (2 if percent else 0), context=_WIDE)
    except InvalidOperation:
        return None
    return plain(-value if negative else value)


def _grouped(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]) if len(groups) > 1 else True


def _mantissa(s: str, allow_groups: bool) -> str | None:
    """`1.926.000,50` → `1926000.50`; None if separators are used inconsistently."""
    commas, dots = s.count(","), s.count(".")
    if commas and dots:
        decimal_sep = "," if s.rfind(",") > s.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        if s.count(decimal_sep) != 1:
            return None
    elif commas or dots:
        sep = "," if commas else "."
        if s.count(sep) == 1:
            decimal_sep, group_sep = sep, ""
        else:
            decimal_sep, group_sep = "", sep
    else:
        decimal_sep = group_sep = ""
    whole, _, fraction = s.partition(decimal_sep) if decimal_sep else (s, "", "")
    if decimal_sep and not fraction.isdigit():
        return None
    if group_sep:
        if not allow_groups or not _grouped(whole.split(group_sep)):
            return None
        whole = whole.replace(group_sep, "")
    if whole and not whole.isdigit():
        return None
    if not whole and not fraction:
        return None
    return f"{whole or '0'}.{fraction}" if fraction else whole
