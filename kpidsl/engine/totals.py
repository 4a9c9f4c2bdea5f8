"""Compile the employees' totals → the `totals` statement.

One row per period × employee × role with KPI lines, read from the kpis rows (`kpidsl_out_kpis`):

    plan_bonus, bonus   the employee's planned bonus and bonus: the sums of the lines'
                        (each already rounded), or what the role's payout pays
    index, index_plan   the total index (Σ of the lines' indices, a gated line counting 0;
                        unknown if a line's index is) and the total planned index (Σ weights)
    lines_bonus, lines_plan_bonus   the sums of the lines' bonuses and planned bonuses
    payout              NULL for a role without a payout, else `paid`, `gated` (a role-wide
                        `require` failed: 0) or `no_data` (the payout has no value: 0)

A payout (`language/payout.py`) is its role's own frame over `kpidsl_values` joined with
the role's grouped lines, so it reads facts, metrics and goals like any formula, and the
lines' values as columns.  Its `bonus` is rounded once to the currency's minor unit, and a
negative payout pays 0; its planned bonus is the same formulas with every line on plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlglot import exp

from kpidsl.engine import fixedpoint as fp
from kpidsl.engine.lower import CompileError, Frame, Lowerer, Operand, column, paren, union_all
from kpidsl.engine.plan import KPIS_TABLE, VALUES_TABLE, qcol, table
from kpidsl.language import ast
from kpidsl.language.payout import line_key, payout_of, referenced_lines, substitute

if TYPE_CHECKING:
    from kpidsl.engine.compile import Compiler
    from kpidsl.engine.plan import LinePlan

OUTPUTS = ("period", "employee", "role", "plan_bonus", "bonus", "index", "index_plan", "lines_bonus",
           "lines_plan_bonus", "payout")
_LINE_FIELDS = ("index", "attainment", "weight")  # the kpis columns a payout reads of one line


def _value(e: exp.Expression) -> exp.Expression:
    return exp.cast(e, fp.value_type())


def _lines_in(ids: Iterable[int]) -> exp.Expression:
    return exp.In(this=qcol("k", "line"), expressions=[exp.Literal.number(i) for i in ids])


def _grouped(c: Compiler, lines: list[LinePlan], role: ast.Role | None,
             refs: list[tuple[str, str]]) -> exp.Select:
    """The lines' sums per (period, employee), as `{p}a_*` columns; for a payout's role also
    each referenced line's value and whether the role's conditions all passed."""
    p, digits = c.prefix, c.minor

    def k(name: str) -> exp.Column:
        return qcol("k", name)

    money = fp.decimal_type(digits)
    counted = exp.Case(ifs=[exp.If(this=exp.EQ(this=k("status"), expression=exp.Literal.string("gated")),
                                   true=_value(exp.Literal.number(0)))], default=k("index"))
    known = exp.EQ(this=exp.Count(this=exp.Star()), expression=exp.Count(this=k("index")))
    index = exp.Case(ifs=[exp.If(this=known, true=_value(exp.Sum(this=counted)))])
    weight = exp.Coalesce(this=k("weight"), expressions=[_value(exp.Literal.number(0))])
    columns: list[exp.Expr] = [
        exp.alias_(k("period"), f"{p}a_period", quoted=True), exp.alias_(k("employee"), f"{p}a_employee", quoted=True),
        exp.alias_(k("role"), f"{p}a_role", quoted=True),
        exp.alias_(exp.cast(exp.Sum(this=k("plan_bonus")), money.copy()), f"{p}a_plan_bonus", quoted=True),
        exp.alias_(exp.cast(exp.Sum(this=k("bonus")), money.copy()), f"{p}a_bonus", quoted=True),
        exp.alias_(index, f"{p}a_index", quoted=True),
        exp.alias_(_value(exp.Sum(this=weight)), f"{p}a_index_plan", quoted=True)]
    if role is not None:
        ids = {line.kpi: line.id for line in lines}
        for kpi in dict.fromkeys(kpi for _, kpi in refs):
            for field in _LINE_FIELDS:
                this_line = exp.EQ(this=k("line"), expression=exp.Literal.number(ids[kpi]))
                picked = exp.Max(this=exp.Case(ifs=[exp.If(this=this_line, true=k(field))]))
                columns.append(exp.alias_(picked, f"{p}a_{field}_{ids[kpi]}", quoted=True))
        for j in range(1, len(role.requires) + 1):
            ok = exp.Case(ifs=[exp.If(this=exp.Coalesce(this=k(f"role_gate_{j}"), expressions=[exp.false()]),
                                      true=exp.Literal.number(1))], default=exp.Literal.number(0))
            columns.append(exp.alias_(exp.Min(this=ok), f"{p}a_gate_{j}", quoted=True))
    return (exp.select(*columns).from_(table(KPIS_TABLE, "k")).where(_lines_in(line.id for line in lines))
            .group_by(k("period"), k("employee"), k("role")))


def _plain(c: Compiler, lines: list[LinePlan]) -> exp.Select:
    """The totals of roles without a payout: the sums of their lines."""
    p = c.prefix

    def a(name: str) -> exp.Column:
        return column(f"{p}a_{name}")

    items = [exp.alias_(a("period"), "period", quoted=True), exp.alias_(a("employee"), "employee", quoted=True),
             exp.alias_(a("role"), "role", quoted=True), exp.alias_(a("plan_bonus"), "plan_bonus", quoted=True),
             exp.alias_(a("bonus"), "bonus", quoted=True),
             exp.alias_(a("index"), "index", quoted=True), exp.alias_(a("index_plan"), "index_plan", quoted=True),
             exp.alias_(a("bonus"), "lines_bonus", quoted=True),
             exp.alias_(a("plan_bonus"), "lines_plan_bonus", quoted=True),
             exp.alias_(exp.cast(exp.Null(), "VARCHAR"), "payout", quoted=True)]
    grouped = _grouped(c, lines, None, []).subquery(exp.to_identifier(f"{p}a", quoted=True))
    return exp.select(*items).from_(grouped)


def _payout(c: Compiler, ri: int, role: ast.Role, payout: ast.Payout, lines: list[LinePlan]
            ) -> tuple[exp.Select, list[tuple[str, exp.Query]]]:
    """One payout role's totals: its own frame of stages; returns the branch and its CTEs."""
    from kpidsl.engine.scopes import LocalScope
    from kpidsl.engine.scoring import prorated

    p, digits = c.prefix, c.minor
    refs = referenced_lines(payout)
    ids = {line.kpi: line.id for line in lines}
    for _, kpi in refs:
        if kpi not in ids:  # K061 says so first
            raise CompileError(f"role `{role.name}` has no KPI line `{kpi}`", payout.span)
    grouped = _grouped(c, lines, role, refs).subquery(exp.to_identifier(f"{p}a", quoted=True))
    on = exp.and_(exp.EQ(this=qcol("v", f"{p}period"), expression=column(f"{p}a_period")),
                  exp.EQ(this=qcol("v", f"{p}employee"), expression=column(f"{p}a_employee")),
                  exp.EQ(this=qcol("v", f"{p}role"), expression=column(f"{p}a_role")))
    base = (exp.select(exp.Star()).from_(table(VALUES_TABLE, "v")).join(grouped, on=on, join_type="inner")
            .where(exp.EQ(this=qcol("v", f"{p}role"), expression=exp.Literal.string(role.name))))
    frame = Frame(prefix=f"{p}q{ri}_", base=base, temp_prefix=f"{p}q{ri}_t")
    lowerer = Lowerer(frame)

    def a(name: str) -> Operand:
        return Operand(column(f"{p}a_{name}"))


    def bonus_of(names: dict[str, Operand], tag: str) -> Operand:
        local = LocalScope(c.scope, names)
        for j, assignment in enumerate(payout.assignments, start=1):
            op = lowerer.lower(substitute(assignment.expr), local)
            if not (op.const is not None or op.is_null or isinstance(op.sql, exp.Column)):
                op = Operand(frame.define(f"{p}q{ri}_{tag}{j}", op.sql))
            names[assignment.name] = op
        return names.get("bonus", Lowerer.constant(None))

    actual = {"total": a("index"), "total_plan": a("index_plan"), "lines_bonus": a("bonus"),
              "lines_plan_bonus": a("plan_bonus")}
    planned = {"total": a("index_plan"), "total_plan": a("index_plan"), "lines_bonus": a("plan_bonus"),
               "lines_plan_bonus": a("plan_bonus")}
    for function, kpi in refs:
        actual[line_key(function, kpi)] = a(f"{function}_{ids[kpi]}")
        planned[line_key(function, kpi)] = (a(f"weight_{ids[kpi]}") if function == "index"
                                            else Lowerer.constant(Decimal(1)))
    raw = bonus_of(actual, "s")
    plan_raw = bonus_of(planned, "p")
    if c.prorated:  # the whole payout by the days in the role (scoring.py leaves its lines whole)
        raw, plan_raw = prorated(lowerer, raw, p), prorated(lowerer, plan_raw, p)

    def money(op: Operand) -> exp.Expression:
        value = paren(op.sql.copy())
        positive = exp.Case(ifs=[exp.If(this=exp.LT(this=value, expression=fp.literal(Decimal(0))),
                                        true=fp.literal(Decimal(0)))], default=value.copy())
        return fp.to_money(positive, digits)

    zero = fp.to_money(exp.Literal.string("0"), digits)
    unknown = exp.true() if raw.is_null else exp.Is(this=paren(raw.sql.copy()), expression=exp.Null())
    gates = [exp.EQ(this=column(f"{p}a_gate_{j}"), expression=exp.Literal.number(1))
             for j in range(1, len(role.requires) + 1)]
    ifs = [exp.If(this=unknown, true=exp.Literal.string("no_data"))]
    if gates:
        passed: exp.Expression = gates[0]
        for gate in gates[1:]:
            passed = exp.And(this=passed, expression=gate)
        ifs.append(exp.If(this=exp.Not(this=paren(passed)), true=exp.Literal.string("gated")))
    status = frame.define(f"{p}q{ri}_status", exp.Case(ifs=ifs, default=exp.Literal.string("paid")))
    paid = exp.Case(ifs=[exp.If(this=exp.EQ(this=status.copy(), expression=exp.Literal.string("paid")),
                                true=money(raw))], default=zero.copy())
    plan_unknown = exp.true() if plan_raw.is_null else exp.Is(this=paren(plan_raw.sql.copy()),
                                                               expression=exp.Null())
    plan_paid = exp.Case(ifs=[exp.If(this=plan_unknown, true=zero.copy())], default=money(plan_raw))
    items = [exp.alias_(column(f"{p}period"), "period", quoted=True),
             exp.alias_(column(f"{p}employee"), "employee", quoted=True),
             exp.alias_(column(f"{p}role"), "role", quoted=True),
             exp.alias_(plan_paid, "plan_bonus", quoted=True), exp.alias_(paid, "bonus", quoted=True),
             exp.alias_(a("index").sql, "index", quoted=True),
             exp.alias_(a("index_plan").sql, "index_plan", quoted=True),
             exp.alias_(a("bonus").sql, "lines_bonus", quoted=True),
             exp.alias_(a("plan_bonus").sql, "lines_plan_bonus", quoted=True),
             exp.alias_(status, "payout", quoted=True)]
    return exp.select(*items).from_(table(frame.last_alias())), frame.ctes()


def compile_totals(c: Compiler) -> exp.Query | None:
    """The `totals` statement, or None when no role has KPI lines."""
    if not c.plan.lines:
        return None
    by_role: dict[str, list[LinePlan]] = {}
    for line in c.plan.lines:
        by_role.setdefault(line.plan_role, []).append(line)
    plain: list[LinePlan] = []
    branches: list[exp.Select] = []
    ctes: list[tuple[str, exp.Query]] = []
    for ri, (name, lines) in enumerate(by_role.items()):
        variant = c.variants[name]
        role = variant.role
        payout = payout_of(variant.model, role)
        if payout is None:
            plain.extend(lines)
            continue
        c.plan.payouts[name] = payout
        branch, role_ctes = _payout(c, ri, role, payout, lines)
        branches.append(branch)
        ctes.extend(role_ctes)
    if plain:
        branches.insert(0, _plain(c, plain))
    return union_all(branches, ctes)
