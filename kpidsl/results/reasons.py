"""Reasons: why a value the plan computed is unknown (NULL).

The SQL says *that* a KPI has no data; this module says *why*, after the run, for
the few (period, employee) cells that need it: it walks the formula over the fact
rows that exist and finds the root causes — a fact with no value in a period, a
previous period missing from the data, a KPI without a target, a divisor that is
zero (or out of the exact range).

It evaluates with the same fixed-point rules as the SQL (`fixedpoint.py`), so the
branch an `if` takes and the divisor it blames are the ones the plan saw.
Results are memoised per (binding, period, employee); an employee without rows
of their own is evaluated once, as the department.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from decimal import Decimal

from kpidsl.data.factindex import FactIndex
from kpidsl.data.periods import previous as previous_period
from kpidsl.data.periods import year_to_date
from kpidsl.engine import fixedpoint as fp
from kpidsl.language import ast, constants
from kpidsl.language.exprtext import expr_text
from kpidsl.language.load import Model

Value = Decimal | bool | str | None


@dataclass(frozen=True)
class Reason:
    code: str  # E020 missing input, E021 zero divisor, E022 out of the exact range
    text: str  # names the employee when their own data is what is missing


@dataclass
class Scope:
    """Local names (a KPI's scoring inputs, a scheme's results) over the ruleset's values."""

    bindings: dict[str, tuple[ast.Expr | Known | None, Scope | None]] = field(default_factory=dict)

    def bind(self, **names: tuple[ast.Expr | Known | None, Scope | None]) -> Scope:
        return Scope({**self.bindings, **names})


ROOT = Scope()


@dataclass(frozen=True, eq=False)
class Known:
    """A value already known (a KPI's result, a scheme step explain computed), bound to a name."""

    value: Value


class Evaluator:
    def __init__(self, model: Model, facts: FactIndex) -> None:
        self.model = model
        self.facts = facts
        self._memo: dict[tuple[int, str, str | None, int], tuple[ast.Expr | Known, Scope, Value]] = {}
        self._goals = constants.goal_lookup(model.values)

    # -- values
    def _series(self, name: str) -> ast.Fact | ast.Metric | ast.Goal | None:
        decl = self.model.values.get(name)
        seen: set[str] = set()
        while isinstance(decl, ast.KpiCard) and decl.indicator is not None and decl.name not in seen:
            seen.add(decl.name)
            decl = self.model.values.get(decl.indicator.text)
        return decl if isinstance(decl, (ast.Fact, ast.Metric, ast.Goal)) else None

    def value(self, name: str, period: str, employee: str | None) -> Value:
        decl = self._series(name)
        if isinstance(decl, ast.Fact):
            return self.facts.value(period, employee, decl.name)
        if decl is None:
            return None
        formula = decl.formula if isinstance(decl, ast.Metric) else decl.expr
        return self.eval(formula, ROOT, period, employee)

    def _lookup(self, name: str, scope: Scope) -> tuple[ast.Expr | Known | None, Scope | None] | None:
        return scope.bindings.get(name)

    # -- evaluation with the plan's semantics
    def eval(self, e: ast.Expr | Known | None, scope: Scope, period: str, employee: str | None) -> Value:
        if e is None:
            return None
        key = (id(e), period, employee, id(scope))
        if key in self._memo:
            return self._memo[key][2]
        result = self._eval(e, scope, period, employee)
        self._memo[key] = (e, scope, result)  # holding e and scope keeps their ids from being reused
        return result

    def eval_in(self, e: ast.Expr, known: dict[str, Value], period: str, employee: str | None) -> Value:
        """`e` with the names of `known` bound to those values."""
        scope = ROOT.bind(**{name: (Known(v), ROOT) for name, v in known.items()})
        return self.eval(e, scope, period, employee)

    def _eval(self, e: ast.Expr | Known, scope: Scope, period: str, employee: str | None) -> Value:
        ev = self.eval
        if isinstance(e, Known):
            return e.value
        if isinstance(e, (ast.Number, ast.Name, ast.Unary, ast.Binary, ast.Call)):
            try:  # constants are exact and rounded once, as the plan folds them
                known = constants.fold(e, lambda name: None if self._lookup(name, scope) else self._goals(name))
            except (constants.NotConstant, constants.OutOfRange):
                pass  # reads data: evaluated step by step below
            else:
                return None if known is None else constants.rounded(known)
        if isinstance(e, ast.Number):
            return fp.quantize(e.value)
        if isinstance(e, ast.String):
            return e.value
        if isinstance(e, ast.Name):
            bound = self._lookup(e.name, scope)
            if bound is not None:
                return ev(bound[0], bound[1] or ROOT, period, employee)
            return self.value(e.name, period, employee)
        if isinstance(e, ast.Unary):
            x = ev(e.operand, scope, period, employee)
            if x is None:
                return None
            return (not x) if e.op == "not" else fp.quantize(-_number(x))
        if isinstance(e, ast.Binary):
            return self._binary(e, scope, period, employee)
        if isinstance(e, ast.IfThen):
            c = ev(e.condition, scope, period, employee)
            if c is None:
                return None
            return ev(e.then if c else e.otherwise, scope, period, employee)
        if isinstance(e, ast.Scale):
            x = ev(e.subject, scope, period, employee)
            if x is None:
                return None
            for row in e.rows:
                bound_value = ev(row.below, scope, period, employee)
                if bound_value is None:
                    return None
                if _number(x) < _number(bound_value):
                    return ev(row.value, scope, period, employee)
            return ev(e.otherwise, scope, period, employee)
        if isinstance(e, ast.Call):
            return self._call(e, scope, period, employee)
        return None

    def _binary(self, e: ast.Binary, scope: Scope, period: str, employee: str | None) -> Value:
        a = self.eval(e.left, scope, period, employee)
        b = self.eval(e.right, scope, period, employee)
        if e.op == "and":
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        if e.op == "or":
            if a is True or b is True:
                return True
            return None if a is None or b is None else False
        if a is None or b is None:
            return None
        ops = {"+": fp.py_add, "-": fp.py_sub, "*": fp.py_mul, "/": fp.py_div}
        if e.op in ops:
            return ops[e.op](_number(a), _number(b))
        # numbers, conditions or texts (the checker lets texts be ordered too)
        compare: dict[str, bool] = {"<": operator.lt(a, b), "<=": operator.le(a, b), ">": operator.gt(a, b),
                                    ">=": operator.ge(a, b), "=": a == b, "!=": a != b}
        return compare[e.op]

    def _call(self, e: ast.Call, scope: Scope, period: str, employee: str | None) -> Value:
        if e.function == "department":
            return self.value(e.args[0].name if e.args and isinstance(e.args[0], ast.Name) else "", period, None)
        if e.function == "ytd":
            name = e.args[0].name if e.args and isinstance(e.args[0], ast.Name) else ""
            so_far = [self.value(name, p, employee) if p in self.facts.periods else None
                      for p in year_to_date(period)]
            total: Decimal | None = Decimal(0)
            for v in so_far:
                total = fp.py_add(total, _number_or_none(v))
            return total
        if e.function in ("prev", "growth"):
            name = e.args[0].name if e.args and isinstance(e.args[0], ast.Name) else ""
            earlier = previous_period(period)
            before = self.value(name, earlier, employee) if earlier in self.facts.periods else None
            if isinstance(self._series(name), ast.Goal):
                before = self.value(name, period, employee)
            if e.function == "prev":
                return before
            now = self.value(name, period, employee)
            return fp.py_div(fp.py_sub(_number_or_none(now), _number_or_none(before)), _number_or_none(before))
        args = [self.eval(a, scope, period, employee) for a in e.args]
        if e.function in ("min", "max"):
            if any(a is None for a in args):
                return None
            numbers = [_number(a) for a in args]
            return min(numbers) if e.function == "min" else max(numbers)
        if args[0] is None:
            return None
        if e.function == "abs":
            return abs(_number(args[0]))
        if e.function == "round":
            digits = _integer(e.args[1]) if len(e.args) > 1 else 0
            return fp.quantize(fp.quantize(_number(args[0]), digits))
        return None

    # -- root causes
    def why(self, e: ast.Expr | Known | None, scope: Scope, period: str, employee: str | None,
            missing_text: str = "no value") -> list[Reason]:
        """The root causes of `e` being unknown (empty if it is known)."""
        if e is None:
            return [Reason("E020", missing_text)]
        if self.eval(e, scope, period, employee) is not None:
            return []
        out: list[Reason] = []
        if isinstance(e, ast.Name):
            bound = self._lookup(e.name, scope)
            if bound is not None:
                text = "the KPI has no target (neither on the line nor as the card's goal)" if e.name == "target" \
                    else f"`{e.name}` has no value"
                return self.why(bound[0], bound[1] or ROOT, period, employee, text)
            return self._why_value(e.name, period, employee)
        if isinstance(e, ast.Call) and e.function == "department":
            return self._why_value(e.args[0].name if e.args and isinstance(e.args[0], ast.Name) else "", period, None)
        if isinstance(e, ast.Call) and e.function == "ytd":
            name = e.args[0].name if e.args and isinstance(e.args[0], ast.Name) else ""
            so_far = year_to_date(period)
            absent = [p for p in so_far if p not in self.facts.periods]
            if absent:
                return [Reason("E020", f"`ytd({name})` needs every period of {period[:4]} up to {period}; "
                                       f"{', '.join(absent)} {'is' if len(absent) == 1 else 'are'} not in the data")]
            return _unique([r for p in so_far if self.value(name, p, employee) is None
                            for r in self._why_value(name, p, employee)])
        if isinstance(e, ast.Call) and e.function in ("prev", "growth"):
            name = e.args[0].name if e.args and isinstance(e.args[0], ast.Name) else ""
            earlier = previous_period(period)
            if earlier not in self.facts.periods and not isinstance(self._series(name), ast.Goal):
                return [Reason("E020", f"`{e.function}({name})` needs the previous period {earlier}, "
                                       "which is not in the data")]
            out += self._why_value(name, earlier, employee) if self.value(name, earlier, employee) is None else []
            if e.function == "growth":
                out += self._why_value(name, period, employee)
                if not out:
                    out.append(Reason("E021", f"division by zero: `{name}` was 0 in {earlier}, so its growth "
                                              f"in {period} is undefined"))
            return _unique(out)
        for child in self._relevant(e, scope, period, employee):
            out += self.why(child, scope, period, employee)
        if not out and isinstance(e, ast.Binary) and e.op == "/":
            a = self.eval(e.left, scope, period, employee)
            b = self.eval(e.right, scope, period, employee)
            problem = fp.division_problem(_number_or_none(a), _number_or_none(b))
            division, divisor = expr_text(e), expr_text(e.right)
            if problem == "zero":
                out.append(Reason("E021", f"`{divisor}` is 0 in {period}, so `{division}` divides by zero"))
            elif problem == "divisor_range":
                out.append(Reason("E022", f"`{divisor}` is {b} in {period}, too large a divisor for exact "
                                          f"arithmetic (the limit is 10^13), so `{division}` is unknown"))
            elif problem == "quotient_range":
                out.append(Reason("E022", f"`{division}` is 10^26 or more in {period}, beyond exact arithmetic"))
        return _unique(out)

    def _relevant(self, e: ast.Expr | Known, scope: Scope, period: str, employee: str | None) -> list[ast.Expr]:
        """The sub-expressions whose value decided `e` (an `if` only blames the branch it took)."""
        if isinstance(e, ast.Unary):
            return [e.operand]
        if isinstance(e, ast.Binary):
            return [e.left, e.right]
        if isinstance(e, ast.Call):
            return list(e.args[:1]) if e.function == "round" else list(e.args)
        if isinstance(e, ast.IfThen):
            c = self.eval(e.condition, scope, period, employee)
            return [e.condition] if c is None else [e.then if c else e.otherwise]
        if isinstance(e, ast.Scale):
            x = self.eval(e.subject, scope, period, employee)
            if x is None:
                return [e.subject]
            for row in e.rows:
                bound = self.eval(row.below, scope, period, employee)
                if bound is None:
                    return [row.below]
                if _number(x) < _number(bound):
                    return [row.value]
            return [e.otherwise]
        return []

    def _why_value(self, name: str, period: str, employee: str | None) -> list[Reason]:
        decl = self._series(name)
        if isinstance(decl, ast.Fact):
            if self.facts.value(period, employee, decl.name) is not None:
                return []
            if employee is not None and decl.level == "employee":
                return [Reason("E020", f"fact `{decl.name}` has no value of the employee's own in {period} "
                                       "(it is declared `per employee`: the department's value does not apply)")]
            if employee is not None and decl.level == "department":
                return [Reason("E020", f"fact `{decl.name}` has no department value in {period} "
                                       "(it is declared `per department`)")]
            if employee is not None and decl.name in self.facts.own_facts.get(employee, set()):
                return [Reason("E020", f"fact `{decl.name}` has no value in {period} for {employee} "
                                       "(nor at department level)")]
            return [Reason("E020", f"fact `{decl.name}` has no value in {period}")]
        if decl is None:
            return [Reason("E020", f"`{name}` is not defined")]
        formula = decl.formula if isinstance(decl, ast.Metric) else decl.expr
        return self.why(formula, ROOT, period, employee)


_SCORING = ("weight", "fact", "target", "baseline", "attainment", "plan_bonus", "index", "index_plan", "deviation")


def kpi_scope(series: str, better: str, line: ast.KpiLine, target: ast.Expr | None,
              scheme: ast.Scheme) -> Scope:
    """The names a KPI line's scheme and conditions see, as the plan binds them (scoring.py)."""
    span = line.indicator.span

    def name(text: str) -> ast.Name:
        return ast.Name(text, span)

    zero = ast.Number(Decimal(0), "0", span)
    inputs = ROOT.bind(weight=(line.weight or zero, ROOT), plan_bonus=(line.bonus or zero, ROOT),
                       baseline=(line.baseline, ROOT), target=(target, ROOT), fact=(name(series), ROOT))
    fact = name(series) if series not in _SCORING else name("fact")  # messages name the indicator
    ratio = ast.Binary("/", fact, name("target"), span) if better == "higher" \
        else ast.Binary("/", name("target"), fact, span)
    scope = inputs.bind(attainment=(ratio, inputs))
    for assignment in scheme.assignments:
        scope = scope.bind(**{assignment.name: (assignment.expr, scope)})
    return scope.bind(index_plan=(name("weight"), inputs),
                      deviation=(ast.Binary("-", name("index"), name("weight"), span), scope))


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen: dict[tuple[str, str], Reason] = {}
    for r in reasons:
        seen.setdefault((r.code, r.text), r)
    return list(seen.values())


def _number(value: Value) -> Decimal:
    """A value where the checker admits only numbers (arithmetic, `scale`, min/max/abs/round)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"a number was expected, not {value!r}")
    return value


def _number_or_none(value: Value) -> Decimal | None:
    """`_number`, or None for no value."""
    return None if value is None else _number(value)


def _integer(e: ast.Expr) -> int:
    if isinstance(e, ast.Unary) and e.op == "-":
        return -_integer(e.operand)
    return int(e.value) if isinstance(e, ast.Number) else 0
