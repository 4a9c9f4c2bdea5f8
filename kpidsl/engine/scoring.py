"""Compile the roles: KPI lines, schemes, quality gates and actions → the `kpis` statement.

Each role is its own frame over `kpidsl_values` restricted to that role's
employees, so a KPI line is computed only for the people who have it.  Per line:

    fact        the indicator's value (a KPI card stands for its `indicator`)
    target      the line's target, else the card's `goal`; NULL if neither
    attainment  fact / target (`better higher`) or target / fact (`better lower`)
    index, bonus  the role's scheme (default `weighted_index`), which sees weight,
                fact, target, baseline, attainment, plan_bonus and its own results
    deviation   index − weight (the planned index is the weight)
    gates       each `require` of the line and of the role; unknown counts as failed
    status      no_data if fact, target, attainment, weight, planned bonus, index or
                bonus is unknown; else gated if a gate did not pass; else met if
                attainment ≥ 1, missed otherwise
    bonus       the scheme's bonus rounded to the currency's minor unit, or 0 when
                the status is no_data or gated

A line without a weight or a bonus weighs 0 / pays 0; without a baseline it has none.
Over a dated roster (`Compiler.dated`) a role's rows are the periods in which the
employee holds it, and under `prorate days` (the default) a line's planned bonus is
× days in the role / days in the period before the scheme sees it; a role with a
payout is prorated where the payout pays instead (totals.py).  Every row carries its
`role`: a role change in a period gives the employee a row set per role.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlglot import exp

from kpidsl.engine import fixedpoint as fp
from kpidsl.engine.lower import CompileError, Frame, Lowerer, Operand, column, paren, union_all
from kpidsl.language import ast
from kpidsl.language.exprtext import expr_text
from kpidsl.language.payout import payout_of

if TYPE_CHECKING:
    from kpidsl.engine.compile import Compiler
    from kpidsl.engine.plan import LinePlan
    from kpidsl.engine.versions import RoleVariant


def _is_null(op: Operand) -> exp.Expression:
    return exp.true() if op.is_null else exp.Is(this=paren(op.sql), expression=exp.Null())


def _all(conditions: Sequence[exp.Expression]) -> exp.Expression:
    out = conditions[0]
    for cond in conditions[1:]:
        out = exp.And(this=out, expression=cond)
    return out


def _any(conditions: Sequence[exp.Expression]) -> exp.Expression:
    out = conditions[0]
    for cond in conditions[1:]:
        out = exp.Or(this=out, expression=cond)
    return out


def _null_bool() -> exp.Expression:
    return exp.cast(exp.Null(), "BOOLEAN")


def prorated(lowerer: Lowerer, amount: Operand, prefix: str) -> Operand:
    """`amount × days in the role / days in the period` (a dated plan's `{p}days`, `{p}pdays`),
    exact: the product is exact, the one division rounds to 12 decimals like any other."""
    if amount.const is not None and amount.const == 0:
        return amount
    held = lowerer.arith("*", amount, Operand(column(f"{prefix}days")))
    return lowerer.arith("/", held, Operand(column(f"{prefix}pdays")))


def _unit(decl: ast.Fact | ast.Metric | ast.Goal) -> str | None:
    unit = getattr(decl, "unit", None)
    return unit.text if unit is not None else None


def compile_roles(c: Compiler) -> exp.Select | exp.Union:
    from kpidsl.engine.plan import Variant
    from kpidsl.engine.versions import role_variants

    model, plan = c.model, c.plan
    variants = role_variants(model)
    roles = [v.role for v in variants]
    plan.gate_width = max((len(k.requires) for r in roles for k in r.kpis), default=0)
    plan.action_width = max((len(k.actions) for r in roles for k in r.kpis), default=0)
    plan.role_gate_width = max((len(r.requires) for r in roles if r.kpis), default=0)
    branches: list[exp.Select] = []
    ctes: list[tuple[str, exp.Query]] = []
    for v in variants:
        plan.variants.setdefault(v.role.name, []).append(Variant(v.key, v.role, v.lo, v.hi, v.label))
    for ri, variant in enumerate(variants):
        plan.role_gates[variant.key] = tuple(expr_text(r) for r in variant.role.requires)
        if variant.role.kpis:
            c.variants[variant.key] = variant
            _role(c, ri, variant, branches, ctes)
    if not branches:
        return _no_kpis(c)
    return union_all(branches, ctes)


def _scheme_of(c: Compiler, role: ast.Role, schemes: dict[str, ast.Scheme]) -> ast.Scheme:
    from kpidsl.language.builtins import DEFAULT_SCHEME, default_scheme

    if role.scheme is not None and role.scheme.text in schemes:
        return schemes[role.scheme.text]
    if (role.scheme is None or role.scheme.text == DEFAULT_SCHEME) and DEFAULT_SCHEME in schemes:
        return schemes[DEFAULT_SCHEME]
    if role.scheme is None or role.scheme.text == DEFAULT_SCHEME:
        c.builtin = c.builtin or default_scheme()
        return c.builtin
    raise CompileError(f"unknown scheme `{role.scheme.text}`", role.scheme.span)


def _role(c: Compiler, ri: int, variant: RoleVariant, branches: list[exp.Select],
          ctes: list[tuple[str, exp.Query]]) -> None:
    """One role variant's KPI lines: a frame over its employees' rows in its periods."""
    from kpidsl.engine.plan import VALUES_TABLE, table
    from kpidsl.engine.versions import in_range

    p, role = c.prefix, variant.role
    scheme = _scheme_of(c, role, variant.model.schemes)
    in_role: exp.Condition = exp.EQ(this=column(f"{p}role"), expression=exp.Literal.string(role.name))
    if c.dated:  # only the periods in which the employee holds the role
        in_role = exp.and_(in_role, exp.not_(column(f"{p}pdays").is_(exp.null())))
    if (periods := in_range(column(f"{p}period"), variant.lo, variant.hi)) is not None:
        in_role = exp.and_(in_role, periods)  # a version: only the periods it is in force
    base = exp.select(exp.Star()).from_(table(VALUES_TABLE)).where(in_role)
    frame = Frame(prefix=f"{p}r{ri}_", base=base, temp_prefix=f"{p}r{ri}_t")
    lowerer = Lowerer(frame)
    role_gates = [frame.define(f"{p}r{ri}_g{j}", paren(lowerer.lower(req, c.scope).sql))
                  for j, req in enumerate(role.requires, start=1)]
    outputs = []
    for line in role.kpis:
        c.line_id += 1
        columns, line_plan = _line(c, frame, lowerer, variant, line, c.line_id, scheme, role_gates)
        c.plan.lines.append(line_plan)
        outputs.append(columns)
    # every line of the role reads the role's last stage, known only now
    branches.extend(exp.select(*columns).from_(table(frame.last_alias())) for columns in outputs)
    ctes.extend(frame.ctes())


def _no_kpis(c: Compiler) -> exp.Select:
    """The KPI rows of a ruleset without KPI lines (rules only): none, in the usual columns,
    so every writer finds the table it reads."""
    text, value = exp.cast(exp.Null(), "VARCHAR"), fp.null_value()
    columns = [exp.alias_(text.copy(), "period", quoted=True), exp.alias_(text.copy(), "employee", quoted=True),
               exp.alias_(exp.cast(exp.Null(), "INTEGER"), "line", quoted=True),
               *(exp.alias_(value.copy(), name, quoted=True) for name in ("fact", "target", "baseline", "weight")),
               exp.alias_(fp.to_money(value.copy(), c.minor), "plan_bonus", quoted=True),
               *(exp.alias_(value.copy(), name, quoted=True) for name in ("attainment", "index", "deviation")),
               exp.alias_(text.copy(), "status", quoted=True),
               exp.alias_(fp.to_money(value.copy(), c.minor), "bonus", quoted=True),
               exp.alias_(value.copy(), "previous_fact", quoted=True),
               exp.alias_(text.copy(), "role", quoted=True)]
    return exp.select(*columns).where(exp.false())


def _line(c: Compiler, frame: Frame, lowerer: Lowerer, variant: RoleVariant, line: ast.KpiLine, i: int,
          scheme: ast.Scheme, role_gates: list[exp.Column]) -> tuple[list[exp.Expr], LinePlan]:
    from kpidsl.engine.plan import LinePlan
    from kpidsl.engine.scopes import LocalScope

    p, scope, role = c.prefix, c.scope, variant.role
    indicator = ast.Name(line.indicator.text, line.indicator.span)
    written = scope.declaration(indicator)
    series = scope.series(indicator)

    def named(field: str, op: Operand) -> Operand:
        if op.const is not None or op.is_null or isinstance(op.sql, exp.Column):
            return op
        return Operand(frame.define(f"{p}k{i}_{field}", op.sql))

    def value(field: str, e: ast.Expr | None, default: Decimal | None) -> Operand:
        return Lowerer.constant(default) if e is None else named(field, lowerer.lower(e, scope))

    fact = scope.ensure(series)
    card_goal = written.goal if isinstance(written, ast.KpiCard) else None
    target_expr = line.target if line.target is not None else card_goal
    weight = value("weight", line.weight, Decimal(0))
    plan_bonus = value("plan_bonus", line.bonus, Decimal(0))
    if c.prorated and payout_of(variant.model, role) is None:  # a payout is prorated where it pays (totals.py)
        plan_bonus = named("plan_bonus_days", prorated(lowerer, plan_bonus, p))
    baseline = value("baseline", line.baseline, None)
    target = value("target", target_expr, None)
    better = ast.direction(series)  # a fact's `better` as a metric's
    ratio = lowerer.arith("/", fact, target) if better == "higher" else lowerer.arith("/", target, fact)
    attainment = named("attainment", ratio)
    names = {"weight": weight, "fact": fact, "target": target, "baseline": baseline,
             "attainment": attainment, "plan_bonus": plan_bonus}
    local = LocalScope(scope, names)
    for j, assignment in enumerate(scheme.assignments, start=1):
        names[assignment.name] = named(f"s{j}", lowerer.lower(assignment.expr, local))
    index = names.get("index", Lowerer.constant(None))
    # a scheme with a payout may leave the lines without money of their own: they pay 0
    bonus_raw = names.get("bonus", Lowerer.constant(Decimal(0) if scheme.payout is not None else None))
    deviation = named("deviation", lowerer.arith("-", index, weight))
    names.update(index=index, index_plan=weight, deviation=deviation)
    gates = [frame.define(f"{p}k{i}_g{j}", paren(lowerer.lower(cond, local).sql))
             for j, cond in enumerate(line.requires, start=1)]
    actions = [frame.define(f"{p}k{i}_a{j}", paren(lowerer.lower(a.condition, local).sql))
               for j, a in enumerate(line.actions, start=1)]
    previous = scope.previous(ast.Name(series.name, line.indicator.span)) if not isinstance(series, ast.Goal) \
        else Lowerer.constant(None)

    inputs = (fact, target, attainment, weight, plan_bonus, index, bonus_raw)
    unknown = [_is_null(op) for op in inputs if op.const is None]  # a constant is never unknown
    no_data = _any(unknown) if unknown else exp.false()
    passed = [exp.Coalesce(this=g.copy(), expressions=[exp.false()]) for g in (*gates, *role_gates)]
    zero = fp.to_money(exp.Literal.string("0"), c.minor)
    ifs = [exp.If(this=no_data, true=exp.Literal.string("no_data"))]
    pays: exp.Expression = exp.Not(this=paren(no_data.copy()))
    if passed:
        ifs.append(exp.If(this=exp.Not(this=paren(_all(passed))), true=exp.Literal.string("gated")))
        pays = exp.And(this=pays, expression=paren(_all([x.copy() for x in passed])))
    ifs.append(exp.If(this=exp.GTE(this=attainment.sql.copy(), expression=fp.literal(Decimal(1))),
                      true=exp.Literal.string("met")))
    status = frame.define(f"{p}k{i}_status", exp.Case(ifs=ifs, default=exp.Literal.string("missed")))
    paid = fp.to_money(bonus_raw.sql.copy(), c.minor)
    bonus = frame.define(f"{p}k{i}_bonus", exp.Case(ifs=[exp.If(this=pays, true=paid)], default=zero))

    def out(e: exp.Expression, name: str) -> exp.Expr:
        return exp.alias_(e.copy(), name, quoted=True)

    columns = [out(column(f"{p}period"), "period"), out(column(f"{p}employee"), "employee"),
               out(exp.Literal.number(i), "line"), out(fact.sql, "fact"), out(target.sql, "target"),
               out(baseline.sql, "baseline"), out(weight.sql, "weight"),
               out(fp.to_money(plan_bonus.sql, c.minor), "plan_bonus"), out(attainment.sql, "attainment"),
               out(index.sql, "index"), out(deviation.sql, "deviation"), out(status, "status"),
               out(bonus, "bonus"), out(previous.sql, "previous_fact")]
    for j in range(c.plan.gate_width):
        columns.append(out(gates[j] if j < len(gates) else _null_bool(), f"gate_{j + 1}"))
    for j in range(c.plan.action_width):
        columns.append(out(actions[j] if j < len(actions) else _null_bool(), f"action_{j + 1}"))
    for j in range(c.plan.role_gate_width):
        columns.append(out(role_gates[j] if j < len(role_gates) else _null_bool(), f"role_gate_{j + 1}"))
    columns.append(out(exp.Literal.string(role.name), "role"))  # one person may hold two roles in a period
    # constants are typed literals (CAST … AS DECIMAL), so UNION ALL branches stay aligned

    title_decl = written if isinstance(written, ast.KpiCard) and written.title else series
    kind = series.kind.text if isinstance(series, ast.Metric) and series.kind is not None else "result"
    line_plan = LinePlan(
        id=i, role=role.name, kpi=line.indicator.text, series=series.name,
        title=title_decl.title or line.indicator.text, unit=_unit(series),
        kind="process" if kind == "process" else "result", better=better, line=line,
        scheme=scheme, target_expr=target_expr,
        gates=tuple(expr_text(r) for r in line.requires), actions=tuple(a.text for a in line.actions),
        version=variant.label)
    return columns, line_plan
