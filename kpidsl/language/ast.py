"""The typed AST of a ruleset: frozen dataclasses, each with its source span.

The parser builds these from Lark's parse tree; nothing after the parser sees a
`lark.Tree`.  A declaration's `span` points at its name, so diagnostics about it
land where a reader looks.  References to other declarations are `Ident`s so
"unknown name" errors can point at the reference itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from kpidsl.base.diagnostics import Span

# ------------------------------------------------------------------ expressions


@dataclass(frozen=True, slots=True)
class Ident:
    """A name as written where the grammar expects one (a unit, a role, a column), with its place."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Number:
    """A number literal: its exact value and its spelling."""

    value: Decimal  # `20%` is Decimal("0.20")
    text: str  # as written, for the formatter: "10_000_000", "20%"
    span: Span

    @property
    def is_percent(self) -> bool:
        return self.text.endswith("%")


@dataclass(frozen=True, slots=True)
class String:
    """A text literal, unescaped."""

    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    """A reference to a fact, metric, goal, parameter or scheme variable."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    """A built-in function applied to its arguments: `growth(revenue)`."""

    function: str
    args: tuple[Expr, ...]
    span: Span


UnaryOp = Literal["-", "not"]
BinaryOp = Literal["+", "-", "*", "/", "<", "<=", ">", ">=", "=", "!=", "and", "or"]
ARITHMETIC_OPS = ("+", "-", "*", "/")
COMPARISON_OPS = ("<", "<=", ">", ">=", "=", "!=")
LOGICAL_OPS = ("and", "or")


@dataclass(frozen=True, slots=True)
class Unary:
    """`-x` or `not x`."""

    op: UnaryOp
    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Binary:
    """An arithmetic, comparison or logical operator with its two operands."""

    op: BinaryOp
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class IfThen:
    """`if condition then a else b`."""

    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class ScaleRow:
    """One row of a scale: `below bound -> value`."""

    below: Expr
    value: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Scale:
    """A stepped table: the value of the first row whose `below` bound exceeds the subject."""

    subject: Expr
    rows: tuple[ScaleRow, ...]
    otherwise: Expr
    span: Span


Expr = Number | String | Name | Call | Unary | Binary | IfThen | Scale

# ------------------------------------------------------------------ declarations


@dataclass(frozen=True, slots=True)
class Validity:
    """`from 2026-07-01 to 2026-12-31`: the days a version of a role, scheme, KPI line, goal or
    param is in force, both inclusive (ISO dates as written; None = open; language/versions.py)."""

    start: Ident | None
    end: Ident | None
    span: Span  # the `from` (or `to`) date

    def text(self) -> str:
        """`from 2026-07-01 to 2026-12-31` as written (the formatter, messages)."""
        parts = [f"from {self.start.text}"] if self.start is not None else []
        return " ".join([*parts, *([f"to {self.end.text}"] if self.end is not None else [])])


@dataclass(frozen=True, slots=True)
class Header:
    """The `ruleset` block: title, client and the settings every file of the ruleset shares."""

    title: str
    client: str | None
    currency: Ident | None
    period_kind: Ident | None
    locale: Ident | None
    span: Span
    prorate: Ident | None = None  # `days` (the default) or `none`: how a partial assignment is paid
    pay_kind: Ident | None = None  # `pay quarter`: results per payout period, over data per `period`


@dataclass(frozen=True, slots=True)
class Import:
    """`import std/marketing`: another ruleset file whose declarations this one uses."""

    path: str  # as written: "std/marketing", "../common/base.kpi"
    span: Span


@dataclass(frozen=True, slots=True)
class Aggregation:
    """`= sum amount from deals where status = "won"`: a fact computed from records."""

    function: Literal["sum", "count", "avg", "min", "max"]
    distinct: bool
    column: Ident | None  # None only for `count`
    records: Ident
    where: Expr | None
    span: Span


Direction = Literal["higher", "lower"]
Level = Literal["employee", "department"]  # `per employee`: personal; `per department`: shared by all


@dataclass(frozen=True, slots=True)
class Fact:
    """A measured input value, read from the facts files or aggregated from records.

    `better` is last and optional so that a fact built in code without it stays
    higher-is-better, as every fact was before facts had a direction."""

    name: str
    title: str | None
    unit: Ident | None
    source: Ident | None
    area: Ident | None
    aggregation: Aggregation | None
    span: Span
    better: Direction | None = None  # None: not written (higher)
    level: Level | None = None  # None: not written (an employee's own value, else the department's)
    rollup: Ident | None = None  # `sum` (None: the default), `last` or `avg`: data periods into a payout period


@dataclass(frozen=True, slots=True)
class Records:
    """A source of raw records (deals, leads, ad spend rows) that facts aggregate."""

    name: str
    title: str | None
    file: str | None
    date_column: Ident | None
    employee_column: Ident | None
    span: Span


@dataclass(frozen=True, slots=True)
class Metric:
    """A computed indicator: a formula over facts and other metrics."""

    name: str
    title: str | None
    formula: Expr
    unit: Ident | None
    better: Direction | None  # None: not written (higher)
    kind: Ident | None  # "result" | "process"; None: not written (result)
    span: Span


@dataclass(frozen=True, slots=True)
class KpiCard:
    """The seed's "logic of building an indicator": a KPI with its passport."""

    name: str
    title: str | None
    measures: str | None
    audience: str | None
    access: str | None
    source: str | None
    frequency: Ident | None
    owner: str | None
    indicator: Ident | None
    goal: Expr | None
    goal_by: Ident | None  # `goal … by 2026-12-31`, as written (K069 checks it is a real day)
    span: Span


@dataclass(frozen=True, slots=True)
class Assignment:
    """One line of a scheme: `bonus = …`."""

    name: str
    expr: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Payout:
    """`payout { … bonus = … }`: how the employee's whole bonus follows from the role's
    totals (the "матрица КПЭ"), in a scheme shared by roles or in one role."""

    assignments: tuple[Assignment, ...]
    span: Span  # the `payout` keyword


@dataclass(frozen=True, slots=True)
class Scheme:
    """How a KPI line's index and bonus are computed from its attainment."""

    name: str
    title: str | None
    assignments: tuple[Assignment, ...]
    span: Span
    payout: Payout | None = None
    valid: Validity | None = None  # a dated version (language/versions.py)


@dataclass(frozen=True, slots=True)
class Action:
    """`when condition action "text"`: a corrective measure proposed when the condition holds."""

    condition: Expr
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class KpiLine:
    """One KPI of a role: `kpi roas weight 0.3 baseline 15 target 20 bonus 10000`."""

    indicator: Ident  # a metric, fact or KPI card
    weight: Expr | None
    baseline: Expr | None
    target: Expr | None
    bonus: Expr | None
    requires: tuple[Expr, ...]
    actions: tuple[Action, ...]
    span: Span
    valid: Validity | None = None  # a dated version of the line (its target, weight, bonus)


@dataclass(frozen=True, slots=True)
class Role:
    """A role's KPI lines, scheme, quality conditions and the metrics it watches."""

    name: str
    title: str | None
    scheme: Ident | None
    controls: tuple[Ident, ...]
    requires: tuple[Expr, ...]  # role-wide quality conditions
    kpis: tuple[KpiLine, ...]
    span: Span
    payout: Payout | None = None  # the role's own payout (else its scheme's, if any)
    valid: Validity | None = None  # a dated version of the role


@dataclass(frozen=True, slots=True)
class Employee:
    """`employee "Name" role r [from DATE] [to DATE]`: a person evaluated in a role, for the
    days from `start` to `end` inclusive (ISO dates as written; None = open)."""

    name: str
    role: Ident
    span: Span
    start: str | None = None
    end: str | None = None
    start_span: Span | None = None
    end_span: Span | None = None


@dataclass(frozen=True, slots=True)
class Goal:
    """A company goal or a parameter: a named constant that targets cascade from."""

    kind: Literal["goal", "param"]
    name: str
    title: str | None
    expr: Expr
    span: Span
    valid: Validity | None = None  # a dated version of the value


@dataclass(frozen=True, slots=True)
class Rule:
    """A company-level rule: a condition, a level and a message or action."""

    name: str
    title: str | None
    when: Expr | None
    level: Ident | None
    actions: tuple[str, ...]
    message: str | None
    span: Span


Declaration = Fact | Records | Metric | KpiCard | Scheme | Role | Employee | Goal | Rule
Item = Header | Import | Declaration


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment's text and place, kept for the formatter."""

    text: str  # including the leading '#'
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Ruleset:
    """One parsed file: its items in source order, and its comments (for `fmt`)."""

    file: str
    items: tuple[Item, ...]
    comments: tuple[Comment, ...] = ()

    @property
    def header(self) -> Header | None:
        return next((i for i in self.items if isinstance(i, Header)), None)

    @property
    def imports(self) -> tuple[Import, ...]:
        return tuple(i for i in self.items if isinstance(i, Import))

    @property
    def declarations(self) -> tuple[Declaration, ...]:
        return tuple(i for i in self.items if not isinstance(i, (Header, Import)))


def children(expr: Expr) -> list[Expr]:
    """The direct sub-expressions of `expr`, in order."""
    if isinstance(expr, Call):
        return list(expr.args)
    if isinstance(expr, Unary):
        return [expr.operand]
    if isinstance(expr, Binary):
        return [expr.left, expr.right]
    if isinstance(expr, IfThen):
        return [expr.condition, expr.then, expr.otherwise]
    if isinstance(expr, Scale):
        return [expr.subject, *(part for row in expr.rows for part in (row.below, row.value)), expr.otherwise]
    return []


def walk(expr: Expr) -> Iterator[Expr]:
    """Every sub-expression of `expr`, itself first."""
    yield expr
    for child in children(expr):
        yield from walk(child)


def names_in(expr: Expr) -> list[Name]:
    """The names an expression refers to, in order (function names excluded)."""
    return [e for e in walk(expr) if isinstance(e, Name)]


def direction(decl: object) -> Direction:
    """Which way an indicator improves: a fact's or metric's `better`, else higher.

    The one place that answers it, so scoring, the checker, results and reports agree
    on a fact's direction as on a metric's (goals, params and cards have none)."""
    better = decl.better if isinstance(decl, (Fact, Metric)) else None
    return better or "higher"
