"""Numbers as text: for people in their language (`Numbers`), and for machines (`plain`).

The one formatter of decimals, so that a number reads the same in the terminal table,
`kpidsl explain`, the reports and the spec library's messages:

* `Numbers("ru").money(31360)` is `31 360,00` (a no-break space groups thousands),
  `Numbers("en")` writes `31,360.00`; rounding is half away from zero, as the engine
  rounds money (Babel and Python's `format` round half to even); a real minus sign;
* the reports (output/i18n.py) place these digits in CLDR's patterns (`15 %`,
  `31 360,00 ₽`, `$31,360.00`); the spec library (specs/numbers.py) writes them with the
  separators a spec author types (a plain space in Russian);
* `plain` is a decimal for machines (JSON, CSV): a point, no grouping, no exponent,
  trailing zeros dropped.

Money never passes through a binary float here: every step is `Decimal`.  Babel (for a
locale's symbols) is imported on first use only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache


def language_of(locale: str) -> str:
    """`ru` for a Russian locale (`ru`, `ru_RU`, `ru-RU`), else `en`."""
    return "ru" if locale.split("_")[0].split("-")[0] == "ru" else "en"


MINUS = "\u2212"  # a real minus sign for people; machines get "-"


# Wide enough for any KPI value: the default context keeps 28 digits, and `abs`, `scaleb`
# and `quantize` would round (or refuse) a DECIMAL(38,12) with more.
_EXACT = Context(prec=1000)


def round_half_up(value: Decimal, digits: int) -> Decimal:
    """`value` rounded half away from zero to `digits` decimals, as the engine rounds."""
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP, context=_EXACT)


def shifted(value: Decimal, places: int) -> Decimal:
    """`value` × 10**`places`, exactly (a ratio as a percentage: `shifted(r, 2)`)."""
    return value.scaleb(places, context=_EXACT)


def own_digits(value: Decimal) -> int:
    """How many decimals `value` is written with (`31360.00` → 2, `1E+3` → 0)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fraction_digits(value: Decimal, min_digits: int, max_digits: int) -> int:
    """The decimals `Numbers.number` shows: `value` rounded to `max_digits`, trailing zeros
    dropped down to `min_digits` (`1.50`, 0 … 2 → 1)."""
    max_digits = max(max_digits, min_digits)
    shown = own_digits(round_half_up(value, max_digits).normalize(_EXACT))
    return max(min_digits, shown)


@lru_cache(maxsize=32)
def _babel_symbols(locale: str) -> tuple[str, str]:
    from babel.numbers import get_decimal_symbol, get_group_symbol  # lazy: Babel costs ~40 ms

    return get_group_symbol(locale), get_decimal_symbol(locale)


def group_digits(whole: str, group: str, sizes: tuple[int, int] = (3, 3)) -> str:
    """`1926000` → `1 926 000`: the last group of `sizes[0]` digits, the others of `sizes[1]`
    (CLDR's grouping: (3, 3) almost everywhere, (3, 2) in India)."""
    size, out = sizes[0], ""
    while len(whole) > size:
        out = group + whole[-size:] + out
        whole, size = whole[:-size], sizes[1]
    return whole + out


@dataclass(frozen=True)
class Numbers:
    """Formats decimals for one locale: grouping, decimal mark, minus sign.

    `group` and `point` default to the locale's (Babel's) symbols; `minus` to the real
    minus sign.  The report patterns of CLDR write a hyphen-minus, so the report
    formatter asks for `minus="-"`."""

    locale: str = "ru"
    group: str | None = None
    point: str | None = None
    minus: str = MINUS

    @property
    def symbols(self) -> tuple[str, str]:
        """The group separator and the decimal mark."""
        if self.group is not None and self.point is not None:
            return self.group, self.point
        group, point = _babel_symbols(self.locale)
        return self.group if self.group is not None else group, self.point if self.point is not None else point

    def number(self, value: Decimal, min_digits: int = 0, max_digits: int = 6, *,
               signed: bool = False, mark_rounded: bool = False, grouping: tuple[int, int] = (3, 3)) -> str:
        """`value` rounded half away from zero to at most `max_digits` decimals, trailing
        zeros dropped down to `min_digits` (a `max_digits` below it is raised to it).
        A value that rounds to zero has no sign; `signed` writes `+` before a positive
        one.  `mark_rounded` appends "…" when rounding changed the value, so a shortened
        number never passes for an exact one."""
        max_digits = max(max_digits, min_digits)
        # A value with no more decimals than asked for is exact as it is (quantizing would
        # only pad zeros that are dropped again).
        rounded = value if own_digits(value) <= max_digits and value.is_finite() else round_half_up(value, max_digits)
        shortened = mark_rounded and rounded != value
        whole, _, fraction = format(rounded.copy_abs(), "f").partition(".")
        if not shortened:  # a shortened value keeps all its digits
            fraction = fraction.rstrip("0").ljust(min_digits, "0")
        group, point = self.symbols
        text = group_digits(whole, group, grouping) + (point + fraction if fraction else "")
        if rounded < 0:
            text = self.minus + text
        elif signed and rounded > 0:
            text = "+" + text
        return text + ("…" if shortened else "")

    def exact(self, value: Decimal) -> str:
        """Every decimal `value` is written with, trailing zeros kept (`31360.00` → `31 360,00`)."""
        digits = own_digits(value)
        return self.number(value, digits, digits)

    def money(self, value: Decimal, digits: int = 2) -> str:
        """An amount with exactly `digits` decimals (the currency's minor unit)."""
        return self.number(value, digits, digits)

    def percent(self, value: Decimal, max_digits: int = 1, min_digits: int = 0, *, signed: bool = False) -> str:
        """A ratio as a percentage, the sign right after the digits: 0.155 → `15.5%`."""
        return self.number(shifted(value, 2), min_digits, max_digits, signed=signed) + "%"


def optional(value: Decimal | None, show: Callable[[Decimal], str], empty: str = "—") -> str:
    """`show(value)`, or `empty` (a dash) when there is no value."""
    return empty if value is None else show(value)


# ------------------------------------------------------------------ for machines


def plain_text(text: str) -> str:
    """A decimal's fixed-point text (`-1.500`, as `format(value, "f")` or DuckDB writes it)
    as machines get it: trailing zeros and a bare point dropped, `-0` written `0`."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plain(value: Decimal | None) -> str:
    """A decimal for machines: no exponent, no grouping, trailing zeros dropped; `""` for None.
    An integral value has no point (`2.000` → `2`), so it is also the JSON integer."""
    return "" if value is None else plain_text(format(value, "f"))
