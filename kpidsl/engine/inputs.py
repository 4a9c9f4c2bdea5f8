"""Engine inputs: the roster, the fact rows and the records, into the session's DuckDB.

Steps 1–3 of an evaluation (`session.py`): the roster from the ruleset's `employee`
lines and the roster file; the fact rows checked (period kind, exact range,
conflicting duplicates) and loaded into the plan's input tables as exact decimals;
the facts the ruleset aggregates from records added to them; and the period and
employee asked for checked against the data.

Diagnostics: E001–E007, E010 and E011 (the list is in `session.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kpidsl.base.diagnostics import Diagnostic, error, warning
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.data.periods import kind_of, parse_period
from kpidsl.engine import fixedpoint as fp
from kpidsl.engine.assignments import Days, Roster
from kpidsl.language.load import Model

if TYPE_CHECKING:
    import duckdb

    from kpidsl.engine.options import EvalOptions
    from kpidsl.engine.session import Session

def clean_rows(model: Model, table: FactTable, employees: set[str], diagnostics: list[Diagnostic],
               aggregated: set[str] = frozenset()) -> list[FactRow]:  # type: ignore[assignment]
    """The rows the plan can use: right period kind, exact range, no conflicting duplicates,
    and not a fact the ruleset computes from records (`aggregated`)."""
    kind = model.data_kind  # rolled up into payout periods afterwards (rollup.py)
    good_periods: set[str] = set()
    bad_periods: set[str] = set()
    strangers: set[str] = set()
    shadowed: set[str] = set()
    limit = fp.MAX_VALUE
    seen: dict[tuple[str, str | None, str], FactRow] = {}
    for row in table.rows:
        if row.fact in aggregated:
            if row.fact not in shadowed:
                shadowed.add(row.fact)
                agg = model.facts[row.fact].aggregation
                diagnostics.append(warning(
                    "E007", f"`{row.fact}` is aggregated from records `{agg.records.text}`; "  # type: ignore[union-attr]
                            "its rows in the facts files are ignored", row.location,
                    "remove the rows from the facts file, or declare the fact without `= … from …`"))
            continue
        if row.period not in good_periods:  # each distinct period is checked once
            if row.period in bad_periods:
                continue
            if kind_of(row.period) != kind or parse_period(row.period, kind) != row.period:
                bad_periods.add(row.period)
                like = {"quarter": "2026Q3", "month": "2026-09", "year": "2026"}[kind]
                diagnostics.append(error("E004", f"`{row.period}` is not a {kind} period; rows with it are skipped",
                                         row.location, f"the ruleset counts in {kind}s: write periods like {like}"))
                continue
            good_periods.add(row.period)
        if not row.value.is_finite() or abs(row.value) >= limit:
            diagnostics.append(error("E005", f"the value {row.value} of `{row.fact}` is beyond the exact range "
                                             "(magnitude below 10^26); the row is skipped", row.location,
                                     "check the value and its unit"))
            continue
        if row.employee is not None and row.employee not in employees and row.employee not in strangers:
            strangers.add(row.employee)
            diagnostics.append(warning("E003", f"facts for {row.employee}, who is not on the roster, are ignored",
                                       row.location, "add an `employee` line to the ruleset or a roster row"))
        key = (row.period, row.employee, row.fact)
        first = seen.get(key)
        if first is not None:
            if first.value != row.value:
                diagnostics.append(error(
                    "E006", f"`{row.fact}` in {row.period}{' for ' + row.employee if row.employee else ''} has two "
                            f"values: {first.value} (at {first.location}) and {row.value}; the first is used",
                    row.location, "keep one row per period, employee and fact"))
            continue
        seen[key] = row
    return list(seen.values())


def filters(model: Model, options: EvalOptions, periods: list[str], roster: Roster,
            diagnostics: list[Diagnostic]) -> tuple[str | None, str | None]:
    """The period (canonical) and employee asked for in `options`; each an error if the data lacks it."""
    period = None
    if options.period is not None:
        period = parse_period(options.period, model.period_kind)
        if period is None or period not in periods:
            shown = ", ".join(periods) or "none"
            diagnostics.append(error("E010", f"period `{options.period}` is not in the data (periods: {shown})",
                                     None, "choose one of the periods in the facts file"))
    employee = options.employee
    if employee is not None and employee not in {e for e, _ in roster}:
        diagnostics.append(error("E011", f"employee `{employee}` is not on the roster", None,
                                 "use the name exactly as the ruleset's `employee` line or the roster writes it"))
    return period if period is not None else options.period, employee


def load_inputs(connection: duckdb.DuckDBPyConnection, rows: list[FactRow], roster: Roster) -> None:
    """The plan's two input tables; values travel as exact decimal text in list parameters."""
    from kpidsl.engine.plan import FACTS_TABLE, ROSTER_TABLE, input_insert, input_tables

    for create in input_tables():
        connection.execute(create.sql(dialect="duckdb", identify=True))
    if rows:  # DuckDB's text → DECIMAL cast rounds half away from zero
        connection.execute(input_insert(FACTS_TABLE).sql(dialect="duckdb", identify=True),
                           [[r.period for r in rows], [r.employee for r in rows], [r.fact for r in rows],
                            [str(r.value) for r in rows]])
    if roster:
        connection.execute(input_insert(ROSTER_TABLE).sql(dialect="duckdb", identify=True),
                           [[e for e, _ in roster], [r for _, r in roster]])


def load_days(connection: duckdb.DuckDBPyConnection, days: Days) -> None:
    """A dated roster's days per period and role (engine/assignments.py) into `kpidsl_days`."""
    from kpidsl.engine.plan import DAYS_TABLE, input_insert, input_tables

    connection.execute(input_tables(dated=True)[-1].sql(dialect="duckdb", identify=True))
    if days:
        connection.execute(input_insert(DAYS_TABLE).sql(dialect="duckdb", identify=True),
                           [list(column) for column in zip(*days, strict=True)])


def add_records(session: Session, options: EvalOptions, model: Model) -> list[str] | None:
    """Aggregate the ruleset's records into `kpidsl_facts`; their periods, or None on errors.

    Who gets own values (docs/scale.md): everyone who appears in the records, and
    everyone on the roster whose role someone appearing in the records has — a
    manager without a single deal or lead gets 0, not the department's total —
    while a role nobody of whom appears (the head of sales) reads the department's
    values.  Records of people not on the roster count in department totals only,
    with a warning."""
    from sqlglot import exp

    from kpidsl.engine.plan import FACTS_TABLE, ROSTER_TABLE
    from kpidsl.engine.records import aggregated_facts, resolve_files
    from kpidsl.engine.records_sql import aggregate_records

    con, diagnostics = session.connection, session.diagnostics
    if not aggregated_facts(model):
        unused = resolve_files(model, options.records, must_exist=False)[1] if options.records else []
        diagnostics.extend(unused)  # a --source for records nothing uses: still say if the name is wrong
        return None if any(d.is_error for d in unused) else []
    table, found = aggregate_records(model, options.records, con, roster=ROSTER_TABLE)
    diagnostics.extend(found)
    if table is None:
        return None if any(d.is_error for d in found) else []
    session.records = table

    def col(name: str) -> exp.Column:
        return exp.column(name, quoted=True)

    def run_sql(query: exp.Expression) -> list[tuple[Any, ...]]:
        return con.execute(query.sql(dialect="duckdb", identify=True)).fetchall()

    source = exp.to_table(table, quoted=True)
    on_roster = exp.select(col("employee")).from_(exp.to_table(ROSTER_TABLE, quoted=True))
    strangers = [r[0] for r in run_sql(
        exp.select(col("employee")).distinct().from_(source)
        .where(exp.and_(exp.not_(col("employee").is_(exp.null())),
                        exp.not_(exp.In(this=col("employee"), query=on_roster.subquery()))))
        .order_by(col("employee")))]
    if strangers and session.roster:
        shown = ", ".join(strangers[:5]) + (f" and {len(strangers) - 5} more" if len(strangers) > 5 else "")
        span = next((model.records[n].employee_column.span for n in aggregated_facts(model)  # type: ignore[union-attr]
                     if model.records[n].employee_column is not None), None)
        diagnostics.append(warning(
            "E003", f"the records name {len(strangers)} employee(s) who are not on the roster ({shown}); "
                    "their records count in department totals only", span,
            "add them to the roster (--roster) or the ruleset's `employee` lines"))
    insert = exp.insert(
        exp.select(col("period"), col("employee"), col("fact"), col("value")).from_(source.copy())
        .where(exp.or_(col("employee").is_(exp.null()), exp.In(this=col("employee"), query=on_roster.subquery()))),
        exp.to_table(FACTS_TABLE, quoted=True))
    con.execute(insert.sql(dialect="duckdb", identify=True))
    return [r[0] for r in run_sql(exp.select(col("period")).distinct().from_(source.copy()))]
