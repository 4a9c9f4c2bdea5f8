"""A role's payout in the results: the names its formulas read, and why it had no value.

The engine pays (engine/totals.py); this module binds the same names for the Python side —
the reasons behind a payout without a value (E020, like a KPI's), and `explain`, which
shows the payout's formulas with their values.  Line values are read from the employee's
KPI results: `index(revenue)` is the `revenue` line's index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from kpidsl.language import ast
from kpidsl.language.payout import LINE_FUNCTIONS, line_key, referenced_lines, substitute
from kpidsl.results.model import EmployeeResult, KpiResult
from kpidsl.results.reasons import ROOT, Known, Reason, Scope, Value


def payout_values(r: EmployeeResult, kpis: Sequence[KpiResult], planned: bool = False) -> dict[str, Value]:
    """The totals and line values a payout reads for `r` (`planned`: every line on plan)."""
    lines_bonus = r.lines_bonus if r.lines_bonus is not None else sum((k.bonus for k in kpis), Decimal(0))
    lines_plan = r.lines_plan_bonus if r.lines_plan_bonus is not None else sum((k.plan_bonus for k in kpis),
                                                                               Decimal(0))
    values: dict[str, Value] = {"total": r.index_plan if planned else r.index, "total_plan": r.index_plan,
                                "lines_bonus": lines_plan if planned else lines_bonus, "lines_plan_bonus": lines_plan}
    for k in kpis:
        values[line_key("index", k.kpi)] = k.weight if planned else k.index
        values[line_key("attainment", k.kpi)] = Decimal(1) if planned else k.attainment
    return values


def payout_scope(payout: ast.Payout, values: dict[str, Value]) -> Scope:
    """The names the payout's formulas see, bound as the plan binds them, steps included."""
    scope = ROOT.bind(**{name: (Known(v), ROOT) for name, v in values.items()})
    for a in payout.assignments:
        scope = scope.bind(**{a.name: (_substituted(a), scope)})
    return scope


def _substituted(a: ast.Assignment) -> ast.Expr:
    return substitute(a.expr)


def bonus_expr(payout: ast.Payout) -> ast.Expr | None:
    """The payout's `bonus` formula, line values substituted (None if it defines none)."""
    found = next((a for a in reversed(payout.assignments) if a.name == "bonus"), None)
    return _substituted(found) if found is not None else None


def payout_reasons(payout: ast.Payout, r: EmployeeResult, kpis: Sequence[KpiResult],
                   why: Callable[[ast.Expr | None, Scope], list[Reason]]) -> list[Reason]:
    """Why the payout of `r` has no value: an unknown total or line value it reads (naming the
    KPI lines without data), else what `why` finds in its formulas (a fact without a value)."""
    used = {n.name for a in payout.assignments for n in ast.names_in(a.expr)}
    reasons: list[Reason] = []
    missing = [k.kpi for k in kpis if k.index is None]
    if "total" in used and r.index is None:
        reasons.append(Reason("E020", "`total` is unknown: KPI " + ", ".join(f"`{m}`" for m in missing)
                              + " has no data" if missing else "`total` is unknown"))
    for function, kpi in referenced_lines(payout):
        k = next((x for x in kpis if x.kpi == kpi), None)
        value = None if k is None else k.index if function == "index" else k.attainment
        if value is None and function in LINE_FUNCTIONS:
            reasons.append(Reason("E020", f"`{function}({kpi})` is unknown: KPI `{kpi}` has no data"))
    if reasons:
        return reasons
    return why(bonus_expr(payout), payout_scope(payout, payout_values(r, kpis)))
