"""Numbers as people write them in specs, and how results are compared with them.

A spec may write `31 360`, `31360`, `31 360,00 ₽`, `0,192`, `0.192`, `−0,008`
(Unicode minus) or `15%`.  Parsing keeps the number of decimals the author wrote,
because that is the precision of the statement: `0,192` claims three decimals,
so the actual ratio is rounded (half away from zero) to three decimals before
the exact Decimal comparison.  Money is compared exactly, to the kopeck/cent.
Binary floats are never involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from kpidsl.base.numbers import Numbers, round_half_up, shifted

# Everything a number cell may carry around the digits: currency signs and words.
_CURRENCY = re.compile(r"(₽|руб\.?|р\.|RUB|USD|EUR|\$|€)", re.IGNORECASE)
# Spaces people and spreadsheets put between thousands (incl. no-break and thin spaces).
_GROUPING_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
# The dashes people type for a minus: the minus sign, the figure dash (the dash of the
# width of a digit), the en dash and the em dash (U+2212, U+2012, U+2013, U+2014).
_MINUSES = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_SHAPE = re.compile(r"^[+-]?(\d+(\.\d+)?|\.\d+)$")
# English thousands: 87,500 or 1,234,567.89 (a first group of 1–3 digits not starting with 0).
_EN_GROUPS = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")

# Words that mean "this value is missing" in a facts table cell.
MISSING = frozenset({"", "-", "—", "–", "нет данных", "no data", "n/a"})


class NumberError(ValueError):
    """The text is not a number a spec may write."""


@dataclass(frozen=True)
class SpecNumber:
    """A number from a spec: its value, the decimals written, and how it was written."""

    value: Decimal
    decimals: int  # decimals of `value` as a ratio: `15%` → 0.15 → 2
    percent: bool  # written with `%`
    currency: bool  # written with a currency sign or word

    def __str__(self) -> str:
        return str(self.value)


def parse_number(text: str, lang: str = "ru") -> SpecNumber:
    """`31 360,00 ₽` → 31360.00; `15%` → 0.15; `−0,008` → -0.008.

    Spaces group thousands.  A comma is the decimal separator (`0,192`) unless a dot
    also appears, in which case the last of the two separates decimals and the other
    groups thousands (`31,360.00`).  In English specs only, commas in the shape of
    thousands groups group thousands (`87,500`, `1,234,567`); `0,192` stays 0.192.
    """
    raw = str(text).strip()
    body = raw.translate(_MINUSES)
    has_currency = bool(_CURRENCY.search(body))
    body = _CURRENCY.sub("", body)
    body = _GROUPING_SPACES.sub("", body)
    percent = body.endswith("%")
    if percent:
        body = body[:-1]
    if lang == "en" and _EN_GROUPS.match(body):
        body = body.replace(",", "")
    elif "," in body and "." in body and body.rfind(",") > body.rfind("."):
        body = body.replace(".", "").replace(",", ".")  # 31.360,00
    elif "," in body and "." in body:
        body = body.replace(",", "")  # 31,360.00
    else:
        body = body.replace(",", ".")
    if not _SHAPE.match(body):
        raise NumberError(raw)
    try:
        value = Decimal(body)
    except InvalidOperation:  # pragma: no cover - the shape check above rules this out
        raise NumberError(raw) from None
    if percent:
        value = value.scaleb(-2)  # keeps the written precision: 15% → 0.15, 12.5% → 0.125
    decimals = max(0, -int(value.as_tuple().exponent))
    return SpecNumber(value, decimals, percent, has_currency)


def is_missing(text: str) -> bool:
    return str(text).strip().casefold() in MISSING


def round_to(value: Decimal, decimals: int) -> Decimal:
    """Half away from zero, as the engine rounds."""
    return round_half_up(value, decimals)


def ratio_matches(actual: Decimal | None, expected: SpecNumber) -> bool:
    """The actual ratio, rounded to the decimals the spec wrote, equals the expected one."""
    if actual is None:
        return False
    return round_to(actual, expected.decimals) == expected.value


def money_matches(actual: Decimal | None, expected: SpecNumber) -> bool:
    """Money is exact: the actual (already rounded to the minor unit) equals the expected."""
    return actual is not None and actual == expected.value


# The separators a spec author types: a plain space groups thousands in Russian (not
# the no-break space of the terminal and the reports), so a message can be pasted back.
_WRITTEN = {"ru": Numbers("ru", group=" ", point=","), "en": Numbers("en", group=",", point=".")}


def format_number(value: Decimal | None, lang: str, decimals: int | None = None,
                  percent: bool = False) -> str:
    """`31360.00` → `31 360,00` (ru) or `31,360.00` (en); None → the words for no data.

    With `decimals`, the value rounded (half away from zero) to that many decimals of the
    ratio; without, every decimal the value has.  `percent` writes the ratio as a
    percentage (`decimals` still counts the ratio's decimals: 0.153, 3 → `15,3%`)."""
    if value is None:
        return "нет данных" if lang == "ru" else "no data"
    numbers = _WRITTEN["ru" if lang == "ru" else "en"]
    if percent:
        value = shifted(value, 2)
        decimals = None if decimals is None else max(0, decimals - 2)
    text = numbers.exact(value) if decimals is None else numbers.number(value, decimals, decimals)
    return text + ("%" if percent else "")


def format_like(actual: Decimal | None, expected: SpecNumber, lang: str) -> str:
    """The actual value written the way the spec wrote the expected one."""
    return format_number(actual, lang, expected.decimals, expected.percent)


def canonical(text: str, lang: str = "ru") -> str:
    """A facts-table cell as a decimal for the data file (`15%` → `0.15`): a point, the
    digits the spec wrote, never an exponent (`str` would write 0.0000001 as `1E-7`)."""
    return format(parse_number(text, lang).value, "f")
