"""What the reports say: the generated analysis text and the view-model templates read.

`build_context` turns a `Results` into plain objects for one period: every value
both raw (`Val.value`, a Decimal) and formatted for the locale (`Val.text`), the
analysis sentence of each KPI (met or missed, by how much in its unit and as a share
of plan, direction-aware for lower-is-better KPIs, the trend against the previous
period, gate and no-data explanations), the employee statement's plain-words
arithmetic (its texts are `kpidsl.output.statement`'s), and the dashboard's charts.
Templates only lay these out; all wording comes from the message catalogue
(`kpidsl.output.i18n`).  docs/reports.md documents the context for consultants' own
templates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from kpidsl.base.statuses import STATUSES as STATUSES  # re-exported: the report lists them in this order
from kpidsl.data.periods import ordinal, previous
from kpidsl.output.i18n import Formatter
from kpidsl.output.statement import explain, line_schemes, method, q12
from kpidsl.results.model import EmployeeResult, Formula, Gate, KpiResult, MetricValue, Results, SchemeText

REPORTS = ("analytical", "dashboard", "bonus", "statement")  # the order of `report="all"`


@dataclass(frozen=True)
class Val:
    """A number with its locale text; prints as the text."""

    value: Decimal | None
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class GateView:
    condition: str
    passed: bool | None
    scope: str
    text: str  # "условие качества «…» не выполнено"


@dataclass(frozen=True)
class KpiView:
    kpi: str
    title: str
    unit: str | None
    better: str
    kind: str
    status: str
    status_label: str
    weight: Val
    baseline: Val
    target: Val
    fact: Val
    previous: Val
    attainment: Val  # as a percentage
    index: Val
    index_plan: Val
    deviation: Val
    plan_bonus: Val
    bonus: Val
    gates: list[GateView]
    actions: list[str]
    problems: list[str]
    analysis: str  # the analytical report's analysis cell
    explanation: str  # the employee statement's sentence


@dataclass(frozen=True)
class EmployeeView:
    employee: str
    role: str
    role_title: str
    period: str
    period_label: str
    kpis: list[KpiView]
    plan_bonus: Val
    bonus: Val
    delta: Val  # bonus − plan, signed
    share: Val  # bonus / plan as a percentage
    gates: list[GateView]  # role-level quality conditions
    role_gate_failed: bool
    counts: dict[str, int]  # KPIs per status
    summary: str  # the statement's first sentence
    method: str  # how the role's scheme computes the bonus (output/statement.py), or ""
    total_formula: str  # "5 500,00 + … = 31 360,00 ₽"
    index: Val  # the total index (Σ of the KPIs' indices), "—" when unknown
    index_plan: Val  # the sum of the weights
    index_deviation: Val  # index − index_plan, signed
    index_line: str  # the statement's sentence on the total index, or ""
    money: bool  # the plan pays money (else it reads as its total index alone)
    version: str = ""  # "версия с 1 июля 2026 г." when a later version of the role paid the period


@dataclass(frozen=True)
class RoleGroup:
    role: str
    role_title: str
    employees: list[EmployeeView]


@dataclass(frozen=True)
class FindingView:
    rule: str
    title: str
    level: str
    level_label: str
    message: str
    actions: list[str]
    period: str
    period_label: str


@dataclass(frozen=True)
class MetricRow:
    name: str
    title: str
    kind: str
    unit: str | None
    better: str
    value: Val
    previous: Val
    change: Val  # signed, in the metric's unit (percentage points for percents)
    assessment: str  # "better" | "worse" | "same" | "" (no comparison)
    assessment_label: str


@dataclass(frozen=True)
class Diagnosis:
    process: list[MetricRow]  # metrics for diagnosis
    results: list[MetricRow]  # result indicators for evaluation


@dataclass(frozen=True)
class PeriodView:
    key: str
    label: str


@dataclass(frozen=True)
class Document:
    title: str  # the ruleset's title
    heading: str  # the report's title, or the document's when it holds several reports
    lang: str
    locale: str
    currency: str
    period: str
    period_label: str
    period_range: str
    previous_period: str
    previous_label: str
    periods: list[PeriodView]
    reports: list[str]
    edition: str = ""  # a plan with versions: the edition that paid the period (language/versions.py)


@dataclass
class Context:
    """Everything a report template can read (see docs/reports.md)."""

    doc: Document
    t: Callable[..., str]
    findings: list[FindingView]
    groups: list[RoleGroup]
    employees: list[EmployeeView]
    diagnosis: Diagnosis
    totals: dict[str, Val]
    statuses: list[tuple[str, str]]
    money: bool = True  # some employee's plan pays money (else the reports show coefficients only)
    dashboard: Any = None  # kpidsl.charts.Dashboard (render_report builds it)
    results: Results | None = None
    fmt: dict[str, Callable[..., str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def choose_period(results: Results, period: str | None) -> str:
    """The report's period: the one asked for, else the latest period that has results."""
    evaluated = {r.period for r in results.results}
    if period is not None:
        if period not in evaluated and period not in results.periods:
            known = sorted(evaluated | set(results.periods), key=ordinal)
            raise ValueError(f"no results for period {period!r}; available: {', '.join(known) or 'none'}")
        return period
    if evaluated:
        return max(evaluated, key=ordinal)
    return results.periods[-1] if results.periods else ""


def all_periods(results: Results) -> list[str]:
    """Every period of the data and of the results, oldest first."""
    return sorted(set(results.periods) | {r.period for r in results.results}, key=ordinal)


def build_context(results: Results, f: Formatter, period: str, reports: list[str]) -> Context:
    prev_key = previous(period) if period else ""
    heading = f.t(f"report.{reports[0]}.title") if len(reports) == 1 else f.t("document.title")
    doc = Document(results.ruleset, heading, f.lang, str(f.babel), results.currency, period, f.period(period),
                   f.period_range(period), prev_key, f.period(prev_key) if prev_key else "",
                   [PeriodView(p, f.period(p)) for p in all_periods(results)], list(reports),
                   edition_text(results, f, period))
    employees = [employee_view(r, f, results.minor_digits, results.schemes, results.payouts)
                 for r in results.for_period(period)]
    groups: dict[str, RoleGroup] = {}  # in the order roles first appear
    for view in employees:
        groups.setdefault(view.role, RoleGroup(view.role, view.role_title, [])).employees.append(view)
    findings = [FindingView(x.rule, x.title, x.level, _label(f, "level", x.level), x.message, list(x.actions),
                            x.period, f.period(x.period))
                for x in results.findings if x.period == period]
    money = any(e.money for e in employees) or not employees
    plan = sum((e.plan_bonus.value or Decimal(0) for e in employees), Decimal(0))
    actual = sum((e.bonus.value or Decimal(0) for e in employees), Decimal(0))
    totals = {"plan_bonus": Val(plan, f.money(plan)), "bonus": Val(actual, f.money(actual)),
              "delta": Val(actual - plan, _signed_money(f, actual - plan)),
              "share": _share(f, actual, plan)}
    return Context(
        doc=doc, t=f.t, findings=findings, groups=list(groups.values()), employees=employees,
        diagnosis=diagnosis(results, f, period), totals=totals, money=money,
        statuses=[(s, f.t(f"status.{s}")) for s in STATUSES], results=results,
        fmt={"money": f.money, "percent": f.percent, "number": f.number, "value": f.value,
             "period": f.period})


def edition_text(results: Results, f: Formatter, period: str) -> str:
    """The plan's edition of `period` in words, "" for a plan without versions."""
    if period not in results.editions:
        return ""
    day = results.editions[period]
    return f.t("document.edition", date=f.day(day)) if day else f.t("document.edition_first")


def _label(f: Formatter, group: str, key: str) -> str:
    return f.t(f"{group}.{key}") if f.has(f"{group}.{key}") else key


def _val(f: Formatter, value: Decimal | None, unit: str | None) -> Val:
    return Val(value, f.value(value, unit))


def _signed_money(f: Formatter, value: Decimal) -> str:
    text = f.money(abs(value))
    return text if value == 0 else ("+" if value > 0 else "\u2212") + text


def _share(f: Formatter, part: Decimal, whole: Decimal) -> Val:
    if whole == 0:
        return Val(None, f.t("value.none"))
    ratio = part / whole
    return Val(ratio, f.percent(ratio))


def _short(f: Formatter, title: str) -> str:
    """`CPS — стоимость продажи` → `CPS`; titles without an abbreviation → "Факт"."""
    head, sep, _ = title.partition(" — ")
    return head if sep and len(head) <= 12 else f.t("analysis.fact_word")


# ------------------------------------------------------------------ one KPI


def gate_view(g: Gate, f: Formatter) -> GateView:
    state = "passed" if g.passed else "failed" if g.passed is False else "unknown"
    return GateView(g.condition, g.passed, g.scope, f.t(f"gate.{state}", condition=g.condition))


def analyse(k: KpiResult, f: Formatter, prev_label: str) -> str:
    """The analysis cell: how the fact compares with plan and with the previous period."""
    parts: list[str] = []
    if k.fact is None or k.target is None:
        parts.append(f.t("analysis.no_data", problems="; ".join(k.problems) or f.t("analysis.no_data_generic")))
    else:
        parts.append(_versus_plan(k, f))
        if k.previous_fact is not None and prev_label:
            parts.append(_trend(k.fact, k.previous_fact, k.unit, k.better, f, prev_label))
    for g in k.gates:
        if g.passed is not True:
            parts.append(f.t("analysis.gate_failed" if g.passed is False else "analysis.gate_unknown",
                             condition=g.condition))
    return " ".join(parts)


def _versus_plan(k: KpiResult, f: Formatter) -> str:
    assert k.fact is not None and k.target is not None
    gap = k.fact - k.target
    name, fact = _short(f, k.title), f.value(k.fact, k.unit)
    if q12(gap) == 0:
        return f.t("analysis.on_plan", name=name, fact=fact)
    better = (gap > 0) == (k.better == "higher")
    pct = f.percent(abs(gap) / abs(k.target)) if k.target != 0 else ""
    key = "analysis.above" if gap > 0 else "analysis.below"
    return f.t(key if pct else key + "_nopct", name=name, fact=fact, diff=f.difference(abs(gap), k.unit), pct=pct,
               verdict=f.t("analysis.better" if better else "analysis.worse"))


def _trend(now: Decimal, before: Decimal, unit: str | None, better: str, f: Formatter, prev_label: str) -> str:
    change = now - before
    if q12(change) == 0:
        return f.t("analysis.trend_same", period=prev_label, previous=f.value(before, unit))
    improved = (change > 0) == (better == "higher")
    return f.t("analysis.trend_up" if change > 0 else "analysis.trend_down", period=prev_label,
               diff=f.difference(abs(change), unit), previous=f.value(before, unit),
               verdict=f.t("analysis.improved" if improved else "analysis.worsened"))


def kpi_view(k: KpiResult, f: Formatter, prev_label: str, minor_digits: int,
             scheme: SchemeText | None = None, money: bool = True) -> KpiView:
    return KpiView(
        kpi=k.kpi, title=k.title, unit=k.unit, better=k.better, kind=k.kind, status=k.status,
        status_label=f.t(f"status.{k.status}"),
        weight=Val(k.weight, f.number(k.weight, 4)),
        baseline=_val(f, k.baseline, k.unit), target=_val(f, k.target, k.unit), fact=_val(f, k.fact, k.unit),
        previous=_val(f, k.previous_fact, k.unit),
        attainment=Val(k.attainment, f.percent(k.attainment)),
        index=Val(k.index, f.fixed(k.index, 3)),
        index_plan=Val(k.index_plan, f.number(k.index_plan, 4)),
        deviation=Val(k.deviation, f.signed(k.deviation, 3)),
        plan_bonus=Val(k.plan_bonus, f.money(k.plan_bonus)), bonus=Val(k.bonus, f.money(k.bonus)),
        gates=[gate_view(g, f) for g in k.gates], actions=list(k.actions), problems=list(k.problems),
        analysis=analyse(k, f, prev_label), explanation=explain(k, f, minor_digits, scheme, money))


def employee_view(r: EmployeeResult, f: Formatter, minor_digits: int,
                  schemes: Mapping[tuple[str, str], SchemeText] | None = None,
                  payouts: Mapping[str, tuple[Formula, ...]] | None = None) -> EmployeeView:
    """`schemes`: (role, KPI) → the scheme that scored the line (`Results.schemes`);
    `payouts`: role → its payout's formulas (`Results.payouts`)."""
    prev_label = f.period(previous(r.period))
    scored_by = line_schemes(r, schemes or {})
    money = r.pays_money  # else a plan of coefficients only: no sums of 0,00
    # with a payout, the lines speak of money only if they have some of their own
    line_money = money if r.payout is None else bool(r.lines_bonus or r.lines_plan_bonus)
    kpis = [kpi_view(k, f, prev_label, minor_digits, scored_by[i] if scored_by else None, line_money)
            for i, k in enumerate(r.kpis)]
    if money and not line_money:  # the payout pays: the lines' money cells stay empty, not 0,00
        kpis = [replace(k, plan_bonus=Val(None, ""), bonus=Val(None, "")) for k in kpis]
    counts = {s: sum(1 for k in r.kpis if k.status == s) for s in STATUSES}
    gates = [gate_view(g, f) for g in r.gates]
    role_gate_failed = any(g.passed is not True for g in r.gates)
    share = _share(f, r.bonus, r.plan_bonus)
    if not r.kpis:
        summary = f.t("statement.no_kpis", role=r.role_title)
    elif not money:
        summary = f.t("statement.summary_index", period=f.period(r.period),
                      index=f.percent(r.index, 2) if r.index is not None else f.t("value.none"),
                      plan=f.percent(r.index_plan, 2))
    else:
        summary = f.t("statement.summary", period=f.period(r.period), bonus=f.money(r.bonus),
                      plan=f.money(r.plan_bonus), delta=_signed_money(f, r.bonus - r.plan_bonus),
                      share=share.text or f.t("value.none"))
    total_formula = ""
    status = r.payout
    payout = (payouts or {}).get(r.plan_role)
    if status is not None and payout is not None:  # the role's formula pays, not the sum of the lines
        formula = next((x.text for x in reversed(payout) if x.name == "bonus"), "")
        key = {"paid": "statement.payout_paid", "gated": "statement.payout_gated",
               "no_data": "statement.payout_no_data"}[status]
        total_formula = f.t(key, formula=formula, bonus=f.money(r.bonus),
                            index=f.percent(r.index, 2) if r.index is not None else f.t("value.none"),
                            plan=f.money(r.plan_bonus))
    elif len(r.kpis) > 1 and money:
        total_formula = f.t("statement.total", terms=" + ".join(f.amount(k.bonus, whole=False) for k in r.kpis),
                            total=f.money(r.bonus))
    deviation = None if r.index is None else r.index - r.index_plan
    index_line = "" if not r.kpis else f.t(
        "statement.total_index", index=f.percent(r.index, 2) if r.index is not None else f.t("value.none"),
        plan=f.percent(r.index_plan, 2))
    return EmployeeView(
        index=Val(r.index, f.fixed(r.index, 3)), index_plan=Val(r.index_plan, f.number(r.index_plan, 4)),
        index_deviation=Val(deviation, f.signed(deviation, 3)), index_line=index_line if money else "", money=money,
        version=f.t("version.from", date=f.day(r.version)) if r.version else "",
        employee=r.employee, role=r.role, role_title=r.role_title, period=r.period, period_label=f.period(r.period),
        kpis=kpis, plan_bonus=Val(r.plan_bonus, f.money(r.plan_bonus)), bonus=Val(r.bonus, f.money(r.bonus)),
        delta=Val(r.bonus - r.plan_bonus, _signed_money(f, r.bonus - r.plan_bonus)), share=share,
        gates=gates, role_gate_failed=role_gate_failed, counts=counts, summary=summary,
        method=method(r, f, minor_digits, scored_by), total_formula=total_formula)


# ------------------------------------------------------------------ diagnosis


def diagnosis(results: Results, f: Formatter, period: str) -> Diagnosis:
    """Department-level metrics in `period` beside the previous period's values."""
    prev_key = previous(period) if period else ""
    before = {m.name: m for m in results.metrics if m.period == prev_key and m.employee is None}
    rows: dict[str, list[MetricRow]] = {"process": [], "result": []}
    for m in results.metrics:
        if m.period != period or m.employee is not None or m.kind not in rows:
            continue
        rows[m.kind].append(metric_row(m, before.get(m.name), f))
    return Diagnosis(rows["process"], rows["result"])


def metric_row(m: MetricValue, prev: MetricValue | None, f: Formatter) -> MetricRow:
    prev_value = prev.value if prev is not None else None
    change = Val(None, f.t("value.none"))
    assessment = ""
    if m.value is not None and prev_value is not None:
        delta = m.value - prev_value
        if q12(delta) == 0:
            assessment = "same"
            change = Val(Decimal(0), f.difference(Decimal(0), m.unit))
        else:
            assessment = "better" if (delta > 0) == (m.better == "higher") else "worse"
            change = Val(delta, ("+" if delta > 0 else "\u2212") + f.difference(abs(delta), m.unit))
    return MetricRow(m.name, m.title, m.kind, m.unit, m.better, _val(f, m.value, m.unit),
                     _val(f, prev_value, m.unit), change, assessment,
                     f.t(f"trend.{assessment}") if assessment else "")
