"""`kpidsl sql`: the plan for every dialect, quoting, and DuckDB running the printed SQL."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
import sqlglot
from click.testing import CliRunner
from helpers_engine import ROLLED_UP, SEED_RULESET, VERSIONED, evaluate, facts, model_from, read_long_csv, seed_model
from sqlglot import exp

from kpidsl.cli.main import cli
from kpidsl.cli.sql import DIALECTS
from kpidsl.engine.compile import compile_model
from kpidsl.engine.plan import FACTS_TABLE, ROSTER_TABLE, input_insert, input_tables

D = Decimal


@pytest.fixture(scope="module")
def seed_plan():  # type: ignore[no-untyped-def]
    return compile_model(seed_model())


@pytest.mark.parametrize("dialect", DIALECTS)
def test_plan_transpiles_and_parses_back(seed_plan, dialect: str) -> None:  # type: ignore[no-untyped-def]
    script = seed_plan.script(dialect)
    body = "\n".join(line for line in script.splitlines() if not line.startswith("--"))
    statements = [s for s in sqlglot.parse(script, read=dialect) if s is not None]
    assert len(statements) == len(seed_plan.statements) == 5  # values, kpis, totals, rules, metrics
    identifiers = [i for s in statements for i in s.find_all(exp.Identifier)]
    assert identifiers and all(i.quoted for i in identifiers), [i.name for i in identifiers if not i.quoted][:5]
    names = {i.name for i in identifiers}
    assert {"revenue", "avg_check_growth", "kpidsl_facts", "kpidsl_roster"} <= names
    if dialect != "duckdb":
        assert "INT128" not in body.upper() and "HUGEINT" not in body.upper()
    if dialect == "bigquery":  # no DECIMAL(p, s) in casts there: exact BIGNUMERIC and an explicit ROUND
        assert "DECIMAL" not in body and "ROUND(CAST(" in body and ", 12)" in body and ", 2)" in body
    if dialect in ("snowflake", "trino"):  # integer division through FLOOR + exact correction, never a float
        assert "FLOOR(" in body and "DOUBLE" not in body.upper()


def test_hostile_names_stay_quoted_in_every_dialect() -> None:
    model = model_from("""
ruleset "x" { currency RUB period quarter }
fact выручка "Выручка"
metric доля = выручка / 3
role менеджер "М" { kpi доля weight 1 target 1 bonus 100 }
employee "A" role менеджер
""")
    from kpidsl.base.diagnostics import Span
    from kpidsl.language import ast

    evil = 'x"; DROP TABLE kpidsl_facts; --`\''
    span = Span("x.kpi", 1, 1)
    model.values[evil] = ast.Fact(evil, None, None, None, None, None, span)
    plan = compile_model(model)
    for dialect in DIALECTS:
        parsed = [s for s in sqlglot.parse(plan.script(dialect), read=dialect) if s is not None]
        assert len(parsed) == len(plan.statements) == 4  # nothing split off as an extra statement
        assert any(i.name == evil and i.quoted for s in parsed for i in s.find_all(exp.Identifier)), dialect
        assert not any(isinstance(s, exp.Drop) for s in parsed)


def test_cli_prints_header_and_plan() -> None:
    out = CliRunner().invoke(cli, ["sql", str(SEED_RULESET), "--dialect", "postgres"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("-- kpidsl plan for ruleset")
    assert ('CREATE TABLE "kpidsl_facts" ("period" VARCHAR, "employee" VARCHAR, "fact" VARCHAR, '
            '"value" DECIMAL(38, 12));') in out.output
    assert 'CREATE TABLE "kpidsl_values" AS' in out.output and "DIV(" in out.output


def test_cli_errors_and_usage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.kpi"
    bad.write_text('ruleset "x" { }\nmetric m = nope + 1\n', encoding="utf-8")
    out = CliRunner().invoke(cli, ["sql", str(bad)])
    assert out.exit_code == 1 and "error[K021]" in out.output and "bad.kpi:2:12" in out.output
    assert "SELECT" not in out.output
    assert CliRunner().invoke(cli, ["sql", str(SEED_RULESET), "--dialect", "oracle"]).exit_code == 2
    helped = CliRunner().invoke(cli, ["sql", "--help"])
    assert helped.exit_code == 0 and "--dialect" in helped.output


def _run_script(script: str, model, table) -> dict[tuple[str, str, int], tuple]:  # type: ignore[no-untyped-def]
    """Run a printed DuckDB script on inputs filled the documented way; kpis rows by key."""
    con = duckdb.connect()
    for create in input_tables():
        con.execute(create.sql(dialect="duckdb"))
    rows = table.rows
    con.execute(input_insert(FACTS_TABLE).sql(dialect="duckdb"),
                [[r.period for r in rows], [r.employee for r in rows], [r.fact for r in rows],
                 [str(r.value) for r in rows]])
    roster = [(e.name, e.role.text) for e in model.employees]
    con.execute(input_insert(ROSTER_TABLE).sql(dialect="duckdb"), [[e for e, _ in roster], [r for _, r in roster]])
    out = {}
    for statement in con.extract_statements(script):
        result = con.execute(statement)
        records = result.fetchall()
        if result.description and result.description[0][0] == "period" and len(result.description) > 1 and \
                result.description[1][0] == "employee" and result.description[-1][0] == "payout":
            names = [d[0] for d in result.description]  # the totals statement: one row per employee
            for record in records:
                row = dict(zip(names, record, strict=True))
                out[(row["period"], row["employee"], 0)] = (row["plan_bonus"], row["bonus"], row["index"])
    names = [d[0] for d in con.execute('SELECT * FROM "kpidsl_out_kpis"').description]  # the script's kpis table
    for record in con.execute('SELECT * FROM "kpidsl_out_kpis"').fetchall():
        row = dict(zip(names, record, strict=True))
        out[(row["period"], row["employee"], row["line"])] = (row["status"], row["bonus"], row["index"])
    return out


def test_printed_duckdb_plan_gives_the_engines_numbers() -> None:
    model, table = seed_model(), read_long_csv()
    out = CliRunner().invoke(cli, ["sql", str(SEED_RULESET)])
    assert out.exit_code == 0
    printed = _run_script(out.output, model, table)
    results, _ = evaluate(model, table)
    plan = compile_model(model)
    ids = {(line.role, line.kpi): line.id for line in plan.lines}
    compared = 0
    for r in results.results:
        for k in r.kpis:
            status, bonus, index = printed[(r.period, r.employee, ids[(r.role, k.kpi)])]
            assert (status, bonus, index) == (k.status, k.bonus, k.index)
            compared += 1
        if r.kpis:  # the employee's totals, as the script's totals statement gives them
            assert printed[(r.period, r.employee, 0)] == (r.plan_bonus, r.bonus, r.index)
    assert compared == 69
    assert printed[("2026Q3", "Смирнова Анна", ids[("marketing_manager", "roas")])][1] == D("9700.00")


def test_plan_without_roles_or_rules_still_runs() -> None:
    model = model_from('ruleset "x" { }\nfact a\nmetric twice = a * 2\n')
    plan = compile_model(model)
    assert list(plan.statements) == ["values", "kpis", "metrics"]  # kpis: empty, in the usual columns
    results, _ = evaluate(model, facts(("2026Q1", None, "a", "1.5")))
    assert [(m.name, m.value) for m in results.metrics] == [("a", D("1.5")), ("twice", D(3))]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_fact_levels_and_department_print_for_every_dialect(dialect: str) -> None:
    """`per employee` / `per department` facts and `department(x)` print and parse back in every dialect."""
    model = model_from('ruleset "x" { currency RUB period month }\n'
                       'fact deals "Сделки" per employee\nfact leads "Лиды" per department\n'
                       'metric share = deals / department(leads) unit ratio\n'
                       'role r "R" { kpi share weight 1 target 10% bonus 100 }\n')
    script = compile_model(model).script(dialect)
    statements = [s for s in sqlglot.parse(script, read=dialect) if s is not None]
    windows = [w for s in statements for w in s.find_all(exp.Window)]
    assert any(w.find(exp.Max) is not None for w in windows)  # the department row's value, per period
    assert "deals" in {i.name for s in statements for i in s.find_all(exp.Identifier)}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_dated_roster_prints_its_days_and_proration_for_every_dialect(dialect: str) -> None:
    """A ruleset with dated `employee` lines prints the plan that reads `kpidsl_days` (created in
    the header, joined by period, employee and role) and parses back in every dialect."""
    from kpidsl.engine.script import plan_script

    model = model_from('ruleset "x" { currency RUB period month }\n'
                       'role r "R" { kpi deals weight 1 target 10 bonus 100 }\nfact deals\n'
                       'employee "A" role r from 2026-02-16\n')
    script, diagnostics = plan_script(model, dialect, {})
    assert script is not None and not diagnostics
    assert "kpidsl_days" in script.split("Statements:")[0]  # the header lists the input
    statements = [s for s in sqlglot.parse(script, read=dialect) if s is not None]
    tables = {t.name for s in statements for t in s.find_all(exp.Table)}
    assert "kpidsl_days" in tables
    columns = {c.name for s in statements for c in s.find_all(exp.Column)}
    assert {"days", "period_days"} <= columns


@pytest.mark.parametrize("dialect", DIALECTS)
def test_monthly_data_paid_quarterly_prints_quarter_keys_and_each_rollup(dialect: str) -> None:
    """The plan of a rolled-up ruleset counts in payout periods: its header says the facts
    come per quarter, rolled up from monthly data by each fact's rule, and the ordinal of a
    period is the quarter's (so `growth` compares quarters)."""
    from kpidsl.engine.script import plan_script

    script, diagnostics = plan_script(model_from(ROLLED_UP), dialect, {})
    assert script is not None and not diagnostics
    header = script.split("Statements:")[0]
    assert "period as a quarter key (2026Q3)" in header
    assert "rolled up from monthly data by kpidsl before the plan runs: deals sum, leads sum, customers last, " \
           "nps avg" in header
    assert [s for s in sqlglot.parse(script, read=dialect) if s is not None]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_plan_versions_print_their_periods_for_every_dialect(dialect: str) -> None:
    """Each version of a role is its own branch restricted to its quarters, and a versioned
    param a CASE over them: the printed plan says so in every dialect and parses back."""
    from kpidsl.engine.script import plan_script

    script, diagnostics = plan_script(model_from(VERSIONED), dialect, {})
    assert script is not None and not diagnostics
    statements = [s for s in sqlglot.parse(script, read=dialect) if s is not None]
    literals = {lit.this for s in statements for lit in s.find_all(exp.Literal) if lit.is_string}
    assert "2026Q3" in literals  # the quarter July's versions start in
    comparisons = [c for s in statements for c in s.find_all(exp.GTE, exp.LT)
                   if isinstance(c.expression, exp.Literal) and c.expression.this == "2026Q3"]
    assert {type(c) for c in comparisons} == {exp.GTE, exp.LT}  # from Q3 on, and before Q3
