"""The engine's outputs, fetched and assembled into `Results`.

The engine leaves its outputs in the DuckDB session (`engine.session.Session`); this
stage reads them back as exact decimals and hands them to `assemble`, which explains
every unknown value.  `run` is the whole evaluation of a model over a fact table, for
callers that hold both already (the facade starts from files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpidsl.base.diagnostics import Diagnostic
from kpidsl.engine.session import Fetched, Session, duckdb_failure, start
from kpidsl.results.assemble import assemble
from kpidsl.results.model import Results

if TYPE_CHECKING:
    from kpidsl.data.facts import FactTable
    from kpidsl.engine.options import EvalOptions
    from kpidsl.language.load import Model


def collect(session: Session) -> Results | None:
    """Fetch every output of `session` and assemble `Results` (None, with a diagnostic in
    `session.diagnostics`, if DuckDB fails)."""
    import duckdb

    try:
        with session.stage("assemble"):
            fetched: Fetched = {name: session.fetch(name) for name in session.plan.names if name != "values"}
            results = assemble(session.plan, fetched, session.fact_index, session.periods, session.roster,
                               session.period, session.employee, session.locale, session.diagnostics,
                               session.days)
    except duckdb.Error as exc:
        session.diagnostics.append(duckdb_failure(exc))
        return None
    results.diagnostics = list(session.diagnostics)
    return results


def run(model: Model, table: FactTable, options: EvalOptions | None = None) -> tuple[Results | None, list[Diagnostic]]:
    """Evaluate `model` over `table`; every problem is a diagnostic, never an exception."""
    session, diagnostics = start(model, table, options)
    if session is None:
        return None, diagnostics
    with session:
        results = collect(session)
    return results, session.diagnostics
