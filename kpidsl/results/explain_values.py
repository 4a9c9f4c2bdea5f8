"""Explain's values and printing: what one employee's formulas read, and how they are shown.

`Values` finds each value a formula reads — a fact's file row, a number the results
list, or else one computed by the plan's own evaluator (`reasons.Evaluator`) — and
`Printer` writes an expression as written and with those values substituted, in the
report's language.  The trace itself (`explain.py`) walks from the bonus down to
the data with them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Union

from kpidsl.base.numbers import Numbers
from kpidsl.data.factindex import FactIndex
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.data.periods import previous
from kpidsl.language import ast
from kpidsl.language.load import Model
from kpidsl.results.model import Results
from kpidsl.results.reasons import ROOT, Evaluator

Value = Union[Decimal, bool, str, None]

WORDS = {
    "ru": {"no_data": "нет данных", "see_above": "см. выше", "no_row": "в файлах фактов нет строки",
           "holds": "выполнено", "fails": "не выполнено", "fires": "мера назначена",
           "quiet": "мера не нужна", "gated": "условие качества не выполнено: премия KPI = 0",
           "role_gated": "условие роли не выполнено: премия роли = 0", "no_kpis": "у роли нет KPI",
           "settings": "параметры", "from_records": "из записей", "computed": "вычислено здесь",
           "records_counted": "записей учтено: {count}", "where": "отбор:"},
    "en": {"no_data": "no data", "see_above": "see above", "no_row": "no row in the facts files",
           "holds": "holds", "fails": "fails", "fires": "action assigned",
           "quiet": "no action", "gated": "a quality condition failed: the KPI's bonus is 0",
           "role_gated": "a role condition failed: the role's bonus is 0", "no_kpis": "the role has no KPIs",
           "settings": "settings", "from_records": "from records", "computed": "computed here",
           "records_counted": "{count} record(s) counted", "where": "filter:"},
}
_OPS = {"*": "×", "-": "−", "<=": "≤", ">=": "≥", "!=": "≠"}
_PRECEDENCE = {"or": 1, "and": 2, "<": 4, "<=": 4, ">": 4, ">=": 4, "=": 4, "!=": 4,
               "+": 5, "-": 5, "*": 6, "/": 6}


# ------------------------------------------------------------------ values


class Values:
    """The values one employee's formulas read, in any period: facts with their rows,
    metrics and goals from the results when listed there, computed otherwise — by the
    evaluator with the plan's own semantics (`reasons.Evaluator`), so an unknown `if`
    condition or `scale` bound is "no data" here exactly as in `kpidsl eval`."""

    def __init__(self, model: Model, results: Results, facts: FactTable, employee: str) -> None:
        self.model, self.employee = model, employee
        self.rows: dict[tuple[str, str | None, str], FactRow] = {}
        for row in facts.rows:
            self.rows.setdefault((row.period, row.employee, row.fact), row)
        self.listed: dict[tuple[str, str | None, str], Decimal | None] = {
            (m.period, m.employee, m.name): m.value for m in results.metrics}
        self._cache: dict[tuple[str, str], Value] = {}
        periods = {*results.periods, *(r.period for r in facts.rows)}
        self.evaluator = _Evaluator(model, FactIndex(facts.rows, periods), self)

    def row(self, name: str, period: str) -> FactRow | None:
        """The employee's own row, else the department-level row."""
        return self.rows.get((period, self.employee, name)) or self.rows.get((period, None, name))

    def value(self, name: str, period: str) -> Value:
        key = (name, period)
        if key not in self._cache:
            self._cache[key] = None  # a cycle reads as no data (the checker rejects cycles anyway)
            self._cache[key] = self._compute(name, period)
        return self._cache[key]

    def _compute(self, name: str, period: str) -> Value:
        decl = self.model.values.get(name)
        if isinstance(decl, ast.Fact):
            row = self.row(name, period)
            if row is not None:
                return row.value
        for who in (self.employee, None):
            if (period, who, name) in self.listed:
                return self.listed[(period, who, name)]
        if isinstance(decl, (ast.Metric, ast.Goal)):
            formula = decl.formula if isinstance(decl, ast.Metric) else decl.expr
            return self.evaluator.eval(formula, ROOT, period, self.employee)
        if isinstance(decl, ast.KpiCard) and decl.indicator is not None:
            return self.value(decl.indicator.text, period)
        return None

    def eval(self, e: ast.Expr, period: str, env: dict[str, Value]) -> Value:
        """`e` in `period` with the names of `env` bound to their values (a KPI's scoring
        inputs, the scheme's earlier steps), with the plan's semantics."""
        return self.evaluator.eval_in(e, env, period, self.employee)


class _Evaluator(Evaluator):
    """The plan's evaluator reading the values explain shows (the file rows, the results)."""

    def __init__(self, model: Model, facts: FactIndex, values: Values) -> None:
        super().__init__(model, facts)
        self._values = values

    def value(self, name: str, period: str, employee: str | None) -> Value:
        return self._values.value(name, period)


def num(v: Value) -> Decimal:
    """A value as a Decimal: a yes/no as 1 or 0, no data (or a text) as 0."""
    if isinstance(v, bool):
        return Decimal(int(v))
    return v if isinstance(v, Decimal) else Decimal(0)


# ------------------------------------------------------------------ printing


class Printer:
    """Prints an expression as written and with its values substituted; collects the
    (name, period) pairs it substituted, so the trace can derive them next."""

    def __init__(self, values: Values, numbers: Numbers, lang: str) -> None:
        self.values, self.n, self.words = values, numbers, WORDS[lang]

    def show(self, v: Value, name: str = "") -> str:
        if v is None:
            return "—"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if name in ("index", "deviation"):  # as the methodology's tables: 0.300, −0.008
            return self.n.number(v, 3, 6, mark_rounded=True)
        return self.n.number(v, 0, 6, mark_rounded=True)

    def result(self, v: Value, name: str = "") -> str:
        return self.words["no_data"] if v is None else self.show(v, name)

    def expr(self, e: ast.Expr, period: str | None = None, env: dict[str, Value] | None = None,
             refs: list[tuple[str, str]] | None = None, parent: int = 0) -> str:
        """As written when `period` is None, else with values substituted."""
        subst = period is not None
        env = env or {}
        if isinstance(e, ast.Number):
            if not subst:
                return e.text.replace("_", " ") if not e.is_percent else e.text
            return self.n.number(e.value, 0, 12)  # `20%` substitutes as 0,2, like every value
        if isinstance(e, ast.String):
            return f'"{e.value}"'
        if isinstance(e, ast.Name):
            if not subst:
                return e.name
            if e.name in env:
                return self.show(env[e.name], e.name)
            if refs is not None and (e.name, period) not in refs:
                refs.append((e.name, period))
            return self.show(self.values.value(e.name, period), e.name)
        if isinstance(e, ast.Unary):
            inner = self.expr(e.operand, period, env, refs, 7)
            text = f"not {inner}" if e.op == "not" else f"−{inner}"
            return f"({text})" if parent > (3 if e.op == "not" else 7) else text
        if isinstance(e, ast.Binary):
            p = _PRECEDENCE[e.op]
            # comparisons do not chain: a comparison inside one is always parenthesised
            left = self.expr(e.left, period, env, refs, p + 1 if e.op in ast.COMPARISON_OPS else p)
            right = self.expr(e.right, period, env, refs, p + 1)
            text = f"{left} {_OPS.get(e.op, e.op)} {right}"
            return f"({text})" if p < parent else text
        if isinstance(e, ast.Call):
            if subst and e.function in ("prev", "growth"):
                now = self.expr(e.args[0], period, env, refs, 5) if e.function == "growth" else ""
                before = self.expr(e.args[0], previous(period), env, refs, 6)
                if e.function == "prev":
                    return before
                text = f"({now} − {before}) / {before}"
                return f"({text})" if parent > 6 else text
            return f"{e.function}({', '.join(self.expr(a, period, env, refs) for a in e.args)})"
        if isinstance(e, ast.IfThen):
            text = (f"if {self.expr(e.condition, period, env, refs)} then {self.expr(e.then, period, env, refs)}"
                    f" else {self.expr(e.otherwise, period, env, refs)}")
            return f"({text})" if parent else text
        if isinstance(e, ast.Scale):
            rows = "  ".join(f"below {self.expr(r.below, period, env, refs)} → {self.expr(r.value, period, env, refs)}"
                             for r in e.rows)
            return f"scale {self.expr(e.subject, period, env, refs, 7)} {{ {rows}  else → {self.expr(e.otherwise, period, env, refs)} }}"
        return "?"
