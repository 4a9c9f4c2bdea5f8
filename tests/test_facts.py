"""Facts loading: every format, Russian exports, and every bad input with its D-code.

Fixtures are in tests/data/facts/; binary ones (XLSX, Parquet, cp1251, UTF-16) are
made in tmp_path by the tests themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from kpidsl.base.diagnostics import DataLocation, Diagnostic, Severity, SourceCache
from kpidsl.data.facts import FactRow, FactTable, load_facts
from kpidsl.data.roster import load_roster
from kpidsl.language.load import load

DATA = Path(__file__).parent / "data" / "facts"
ROOT = Path(__file__).parent.parent
SEED_CSV = ROOT / "rulesets" / "data" / "seed_marketing.csv"


@pytest.fixture(scope="module")
def known() -> dict[str, str]:
    """The seed ruleset's facts by casefolded name and title, as the api passes them."""
    model, diagnostics = load(ROOT / "rulesets" / "seed_marketing.kpi", SourceCache())
    assert model is not None, diagnostics
    spellings = {name: name for name in model.facts}
    spellings.update({f.title.casefold(): name for name, f in model.facts.items() if f.title})
    return spellings


def values(table: FactTable) -> dict[tuple[str, str | None, str], Decimal]:
    return {(r.period, r.employee, r.fact): r.value for r in table.rows}


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def the(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diagnostics]
    return found[0]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


# ---------------------------------------------------------------- the seed and good files


def test_seed_csv_loads_exactly(known: dict[str, str]) -> None:
    table, diagnostics = load_facts([str(SEED_CSV)], period_kind="quarter", known_facts=known)
    assert diagnostics == []
    assert len(table.rows) == 3 * 26
    got = values(table)
    assert got[("2026Q3", None, "revenue")] == Decimal("1926000")
    assert got[("2026Q3", None, "nps")] == Decimal("0.80")
    assert got[("2026Q1", None, "nps")] == Decimal("0.76")
    assert all(r.employee is None for r in table.rows)
    assert all(isinstance(r.value, Decimal) for r in table.rows)
    first = table.rows[0]
    assert first.location == DataLocation(str(SEED_CSV), 2, "value")  # header is row 1
    assert table.files == [str(SEED_CSV)]


def test_russian_wide_export_matches_the_seed(known: dict[str, str]) -> None:
    """BOM, a title row, `;`, titles as column names, NBSP thousands, decimal commas,
    `3 кв. 2026`: the same numbers as the tidy seed file."""
    path = DATA / "seed_ru_wide.csv"
    table, diagnostics = load_facts([str(path)], known_facts=known)
    seed, _ = load_facts([str(SEED_CSV)], known_facts=known)
    expected = {k: v for k, v in values(seed).items() if k[0] in ("2026Q2", "2026Q3")}
    assert values(table) == expected
    # the comment column is data the ruleset does not know: a warning, not an error
    assert codes(diagnostics) == ["D040"]
    warning = diagnostics[0]
    assert warning.severity is Severity.WARNING
    assert warning.location == DataLocation(str(path), 3, "Комментарий")
    revenue = next(r for r in table.rows if r.fact == "revenue" and r.period == "2026Q3")
    assert revenue.location == DataLocation(str(path), 5, "Выручка")


def test_cp1251_export_reads_like_utf8(tmp_path: Path, known: dict[str, str]) -> None:
    text = (DATA / "seed_ru_wide.csv").read_text(encoding="utf-8-sig")
    path = write(tmp_path, "cp1251.csv", text, "cp1251")
    table, diagnostics = load_facts([path], known_facts=known)
    utf8, _ = load_facts([str(DATA / "seed_ru_wide.csv")], known_facts=known)
    assert values(table) == values(utf8)
    assert codes(diagnostics) == ["D040"]


def test_utf16_tab_text_as_excel_saves_it(tmp_path: Path, known: dict[str, str]) -> None:
    path = write(tmp_path, "unicode.txt", "\ufeffПериод\tЛиды\tВыручка\r\n2026Q3\t400\t1 926 000,00\r\n", "utf-16-le")
    table, diagnostics = load_facts([path], known_facts=known)
    assert diagnostics == []
    assert values(table) == {("2026Q3", None, "leads"): Decimal(400),
                             ("2026Q3", None, "revenue"): Decimal("1926000.00")}


def test_long_form_english(known: dict[str, str]) -> None:
    table, diagnostics = load_facts([str(DATA / "long_en.csv")], known_facts=known)
    assert diagnostics == []
    assert values(table) == {
        ("2026Q3", None, "leads"): Decimal(400),
        ("2026Q3", "Anna Petrova", "leads"): Decimal(120),
        ("2026Q3", "Ivan Sidorov", "revenue"): Decimal("1926000.50"),  # names trimmed, spaces collapsed
        ("2026Q3", None, "nps"): Decimal("0.80"),
        ("2026Q3", None, "visits"): Decimal(20000),  # a date is bucketed into its quarter
        ("2026Q3", None, "ad_spend"): Decimal(100000),  # 1e5
    }  # `n/a` marks missing data on purpose: no row, no diagnostic


def test_facts_by_title_and_any_case(tmp_path: Path, known: dict[str, str]) -> None:
    path = write(tmp_path, "t.csv", "ПЕРИОД;показатель;значение\n2026Q3;  ЛИДЫ ;400\n2026Q3;Revenue;5\n"
                                    "2026Q3;Клиенты на конец периода;230\n")
    table, diagnostics = load_facts([path], known_facts=known)
    assert diagnostics == []
    assert values(table) == {("2026Q3", None, "leads"): Decimal(400), ("2026Q3", None, "revenue"): Decimal(5),
                             ("2026Q3", None, "customers"): Decimal(230)}


@pytest.mark.parametrize("header", ["период;показатель;факт", "период;факт;значение", "Period;Metric;Value"])
def test_russian_fakt_column_is_read_by_context(tmp_path: Path, header: str, known: dict[str, str]) -> None:
    path = write(tmp_path, "f.csv", header + "\n2026Q3;leads;400\n")
    table, diagnostics = load_facts([path], known_facts=known)
    assert diagnostics == []
    assert values(table) == {("2026Q3", None, "leads"): Decimal(400)}


def test_without_a_ruleset_every_fact_name_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "period;employee;Custom Thing;leads\n2026Q3;;1;2\n")
    table, diagnostics = load_facts([path], known_facts=None)
    assert diagnostics == []
    assert values(table) == {("2026Q3", None, "Custom Thing"): Decimal(1), ("2026Q3", None, "leads"): Decimal(2)}


def test_monthly_and_yearly_rulesets(tmp_path: Path) -> None:
    monthly = write(tmp_path, "m.csv", "месяц;показатель;значение\nсентябрь 2026;leads;1\nSep 2025;leads;2\n"
                                       "2026-08;leads;3\n")
    table, diagnostics = load_facts([monthly], period_kind="month")
    assert diagnostics == []
    assert sorted(r.period for r in table.rows) == ["2025-09", "2026-08", "2026-09"]
    yearly = write(tmp_path, "y.csv", "год;leads\n2026 г.;5\n2025;4\n")
    table, diagnostics = load_facts([yearly], period_kind="year")
    assert diagnostics == []
    assert sorted(r.period for r in table.rows) == ["2025", "2026"]


def test_department_and_employee_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", "period;employee;leads\n2026Q3;;400\n2026Q3;\u00a0Анна\u00a0 Петрова ;120\n")
    table, _ = load_facts([path])
    assert values(table) == {("2026Q3", None, "leads"): Decimal(400),
                             ("2026Q3", "Анна Петрова", "leads"): Decimal(120)}


def test_total_and_placeholder_employees(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "period;employee;leads\n2026Q3;Итогов Иван;1\n2026Q3;—;400\n"
                                    "2026Q3;Итого по отделу;401\n")
    table, diagnostics = load_facts([path])
    assert values(table) == {("2026Q3", "Итогов Иван", "leads"): Decimal(1), ("2026Q3", None, "leads"): Decimal(400)}
    d = the(diagnostics, "D024")
    assert d.location == DataLocation(path, 4, "employee") and "total row" in d.message


def test_several_files_are_merged(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", "period;leads\n2026Q3;400\n")
    b = write(tmp_path, "b.csv", "period;revenue\n2026Q3;5\n")
    table, diagnostics = load_facts([a, b])
    assert diagnostics == []
    assert table.files == [a, b]
    assert values(table) == {("2026Q3", None, "leads"): Decimal(400), ("2026Q3", None, "revenue"): Decimal(5)}


def test_number_spellings_in_cells(tmp_path: Path) -> None:
    cells = ["1 926 000,00", "1\u202f926\u202f000", "1,926,000.00", "1.926.000,00", "1926000", "1,926e6",
             "15%", "15,5 %", "-5", "\u22125", "(1 000)", "1 926 000 ₽", "0,1", "+7"]
    expected = ["1926000.00", "1926000", "1926000.00", "1926000.00", "1926000", "1926000", "0.15", "0.155",
                "-5", "-5", "-1000", "1926000", "0.1", "7"]
    text = "period;fact;value\n" + "".join(f"2026Q3;f{i};{c}\n" for i, c in enumerate(cells))
    table, diagnostics = load_facts([write(tmp_path, "n.csv", text)])
    assert diagnostics == []
    assert [r.value for r in table.rows] == [Decimal(e) for e in expected]


# ---------------------------------------------------------------- XLSX, JSON, Parquet


def make_xlsx(path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> str:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        ws = workbook.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    workbook.save(path)
    return str(path)


def test_xlsx_floats_dates_and_title_rows(tmp_path: Path, known: dict[str, str]) -> None:
    path = make_xlsx(tmp_path / "f.xlsx", {"Лист1": [
        ["Выгрузка из CRM"],
        [],
        ["Период", "Сотрудник", "Лиды", "Доля", "Выручка", "NPS — индекс потребительской лояльности"],
        [dt.datetime(2026, 9, 30), None, 400, None, 1926000.0, 0.8],
        ["2026Q2", "Анна", 120, None, "1 500 000,00", 0.1 + 0.2],
    ]})
    table, diagnostics = load_facts([path], known_facts=known)
    assert codes(diagnostics) == ["D040"]  # `Доля` is no fact
    got = values(table)
    assert got == {
        ("2026Q3", None, "leads"): Decimal(400), ("2026Q3", None, "revenue"): Decimal(1926000),
        ("2026Q3", None, "nps"): Decimal("0.8"),
        ("2026Q2", "Анна", "leads"): Decimal(120), ("2026Q2", "Анна", "revenue"): Decimal("1500000.00"),
        ("2026Q2", "Анна", "nps"): Decimal("0.3"),  # 0.1 + 0.2 in a cell, without binary noise
    }
    nps = next(r for r in table.rows if r.employee == "Анна" and r.fact == "nps")
    assert nps.location == DataLocation(path, 5, "NPS — индекс потребительской лояльности")


def test_xlsx_bad_cell_and_sheets(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "f.xlsx", {
        "Notes": [["How this file was made"]],
        "Data": [["period", "leads", "revenue"], ["2026Q3", "много", True], ["2026Q2", 5, dt.date(2026, 1, 5)]],
        "Lookup": [["period", "leads"], ["2026Q1", 1]],
    }, hidden=("Lookup",))
    table, diagnostics = load_facts([path])
    assert values(table) == {("2026Q2", None, "leads"): Decimal(5)}  # the hidden sheet is not read
    assert codes(diagnostics) == ["D030", "D030", "D030"]
    locations = [d.location for d in diagnostics]
    assert locations == [DataLocation(f"{path}[Data]", 2, "leads"), DataLocation(f"{path}[Data]", 2, "revenue"),
                         DataLocation(f"{path}[Data]", 3, "revenue")]
    assert "много" in diagnostics[0].message
    assert "yes/no" in diagnostics[1].message
    assert "date" in diagnostics[2].message and "format it as a number" in (diagnostics[2].hint or "")


def test_xlsx_without_header_names_the_sheets(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "f.xlsx", {"A": [["x", "y"], [1, 2]], "B": [["z"]]})
    _, diagnostics = load_facts([path])
    d = the(diagnostics, "D010")
    assert "sheets" in d.message and f"{path}[A]" in d.message and "`x`, `y`" in d.message


def test_not_really_xlsx(tmp_path: Path) -> None:
    path = write(tmp_path, "f.xlsx", "period;leads\n2026Q3;1\n")
    _, diagnostics = load_facts([path])
    assert "XLSX" in the(diagnostics, "D005").message


def test_json_list_long_form(tmp_path: Path) -> None:
    path = write(tmp_path, "f.json", '[{"period": "2026Q3", "fact": "leads", "value": 400},'
                                     ' {"period": "2026Q3", "fact": "cr", "value": 0.1},'
                                     ' {"period": "2026Q3", "fact": "big", "value": 1e3},'
                                     ' {"period": "2026Q3", "fact": "share", "value": "15%"}]')
    table, diagnostics = load_facts([path])
    assert diagnostics == []
    assert [r.value for r in table.rows] == [Decimal(400), Decimal("0.1"), Decimal(1000), Decimal("0.15")]
    assert [r.location.row for r in table.rows] == [1, 2, 3, 4]  # JSON rows are numbered by object


def test_json_rows_wide_form(known: dict[str, str]) -> None:
    path = DATA / "wide_rows.json"
    table, diagnostics = load_facts([str(path)], known_facts=known)
    assert diagnostics == []
    assert values(table) == {
        ("2026Q3", None, "leads"): Decimal(400), ("2026Q3", None, "revenue"): Decimal("1926000.00"),
        ("2026Q3", None, "nps"): Decimal("0.80"),
        ("2026Q3", "Anna Petrova", "leads"): Decimal(120), ("2026Q3", "Anna Petrova", "revenue"): Decimal("0.1"),
    }


def test_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "f.jsonl", '{"period": "2026Q3", "leads": 1}\n\n{"period": "2026Q2", "leads": "x"}\n')
    table, diagnostics = load_facts([path])
    assert values(table) == {("2026Q3", None, "leads"): Decimal(1)}
    assert the(diagnostics, "D030").location == DataLocation(path, 3, "leads")


@pytest.mark.parametrize("text, message", [
    ('[{"period": "2026Q3", "leads": 1},', "not valid JSON"),
    ('{"period": "2026Q3"}', "expected a list of objects"),
    ('"hello"', "expected a list of objects"),
])
def test_json_malformed(tmp_path: Path, text: str, message: str) -> None:
    _, diagnostics = load_facts([write(tmp_path, "f.json", text)])
    assert message in the(diagnostics, "D005").message


def test_json_item_that_is_no_object(tmp_path: Path) -> None:
    path = write(tmp_path, "f.json", '[{"period": "2026Q3", "leads": 1}, [1, 2], {"period": "2026Q2", "leads": NaN}]')
    table, diagnostics = load_facts([path])
    assert values(table) == {("2026Q3", None, "leads"): Decimal(1)}
    assert the(diagnostics, "D005").location == DataLocation(path, 2)
    assert the(diagnostics, "D030").location == DataLocation(path, 3, "leads")


def test_parquet(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "f[1].parquet"  # a name DuckDB would otherwise take for a glob
    with duckdb.connect() as con:
        con.execute(f"""COPY (SELECT * FROM (VALUES
            ('2026Q3', NULL, 1926000.50::DECIMAL(12,2), 0.1::DOUBLE + 0.2::DOUBLE, 400::INTEGER),
            ('2026Q2', 'Анна', 5.00::DECIMAL(12,2), NULL, 7::INTEGER),
            ('nonsense', NULL, 1::DECIMAL(12,2), 1, 1)) t(period, employee, revenue, cr, leads))
            TO '{path}' (FORMAT parquet)""")
    table, diagnostics = load_facts([str(path)])
    assert values(table) == {
        ("2026Q3", None, "revenue"): Decimal("1926000.50"), ("2026Q3", None, "cr"): Decimal("0.3"),
        ("2026Q3", None, "leads"): Decimal(400),
        ("2026Q2", "Анна", "revenue"): Decimal("5.00"), ("2026Q2", "Анна", "leads"): Decimal(7),
    }
    assert the(diagnostics, "D020").location == DataLocation(str(path), 3, "period")


def test_broken_parquet(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    path.write_bytes(b"PAR1 not really")
    _, diagnostics = load_facts([str(path)])
    assert "Parquet" in the(diagnostics, "D005").message


# ---------------------------------------------------------------- bad inputs


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = str(tmp_path / "nowhere" / "facts.csv")
    table, diagnostics = load_facts([path])
    d = the(diagnostics, "D001")
    assert d.is_error and path in d.message and d.location == DataLocation(path)
    assert table.rows == [] and table.files == []


def test_folder_instead_of_file(tmp_path: Path) -> None:
    _, diagnostics = load_facts([str(tmp_path)])
    assert "folder" in the(diagnostics, "D001").message


@pytest.mark.parametrize("content", [b"", b"  \r\n\n", b";;;\n;;\n"], ids=["empty", "blank-lines", "empty-cells"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    _, diagnostics = load_facts([str(path)])
    d = the(diagnostics, "D006")
    assert d.is_error and str(path) in d.message


def test_header_without_rows_is_a_warning(tmp_path: Path) -> None:
    _, diagnostics = load_facts([write(tmp_path, "h.csv", "period;leads\n")])
    assert the(diagnostics, "D007").severity is Severity.WARNING


def test_unknown_extension(tmp_path: Path) -> None:
    _, diagnostics = load_facts([write(tmp_path, "f.xls", "x")])
    d = the(diagnostics, "D002")
    assert "`.xls`" in d.message and ".xlsx" in (d.hint or "")


def test_no_recognizable_header(tmp_path: Path) -> None:
    path = write(tmp_path, "h.csv", "quarter_name;amount\nQ3;5\n")
    _, diagnostics = load_facts([path])
    d = the(diagnostics, "D010")
    assert d.is_error
    assert d.location == DataLocation(path, 1)
    # says which columns it expects and what it found
    assert "period" in d.message and "fact, value" in d.message and "период" in d.message
    assert "`quarter_name`, `amount`" in d.message


def test_periods_across_columns_get_a_transpose_hint(tmp_path: Path) -> None:
    _, diagnostics = load_facts([write(tmp_path, "x.csv", "показатель;2026Q2;2026Q3\nleads;1;2\n")])
    assert "transpose" in (the(diagnostics, "D010").hint or "")


def test_bad_cells_are_all_reported(known: dict[str, str]) -> None:
    path = str(DATA / "bad_cells.csv")
    table, diagnostics = load_facts([path], known_facts=known)
    found = [(d.code, d.location.row, d.location.column) for d in diagnostics]  # type: ignore[union-attr]
    assert found == [
        ("D030", 2, "revenue"),
        ("D030", 3, "leads"),
        ("D030", 3, "nps"),
        ("D021", 4, "period"),
        ("D022", 5, "period"),
        ("D020", 6, "period"),
    ]
    assert all(d.is_error and d.hint for d in diagnostics)
    by_row = {d.location.row: d for d in diagnostics if d.code != "D030"}  # type: ignore[union-attr]
    assert "`2026-09` is a month" in by_row[4].message and "period month" in (by_row[4].hint or "")
    assert "total row" in by_row[6].message
    messages = [d.message for d in diagnostics if d.code == "D030"]
    assert messages[0] == "`abc` is not a number"
    assert "spreadsheet error" in messages[2]
    # the good cells of the same rows still load
    assert values(table)[("2026Q3", "Anna Petrova", "revenue")] == Decimal("1926000.00")
    assert values(table)[("2026Q3", None, "leads")] == Decimal(400)


def test_quotes_and_semicolons_in_names_are_data(known: dict[str, str]) -> None:
    path = str(DATA / "quotes_long.csv")
    table, diagnostics = load_facts([path], known_facts=known)
    assert values(table) == {("2026Q3", None, "leads"): Decimal(400)}
    assert codes(diagnostics) == ["D014", "D040"]
    extra, unknown = diagnostics
    assert extra.location == DataLocation(path, 1, 'note; "quoted"')
    assert unknown.message.startswith('`rev;enue "x"` is not a fact of this ruleset (2 rows ignored)')
    assert unknown.location == DataLocation(path, 2, "fact")
    # without a ruleset the same name is simply a fact (given twice in the file: rows 2 and 4)
    table, diagnostics = load_facts([path], known_facts=None)
    assert values(table)[("2026Q3", None, 'rev;enue "x"')] == Decimal(5)
    assert codes(diagnostics) == ["D014", "D050"]
    assert f"{path}:2 and {path}:4" in diagnostics[1].message


def test_quoted_wide_header_gets_did_you_mean(tmp_path: Path, known: dict[str, str]) -> None:
    path = write(tmp_path, "q.csv", 'period;"Выручка; ""руб""";leads\n2026Q3;100;400\n')
    table, diagnostics = load_facts([path], known_facts=known)
    d = the(diagnostics, "D040")
    assert d.severity is Severity.WARNING
    assert d.location == DataLocation(path, 1, 'Выручка; "руб"')
    assert "did you mean `выручка` (`revenue`)" in d.message
    assert values(table) == {("2026Q3", None, "leads"): Decimal(400)}


def test_unknown_fact_did_you_mean(tmp_path: Path, known: dict[str, str]) -> None:
    path = write(tmp_path, "u.csv", "period,fact,value\n2026Q3,revenu,1\n2026Q3,revenu,2\n2026Q3,zzz,3\n")
    _, diagnostics = load_facts([path], known_facts=known)
    assert codes(diagnostics) == ["D040", "D040"]
    assert "did you mean `revenue`?" in diagnostics[0].message and "(2 rows ignored)" in diagnostics[0].message
    assert "did you mean" not in diagnostics[1].message


def test_duplicate_rows_in_one_file(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "period;employee;fact;value\n2026Q3;;leads;400\n2026Q3;Анна;leads;1\n"
                                    "3 кв. 2026;;leads;410\n")
    table, diagnostics = load_facts([path])
    d = the(diagnostics, "D050")
    assert d.is_error
    assert f"{path}:2" in d.message and f"{path}:4" in d.message and "400 and 410" in d.message
    assert d.location == DataLocation(path, 4, "value")
    assert values(table)[("2026Q3", None, "leads")] == Decimal(400)


def test_conflicting_values_across_files_are_duplicates(tmp_path: Path) -> None:
    crm = write(tmp_path, "crm.csv", "period;employee;leads\n2026Q3;Анна;120\n")
    web = write(tmp_path, "web.json", '[{"period": "2026Q3", "employee": "Анна", "fact": "leads", "value": 125}]')
    _, diagnostics = load_facts([crm, web])
    d = the(diagnostics, "D050")
    assert f"{crm}:2" in d.message and f"{web}:1" in d.message and "employee `Анна`" in d.message
    same = write(tmp_path, "same.csv", "period;employee;leads\n2026Q3;Анна;120\n")
    _, diagnostics = load_facts([crm, same])
    assert "the same value" in the(diagnostics, "D050").message


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "period;leads\n2026Q3;1\n")
    table, diagnostics = load_facts([path, str(Path(path).parent / "." / "a.csv")])
    assert codes(diagnostics) == ["D008"] and len(table.rows) == 1


def test_empty_values(tmp_path: Path) -> None:
    wide = write(tmp_path, "w.csv", "period;leads;revenue\n2026Q3;;5\n2026Q2;н/д;—\n")
    table, diagnostics = load_facts([wide])
    assert diagnostics == [] and values(table) == {("2026Q3", None, "revenue"): Decimal(5)}
    long = write(tmp_path, "l.csv", "period;fact;value\n2026Q3;leads;\n2026Q3;revenue;n/a\n;;\n")
    table, diagnostics = load_facts([long])
    d = the(diagnostics, "D031")
    assert d.severity is Severity.WARNING and d.location == DataLocation(long, 2, "value")
    assert table.rows == []


def test_long_form_value_without_fact_name(tmp_path: Path) -> None:
    path = write(tmp_path, "l.csv", "period;fact;value\n2026Q3;;5\n")
    _, diagnostics = load_facts([path])
    assert the(diagnostics, "D041").location == DataLocation(path, 2, "fact")


def test_column_problems(tmp_path: Path, known: dict[str, str]) -> None:
    two_periods = write(tmp_path, "a.csv", "год;квартал;leads\n2026;3;1\n")
    assert "`год` and `квартал`" in the(load_facts([two_periods])[1], "D011").message
    half_long = write(tmp_path, "b.csv", "period;fact;leads\n2026Q3;x;1\n")
    assert "value column" in the(load_facts([half_long])[1], "D012").message
    same_fact = write(tmp_path, "c.csv", "period;revenue;Выручка\n2026Q3;1;2\n")
    d = the(load_facts([same_fact], known_facts=known)[1], "D015")
    assert "`revenue` and `Выручка`" in d.message and d.location == DataLocation(same_fact, 1, "Выручка")
    no_facts = write(tmp_path, "d.csv", "period;employee\n2026Q3;x\n")
    assert "no fact columns" in the(load_facts([no_facts])[1], "D012").message


def test_unnamed_column_with_values(tmp_path: Path) -> None:
    path = write(tmp_path, "u.csv", "period;leads;\n2026Q3;1;7\n2026Q2;2;8\n")
    table, diagnostics = load_facts([path])
    d = the(diagnostics, "D013")
    assert d.location == DataLocation(path, 2, "column 3")
    assert len(table.rows) == 2


def test_row_wider_than_header(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "period;leads\n2026Q3;1;5\n2026Q2;2;;\n")
    _, diagnostics = load_facts([path])
    d = the(diagnostics, "D023")  # trailing empty cells (row 3) are fine
    assert d.location == DataLocation(path, 2) and "--delimiter" in (d.hint or "")


# ---------------------------------------------------------------- encoding and delimiter


def test_undetectable_encoding_names_the_option(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "period;fact;value\n2026Q3;Café crème;1\n", "latin-1")
    _, diagnostics = load_facts([path])
    d = the(diagnostics, "D003")
    assert "--encoding" in (d.hint or "") and d.location == DataLocation(path, 2)
    table, diagnostics = load_facts([path], encoding="latin-1")
    assert diagnostics == [] and values(table) == {("2026Q3", None, "Café crème"): Decimal(1)}


def test_wrong_explicit_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "cp.csv", "период;показатель;значение\n2026Q3;leads;1\n", "cp1251")
    _, diagnostics = load_facts([path], encoding="utf-8")
    d = the(diagnostics, "D003")
    assert "utf-8" in d.message and d.location == DataLocation(path, 1)
    _, diagnostics = load_facts([path], encoding="klingon")
    assert "unknown encoding" in the(diagnostics, "D003").message


@pytest.mark.parametrize("name, text", [
    ("comma.csv", 'period,fact,value\n2026Q3,revenue,"1 926 000,50"\n'),
    ("semicolon.csv", "period;fact;value\n2026Q3;revenue;1 926 000,50\n"),
    ("tab.tsv", "period\tfact\tvalue\n2026Q3\trevenue\t1 926 000,50\n"),
    ("tab.txt", "period\tfact\tvalue\n2026Q3\trevenue\t1 926 000,50\n"),
    ("pipe.csv", "period|fact|value\n2026Q3|revenue|1 926 000,50\n"),
])
def test_delimiter_detection(tmp_path: Path, name: str, text: str) -> None:
    table, diagnostics = load_facts([write(tmp_path, name, text)])
    assert diagnostics == []
    assert values(table) == {("2026Q3", None, "revenue"): Decimal("1926000.50")}


def test_ambiguous_delimiter_names_the_option(tmp_path: Path) -> None:
    # Split by `,` the first row is a header; split by `;` the second one is: no way to tell.
    path = write(tmp_path, "amb.csv", "period,revenue\nperiod;leads\n")
    _, diagnostics = load_facts([path])
    d = the(diagnostics, "D004")
    assert "--delimiter" in (d.hint or "") and "`;`" in d.message and "`,`" in d.message
    _, diagnostics = load_facts([path], delimiter=";")
    assert the(diagnostics, "D007")  # the `;` reading: a title row, a header, no data
    _, diagnostics = load_facts([path], delimiter=";;")
    assert "one character" in the(diagnostics, "D004").message


def test_excel_sep_line(tmp_path: Path) -> None:
    """Excel's `sep=;` first line names the delimiter and is hidden, so rows count without it."""
    path = write(tmp_path, "s.csv", "sep=;\r\nperiod;fact;value\r\n2026Q3;leads;x\r\n")
    _, diagnostics = load_facts([path])
    assert the(diagnostics, "D030").location == DataLocation(path, 2, "value")


def test_cp1251_with_latin_words_and_signs(tmp_path: Path) -> None:
    text = "Период;Показатель;Значение;Примечание\n2026Q3;leads;400;CRM-выгрузка, цена в € и №5\n"
    table, diagnostics = load_facts([write(tmp_path, "c.csv", text, "cp1251")])
    assert codes(diagnostics) == ["D014"] and values(table) == {("2026Q3", None, "leads"): Decimal(400)}
    assert diagnostics[0].location.column == "Примечание"  # type: ignore[union-attr]


def test_explicit_delimiter_names(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "period\tleads\n2026Q3\t4\n")
    for name in ("tab", "\\t", "\t"):
        table, diagnostics = load_facts([path], delimiter=name)
        assert diagnostics == [] and values(table) == {("2026Q3", None, "leads"): Decimal(4)}


# ---------------------------------------------------------------- roster


def test_roster() -> None:
    path = str(DATA / "roster_ru.csv")
    rows, diagnostics = load_roster(path)
    assert diagnostics == []
    assert [(r.employee, r.role) for r in rows] == [("Иванов Иван", "head"), ("Петрова Анна", "seo")]
    assert rows[1].location == DataLocation(path, 3, "Сотрудник")
    table, diagnostics = load_facts([str(SEED_CSV)], roster=path)
    assert diagnostics == [] and table.roster == rows


def test_roster_in_a_workbook(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "r.xlsx", {"Инструкция": [["Заполните лист Состав"]],
                                           "Состав": [["ФИО", "Должность"], ["Иванов Иван", "head"]]})
    rows, diagnostics = load_roster(path)
    assert diagnostics == []
    assert rows[0].employee == "Иванов Иван" and rows[0].location == DataLocation(f"{path}[Состав]", 2, "ФИО")


def test_roster_problems(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "employee,role\nAnna,seo\nIvan,\nanna,head\n")
    rows, diagnostics = load_roster(path)
    assert [(r.employee, r.role) for r in rows] == [("Anna", "seo")]
    assert codes(diagnostics) == ["D060", "D061"]
    assert diagnostics[0].location == DataLocation(path, 3, "role")
    assert f"{path}:2" in diagnostics[1].message and f"{path}:4" in diagnostics[1].message
    no_header = write(tmp_path, "n.csv", "name,job\nAnna,seo\n")
    _, diagnostics = load_roster(no_header)
    assert "employee and role" in the(diagnostics, "D010").message
    _, diagnostics = load_facts([], roster=str(tmp_path / "none.csv"))
    assert the(diagnostics, "D001")


# ---------------------------------------------------------------- general guarantees


def test_every_diagnostic_names_its_file(tmp_path: Path) -> None:
    files = [str(DATA / n) for n in ("bad_cells.csv", "quotes_long.csv")] + [str(tmp_path / "missing.csv")]
    _, diagnostics = load_facts(files, known_facts={"leads": "leads"})
    assert diagnostics
    for d in diagnostics:
        assert isinstance(d.location, DataLocation)
        assert d.location.file in files
        assert d.hint


def test_fact_rows_are_frozen_and_decimal() -> None:
    table, _ = load_facts([str(SEED_CSV)])
    row: FactRow = table.rows[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.value = Decimal(1)  # type: ignore[misc]
    assert all(type(r.value) is Decimal for r in table.rows)


def test_heavy_libraries_load_lazily() -> None:
    code = (
        "import sys; from kpidsl.data.facts import load_facts; "
        f"load_facts([{str(SEED_CSV)!r}]); "
        "print(sorted(m for m in ('duckdb', 'openpyxl', 'sqlglot') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- numbers: properties

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kpidsl.data.cells import decimal_from_float, parse_number  # noqa: E402

exact_decimals = st.builds(lambda n, places: Decimal(n).scaleb(-places),
                           st.integers(-10**15 + 1, 10**15 - 1), st.integers(0, 6))
group_marks = st.sampled_from([" ", "\u00a0", "\u202f"])


def russian(d: Decimal, group: str) -> str:
    """`-1 926 000,50` as a Russian spreadsheet writes it."""
    return f"{d:,f}".replace(",", group).replace(".", ",")


@given(exact_decimals, group_marks)
def test_russian_spelling_round_trips(d: Decimal, group: str) -> None:
    assert parse_number(russian(d, group)) == d
    assert parse_number(f"  {russian(d, group)} ₽ ") == d


@given(exact_decimals)
def test_english_spelling_round_trips(d: Decimal) -> None:
    assert parse_number(str(d)) == d  # no grouping: always unambiguous
    grouped = f"{d:,f}"
    if "." in grouped or grouped.count(",") != 1:
        assert parse_number(grouped) == d
    else:  # `1,926` alone: one comma is the decimal separator (documented)
        assert parse_number(grouped) == Decimal(grouped.replace(",", "."))


@given(exact_decimals, group_marks)
def test_percent_strings(d: Decimal, group: str) -> None:
    assert parse_number(f"{d}%") == d.scaleb(-2)
    assert parse_number(f"{russian(d, group)} %") == d.scaleb(-2)


@given(exact_decimals, st.integers(-20, 20))
def test_scientific_notation(d: Decimal, exponent: int) -> None:
    assert parse_number(f"{d}e{exponent}") == d.scaleb(exponent)
    assert parse_number(f"{d}E{exponent:+d}".replace(".", ",")) == d.scaleb(exponent)


@given(exact_decimals)
def test_negative_forms_agree(d: Decimal) -> None:
    magnitude = russian(abs(d), " ")
    assert parse_number(f"-{magnitude}") == parse_number(f"\u2212{magnitude}") == parse_number(f"({magnitude})") \
        == -abs(d)


@given(exact_decimals)
def test_spreadsheet_floats_lose_no_digits_and_gain_no_noise(d: Decimal) -> None:
    # up to 15 significant digits survive a binary float exactly as written
    assert decimal_from_float(float(d)) == d


@given(st.text(alphabet="0123456789 ,.-%e\u00a0()₽+", max_size=12))
def test_parse_number_never_raises(text: str) -> None:
    result = parse_number(text)
    assert result is None or result.is_finite()


def test_float_sums_and_binary_noise() -> None:
    assert decimal_from_float(0.1 + 0.2) == Decimal("0.3")
    assert decimal_from_float(1.005) == Decimal("1.005")
    assert decimal_from_float(1926000.0) == Decimal(1926000)
    assert decimal_from_float(float("nan")) is None


@pytest.mark.parametrize("text", ["12 34", "1 9260", "1,92,6", "1.926,000.5", "5.", "abc", "1e", "--5",
                                  "(-5)", "1 926.000,00", "2026-09-30", "1.5.2026", "NaN", "inf", "1e999", ""])
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


def test_every_code_is_documented() -> None:
    import re

    source = "".join((ROOT / "kpidsl" / name).read_text(encoding="utf-8")
                     for name in ("data/facts.py", "data/headers.py", "data/cells.py", "data/readers.py",
                                  "data/readers_text.py", "data/coverage.py", "data/roster.py"))
    used = set(re.findall(r'"(D\d{3})"', source))
    documented = set(re.findall(r"^\| (D\d{3}) \|", (ROOT / "docs" / "data.md").read_text(encoding="utf-8"), re.M))
    assert used and used == documented
