"""The exporters: the terminal table, the JSON contract and the CSV, on hand-built results."""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal

from eval_fixtures import manager_q3, pr_q3, seed_results, targetologist_q3
from hypothesis import given
from hypothesis import strategies as st

from kpidsl.base.diagnostics import DataLocation, warning
from kpidsl.base.numbers import MINUS, Numbers, plain
from kpidsl.output.cells import neutralise
from kpidsl.output.export import CSV_COLUMNS, render_csv, render_json, render_text

NBSP = "\u00a0"


# ------------------------------------------------------------------ numbers


def test_russian_numbers_use_a_decimal_comma_and_no_break_space_thousands() -> None:
    n = Numbers("ru")
    assert n.money(Decimal("31360")) == f"31{NBSP}360,00"
    assert n.number(Decimal("1926000")) == f"1{NBSP}926{NBSP}000"
    assert n.number(Decimal("0.300000000000"), 3, 3) == "0,300"
    assert n.number(Decimal("-0.008"), 3, 3, signed=True) == f"{MINUS}0,008"
    assert n.number(Decimal("0.1"), 3, 3, signed=True) == "+0,100"
    assert n.percent(Decimal("0.96")) == "96%"


def test_english_numbers() -> None:
    n = Numbers("en")
    assert n.money(Decimal("31360")) == "31,360.00"
    assert n.number(Decimal("0.15")) == "0.15"


def test_rounding_is_half_away_from_zero_and_marked_when_it_changed_the_value() -> None:
    n = Numbers("en")
    assert n.number(Decimal("0.0005"), 0, 3) == "0.001"
    assert n.number(Decimal("-0.0005"), 0, 3) == f"{MINUS}0.001"
    assert n.number(Decimal("1") / Decimal("3"), 0, 6, mark_rounded=True) == "0.333333…"
    assert n.number(Decimal("0.5"), 0, 6, mark_rounded=True) == "0.5"


def _parse_back(text: str, locale: str) -> Decimal:
    group, point = (NBSP, ",") if locale == "ru" else (",", ".")
    return Decimal(text.replace(MINUS, "-").replace(group, "").replace(point, ".").rstrip("…"))


@given(st.decimals(min_value=-10**12, max_value=10**12, places=12, allow_nan=False),
       st.sampled_from(["ru", "en"]), st.integers(0, 6))
def test_formatted_numbers_read_back_as_the_rounded_value(value: Decimal, locale: str, digits: int) -> None:
    text = Numbers(locale).number(value, 0, digits)
    assert _parse_back(text, locale) == value.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)


@given(st.decimals(min_value=-10**9, max_value=10**9, places=12, allow_nan=False))
def test_plain_numbers_are_exact(value: Decimal) -> None:
    text = plain(value)
    assert "e" not in text.lower() and Decimal(text) == value


# ------------------------------------------------------------------ text table


def test_text_table_shows_the_seed_example_row_by_row() -> None:
    text = render_text(seed_results(manager_q3()))
    lines = text.splitlines()
    assert "2026Q3 · Смирнова Анна · Менеджер по маркетингу и рекламе" in lines
    rows = {line.split()[0]: line for line in lines if line.startswith("  ") and line.split()}
    assert rows["customer_growth"].split()[1:7] == ["0,2", "10%", "15%", "150%", "0,300", "+0,100"]
    assert f"5{NBSP}500,00" in rows["customer_growth"] and "выполнен" in rows["customer_growth"]
    assert f"{MINUS}0,008" in rows["positive_share"] and f"4{NBSP}960,00" in rows["positive_share"]
    assert f"{MINUS}0,030" in rows["roas"] and f"9{NBSP}700,00" in rows["roas"]
    assert f"30{NBSP}000,00" in rows["итого"] and f"31{NBSP}360,00" in rows["итого"]
    # corrective actions of missed KPIs and the period's rule findings follow the table
    assert "  → roas: Перераспределить бюджет в кампании с ROAS выше 20" in lines
    assert any(line.startswith("2026Q3  CRITICAL") for line in lines)


def test_text_table_columns_line_up() -> None:
    lines = render_text(seed_results(manager_q3())).splitlines()
    start = lines.index("2026Q3 · Смирнова Анна · Менеджер по маркетингу и рекламе") + 1
    header, rows = lines[start], lines[start + 1:start + 5]
    column = header.index("статус")
    statuses = ["выполнен", "выполнен", "не выполнен", "не выполнен"]
    assert [row.index(status) for row, status in zip(rows, statuses, strict=True)] == [column] * 4
    assert [row.rindex(",00") + 3 for row in rows] == [column - 2] * 4  # the bonus column ends together


def test_text_table_shows_gates_problems_and_english() -> None:
    text = render_text(seed_results(targetologist_q3(), pr_q3()), "en")
    assert "  ! leads: require lead_close_rate >= 20%: failed" in text
    assert "  ? media_mentions: no data for fact `media_mentions` in 2026Q3" in text
    assert "gated" in text and "no data" in text and "3,947.66" in text


# ------------------------------------------------------------------ JSON


def test_json_is_the_results_contract_with_cyrillic_kept() -> None:
    results = seed_results(manager_q3())
    text = render_json(results)
    assert "Смирнова Анна" in text  # ensure_ascii=False
    assert json.loads(text, parse_float=Decimal) == results.to_json()  # numbers exact, digit for digit
    data = json.loads(text)
    manager = data["results"][0]
    assert [k["bonus"] for k in manager["kpis"]] == ["5500.00", "11200.00", "4960.00", "9700.00"]
    assert manager["bonus"] == "31360.00"


def test_json_carries_the_runs_warnings() -> None:
    w = warning("E010", "no data for fact `orders` in 2026Q1", DataLocation("f.csv", 3, "value"))
    data = json.loads(render_json(seed_results(manager_q3()), [w]))
    assert data["diagnostics"] == [{"severity": "warning", "code": "E010",
                                    "message": "no data for fact `orders` in 2026Q1", "location": "f.csv:3:value"}]


# ------------------------------------------------------------------ CSV


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))


def test_csv_has_one_row_per_employee_period_and_kpi() -> None:
    results = seed_results(manager_q3(), targetologist_q3(), pr_q3())
    rows = _csv_rows(render_csv(results))
    assert len(rows) == sum(len(r.kpis) for r in results.results)
    assert list(rows[0]) == list(CSV_COLUMNS)
    manager = [r for r in rows if r["employee"] == "Смирнова Анна"]
    assert [r["bonus"] for r in manager] == ["5500.00", "11200.00", "4960.00", "9700.00"]
    assert [r["deviation"] for r in manager] == ["0.1", "0.12", "-0.008", "-0.03"]  # numbers stay numbers
    assert manager[2]["actions"] == "Разобрать негативные отзывы с отделом продаж и ответить на каждый"
    no_data = next(r for r in rows if r["kpi"] == "media_mentions")
    assert (no_data["fact"], no_data["attainment"], no_data["status"]) == ("", "", "no_data")
    gated = next(r for r in rows if r["kpi"] == "leads")
    assert gated["gates"] == "lead_close_rate >= 20%: failed"


def test_csv_neutralises_text_cells_a_spreadsheet_would_run() -> None:
    rows = _csv_rows(render_csv(seed_results(targetologist_q3())))
    assert all(r["employee"] == "'=HYPERLINK(\"http://x\")" for r in rows)


@given(st.text(max_size=20))
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    safe = neutralise(text)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe == text or safe == "'" + text
