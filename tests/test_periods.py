"""Periods: every spelling a spreadsheet uses maps to one canonical key; keys round-trip;
previous/ordinal agree; wrong input gives None (never an exception)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpidsl.data.periods import (
    KINDS,
    example,
    key_for_date,
    kind_of,
    ordinal,
    parse_period,
    previous,
    sort_periods,
    written_kind,
)


@pytest.mark.parametrize("text", [
    "2026Q3", "2026q3", "2026-Q3", "2026 Q3", "2026/Q3", "2026 К3", "Q3 2026", "q3-2026", "Q3/2026",
    "3 кв. 2026", "3 кв 2026", "3кв2026", "3 квартал 2026", "3-й квартал 2026 года", "3 квартал 2026 г.",
    "III кв. 2026", "III квартал 2026", "  2026Q3  ", "2026-07-01", "2026-09-30", "30.09.2026",
    "1.8.2026", "2026-09-30T12:00:00", "30.09.2026 23:59",
])
def test_quarter_spellings(text: str) -> None:
    assert parse_period(text, "quarter") == "2026Q3"


@pytest.mark.parametrize("text, key", [
    ("IV кв. 2025", "2025Q4"), ("I квартал 2026", "2026Q1"), ("II кв. 2026", "2026Q2"), ("2026Q1", "2026Q1"),
])
def test_roman_quarters(text: str, key: str) -> None:
    assert parse_period(text, "quarter") == key


@pytest.mark.parametrize("text", [
    "2026-09", "2026-9", "09.2026", "9.2026", "9/2026", "сентябрь 2026", "Сентябрь 2026", "сентября 2026 г.",
    "сент. 2026", "сен 2026", "September 2026", "Sep 2026", "sept 2026", "Sep-2026", "2026 сентябрь",
    "2026-09-15", "15.09.2026",
])
def test_month_spellings(text: str) -> None:
    assert parse_period(text, "month") == "2026-09"


def test_every_month_name() -> None:
    russian = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
               "декабрь"]
    english = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    for number, (ru, en) in enumerate(zip(russian, english, strict=True), 1):
        assert parse_period(f"{ru} 2026", "month") == f"2026-{number:02d}"
        assert parse_period(f"{en} 2026", "month") == f"2026-{number:02d}"
    assert parse_period("февраль 2026", "month") == parse_period("Февраль 2026", "month") == "2026-02"


@pytest.mark.parametrize("text", ["2026", "2026 г.", "2026г", "2026 год", "2026-03-31", "31.12.2026"])
def test_year_spellings(text: str) -> None:
    assert parse_period(text, "year") == "2026"


def test_dates_and_datetimes_are_bucketed() -> None:
    assert parse_period(dt.date(2026, 9, 30), "quarter") == "2026Q3"
    assert parse_period(dt.datetime(2026, 10, 1, 0, 0), "quarter") == "2026Q4"
    assert parse_period(dt.date(2026, 1, 1), "month") == "2026-01"
    assert parse_period(dt.datetime(2026, 12, 31, 23, 59), "year") == "2026"


@pytest.mark.parametrize("text, kind", [
    ("", "quarter"), ("abc", "quarter"), ("2026Q5", "quarter"), ("2026Q0", "quarter"), ("Q5 2026", "quarter"),
    ("VVV кв. 2026", "quarter"), ("IIII кв. 2026", "quarter"), ("2026-13", "month"), ("2026-00", "month"),
    ("13.2026", "month"), ("foo 2026", "month"), ("31.02.2026", "quarter"), ("2026-02-30", "month"),
    ("26", "year"), ("20260", "year"), ("Итого", "quarter"), ("2026-09", "quarter"), ("2026Q3", "month"),
    ("2026", "quarter"), ("2026Q3", "year"), ("сентябрь 2026", "quarter"), ("2026", "nonsense-kind"),
])
def test_invalid_inputs_give_none(text: str, kind: str) -> None:
    assert parse_period(text, kind) is None


@pytest.mark.parametrize("text, kind", [
    ("2026Q3", "quarter"), ("3 кв. 2026", "quarter"), ("2026-09", "month"), ("Sep 2026", "month"),
    ("2026", "year"), ("2026 г.", "year"), ("2026-09-30", None), ("30.09.2026", None), ("Итого", None),
])
def test_written_kind(text: str, kind: str | None) -> None:
    assert written_kind(text) == kind


def test_previous_and_ordinal_at_year_boundaries() -> None:
    assert previous("2026Q1") == "2025Q4"
    assert previous("2026-01") == "2025-12"
    assert previous("2026") == "2025"
    assert ordinal("2026Q1") - ordinal("2025Q4") == 1
    assert sort_periods(["2026Q1", "2025Q4", "2026Q1", "2025Q2"]) == ["2025Q2", "2025Q4", "2026Q1"]
    assert [example(k) for k in KINDS] == ["2026Q3", "2026-09", "2026"]


# ---------------------------------------------------------------- properties

years = st.integers(min_value=1901, max_value=2999)
keys = st.one_of(
    st.builds(lambda y, q: f"{y}Q{q}", years, st.integers(1, 4)),
    st.builds(lambda y, m: f"{y}-{m:02d}", years, st.integers(1, 12)),
    st.builds(str, years),
)


@given(keys)
def test_keys_round_trip(key: str) -> None:
    kind = kind_of(key)
    assert parse_period(key, kind) == key
    assert written_kind(key) == kind
    for other in KINDS:
        if other != kind:
            assert parse_period(key, other) is None


@given(keys)
def test_previous_is_one_step_back(key: str) -> None:
    before = previous(key)
    assert kind_of(before) == kind_of(key)
    assert ordinal(before) == ordinal(key) - 1
    assert parse_period(before, kind_of(key)) == before
    assert sort_periods([key, before]) == [before, key]


@given(st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2999, 12, 31)), st.sampled_from(KINDS))
def test_date_spellings_agree(date: dt.date, kind: str) -> None:
    key = key_for_date(date, kind)
    assert parse_period(date, kind) == key
    assert parse_period(date.isoformat(), kind) == key
    assert parse_period(f"{date.day}.{date.month}.{date.year}", kind) == key
    assert parse_period(f"{date.day:02d}.{date.month:02d}.{date.year}", kind) == key
    assert kind_of(key) == kind


@given(years, st.integers(1, 4))
def test_quarter_variants_agree(year: int, quarter: int) -> None:
    roman = ["I", "II", "III", "IV"][quarter - 1]
    key = f"{year}Q{quarter}"
    for text in (f"Q{quarter} {year}", f"{year}-Q{quarter}", f"{quarter} кв. {year}", f"{roman} квартал {year}"):
        assert parse_period(text, "quarter") == key
