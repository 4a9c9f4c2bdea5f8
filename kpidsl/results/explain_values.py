"""Explain's values and printing: what one employee's formulas read, and how they are shown.

`Values` finds each value a formula reads — a fact's file row, a number the results
list, or else one computed by the plan's own evaluator (`reasons.Evaluator`) — and
`Printer` writes an expression as written and with those values substituted, in the
report's language, on the house's one expression printer (`language.exprtext`: its
precedence table and quoter; the spelling, the leaves and `prev`/`growth` are
explain's own).  The trace itself (`explain.py`) walks from the bonus down to the data
with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

from kpidsl.base.numbers import Numbers
from kpidsl.data.factindex import FactIndex
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.data.periods import previous, year_to_date
from kpidsl.language import ast
from kpidsl.language.exprtext import ExprPrinter, Level, level, quote
from kpidsl.language.levels import fact_levels, pick
from kpidsl.language.load import Model
from kpidsl.results.model import Results
from kpidsl.results.reasons import ROOT, Evaluator

Value = Decimal | bool | str | None

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
        self._cache: dict[tuple[str, str, str | None], Value] = {}
        periods = {*results.periods, *(r.period for r in facts.rows)}
        self.levels = fact_levels(model)
        self.evaluator = _Evaluator(model, FactIndex(facts.rows, periods, self.levels), self)

    def row(self, name: str, period: str, employee: str | None = "") -> FactRow | None:
        """The row the employee (by default this one; None: the department) reads, by the
        fact's level."""
        who = self.employee if employee == "" else employee
        own = self.rows.get((period, who, name)) if who is not None else None
        return pick(self.levels.get(name), who, own, self.rows.get((period, None, name)))

    def value(self, name: str, period: str, employee: str | None = "") -> Value:
        """`name` in `period` for this employee (None: for the department)."""
        who = self.employee if employee == "" else employee
        key = (name, period, who)
        if key not in self._cache:
            self._cache[key] = None  # a cycle reads as no data (the checker rejects cycles anyway)
            self._cache[key] = self._compute(name, period, who)
        return self._cache[key]

    def _compute(self, name: str, period: str, who: str | None) -> Value:
        decl = self.model.values.get(name)
        if isinstance(decl, ast.Fact):
            row = self.row(name, period, who)
            if row is not None:
                return row.value
        for listed in dict.fromkeys((who, None)):
            if (period, listed, name) in self.listed:
                return self.listed[(period, listed, name)]
        if isinstance(decl, (ast.Metric, ast.Goal)):
            formula = decl.formula if isinstance(decl, ast.Metric) else decl.expr
            return self.evaluator.eval(formula, ROOT, period, who)
        if isinstance(decl, ast.KpiCard) and decl.indicator is not None:
            return self.value(decl.indicator.text, period, who)
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
        return self._values.value(name, period, employee)


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
            return quote(v)
        if name in ("index", "deviation"):  # as the methodology's tables: 0.300, −0.008
            return self.n.number(v, 3, 6, mark_rounded=True)
        return self.n.number(v, 0, 6, mark_rounded=True)

    def result(self, v: Value, name: str = "") -> str:
        return self.words["no_data"] if v is None else self.show(v, name)

    def expr(self, e: ast.Expr, period: str | None = None, env: dict[str, Value] | None = None,
             refs: list[tuple[str, str]] | None = None) -> str:
        """As written when `period` is None, else with values substituted (in `period`,
        the names of `env` bound to their values, the others looked up and added to `refs`)."""
        if period is None:
            return WrittenPrinter().expr(e)
        return _Substituted(self, period, env or {}, refs).expr(e)


class WrittenPrinter(ExprPrinter):
    """The report's way of writing a formula: `×`, `−`, `≤`, `≥`, `≠`, `→`, numbers with
    spaces for `_` (`10 000 000`), and parentheses around an operator under `not` and
    around a `scale` subject that is not an atom, for the reader.  Explain and the
    regulation (`output.regulation_text`) write formulas this way."""

    ops: ClassVar[Mapping[str, str]] = {"*": "×", "-": "−", "<=": "≤", ">=": "≥", "!=": "≠"}
    arrow = "→"
    not_operand = Level.NEG
    scale_subject = Level.NEG

    def number(self, e: ast.Number) -> str:
        return e.text if e.is_percent else e.text.replace("_", " ")


class _Substituted(WrittenPrinter):
    """A formula with each name replaced by its value, `prev(x)` by `x` a period earlier,
    `growth(x)` by `(x − prev(x)) / prev(x)` and `ytd(x)` by `(x₁ + … + xₙ)` over the year."""

    def __init__(self, printer: Printer, period: str, env: dict[str, Value],
                 refs: list[tuple[str, str]] | None) -> None:
        self.printer = printer
        self.period, self.env, self.refs = period, env, refs

    def number(self, e: ast.Number) -> str:
        return self.printer.n.number(e.value, 0, 12)  # `20%` substitutes as 0,2, like every value

    def name(self, e: ast.Name) -> str:
        if e.name in self.env:
            return self.printer.show(self.env[e.name], e.name)
        if self.refs is not None and (e.name, self.period) not in self.refs:
            self.refs.append((e.name, self.period))
        return self.printer.show(self.printer.values.value(e.name, self.period), e.name)

    def call(self, e: ast.Call) -> tuple[str, Level] | None:
        if e.function == "department" and e.args and isinstance(e.args[0], ast.Name):
            name = e.args[0].name
            return self.printer.show(self.printer.values.value(name, self.period, None), name), Level.ATOM
        if e.function == "ytd" and e.args:  # the year's periods so far, added up: (a + b + c)
            parts = [_Substituted(self.printer, p, self.env, self.refs).expr(e.args[0], Level.SUM)
                     for p in year_to_date(self.period)]
            return (f"({' + '.join(parts)})", Level.ATOM) if len(parts) > 1 else (parts[0], Level.ATOM)
        if e.function not in ("prev", "growth"):
            return None
        earlier = _Substituted(self.printer, previous(self.period), self.env, self.refs)
        if e.function == "prev":
            # x a period earlier: a sum or looser stays in parentheses, as it stood in
            # `prev(…)`; a product gets them where its place needs them (`a / (2 × 3)`).
            strength = level(e.args[0])
            return earlier.expr(e.args[0], Level.PRODUCT), Level.ATOM if strength < Level.PRODUCT else strength
        now = self.expr(e.args[0], Level.SUM)  # (x − prev(x)) / prev(x), the divisor whole
        minus = self.ops["-"]
        before = earlier.expr(e.args[0], Level.PRODUCT)
        divisor = earlier.expr(e.args[0], Level.NEG)
        return f"({now} {minus} {before}) / {divisor}", Level.PRODUCT
