"""Check expressions: names, function calls, condition-versus-number types, units.

Every expression is checked in a `Scope` that says which names it can see: a
metric formula sees the ruleset's values, a scheme formula the scoring inputs, a
KPI's condition both, a where-clause the columns of its records.  The walker
returns each sub-expression's type and unit, so a misuse is reported once, where
it happens, and an unknown name does not cascade into type errors.

Units follow `kpidsl.language.units`: adding or comparing two different known units is a
warning, nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from kpidsl.base.diagnostics import Diagnostic, error, warning
from kpidsl.base.suggest import did_you_mean
from kpidsl.language import ast, constants
from kpidsl.language.builtins import FUNCTIONS, KPI_CONDITION_NAMES, SCHEME_OUTPUTS
from kpidsl.language.load import Model
from kpidsl.language.payout import LINE_FUNCTIONS, PAYOUT_INPUTS
from kpidsl.language.units import ONE, SCALAR, Unit, add_units, describe_unit, div_units, mul_units

Type = Literal["number", "condition", "text", "any"]
NUM: Type = "number"
BOOL: Type = "condition"
STR: Type = "text"
ANY: Type = "any"  # an unknown name or a records column: could be anything

Info = tuple[Type, Unit]


@dataclass(frozen=True)
class Scope:
    """What an expression can see, and how to talk about it in messages."""

    context: str  # "a metric formula", "a KPI condition" …
    values: bool = True  # the ruleset's facts, metrics, goals and cards
    extra: Mapping[str, Unit] = field(default_factory=dict)  # scoring names and their units
    columns: bool = False  # every name is a column of records (where-clauses)
    in_scheme: bool = False
    in_payout: bool = False  # `index(kpi)` / `attainment(kpi)` read the role's lines
    lines: frozenset[str] | None = None  # the role's KPI lines (None: any, a scheme's payout)
    role: str | None = None  # whose lines, for messages


def _label(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Name):
        return f"`{expr.name}`"
    if isinstance(expr, ast.Number):
        return f"`{expr.text}`"
    if isinstance(expr, ast.Call):
        return f"`{expr.function}(…)`"
    return "an expression"


class ExprChecker:
    """Walks expressions; reports through `emit` (a no-op when only inferring units)."""

    def __init__(self, model: Model, units: Mapping[str, Unit],
                 emit: Callable[[Diagnostic], None]) -> None:
        self.model = model
        self.units = units
        self.emit = emit

    # -- entry point
    def check(self, expr: ast.Expr, scope: Scope, want: Type, what: str) -> Info:
        """Check `expr`, which must be a `want` (number or condition) where `what` is written."""
        info = self._walk(expr, scope)
        self._expect(info, expr, want, what)
        return info

    def infer(self, expr: ast.Expr, scope: Scope) -> Info:
        """The type and unit of `expr` (reporting what is wrong inside it, if `emit` reports)."""
        return self._walk(expr, scope)

    def _expect(self, info: Info, expr: ast.Expr, want: Type, what: str) -> None:
        got = info[0]
        if got in (want, ANY):
            return
        if got == STR:
            self.emit(error("K034", f"{what} cannot use a text", expr.span,
                            'texts can only be compared with `=` or `!=`, as in `status = "won"`'))
        elif want == NUM:
            self.emit(error("K033", f"{what} needs a number, but this is a condition (true or false)",
                            expr.span, "use `if … then … else …` to turn a condition into a number"))
        else:
            self.emit(error("K033", f"{what} needs a condition (true or false), but this is a number",
                            expr.span, "compare it with something, e.g. `lead_close_rate >= 20%`"))

    # -- the walk
    def _walk(self, e: ast.Expr, scope: Scope) -> Info:
        if isinstance(e, ast.Number):
            return NUM, SCALAR
        if isinstance(e, ast.String):
            return STR, None
        if isinstance(e, ast.Name):
            return self._name(e, scope)
        if isinstance(e, ast.Call):
            return self._call(e, scope)
        if isinstance(e, ast.Unary):
            if e.op == "not":
                self.check(e.operand, scope, BOOL, "`not`")
                return BOOL, None
            return NUM, self.check(e.operand, scope, NUM, "`-`")[1]
        if isinstance(e, ast.Binary):
            return self._binary(e, scope)
        if isinstance(e, ast.IfThen):
            return self._if(e, scope)
        return self._scale(e, scope)

    def _name(self, e: ast.Name, scope: Scope) -> Info:
        name = e.name
        if scope.columns:
            return ANY, None
        if name in scope.extra:
            return NUM, scope.extra[name]
        if scope.values and name in self.model.values:
            decl = self.model.values[name]
            if isinstance(decl, ast.KpiCard) and decl.indicator is None:
                self.emit(error("K022", f"KPI card `{name}` has no `indicator`, so it has no value",
                                e.span, f"add `indicator METRIC` to the card `{name}`, or use the metric itself"))
            return NUM, self.units.get(name)
        self._unknown(e, scope)
        return ANY, None

    def _unknown(self, e: ast.Name, scope: Scope) -> None:
        name, model = e.name, self.model
        other = ("role" if name in model.roles else "scheme" if name in model.schemes
                 else "records" if name in model.records else None)
        if other:
            self.emit(error("K022", f"`{name}` is a {other}, not a value {scope.context} can use", e.span,
                            "expressions use facts, metrics, goals, params and KPI cards"))
            return
        if name in model.values or name in KPI_CONDITION_NAMES or name in SCHEME_OUTPUTS or name in PAYOUT_INPUTS:
            self.emit(error("K026", f"`{name}` cannot be used in {scope.context}", e.span,
                            _unavailable_hint(name, scope)))
            return
        visible = list(scope.extra) + (list(model.values) if scope.values else [])
        hint = did_you_mean(name, visible) or (
            f"declare it (`fact {name} …` or `metric {name} = …`) or import a library that defines it"
            if scope.values else f"{scope.context} can use: " + ", ".join(scope.extra))
        self.emit(error("K021", f"unknown name `{name}`", e.span, hint))

    def _call(self, e: ast.Call, scope: Scope) -> Info:
        if scope.in_payout and e.function in LINE_FUNCTIONS:
            return self._line_value(e, scope)
        f = FUNCTIONS.get(e.function)
        if f is None:
            for arg in e.args:
                self._walk(arg, scope)
            hint = did_you_mean(e.function, FUNCTIONS) or "functions: " + ", ".join(FUNCTIONS)
            self.emit(error("K030", f"unknown function `{e.function}`", e.span, hint))
            return NUM, None
        count = len(e.args)
        if count < f.min_args or (f.max_args is not None and count > f.max_args):
            wanted = (f"at least {f.min_args}" if f.max_args is None
                      else str(f.min_args) if f.min_args == f.max_args
                      else f"{f.min_args} or {f.max_args}")
            self.emit(error("K031", f"`{f.name}` takes {wanted} argument(s), not {count}", e.span,
                            f"write {f.signature()}: {f.summary}"))
        units: list[Unit] = []
        for i, arg in enumerate(e.args):
            kind = f.params[i] if i < len(f.params) else f.variadic
            if kind == "series":
                units.append(self._series(f.name, arg, scope))
            elif kind == "integer_literal":
                self._integer_literal(f.name, arg)
            else:
                units.append(self.check(arg, scope, NUM, f"`{f.name}`")[1])
        if f.name == "growth":
            return NUM, ONE
        if f.name in ("min", "max"):
            return NUM, self._same_units(e, units, "mixes")
        return NUM, units[0] if units else None

    def _line_value(self, e: ast.Call, scope: Scope) -> Info:
        """`index(revenue)`: one KPI line's value in a payout, by the line's indicator."""
        arg = e.args[0] if len(e.args) == 1 else None
        if not isinstance(arg, ast.Name):
            self.emit(error("K031", f"`{e.function}` takes the name of one KPI line of the role", e.span,
                            f"write {e.function}(KPI), e.g. `{e.function}(revenue)`: {LINE_FUNCTIONS[e.function]}"))
            return NUM, ONE
        if scope.lines is not None and arg.name not in scope.lines:
            whose = f"role `{scope.role}`" if scope.role else "the role"
            self.emit(error("K061", f"{whose} has no KPI line `{arg.name}`", arg.span,
                            did_you_mean(arg.name, sorted(scope.lines)) or
                            (f"its KPI lines: {', '.join(sorted(scope.lines))}" if scope.lines
                             else "add the KPI line, or read the totals (`total`, `lines_bonus`)")))
        return NUM, ONE

    def _series(self, function: str, arg: ast.Expr, scope: Scope) -> Unit:
        """`prev`/`growth` need a fact or metric by name: they look at another period."""
        example = f"e.g. `{function}(customers)`"
        if not isinstance(arg, ast.Name) or scope.columns or arg.name in scope.extra:
            self._walk(arg, scope)
            self.emit(error("K032", f"`{function}` needs the name of a fact or metric", arg.span,
                            f"it looks at the previous period of a ruleset value, {example}"))
            return None
        decl = self.model.values.get(arg.name) if scope.values else None
        if function == "ytd" and isinstance(decl, (ast.Fact, ast.Metric)):
            return self._summable(arg, decl)
        if isinstance(decl, (ast.Fact, ast.Metric)):
            return self.units.get(arg.name)
        if decl is None:
            self._name(arg, scope)
            return None
        kind = "a KPI card" if isinstance(decl, ast.KpiCard) else f"a {decl.kind}"
        hint = (f"use the card's indicator: `{function}({decl.indicator.text})`"
                if isinstance(decl, ast.KpiCard) and decl.indicator else
                "a goal or param is the same for everyone: write its name alone" if function == "department" else
                "a goal or param has the same value in every period")
        self.emit(error("K032", f"`{function}` needs a fact or metric, but `{arg.name}` is {kind}",
                        arg.span, hint))
        return None

    def _summable(self, arg: ast.Name, decl: ast.Fact | ast.Metric) -> Unit:
        """`ytd` adds a fact up over the year: a metric (a ratio is not the sum of its
        periods), a period-end or mean value, or a percentage cannot be added."""
        ratio = "use the facts it is computed from, e.g. `ytd(deals) / ytd(leads)`"
        if isinstance(decl, ast.Metric):
            problem = ("is a metric", "a ratio is not the sum of its periods: " + ratio)
        elif decl.rollup is not None and decl.rollup.text != "sum":
            problem = (f"is rolled up by `{decl.rollup.text}`", "only a fact whose periods add up has a "
                       "year-to-date sum; read the fact itself for its latest value")
        elif decl.unit is not None and decl.unit.text in ("percent", "ratio"):
            problem = ("is a percentage or ratio", "it does not add up over periods: " + ratio)
        else:
            return self.units.get(arg.name)
        self.emit(error("K032", f"`ytd` adds a fact up over the year, but `{arg.name}` {problem[0]}",
                        arg.span, problem[1]))
        return None

    def _integer_literal(self, function: str, arg: ast.Expr) -> None:
        ok = (isinstance(arg, ast.Number) and not arg.is_percent
              and arg.value in _DIGITS)
        if not ok:
            self.emit(error("K032", f"the digits of `{function}` must be a whole number written out (0–12)",
                            arg.span, f"e.g. `{function}(x, 2)` rounds to two decimals"))

    def _binary(self, e: ast.Binary, scope: Scope) -> Info:
        op = e.op
        if op in ast.LOGICAL_OPS:
            self.check(e.left, scope, BOOL, f"`{op}`")
            self.check(e.right, scope, BOOL, f"`{op}`")
            return BOOL, None
        if op in ast.ARITHMETIC_OPS:
            left = self.check(e.left, scope, NUM, f"`{op}`")[1]
            right = self.check(e.right, scope, NUM, f"`{op}`")[1]
            if op == "*":
                return NUM, mul_units(left, right)
            if op == "/":
                if constant_value(e.right, self.model) == 0:
                    self.emit(error("K042", "divides by zero", e.right.span,
                                    "the divisor is always 0, so the result never has a value"))
                return NUM, div_units(left, right)
            return NUM, self._clash(e, left, right)
        return self._compare(e, scope)

    def _compare(self, e: ast.Binary, scope: Scope) -> Info:
        (lt, lu), (rt, ru) = self._walk(e.left, scope), self._walk(e.right, scope)
        if ANY in (lt, rt) or lt == rt == STR:
            return BOOL, None
        if STR in (lt, rt):
            self.emit(error("K034", "compares a text with a number", e.span,
                            "a ruleset value is a number; texts are compared only with record columns"))
        elif lt == rt == BOOL:
            if e.op not in ("=", "!="):
                self.emit(error("K033", f"`{e.op}` cannot order conditions (true/false)", e.span,
                                "compare numbers, or join conditions with `and`/`or`"))
        elif BOOL in (lt, rt):
            self.emit(error("K033", "compares a condition (true or false) with a number", e.span,
                            "comparisons do not chain: write `a < b and b < c`"))
        else:
            self._clash(e, lu, ru)
        return BOOL, None

    def _clash(self, e: ast.Binary, left: Unit, right: Unit) -> Unit:
        unit, clash = add_units(left, right)
        if clash:
            a = f"{_label(e.left)} ({describe_unit(left)})"
            b = f"{_label(e.right)} ({describe_unit(right)})"
            what = (f"adds {b} to {a}" if e.op == "+" else f"subtracts {b} from {a}"
                    if e.op == "-" else f"compares {a} with {b}")
            self.emit(warning("K035", f"{what}: different units", e.span,
                              "convert one side first (e.g. multiply by a rate param), "
                              "or check the units the facts and metrics declare"))
        return unit

    def _same_units(self, e: ast.Call, units: list[Unit], verb: str) -> Unit:
        result: Unit = SCALAR
        for u in units:
            result, clash = add_units(result, u)
            if clash:
                self.emit(warning("K035", f"`{e.function}` {verb} different units", e.span,
                                  "give it values of one unit"))
                return None
        return result

    def _if(self, e: ast.IfThen, scope: Scope) -> Info:
        self.check(e.condition, scope, BOOL, "`if`")
        (tt, tu), (ot, ou) = self._walk(e.then, scope), self._walk(e.otherwise, scope)
        if STR in (tt, ot):
            self.emit(error("K034", "`if` cannot give a text", e.span,
                            "both branches must be numbers, or both conditions"))
            return ANY, None
        if ANY not in (tt, ot) and tt != ot:
            self.emit(error("K033", "one branch of `if` is a number and the other a condition",
                            e.otherwise.span, "both branches must be numbers, or both conditions"))
            return ANY, None
        return (ot if tt == ANY else tt), add_units(tu, ou)[0]

    def _scale(self, e: ast.Scale, scope: Scope) -> Info:
        self.check(e.subject, scope, NUM, "`scale`")
        previous: Decimal | None = None
        units: list[Unit] = []
        for row in e.rows:
            self.check(row.below, scope, NUM, "`below`")
            bound = literal_number(row.below)
            if bound is None:
                self.emit(error("K038", "a scale bound must be a number written out", row.below.span,
                                "e.g. `below 80% -> 0`; rows are read top to bottom"))
            elif previous is not None and bound <= previous:
                self.emit(error("K038", "scale bounds must go up row by row", row.below.span,
                                f"this bound is not above the previous one ({show_number(previous)}); "
                                "the first row whose bound exceeds the value is taken"))
            previous = bound if bound is not None else previous
            units.append(self.check(row.value, scope, NUM, "a scale row")[1])
        units.append(self.check(e.otherwise, scope, NUM, "`else` of a scale")[1])
        result: Unit = SCALAR
        for u in units:
            result = add_units(result, u)[0]
        return NUM, result


def _unavailable_hint(name: str, scope: Scope) -> str:
    if name in PAYOUT_INPUTS and not scope.in_payout:
        return f"`{name}` is a role total: it exists only in a `payout {{ … }}` block"
    if scope.in_payout:
        return (f"a payout sees the role's totals ({', '.join(PAYOUT_INPUTS)}), one line's values as "
                "`index(KPI)` and `attainment(KPI)`, the steps defined above, and the ruleset's values")
    if name in SCHEME_OUTPUTS and name not in KPI_CONDITION_NAMES:
        return f"`{name}` is what a scheme computes; formulas read the planned bonus as `plan_bonus`"
    if scope.in_scheme:
        if name == "index":
            return "define `index` above the formula that uses it"
        if name in KPI_CONDITION_NAMES:
            return "in a scheme, `index_plan` is `weight` and `deviation` is `index - weight`"
        return (f"a scheme sees the scoring values ({', '.join(scope.extra)}), "
                "the steps defined above the formula, and the ruleset's values")
    return (f"`{name}` is a scoring value: it exists only in a scheme's formulas and in the "
            "`require`/`when` conditions written after a KPI line")


def literal_number(expr: ast.Expr) -> Decimal | None:
    """A number written out (`80%`, `-5`), or None."""
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-" and isinstance(expr.operand, ast.Number):
        return -expr.operand.value
    return None


_DIGITS = frozenset(Decimal(n) for n in range(13))


def exact_value(expr: ast.Expr, model: Model) -> Fraction | None:
    """The exact value of an expression known before any data (numbers, goals, params), or None.

    Constants follow `kpidsl.language.constants`: computed exactly and rounded only where
    they are used, so three weights of `1 / 3` sum to exactly 1.  Division by zero
    gives None (no value), as at run time, and so do absurdly large numbers.
    """
    try:
        return constants.fold(expr, constants.goal_lookup(model.values))
    except (constants.NotConstant, constants.OutOfRange):
        return None


def constant_value(expr: ast.Expr, model: Model) -> Decimal | None:
    """`exact_value` rounded half away from zero to 12 decimals: the value the engine uses."""
    value = exact_value(expr, model)
    return None if value is None else constants.rounded(value)


def show_number(value: Decimal) -> str:
    """A decimal as a person writes it: 0.9, 1, 30000000 (huge or tiny ones in E notation)."""
    if not value.is_finite() or abs(value.adjusted()) > 30:
        return f"{value:E}"
    return format(value.normalize(), "f")


__all__ = [
    "ANY",
    "BOOL",
    "NUM",
    "STR",
    "ExprChecker",
    "Info",
    "Scope",
    "constant_value",
    "exact_value",
    "literal_number",
    "show_number",
]
