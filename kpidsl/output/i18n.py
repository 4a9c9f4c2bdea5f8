"""Report language: one message catalogue per language, numbers in CLDR's patterns.

Every word a report shows comes from `reports/locales/<lang>.json` (or from a
template), the statuses' labels from `base.statuses`; every number, amount, date and
period is formatted here for the report's locale.  The digits are the one formatter's
(`base.numbers.Numbers`: rounded half away from zero, as the engine rounds money;
Babel would round half to even); Babel supplies the locale's symbols and patterns
(where the currency and the percent sign go), the units' plural forms and the dates.
Babel is imported here, on the render path only.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from kpidsl.base.numbers import Numbers, fraction_digits, round_half_up, shifted
from kpidsl.base.resources import resource_dir
from kpidsl.base.statuses import STATUSES, status_words
from kpidsl.data.periods import bounds, kind_of


class LocaleError(ValueError):
    """The requested report language has no catalogue."""


def _locales_dir() -> Path:
    return resource_dir("reports") / "locales"


def available_languages() -> list[str]:
    return sorted(p.stem for p in _locales_dir().glob("*.json"))


@lru_cache(maxsize=8)
def _load_catalogue(lang: str) -> dict[str, Any]:
    path = _locales_dir() / f"{lang}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocaleError(
            f"no report catalogue for language {lang!r}; available: {', '.join(available_languages())}") from None
    if not isinstance(data, dict):
        raise LocaleError(f"{path}: a catalogue must be a JSON object of messages")
    return data


@lru_cache(maxsize=8)
def messages(lang: str) -> dict[str, Any]:
    """The report's messages in `lang`: its catalogue, and the statuses' labels
    (`status.met`, …) from the one list of statuses (base/statuses.py)."""
    labels = {f"status.{s}": status_words(s, lang).label for s in STATUSES}
    return {**_load_catalogue(lang), **labels}


class Formatter:
    """Labels and number formats for one report language, currency and minor unit.

    The digits come from the one formatter (`base.numbers.Numbers`, rounding half away
    from zero); CLDR's patterns, read by Babel, say where the sign, the percent sign and
    the currency go.  Like Babel, a report writes a negative number with a hyphen-minus
    (`-5`), except the signed deviations (`−0,008`)."""

    def __init__(self, locale: str, currency: str, minor_digits: int = 2) -> None:
        from babel import Locale, UnknownLocaleError

        try:
            self.babel = Locale.parse(locale.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            raise LocaleError(f"unknown report locale {locale!r}; use one of: {', '.join(available_languages())}") \
                from None
        self.lang = self.babel.language
        self.messages = messages(self.lang)
        self.currency = currency
        self.minor_digits = minor_digits
        self.numbers = Numbers(str(self.babel), minus="-")  # CLDR's patterns write "-"
        self.signed_numbers = Numbers(str(self.babel))  # `+0,100` / `−0,008`

    # ---- messages
    def t(self, key: str, count: Decimal | float | None = None, /, **args: object) -> str:
        """The message `key` with `{name}` placeholders filled; `count` (positional or by
        name) picks a plural form and fills `{count}`."""
        if "count" in args:
            given = args.pop("count")
            if not (given is None or isinstance(given, (int, float, Decimal))):
                raise TypeError(f"count must be a number, not {given!r}")
            count = given
        message = self.messages.get(key)
        if message is None:
            raise KeyError(f"message {key!r} is missing from the {self.lang} report catalogue")
        if isinstance(message, dict):
            form = self.babel.plural_form(-count if count < 0 else count) if count is not None else "other"
            message = message.get(form, message.get("other", ""))
            args.setdefault("count", count)
        return str(message).format(**args) if args else str(message)

    def has(self, key: str) -> bool:
        return key in self.messages

    # ---- plain numbers
    def number(self, value: Decimal | int | None, max_digits: int = 2, min_digits: int = 0) -> str:
        """At most `max_digits` decimals, trailing zeros dropped down to `min_digits`."""
        if value is None:
            return self.t("value.none")
        return self.numbers.number(Decimal(value), min_digits, max_digits)

    def fixed(self, value: Decimal | None, digits: int) -> str:
        """A number with exactly `digits` fraction digits (indices: 0,300)."""
        return self.number(value, max_digits=digits, min_digits=digits)

    def signed(self, value: Decimal | None, digits: int) -> str:
        """Like `fixed`, with an explicit sign (+0,100 / −0,008)."""
        if value is None:
            return self.t("value.none")
        return self.signed_numbers.number(value, digits, digits, signed=True)

    def percent(self, ratio: Decimal | None, max_digits: int = 1) -> str:
        """A ratio as a percentage: 0.15 → `15 %` (ru) / `15%` (en)."""
        if ratio is None:
            return self.t("value.none")
        return self._in_pattern(self.babel.percent_formats[None].pattern, shifted(Decimal(ratio), 2), 0, max_digits)

    # ---- money
    def money(self, value: Decimal | None, digits: int | None = None, currency: str | None = None) -> str:
        """An amount with the currency sign: `31 360,00 ₽` (ru), `RUB 31,360.00` (en)."""
        from babel.numbers import get_currency_symbol

        if value is None:
            return self.t("value.none")
        currency = currency or self.currency
        digits = self.minor_digits if digits is None else digits
        pattern = self.babel.currency_formats["standard"].pattern.split(";")[0]
        text = self._in_pattern(pattern, Decimal(value), digits, digits, currency)
        # CLDR asks for a space between a letter code and the digits ("RUB 31,360.00");
        # Babel does not apply that spacing rule, so it is done here.
        symbol = get_currency_symbol(currency, locale=self.babel)
        if symbol[-1:].isalpha() and symbol in text:
            at = text.index(symbol) + len(symbol)
            if at < len(text) and (text[at].isdigit()):
                text = text[:at] + "\u00a0" + text[at:]
        if symbol[:1].isalpha():
            at = text.index(symbol)
            if at > 0 and text[at - 1].isdigit():
                text = text[:at] + "\u00a0" + text[at:]
        return text

    def _in_pattern(self, pattern: str, value: Decimal, min_digits: int, max_digits: int,
                    currency: str | None = None) -> str:
        """`value`'s digits (`Numbers`) inside a CLDR pattern's prefix and suffix (`#,##0 %`,
        `¤#,##0.00`), as Babel's `NumberPattern.apply` places them: the negative affixes for
        a value below zero (never for one that rounds to zero), `¤` for the currency, quoted
        literals unquoted — in the affixes only, so a group separator `'` (en_CH) stays.
        The digits' grouping is the pattern's."""
        from babel.numbers import get_currency_name, get_currency_symbol, parse_pattern

        parsed = parse_pattern(pattern)
        negative = int(round_half_up(value, max(min_digits, max_digits)) < 0)

        def affix(text: str) -> str:
            if "¤" in text and currency is not None:
                text = text.replace("¤¤¤", get_currency_name(currency, value.copy_abs(), self.babel))
                text = text.replace("¤¤", currency.upper())
                text = text.replace("¤", get_currency_symbol(currency, self.babel))
            return re.sub(r"'([^']*)'", lambda m: m.group(1) or "'", text)

        digits = self.numbers.number(value.copy_abs(), min_digits, max_digits, grouping=parsed.grouping)
        return affix(parsed.prefix[negative]) + digits + affix(parsed.suffix[negative])

    def amount(self, value: Decimal | None, whole: bool = True) -> str:
        """Money without the sign for formulas: `5 000` when whole (and `whole`), else `2 977,50`."""
        if value is None:
            return self.t("value.none")
        minor = round_half_up(Decimal(value), self.minor_digits)
        if whole and minor == minor.to_integral_value():
            return self.number(minor, max_digits=0)
        return self.fixed(minor, self.minor_digits)

    # ---- values in a KPI's unit
    def value(self, value: Decimal | None, unit: str | None) -> str:
        """A KPI's plan or fact in its unit: `15 %`, `5 000 ₽`, `14,27 ₽`, `120 000`."""
        from babel.units import format_unit

        if value is None:
            return self.t("value.none")
        if unit == "percent":
            return self.percent(value)
        if unit is not None and _is_currency(unit):
            # Whole amounts (after rounding to the minor unit) without kopecks: `5 000 ₽`, `14,27 ₽`.
            minor = round_half_up(Decimal(value), self.minor_digits)
            return self.money(value, digits=0 if minor == minor.to_integral_value() else self.minor_digits,
                              currency=unit)
        if unit in ("days", "hours"):
            babel_unit = "duration-day" if unit == "days" else "duration-hour"
            # Babel's unit patterns pick the plural form from the number, so Babel writes the
            # digits of the value rounded here (its default pattern writes them as `number`).
            rounded = round_half_up(Decimal(value), fraction_digits(Decimal(value), 0, 2))
            return format_unit(rounded.copy_abs() if rounded == 0 else rounded, babel_unit, length="short",
                               locale=self.babel)
        if unit == "points":
            return self.t("unit.points", count=value, value=self.number(value))
        return self.number(value)

    def difference(self, value: Decimal, unit: str | None) -> str:
        """A gap between two values of one KPI: percentage points for percent units."""
        if unit == "percent":
            return self.t("unit.pp", value=self.number(shifted(Decimal(value), 2), max_digits=1))
        return self.value(value, unit)

    # ---- periods
    def day(self, iso: str) -> str:
        """`2026-07-01` → `1 июля 2026 г.` / `July 1, 2026` (CLDR's long date)."""
        import datetime as dt

        from babel.dates import format_date

        return format_date(dt.date.fromisoformat(iso), "long", locale=self.babel)

    def period(self, key: str) -> str:
        """`2026Q3` → `3 кв. 2026` / `Q3 2026`; `2026-09` → `сентябрь 2026`; `2026` → `2026`."""
        from babel.dates import format_date

        if not key:
            return ""
        start, _ = bounds(key)
        kind = kind_of(key)
        return format_date(start, self.t(f"period.pattern.{kind}"), locale=self.babel)

    def period_range(self, key: str) -> str:
        """The period's first and last day: `1 июл. – 30 сент. 2026 г.`

        The range's shape comes from the catalogue, not from CLDR's interval data, so a
        Babel upgrade does not change a report's header (Babel 2.19, with CLDR 49,
        swapped the Russian interval dash).  A period never crosses a year, so the
        year is written once.
        """
        from babel.dates import format_date

        if not key:
            return ""
        start, end = bounds(key)
        return self.t("period.range",
                      start=format_date(start, self.t("period.range.start"), locale=self.babel),
                      end=format_date(end, self.t("period.range.end"), locale=self.babel))


def _is_currency(unit: str) -> bool:
    return len(unit) == 3 and unit.isascii() and unit.isalpha() and unit.isupper()
