"""A fact's level (`per employee` / `per department`): personal and department values never
mix silently — against an independent reference of the rule, in the engine, the explainers
and the CLI; with `department(x)` for a mix written on purpose."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpidsl.check.checker import check_model
from kpidsl.cli.main import cli
from kpidsl.language.load import load
from tests.helpers_engine import evaluate, facts, kpi, model_from, person

SALES = """
ruleset "Продажи" {{ currency RUB period month }}
fact deals "Сделки" {deals}
fact leads "Лиды" {leads}
metric share "Доля сделок" = deals / department(leads) unit ratio
role sales "Менеджер" {{
  kpi deals weight 0.5 target 10 bonus 10000
  kpi share weight 0.5 target 10% bonus 3000
}}
employee "Иванов" role sales
employee "Петров" role sales
"""

# Петров is hired on 16 February: January has rows of the department and of Иванов only.
ROWS = [("2026-01", None, "deals", 30), ("2026-01", None, "leads", 200), ("2026-01", "Иванов", "deals", 12),
        ("2026-02", None, "deals", 20), ("2026-02", None, "leads", 100), ("2026-02", "Иванов", "deals", 12),
        ("2026-02", "Петров", "deals", 8)]


def _run(deals: str, leads: str = "per department", rows: list = ROWS):  # type: ignore[no-untyped-def,type-arg]
    return evaluate(model_from(SALES.format(deals=deals, leads=leads)), facts(*rows))


def test_a_joiner_gets_nothing_for_a_month_before_his_own_rows() -> None:
    results, diagnostics = _run("per employee")
    january = person(results, "2026-01", "Петров")
    assert [k.status for k in january.kpis] == ["no_data", "no_data"]
    assert january.bonus == Decimal("0.00")  # not 13 000 from the department's 30 deals
    reasons = [d.message for d in diagnostics if d.code == "E020"]
    assert any("declared `per employee`" in m and "Петров" in m for m in reasons), reasons
    assert kpi(results, "2026-01", "Иванов", "deals").fact == Decimal(12)
    # department(leads): the employee's own deals over the whole department's leads
    assert kpi(results, "2026-02", "Петров", "share").fact == Decimal("0.08")


def test_an_undeclared_fact_still_falls_back_but_says_who_borrows() -> None:
    results, diagnostics = _run("")
    assert kpi(results, "2026-01", "Петров", "deals").fact == Decimal(30)  # the department's, as before
    warned = [d for d in diagnostics if d.code == "E051"]
    assert len(warned) == 1, [d.message for d in diagnostics]
    assert "Петров" in warned[0].message and "2026-01" in warned[0].message
    assert str(warned[0].location) == "test.csv:2:value"  # the department row that was read
    assert "Иванов" not in warned[0].message.split("but")[1]


def test_a_department_fact_given_for_an_employee_is_an_error_and_skipped() -> None:
    rows = [*ROWS, ("2026-02", "Петров", "leads", 40)]
    results, diagnostics = _run("per employee", rows=rows)
    errors = [d for d in diagnostics if d.code == "E050"]
    assert len(errors) == 1 and str(errors[0].location) == "test.csv:9:value", [d.message for d in diagnostics]
    assert kpi(results, "2026-02", "Петров", "share").fact == Decimal("0.08")  # 8 / 100, not 8 / 40


def test_cli_names_the_row_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    ruleset = tmp_path / "sales.kpi"
    ruleset.write_text(SALES.format(deals="per employee", leads="per department"), encoding="utf-8")
    data = tmp_path / "facts.csv"
    data.write_text("period,employee,fact,value\n2026-01,,leads,200\n2026-01,Иванов,leads,40\n"
                    "2026-01,Иванов,deals,3\n", encoding="utf-8")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["eval", str(ruleset), "--facts", str(data), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "facts.csv:3:value: error[E050]" in result.output
    assert "declare the fact `per employee`" in result.output
    assert not out.exists()


def _sales_files(tmp_path: Path) -> tuple[Path, Path]:
    """The sales ruleset (deals per employee, leads per department) and ROWS as a facts file."""
    ruleset = tmp_path / "sales.kpi"
    ruleset.write_text(SALES.format(deals="per employee", leads="per department"), encoding="utf-8")
    data = tmp_path / "facts.csv"
    data.write_text("period,employee,fact,value\n" + "".join(f"{p},{e or ''},{f},{v}\n" for p, e, f, v in ROWS),
                    encoding="utf-8")
    return ruleset, data


def test_explain_shows_the_department_value_and_the_personal_gap(tmp_path: Path) -> None:
    ruleset, data = _sales_files(tmp_path)
    result = CliRunner().invoke(cli, ["explain", str(ruleset), "--facts", str(data), "--employee", "Петров",
                                      "--period", "2026-02", "--locale", "en"])
    assert result.exit_code == 0, result.output
    assert "deals / department(leads)" in result.output
    assert "8 / 100" in result.output, result.output


def test_the_formatter_keeps_the_level() -> None:
    from kpidsl.language.fmt import format_ruleset
    from kpidsl.language.parse import parse

    text = SALES.format(deals="per employee", leads="unit count per department")
    tree, _ = parse(text, "x.kpi")
    assert tree is not None
    printed = format_ruleset(tree, text)
    assert "per employee" in printed and "per department" in printed
    again, _ = parse(printed, "x.kpi")
    assert again is not None and format_ruleset(again, printed) == printed


def test_department_of_a_goal_is_k032() -> None:
    text = SALES.format(deals="", leads="") + "goal plan = 10\nmetric m = department(plan)\n"
    model, diagnostics = load("x.kpi", text=text)
    assert model is not None and not diagnostics
    found = [d for d in check_model(model) if d.is_error]
    assert [d.code for d in found] == ["K032"] and "same for everyone" in (found[0].hint or "")


# ------------------------------------------------------------------ the general rule

PEOPLE = ("A", "B", "C")
LEVELS = ("per employee", "per department", "")


def reference(level: str, who: str, own: dict[str, int], department: int | None) -> int | None:
    """What `who` reads, written out from the docs' table (not from the engine's `pick`)."""
    if level == "per department":
        return department
    if level == "per employee":
        return own.get(who)
    return own.get(who, department)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(level=st.sampled_from(LEVELS),
       own=st.dictionaries(st.sampled_from(PEOPLE), st.integers(0, 10_000), max_size=3),
       department=st.one_of(st.none(), st.integers(0, 10_000)))
def test_every_employee_reads_what_the_level_says(level: str, own: dict[str, int], department: int | None) -> None:
    text = ('ruleset "x" { currency RUB period quarter }\n'
            f'fact f "F" {level}\n'
            'role r "R" { kpi f weight 1 target 100 bonus 1000 }\n'
            + "".join(f'employee "{p}" role r\n' for p in PEOPLE))
    rows = [("2026Q1", p, "f", v) for p, v in own.items()]
    if department is not None:
        rows.append(("2026Q1", None, "f", department))
    if level == "per department":  # own rows of a department fact are E050 and skipped
        rows = [r for r in rows if r[1] is None]
        own = {}
    if not rows:
        return
    results, diagnostics = evaluate(model_from(text), facts(*rows))
    for who in PEOPLE:
        expected = reference(level, who, own, department)
        line = kpi(results, "2026Q1", who, "f")
        assert line.fact == (None if expected is None else Decimal(expected)), (who, level, own, department)
    mixed = level == "" and department is not None and 0 < len(own) < len(PEOPLE)
    assert any(d.code == "E051" for d in diagnostics) == mixed


def test_json_of_a_joiner_month_pays_nothing(tmp_path: Path) -> None:
    ruleset, data = _sales_files(tmp_path)
    result = CliRunner().invoke(cli, ["eval", str(ruleset), "--facts", str(data), "--format", "json",
                                      "--period", "2026-01"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    petrov = next(r for r in body["results"] if r["employee"] == "Петров")
    assert petrov["bonus"] == "0.00" and {k["status"] for k in petrov["kpis"]} == {"no_data"}
