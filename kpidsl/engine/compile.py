"""Compile: a checked `Model` → a `Plan` of SQL statements (SQLGlot expressions).

The plan evaluates every employee in every period at once.  Its inputs are two
tables the engine fills (data never enters the SQL text):

    kpidsl_facts(period VARCHAR, employee VARCHAR NULL, fact VARCHAR, value DECIMAL(38, 12))
    kpidsl_roster(employee VARCHAR, role VARCHAR)

and it runs as four statements:

1. `values`  — CREATE TABLE kpidsl_values: one row per period × (employee, plus a
   department row with a NULL employee) holding every fact (an employee's own
   value, else the department's), every metric and goal, and the previous-period
   values `prev`/`growth` need (a window over each employee's periods; NULL when
   the previous period is not in the data).
2. `kpis`    — one row per period × employee × KPI line: fact, target, baseline,
   weight, attainment, the scheme's index and bonus, deviation, quality gates,
   action conditions, status and the bonus rounded to the currency's minor unit.
   Each role is its own chain of stages over its employees' rows.
3. `rules`   — one row per period: whether each ruleset `rule` fired, computed on
   the department row.
4. `metrics` — every fact and metric per period at department level, and per
   employee where the employee's value differs.

Ruleset names are identifiers (always quoted) or, for roles, string literals
escaped by SQLGlot; internal columns carry a prefix no ruleset name starts with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from sqlglot import exp

from kpidsl.language import ast
from kpidsl.engine import fixedpoint as fp
from kpidsl.language.load import Model
from kpidsl.engine.lower import CompileError, Frame, Lowerer, Operand, column, paren

FACTS_TABLE = "kpidsl_facts"
ROSTER_TABLE = "kpidsl_roster"
VALUES_TABLE = "kpidsl_values"
DEFAULT_SCHEME = "weighted_index"
_DEFAULT_SCHEME_TEXT = """scheme weighted_index "Взвешенный индекс" {
  index = weight * attainment
  bonus = plan_bonus * (1 + index - weight)
}"""

# The kpis statement's columns, in order (gates and actions follow, padded to the widest line).
KPI_COLUMNS = ("period", "employee", "line", "fact", "target", "baseline", "weight", "plan_bonus",
               "attainment", "index", "deviation", "status", "bonus", "previous_fact")
# The decimal columns of each output statement (the engine fetches them as exact text).
DECIMAL_OUTPUTS = {"kpis": ("fact", "target", "baseline", "weight", "plan_bonus", "attainment", "index",
                            "deviation", "bonus", "previous_fact"),
                   "metrics": ("value",)}


@dataclass(frozen=True)
class LinePlan:
    """One KPI line of one role, and what the report needs to describe it."""

    id: int
    role: str
    kpi: str  # the indicator as written on the line (a metric, fact or KPI card)
    series: str  # the fact or metric whose value is the KPI's fact
    title: str
    unit: str | None
    kind: Literal["result", "process"]
    better: Literal["higher", "lower"]
    line: ast.KpiLine
    scheme: ast.Scheme  # the scheme that scores it
    target_expr: ast.Expr | None  # the line's target, else the card's goal
    gates: tuple[str, ...]  # each `require` condition as written
    actions: tuple[str, ...]  # each `when … action` text


@dataclass
class Plan:
    model: Model
    prefix: str  # internal column prefix
    minor_digits: int
    statements: dict[str, exp.Expression] = field(default_factory=dict)
    lines: list[LinePlan] = field(default_factory=list)
    role_gates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role → conditions as written
    rules: list[ast.Rule] = field(default_factory=list)
    value_names: list[str] = field(default_factory=list)  # the metrics statement's `value_index` order
    gate_width: int = 0
    action_width: int = 0
    role_gate_width: int = 0

    def sql(self, name: str, dialect: str = "duckdb", pretty: bool = False) -> str:
        tree = fp.for_dialect(self.statements[name], dialect)
        return tree.sql(dialect=dialect, identify=True, pretty=pretty)

    def script(self, dialect: str = "duckdb") -> str:
        """The whole plan for `dialect`, with a header describing its inputs and outputs."""
        body = ";\n\n".join(f"-- {name}\n{self.sql(name, dialect, pretty=True)}" for name in self.statements)
        return header(self, dialect) + "\n" + body + ";\n"


INPUT_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    FACTS_TABLE: (("period", "VARCHAR"), ("employee", "VARCHAR"), ("fact", "VARCHAR"), ("value", fp.VALUE_TYPE)),
    ROSTER_TABLE: (("employee", "VARCHAR"), ("role", "VARCHAR")),
}


def input_tables(dialect: str = "duckdb") -> list[exp.Expression]:
    """CREATE TABLE for the plan's two inputs."""
    def kind(t: str) -> exp.DataType:
        built = exp.DataType.build(t)
        if dialect == "bigquery" and built.this == exp.DataType.Type.DECIMAL:  # NUMERIC allows 9 decimals only
            return exp.DataType(this=exp.DataType.Type.BIGDECIMAL, expressions=built.expressions)
        return built

    out: list[exp.Expression] = []
    for table, columns in INPUT_COLUMNS.items():
        defs = [exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=kind(t)) for c, t in columns]
        out.append(exp.Create(this=exp.Schema(this=_table(table), expressions=defs), kind="TABLE"))
    return out


def input_insert(table: str) -> exp.Expression:
    """INSERT INTO table SELECT UNNEST($1), … — one list parameter per column, cast to its type."""
    items = [exp.cast(exp.Unnest(expressions=[exp.Placeholder(this=str(i))]), t)
             for i, (_, t) in enumerate(INPUT_COLUMNS[table], start=1)]
    return exp.insert(exp.select(*items), _table(table))


def header(plan: Plan, dialect: str) -> str:
    def clean(text: str) -> str:  # a comment line must stay one line
        return " ".join(text.split())

    lines = [
        f"kpidsl plan for ruleset {clean(plan.model.title)!r} ({dialect})",
        "",
        "Inputs (fill them before running):",
        *(f"  {create.sql(dialect=dialect, identify=True)};" for create in input_tables(dialect)),
        f"  {FACTS_TABLE}: one row per fact value; period as a {plan.model.period_kind} key "
        f"({ {'quarter': '2026Q3', 'month': '2026-09', 'year': '2026'}.get(plan.model.period_kind, '2026Q3') }); "
        "employee NULL = department level",
        "    (applies to every employee unless the employee has a row of their own)",
        f"  {ROSTER_TABLE}: one row per employee; role = a role name of the ruleset",
        "Statements: values (creates " + VALUES_TABLE + "), kpis, rules, metrics.",
        "Arithmetic is exact decimal fixed-point: every + - * / rounds half away from zero to",
        "12 decimals; divisions are guarded (NULL for a zero divisor); bonuses are rounded to",
        f"{plan.minor_digits} decimals. kpis.line, rules.rule_N and metrics.value_index refer to the",
        "ruleset's KPI lines, rules and values in the order kpidsl lists them.",
    ]
    return "\n".join(f"-- {line}".rstrip() for line in lines)


def _prefix(model: Model) -> str:
    prefix = "_"
    while any(name.startswith(prefix) for name in model.values):
        prefix += "_"
    return prefix


def _table(name: str, alias: str | None = None) -> exp.Expression:
    table = exp.Table(this=exp.to_identifier(name, quoted=True))
    return table.as_(exp.to_identifier(alias, quoted=True)) if alias else table


def _qcol(table: str, name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(table, quoted=True))


def _default_scheme() -> ast.Scheme:
    from kpidsl.language.parse import parse

    tree, _ = parse(_DEFAULT_SCHEME_TEXT, "<builtin>")
    assert tree is not None
    return next(d for d in tree.declarations if isinstance(d, ast.Scheme))


# ------------------------------------------------------------------ scopes


class ValueScope:
    """Ruleset values (facts, metrics, goals, KPI cards) as columns of the values frame."""

    def __init__(self, compiler: "_Compiler") -> None:
        self.c = compiler
        self.lowerer = Lowerer(compiler.values)
        self.constants: dict[str, Fraction | None] = {}  # exact values of constant formulas
        self._busy: set[str] = set()

    def declaration(self, name: ast.Name | str) -> ast.Fact | ast.Metric | ast.Goal | ast.KpiCard:
        text = name if isinstance(name, str) else name.name
        decl = self.c.model.values.get(text)
        if decl is None:
            raise CompileError(f"unknown name `{text}`", None if isinstance(name, str) else name.span)
        return decl

    def series(self, name: ast.Name | str) -> ast.Fact | ast.Metric | ast.Goal:
        """A KPI card stands for its indicator."""
        decl = self.declaration(name)
        seen = set()
        while isinstance(decl, ast.KpiCard):
            if decl.indicator is None or decl.name in seen:
                raise CompileError(f"KPI card `{decl.name}` has no indicator", decl.span)
            seen.add(decl.name)
            decl = self.declaration(ast.Name(decl.indicator.text, decl.indicator.span))
        return decl

    def ensure(self, decl: ast.Fact | ast.Metric | ast.Goal) -> Operand:
        if isinstance(decl, ast.Fact):
            return Operand(column(decl.name))
        if decl.name in self.constants:
            return Lowerer.constant(self.constants[decl.name]) if decl.name in self.c.folded else Operand(column(decl.name))
        if decl.name in self._busy:
            raise CompileError(f"`{decl.name}` is defined in terms of itself", decl.span)
        self._busy.add(decl.name)
        op = self.lowerer.lower(decl.formula if isinstance(decl, ast.Metric) else decl.expr, self)
        self._busy.discard(decl.name)
        self.c.values.define(decl.name, op.sql)
        self.constants[decl.name] = op.const
        if isinstance(decl, ast.Goal) and (op.const is not None or op.is_null):
            self.c.folded.add(decl.name)
            return Lowerer.constant(op.const)
        return Operand(column(decl.name))

    def resolve(self, name: ast.Name) -> Operand:
        return self.ensure(self.series(name))

    def previous(self, name: ast.Name) -> Operand:
        decl = self.series(name)
        if isinstance(decl, ast.Goal):  # a constant is the same in every period
            return self.ensure(decl)
        self.ensure(decl)
        prev_name = f"{self.c.prefix}prev_{decl.name}"
        if prev_name not in self.c.values.stage_of:
            p = self.c.prefix
            window = dict(partition_by=[column(f"{p}employee")],
                          order=exp.Order(expressions=[exp.Ordered(this=column(f"{p}ord"))]))
            lag_ord = exp.Window(this=exp.Lag(this=column(f"{p}ord")), **window)
            lag_value = exp.Window(this=exp.Lag(this=column(decl.name)), **window)
            adjacent = exp.EQ(this=lag_ord, expression=exp.Sub(this=column(f"{p}ord"), expression=exp.Literal.number(1)))
            self.c.values.define(prev_name, exp.Case(ifs=[exp.If(this=adjacent, true=lag_value)]))
            self.c.exports.append(prev_name)
        return Operand(column(prev_name))


class LocalScope:
    """Names bound for one KPI line (scoring inputs, scheme results) over the ruleset's values."""

    def __init__(self, values: ValueScope, names: dict[str, Operand]) -> None:
        self.values = values
        self.names = names

    def resolve(self, name: ast.Name) -> Operand:
        return self.names[name.name] if name.name in self.names else self.values.resolve(name)

    def previous(self, name: ast.Name) -> Operand:
        return self.values.previous(name)


# ------------------------------------------------------------------ the compiler


class _Compiler:
    def __init__(self, model: Model, minor_digits: int) -> None:
        self.model = model
        self.prefix = p = _prefix(model)
        self.minor = minor_digits
        self.grid_ctes: list[tuple[str, exp.Query]] = []
        self.values = Frame(prefix=f"{p}v", base=self._grid(), temp_prefix=f"{p}vt")
        self.exports: list[str] = []
        self.folded: set[str] = set()
        self.scope = ValueScope(self)
        self.plan = Plan(model, p, minor_digits)

    # -- stage 0: periods × people, facts pivoted, employee values over department values
    def _grid(self) -> exp.Query:
        p, model = self.prefix, self.model
        facts = list(model.facts)
        # An aggregated fact's per-employee row may hold NULL (`avg` over no records): that is
        # the employee's own "no data" and must not fall back to the department's value.
        aggregated = {f for f, d in model.facts.items() if d.aggregation is not None}

        def own_or_department(i: int, f: str) -> exp.Expression:
            if f not in aggregated:
                return exp.Coalesce(this=_qcol("o", f), expressions=[_qcol("d", f)])
            has_own = exp.GT(this=_qcol("o", f"{p}has{i}"), expression=exp.Literal.number(0))
            return exp.Case(ifs=[exp.If(this=has_own, true=_qcol("o", f))], default=_qcol("d", f))

        def pivot(per_employee: bool) -> exp.Select:
            keys = [exp.alias_(column("period"), f"{p}period", quoted=True)]
            if per_employee:
                keys.append(exp.alias_(column("employee"), f"{p}employee", quoted=True))
            cols = [exp.alias_(exp.Max(this=exp.Case(ifs=[exp.If(this=exp.EQ(this=column("fact"), expression=exp.Literal.string(f)),
                                                                  true=column("value"))])), f, quoted=True)
                    for f in facts]
            if per_employee:  # whether the employee has a row of an aggregated fact, even one with no value
                cols += [exp.alias_(exp.Count(this=exp.Case(ifs=[exp.If(this=exp.EQ(this=column("fact"), expression=exp.Literal.string(f)),
                                                                        true=exp.Literal.number(1))])), f"{p}has{i}", quoted=True)
                         for i, f in enumerate(facts) if f in aggregated]
            where = exp.Is(this=column("employee"), expression=exp.Null())
            select = exp.select(*keys, *cols).from_(_table(FACTS_TABLE))
            select = select.where(exp.Not(this=where) if per_employee else where)
            return select.group_by(*(column(k) for k in (["period", "employee"] if per_employee else ["period"])))

        periods = exp.select(exp.alias_(column("period"), f"{p}period", quoted=True)).distinct().from_(_table(FACTS_TABLE))
        people = exp.union(
            exp.select(exp.alias_(column("employee"), f"{p}employee", quoted=True),
                       exp.alias_(column("role"), f"{p}role", quoted=True)).from_(_table(ROSTER_TABLE)),
            exp.select(exp.cast(exp.Null(), "VARCHAR"), exp.cast(exp.Null(), "VARCHAR")),
            distinct=False, copy=False)
        period_col = _qcol("p", f"{p}period")
        grid = (exp.select(period_col.as_(f"{p}period", quoted=True),
                           exp.alias_(self._ordinal(period_col), f"{p}ord", quoted=True),
                           _qcol("e", f"{p}employee").as_(f"{p}employee", quoted=True),
                           _qcol("e", f"{p}role").as_(f"{p}role", quoted=True),
                           *[exp.alias_(own_or_department(i, f), f, quoted=True) for i, f in enumerate(facts)])
                .from_(_table(f"{p}periods", "p"))
                .join(_table(f"{p}people", "e"), join_type="cross")
                .join(_table(f"{p}dept", "d"), on=exp.EQ(this=_qcol("d", f"{p}period"), expression=period_col), join_type="left")
                .join(_table(f"{p}own", "o"),
                      on=exp.and_(exp.EQ(this=_qcol("o", f"{p}period"), expression=period_col),
                                  exp.EQ(this=_qcol("o", f"{p}employee"), expression=_qcol("e", f"{p}employee"))),
                      join_type="left"))
        self.grid_ctes = [(f"{p}periods", periods), (f"{p}people", people), (f"{p}dept", pivot(False)),
                          (f"{p}own", pivot(True))]
        return grid

    def _ordinal(self, period: exp.Expression) -> exp.Expression:
        """Consecutive periods get consecutive numbers (2026Q3 → 2026·4 + 2)."""
        def part(start: int, length: int) -> exp.Expression:
            return exp.cast(exp.Substring(this=period.copy(), start=exp.Literal.number(start),
                                          length=exp.Literal.number(length)), "INT")
        kind = self.model.period_kind
        if kind == "year":
            return exp.cast(period.copy(), "INT")
        per_year, length = (4, 1) if kind == "quarter" else (12, 2)
        return exp.Sub(this=exp.Add(this=exp.Mul(this=part(1, 4), expression=exp.Literal.number(per_year)),
                                    expression=part(6, length)),
                       expression=exp.Literal.number(1))

    # -- statement 1
    def values_statement(self) -> exp.Expression:
        p = self.prefix
        for name, decl in self.model.values.items():  # every metric and goal, used or not
            if isinstance(decl, (ast.Metric, ast.Goal)):
                self.scope.ensure(decl)
        names = [f"{p}period", f"{p}ord", f"{p}employee", f"{p}role", *self.model.facts,
                 *(n for n, d in self.model.values.items() if isinstance(d, (ast.Metric, ast.Goal))), *self.exports]
        query: exp.Select = exp.select(*(column(n) for n in names)).from_(_table(self.values.last_alias()))
        for alias, cte in [*self.grid_ctes, *self.values.ctes()]:
            query = query.with_(exp.to_identifier(alias, quoted=True), as_=cte, copy=False)
        return exp.Create(this=_table(VALUES_TABLE), kind="TABLE", expression=query)

    # -- statement 2
    def kpis_statement(self) -> exp.Expression | None:
        from kpidsl.engine.scoring import compile_roles

        return compile_roles(self)

    # -- statement 3
    def rules_statement(self) -> exp.Expression:
        p = self.prefix
        base = exp.select(exp.Star()).from_(_table(VALUES_TABLE)).where(exp.Is(this=column(f"{p}employee"), expression=exp.Null()))
        frame = Frame(prefix=f"{p}d", base=base, temp_prefix=f"{p}dt")
        lowerer = Lowerer(frame)
        outputs: list[exp.Expression] = [column(f"{p}period").as_("period", quoted=True)]
        for j, rule in enumerate(self.model.rules.values(), start=1):
            self.plan.rules.append(rule)
            cond = lowerer.lower(rule.when, self.scope).sql if rule.when is not None else exp.true()
            outputs.append(exp.alias_(frame.define(f"{p}rule{j}", paren(cond)), f"rule_{j}", quoted=True))
        query: exp.Select = exp.select(*outputs).from_(_table(frame.last_alias()))
        for alias, cte in frame.ctes():
            query = query.with_(exp.to_identifier(alias, quoted=True), as_=cte, copy=False)
        return query

    # -- statement 4
    def metrics_statement(self) -> exp.Expression | None:
        p = self.prefix
        names = [n for n, d in self.model.values.items() if isinstance(d, (ast.Fact, ast.Metric))]
        self.plan.value_names = names
        if not names:
            return None
        branches = []
        for k, name in enumerate(names):
            mine, dept = _qcol("v", name), _qcol("d", name)
            branches.append(
                exp.select(_qcol("v", f"{p}period").as_("period", quoted=True),
                           _qcol("v", f"{p}employee").as_("employee", quoted=True),
                           exp.alias_(exp.Literal.number(k), "value_index", quoted=True),
                           mine.as_("value", quoted=True))
                .from_(_table(VALUES_TABLE, "v"))
                .join(_table(VALUES_TABLE, "d"),
                      on=exp.and_(exp.EQ(this=_qcol("d", f"{p}period"), expression=_qcol("v", f"{p}period")),
                                  exp.Is(this=_qcol("d", f"{p}employee"), expression=exp.Null())),
                      join_type="left")
                .where(exp.or_(exp.Is(this=_qcol("v", f"{p}employee"), expression=exp.Null()),
                               exp.NullSafeNEQ(this=mine.copy(), expression=dept))))
        query: exp.Query = branches[0]
        for branch in branches[1:]:
            query = exp.union(query, branch, distinct=False, copy=False)
        order = [exp.Ordered(this=column("value_index")), exp.Ordered(this=column("period")),
                 exp.Ordered(this=column("employee"), nulls_first=True)]
        return query.order_by(*order, copy=False)


def compile_model(model: Model, minor_digits: int = 2) -> Plan:
    """The plan for `model`; raises `CompileError` for what the checker should have rejected."""
    c = _Compiler(model, minor_digits)
    kpis = c.kpis_statement()
    rules = c.rules_statement() if model.rules else None
    metrics = c.metrics_statement()
    c.plan.statements["values"] = c.values_statement()  # last: the others add columns to it
    c.plan.statements = {"values": c.plan.statements["values"],
                         **({"kpis": kpis} if kpis is not None else {}),
                         **({"rules": rules} if rules is not None else {}),
                         **({"metrics": metrics} if metrics is not None else {})}
    return c.plan
