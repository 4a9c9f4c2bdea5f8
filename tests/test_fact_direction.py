"""A fact's direction: `fact cps "CPS" unit RUB better lower` (issue "Real compensation plans", item 7).

A KPI line on a `better lower` fact must score exactly like one on a `better lower`
metric that wraps the fact (`metric cps = cps_raw better lower`): the same attainment
(`target / fact`), index, bonus and status, through the facade on real files; the same
`kpis` statement in every SQL dialect; and the checker, the results' value table,
`explain` and the reports read the fact's direction as they read a metric's.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from kpidsl.api import check_file, evaluate, evaluate_with_facts
from kpidsl.base.diagnostics import Diagnostic
from kpidsl.cli.main import cli
from kpidsl.cli.sql import DIALECTS
from kpidsl.output.analysis import analyse
from kpidsl.output.i18n import Formatter
from kpidsl.results.explain import explain
from kpidsl.results.model import EmployeeResult

CTX = Context(prec=80, rounding=ROUND_HALF_UP)
HEADER = 'ruleset "Direction" { currency RUB period quarter locale en }\n'


def on_fact(line: str = "weight 1 target 5000 bonus 10000", better: str = " better lower") -> str:
    """The ruleset with the KPI on a fact that carries the direction itself."""
    return (HEADER + f'fact cps "CPS" unit RUB{better}\n'
            f'role head "Head" {{\n  kpi cps {line}\n}}\nemployee "Ivanov" role head\n')


def on_metric(line: str = "weight 1 target 5000 bonus 10000") -> str:
    """The same ruleset before facts had a direction: a wrapper metric carries it."""
    return (HEADER + 'fact cps_raw "CPS raw" unit RUB\nmetric cps "CPS" = cps_raw unit RUB better lower\n'
            f'role head "Head" {{\n  kpi cps {line}\n}}\nemployee "Ivanov" role head\n')


def run(tmp_path: Path, name: str, ruleset: str, fact_name: str, value: str) -> EmployeeResult:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "r.kpi").write_text(ruleset, encoding="utf-8")
    (folder / "f.csv").write_text(f"period,employee,fact,value\n2026Q3,Ivanov,{fact_name},{value}\n",
                                  encoding="utf-8")
    evaluation = evaluate(folder / "r.kpi", [folder / "f.csv"])
    assert evaluation.ok and evaluation.results is not None, evaluation.diagnostics
    (employee,) = evaluation.results.results
    return employee


# ------------------------------------------------------------------ scoring: the property

# besides the default scheme, one that reads attainment through a cap and a step
SCHEME = """scheme capped "Capped" {
  index = weight * min(attainment, 1.2)
  bonus = if attainment < 80% then 0 else plan_bonus * index
}
"""


def with_scheme(ruleset: str, scheme: str) -> str:
    head = 'role head "Head" {'
    return ruleset if not scheme else ruleset.replace(head, f"{scheme}{head}\n  scheme capped")


positive = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=4,
                       allow_nan=False, allow_infinity=False)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(fact=positive, target=positive, bonus=st.sampled_from(["10000", "3333", "0.01"]),
       scheme=st.sampled_from(["", SCHEME]))
def test_a_lower_is_better_fact_scores_like_a_wrapper_metric(tmp_path: Path, fact: Decimal, target: Decimal,
                                                             bonus: str, scheme: str) -> None:
    line = f"weight 1 target {target} bonus {bonus}"
    direct = run(tmp_path, "fact", with_scheme(on_fact(line), scheme), "cps", str(fact))
    wrapped = run(tmp_path, "metric", with_scheme(on_metric(line), scheme), "cps_raw", str(fact))
    (a,), (b,) = direct.kpis, wrapped.kpis
    assert a.better == b.better == "lower"
    assert a.attainment == b.attainment == (target / fact).quantize(Decimal("1e-12"), context=CTX)
    assert a.index == b.index and a.bonus == b.bonus and a.status == b.status and a.deviation == b.deviation
    assert direct.bonus == wrapped.bonus
    assert a == b  # every field: title, unit, kind, fact, target, problems …


def test_the_direction_is_what_changes_the_score(tmp_path: Path) -> None:
    lower = run(tmp_path, "lower", on_fact(), "cps", "4000").kpis[0]
    higher = run(tmp_path, "higher", on_fact(better=""), "cps", "4000").kpis[0]
    explicit = run(tmp_path, "explicit", on_fact(better=" better higher"), "cps", "4000").kpis[0]
    assert (lower.better, lower.attainment, lower.status, lower.bonus) == \
        ("lower", Decimal("1.25"), "met", Decimal("12500.00"))
    assert (higher.better, higher.attainment, higher.status, higher.bonus) == \
        ("higher", Decimal("0.8"), "missed", Decimal("8000.00"))
    assert explicit == higher


# ------------------------------------------------------------------ SQL in every dialect

TARGET = "5000000000000000"  # the target 5000 as the fixed-point division's scaled integer


def _kpis_statement(tmp_path: Path, ruleset: str, dialect: str) -> str:
    path = tmp_path / "sql.kpi"
    path.write_text(ruleset, encoding="utf-8")
    out = CliRunner().invoke(cli, ["sql", str(path), "--dialect", dialect])
    assert out.exit_code == 0, out.output
    parts = re.split(r"^-- (values|kpis|rules|metrics)\n", out.output, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))["kpis"].strip().rstrip(";")


def _target_in(statement: str, dialect: str) -> tuple[bool, bool]:
    """Is the target ever a dividend, ever a divisor, of the statement's divisions?"""
    divisions = list(sqlglot.parse_one(statement, read=dialect).find_all(exp.Div, exp.IntDiv))

    def has(node: exp.Expression) -> bool:
        return any(lit.this == TARGET for lit in node.find_all(exp.Literal))
    return any(has(d.this) for d in divisions), any(has(d.expression) for d in divisions)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_kpidsl_sql_divides_the_target_by_a_lower_is_better_fact(tmp_path: Path, dialect: str) -> None:
    lower = _kpis_statement(tmp_path, on_fact(), dialect)
    assert lower == _kpis_statement(tmp_path, on_metric(), dialect)  # the wrapper's statement, to the byte
    assert _target_in(lower, dialect) == (True, False)  # target / fact: the target is never a divisor
    higher = _kpis_statement(tmp_path, on_fact(better=""), dialect)
    assert higher != lower and _target_in(higher, dialect)[1]  # fact / target


# ------------------------------------------------------------------ the checker


def check_text(text: str) -> list[Diagnostic]:
    return check_file("r.kpi", text=text).diagnostics


def _codes(text: str) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in check_text(text)]


def test_a_zero_target_of_a_lower_is_better_fact_says_target_over_fact() -> None:
    (k042,) = [m for c, m in _codes(on_fact("weight 1 target 0 bonus 100")) if c == "K042"]
    assert "attainment (target / fact) would always be 0" in k042
    (higher,) = [m for c, m in _codes(on_fact("weight 1 target 0 bonus 100", better="")) if c == "K042"]
    assert "attainment (fact / target) would divide by zero" in higher


def test_the_target_against_the_baseline_follows_the_facts_direction() -> None:
    worse = [d for d in check_text(on_fact("weight 1 baseline 4000 target 5000 bonus 100"))
             if d.code == "K107"]
    assert [d.message for d in worse] == [
        "the target of `cps` (5000) is above its baseline (4000), but lower is better"]
    assert "declare the fact's direction (`better lower`)" in (worse[0].hint or "")
    assert not [c for c, _ in _codes(on_fact("weight 1 baseline 5000 target 4000 bonus 100")) if c == "K107"]
    below = [d for d in check_text(on_fact("weight 1 baseline 5000 target 4000 bonus 100", better=""))
             if d.code == "K107"]
    assert "declare the fact's direction" in (below[0].hint or "")


# ------------------------------------------------------------------ results, explain, reports


def test_the_value_table_explain_and_analysis_read_the_facts_direction(tmp_path: Path) -> None:
    (tmp_path / "r.kpi").write_text(on_fact(), encoding="utf-8")
    (tmp_path / "f.csv").write_text("period,employee,fact,value\n2026Q2,Ivanov,cps,4500\n"
                                    "2026Q3,Ivanov,cps,4000\n", encoding="utf-8")
    traced = evaluate_with_facts(tmp_path / "r.kpi", [tmp_path / "f.csv"])
    results = traced.evaluation.results
    assert results is not None and traced.model is not None and traced.facts is not None
    assert {m.better for m in results.metrics if m.name == "cps"} == {"lower"}
    kpi = next(r for r in results.results if r.period == "2026Q3").kpis[0]
    shown = explain(traced.model, results, traced.facts, "Ivanov", "2026Q3", "en")
    steps = [s.text for s in shown.steps]
    assert "attainment = target / fact (better lower) = 5,000 / 4,000 = 1.25" in steps, steps
    text = analyse(kpi, Formatter("en", "RUB"), "2026Q2")
    wrapped = tmp_path / "m.kpi"
    wrapped.write_text(on_metric(), encoding="utf-8")
    (tmp_path / "g.csv").write_text((tmp_path / "f.csv").read_text(encoding="utf-8").replace(",cps,", ",cps_raw,"),
                                    encoding="utf-8")
    other = evaluate(wrapped, [tmp_path / "g.csv"]).results
    assert other is not None
    assert text == analyse(next(r for r in other.results if r.period == "2026Q3").kpis[0],
                           Formatter("en", "RUB"), "2026Q2")
