"""The plan as a SQL script for another engine (`kpidsl sql`): the compiled statements,
transpiled by SQLGlot, with the records → facts query first when the ruleset
aggregates raw records.

The statements are the ones the DuckDB session runs; the header comment documents
the two input tables (`kpidsl_facts`, `kpidsl_roster`) and what each statement makes.
"""

from __future__ import annotations

from sqlglot import exp

from kpidsl.base.diagnostics import Diagnostic, error
from kpidsl.engine.compile import compile_model
from kpidsl.engine.fixedpoint import for_dialect
from kpidsl.engine.lower import CompileError
from kpidsl.engine.plan import FACTS_TABLE, ROSTER_TABLE
from kpidsl.engine.records import aggregated_facts, resolve_files
from kpidsl.engine.records_sql import records_query
from kpidsl.engine.session import minor_digits
from kpidsl.language.load import Model

__all__ = ["plan_script"]


def plan_script(model: Model, dialect: str, sources: dict[str, str]) -> tuple[str | None, list[Diagnostic]]:
    """The whole script for `dialect`, or None with the errors that prevent it (E030: the
    plan cannot be compiled; K05x: a records source that cannot be resolved)."""
    try:
        # a ruleset with dated `employee` lines prints the dated plan (kpidsl_days, proration)
        dated = any(e.start is not None or e.end is not None for e in model.employees)
        plan = compile_model(model, minor_digits(model.currency), dated)
    except CompileError as exc:
        return None, [error("E030", f"the ruleset cannot be compiled: {exc}", exc.span)]
    records, diagnostics = _records(model, sources, dialect)
    if any(d.is_error for d in diagnostics):
        return None, diagnostics
    script = plan.script(dialect)
    if records:  # after the header (which documents the inputs), before the statements
        header, _, body = script.partition("\n-- values\n")
        script = f"{header}\n{records}\n\n-- values\n{body}"
    return script, diagnostics


def _records(model: Model, sources: dict[str, str], dialect: str) -> tuple[str | None, list[Diagnostic]]:
    """The records → facts query as `INSERT INTO kpidsl_facts …;`, or None if the ruleset has none."""
    if not aggregated_facts(model):
        return None, resolve_files(model, sources, must_exist=False)[1] if sources else []
    unknown = [d for d in resolve_files(model, sources, must_exist=False)[1] if d.code == "K057"]
    query, diagnostics = records_query(model, sources, dialect, roster=ROSTER_TABLE)
    diagnostics = unknown + diagnostics
    if query is None:
        return None, diagnostics
    columns = [exp.to_identifier(c, quoted=True) for c in ("period", "employee", "fact", "value")]
    table = exp.Table(this=exp.to_identifier(FACTS_TABLE, quoted=True))
    insert = exp.Insert(this=exp.Schema(this=table, expressions=columns),
                        expression=for_dialect(query, dialect))
    comment = ("-- records → facts: the facts the ruleset aggregates from raw records, per period, per\n"
               "-- employee (employee NULL: department level); run it after filling kpidsl_roster")
    return f"{comment}\n{insert.sql(dialect=dialect, pretty=True)};", diagnostics
