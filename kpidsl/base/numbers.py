"""Numbers for people, in the user's language: grouping, decimal mark, a real minus sign.

One formatter for every place a person reads a number (the terminal table, explain,
the spec library's messages): `Numbers("ru").money(31360)` is `31 360,00` with a
no-break space, `Numbers("en")` writes `31,360.00`.  Numbers for machines are plain
decimals with a point (`output.export.plain`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


def language_of(locale: str) -> str:
    """`ru` for a Russian locale (`ru`, `ru_RU`, `ru-RU`), else `en`."""
    return "ru" if locale.split("_")[0].split("-")[0] == "ru" else "en"


MINUS = "\u2212"  # a real minus sign for people; machines get "-"


@dataclass(frozen=True)
class Numbers:
    """Formats decimals for one locale: grouping, decimal mark, minus sign."""

    locale: str = "ru"

    @property
    def _symbols(self) -> tuple[str, str]:
        from babel.numbers import get_decimal_symbol, get_group_symbol  # lazy: Babel costs ~40 ms

        return get_group_symbol(self.locale), get_decimal_symbol(self.locale)

    def number(self, value: Decimal, min_digits: int = 0, max_digits: int = 6, *,
               signed: bool = False, mark_rounded: bool = False) -> str:
        """`value` rounded half away from zero to at most `max_digits` decimals, trailing
        zeros dropped down to `min_digits`.  `mark_rounded` appends "…" when rounding
        changed the value, so a shortened number never passes for an exact one."""
        rounded = value.quantize(Decimal(1).scaleb(-max_digits), ROUND_HALF_UP)
        whole, _, fraction = format(abs(rounded), "f").partition(".")
        if not (mark_rounded and rounded != value):  # a shortened value keeps all its digits
            fraction = fraction.rstrip("0").ljust(min_digits, "0")
        group, point = self._symbols
        groups: list[str] = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        text = group.join(groups) + (point + fraction if fraction else "")
        if rounded < 0 or (rounded == 0 and value < 0 and fraction.strip("0")):
            text = MINUS + text
        elif signed and rounded > 0:
            text = "+" + text
        if mark_rounded and rounded != value:
            text += "…"
        return text

    def money(self, value: Decimal, digits: int = 2) -> str:
        return self.number(value, digits, digits)

    def percent(self, value: Decimal, max_digits: int = 1, *, signed: bool = False) -> str:
        return self.number(value * 100, 0, max_digits, signed=signed) + "%"


def optional(value: Decimal | None, show: Callable[[Decimal], str], empty: str = "—") -> str:
    return empty if value is None else show(value)
