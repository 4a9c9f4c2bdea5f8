"""Bulk output's rows: the kpis rows sorted once in output order, the queries that read
them back, and the Parquet COPY.

`prepare` (bulk.py) sorts every wanted period × person × KPI line into a temporary
table; the Python layout (`bulk_python.py`) reads it back with `rows_query` and
`kpi_columns`, and Parquet is written from it by DuckDB's COPY, one row per period ×
employee × KPI with exact DECIMAL columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlglot import exp

from kpidsl.engine.plan import BULK_PEOPLE, BULK_PERIODS, BULK_ROWS, DAYS_TABLE, KPIS_TABLE, TOTALS_TABLE, table

if TYPE_CHECKING:
    from kpidsl.engine.plan import LinePlan
    from kpidsl.engine.session import Session

NUMBERS = ("weight", "baseline", "target", "fact", "attainment", "index", "deviation")
MONEY = ("plan_bonus", "bonus")
# The employee's totals (engine/totals.py), on each of its rows as `t_<name>`.
TOTALS = ("plan_bonus", "bonus", "index", "index_plan", "payout")


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=_id(name), table=_id(table) if table else None)


def of_lines(ids: Sequence[int], alias: str = "k") -> exp.Expression:
    """`k.line IN (…)`: the rows of one role variant (its lines; plan.variant_lines)."""
    return exp.In(this=_col("line", alias), expressions=[exp.Literal.number(i) for i in ids])


def sql_text(e: exp.Expression) -> str:
    """A query's DuckDB text."""
    return e.sql(dialect="duckdb", copy=False)  # every query is built for one use


# ------------------------------------------------------------------ the query


def sort_rows(session: Session) -> None:
    """Sort once: every wanted (period, person) with their KPI rows (none: one row with line
    NULL), in output order, with the positions `ppos`, `epos` and the person's role.  Reading
    it back needs no sort: a Parquet COPY of a million rows sorted there held twice the memory."""
    con = session.connection
    con.execute("SET preserve_insertion_order = true")  # this table's order is the output's
    described = con.execute(sql_text(exp.select(exp.Star()).from_(table(KPIS_TABLE)).limit(0))).description or []
    on = exp.and_(exp.EQ(this=_col("period", "k"), expression=_col("period", "p")),
                  exp.EQ(this=_col("employee", "k"), expression=_col("employee", "e")),
                  exp.EQ(this=_col("role", "k"), expression=_col("role", "e")))
    columns = [exp.alias_(_col("pos", "p"), "ppos", quoted=True), exp.alias_(_col("pos", "e"), "epos", quoted=True),
               _col("period", "p"), _col("employee", "e"), _col("role", "e"),
               *(_col(d[0], "k") for d in described if d[0] not in ("period", "employee", "role", "previous_fact"))]
    has_totals = "totals" in session.plan.names
    columns += [exp.alias_(_col(n, "t") if has_totals else exp.null(), f"t_{n}", quoted=True) for n in TOTALS]
    query = (exp.select(*columns).from_(table(BULK_PERIODS, "p")).join(table(BULK_PEOPLE, "e"), join_type="cross")
             .join(table(KPIS_TABLE, "k"), on=on, join_type="left"))
    if has_totals:
        query = query.join(table(TOTALS_TABLE, "t"), join_type="left",
                           on=exp.and_(exp.EQ(this=_col("period", "t"), expression=_col("period", "p")),
                                       exp.EQ(this=_col("employee", "t"), expression=_col("employee", "e")),
                                       exp.EQ(this=_col("role", "t"), expression=_col("role", "e"))))
    if session.plan.dated:  # a dated roster: only the periods in which each person holds the role
        held = exp.and_(exp.EQ(this=_col("period", "d"), expression=_col("period", "p")),
                        exp.EQ(this=_col("employee", "d"), expression=_col("employee", "e")),
                        exp.EQ(this=_col("role", "d"), expression=_col("role", "e")))
        query = query.join(table(DAYS_TABLE, "d"), on=held, join_type="inner")
    query = query.order_by(_col("pos", "p"), _col("pos", "e"), _col("line", "k"))
    create = exp.Create(this=table(BULK_ROWS), kind="TABLE", replace=True, expression=query,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    con.execute(sql_text(create))


def rows_query(session: Session, columns: Sequence[exp.Expr], *, outer: bool,
               where: exp.Expr | None = None, order: bool = True) -> exp.Select:
    """The sorted rows (as "k"); `outer` keeps people without KPI rows.  The table is already in
    output order, which a plain scan keeps; `order` sorts anyway (a filtered subset, for Python)."""
    query = exp.select(*columns).from_(table(BULK_ROWS, "k"))
    conditions = [c for c in (where, None if outer else exp.not_(_col("line", "k").is_(exp.null()))) if c is not None]
    if conditions:
        query = query.where(exp.and_(*conditions))
    return query.order_by(_col("ppos", "k"), _col("epos", "k"), _col("line", "k")) if order else query


def _text(name: str) -> exp.Expression:
    return exp.cast(_col(name, "k"), "VARCHAR")


def _money(e: exp.Expression, digits: int) -> exp.Expression:
    return exp.cast(e, exp.DataType.build(f"DECIMAL(38, {digits})"))


def kpi_columns(session: Session) -> list[exp.Expression]:
    """kpis columns as the Python side reads them: period, employee, role, line, numbers as
    text, status, gates, actions, role gates, then the employee's plan bonus and bonus, total
    index, total planned index and payout (the engine's totals)."""
    plan = session.plan
    digits = plan.minor_digits
    cols: list[exp.Expression] = [_col("period", "k"), _col("employee", "k"), _col("role", "k"), _col("line", "k")]
    cols += [_text(n) for n in NUMBERS]
    cols += [exp.cast(_money(_col(n, "k"), digits), "VARCHAR") for n in MONEY]
    cols.append(_col("status", "k"))
    cols += [_col(f"gate_{j}", "k") for j in range(1, plan.gate_width + 1)]
    cols += [_col(f"action_{j}", "k") for j in range(1, plan.action_width + 1)]
    cols += [_col(f"role_gate_{j}", "k") for j in range(1, plan.role_gate_width + 1)]
    cols += [exp.cast(_col(f"t_{n}", "k"), "VARCHAR") for n in TOTALS]
    return cols


def unknown_condition(session: Session) -> exp.Expr:
    """A kpis row that `assemble.unknown` would explain."""
    plan = session.plan
    parts: list[exp.Expr] = [exp.EQ(this=_col("status", "k"), expression=exp.Literal.string("no_data"))]
    for line in plan.lines:
        if line.gates:
            missing = exp.or_(*[_col(f"gate_{j}", "k").is_(exp.null()) for j in range(1, len(line.gates) + 1)])
            parts.append(exp.and_(exp.EQ(this=_col("line", "k"), expression=exp.Literal.number(line.id)),
                                  exp.paren(missing)))
    for role, ids in plan.variant_lines().items():
        if texts := plan.role_gates[role]:
            missing = exp.or_(*[_col(f"role_gate_{j}", "k").is_(exp.null()) for j in range(1, len(texts) + 1)])
            parts.append(exp.and_(of_lines(ids), exp.paren(missing)))
    return exp.or_(*parts)


# ------------------------------------------------------------------ Parquet


def parquet_query(session: Session) -> exp.Select:
    """One row per period × employee × KPI with exact decimal columns, gates and actions as lists."""
    plan = session.plan
    digits = plan.minor_digits
    gate_type = exp.DataType.build("STRUCT(condition VARCHAR, passed BOOLEAN, scope VARCHAR)[]", dialect="duckdb")
    text_list = exp.DataType.build("VARCHAR[]", dialect="duckdb")

    def struct(condition: str, passed: exp.Expression, scope: str) -> exp.Expression:
        return exp.Struct(expressions=[
            exp.PropertyEQ(this=_id("condition"), expression=exp.Literal.string(condition)),
            exp.PropertyEQ(this=_id("passed"), expression=passed),
            exp.PropertyEQ(this=_id("scope"), expression=exp.Literal.string(scope))])

    def by_line(build: Callable[[LinePlan], exp.Expression], empty: exp.DataType) -> exp.Expression:
        ifs = [exp.If(this=exp.EQ(this=_col("line", "k"), expression=exp.Literal.number(line.id)), true=build(line))
               for line in plan.lines]
        return exp.Case(ifs=ifs, default=exp.cast(exp.Array(expressions=[]), empty.copy())) if ifs else \
            exp.cast(exp.Array(expressions=[]), empty.copy())

    def typed(items: list[exp.Expression], kind: exp.DataType) -> exp.Expression:
        return exp.cast(exp.Array(expressions=items), kind.copy())

    kpi_gates = by_line(lambda line: typed([struct(t, _col(f"gate_{j}", "k"), "kpi")
                                            for j, t in enumerate(line.gates, start=1)], gate_type), gate_type)
    def role_gate_list(texts: tuple[str, ...]) -> exp.Expression:
        return typed([struct(t, _col(f"role_gate_{j}", "k"), "role") for j, t in enumerate(texts, start=1)], gate_type)

    role_ifs = [exp.If(this=of_lines(ids), true=role_gate_list(texts))
                for role, ids in plan.variant_lines().items() if (texts := plan.role_gates[role])]
    role_gates = exp.Case(ifs=role_ifs, default=typed([], gate_type)) if role_ifs else typed([], gate_type)

    def actions(line: LinePlan) -> exp.Expression:
        out: exp.Expression = typed([], text_list)
        for j, text in enumerate(line.actions, start=1):
            fired = exp.Case(ifs=[exp.If(this=exp.EQ(this=_col(f"action_{j}", "k"), expression=exp.true()),
                                         true=typed([exp.Literal.string(text)], text_list))],
                             default=typed([], text_list))
            out = exp.ArrayConcat(this=out, expressions=[fired])
        return out

    def cases(ifs: list[exp.If]) -> exp.Expression:
        """CASE over `ifs`, typed NULL when there are none (a ruleset without KPI lines or roles)."""
        return exp.Case(ifs=ifs, default=exp.cast(exp.null(), "VARCHAR")) if ifs else exp.cast(exp.null(), "VARCHAR")

    def meta(field: Callable[[LinePlan], str | None]) -> exp.Expression:
        return cases([exp.If(this=exp.EQ(this=_col("line", "k"), expression=exp.Literal.number(line.id)),
                             true=exp.Literal.string(field(line)) if field(line) is not None else
                             exp.cast(exp.null(), "VARCHAR")) for line in plan.lines])

    role_title = cases([exp.If(this=exp.EQ(this=_col("role", "k"), expression=exp.Literal.string(name)),
                               true=exp.Literal.string(role.title or name))
                        for name, role in session.model.roles.items()])
    value = exp.DataType.build("DECIMAL(38, 12)")
    weight = exp.Coalesce(this=exp.cast(_col("weight", "k"), value.copy()),
                          expressions=[exp.cast(exp.Literal.number(0), value.copy())])

    def money(name: str) -> exp.Expression:
        return _money(exp.Coalesce(this=_col(name, "k"), expressions=[exp.Literal.number(0)]), digits)

    columns = [
        _col("period", "k"), _col("employee", "k"), _col("role", "k"),
        exp.alias_(role_title, "role_title", quoted=True),
        exp.alias_(meta(lambda line: line.kpi), "kpi", quoted=True),
        exp.alias_(meta(lambda line: line.title), "title", quoted=True),
        exp.alias_(meta(lambda line: line.better), "better", quoted=True),
        exp.alias_(meta(lambda line: line.unit), "unit", quoted=True),
        exp.alias_(meta(lambda line: line.kind), "kind", quoted=True),
        exp.alias_(weight, "weight", quoted=True),
        *[exp.alias_(exp.cast(_col(n, "k"), value.copy()), n, quoted=True)
          for n in ("baseline", "target", "fact", "attainment", "index")],
        exp.alias_(weight.copy(), "index_plan", quoted=True),
        exp.alias_(exp.cast(_col("deviation", "k"), value.copy()), "deviation", quoted=True),
        exp.alias_(money("plan_bonus"), "plan_bonus", quoted=True), exp.alias_(money("bonus"), "bonus", quoted=True),
        _col("status", "k"),
        exp.alias_(exp.ArrayConcat(this=role_gates, expressions=[kpi_gates]), "gates", quoted=True),
        exp.alias_(by_line(actions, text_list), "actions", quoted=True),
    ]
    columns += [exp.alias_(exp.cast(_col("t_index", "k"), value.copy()), "total_index", quoted=True),
                exp.alias_(exp.cast(_col("t_index_plan", "k"), value.copy()), "total_index_plan", quoted=True),
                exp.alias_(_money(_col("t_plan_bonus", "k"), digits), "total_plan_bonus", quoted=True),
                exp.alias_(_money(_col("t_bonus", "k"), digits), "total_bonus", quoted=True),
                exp.alias_(exp.cast(_col("t_payout", "k"), "VARCHAR"), "payout", quoted=True)]
    return rows_query(session, columns, outer=False, order=False)


def write_parquet(session: Session, path: str) -> None:
    """COPY the results to `path` (a temporary file the caller renames into place)."""
    copy = exp.Copy(this=exp.Subquery(this=parquet_query(session)), kind=False, files=[exp.Literal.string(path)],
                    params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet")),
                            exp.CopyParameter(this=exp.var("COMPRESSION"), expression=exp.var("zstd"))])
    session.connection.execute(sql_text(copy))
