"""Hand-built inputs for the output stages (export, explain), independent of the engine.

`seed_results()` holds the methodology's worked example (seed 003, tables 3–4) for the
marketing manager in 2026Q3, with the engine's 12-digit decimals, plus a targetologist
whose lead KPI is gated and a PR manager with a KPI without data — the statuses the
outputs must show.  `seed_fact_table()` reads the seed's long-form CSV with the csv
module (not with kpidsl's loader) so explain can be tested on its own.
"""

from __future__ import annotations

import csv
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from kpidsl.base.diagnostics import DataLocation
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.results.model import EmployeeResult, Finding, Gate, KpiResult, MetricValue, Results

ROOT = Path(__file__).resolve().parents[1]
SEED_RULESET = ROOT / "rulesets" / "seed_marketing.kpi"
SEED_FACTS = ROOT / "rulesets" / "data" / "seed_marketing.csv"


def d12(text: str) -> Decimal:
    """A ratio as the engine keeps it: rounded half away from zero to 12 decimals."""
    return Decimal(text).quantize(Decimal("1e-12"), ROUND_HALF_UP)


def money(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


def kpi(name: str, title: str, *, weight: str, target: str, fact: str | None, plan: str, bonus: str,
        status: str, baseline: str | None = None, unit: str | None = "percent", better: str = "higher",
        gates: tuple[Gate, ...] = (), actions: tuple[str, ...] = (), problems: tuple[str, ...] = ()) -> KpiResult:
    w, t = Decimal(weight), Decimal(target)
    f = None if fact is None else Decimal(fact)
    attainment = None
    if f is not None and f != 0:
        attainment = d12(str((f / t) if better == "higher" else (t / f)))
    index = None if attainment is None else d12(str(w * attainment))
    return KpiResult(
        kpi=name, title=title, better=better, unit=unit, kind="result",  # type: ignore[arg-type]
        weight=w, baseline=None if baseline is None else Decimal(baseline), target=t, fact=f,
        attainment=attainment, index=index, index_plan=w,
        deviation=None if index is None else d12(str(index - w)),
        plan_bonus=money(plan), bonus=money(bonus), status=status,  # type: ignore[arg-type]
        gates=gates, actions=actions, problems=problems)


def manager_q3() -> EmployeeResult:
    kpis = (
        kpi("customer_growth", "Процент прироста клиентов", weight="0.2", baseline="0.03", target="0.1",
            fact="0.15", plan="5000", bonus="5500", status="met"),
        kpi("avg_check_growth", "Прирост среднего чека", weight="0.3", baseline="0.02", target="0.05",
            fact="0.07", plan="10000", bonus="11200", status="met"),
        kpi("positive_share", "Доля положительных отзывов", weight="0.2", baseline="0.7", target="0.75",
            fact="0.72", plan="5000", bonus="4960", status="missed",
            actions=("Разобрать негативные отзывы с отделом продаж и ответить на каждый",)),
        kpi("roas", "ROAS — окупаемость рекламных расходов", weight="0.3", baseline="15", target="20",
            fact="18", plan="10000", bonus="9700", status="missed", unit="ratio",
            actions=("Перераспределить бюджет в кампании с ROAS выше 20",)),
    )
    return EmployeeResult(period="2026Q3", employee="Смирнова Анна", role="marketing_manager",
                          role_title="Менеджер по маркетингу и рекламе", kpis=kpis,
                          plan_bonus=money("30000"), bonus=money("31360"))


def targetologist_q3() -> EmployeeResult:
    """A gated KPI (the lead count without enough closed deals), a lower-is-better one, and
    an employee name a spreadsheet would run as a formula (from a hostile roster)."""
    kpis = (
        kpi("leads", "Лиды", weight="0.2", target="350", fact="400", plan="4000", bonus="0", status="gated",
            unit="count", gates=(Gate("lead_close_rate >= 20%", False),)),
        kpi("cpl", "CPL — стоимость лида", weight="0.2", target="250", fact="267.5", plan="4000",
            bonus="3947.66", status="missed", unit="RUB", better="lower",
            actions=("Отключить кампании с CPL выше планового",)),
    )
    return EmployeeResult(period="2026Q3", employee="=HYPERLINK(\"http://x\")", role="targetologist",
                          role_title="Таргетолог", kpis=kpis, plan_bonus=money("8000"), bonus=money("3947.66"))


def pr_q3() -> EmployeeResult:
    kpis = (
        kpi("media_mentions", "Упоминания в СМИ", weight="1", target="40", fact=None, plan="4500", bonus="0",
            status="no_data", unit="count", problems=("no data for fact `media_mentions` in 2026Q3",)),
    )
    return EmployeeResult(period="2026Q3", employee="Соколова Елена", role="pr_manager",
                          role_title="PR-менеджер", kpis=kpis, plan_bonus=money("4500"), bonus=money("0"))


def seed_results(*employees: EmployeeResult) -> Results:
    return Results(
        ruleset="Отдел маркетинга — пример из методики", currency="RUB", locale="ru", period_kind="quarter",
        periods=["2026Q1", "2026Q2", "2026Q3"],
        results=list(employees) or [manager_q3()],
        findings=[Finding("unit_economics", "LTV должен быть минимум в 3 раза выше CAC", "critical", "2026Q3",
                          "Экономика не сходится: LTV меньше трёх CAC",
                          ("Пересмотреть каналы привлечения и программу удержания клиентов",))],
    )


def seed_fact_table(path: Path = SEED_FACTS, file: str | None = None) -> FactTable:
    """The seed CSV as fact rows; row numbers as a spreadsheet shows them (header = row 1)."""
    shown = file or str(path.relative_to(ROOT))
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, rec in enumerate(csv.DictReader(handle), start=2):
            text = rec["value"].strip()
            value = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
            rows.append(FactRow(rec["period"], rec["employee"] or None, rec["fact"], value,
                                DataLocation(shown, number, "value")))
    return FactTable(rows=rows, files=[shown])


def metric_values(results: Results, name: str, period: str, value: str) -> None:
    """Add one listed metric value to `results`, as the engine would."""
    results.metrics.append(MetricValue(name, name, period, None, Decimal(value), "result", None, "higher"))
