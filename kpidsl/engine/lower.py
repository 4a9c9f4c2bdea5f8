"""Lower: ruleset expressions → SQLGlot expressions over staged columns.

A `Frame` is one relation built as a chain of CTE stages: stage 0 is a base query,
and each later stage selects everything before it plus the columns that can be
computed from earlier stages.  Every intermediate worth naming — a metric, a
previous-period value, an operand the fixed-point arithmetic repeats — becomes
its own column, so the SQL stays linear in the size of the ruleset instead of
copying sub-expressions into every place that uses them.

`Lowerer.lower` turns one `ast.Expr` into an `Operand` given a `Scope` that says
what each name means (a ruleset value, a KPI's scoring input, a scheme's
intermediate result).  Semantics, identical to `reasons.evaluate`:

* arithmetic is `fixedpoint` (exact, 12 decimals, NULL on a zero divisor);
* NULL propagates through arithmetic, comparisons, min/max/abs/round, `if` with
  an unknown condition and `scale` with an unknown subject;
* `and`/`or`/`not` are SQL's three-valued logic (`false and unknown` is false);
* constants — numbers, goals, params and `+ - * /`, unary minus, abs, min, max
  and round over them — are folded in Python *exactly* (`constants.py`) and
  rounded to 12 decimals once, where they meet data as a SQL literal: the
  operand keeps the exact value, its SQL the rounded one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from sqlglot import exp

from kpidsl.base.diagnostics import Span
from kpidsl.engine import fixedpoint as fp
from kpidsl.language import ast, constants


class CompileError(Exception):
    """The model cannot be compiled (the checker should have said so first)."""

    def __init__(self, message: str, span: Span | None = None) -> None:
        super().__init__(message)
        self.span = span


def column(name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True))


PER_YEAR = {"quarter": 4, "month": 12}  # periods of a kind in a year


def year_of(period: exp.Expression) -> exp.Expression:
    """The year of a canonical period key (`2026Q3`, `2026-09`, `2026`): its first four characters."""
    return exp.cast(exp.Substring(this=period.copy(), start=exp.Literal.number(1), length=exp.Literal.number(4)),
                    "INT")


def paren(e: exp.Expression) -> exp.Expression:
    """`e` as an operand: parenthesized unless atomic (SQLGlot does not add parentheses)."""
    return e if fp.is_atom(e) else exp.Paren(this=e)


@dataclass
class Operand:
    sql: exp.Expression
    const: Fraction | None = None  # the exact value, when it is a constant
    is_null: bool = False  # a constant NULL (e.g. a constant division by zero)

    @property
    def value(self) -> Decimal | None:
        """The constant as the SQL sees it: rounded once to 12 decimals."""
        return None if self.const is None else constants.rounded(self.const)


@dataclass
class Frame:
    """A relation as staged CTEs; `define` adds a column at the earliest possible stage."""

    prefix: str  # CTE names: f"{prefix}{stage}"
    base: exp.Query
    temp_prefix: str
    stage_of: dict[str, int] = field(default_factory=dict)  # defined column → stage
    order: list[str] = field(default_factory=list)
    sql_of: dict[str, exp.Expression] = field(default_factory=dict)
    _memo: dict[exp.Expression, str] = field(default_factory=dict)  # SQLGlot trees compare by structure

    def available(self, e: exp.Expression) -> int:
        """The first stage that can compute `e` (names not defined here are base columns)."""
        stages = [self.stage_of.get(c.name, 0) for c in e.find_all(exp.Column)]
        return 1 + max(stages, default=0)

    def define(self, name: str, e: exp.Expression) -> exp.Column:
        if name in self.stage_of:
            raise CompileError(f"column `{name}` defined twice")
        self.stage_of[name] = self.available(e)
        self.order.append(name)
        self.sql_of[name] = e
        return column(name)

    def temp(self, e: exp.Expression) -> exp.Column:
        """A column for `e`, shared by every identical expression."""
        key = e
        if key not in self._memo:
            self._memo[key] = f"{self.temp_prefix}{len(self._memo) + 1}"
            self.define(self._memo[key], e)
        return column(self._memo[key])

    @property
    def last_stage(self) -> int:
        return max(self.stage_of.values(), default=0)

    def ctes(self, upto: int | None = None) -> list[tuple[str, exp.Query]]:
        """(alias, query) for stage 0 … the last stage, each selecting `*` plus its columns."""
        last = self.last_stage if upto is None else upto
        out: list[tuple[str, exp.Query]] = [(f"{self.prefix}0", self.base)]
        for stage in range(1, last + 1):
            new = [exp.alias_(self.sql_of[n], exp.to_identifier(n, quoted=True), copy=False)
                   for n in self.order if self.stage_of[n] == stage]
            previous = exp.Table(this=exp.to_identifier(f"{self.prefix}{stage - 1}", quoted=True))
            select = exp.select(exp.Star(), *new, copy=False).from_(previous, copy=False)
            out.append((f"{self.prefix}{stage}", select))
        return out

    def last_alias(self) -> str:
        return f"{self.prefix}{self.last_stage}"


def union_all(branches: list[exp.Select], ctes: list[tuple[str, exp.Query]]) -> exp.Select | exp.Union:
    """The branches as one UNION ALL (one branch: itself), with the CTEs their frames staged."""
    query: exp.Select | exp.Union = branches[0]
    for branch in branches[1:]:
        query = exp.union(query, branch, distinct=False, copy=False)
    for alias, cte in ctes:
        query = query.with_(exp.to_identifier(alias, quoted=True), as_=cte, copy=False)
    return query


class Scope(Protocol):
    def resolve(self, name: ast.Name) -> Operand: ...

    def previous(self, name: ast.Name) -> Operand:
        """`prev(name)`: the value of a fact or metric in the previous period."""
        ...

    def year_to_date(self, name: ast.Name) -> Operand:
        """`ytd(name)`: a fact summed over this year's periods up to this one."""
        ...

    def department(self, name: ast.Name) -> Operand:
        """`department(name)`: the value of a fact or metric on the department row of the period."""
        ...


class Lowerer:
    """AST expressions → operands in one frame."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    # -- helpers
    def simple(self, op: Operand) -> Operand:
        """An operand cheap to repeat: a column or a literal (else materialized as a column)."""
        if op.const is not None or op.is_null or isinstance(op.sql, (exp.Column, exp.Null)):
            return op
        return Operand(self.frame.temp(op.sql))

    def bind(self, e: exp.Expression) -> exp.Expression:
        return self.frame.temp(e)

    @staticmethod
    def constant(value: Fraction | Decimal | None) -> Operand:
        """A constant (None: a constant NULL); exact here, rounded to 12 decimals in the SQL."""
        if value is None:
            return Operand(fp.null_value(), is_null=True)
        try:
            value = value if isinstance(value, Fraction) else constants.exact(value)
        except constants.OutOfRange as exc:
            raise CompileError(str(exc)) from None
        shown = constants.rounded(value)
        if abs(shown) >= fp.MAX_VALUE:
            raise CompileError(f"a constant ({shown:.6E}) is 10^26 or more, beyond exact arithmetic")
        return Operand(fp.literal(shown), const=value)

    # -- arithmetic: constants exactly, everything else with the fixed-point SQL
    def arith(self, op: str, left: Operand, right: Operand) -> Operand:
        if left.is_null or right.is_null:
            return self.constant(None)
        if left.const is not None and right.const is not None:
            try:
                return self.constant(constants.arith(op, left.const, right.const))
            except constants.OutOfRange as exc:
                raise CompileError(str(exc)) from None
        if op == "+":
            return Operand(fp.add(left.sql, right.sql))
        if op == "-":
            return Operand(fp.sub(left.sql, right.sql))
        a, b = self.simple(left), self.simple(right)
        if op == "*":  # a constant meets data here: the rounded value, as its literal says
            return Operand(fp.mul(a.sql, b.sql, a.value, b.value))
        return Operand(fp.div(a.sql, b.sql, self.bind, a.value, b.value))

    def lower(self, e: ast.Expr, scope: Scope) -> Operand:
        if isinstance(e, ast.Number):
            return self.constant(e.value)
        if isinstance(e, ast.String):
            return Operand(exp.Literal.string(e.value))
        if isinstance(e, ast.Name):
            return scope.resolve(e)
        if isinstance(e, ast.Unary):
            inner = self.lower(e.operand, scope)
            if e.op == "not":
                return Operand(exp.Not(this=paren(inner.sql)))
            if inner.const is not None:
                return self.constant(-inner.const)
            return inner if inner.is_null else Operand(fp.neg(inner.sql))
        if isinstance(e, ast.Binary):
            return self._binary(e, scope)
        if isinstance(e, ast.IfThen):
            cond = self.simple(self.lower(e.condition, scope))
            then, otherwise = self.lower(e.then, scope), self.lower(e.otherwise, scope)
            unknown = exp.If(this=exp.Is(this=paren(cond.sql.copy()), expression=exp.Null()), true=exp.Null())
            return Operand(exp.Case(ifs=[unknown, exp.If(this=paren(cond.sql.copy()), true=then.sql)],
                                    default=otherwise.sql))
        if isinstance(e, ast.Scale):
            return self._scale(e, scope)
        if isinstance(e, ast.Call):
            return self._call(e, scope)
        raise CompileError(f"cannot compile {type(e).__name__}", getattr(e, "span", None))

    def _binary(self, e: ast.Binary, scope: Scope) -> Operand:
        left, right = self.lower(e.left, scope), self.lower(e.right, scope)
        if e.op in ast.ARITHMETIC_OPS:
            return self.arith(e.op, left, right)
        if e.op == "and":
            return Operand(exp.And(this=paren(left.sql), expression=paren(right.sql)))
        if e.op == "or":
            return Operand(exp.Or(this=paren(left.sql), expression=paren(right.sql)))
        compare: dict[str, type[exp.Expression]] = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE,
                                                    "=": exp.EQ, "!=": exp.NEQ}
        return Operand(compare[e.op](this=paren(left.sql), expression=paren(right.sql)))

    def _scale(self, e: ast.Scale, scope: Scope) -> Operand:
        subject = self.simple(self.lower(e.subject, scope))
        ifs = [exp.If(this=exp.Is(this=subject.sql.copy(), expression=exp.Null()), true=exp.Null())]
        for row in e.rows:
            bound = self.simple(self.lower(row.below, scope))
            if bound.const is None:  # an unknown bound makes the whole table unknown
                ifs.append(exp.If(this=exp.Is(this=bound.sql.copy(), expression=exp.Null()), true=exp.Null()))
            ifs.append(exp.If(this=exp.LT(this=subject.sql.copy(), expression=bound.sql.copy()),
                              true=self.lower(row.value, scope).sql))
        return Operand(fp.as_value(exp.Case(ifs=ifs, default=self.lower(e.otherwise, scope).sql)))

    def _call(self, e: ast.Call, scope: Scope) -> Operand:
        name = e.function
        if name in ("prev", "growth", "department", "ytd"):
            series = e.args[0] if e.args else None
            if not isinstance(series, ast.Name):
                raise CompileError(f"`{name}` needs the name of a fact or metric", e.span)
            if name == "department":
                return scope.department(series)
            if name == "ytd":
                return scope.year_to_date(series)
            previous = scope.previous(series)
            if name == "prev":
                return previous
            current = self.lower(series, scope)
            return self.arith("/", self.arith("-", current, previous), previous)
        args = [self.lower(a, scope) for a in e.args]
        if name in ("min", "max"):
            result = args[0]
            for other in args[1:]:
                result = self._pick(result, other, smallest=name == "min")
            return result
        if name == "abs":
            a = args[0]
            if a.const is not None:
                return self.constant(abs(a.const))
            return a if a.is_null else Operand(fp.as_value(exp.Abs(this=a.sql)))
        if name == "round":
            digits = _integer_literal(e.args[1]) if len(e.args) > 1 else 0
            a = args[0]
            if a.const is not None:
                return self.constant(constants.round_exact(a.const, digits))
            return a if a.is_null else Operand(fp.round_to(paren(a.sql), digits))
        raise CompileError(f"unknown function `{name}`", e.span)

    def _pick(self, a: Operand, b: Operand, smallest: bool) -> Operand:
        if a.is_null or b.is_null:
            return self.constant(None)
        if a.const is not None and b.const is not None:
            return self.constant(min(a.const, b.const) if smallest else max(a.const, b.const))
        a, b = self.simple(a), self.simple(b)
        def x() -> exp.Expression:
            return a.sql.copy()

        def y() -> exp.Expression:
            return b.sql.copy()

        unknown = exp.Or(this=exp.Is(this=x(), expression=exp.Null()),
                         expression=exp.Is(this=y(), expression=exp.Null()))
        keep_a = exp.LTE(this=x(), expression=y()) if smallest else exp.GTE(this=x(), expression=y())
        return Operand(exp.Case(ifs=[exp.If(this=unknown, true=exp.Null()), exp.If(this=keep_a, true=x())],
                                default=y()))


def _integer_literal(e: ast.Expr) -> int:
    if isinstance(e, ast.Number) and e.value == e.value.to_integral_value():
        return int(e.value)
    if isinstance(e, ast.Unary) and e.op == "-":
        return -_integer_literal(e.operand)
    raise CompileError("`round` takes a whole number of decimals: round(x, 2)", getattr(e, "span", None))
