"""Test helpers for the engine: fact tables built directly, without the facts loader."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from kpidsl.api import EvalOptions
from kpidsl.base.diagnostics import DataLocation, Diagnostic
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.data.roster import RosterRow
from kpidsl.language.load import Model, load
from kpidsl.results.collect import run
from kpidsl.results.model import Results

ROOT = Path(__file__).resolve().parent.parent
SEED_RULESET = ROOT / "rulesets" / "seed_marketing.kpi"
SEED_FACTS = ROOT / "rulesets" / "data" / "seed_marketing.csv"

# Monthly data paid quarterly: each rollup (sum, last, avg), a metric of sums, growth.
ROLLED_UP = """
ruleset "Продажи" { currency RUB period month pay quarter }
fact deals "Сделки" per employee
fact leads "Лиды" per employee
fact customers "Клиенты" per employee rollup last
fact nps "NPS" unit percent rollup avg
metric conversion "Конверсия" = deals / leads unit percent
role sales "Менеджер" {
  kpi conversion weight 50% target 20% bonus 10000
  kpi customers  weight 25% target 10  bonus 5000
  kpi nps        weight 25% target 50% bonus 5000
  kpi deals_growth weight 0 target 10% bonus 0
}
metric deals_growth "Рост сделок" = growth(deals) unit percent
employee "Анна" role sales
"""

# Monthly data paid quarterly, a KPI on the year-to-date sum against the annual plan.
YEAR_TO_DATE = """
ruleset "Продажи" { currency RUB period month pay quarter }
fact revenue "Выручка" per employee unit RUB
metric ytd_revenue "Выручка с начала года" = ytd(revenue) unit RUB
goal annual "План на год" = 4_000_000
role sales "Менеджер" { kpi ytd_revenue weight 100% target annual bonus 10000 }
employee "Анна" role sales
"""

# A quarterly ruleset with a bonus role and a payout role, for dated assignments.
DATED_QUARTERLY = """
ruleset "Продажи" { currency RUB period quarter }
fact deals "Сделки" per employee
fact salary "Оклад" per employee
role sales "Менеджер по продажам" { kpi deals weight 100% target 10 bonus 1000 }
role matrix "Менеджер (матрица)" {
  kpi deals weight 100% target 10
  payout { bonus = salary * 20% * total }
}
"""


def number(text: str) -> Decimal:
    """`20%` is 0.20; `1_000` is 1000."""
    text = text.strip().replace("_", "")
    return Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)


def read_long_csv(path: Path = SEED_FACTS) -> FactTable:
    """A long-form facts CSV (period, employee, fact, value) as a FactTable."""
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for i, rec in enumerate(csv.DictReader(f), start=2):
            rows.append(FactRow(rec["period"], rec["employee"] or None, rec["fact"], number(rec["value"]),
                                DataLocation(str(path), i, "value")))
    return FactTable(rows=rows, files=[str(path)])


def facts(*rows: tuple[str, str | None, str, str | int | Decimal], roster: list[tuple[str, str]] = ()) -> FactTable:
    """FactTable from (period, employee, fact, value) tuples."""
    out = [FactRow(p, e, f, v if isinstance(v, Decimal) else number(str(v)), DataLocation("test.csv", i, "value"))
           for i, (p, e, f, v) in enumerate(rows, start=2)]
    people = [RosterRow(e, r, DataLocation("roster.csv", i, "role")) for i, (e, r) in enumerate(roster, start=2)]
    return FactTable(rows=out, roster=people, files=["test.csv"])


def model_from(text: str, name: str = "test.kpi") -> Model:
    model, diagnostics = load(str(ROOT / "tests" / name), text=text)
    errors = [d for d in diagnostics if d.is_error]
    assert model is not None and not errors, errors
    return model


def seed_model() -> Model:
    model, diagnostics = load(str(SEED_RULESET))
    assert model is not None and not any(d.is_error for d in diagnostics)
    return model


def evaluate(model: Model, table: FactTable, **options: object) -> tuple[Results, list[Diagnostic]]:
    results, diagnostics = run(model, table, EvalOptions(**options))  # type: ignore[arg-type]
    assert results is not None, diagnostics
    return results, diagnostics


def kpi(results: Results, period: str, employee: str, name: str):  # type: ignore[no-untyped-def]
    person = next(r for r in results.results if r.period == period and r.employee == employee)
    return next(k for k in person.kpis if k.kpi == name)


def person(results: Results, period: str, employee: str):  # type: ignore[no-untyped-def]
    return next(r for r in results.results if r.period == period and r.employee == employee)

# Plan versions by date: a param, a scheme with a payout, a KPI line and a role introduced
# in July change from 2026-07-01, over monthly data paid quarterly (language/versions.py).
VERSIONED = """
ruleset "Продажи" { currency RUB period month pay quarter }
fact revenue "Выручка" per employee unit RUB
fact calls "Звонки" per employee
fact salary "Оклад" per employee unit RUB rollup last
param quota "План выручки" = 900_000
param quota "План выручки" = 1_200_000 from 2026-07-01
scheme matrix "Матрица КПЭ" {
  index = weight * attainment
  payout { bonus = if total < 70% then 0 else salary * 25% * min(total, 150%) }
}
scheme matrix "Матрица КПЭ" from 2026-07-01 {
  index = weight * attainment
  payout { bonus = if total < 80% then 0 else salary * 30% * min(total, 120%) }
}
role sales "Менеджер" {
  scheme matrix
  kpi revenue weight 70% target quota
  kpi calls   weight 30% target 300
  kpi calls   weight 30% target 360 from 2026-07-01
}
role head "Руководитель" from 2026-07-01 { kpi revenue weight 100% target quota * 3 bonus 50_000 }
employee "Анна" role sales
employee "Борис" role head
"""
