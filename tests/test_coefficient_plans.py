"""A plan of coefficients only — KPI lines without a `bonus`, the KPI matrix's total index
alone, the most common use outside sales — reads naturally: it checks, it evaluates, and
no output shows columns of 0,00 (issue on real plans, item 1)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpidsl.api import check_file
from kpidsl.cli.main import cli

PLAN = '''fact revenue "Выручка" unit RUB
fact deals   "Сделки"  unit count
fact nps     "NPS"     unit percent
role sales "Менеджер по продажам" {
  kpi revenue weight 0.5  target 10_000_000
  kpi deals   weight 0.25 target 20
  kpi nps     weight 0.25 target 60%
}
employee "Соколов Илья" role sales
'''
FACTS = "period,employee,fact,value\n2026Q3,,revenue,11000000\n2026Q3,,deals,17\n2026Q3,,nps,90%\n"


@pytest.fixture
def plan(tmp_path: Path) -> tuple[Path, Path]:
    rules, facts = tmp_path / "coef.kpi", tmp_path / "coef.csv"
    rules.write_text(PLAN, encoding="utf-8")
    facts.write_text(FACTS, encoding="utf-8")
    return rules, facts


def run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(cli, list(args))
    assert "internal error" not in done.output, done.output
    return done.exit_code, done.stdout


def test_a_role_without_any_bonus_checks_and_a_mixed_one_does_not(tmp_path: Path) -> None:
    clean = tmp_path / "clean.kpi"
    clean.write_text(PLAN, encoding="utf-8")
    assert [d.code for d in check_file(clean).diagnostics if d.is_error] == []
    mixed = tmp_path / "mixed.kpi"
    mixed.write_text(PLAN.replace("target 20\n", "target 20 bonus 5000\n"), encoding="utf-8")
    errors = [d for d in check_file(mixed).diagnostics if d.is_error]
    assert [(d.code, d.location.line) for d in errors] == [("K041", 5), ("K041", 7)]  # type: ignore[union-attr]
    assert "the role's other KPIs pay one" in errors[0].message


def test_the_text_table_shows_the_coefficient_without_money_columns(plan: tuple[Path, Path]) -> None:
    code, out = run("eval", str(plan[0]), "--facts", str(plan[1]), "--format", "text")
    assert code == 0
    lines = out.splitlines()
    assert lines[3].split() == ["KPI", "вес", "цель", "факт", "выполнение", "индекс", "отклонение", "статус"]
    assert lines[-1].split() == ["итого", "1", "1,138", "+0,138"]
    assert "0,00" not in out and "RUB" not in out


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_reports_read_as_the_coefficient(plan: tuple[Path, Path], fmt: str) -> None:
    code, out = run("eval", str(plan[0]), "--facts", str(plan[1]), "--format", fmt, "--report", "all")
    assert code == 0
    out = out.replace("\u00a0", " ").replace("\u202f", " ")  # the locale's no-break spaces
    assert "0,00" not in out  # no columns of zeros, no "премия 0 × …"
    assert "Итоговый коэффициент за 3 кв. 2026: 113,75 % при плане 100 %." in out
    assert "премия в этих правилах не начисляется" in out
    assert "1,138" in out  # the bonus report's summary and total row


def test_json_keeps_its_contract(plan: tuple[Path, Path]) -> None:
    import json

    code, out = run("eval", str(plan[0]), "--facts", str(plan[1]), "--format", "json")
    assert code == 0
    (result,) = json.loads(out)["results"]
    assert (result["index"], result["plan_bonus"], result["bonus"]) == (1.1375, "0.00", "0.00")


def test_the_workbook_has_no_money_columns(plan: tuple[Path, Path], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "coef.xlsx"
    code, _ = run("eval", str(plan[0]), "--facts", str(plan[1]), "--format", "xlsx", "--report", "all", "-o", str(out))
    assert code == 0
    book = load_workbook(out)
    texts = [str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if cell.value is not None]
    assert "Плановая премия" not in texts and "Фактическая премия" not in texts
    assert not any("0,00" in t for t in texts)
    numbers = [Decimal(str(cell.value)) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
               if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool)]
    assert Decimal("1.1375") in numbers  # the total index, in the bonus sheet's total row and the statement
