"""Report language: one message catalogue per language plus Babel formatting.

Every word a report shows comes from `reports/locales/<lang>.json` (or from a
template), the statuses' labels from `base.statuses`; every number, amount, date and
period is formatted here with Babel for the report's locale.  Decimals are rounded half away from zero *before* Babel sees
them (Babel rounds half to even), so a report never disagrees with the engine's
money rounding.  Babel is imported here, on the render path only.
"""

from __future__ import annotations

import datetime as _dt
import json
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from kpidsl.base.resources import resource_dir
from kpidsl.base.statuses import STATUSES, status_words
from kpidsl.data.periods import kind_of


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


def _round(value: Decimal, digits: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _decimals(value: Decimal, max_digits: int) -> int:
    """How many fraction digits `value` needs, at most `max_digits` (trailing zeros dropped)."""
    rounded = _round(value, max_digits).normalize()
    exponent = rounded.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


class Formatter:
    """Labels and number formats for one report language, currency and minor unit."""

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

    # ---- messages
    def t(self, key: str, count: Decimal | int | None = None, **args: object) -> str:
        """The message `key` with `{name}` placeholders filled; `count` picks a plural form."""
        message = self.messages.get(key)
        if message is None:
            raise KeyError(f"message {key!r} is missing from the {self.lang} report catalogue")
        if isinstance(message, dict):
            form = self.babel.plural_form(abs(count)) if count is not None else "other"
            message = message.get(form, message.get("other", ""))
            args.setdefault("count", count)
        return str(message).format(**args) if args else str(message)

    def has(self, key: str) -> bool:
        return key in self.messages

    # ---- plain numbers
    def number(self, value: Decimal | int | None, max_digits: int = 2, min_digits: int = 0) -> str:
        from babel.numbers import format_decimal

        if value is None:
            return self.t("value.none")
        value = Decimal(value)
        digits = max(min_digits, _decimals(value, max_digits))
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(_round(value, digits), format=pattern, locale=self.babel)

    def fixed(self, value: Decimal | None, digits: int) -> str:
        """A number with exactly `digits` fraction digits (indices: 0,300)."""
        return self.number(value, max_digits=digits, min_digits=digits)

    def signed(self, value: Decimal | None, digits: int) -> str:
        """Like `fixed`, with an explicit sign (+0,100 / −0,008)."""
        if value is None:
            return self.t("value.none")
        text = self.fixed(abs(value), digits)
        if _round(value, digits) == 0:
            return text
        return ("+" if value > 0 else "\u2212") + text

    def percent(self, ratio: Decimal | None, max_digits: int = 1) -> str:
        """A ratio as a percentage: 0.15 → `15 %` (ru) / `15%` (en)."""
        from babel.numbers import format_percent

        if ratio is None:
            return self.t("value.none")
        scaled = Decimal(ratio) * 100
        digits = _decimals(scaled, max_digits)
        base = self.babel.percent_formats[None].pattern
        pattern = base.replace("#,##0", "#,##0" + ("." + "0" * digits if digits else ""), 1)
        return format_percent(_round(scaled, digits) / 100, format=pattern, locale=self.babel)

    # ---- money
    def money(self, value: Decimal | None, digits: int | None = None, currency: str | None = None) -> str:
        """An amount with the currency sign: `31 360,00 ₽` (ru), `RUB 31,360.00` (en)."""
        from babel.numbers import format_currency, get_currency_symbol

        if value is None:
            return self.t("value.none")
        currency = currency or self.currency
        digits = self.minor_digits if digits is None else digits
        base = self.babel.currency_formats["standard"].pattern.split(";")[0]
        pattern = base.replace("0.00", "0" + ("." + "0" * digits if digits else ""))
        text = format_currency(_round(Decimal(value), digits), currency, format=pattern,
                               currency_digits=False, locale=self.babel)
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

    def amount(self, value: Decimal | None, whole: bool = True) -> str:
        """Money without the sign for formulas: `5 000` when whole (and `whole`), else `2 977,50`."""
        if value is None:
            return self.t("value.none")
        minor = _round(Decimal(value), self.minor_digits)
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
            minor = _round(Decimal(value), self.minor_digits)
            return self.money(value, digits=0 if minor == minor.to_integral_value() else self.minor_digits,
                              currency=unit)
        if unit in ("days", "hours"):
            babel_unit = "duration-day" if unit == "days" else "duration-hour"
            return format_unit(_round(Decimal(value), _decimals(Decimal(value), 2)), babel_unit,
                               length="short", locale=self.babel)
        if unit == "points":
            return self.t("unit.points", count=value, value=self.number(value))
        return self.number(value)

    def difference(self, value: Decimal, unit: str | None) -> str:
        """A gap between two values of one KPI: percentage points for percent units."""
        if unit == "percent":
            return self.t("unit.pp", value=self.number(Decimal(value) * 100, max_digits=1))
        return self.value(value, unit)

    # ---- periods
    def period(self, key: str) -> str:
        """`2026Q3` → `3 кв. 2026` / `Q3 2026`; `2026-09` → `сентябрь 2026`; `2026` → `2026`."""
        from babel.dates import format_date

        if not key:
            return ""
        start, _ = period_bounds(key)
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
        start, end = period_bounds(key)
        return self.t("period.range",
                      start=format_date(start, self.t("period.range.start"), locale=self.babel),
                      end=format_date(end, self.t("period.range.end"), locale=self.babel))


def _is_currency(unit: str) -> bool:
    return len(unit) == 3 and unit.isascii() and unit.isalpha() and unit.isupper()


def period_bounds(key: str) -> tuple[_dt.date, _dt.date]:
    """The first and last day of a canonical period key."""
    kind = kind_of(key)
    if kind == "quarter":
        year, q = key.split("Q")
        start = _dt.date(int(year), 3 * int(q) - 2, 1)
        months = 3
    elif kind == "month":
        year, month = key.split("-")
        start = _dt.date(int(year), int(month), 1)
        months = 1
    else:
        start = _dt.date(int(key), 1, 1)
        months = 12
    next_month = start.month - 1 + months
    after = _dt.date(start.year + next_month // 12, next_month % 12 + 1, 1)
    return start, after - _dt.timedelta(days=1)
