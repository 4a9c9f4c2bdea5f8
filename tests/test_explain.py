"""Explain: the derivation of one employee's result, on the seed ruleset and its data.

The results are hand-built (eval_fixtures) and the facts are read from the seed CSV
with the csv module, so these tests exercise explain alone; tests/test_eval_cli.py
runs the same trace through the whole pipeline.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from eval_fixtures import (
    ROOT,
    SEED_FACTS,
    SEED_RULESET,
    manager_q3,
    metric_values,
    pr_q3,
    seed_fact_table,
    seed_results,
    targetologist_q3,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from kpidsl.base.numbers import MINUS, Numbers
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.language import ast
from kpidsl.language.load import Model, load
from kpidsl.language.parse import parse
from kpidsl.results.explain import explain
from kpidsl.results.explain_values import Printer, Values

NBSP = "\u00a0"
CSV = "rulesets/data/seed_marketing.csv"


@pytest.fixture(scope="module")
def model() -> Model:
    m, diagnostics = load(str(SEED_RULESET.relative_to(ROOT)))
    assert m is not None, diagnostics
    return m


def row_of(period: str, fact: str) -> int:
    """The spreadsheet row of a fact in the seed CSV (header = row 1), found in the file."""
    for number, line in enumerate(SEED_FACTS.read_text(encoding="utf-8").splitlines(), start=1):
        p, _, f, _ = line.split(",")
        if (p, f) == (period, fact):
            return number
    raise AssertionError(f"{fact} {period} not in the seed data")


def ru(text: str) -> str:
    """Write expected lines with plain spaces in numbers; the output has no-break spaces."""
    import re

    return re.sub(r"(?<=\d) (?=\d{3}\b)", NBSP, text)


def test_the_seed_managers_31360_derivation(model: Model) -> None:
    text = explain(model, seed_results(manager_q3()), seed_fact_table(), "Смирнова Анна", "2026Q3").render()
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "Смирнова Анна — Менеджер по маркетингу и рекламе (marketing_manager), 2026Q3"
    expected = [
        "bonus = customer_growth + avg_check_growth + positive_share + roas = "
        "5 500,00 + 11 200,00 + 4 960,00 + 9 700,00 = 31 360,00 RUB",
        "bonus = plan_bonus × (1 + index − weight) = 5 000 × (1 + 0,300 − 0,2) = 5 500,00",
        "index = weight × attainment = 0,2 × 1,5 = 0,300",
        "deviation = index − index_plan = 0,300 − 0,2 = 0,100",
        "attainment = fact / target = 0,15 / 0,1 = 1,5",
        "fact customer_growth = growth(customers) = (230 − 200) / 200 = 0,15",
        f"customers (2026Q3) = 230   ← {CSV}:row {row_of('2026Q3', 'customers')}, column value",
        f"customers (2026Q2) = 200   ← {CSV}:row {row_of('2026Q2', 'customers')}, column value",
        "bonus = plan_bonus × (1 + index − weight) = 10 000 × (1 + 0,420 − 0,3) = 11 200,00",
        "fact avg_check_growth = growth(avg_check) = (10 700 − 10 000) / 10 000 = 0,07",
        "avg_check (2026Q3) = revenue / orders = 1 926 000 / 180 = 10 700",
        "bonus = plan_bonus × (1 + index − weight) = 5 000 × (1 + 0,192 − 0,2) = 4 960,00",
        f"deviation = index − index_plan = 0,192 − 0,2 = {MINUS}0,008",
        "fact positive_share = reviews_positive / reviews_total = 72 / 100 = 0,72",
        "bonus = plan_bonus × (1 + index − weight) = 10 000 × (1 + 0,270 − 0,3) = 9 700,00",
        "fact roas = revenue / ad_spend = 1 926 000 / 107 000 = 18",
        f"ad_spend (2026Q3) = 107 000   ← {CSV}:row {row_of('2026Q3', 'ad_spend')}, column value",
    ]
    for line in expected:
        assert ru(line) in lines, line
    # the order is top-down: bonus before index before attainment before the fact and its rows
    order = [lines.index(ru(line)) for line in expected[1:8]]
    assert order == sorted(order)
    # a value used twice is derived once and referred back to
    assert any(line.startswith(ru("revenue (2026Q3) = 1 926 000")) and line.endswith("см. выше") for line in lines)
    assert ("when attainment < 100%: 0,9 < 1 → мера назначена: "
            "«Перераспределить бюджет в кампании с ROAS выше 20»") in lines


def test_english_explain(model: Model) -> None:
    text = explain(model, seed_results(manager_q3()), seed_fact_table(), "Смирнова Анна", "2026Q3", "en").render()
    assert "bonus = plan_bonus × (1 + index − weight) = 5,000 × (1 + 0.300 − 0.2) = 5,500.00" in text
    assert "= 31,360.00 RUB" in text


def _without(table: FactTable, period: str, fact: str) -> FactTable:
    return FactTable(rows=[r for r in table.rows if (r.period, r.fact) != (period, fact)], files=table.files)


def _replace(table: FactTable, period: str, fact: str, value: str) -> FactTable:
    return FactTable(rows=[dataclasses.replace(r, value=Decimal(value)) if (r.period, r.fact) == (period, fact)
                           else r for r in table.rows], files=table.files)


def test_a_gated_kpi_explains_the_failed_condition_with_its_values(model: Model) -> None:
    orlov = dataclasses.replace(targetologist_q3(), employee="Орлов Дмитрий")
    table = _replace(seed_fact_table(), "2026Q3", "deals_won", "60")  # 60 / 400 = 15 % < 20 %
    text = explain(model, seed_results(orlov), table, "Орлов Дмитрий", "2026Q3").render()
    lines = [line.strip() for line in text.splitlines()]
    assert "KPI leads «Лиды»: условие не выполнено" in lines
    assert "require lead_close_rate ≥ 20%: 0,15 ≥ 0,2 → не выполнено" in lines
    assert "lead_close_rate (2026Q3) = deals_won / leads = 60 / 400 = 0,15" in lines
    assert any(line.startswith("deals_won (2026Q3) = 60   ← ") for line in lines)
    # the scheme's bonus, then why it is not paid
    assert ru("bonus = plan_bonus × (1 + index − weight) = 4 000 × (1 + 0,228571… − 0,2) = 4 114,29") in lines
    assert "→ bonus = 0,00 (условие качества не выполнено: премия KPI = 0)" in lines
    # better lower: attainment is target / fact
    assert "attainment = target / fact (better lower) = 250 / 267,5 = 0,934579…" in lines


def test_a_no_data_kpi_explains_what_is_missing(model: Model) -> None:
    table = _without(seed_fact_table(), "2026Q3", "media_mentions")
    text = explain(model, seed_results(pr_q3()), table, "Соколова Елена", "2026Q3").render()
    lines = [line.strip() for line in text.splitlines()]
    assert "fact media_mentions = media_mentions (2026Q3) = нет данных" in lines
    assert "media_mentions (2026Q3) = нет данных   ← в файлах фактов нет строки" in lines
    assert "attainment = fact / target = — / 40 = нет данных" in lines
    assert "→ bonus = 0,00 (нет данных)" in lines
    assert "? no data for fact `media_mentions` in 2026Q3" in lines


def test_growth_without_a_previous_period_shows_the_missing_row(model: Model) -> None:
    first = dataclasses.replace(manager_q3(), period="2026Q1")
    text = explain(model, seed_results(first), seed_fact_table(), "Смирнова Анна", "2026Q1").render()
    lines = [line.strip() for line in text.splitlines()]
    assert "customers (2025Q4) = нет данных   ← в файлах фактов нет строки" in lines


def test_an_employees_own_row_overrides_the_department_row(model: Model) -> None:
    table = seed_fact_table()
    own = FactRow("2026Q3", "Смирнова Анна", "ad_spend", Decimal("96300"),
                  dataclasses.replace(table.rows[0].location, file="own.csv", row=7))
    values = Values(model, seed_results(manager_q3()), FactTable(rows=[own, *table.rows]), "Смирнова Анна")
    assert values.value("roas", "2026Q3") == Decimal("20")
    text = explain(model, seed_results(manager_q3()), FactTable(rows=[own, *table.rows]), "Смирнова Анна",
                   "2026Q3").render()
    assert ru("ad_spend (2026Q3, Смирнова Анна) = 96 300   ← own.csv:row 7, column value") in text


def test_values_listed_in_the_results_win_over_computing_them(model: Model) -> None:
    results = seed_results(manager_q3())
    metric_values(results, "avg_check", "2026Q3", "10701")
    values = Values(model, results, seed_fact_table(), "Смирнова Анна")
    assert values.value("avg_check", "2026Q3") == Decimal("10701")
    assert values.value("avg_check", "2026Q2") == Decimal("10000")  # not listed: computed


# ------------------------------------------------------------------ the interpreter


def _expr(text: str) -> ast.Expr:
    tree, diagnostics = parse(f"metric m = {text}", "t.kpi")
    assert tree is not None, diagnostics
    decl = tree.declarations[0]
    assert isinstance(decl, ast.Metric)
    return decl.formula


def _values(model: Model) -> Values:
    return Values(model, seed_results(manager_q3()), seed_fact_table(), "Смирнова Анна")


@pytest.mark.parametrize("text, expected", [
    ("1 / 3", Decimal("0.333333333333")),
    ("2 / 3", Decimal("0.666666666667")),  # 12 decimals, half away from zero
    ("revenue / 0", None),  # division by zero is no data
    ("prev(customers)", Decimal("200")),
    ("growth(customers)", Decimal("0.15")),
    ("nps", Decimal("0.8")),
    ("unknown_fact_nobody_wrote + 1", None),
    ("min(3, 2, 5)", Decimal("2")),
    ("round(2.5)", Decimal("3")),
    ("round(-2.345, 2)", Decimal("-2.35")),
    ("if customers > 200 then 1 else 2", Decimal("1")),
    ("scale 0.95 { below 80% -> 0  below 100% -> 0.8  else -> 1 }", Decimal("0.8")),
    ("scale 1 { below 80% -> 0  below 100% -> 0.8  else -> 1 }", Decimal("1")),
    ("1 < 2 and revenue / 0 > 1", None),  # three-valued logic
    ("1 > 2 and revenue / 0 > 1", False),
    ("1 < 2 or revenue / 0 > 1", True),
])
def test_interpreter_follows_the_language(model: Model, text: str, expected: object) -> None:
    assert _values(model).eval(_expr(text), "2026Q3", {}) == expected


def test_substitution_prints_values_and_collects_what_it_read(model: Model) -> None:
    values = _values(model)
    printer = Printer(values, Numbers("ru"), "ru")
    refs: list[tuple[str, str]] = []
    e = _expr("(marketing_spend + sales_spend) / new_customers")
    assert printer.expr(e) == "(marketing_spend + sales_spend) / new_customers"
    assert printer.expr(e, "2026Q3", {}, refs) == ru("(400 000 + 200 000) / 30")
    assert refs == [("marketing_spend", "2026Q3"), ("sales_spend", "2026Q3"), ("new_customers", "2026Q3")]


@pytest.mark.parametrize(("text", "shown"), [
    ("growth(customers)", "(230 − 200) / 200"),
    ("growth(customers * 2)", "(230 × 2 − 200 × 2) / (200 × 2)"),  # the divisor is all of prev(x)
    ("2 / growth(customers)", "2 / ((230 − 200) / 200)"),
    ("prev(customers + 1) * 2", "(200 + 1) × 2"),
    ("new_customers / prev(customers * 2)", "30 / (200 × 2)"),
    ("-prev(customers * 2)", "−(200 × 2)"),
])
def test_prev_and_growth_substitute_with_the_parentheses_they_need(model: Model, text: str, shown: str) -> None:
    printer = Printer(_values(model), Numbers("en"), "en")
    assert printer.expr(_expr(text), "2026Q3", {}, []) == shown


def test_texts_are_quoted_as_the_parser_reads_them(model: Model) -> None:
    printer = Printer(_values(model), Numbers("en"), "en")
    e = _expr('status = "say \\"hi\\"\\tnow"')
    assert printer.expr(e) == 'status = "say \\"hi\\"\\tnow"'
    assert printer.expr(e, "2026Q3", {"status": 'a"b'}) == '"a\\"b" = "say \\"hi\\"\\tnow"'


# Random expressions: printing them as written and parsing the print gives the same tree,
# so the printer's parentheses are exactly the ones precedence needs.
_atoms = st.one_of(st.sampled_from(["a", "b", "c"]).map(lambda n: f"N:{n}"),
                   st.integers(0, 99).map(lambda i: f"#:{i}"))


_trees = st.recursive(
    _atoms,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/", "<", "=", "and", "or"]), inner, inner),
        st.tuples(st.sampled_from(["-", "not"]), inner),
    ),
    max_leaves=8,
)


def _to_expr(tree: object) -> ast.Expr:
    span = ast.Span("t", 1, 1)
    if isinstance(tree, str):
        kind, value = tree.split(":")
        return ast.Name(value, span) if kind == "N" else ast.Number(Decimal(value), value, span)
    assert isinstance(tree, tuple)
    if len(tree) == 2:
        return ast.Unary(tree[0], _to_expr(tree[1]), span)
    return ast.Binary(tree[0], _to_expr(tree[1]), _to_expr(tree[2]), span)


def _shape(e: ast.Expr) -> object:
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Number):
        return e.value
    if isinstance(e, ast.Unary):
        inner = _shape(e.operand)
        # `-5` parses as a negated literal either way
        return ("neg", inner) if e.op == "-" else ("not", inner)
    assert isinstance(e, ast.Binary)
    return (e.op, _shape(e.left), _shape(e.right))


@settings(max_examples=200, deadline=None)
@given(_trees)
def test_printed_expressions_parse_back_to_the_same_tree(model: Model, tree: object) -> None:
    e = _to_expr(tree)
    printed = Printer(_values(model), Numbers("en"), "en").expr(e)
    tree2, diagnostics = parse(f"metric m = {printed.replace(MINUS, '-')}", "t.kpi")
    assert tree2 is not None, (printed, diagnostics)
    decl = tree2.declarations[0]
    assert isinstance(decl, ast.Metric)
    assert _shape(decl.formula) == _shape(e), printed
