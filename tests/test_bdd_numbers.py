"""Numbers in specs: what people write, what it means, and how results compare with it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpidsl.specs.numbers import NumberError, format_like, format_number, money_matches, parse_number, ratio_matches


@pytest.mark.parametrize("text, value, decimals", [
    ("31 360", "31360", 0),
    ("31360", "31360", 0),
    ("31 360,00 ₽", "31360.00", 2),
    ("31\u00a0360,00\u00a0₽", "31360.00", 2),  # Babel's ru format: no-break spaces
    ("0,192", "0.192", 3),
    ("0.192", "0.192", 3),
    ("−0,008", "-0.008", 3),  # Unicode minus
    ("-0,008", "-0.008", 3),
    ("15%", "0.15", 2),
    ("12,5 %", "0.125", 3),
    ("83,3%", "0.833", 3),
    ("31,360.00", "31360.00", 2),
    ("5 000 руб.", "5000", 0),
    ("$1,234.5", "1234.5", 1),
])
def test_parse(text: str, value: str, decimals: int) -> None:
    number = parse_number(text)
    assert number.value == Decimal(value)
    assert number.decimals == decimals


@pytest.mark.parametrize("text, ru, en", [
    ("87,500", "87.5", "87500"),  # English groups thousands with commas; Russian writes decimals so
    ("1,234,567.89", "1234567.89", "1234567.89"),
    ("0,192", "0.192", "0.192"),  # never a thousands group: stays a decimal in English too
    ("1,5", "1.5", "1.5"),
])
def test_comma_depends_on_the_spec_language(text: str, ru: str, en: str) -> None:
    assert parse_number(text, "ru").value == Decimal(ru)
    assert parse_number(text, "en").value == Decimal(en)


@pytest.mark.parametrize("text", ["", "abc", "1 2,3,4", "--5", "15%%", "1e5", "0x10", "₽"])
def test_not_a_number(text: str) -> None:
    with pytest.raises(NumberError):
        parse_number(text)


def test_ratio_compared_to_the_written_precision() -> None:
    spec = parse_number("0,192")
    assert ratio_matches(Decimal("0.192000000000"), spec)
    assert ratio_matches(Decimal("0.1924"), spec)
    assert ratio_matches(Decimal("0.1915"), spec)  # half away from zero: 0.1915 → 0.192
    assert not ratio_matches(Decimal("0.1926"), spec)
    assert not ratio_matches(None, spec)
    assert ratio_matches(Decimal("-0.0075"), parse_number("−0,008"))  # away from zero on the negative side too
    assert ratio_matches(Decimal("0.833333333333"), parse_number("83,3%"))
    assert not ratio_matches(Decimal("0.833333333333"), parse_number("83,4%"))


def test_money_is_exact_to_the_kopeck() -> None:
    assert money_matches(Decimal("31360.00"), parse_number("31 360"))
    assert money_matches(Decimal("31360.00"), parse_number("31 360,00 ₽"))
    assert not money_matches(Decimal("31360.01"), parse_number("31 360"))
    assert not money_matches(None, parse_number("0"))


def test_format_for_messages() -> None:
    assert format_number(Decimal("31360"), "ru", 2) == "31 360,00"
    assert format_number(Decimal("31360"), "en", 2) == "31,360.00"
    assert format_number(Decimal("-0.008"), "ru") == "−0,008"
    assert format_number(None, "ru") == "нет данных"
    assert format_like(Decimal("0.8333333"), parse_number("83,3%"), "ru") == "83,3%"
    assert format_like(Decimal("0.19256"), parse_number("0,192"), "en") == "0.193"


money = st.decimals(min_value=Decimal("-10000000"), max_value=Decimal("10000000"), places=2,
                    allow_nan=False, allow_infinity=False)


@given(money, st.sampled_from(["ru", "en"]))
def test_formatted_money_parses_back(value: Decimal, lang: str) -> None:
    text = format_number(value, lang, 2)
    assert parse_number(text, lang).value == value
    assert parse_number(text + " ₽", lang).value == value


@given(st.decimals(min_value=Decimal("-100"), max_value=Decimal("100"), places=4, allow_nan=False,
                   allow_infinity=False), st.sampled_from(["ru", "en"]))
def test_percent_is_a_hundredth(value: Decimal, lang: str) -> None:
    text = format_number(value, lang) + "%"
    assert parse_number(text, lang).value == value / 100


@pytest.mark.parametrize("dash", ["-", "\u2212", "\u2012", "\u2013", "\u2014"],
                         ids=["hyphen-minus", "minus sign", "figure dash", "en dash", "em dash"])
def test_every_dash_people_type_for_a_minus_is_one(dash: str) -> None:
    """The minus sign, the figure dash, the en dash and the em dash all mean minus.  (The
    table of dashes once listed the minus sign twice — as `−` and as `\\u2212` — where the
    figure dash, U+2012, was meant: `‒0,008` was no number.)"""
    assert parse_number(f"{dash}0,008").value == Decimal("-0.008")
    assert parse_number(f"{dash}31 360,00 ₽").value == Decimal("-31360.00")


def test_a_message_writes_every_decimal_the_value_has_unless_told_how_many() -> None:
    assert format_number(Decimal("31360.00"), "ru") == "31 360,00"  # plain spaces, as a spec is typed
    assert format_number(Decimal("1E+3"), "en") == "1,000"
    assert format_number(Decimal("-0.0004"), "ru", 3) == "0,000"  # a value that rounds to zero has no sign
    assert format_number(Decimal("0.1534"), "ru", 3, percent=True) == "15,3%"
    assert format_number(Decimal("0.15"), "en", percent=True) == "15%"
    wide = Decimal("12345678901234567890123456.123456789012")  # 38 digits, past Decimal's 28
    assert format_number(wide, "en") == "12,345,678,901,234,567,890,123,456.123456789012"


def test_a_facts_cell_becomes_a_decimal_without_an_exponent() -> None:
    from kpidsl.specs.numbers import canonical

    assert canonical("31 360,00 ₽") == "31360.00"
    assert canonical("15%") == "0.15"
    assert canonical("0,00001%") == "0.0000001"  # str() would write 1E-7
