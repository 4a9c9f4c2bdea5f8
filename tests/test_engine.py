"""The evaluation engine's semantics, one behaviour per test, on small rulesets."""

from __future__ import annotations

import os
from decimal import Decimal

from helpers_engine import evaluate, facts, kpi, model_from, person

from kpidsl.api import EvalOptions
from kpidsl.base.diagnostics import Span
from kpidsl.engine import fixedpoint as fp
from kpidsl.engine.compile import compile_model
from kpidsl.language import ast
from kpidsl.language.load import Model
from kpidsl.results.collect import run

D = Decimal

BASE = """
ruleset "Тест" { currency RUB period quarter }
fact sales "Продажи" unit RUB
fact leads "Лиды" unit count
fact spend "Расходы" unit RUB
metric conversion "Конверсия" = sales / leads unit percent
metric cost "Стоимость лида" = spend / leads unit RUB better lower
"""


def codes(diagnostics) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.code for d in diagnostics]


def test_employee_value_overrides_department_value() -> None:
    model = model_from(BASE + """
role rep "Менеджер" { kpi sales weight 1 target 100 bonus 1000 }
employee "A" role rep
employee "B" role rep
""")
    results, _ = evaluate(model, facts(("2026Q1", None, "sales", 80), ("2026Q1", "A", "sales", 120)))
    assert kpi(results, "2026Q1", "A", "sales").fact == D(120)
    assert kpi(results, "2026Q1", "B", "sales").fact == D(80)
    assert person(results, "2026Q1", "A").bonus == D("1200.00")  # default scheme: 1000 × (1 + 1.2 − 1)
    own = [(m.employee, m.value) for m in results.metrics if m.name == "sales"]
    assert own == [(None, D(80)), ("A", D(120))]  # per employee only where it differs


def test_missing_fact_gives_no_data_naming_fact_period_and_employee() -> None:
    model = model_from(BASE + """
role rep "Менеджер" {
  kpi conversion weight 0.5 target 10 bonus 1000
  kpi sales weight 0.5 target 100 bonus 1000
}
employee "A" role rep
employee "B" role rep
""")
    table = facts(("2026Q1", None, "sales", 100), ("2026Q1", None, "leads", 10),
                  ("2026Q2", None, "sales", 100), ("2026Q2", "A", "leads", 5),
                  ("2026Q1", "A", "leads", 4))
    results, diagnostics = evaluate(model, table)
    for name in ("A", "B"):
        assert kpi(results, "2026Q1", name, "conversion").status != "no_data"
    b = kpi(results, "2026Q2", "B", "conversion")
    assert (b.status, b.bonus, b.fact, b.attainment) == ("no_data", D("0.00"), None, None)
    assert kpi(results, "2026Q2", "B", "sales").status == "met"  # one broken KPI hides nothing else
    assert person(results, "2026Q2", "B").bonus == D("1000.00")
    assert kpi(results, "2026Q2", "A", "conversion").fact == D(20)  # A's own leads
    missing = [d for d in diagnostics if d.code == "E020"]
    assert len(missing) == 1
    message = missing[0].message
    assert "`leads`" in message and "2026Q2" in message and "conversion" in message and "(employees: B)" in message
    assert missing[0].severity.value == "warning" and missing[0].location.line == 10  # type: ignore[union-attr]
    assert b.problems and "`leads`" in b.problems[0]


def test_employee_with_own_rows_is_named_in_the_reason() -> None:
    model = model_from(BASE + """
role rep "Менеджер" { kpi leads weight 1 target 10 bonus 100 }
employee "A" role rep
""")
    _, diagnostics = evaluate(model, facts(("2026Q1", "A", "leads", 5), ("2026Q2", "A", "sales", 1)))
    [found] = [d for d in diagnostics if d.code == "E020"]
    assert "has no value in 2026Q2 for A (nor at department level)" in found.message


def test_zero_divisor_is_named() -> None:
    model = model_from(BASE + """
role rep "Менеджер" { kpi cost weight 1 target 50 bonus 1000 }
employee "A" role rep
""")
    results, diagnostics = evaluate(model, facts(("2026Q1", None, "spend", 500), ("2026Q1", None, "leads", 0)))
    assert kpi(results, "2026Q1", "A", "cost").status == "no_data"
    [found] = [d for d in diagnostics if d.code == "E021"]
    assert "`leads` is 0 in 2026Q1" in found.message and "`spend / leads`" in found.message


def test_lower_is_better_zero_fact_blames_the_fact() -> None:
    model = model_from(BASE + """
role rep "Менеджер" { kpi spend weight 1 target 50 bonus 1000 }
employee "A" role rep
""")
    # a fact is higher-is-better: attainment = fact / target, so a zero fact is simply 0 %
    results, _ = evaluate(model, facts(("2026Q1", None, "spend", 0)))
    assert kpi(results, "2026Q1", "A", "spend").attainment == D(0)
    model = model_from(BASE + """
role rep "Менеджер" { kpi cost weight 1 target 50 bonus 1000 }
employee "A" role rep
""")
    results, diagnostics = evaluate(model, facts(("2026Q1", None, "spend", 0), ("2026Q1", None, "leads", 10)))
    # cost = 0 and better lower: attainment = target / cost divides by zero
    assert kpi(results, "2026Q1", "A", "cost").status == "no_data"
    assert any("`cost` is 0 in 2026Q1, so `target / cost`" in d.message for d in diagnostics if d.code == "E021")


def test_role_require_zeroes_the_whole_role() -> None:
    model = model_from(BASE + """
role rep "Менеджер" {
  require leads >= 10
  kpi sales weight 0.5 target 100 bonus 1000
  kpi leads weight 0.5 target 5 bonus 1000
}
employee "A" role rep
""")
    results, _ = evaluate(model, facts(("2026Q1", None, "sales", 200), ("2026Q1", None, "leads", 8),
                                       ("2026Q2", None, "sales", 200), ("2026Q2", None, "leads", 10)))
    q1, q2 = person(results, "2026Q1", "A"), person(results, "2026Q2", "A")
    assert q1.gates[0].condition == "leads >= 10" and q1.gates[0].passed is False and q1.gates[0].scope == "role"
    assert [k.status for k in q1.kpis] == ["gated", "gated"] and q1.bonus == D("0.00")
    assert q2.gates[0].passed is True and q2.bonus > 0


def test_unknown_quality_condition_counts_as_failed() -> None:
    model = model_from(BASE + """
role rep "Менеджер" {
  kpi sales weight 1 target 100 bonus 1000
    require conversion >= 5 and sales > 0
}
employee "A" role rep
""")
    results, diagnostics = evaluate(model, facts(("2026Q1", None, "sales", 200)))
    sales = kpi(results, "2026Q1", "A", "sales")
    assert sales.gates[0].condition == "conversion >= 5 and sales > 0"
    assert sales.gates[0].passed is None and sales.status == "gated" and sales.bonus == D("0.00")
    [found] = [d for d in diagnostics if d.code == "E023"]
    assert "counts as failed" in found.message and "`leads` has no value in 2026Q1" in found.message
    # `false and unknown` is false, not unknown
    results, _ = evaluate(model, facts(("2026Q1", None, "sales", 0)))
    assert kpi(results, "2026Q1", "A", "sales").gates[0].passed is False


def test_rules_fire_per_period_and_unknown_rules_warn() -> None:
    model = model_from(BASE + """
rule cheap "Дешёвые лиды" {
  when cost < 20
  level info
  message "Лиды дешевле 20"
  action "Масштабировать кампании"
}
""")
    results, diagnostics = evaluate(model, facts(("2026Q1", None, "spend", 100), ("2026Q1", None, "leads", 10),
                                                 ("2026Q2", None, "spend", 500), ("2026Q2", None, "leads", 10),
                                                 ("2026Q3", None, "spend", 500)))
    assert [(f.period, f.level, f.message, f.actions) for f in results.findings] == [
        ("2026Q1", "info", "Лиды дешевле 20", ("Масштабировать кампании",))]
    [unknown] = [d for d in diagnostics if d.code == "E024"]
    assert "rule `cheap`" in unknown.message and "2026Q3" in unknown.message and "`leads`" in unknown.message


def test_kpi_card_indicator_and_goal() -> None:
    model = model_from(BASE + """
kpi quality "Качество лидов" { indicator conversion goal 20 }
role rep "Менеджер" {
  kpi quality weight 0.5 bonus 1000
  kpi quality weight 0.5 target 25 bonus 1000
}
employee "A" role rep
""")
    results, _ = evaluate(model, facts(("2026Q1", None, "sales", 500), ("2026Q1", None, "leads", 20)))
    first, second = person(results, "2026Q1", "A").kpis
    assert first.title == "Качество лидов" and first.fact == D(25) and first.unit == "percent"
    assert first.target == D(20) and first.attainment == D("1.25")  # the card's goal is the default
    assert second.target == D(25) and second.attainment == D(1)  # the line's target wins


def test_scheme_functions_scale_if_min_max_abs_round() -> None:
    model = model_from(BASE + """
scheme stepped {
  capped = min(attainment, 1.2, max(fact, 0))
  index = scale capped { below 80% -> 0  below 100% -> 0.8  else -> 1 }
  bonus = round(plan_bonus * index, -1) + abs(if attainment > 1 then -5 else 5)
}
role rep "Менеджер" { scheme stepped kpi sales weight 1 target 100 bonus 1234 }
employee "A" role rep
""")
    table = facts(*[(f"2026Q{q}", None, "sales", v) for q, v in ((1, 79), (2, 80), (3, "99.999"), (4, 150))])
    results, _ = evaluate(model, table)
    got = [(kpi(results, f"2026Q{q}", "A", "sales").index, kpi(results, f"2026Q{q}", "A", "sales").bonus)
           for q in (1, 2, 3, 4)]
    # 1234 × 0.8 = 987.2 → 990 (round to tens) + |5|; at 150 % the cap 1.2 is above 100 % → index 1
    assert got == [(D(0), D("5.00")), (D("0.8"), D("995.00")), (D("0.8"), D("995.00")), (D(1), D("1235.00"))]


def test_prev_and_growth_need_the_adjacent_period() -> None:
    model = model_from(BASE + """
metric sales_growth "Рост продаж" = growth(sales) unit percent
metric sales_before = prev(sales)
role rep "Менеджер" { kpi sales_growth weight 1 target 10% bonus 100 }
employee "A" role rep
""")
    table = facts(("2025Q4", None, "sales", 100), ("2026Q1", None, "sales", 110), ("2026Q3", None, "sales", 150))
    results, diagnostics = evaluate(model, table)
    assert results.periods == ["2025Q4", "2026Q1", "2026Q3"]
    assert kpi(results, "2026Q1", "A", "sales_growth").fact == D("0.1")  # across the year boundary
    q3 = kpi(results, "2026Q3", "A", "sales_growth")
    assert q3.status == "no_data" and q3.previous_fact is None  # 2026Q2 is missing, so is its growth
    assert any("previous period 2026Q2, which is not in the data" in d.message and "2026Q3" in d.message
               for d in diagnostics if d.code == "E020")
    before = {m.period: m.value for m in results.metrics if m.name == "sales_before"}
    assert before == {"2025Q4": None, "2026Q1": D(100), "2026Q3": None}


def test_month_periods() -> None:
    model = model_from(BASE.replace("period quarter", "period month") + """
metric sales_growth = growth(sales)
role rep "Менеджер" { kpi sales_growth weight 1 target 10% bonus 100 }
employee "A" role rep
""")
    results, _ = evaluate(model, facts(("2025-12", None, "sales", 200), ("2026-01", None, "sales", 250)))
    assert kpi(results, "2026-01", "A", "sales_growth").fact == D("0.25")


def test_roster_rows_unknown_roles_and_conflicts() -> None:
    model = model_from(BASE + """
role rep "Менеджер" { kpi sales weight 1 target 100 bonus 1000 }
employee "A" role rep
""")
    table = facts(("2026Q1", None, "sales", 100), roster=[("B", "rep"), ("C", "ghost"), ("A", "boss")])
    results, diagnostics = run(model, table, EvalOptions())
    assert results is not None
    assert [r.employee for r in results.results] == ["B"]  # A's later row names an unknown role too
    e001 = [d for d in diagnostics if d.code == "E001"]
    assert len(e001) == 2 and all(d.is_error for d in e001)
    [ghost] = [d for d in e001 if "C has role `ghost`" in d.message]
    assert str(ghost.location) == "roster.csv:3:role"
    assert any(d.code == "E002" and "`rep`" in d.message and "`boss`" in d.message for d in diagnostics)


def test_bad_fact_rows_are_reported_and_skipped() -> None:
    model = model_from(BASE + """
role rep "Менеджер" { kpi sales weight 1 target 100 bonus 1000 }
employee "A" role rep
""")
    table = facts(("2026-03", None, "sales", 100), ("2026Q1", None, "sales", 100), ("2026Q1", None, "sales", 90),
                  ("2026Q1", None, "leads", 5), ("2026Q1", None, "leads", 5), ("2026Q1", "Z", "sales", 1),
                  ("2026Q2", None, "spend", D(10) ** 26))
    results, diagnostics = run(model, table, EvalOptions())
    assert results is not None and results.periods == ["2026Q1"]
    assert codes(diagnostics).count("E004") == 1 and codes(diagnostics).count("E006") == 1
    assert codes(diagnostics).count("E003") == 1 and codes(diagnostics).count("E005") == 1
    assert kpi(results, "2026Q1", "A", "sales").fact == D(100)  # the first of the conflicting rows
    [dup] = [d for d in diagnostics if d.code == "E006"]
    assert str(dup.location) == "test.csv:4:value" and "test.csv:3:value" in dup.message


def test_filters_that_match_nothing_are_errors() -> None:
    model = model_from(BASE + "role rep \"R\" { kpi sales weight 1 target 1 bonus 1 }\nemployee \"A\" role rep\n")
    results, diagnostics = run(model, facts(("2026Q1", None, "sales", 1)), EvalOptions(period="2027Q1", employee="Z"))
    assert {"E010", "E011"} <= set(codes(diagnostics))
    assert results is not None and results.results == []


def test_too_large_divisor_and_overflow() -> None:
    model = model_from(BASE + """
metric huge = sales * sales
role rep "Менеджер" { kpi conversion weight 1 target 1 bonus 100 }
employee "A" role rep
""")
    results, diagnostics = run(model, facts(("2026Q1", None, "sales", 1), ("2026Q1", None, "leads", D(10) ** 13)),
                               EvalOptions())
    assert results is not None and kpi(results, "2026Q1", "A", "conversion").status == "no_data"
    assert any(d.code == "E022" and "10^13" in d.message for d in diagnostics)
    results, diagnostics = run(model, facts(("2026Q1", None, "sales", D(10) ** 14)), EvalOptions())
    assert results is None and [d.code for d in diagnostics if d.is_error] == ["E040"]


def test_exact_half_kopeck_rounding() -> None:
    model = model_from(BASE + """
scheme half { index = weight * attainment  bonus = plan_bonus * 0.5 }
role rep "Менеджер" { scheme half kpi sales weight 1 target 1 bonus 1000.01 }
employee "A" role rep
""")
    results, _ = evaluate(model, facts(("2026Q1", None, "sales", 1)))
    assert kpi(results, "2026Q1", "A", "sales").bonus == D("500.01")  # 500.005 → half away from zero


def test_quotes_and_semicolons_in_names_cannot_inject() -> None:
    evil_fact = 'x"; DROP TABLE kpidsl_facts; --'
    evil_metric = "it's; SELECT 1; --"
    evil_role = "r'); DELETE FROM kpidsl_roster; --"
    evil_person = 'O\'Brien"; --'
    span = Span("evil.kpi", 1, 1)

    def name(text: str) -> ast.Name:
        return ast.Name(text, span)

    model = Model(file="evil.kpi")
    model.values[evil_fact] = ast.Fact(evil_fact, "Evil", None, None, None, None, span)
    doubled = ast.Binary("*", name(evil_fact), ast.Number(D(2), "2", span), span)
    model.values[evil_metric] = ast.Metric(evil_metric, None, doubled, None, None, None, span)
    line = ast.KpiLine(ast.Ident(evil_metric, span), ast.Number(D(1), "1", span), None, ast.Number(D(10), "10", span),
                       ast.Number(D(100), "100", span), (), (), span)
    model.roles[evil_role] = ast.Role(evil_role, None, None, (), (), (line,), span)
    model.employees.append(ast.Employee(evil_person, ast.Ident(evil_role, span), span))
    results, _ = evaluate(model, facts(("2026Q1", None, evil_fact, 5), ("2026Q1", evil_person, "other", 1)))
    got = kpi(results, "2026Q1", evil_person, evil_metric)
    assert (got.fact, got.attainment, got.bonus) == (D(10), D(1), D("100.00"))


def test_results_numbers_are_decimals_with_twelve_digits() -> None:
    model = model_from(BASE + 'role rep "R" { kpi conversion weight 1 target 3 bonus 100 }\nemployee "A" role rep\n')
    results, _ = evaluate(model, facts(("2026Q1", None, "sales", 1), ("2026Q1", None, "leads", 3)))
    got = kpi(results, "2026Q1", "A", "conversion")
    assert got.fact == D("0.333333333333") and got.attainment == fp.py_div(D("0.333333333333"), D(3))
    assert isinstance(got.bonus, D) and got.bonus == D("11.11")


# ------------------------------------------------------------------ constants: exact, rounded once

CONSTANTS = BASE + """
param third = 1 / 3
goal revenue_goal = 10_000_000
goal pipeline_goal = revenue_goal / third
goal stretch = pipeline_goal * 1.1 - third * 3
"""


def test_constant_arithmetic_is_exact() -> None:
    model = model_from(CONSTANTS + """
role rep "Менеджер" {
  kpi sales weight 0.5 target (1 / 3) * 3 bonus 100
  kpi leads weight 0.5 target max(third, 0.3) * 3 + abs(-third) * 3 + round(third * 3, 0) * min(1, third * 3) bonus 100
}
employee "A" role rep
""")
    results, _ = evaluate(model, facts(("2026Q1", None, "sales", 1), ("2026Q1", None, "leads", 3)))
    sales = kpi(results, "2026Q1", "A", "sales")
    assert sales.target == D(1) and sales.attainment == D(1) and sales.status == "met"  # not 0.999999999999
    # 1 + 1 + 1 × 1, every step exact (rounding each step would give 2.999999999997)
    leads = kpi(results, "2026Q1", "A", "leads")
    assert leads.target == D(3) and leads.attainment == D(1)


def test_goal_chains_cascade_exactly() -> None:
    model = model_from(CONSTANTS + """
kpi pipeline "Воронка" { indicator spend goal pipeline_goal }
role rep "Менеджер" {
  kpi pipeline weight 0.5 bonus 100
  kpi leads weight 0.5 target stretch bonus 100
}
employee "A" role rep
""")
    results, _ = evaluate(model, facts(("2026Q1", None, "spend", 31_500_000), ("2026Q1", None, "leads", 32_999_999)))
    pipeline = kpi(results, "2026Q1", "A", "pipeline")
    assert pipeline.target == D(30_000_000) and pipeline.attainment == D("1.05")  # the card's goal, exactly
    assert kpi(results, "2026Q1", "A", "leads").target == D(32_999_999)  # 30 M × 1.1 − (1/3) × 3
    # a goal is reported rounded once: the values the plan carries for each constant
    sql = compile_model(model).statements["values"].sql(dialect="duckdb")
    for name, shown in (("third", "0.333333333333"), ("pipeline_goal", "30000000"), ("stretch", "32999999")):
        assert f"CAST('{shown}' AS DECIMAL(38, 12)) AS \"{name}\"" in sql


def test_a_constant_meeting_data_is_rounded_once_there() -> None:
    model = model_from(CONSTANTS + """
metric two_thirds_of_sales = sales * (third + third)
metric all_of_sales = sales * (third * 3)
metric data_first = sales * 2 / 3
role rep "Менеджер" { kpi sales weight third target 1 bonus 300 }
employee "A" role rep
""")
    results, _ = evaluate(model, facts(("2026Q1", None, "sales", 3)))
    value = {m.name: m.value for m in results.metrics}
    # 1/3 + 1/3 = 2/3 exactly, rounded once to 0.666666666667 where it meets `sales`
    # (rounding each third first would give 3 × 0.666666666666 = 1.999999999998)
    assert value["two_thirds_of_sales"] == D("2.000000000001")
    assert value["all_of_sales"] == D(3)  # (1/3) × 3 is exactly 1
    assert value["data_first"] == D(2)  # data arithmetic keeps the per-operation rule: 6 / 3
    sales = kpi(results, "2026Q1", "A", "sales")
    assert sales.weight == D("0.333333333333")  # the weight as reported and as multiplied
    assert sales.index == fp.py_mul(D("0.333333333333"), D(3)) == D("0.999999999999")


def test_constant_division_by_zero_has_no_value() -> None:
    model = model_from(CONSTANTS + """
param nothing = 1 - third * 3
param zero = 0
metric per_nothing = sales / nothing
role rep "Менеджер" {
  kpi sales weight 0.5 target 100 / zero bonus 100
  kpi leads weight 0.5 target 100 / nothing bonus 100
}
employee "A" role rep
""")
    results, diagnostics = evaluate(model, facts(("2026Q1", None, "sales", 5), ("2026Q1", None, "leads", 5)))
    for name in ("sales", "leads"):  # 1 − (1/3) × 3 is exactly 0, not 0.000000000001
        got = kpi(results, "2026Q1", "A", name)
        assert (got.target, got.attainment, got.status, got.bonus) == (None, None, "no_data", D("0.00"))
    assert person(results, "2026Q1", "A").bonus == D("0.00")
    assert [m.value for m in results.metrics if m.name == "per_nothing"] == [None]
    assert any(d.code == "E021" and "`zero` is 0" in d.message and "`100 / zero`" in d.message for d in diagnostics)


def test_exact_zero_constant_divisor_is_named_as_zero() -> None:
    model = model_from(CONSTANTS + """
param nothing = 1 - third * 3
role rep "Менеджер" { kpi sales weight 1 target 100 / nothing bonus 100 }
employee "A" role rep
""")
    _, diagnostics = evaluate(model, facts(("2026Q1", None, "sales", 5)))
    assert [d.code for d in diagnostics] == ["E021"] and "`nothing` is 0" in diagnostics[0].message


def test_absurd_constant_is_an_error_not_a_hang() -> None:
    model = model_from(BASE + """
goal huge = 99999999999999999999999999 * 99999999999999999999999999 * 99999999999999999999999999
role rep "Менеджер" { kpi sales weight 1 target 1 bonus 100 }
employee "A" role rep
""")
    results, diagnostics = run(model, facts(("2026Q1", None, "sales", 1)), EvalOptions())
    assert results is None and [d.code for d in diagnostics] == ["E030"]
    assert "beyond exact arithmetic" in diagnostics[0].message


def test_results_only_keeps_every_value_the_results_read() -> None:
    from kpidsl.engine.session import results_only

    model = model_from(BASE + """
fact spare "Запас"
fact weight_fact "Вес"
param bar = 5
metric unused = spare / sales
scheme tilted "Со сдвигом" {
  index = weight * attainment
  bonus = plan_bonus * (1 + index - weight) + weight_fact
}
role rep "Менеджер" {
  scheme tilted
  kpi conversion weight 1 target 10% bonus 100
    require spend > bar
}
employee "A" role rep
rule cheap "Дешёвые лиды" { when cost < 20  level info  message "Дёшево" }
""")
    kept = set(results_only(model).values)
    assert {"conversion", "sales", "leads", "spend", "cost", "bar", "weight_fact"} <= kept
    assert "unused" not in kept and "spare" not in kept
    table = facts(("2026Q1", None, "sales", 3), ("2026Q1", None, "leads", 10), ("2026Q1", None, "spend", 100),
                  ("2026Q1", None, "spare", 1), ("2026Q1", None, "weight_fact", 2))
    full, _ = run(model, table, EvalOptions())
    lean, _ = run(model, table, EvalOptions(metrics=False))
    assert full is not None and lean is not None
    assert full.results == lean.results and full.findings == lean.findings
    assert full.results[0].bonus == D("302.00")  # 100 × (1 + 3 − 1) + weight_fact
    assert {m.name for m in full.metrics} > {m.name for m in lean.metrics}  # only the metrics table is leaner


def test_memory_limit_and_threads_reach_duckdb() -> None:
    from kpidsl.engine.session import start

    model = model_from(BASE + 'role rep "Менеджер" { kpi sales weight 1 target 10 bonus 100 }\nemployee "A" role rep\n')
    session, _ = start(model, facts(("2026Q1", None, "sales", 5)), EvalOptions(memory_limit="300MB", threads=1))
    assert session is not None
    with session:
        limit, threads, folder = session.connection.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
        ).fetchall()[0]
        assert limit.startswith("286") and threads == 1 and "kpidsl-spill-" in folder  # 300 MB = 286 MiB
        spill = session.spill
        assert spill is not None and not os.path.exists(spill)  # created only if DuckDB spills
        os.makedirs(spill)  # as if it had
    assert not os.path.exists(spill)  # removed when the session closes
