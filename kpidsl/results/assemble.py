"""Assemble: the plan's output rows → `Results`, and a diagnostic for every unknown.

Numbers arrive as exact `Decimal`s (ratios with 12 decimals, money with the
currency's minor digits; the engine fetches them as text); an employee's bonus is the sum of their rounded KPI
bonuses.  Every KPI with status `no_data`, every quality gate and rule that could
not be evaluated gets a warning naming the missing input (via `reasons.py`);
warnings that share a cause are grouped, listing the employees they affect.

The fact values `reasons.py` walks are loaded only when something is unknown, and
only for the department and the employees concerned (`FactSource`).  Bulk output
(`bulk.py`) explains the same unknowns through `explain_unknowns`, in the same
order, so both paths give the same warnings.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Literal

from kpidsl.base.diagnostics import Diagnostic, Span, warning
from kpidsl.data.factindex import FactIndex, FactValues
from kpidsl.data.facts import FactRow
from kpidsl.engine.plan import LinePlan, Plan, Variant
from kpidsl.engine.versions import editions
from kpidsl.language import ast
from kpidsl.language.builtins import SCHEME_INPUTS
from kpidsl.language.exprtext import expr_text
from kpidsl.language.levels import fact_levels
from kpidsl.language.load import Model
from kpidsl.results.model import (
    Better,
    EmployeeResult,
    Finding,
    Formula,
    Gate,
    KpiResult,
    MetricValue,
    Results,
    SchemeText,
)
from kpidsl.results.reasons import ROOT, Evaluator, Reason, Scope, kpi_scope

_HINTS = {
    "E020": "add the missing value to the facts file (period, employee, fact, value), or check the fact's name",
    "E021": "the result is unknown while the divisor is zero; check the data, or guard the formula with `if`",
    "E022": "values this large cannot be computed exactly; check the data's units",
}
_SHOWN_NAMES = 5

Fetched = dict[str, tuple[list[str], list[tuple[Any, ...]]]]
FactSource = Callable[[set[str]], FactIndex]  # the fact values of the department and these employees


def rows_source(rows: list[FactRow], periods: list[str], model: Model) -> FactSource:
    """A FactSource over fact rows in memory."""
    levels = fact_levels(model)
    return lambda employees: FactValues([r for r in rows if r.employee is None or r.employee in employees], periods,
                                        levels=levels)


class _Explainer:
    """Collects reasons and groups them into diagnostics: one per (subject, period, cause).

    The fact values are loaded on the first question, for the department and the
    employees in `needed`."""

    def __init__(self, plan: Plan, facts: FactSource, needed: set[str]) -> None:
        self._facts, self._needed = facts, needed
        self._evaluator: Evaluator | None = None
        self.groups: dict[tuple[str, str, str, str, str], list[str]] = defaultdict(list)
        self.spans: dict[tuple[str, str, str, str, str], tuple[Span | None, str]] = {}
        self.scopes: dict[int, Scope] = {}
        self.plan = plan

    @property
    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            self._evaluator = Evaluator(self.plan.model, self._facts(self._needed))
        return self._evaluator

    def scope(self, line: LinePlan) -> Scope:
        if line.id not in self.scopes:
            self.scopes[line.id] = kpi_scope(line.series, line.better, line.line, line.target_expr, line.scheme)
        return self.scopes[line.id]

    def _as(self, employee: str | None) -> str | None:
        """Who to evaluate as: an employee without rows of their own is the department."""
        return employee if self.evaluator.facts.has_own(employee) else None

    def reasons(self, e: ast.Expr | None, scope: Scope, period: str, employee: str | None) -> list[Reason]:
        return self.evaluator.why(e, scope, period, self._as(employee))

    def add(self, subject: str, code: str | None, period: str, employee: str | None, reasons: list[Reason],
            span: Span | None, tail: str = "") -> list[str]:
        """Record why `subject` is unknown in `period` (for `employee`, None: department level)."""
        for reason in reasons or [Reason("E020", "the value could not be computed")]:
            key = (subject, tail, code or reason.code, period, reason.text)
            if employee is not None:
                self.groups[key].append(employee)
            else:
                self.groups.setdefault(key, [])
            self.spans[key] = (span, reason.code)
        return [r.text for r in reasons]

    def diagnostics(self) -> list[Diagnostic]:
        out = []
        for (subject, tail, code, period, text), who in self.groups.items():
            span, cause = self.spans[(subject, tail, code, period, text)]
            names = ""
            if who:
                shown = ", ".join(who[:_SHOWN_NAMES])
                more = f" and {len(who) - _SHOWN_NAMES} more" if len(who) > _SHOWN_NAMES else ""
                names = f" (employees: {shown}{more})"
            out.append(warning(code, f"{subject} in {period}{tail}: {text}{names}", span, _HINTS.get(cause)))
        return out


def _wanted(period: str | None, employee: str | None) -> Callable[[str, str | None], bool]:
    def wanted(p: str, e: str | None) -> bool:
        return (period is None or p == period) and (employee is None or e is None or e == employee)
    return wanted


def unknown(plan: Plan, line: LinePlan, row: dict[str, Any]) -> bool:
    """Does this kpis row need explaining: no data, or a quality condition without a value?
    (Gate columns beyond the line's and the role's own conditions are padding.)"""
    if row["status"] == "no_data":
        return True
    return any(row[f"gate_{j}"] is None for j in range(1, len(line.gates) + 1)) or \
        any(row[f"role_gate_{j}"] is None for j in range(1, len(plan.role_gates[line.plan_role]) + 1))


def assemble(plan: Plan, fetched: Fetched, facts: FactSource | list[FactRow], periods: list[str],
             roster: list[tuple[str, str]], period: str | None, employee: str | None, locale: str,
             diagnostics: list[Diagnostic], days: list[tuple[str, str, str, int, int]] | None = None) -> Results:
    """Every wanted (period, employee, role) as an `EmployeeResult`; rules as findings; metrics.
    `days` (a dated roster): who holds which role in which period, for how many of its days."""
    model = plan.model
    results = Results(ruleset=model.title, currency=model.currency, locale=locale, period_kind=model.period_kind,
                      periods=list(periods), minor_digits=plan.minor_digits)
    wanted = _wanted(period, employee)
    lines = {line.id: line for line in plan.lines}
    results.schemes = scheme_texts(plan)
    results.payouts = payout_texts(plan)
    results.editions = editions(model, results.periods)
    by_cell: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    needed: set[str] = set()
    if "kpis" in fetched:
        names, records = fetched["kpis"]
        for record in records:
            row = dict(zip(names, record, strict=True))
            if wanted(row["period"], row["employee"]):
                by_cell[(row["period"], row["employee"], row["role"])].append(row)
                if unknown(plan, lines[row["line"]], row):
                    needed.add(row["employee"])
    totals: dict[tuple[str, str, str], dict[str, Any]] = {}
    if "totals" in fetched:
        names, records = fetched["totals"]
        for record in records:
            row = dict(zip(names, record, strict=True))
            if wanted(row["period"], row["employee"]):
                totals[(row["period"], row["employee"], row["role"])] = row
                if row["payout"] == "no_data":
                    needed.add(row["employee"])
    source = rows_source(facts, periods, model) if isinstance(facts, list) else facts
    explainer = _Explainer(plan, source, needed)
    zero = Decimal(0).quantize(Decimal(1).scaleb(-plan.minor_digits))
    held = None if days is None else {(p, e, r): (n, of) for p, e, r, n, of in days}
    for p in periods:
        for name, role_name in roster:
            if not wanted(p, name) or (held is not None and (p, name, role_name) not in held):
                continue
            variant = plan.variant_at(role_name, p)
            if variant is None:  # no version of the role is in force (E056, engine/versions.py)
                continue
            cells = sorted(by_cell.get((p, name, role_name), []), key=lambda r: r["line"])
            kpis = tuple(_kpi(lines[r["line"]], r, zero, explainer, p, name) for r in cells)
            gates = _role_gates(plan, variant, cells, explainer, p, name)
            result = employee_result(p, name, variant, kpis, gates, totals.get((p, name, role_name)), zero)
            if held is not None:
                result = dataclasses.replace(result, days=held[(p, name, role_name)])
            results.results.append(result)
    for result in results.results:  # after every KPI's, as bulk output explains them (bulk.prepare)
        if result.payout == "no_data":
            explain_payout(plan, result, explainer)
    _findings(plan, fetched, results, explainer, wanted)
    _metrics(plan, fetched, results, employee)
    diagnostics.extend(explainer.diagnostics())
    return results


def employee_result(period: str, name: str, variant: Variant, kpis: tuple[KpiResult, ...], gates: tuple[Gate, ...],
                    totals: dict[str, Any] | None, zero: Decimal) -> EmployeeResult:
    """One employee's result: the KPI lines and the engine's totals row (none without KPI lines),
    in the version of the role that pays the period."""
    t = totals or {}
    role = variant.role

    def money(key: str) -> Decimal:
        value = t.get(key)
        return value if value is not None else zero

    return EmployeeResult(
        period=period, employee=name, role=role.name, role_title=role.title or role.name, kpis=kpis,
        plan_bonus=money("plan_bonus"), bonus=money("bonus"), gates=gates, index=t.get("index"),
        index_plan=t["index_plan"] if t.get("index_plan") is not None else Decimal(0),
        payout=t.get("payout"), lines_bonus=t.get("lines_bonus") if t.get("payout") else None,
        lines_plan_bonus=t.get("lines_plan_bonus") if t.get("payout") else None, version=variant.label)


def explain_payouts(plan: Plan, totals: list[dict[str, Any]], kpis: list[dict[str, Any]],
                    explainer: _Explainer) -> None:
    """Explain the payouts without a value (`totals` rows with payout `no_data`), given the
    kpis rows of those employees: bulk output's way to what `assemble` does."""
    lines = {line.id: line for line in plan.lines}
    zero = Decimal(0).quantize(Decimal(1).scaleb(-plan.minor_digits))
    by_cell: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in kpis:
        by_cell[(row["period"], row["employee"], row["role"])].append(row)
    for t in totals:
        p, name = t["period"], t["employee"]
        cells = sorted(by_cell.get((p, name, t["role"]), []), key=lambda r: r["line"])
        silent = _Explainer(plan, lambda employees: explainer.evaluator.facts, set())  # the KPI rows are explained
        line_results = tuple(_kpi(lines[r["line"]], r, zero, silent, p, name) for r in cells)
        variant = plan.variant_at(t["role"], p)
        assert variant is not None  # a totals row is the kpis rows of a variant in force
        explain_payout(plan, employee_result(p, name, variant, line_results, (), t, zero), explainer)


def explain_payout(plan: Plan, r: EmployeeResult, explainer: _Explainer) -> None:
    """A warning (E020) naming why the role's payout of `r` had no value."""
    from kpidsl.results.payouts import payout_reasons

    payout = plan.payouts[r.plan_role]
    reasons = payout_reasons(payout, r, r.kpis,
                             lambda e, scope: explainer.reasons(e, scope, r.period, r.employee))
    explainer.add(f"no payout for role `{r.role}`", None, r.period, r.employee, reasons, payout.span,
                  " (the bonus is 0)")


def scheme_texts(plan: Plan) -> dict[tuple[str, str], SchemeText]:
    """(role variant, KPI) → the scheme that scores that line, its formulas as written."""
    texts: dict[int, SchemeText] = {}
    for line in plan.lines:
        if id(line.scheme) not in texts:
            texts[id(line.scheme)] = scheme_text(line.scheme, plan.model)
    return {(line.plan_role, line.kpi): texts[id(line.scheme)] for line in plan.lines}


def payout_texts(plan: Plan) -> dict[str, tuple[Formula, ...]]:
    """role variant → the formulas of the payout that pays it, as written."""
    return {role: tuple(Formula(a.name, expr_text(a.expr), tuple(dict.fromkeys(n.name for n in ast.names_in(a.expr))))
                        for a in payout.assignments) for role, payout in plan.payouts.items()}


def scheme_text(scheme: ast.Scheme, model: Model) -> SchemeText:
    formulas = tuple(Formula(a.name, expr_text(a.expr), tuple(dict.fromkeys(n.name for n in ast.names_in(a.expr))))
                     for a in scheme.assignments)
    own = {a.name for a in scheme.assignments}
    titles: dict[str, str] = {}
    for formula in formulas:
        for name in formula.names:
            value = model.values.get(name) if name not in own and name not in SCHEME_INPUTS else None
            if value is not None and value.title:
                titles.setdefault(name, value.title)
    return SchemeText(scheme.name, scheme.title, formulas, tuple(titles.items()))


def condition_span(e: ast.Expr) -> Span | None:
    return getattr(e, "span", None)


def explain_unknowns(plan: Plan, cells: Iterable[tuple[str, str, list[dict[str, Any]]]], facts: FactSource,
                     needed: set[str]) -> _Explainer:
    """Explain the unknowns of the kpis rows that have any (`unknown`), given per
    (period, employee) in output order, exactly as `assemble` does; the explainer
    then explains the rules (`findings`) and yields the diagnostics."""
    explainer = _Explainer(plan, facts, needed)
    lines = {line.id: line for line in plan.lines}
    for p, name, rows in cells:
        rows = sorted(rows, key=lambda r: r["line"])
        for row in rows:
            _explain_kpi(lines[row["line"]], row, explainer, p, name)
        variant = plan.variant_at(lines[rows[0]["line"]].role, p)
        assert variant is not None  # kpis rows are a variant's, in force
        _role_gates(plan, variant, rows, explainer, p, name)
    return explainer


def findings(plan: Plan, fetched: Fetched, results: Results, explainer: _Explainer, period: str | None) -> None:
    """The rules that fired, into `results.findings`; the explainer learns which could not be evaluated."""
    _findings(plan, fetched, results, explainer, _wanted(period, None))


def _role_gates(plan: Plan, variant: Variant, cells: list[dict[str, Any]], explainer: _Explainer, p: str,
                name: str) -> tuple[Gate, ...]:
    if not cells:
        return ()
    role = variant.role
    gates = tuple(Gate(text, cells[0][f"role_gate_{j}"], "role")
                  for j, text in enumerate(plan.role_gates[variant.key], start=1))
    for gate, condition in zip(gates, role.requires, strict=True):
        if gate.passed is None:
            explainer.add(f"role-wide quality condition `{gate.condition}` of role `{role.name}` could "
                          "not be evaluated", "E023", p, name,
                          explainer.reasons(condition, ROOT, p, name), condition_span(condition),
                          " and counts as failed")
    return gates


def _explain_kpi(line: LinePlan, row: dict[str, Any], explainer: _Explainer, period: str, employee: str) -> list[str]:
    """Why this KPI has no data, or why its quality conditions have no value: the problems' texts."""
    problems: list[str] = []
    status = row["status"]
    subject = f"KPI `{line.kpi}` of role `{line.role}`"
    if status == "no_data":
        scope = explainer.scope(line)
        reasons: list[Reason] = []
        for name in ("fact", "target", "attainment", "weight", "plan_bonus", "index", "bonus"):
            reasons += [r for r in explainer.reasons(ast.Name(name, line.line.indicator.span), scope, period, employee)
                        if r not in reasons]
        problems += explainer.add(f"no data for {subject}", None, period, employee, reasons, line.line.indicator.span)
    for j, (text, condition) in enumerate(zip(line.gates, line.line.requires, strict=True), start=1):
        if row[f"gate_{j}"] is None and status != "no_data":
            problems += explainer.add(f"quality condition `{text}` of {subject} could not be evaluated",
                                      "E023", period, employee,
                                      explainer.reasons(condition, explainer.scope(line), period, employee),
                                      condition_span(condition), " and counts as failed")
    return problems


def _kpi(line: LinePlan, row: dict[str, Any], zero: Decimal, explainer: _Explainer, period: str,
         employee: str) -> KpiResult:
    """One KPI's result from its row (numbers are already exact `Decimal`s, or None)."""
    status = row["status"]
    problems = _explain_kpi(line, row, explainer, period, employee)
    gates: tuple[Gate, ...] = ()
    if line.gates:
        gates = tuple(Gate(text, row[f"gate_{j}"], "kpi") for j, text in enumerate(line.gates, start=1))
    actions = tuple(a.text for j, a in enumerate(line.line.actions, start=1) if row[f"action_{j}"] is True) \
        if line.actions else ()
    weight = row["weight"] if row["weight"] is not None else Decimal(0)
    return KpiResult(
        kpi=line.kpi, title=line.title, better=line.better, unit=line.unit, kind=line.kind, weight=weight,
        baseline=row["baseline"], target=row["target"], fact=row["fact"], attainment=row["attainment"],
        index=row["index"], index_plan=weight, deviation=row["deviation"],
        plan_bonus=row["plan_bonus"] if row["plan_bonus"] is not None else zero,
        bonus=row["bonus"] if row["bonus"] is not None else zero, status=status, gates=gates, actions=actions,
        previous_fact=row["previous_fact"], problems=tuple(problems))


def _findings(plan: Plan, fetched: Fetched, results: Results, explainer: _Explainer, wanted: Any) -> None:
    if "rules" not in fetched:
        return
    names, records = fetched["rules"]
    for record in sorted(records, key=lambda r: results.periods.index(r[0])):
        row = dict(zip(names, record, strict=True))
        p = row["period"]
        if not wanted(p, None):
            continue
        for j, rule in enumerate(plan.rules, start=1):
            fired = row[f"rule_{j}"]
            if fired is True:
                level = rule.level.text if rule.level is not None else "warning"
                results.findings.append(Finding(rule=rule.name, title=rule.title or rule.name, level=level, period=p,
                                                message=rule.message or rule.title or rule.name,
                                                actions=tuple(rule.actions)))
            elif fired is None:
                explainer.add(f"rule `{rule.name}` could not be evaluated", "E024", p, None,
                              explainer.reasons(rule.when, ROOT, p, None), rule.span)


def _metrics(plan: Plan, fetched: Fetched, results: Results, employee: str | None) -> None:
    """Every period's values (reports show dynamics); per-employee values only for `employee` if given.

    The statement orders its rows by value, period, then department before employees."""
    if "metrics" not in fetched:
        return
    model = plan.model
    described: list[tuple[str, str, Literal["fact", "result", "process"], str | None, Better]] = []
    for name in plan.value_names:
        decl = model.values[name]
        kind: Literal["fact", "result", "process"]
        better: Better
        if isinstance(decl, ast.Metric):
            kind = "process" if decl.kind is not None and decl.kind.text == "process" else "result"
        else:
            kind = "fact"
        better = ast.direction(decl)  # a fact's `better` as a metric's; higher for goals and params
        unit = decl.unit.text if isinstance(decl, (ast.Fact, ast.Metric)) and decl.unit is not None else None
        described.append((name, decl.title or name, kind, unit, better))
    names, records = fetched["metrics"]
    at = {n: i for i, n in enumerate(names)}
    i_period, i_employee, i_index, i_value = at["period"], at["employee"], at["value_index"], at["value"]
    append = results.metrics.append
    for record in records:
        who = record[i_employee]
        if who is not None and employee is not None and who != employee:
            continue
        name, title, kind, unit, better = described[record[i_index]]
        append(MetricValue(name=name, title=title, period=record[i_period], employee=who, value=record[i_value],
                           kind=kind, unit=unit, better=better))
