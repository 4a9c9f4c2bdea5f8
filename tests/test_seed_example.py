"""The methodology's marketing department (rulesets/seed_marketing.kpi + its data), evaluated exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers_engine import evaluate, kpi, person, read_long_csv, seed_model

from kpidsl.engine import fixedpoint as fp

D = Decimal
MANAGER = "Смирнова Анна"
HEAD = "Иванов Пётр"
TARGETOLOGIST = "Орлов Дмитрий"
DESIGNER = "Петров Игорь"


@pytest.fixture(scope="module")
def seed():  # type: ignore[no-untyped-def]
    return evaluate(seed_model(), read_long_csv())


def test_marketing_manager_2026q3_matches_the_methodology(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    manager = person(results, "2026Q3", MANAGER)
    assert [k.kpi for k in manager.kpis] == ["customer_growth", "avg_check_growth", "positive_share", "roas"]
    assert [k.index for k in manager.kpis] == [D("0.3"), D("0.42"), D("0.192"), D("0.27")]
    assert [k.deviation for k in manager.kpis] == [D("0.1"), D("0.12"), D("-0.008"), D("-0.03")]
    assert [k.index_plan for k in manager.kpis] == [D("0.2"), D("0.3"), D("0.2"), D("0.3")]
    assert [k.bonus for k in manager.kpis] == [D("5500.00"), D("11200.00"), D("4960.00"), D("9700.00")]
    assert all(str(k.bonus).endswith(("00", "0")) and k.bonus.as_tuple().exponent == -2 for k in manager.kpis)
    assert manager.bonus == D("31360.00") and str(manager.bonus) == "31360.00"
    assert manager.plan_bonus == D("30000.00")


def test_marketing_manager_inputs_and_statuses(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    growth = kpi(results, "2026Q3", MANAGER, "customer_growth")
    assert (growth.fact, growth.target, growth.baseline, growth.attainment) == \
        (D("0.15"), D("0.1"), D("0.03"), D("1.5"))
    assert growth.previous_fact == fp.py_div(D(200) - D(194), D(194))  # Q2's growth, for the trend
    assert growth.title == "Процент прироста клиентов" and growth.unit == "percent" and growth.kind == "result"
    check = kpi(results, "2026Q3", MANAGER, "avg_check_growth")
    assert check.fact == D("0.07")  # 1 926 000 / 180 = 10 700 against 10 000
    assert [k.status for k in person(results, "2026Q3", MANAGER).kpis] == ["met", "met", "missed", "missed"]
    share = kpi(results, "2026Q3", MANAGER, "positive_share")
    assert share.actions == ("Разобрать негативные отзывы с отделом продаж и ответить на каждый",)
    assert growth.actions == ()


def test_first_quarter_growth_has_no_data_and_says_why(seed) -> None:  # type: ignore[no-untyped-def]
    results, diagnostics = seed
    growth = kpi(results, "2026Q1", MANAGER, "customer_growth")
    assert growth.status == "no_data" and growth.bonus == D("0.00") and growth.fact is None
    assert any("2025Q4" in p for p in growth.problems)
    found = [d for d in diagnostics if d.code == "E020" and "customer_growth" in d.message and "2026Q1" in d.message]
    assert len(found) == 1
    assert found[0].severity.value == "warning" and "2025Q4" in found[0].message and MANAGER in found[0].message
    assert found[0].location is not None and found[0].location.line == 91  # the KPI line in the ruleset
    # the other two KPIs of that quarter are still scored
    assert [k.status for k in person(results, "2026Q1", MANAGER).kpis][2:] == ["missed", "missed"]


def test_targetologist_leads_gated_by_close_rate(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    q2 = kpi(results, "2026Q2", TARGETOLOGIST, "leads")
    assert q2.gates[0].condition == "lead_close_rate >= 20%"
    assert q2.gates[0].passed is False  # 70 / 380 ≈ 18.4 %
    assert q2.status == "gated" and q2.bonus == D("0.00")
    assert q2.attainment == fp.py_div(D(380), D(350))  # still computed, for the report
    q3 = kpi(results, "2026Q3", TARGETOLOGIST, "leads")
    assert q3.gates[0].passed is True  # 80 / 400 = exactly 20 %
    assert q3.status == "met"
    assert q3.bonus == fp.money(D(4000) * (1 + fp.py_mul(D("0.2"), fp.py_div(D(400), D(350))) - D("0.2")), 2)


def test_lower_is_better_uses_target_over_fact(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    cpl = kpi(results, "2026Q3", TARGETOLOGIST, "cpl")  # 107 000 / 400 = 267.5 against 250
    assert cpl.better == "lower" and cpl.fact == D("267.5")
    assert cpl.attainment == fp.py_div(D(250), D("267.5"))
    assert cpl.status == "missed" and cpl.actions == ("Отключить кампании с CPL выше планового",)


def test_head_pipeline_target_cascades_from_goals(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    pipeline = kpi(results, "2026Q3", HEAD, "pipeline_value")
    # constants are exact: revenue_goal / win_rate = 10 000 000 / (1/3) is the methodology's 30 M,
    # not 10 000 000 / 0.333333333333 = 30 000 000.00003
    assert pipeline.target == D(30_000_000) and str(pipeline.target) == "30000000.000000000000"
    assert pipeline.fact == D(31_500_000)
    assert pipeline.attainment == D("1.05")
    assert pipeline.index == D("0.21") and pipeline.deviation == D("0.01")
    assert pipeline.bonus == D("10100.00") and pipeline.status == "met"
    assert [k.target for k in (kpi(results, p, HEAD, "pipeline_value") for p in ("2026Q1", "2026Q2"))] \
        == [D(30_000_000)] * 2


def test_explain_derives_the_pipeline_target_with_exact_constants(seed) -> None:  # type: ignore[no-untyped-def]
    from kpidsl.language.parse import parse
    from kpidsl.results.explain import explain
    from kpidsl.results.explain_values import Values

    results, _ = seed
    model, table = seed_model(), read_long_csv()
    lines = explain(model, results, table, HEAD, "2026Q3", "ru").render().splitlines()
    nbsp = "\N{NO-BREAK SPACE}"
    assert f"  target = revenue_goal / win_rate = 10{nbsp}000{nbsp}000 / 0,333333… = 30{nbsp}000{nbsp}000" in lines
    assert f"  attainment = fact / target = 31{nbsp}500{nbsp}000 / 30{nbsp}000{nbsp}000 = 1,05" in lines
    assert "    win_rate = 1 / 3 = 0,333333…" in lines  # a param on its own is shown rounded
    values = Values(model, results, table, HEAD)
    assert values.value("win_rate", "2026Q3") == D("0.333333333333")
    tree, _ = parse("metric m = revenue_goal / win_rate * 1.05 + (1 / 3) * 3", "t.kpi")
    assert tree is not None
    assert values.eval(tree.declarations[0].formula, "2026Q3", {}) == D(31_500_001)  # type: ignore[union-attr]


def test_loyalty_card_measures_nps_with_its_goal(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    loyalty = kpi(results, "2026Q3", HEAD, "loyalty")
    assert loyalty.title == "Оценка лояльности клиентов"
    assert loyalty.fact == D("0.8") and loyalty.target == D("0.8") and loyalty.attainment == D(1)
    assert loyalty.status == "met" and loyalty.bonus == D("5000.00")


def test_unit_economics_rule_fires_every_quarter(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    fired = [f for f in results.findings if f.rule == "unit_economics"]
    assert [f.period for f in fired] == ["2026Q1", "2026Q2", "2026Q3"]  # LTV ≈ 3 000 against 3 × CAC ≈ 60 000
    assert fired[0].level == "critical" and fired[0].message == "Экономика не сходится: LTV меньше трёх CAC"
    assert fired[0].actions == ("Пересмотреть каналы привлечения и программу удержания клиентов",)


def test_everyone_every_period(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    assert results.periods == ["2026Q1", "2026Q2", "2026Q3"]
    assert len(results.results) == 3 * 6
    designer = person(results, "2026Q3", DESIGNER)
    assert designer.kpis == () and designer.bonus == D("0.00")
    for r in results.results:
        assert r.bonus == sum((k.bonus for k in r.kpis), D("0.00"))
        assert r.plan_bonus == sum((k.plan_bonus for k in r.kpis), D("0.00"))


def test_metric_values_for_dynamics(seed) -> None:  # type: ignore[no-untyped-def]
    results, _ = seed
    roas = [m for m in results.metrics if m.name == "roas"]
    assert [(m.period, m.value) for m in roas] == [("2026Q1", fp.py_div(D(1_400_000), D(95_000))),
                                                  ("2026Q2", D(15)), ("2026Q3", D(18))]
    assert all(m.employee is None for m in results.metrics)  # all seed data is department level
    revenue = next(m for m in results.metrics if m.name == "revenue" and m.period == "2026Q3")
    assert revenue.kind == "fact" and revenue.unit == "RUB" and revenue.value == D(1_926_000)
    cpc = next(m for m in results.metrics if m.name == "cpc")
    assert cpc.kind == "process" and cpc.better == "lower"


def test_period_and_employee_filters(seed) -> None:  # type: ignore[no-untyped-def]
    results, diagnostics = evaluate(seed_model(), read_long_csv(), period="2026-Q3", employee=MANAGER)
    assert [(r.period, r.employee) for r in results.results] == [("2026Q3", MANAGER)]
    assert results.results[0].bonus == D("31360.00")
    assert {f.period for f in results.findings} == {"2026Q3"}
    assert results.periods == ["2026Q1", "2026Q2", "2026Q3"]  # dynamics stay available
    assert not any(d.code == "E020" for d in diagnostics)  # Q1's missing growth is not reported for Q3
