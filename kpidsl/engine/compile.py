"""Compile: a checked `Model` → a `Plan` of SQL statements (SQLGlot expressions).

The plan evaluates every employee in every period at once.  Its inputs are two
tables the engine fills (data never enters the SQL text):

    kpidsl_facts(period VARCHAR, employee VARCHAR NULL, fact VARCHAR, value DECIMAL(38, 12))
    kpidsl_roster(employee VARCHAR, role VARCHAR)
    kpidsl_days(period VARCHAR, employee VARCHAR, role VARCHAR, days INTEGER, period_days INTEGER)
                  (a dated roster only: who holds which role in which period, and for how long)

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

from sqlglot import exp

from kpidsl.engine import fixedpoint as fp
from kpidsl.engine.lower import PER_YEAR, Frame, Lowerer, column, paren, year_of
from kpidsl.engine.plan import DAYS_TABLE, FACTS_TABLE, ROSTER_TABLE, VALUES_TABLE, Plan, qcol, table
from kpidsl.engine.scopes import ValueScope
from kpidsl.engine.totals import compile_totals
from kpidsl.engine.versions import RoleVariant
from kpidsl.language import ast
from kpidsl.language.levels import fact_levels
from kpidsl.language.load import Model


def _prefix(model: Model) -> str:
    prefix = "_"
    while any(name.startswith(prefix) for name in model.values):
        prefix += "_"
    return prefix


# ------------------------------------------------------------------ the compiler


class Compiler:
    def __init__(self, model: Model, minor_digits: int, dated: bool = False) -> None:
        self.model = model
        self.prefix = p = _prefix(model)
        self.minor = minor_digits
        self.dated = dated
        prorate = model.header.prorate if model.header is not None else None
        self.prorated = dated and (prorate is None or prorate.text != "none")
        self.grid_ctes: list[tuple[str, exp.Query]] = []
        self.values = Frame(prefix=f"{p}v", base=self._grid(), temp_prefix=f"{p}vt")
        self.exports: list[str] = []
        self.folded: set[str] = set()
        self.scope = ValueScope(self)
        self.plan = Plan(model, p, minor_digits, dated=dated, prorated=self.prorated)
        self.variants: dict[str, RoleVariant] = {}  # the plan's role variants by key (engine/versions.py)
        self.line_id = 0  # the last KPI line's id
        self.builtin: ast.Scheme | None = None  # the default scheme, when a role uses it

    # -- stage 0: periods × people, facts pivoted, each fact at its level
    def _grid(self) -> exp.Query:
        p, model = self.prefix, self.model
        facts = list(model.facts)
        # An aggregated fact's per-employee row may hold NULL (`avg` over no records): that is
        # the employee's own "no data" and must not fall back to the department's value.
        aggregated = {f for f, d in model.facts.items() if d.aggregation is not None}
        levels = fact_levels(model)

        def own_or_department(i: int, f: str) -> exp.Expression:
            """What each row reads of fact `f`, by its level (language/levels.py)."""
            if levels[f] == "department":
                return qcol("d", f)
            if levels[f] == "employee":
                department_row = exp.Is(this=qcol("e", f"{p}employee"), expression=exp.Null())
                return exp.Case(ifs=[exp.If(this=department_row, true=qcol("d", f))], default=qcol("o", f))
            if f not in aggregated:
                return exp.Coalesce(this=qcol("o", f), expressions=[qcol("d", f)])
            has_own = exp.GT(this=qcol("o", f"{p}has{i}"), expression=exp.Literal.number(0))
            return exp.Case(ifs=[exp.If(this=has_own, true=qcol("o", f))], default=qcol("d", f))

        def pivot(per_employee: bool) -> exp.Select:
            keys = [exp.alias_(column("period"), f"{p}period", quoted=True)]
            if per_employee:
                keys.append(exp.alias_(column("employee"), f"{p}employee", quoted=True))
            def when_fact(f: str, value: exp.Expression) -> exp.Case:
                is_f = exp.EQ(this=column("fact"), expression=exp.Literal.string(f))
                return exp.Case(ifs=[exp.If(this=is_f, true=value)])

            cols = [exp.alias_(exp.Max(this=when_fact(f, column("value"))), f, quoted=True) for f in facts]
            if per_employee:  # whether the employee has a row of an aggregated fact, even one with no value
                cols += [exp.alias_(exp.Count(this=when_fact(f, exp.Literal.number(1))), f"{p}has{i}", quoted=True)
                         for i, f in enumerate(facts) if f in aggregated]
            where = exp.Is(this=column("employee"), expression=exp.Null())
            select = exp.select(*keys, *cols).from_(table(FACTS_TABLE))
            select = select.where(exp.Not(this=where) if per_employee else where)
            return select.group_by(*(column(k) for k in (["period", "employee"] if per_employee else ["period"])))

        periods = (exp.select(exp.alias_(column("period"), f"{p}period", quoted=True))
                   .distinct().from_(table(FACTS_TABLE)))
        people = exp.union(
            exp.select(exp.alias_(column("employee"), f"{p}employee", quoted=True),
                       exp.alias_(column("role"), f"{p}role", quoted=True)).from_(table(ROSTER_TABLE)),
            exp.select(exp.cast(exp.Null(), "VARCHAR"), exp.cast(exp.Null(), "VARCHAR")),
            distinct=False, copy=False)
        period_col = qcol("p", f"{p}period")
        grid = (exp.select(period_col.as_(f"{p}period", quoted=True),
                           exp.alias_(self._ordinal(period_col), f"{p}ord", quoted=True),
                           qcol("e", f"{p}employee").as_(f"{p}employee", quoted=True),
                           qcol("e", f"{p}role").as_(f"{p}role", quoted=True),
                           *[exp.alias_(own_or_department(i, f), f, quoted=True) for i, f in enumerate(facts)])
                .from_(table(f"{p}periods", "p"))
                .join(table(f"{p}people", "e"), join_type="cross")
                .join(table(f"{p}dept", "d"), on=exp.EQ(this=qcol("d", f"{p}period"), expression=period_col),
                      join_type="left")
                .join(table(f"{p}own", "o"),
                      on=exp.and_(exp.EQ(this=qcol("o", f"{p}period"), expression=period_col),
                                  exp.EQ(this=qcol("o", f"{p}employee"), expression=qcol("e", f"{p}employee"))),
                      join_type="left"))
        self.grid_ctes = [(f"{p}periods", periods), (f"{p}people", people), (f"{p}dept", pivot(False)),
                          (f"{p}own", pivot(True))]
        return self._days(grid) if self.dated else grid

    def _days(self, grid: exp.Select) -> exp.Select:
        """A dated roster: each row's days in its role and the period's days (`{p}days`,
        `{p}pdays`), NULL where the employee does not hold the role in the period."""
        p = self.prefix
        period_col = qcol("p", f"{p}period")
        on = exp.and_(exp.EQ(this=qcol("a", "period"), expression=period_col),
                      exp.EQ(this=qcol("a", "employee"), expression=qcol("e", f"{p}employee")),
                      exp.EQ(this=qcol("a", "role"), expression=qcol("e", f"{p}role")))
        return (grid.select(exp.alias_(exp.cast(qcol("a", "days"), fp.value_type()), f"{p}days", quoted=True),
                            exp.alias_(exp.cast(qcol("a", "period_days"), fp.value_type()), f"{p}pdays", quoted=True))
                .join(table(DAYS_TABLE, "a"), on=on, join_type="left"))

    def _ordinal(self, period: exp.Expression) -> exp.Expression:
        """Consecutive periods get consecutive numbers (2026Q3 → 2026·4 + 2)."""
        kind = self.model.period_kind
        if kind == "year":
            return exp.cast(period.copy(), "INT")
        within = exp.cast(exp.Substring(this=period.copy(), start=exp.Literal.number(6),
                                        length=exp.Literal.number(1 if kind == "quarter" else 2)), "INT")
        return exp.Sub(this=exp.Add(this=exp.Mul(this=year_of(period), expression=exp.Literal.number(PER_YEAR[kind])),
                                    expression=within),
                       expression=exp.Literal.number(1))

    def position_in_year(self, ordinal: exp.Expression) -> exp.Expression:
        """The period's place in its year, from 1 (2026Q3 → 3), from its `_ordinal`."""
        kind = self.model.period_kind
        if kind == "year":
            return exp.Literal.number(1)
        return exp.Add(this=exp.Mod(this=ordinal, expression=exp.Literal.number(PER_YEAR[kind])),
                       expression=exp.Literal.number(1))

    # -- statement 1
    def values_statement(self) -> exp.Expr:
        p = self.prefix
        for decl in self.model.values.values():  # every metric and goal, used or not
            if isinstance(decl, (ast.Metric, ast.Goal)):
                self.scope.ensure(decl)
        days = [f"{p}days", f"{p}pdays"] if self.dated else []
        names = [f"{p}period", f"{p}ord", f"{p}employee", f"{p}role", *days, *self.model.facts,
                 *(n for n, d in self.model.values.items() if isinstance(d, (ast.Metric, ast.Goal))), *self.exports]
        query: exp.Select = exp.select(*(column(n) for n in names)).from_(table(self.values.last_alias()))
        for alias, cte in [*self.grid_ctes, *self.values.ctes()]:
            query = query.with_(exp.to_identifier(alias, quoted=True), as_=cte, copy=False)
        return exp.Create(this=table(VALUES_TABLE), kind="TABLE", expression=query)

    # -- statement 2
    def kpis_statement(self) -> exp.Expr | None:
        from kpidsl.engine.scoring import compile_roles

        return compile_roles(self)

    # -- statement 3
    def rules_statement(self) -> exp.Expr:
        p = self.prefix
        department = exp.Is(this=column(f"{p}employee"), expression=exp.Null())
        base = exp.select(exp.Star()).from_(table(VALUES_TABLE)).where(department)
        frame = Frame(prefix=f"{p}d", base=base, temp_prefix=f"{p}dt")
        lowerer = Lowerer(frame)
        outputs: list[exp.Expr] = [column(f"{p}period").as_("period", quoted=True)]
        for j, rule in enumerate(self.model.rules.values(), start=1):
            self.plan.rules.append(rule)
            cond = lowerer.lower(rule.when, self.scope).sql if rule.when is not None else exp.true()
            outputs.append(exp.alias_(frame.define(f"{p}rule{j}", paren(cond)), f"rule_{j}", quoted=True))
        query: exp.Select = exp.select(*outputs).from_(table(frame.last_alias()))
        for alias, cte in frame.ctes():
            query = query.with_(exp.to_identifier(alias, quoted=True), as_=cte, copy=False)
        return query

    # -- statement 4
    def metrics_statement(self) -> exp.Expr | None:
        p = self.prefix
        names = [n for n, d in self.model.values.items() if isinstance(d, (ast.Fact, ast.Metric))]
        self.plan.value_names = names
        if not names:
            return None
        branches = []
        for k, name in enumerate(names):
            mine, dept = qcol("v", name), qcol("d", name)
            branches.append(
                exp.select(qcol("v", f"{p}period").as_("period", quoted=True),
                           qcol("v", f"{p}employee").as_("employee", quoted=True),
                           exp.alias_(exp.Literal.number(k), "value_index", quoted=True),
                           mine.as_("value", quoted=True))
                .from_(table(VALUES_TABLE, "v"))
                .join(table(VALUES_TABLE, "d"),
                      on=exp.and_(exp.EQ(this=qcol("d", f"{p}period"), expression=qcol("v", f"{p}period")),
                                  exp.Is(this=qcol("d", f"{p}employee"), expression=exp.Null())),
                      join_type="left")
                .where(exp.or_(exp.Is(this=qcol("v", f"{p}employee"), expression=exp.Null()),
                               exp.NullSafeNEQ(this=mine.copy(), expression=dept)))
                .distinct(distinct=self.dated))  # a role change: one value row per role
        query: exp.Query = branches[0]
        for branch in branches[1:]:
            query = exp.union(query, branch, distinct=False, copy=False)
        order = [exp.Ordered(this=column("value_index")), exp.Ordered(this=column("period")),
                 exp.Ordered(this=column("employee"), nulls_first=True)]
        return query.order_by(*order, copy=False)


def compile_model(model: Model, minor_digits: int = 2, dated: bool = False) -> Plan:
    """The plan for `model` (`dated`: over a roster with dates, engine/assignments.py);
    raises `CompileError` for what the checker should have rejected."""
    c = Compiler(model, minor_digits, dated)
    kpis = c.kpis_statement()
    totals = compile_totals(c) if kpis is not None else None
    rules = c.rules_statement() if model.rules else None
    metrics = c.metrics_statement()
    c.plan.statements["values"] = c.values_statement()  # last: the others add columns to it
    c.plan.statements = {"values": c.plan.statements["values"],
                         **({"kpis": kpis} if kpis is not None else {}),
                         **({"totals": totals} if totals is not None else {}),
                         **({"rules": rules} if rules is not None else {}),
                         **({"metrics": metrics} if metrics is not None else {})}
    c.plan.names = tuple(c.plan.statements)
    return c.plan
