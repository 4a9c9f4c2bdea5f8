"""The one formatter of numbers (kpidsl.base.numbers) and the places that write with it:
the terminal (Numbers), the reports (output.i18n.Formatter: the digits in CLDR's patterns)
and the spec library (specs.numbers).  Babel is the reference for the reports' patterns."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpidsl.base.numbers import MINUS, Numbers, fraction_digits, own_digits, plain, plain_text, round_half_up
from kpidsl.output.i18n import Formatter

NBSP = "\u00a0"
ratios = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6, allow_nan=False,
                     allow_infinity=False)
LOCALES = [("ru", "RUB"), ("en", "USD"), ("en_US", "RUB"), ("ru_RU", "EUR"), ("en_GB", "GBP")]


def _babel_rounded(value: Decimal, digits: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


@given(ratios, st.sampled_from(LOCALES), st.integers(0, 4))
def test_report_numbers_are_babels_digit_for_digit(value: Decimal, locale: tuple[str, str], digits: int) -> None:
    """Where Babel would write a value, the report writes what Babel writes for the value
    rounded half away from zero (a zero without a sign aside)."""
    from babel.numbers import format_currency, format_decimal, format_percent

    loc, currency = locale
    f = Formatter(loc, currency)
    rounded = _babel_rounded(value, digits)
    if rounded == 0:
        rounded = abs(rounded)
    fraction = "." + "0" * digits if digits else ""
    assert f.fixed(value, digits) == format_decimal(rounded, "#,##0" + fraction, locale=f.babel)
    money_pattern = f.babel.currency_formats["standard"].pattern.split(";")[0].replace("0.00", "0" + fraction)
    expected = format_currency(rounded, currency, money_pattern, currency_digits=False, locale=f.babel)
    assert f.money(value, digits).replace(NBSP, "") == expected.replace(NBSP, "")  # + CLDR's spacing rule
    scaled = _babel_rounded(value.scaleb(2), digits)
    shown = own_digits(scaled.normalize()) if scaled != 0 else 0
    percent_pattern = f.babel.percent_formats[None].pattern.replace(
        "#,##0", "#,##0" + ("." + "0" * shown if shown else ""), 1)
    assert f.percent(value, digits) == format_percent(abs(scaled) / 100 if scaled == 0 else scaled / 100,
                                                      percent_pattern, locale=f.babel)


def test_a_report_never_writes_a_signed_zero() -> None:
    """Babel writes `-0,00 ₽` for an amount that rounds to zero from below; a report writes
    a zero (fixed when the report's numbers moved onto the one formatter)."""
    ru, en = Formatter("ru", "RUB"), Formatter("en", "USD")
    tiny = Decimal("-0.001")
    assert ru.money(tiny) == f"0,00{NBSP}₽"
    assert en.money(tiny) == "$0.00"
    assert ru.number(tiny) == ru.amount(tiny) == "0"
    assert ru.percent(Decimal("-0.00001")) == f"0{NBSP}%"
    assert en.value(tiny, "days") == "0 days"
    assert ru.money(Decimal("-5")) == f"-5,00{NBSP}₽"  # a negative amount keeps CLDR's hyphen-minus
    assert ru.signed(Decimal("-0.008"), 3) == f"{MINUS}0,008"  # deviations have the real minus sign


def test_an_apostrophe_group_separator_stays_in_the_digits() -> None:
    """Swiss English groups thousands with `'`, which Babel's pattern code took for a quote
    and removed (`1234567`)."""
    ch = Formatter("en_CH", "CHF")
    assert ch.number(Decimal("1234567")) == "1'234'567"
    assert ch.money(Decimal("1234567.5")) == "CHF\u00a01'234'567.50"


def test_the_indian_grouping_of_a_pattern_is_kept() -> None:
    assert Formatter("en_IN", "INR").money(Decimal("1234567")) == "₹12,34,567.00"
    assert Formatter("en_IN", "INR").number(Decimal("1234567")) == "1,234,567"  # plain numbers: groups of three


def test_the_formatter_is_exact_past_decimals_28_digits() -> None:
    wide = Decimal("12345678901234567890123456.123456789012")
    assert Numbers("en").number(wide, 0, 12) == "12,345,678,901,234,567,890,123,456.123456789012"
    assert Numbers("en").exact(Decimal("1.2300")) == "1.2300"


def test_fewer_digits_than_the_minimum_are_not_asked_for() -> None:
    assert Numbers("en").number(Decimal("1.23456"), 3, 1) == "1.235"
    assert fraction_digits(Decimal("1.50"), 0, 2) == 1
    assert fraction_digits(Decimal("1.50"), 3, 2) == 3


def test_separators_can_be_given_and_then_babel_is_not_asked() -> None:
    typed = Numbers("ru", group=" ", point=",")
    assert typed.money(Decimal("-31360")) == f"{MINUS}31 360,00"
    assert typed.percent(Decimal("0.1534"), 1, 1) == "15,3%"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=12,
                   min_value=Decimal("-1e25"), max_value=Decimal("1e25")))
def test_plain_text_of_the_fixed_point_text_is_plain(value: Decimal) -> None:
    """bulk outputs format DuckDB's text, export formats Decimals: the same digits."""
    assert plain_text(format(value, "f")) == plain(value)
    assert Decimal(plain(value)) == value
    assert "E" not in plain(value) and (plain(value) == "0" or not plain(value).endswith(("0", "."))
                                        or "." not in plain(value))


@pytest.mark.parametrize(("value", "digits", "rounded"), [
    ("0.005", 2, "0.01"), ("-0.005", 2, "-0.01"), ("2.5", 0, "3"), ("-2.5", 0, "-3"), ("1.0049", 2, "1.00")])
def test_rounding_is_half_away_from_zero(value: str, digits: int, rounded: str) -> None:
    assert round_half_up(Decimal(value), digits) == Decimal(rounded)
