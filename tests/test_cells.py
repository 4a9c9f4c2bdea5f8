"""The one writer of JSON values and CSV fields (kpidsl.output.cells), checked against the
standard library, and its SQL twins in bulk_text.py checked against it through DuckDB."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from decimal import Decimal

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from kpidsl.output.bulk_text import csv_number_sql, csv_text_sql, json_number_sql
from kpidsl.output.cells import (
    CSV_SPECIAL_PATTERN,
    FORMULA_PATTERN,
    csv_field,
    csv_line,
    csv_number,
    csv_text,
    json_number,
    json_value,
    neutralise,
)

# Text as it comes from rulesets and client data: formula triggers, quotes, separators.
texts = st.text(st.sampled_from([*"ab =+-@\t\r\n,\"';", "ё", "\u00a0"]), max_size=12) | st.text(max_size=20)
decimals = st.decimals(min_value=Decimal("-99999999999999999999999999.999999999999"),
                       max_value=Decimal("99999999999999999999999999.999999999999"), places=12,
                       allow_nan=False, allow_infinity=False)


@given(st.lists(texts, min_size=2, max_size=5))
def test_csv_lines_are_what_csv_writer_writes(fields: list[str]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    assert csv_line(map(csv_field, fields)) == buffer.getvalue()


@given(texts)
def test_a_text_cell_is_neutralised_then_quoted(text: str) -> None:
    assert csv_text(text) == csv_field(neutralise(text))
    assert bool(re.match(FORMULA_PATTERN, text)) == (neutralise(text) != text)
    assert bool(re.search(CSV_SPECIAL_PATTERN, text)) == (csv_field(text) != text)


@given(st.none() | st.booleans() | st.integers() | texts)
def test_json_values_are_what_json_dumps_writes(value: object) -> None:
    assert json_value(value) == json.dumps(value, ensure_ascii=False)


@given(decimals)
def test_a_decimal_is_a_json_number_digit_for_digit(value: Decimal) -> None:
    written = json_number(value)
    assert Decimal(json.loads(written, parse_float=Decimal, parse_int=Decimal)) == value
    assert json_value(value) == written == json_number(format(value, "f")) == csv_number(value)
    assert json_number(None) == "null" and csv_number(None) == ""


def _through_duckdb(build: Callable[[exp.Column], exp.Expr], column_type: str, values: list[str] | list[str | None]) \
        -> list[str]:
    """`build(x)` evaluated by DuckDB for each of `values` cast to `column_type`, in order."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT CAST(UNNEST($1) AS {column_type}) AS x, "
                "generate_subscripts($1, 1) AS i", [values])
    query = exp.select(build(exp.column("x", table="k")).as_("j")).from_(exp.to_table("t").as_("k")) \
        .order_by(exp.column("i"))
    return [r[0] for r in con.execute(query.sql(dialect="duckdb")).fetchall()]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.none() | decimals, min_size=1, max_size=30))
def test_the_sql_numbers_are_the_python_numbers(values: list[Decimal | None]) -> None:
    texts_ = [None if v is None else str(v) for v in values]
    assert _through_duckdb(json_number_sql, "DECIMAL(38,12)", texts_) == [json_number(v) for v in values]
    assert _through_duckdb(csv_number_sql, "DECIMAL(38,12)", texts_) == [csv_number(v) for v in values]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(texts, min_size=1, max_size=30))
def test_the_sql_text_cells_are_the_python_text_cells(values: list[str]) -> None:
    assert _through_duckdb(csv_text_sql, "VARCHAR", values) == [csv_text(v) for v in values]
