"""Bulk output: JSON, CSV and Parquet written straight from the engine's DuckDB session.

`kpidsl eval --format json|csv|parquet` can cover 100 000 employees × 4 quarters ×
several KPIs.  Building a `KpiResult` per KPI and a `MetricValue` per value and then
`json.dumps(indent=2)` (the pure-Python encoder) costs minutes there.  Instead:

1. `prepare` sorts the kpis rows of the wanted periods and people once, in output
   order (period, roster order, KPI line), into a temporary table; explains the
   unknowns exactly as `assemble` does (same warnings, same order) and collects
   the rule findings into a `Results` without employee rows;
2. `write` streams that table:
   * JSON is byte for byte `export.render_json(results, diagnostics)`: the header,
     findings and diagnostics rendered by `render_json` itself from that `Results`,
     the employee results spliced in as DuckDB lays them out (bulk_text.py);
   * CSV is byte for byte `export.render_csv(results)`, laid out by DuckDB too;
   * Parquet is written by DuckDB's COPY (bulk_rows.py): one row per period ×
     employee × KPI, exact DECIMAL columns (ratios with 12 decimals, money with the
     currency's minor digits), `gates` as a list of {condition, passed, scope} (the
     role's conditions first, scope "role"), `actions` as a list of texts.
   When the kpis columns are not the decimals bulk_text expects, JSON and CSV are
   formatted in Python, row by row, with the same result (bulk_python.py).

Per-employee metric values are not computed (no bulk format shows them).  Every
output goes to a temporary file renamed into place when complete; an input file is
never replaced.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any, BinaryIO

from kpidsl.engine.versions import editions
from kpidsl.output.atomic import atomic
from kpidsl.output.bulk_python import write_csv, write_json
from kpidsl.output.bulk_rows import (
    MONEY,
    NUMBERS,
    kpi_columns,
    rows_query,
    sort_rows,
    sql_text,
    unknown_condition,
    write_parquet,
)
from kpidsl.output.bulk_tables import grid, wanted_grid

if TYPE_CHECKING:
    from kpidsl.base.diagnostics import Diagnostic
    from kpidsl.engine.session import Session
    from kpidsl.results.model import Results

# ------------------------------------------------------------------ explanations and findings


def prepare(session: Session) -> Results:
    """Explain the unknowns and collect the rule findings, as `assemble` does, into a
    `Results` without employee rows (header, findings, diagnostics); the session's
    diagnostics grow by the explanations."""
    from kpidsl.results.assemble import explain_unknowns, findings
    from kpidsl.results.model import Results

    plan, model = session.plan, session.model
    grid(session)
    sort_rows(session)
    names = ["period", "employee", "role", "line", *NUMBERS, *MONEY, "status",
             *(f"gate_{j}" for j in range(1, plan.gate_width + 1)),
             *(f"action_{j}" for j in range(1, plan.action_width + 1)),
             *(f"role_gate_{j}" for j in range(1, plan.role_gate_width + 1))]
    cells: list[tuple[str, str, list[dict[str, Any]]]] = []
    if plan.lines:
        query = rows_query(session, kpi_columns(session)[:len(names)], outer=False, where=unknown_condition(session))
        rows = [dict(zip(names, r, strict=True)) for r in session.connection.execute(sql_text(query)).fetchall()]
        for (p, e), group in groupby(rows, key=lambda r: (r["period"], r["employee"])):
            cells.append((p, e, list(group)))
    explainer = explain_unknowns(plan, cells, session.fact_index, {e for _, e, _ in cells} | _unpaid_people(session))
    _explain_payouts(session, explainer)
    skeleton = Results(ruleset=model.title, currency=model.currency, locale=session.locale,
                       period_kind=model.period_kind, periods=list(session.periods), minor_digits=plan.minor_digits,
                       editions=editions(model, list(session.periods)))
    fetched = {"rules": session.fetch("rules")} if "rules" in plan.names else {}
    findings(plan, fetched, skeleton, explainer, session.period)
    session.diagnostics.extend(explainer.diagnostics())
    skeleton.diagnostics = list(session.diagnostics)
    return skeleton


def _unpaid_people(session: Session) -> set[str]:
    """The employees whose payout had no value (their facts are needed to say why)."""
    from sqlglot import exp

    from kpidsl.engine.plan import TOTALS_TABLE

    if not session.plan.payouts:
        return set()
    query = (exp.select(exp.column("employee", quoted=True)).distinct().from_(exp.to_table(TOTALS_TABLE, quoted=True))
             .where(exp.EQ(this=exp.column("payout", quoted=True), expression=exp.Literal.string("no_data"))))
    found = session.connection.execute(sql_text(query)).fetchall()
    return {e for (e,) in found if session.employee in (None, e)}


def _explain_payouts(session: Session, explainer: Any) -> None:
    """The payouts without a value, explained as `assemble` explains them (after the KPIs)."""
    import sqlglot
    from sqlglot import exp

    from kpidsl.engine.plan import DECIMAL_OUTPUTS, KPIS_TABLE, TOTALS_TABLE
    from kpidsl.engine.session import decimal_rows, select_as_text
    from kpidsl.results.assemble import explain_payouts

    people = _unpaid_people(session)
    if not people:
        return
    con, plan = session.connection, session.plan
    listed = exp.select(exp.Unnest(expressions=[exp.cast(exp.Placeholder(), "VARCHAR[]")]))

    def rows(table: str, name: str) -> list[dict[str, Any]]:
        """The rows of `table` (an output, decimals exact) of the unpaid people."""
        query = sqlglot.parse_one(select_as_text(con, table, DECIMAL_OUTPUTS[name]), read="duckdb")
        assert isinstance(query, exp.Select)
        query = query.where(exp.In(this=exp.column("employee", quoted=True), query=listed.copy().subquery()))
        result = con.execute(sql_text(query), [sorted(people)])
        names = [d[0] for d in result.description or []]
        return [dict(zip(names, r, strict=True)) for r in decimal_rows(result.fetchall(), names, DECIMAL_OUTPUTS[name])]

    wanted = {p for p in session.periods if session.period in (None, p)}
    totals = [t for t in rows(TOTALS_TABLE, "totals") if t["payout"] == "no_data" and t["period"] in wanted]
    explain_payouts(plan, totals, rows(KPIS_TABLE, "kpis"), explainer)


# ------------------------------------------------------------------ writing

SQL_LAYOUT_FROM = 2_000
"""Employee results (periods × people) from which DuckDB lays out JSON and CSV text: below
it, building and planning bulk_text's queries costs more than formatting the rows in Python
(0.1 s on the seed's 19 results); above it, DuckDB is many times faster."""


def write(session: Session, skeleton: Results, fmt: str, output: str | None,
          diagnostics: Sequence[Diagnostic] = (), protected: Sequence[str] = (), *,
          layout: str | None = None) -> None:
    """Write the results as `fmt` to `output` (atomically) or, for JSON and CSV, to stdout.

    `layout`: who lays out JSON and CSV text — "sql" (DuckDB, bulk_text; the default
    from SQL_LAYOUT_FROM employee results on, when the outputs have the expected types) or
    "python". Both write the same bytes."""
    from kpidsl.output import bulk_text

    if layout is None:
        periods, people = wanted_grid(session)
        big = len(periods) * len(people) >= SQL_LAYOUT_FROM
        layout = "sql" if big and bulk_text.usable(session) else "python"
    if fmt == "parquet":
        if output is None:
            raise ValueError("Parquet needs an output file")
        with atomic(output, protected) as tmp:
            write_parquet(session, tmp)
        return

    def body(out: BinaryIO) -> None:
        if fmt == "json":
            write_json(session, skeleton, diagnostics, out,
                       bulk_text.json_employees(session) if layout == "sql" else None)
        elif layout == "sql":
            bulk_text.write_csv(session, out)
        else:
            write_csv(session, out)

    if output is None:
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:  # a text-only stdout (some test runners): collect, then write text
            collected = io.BytesIO()
            body(collected)
            sys.stdout.write(collected.getvalue().decode("utf-8"))
        else:
            body(stream)
            stream.flush()
        return
    with atomic(output, protected) as tmp, open(tmp, "wb", buffering=1 << 20) as handle:
        body(handle)
