"""Dated assignments: joiners, leavers and role changes, scored per assignment and prorated by
days (docs/language.md §2.10; issue: nobody is paid for a period outside their assignment)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kpidsl.cli.main import cli
from kpidsl.data.roster import load_roster
from tests.helpers_engine import DATED_QUARTERLY as QUARTERLY
from tests.helpers_engine import evaluate, facts, model_from

MONTHLY = """
ruleset "Продажи" {{ currency RUB period month {prorate} }}
fact deals "Сделки" per employee
role sales "Менеджер по продажам" {{ kpi deals weight 100% target 10 bonus 28000 }}
role head "Руководитель" {{ kpi deals weight 100% target 10 bonus 31000 }}
{employees}
"""



def monthly(employees: str, prorate: str = "") -> str:
    return MONTHLY.format(prorate=prorate, employees=employees)


def _run(text: str, *rows: tuple[str, str | None, str, int], roster: list[tuple[str, str]] = ()):  # type: ignore[no-untyped-def]
    return evaluate(model_from(text), facts(*rows, roster=list(roster)))


def test_a_manager_hired_on_16_february_gets_nothing_for_january() -> None:
    results, diagnostics = _run(monthly('employee "Петров" role sales from 2026-02-16'),
                                ("2026-01", "Петров", "deals", 12), ("2026-02", "Петров", "deals", 10),
                                ("2026-03", "Петров", "deals", 10))
    assert [(r.period, r.employee) for r in results.results] == [("2026-02", "Петров"), ("2026-03", "Петров")]
    february, march = results.results
    assert february.days == (13, 28) and february.partial
    assert february.plan_bonus == Decimal("13000.00")  # 28 000 × 13 / 28
    assert march.days == (31, 31) and not march.partial and march.plan_bonus == Decimal("28000.00")
    assert not any(d.is_error for d in diagnostics)


def test_a_role_change_inside_a_quarter_gives_one_result_per_role() -> None:
    text = QUARTERLY + ('employee "Орлов" role sales from 2026-07-01 to 2026-08-15\n'
                        'employee "Орлов" role matrix from 2026-08-16\n')
    results, _ = _run(text, ("2026Q3", "Орлов", "deals", 12), ("2026Q3", "Орлов", "salary", 300000))
    sales, matrix = results.results
    assert (sales.role, sales.days, sales.plan_bonus, sales.bonus) == ("sales", (46, 92), Decimal("500.00"),
                                                                       Decimal("600.00"))
    # the payout is prorated where it pays: 300 000 × 20 % × 1.2 × 46 / 92; its line stays whole
    assert (matrix.role, matrix.days, matrix.bonus) == ("matrix", (46, 92), Decimal("36000.00"))
    assert matrix.plan_bonus == Decimal("30000.00")


def test_prorate_none_pays_the_whole_plan_for_part_of_a_period() -> None:
    results, _ = _run(monthly('employee "Петров" role sales from 2026-02-16', "prorate none"),
                      ("2026-02", "Петров", "deals", 10))
    [february] = results.results
    assert february.days == (13, 28) and february.plan_bonus == Decimal("28000.00")


def test_a_leaver_is_not_scored_after_leaving_and_undated_people_are_unchanged() -> None:
    text = monthly('employee "Сидорова" role sales to 2026-02-10\nemployee "Иванов" role sales')
    results, _ = _run(text, ("2026-02", "Сидорова", "deals", 5), ("2026-03", "Сидорова", "deals", 5),
                      ("2026-02", "Иванов", "deals", 10), ("2026-03", "Иванов", "deals", 10))
    assert [(r.period, r.employee, r.plan_bonus) for r in results.results] == [
        ("2026-02", "Сидорова", Decimal("10000.00")), ("2026-02", "Иванов", Decimal("28000.00")),
        ("2026-03", "Иванов", Decimal("28000.00"))]


def test_an_assignment_outside_every_period_is_a_warning() -> None:
    results, diagnostics = _run(monthly('employee "Петров" role sales from 2027-01-01\nemployee "Иванов" role sales'),
                                ("2026-02", "Иванов", "deals", 10))
    assert [r.employee for r in results.results] == ["Иванов"]
    [e054] = [d for d in diagnostics if d.code == "E054"]
    assert not e054.is_error and "Петров" in e054.message and "2026-02" in e054.message


# ------------------------------------------------------------------ the roster file


def test_roster_file_with_russian_headers_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "штат.csv"
    path.write_text("Сотрудник;Роль;С;По\nОрлов;sales;01.01.2026;15.08.2026\nОрлов;head;16.08.2026;\n"
                    "Петров;sales;2026-02-16;\n", encoding="utf-8")
    rows, diagnostics = load_roster(str(path))
    assert diagnostics == []
    assert [(r.employee, r.role, r.start, r.end) for r in rows] == [
        ("Орлов", "sales", dt.date(2026, 1, 1), dt.date(2026, 8, 15)), ("Орлов", "head", dt.date(2026, 8, 16), None),
        ("Петров", "sales", dt.date(2026, 2, 16), None)]


def test_a_roster_cell_that_is_not_a_day_is_named_at_its_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("employee,role,from,to\nОрлов,sales,31.02.2026,\n", encoding="utf-8")
    rows, diagnostics = load_roster(str(path))
    assert rows == []
    [d062] = diagnostics
    assert d062.code == "D062" and str(d062.location).endswith("roster.csv:2:from") and "31.02.2026" in d062.message


def _cli_files(tmp_path: Path, ruleset: str, roster: str) -> tuple[list[str], Path]:
    (tmp_path / "r.kpi").write_text(ruleset, encoding="utf-8")
    (tmp_path / "facts.csv").write_text("period,employee,fact,value\n2026-02,Орлов,deals,10\n", encoding="utf-8")
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    out = tmp_path / "out.json"
    args = ["eval", str(tmp_path / "r.kpi"), "--facts", str(tmp_path / "facts.csv"), "--roster",
            str(tmp_path / "roster.csv"), "--format", "json", "-o", str(out)]
    return args, out


def test_an_overlapping_roster_row_is_an_error_naming_both_and_writes_nothing(tmp_path: Path) -> None:
    args, out = _cli_files(tmp_path, monthly('employee "Орлов" role sales from 2026-01-01 to 2026-02-20'),
                           "employee,role,from,to\nОрлов,head,16.02.2026,\n")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "roster.csv:2:employee: error[E052]" in result.output
    assert "ruleset line 6" in result.output and "roster row 2" in result.output
    assert not out.exists()


def test_a_roster_row_ending_before_it_starts_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    args, out = _cli_files(tmp_path, monthly(""), "employee,role,from,to\nОрлов,sales,16.02.2026,01.02.2026\n")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "roster.csv:2:employee: error[E053]" in result.output and not out.exists()


def test_ruleset_assignment_errors_stop_eval_at_line_and_column(tmp_path: Path) -> None:
    args, out = _cli_files(tmp_path, monthly('employee "Орлов" role sales from 2026-03-01 to 2026-02-01'),
                           "employee,role\n")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and "r.kpi:6:" in result.output and "error[K064]" in result.output
    assert not out.exists()


def test_json_of_a_dated_roster_pays_the_prorated_plan(tmp_path: Path) -> None:
    args, out = _cli_files(tmp_path, monthly(""), "employee,role,from\nОрлов,sales,16.02.2026\n")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [person] = json.loads(out.read_text(encoding="utf-8"))["results"]
    assert (person["employee"], person["plan_bonus"], person["bonus"]) == ("Орлов", "13000.00", "13000.00")


def test_the_text_report_says_the_days_in_role_of_a_joiner(tmp_path: Path) -> None:
    roster = "employee,role,from\nОрлов,sales,16.02.2026\n"
    args, _ = _cli_files(tmp_path, monthly('employee "Петров" role sales'), roster)
    text = [*args[:-4], "--format", "text"]  # not JSON to a file: the text report on stdout
    rows = "period,employee,fact,value\n2026-02,Орлов,deals,10\n2026-02,Петров,deals,10\n"
    (tmp_path / "facts.csv").write_text(rows, encoding="utf-8")
    for locale, words in (("ru", "2026-02 · Орлов · Менеджер по продажам · в роли 13 из 28 дн.\n"),
                          ("en", "2026-02 · Орлов · Менеджер по продажам · in the role 13 of 28 days\n")):
        result = CliRunner().invoke(cli, [*text, "--locale", locale])
        assert result.exit_code == 0, result.output
        assert words in result.stdout
        assert "2026-02 · Петров · Менеджер по продажам\n" in result.stdout  # the whole month: nothing said


# ------------------------------------------------------------------ the rule, against a reference

PEOPLE = ("A", "B", "C")
Q1 = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(90)]


@st.composite
def assignments(draw: st.DrawFn) -> list[tuple[str, str, dt.date, dt.date]]:
    """Per person up to three consecutive, non-overlapping assignments inside 2026Q1."""
    out = []
    for who in PEOPLE:
        cuts = sorted(draw(st.sets(st.integers(0, 89), min_size=0, max_size=5)))
        for first, last in zip(cuts[0::2], cuts[1::2], strict=False):
            out.append((who, draw(st.sampled_from(["sales", "head"])), Q1[first], Q1[last]))
    return out


@settings(max_examples=25, deadline=None)
@given(assignments(), st.integers(1, 99))
def test_every_result_is_prorated_by_its_days(held: list[tuple[str, str, dt.date, dt.date]], plan: int) -> None:
    lines = "\n".join(f'employee "{w}" role {r} from {a} to {b}' for w, r, a, b in held)
    text = monthly(lines).replace("bonus 28000", f"bonus {plan}_000").replace("bonus 31000", f"bonus {plan}_500")
    rows = [(m, w, "deals", 10) for m in ("2026-01", "2026-02", "2026-03") for w in PEOPLE]
    results, _ = _run(text, *rows)
    # the reference counts the days one by one and prorates in Fractions
    expected: dict[tuple[str, str, str], int] = {}
    for who, role, first, last in held:
        day = first
        while day <= last:
            key = (f"{day.year}-{day.month:02d}", who, role)
            expected[key] = expected.get(key, 0) + 1
            day += dt.timedelta(days=1)
    got = {(r.period, r.employee, r.role): r for r in results.results}
    assert set(got) == set(expected)
    month_days = {"2026-01": 31, "2026-02": 28, "2026-03": 31}
    for key, days in expected.items():
        whole = Fraction(plan * 1000 + (500 if key[2] == "head" else 0))
        share = whole * days / month_days[key[0]]
        cents = Decimal(share.numerator) / Decimal(share.denominator)
        assert got[key].plan_bonus == cents.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), key
        assert got[key].days == (days, month_days[key[0]])
