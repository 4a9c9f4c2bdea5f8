"""The XLSX workbook read back with openpyxl: numbers, formats, sheets, panes, safety."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from report_fixtures import HOSTILE_ACTION, HOSTILE_NAME, engine_results, hostile_results

from kpidsl.output.cells import neutralise_cell
from kpidsl.output.render import render_report
from kpidsl.output.xlsx import sheet_title

RU_SHEETS = ["Аналитический отчёт", "Дашборд", "Расчёт премии", "Пояснение к премии"]
EN_SHEETS = ["Analytical report", "Dashboard", "Bonus calculation", "Employee statement"]


def workbook(results=None, **kw):
    data = render_report(results or engine_results(), "xlsx", **kw)
    return load_workbook(io.BytesIO(data)), data


def header_row(ws, first: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == first:
            return row[0].row
    raise AssertionError(f"no row starting with {first!r} in {ws.title}")


def rows_of(ws, header: int):
    names = [c.value for c in ws[header]]
    for row in ws.iter_rows(min_row=header + 1):
        yield {name: cell for name, cell in zip(names, row, strict=True) if name}


def test_sheet_names_are_localized_and_fit_excel() -> None:
    wb, _ = workbook()
    assert wb.sheetnames == RU_SHEETS
    wb_en, _ = workbook(locale="en")
    assert wb_en.sheetnames == EN_SHEETS
    assert all(len(name) <= 31 for name in wb.sheetnames + wb_en.sheetnames)
    wb_one, _ = workbook(report="bonus")
    assert wb_one.sheetnames == ["Расчёт премии"]


def test_bonus_sheet_holds_numbers_that_sum_to_the_seed_total() -> None:
    wb, _ = workbook()
    ws = wb["Расчёт премии"]
    header = header_row(ws, "Сотрудник")
    assert ws.freeze_panes == f"A{header + 1}"
    rows = [r for r in rows_of(ws, header) if r["Сотрудник"].value == "Смирнова Анна"]
    kpis = [r for r in rows if r["Показатель"].value != "Итого"]
    total = next(r for r in rows if r["Показатель"].value == "Итого")
    bonuses = [r["Фактическая премия"].value for r in kpis]
    assert bonuses == [5500, 11200, 4960, 9700]
    assert all(isinstance(v, (int, float)) for v in bonuses)
    assert sum(Decimal(str(v)) for v in bonuses) == Decimal("31360") == Decimal(str(total["Фактическая премия"].value))
    assert total["Плановая премия"].value == 30000 and total["Фактическая премия"].font.b
    money = total["Фактическая премия"].number_format
    assert money == '#,##0.00 "₽"'
    growth = kpis[0]
    assert growth["Цель"].value == pytest.approx(0.10) and "%" in growth["Цель"].number_format
    assert growth["Факт"].value == pytest.approx(0.15) and growth["Базовое значение"].value == pytest.approx(0.03)
    assert growth["Индекс (факт)"].value == pytest.approx(0.3) and growth["Индекс (факт)"].number_format == "0.000"
    assert growth["Отклонение"].value == pytest.approx(0.1) and growth["Отклонение"].number_format.startswith("+")
    assert growth["Выполнение"].value == pytest.approx(1.5) and growth["Выполнение"].number_format == "0.0%"
    assert kpis[2]["Отклонение"].value == pytest.approx(-0.008)
    roas = kpis[3]
    assert roas["Факт"].value == 18 and "%" not in roas["Факт"].number_format


def test_gated_and_missing_values_are_marked_not_faked() -> None:
    wb, _ = workbook()
    ws = wb["Расчёт премии"]
    rows = list(rows_of(ws, header_row(ws, "Сотрудник")))
    leads = next(r for r in rows if r["Показатель"].value == "Лиды")
    assert leads["Фактическая премия"].value == 0 and leads["Статус"].value == "не выполнено условие"
    assert "lead_close_rate >= 20%" in leads["Условия качества"].value
    reputation = next(r for r in rows if r["Показатель"].value.startswith("Индекс репутационных"))
    assert reputation["Факт"].value is None and reputation["Статус"].value == "нет данных"


def test_currency_and_percent_formats_follow_the_locale() -> None:
    wb, _ = workbook(locale="en")
    ws = wb["Bonus calculation"]
    rows = list(rows_of(ws, header_row(ws, "Employee")))
    cps = next(r for r in rows if r["KPI"].value == "CPS — стоимость продажи")
    assert cps["Actual bonus"].number_format == '"RUB" #,##0.00'
    assert cps["Target"].value == 5000 and cps["Target"].number_format == '"RUB" #,##0'


def test_analytical_sheet_has_findings_actions_and_diagnosis() -> None:
    wb, _ = workbook()
    ws = wb["Аналитический отчёт"]
    assert ws["A1"].value == "Аналитический отчёт"
    finding_header = header_row(ws, "Уровень")
    assert ws.cell(finding_header + 1, 2).value == "LTV должен быть минимум в 3 раза выше CAC"
    header = header_row(ws, "Роль")
    assert ws.freeze_panes == f"A{header + 1}" and header > finding_header
    rows = list(rows_of(ws, header))
    romi = next(r for r in rows if r["Показатель"].value and str(r["Показатель"].value).startswith("ROMI"))
    assert romi["План"].value == pytest.approx(0.3) and romi["Факт"].value == pytest.approx(0.25)
    assert "Пересмотреть распределение бюджета" in romi["Корректирующие меры"].value
    assert "хуже плана" in romi["Анализ"].value
    metric_header = header_row(ws, "Метрика")
    metrics = {r["Метрика"].value: r for r in rows_of(ws, metric_header) if r["Метрика"].value}
    ctr = metrics["CTR — кликабельность рекламы"]
    assert ctr["Вид"].value == "Метрики процесса (для диагностики)"
    assert ctr["3 кв. 2026"].value == pytest.approx(0.015) and "%" in ctr["3 кв. 2026"].number_format
    assert ctr["Изменение"].value == pytest.approx(0.0625) and "п. п." in ctr["Изменение"].number_format


def test_dashboard_sheet_has_dynamics_and_a_chart() -> None:
    wb, _ = workbook()
    ws = wb["Дашборд"]
    header = header_row(ws, "Сотрудник")
    assert [c.value for c in ws[header]][-3:] == ["1 кв. 2026", "2 кв. 2026", "3 кв. 2026"]
    rows = list(rows_of(ws, header))
    growth = next(r for r in rows if r["Показатель"].value == "Процент прироста клиентов")
    assert growth["1 кв. 2026"].value is None and growth["3 кв. 2026"].value == pytest.approx(0.15)
    assert len(ws._charts) == 1


def test_columns_are_sized_to_their_content() -> None:
    wb, _ = workbook()
    ws = wb["Расчёт премии"]
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["C"] >= len("Индекс репутационных рисков") and widths["C"] <= 48
    assert widths["A"] >= len("Кузнецова Мария")
    assert ws.column_dimensions["O"].width == 40  # conditions wrap


@pytest.mark.parametrize("text", ["=1+1", "+7 999", "-5", "@SUM(A1)", "\tx", "\rx", "  =cmd|' /C calc'!A0"])
def test_neutralise_cell_defuses_formula_text(text: str) -> None:
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Смирнова Анна", "ROAS ≥ 20", "5 % = хорошо", "", 42, Decimal("-1.5"), None])
def test_neutralise_cell_leaves_everything_else(value) -> None:
    assert neutralise_cell(value) == value


def test_hostile_strings_stay_text_in_the_workbook() -> None:
    wb, data = workbook(hostile_results())
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert "'" + HOSTILE_ACTION in "\n".join(texts)
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert HOSTILE_NAME in texts  # markup is harmless in a spreadsheet: kept as written
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any("<f>" in s for s in sheets)


def test_sheet_title_sanitises_and_deduplicates() -> None:
    taken: set[str] = set()
    assert sheet_title("Итоги: 3/4 [план]?", taken) == "Итоги  3 4  план"
    long = "Очень длинное название листа отчёта по KPI"
    first = sheet_title(long, taken)
    second = sheet_title(long, taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second and second.endswith("(2)")


@given(st.text(max_size=40))
def test_neutralised_text_never_starts_a_formula(text: str) -> None:
    out = neutralise_cell(text)
    assert not out.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out in (text, "'" + text)
