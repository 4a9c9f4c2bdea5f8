"""`kpidsl explain`: one employee's result, every number with its formula and values.

Runs the same pipeline as `kpidsl eval` for one employee, then prints the
derivation (kpidsl/results/explain.py): bonus ← index ← attainment ← fact ← the file rows.
Without --period the latest period in the data is explained.
"""

from __future__ import annotations

import click

from kpidsl.cli.eval import evaluate, fail
from kpidsl.cli.options import Inputs, input_options


@click.command("explain")
@click.argument("ruleset", type=click.Path(dir_okay=False))
@input_options
def command(ruleset: str, facts: tuple[str, ...], sources: dict[str, str], roster: str | None,
            period: str | None, employee: str | None, locale: str | None, encoding: str | None,
            delimiter: str | None, import_paths: tuple[str, ...]) -> None:
    """Show every number of one employee's result with its formula.

    Each value is shown with its formula, the values substituted, and where each
    fact came from (file, row, column).  --employee is required; without --period
    the latest period in the data is explained."""
    if not employee:
        raise click.UsageError("Missing option '--employee': whose result should be explained?")
    from kpidsl.data.periods import ordinal
    from kpidsl.results.explain import explain
    from kpidsl.results.record_rows import record_rows

    run = evaluate(Inputs(ruleset, facts, roster, sources, period, employee, locale, encoding, delimiter,
                          import_paths))
    mine = run.results.results
    if not mine:
        fail(f"no results for `{run.employee}`" + (f" in {period}" if period else ""))
    model, table = run.traced.model, run.traced.facts
    assert model is not None and table is not None  # an evaluation with results had both
    latest = max((r.period for r in mine), key=ordinal) if period is None else None
    chosen = [r for r in mine if latest is None or r.period == latest]
    records = record_rows(model, sources, run.employee)
    texts = [explain(model, run.results, table, r.employee, r.period, locale, records).render() for r in chosen]
    if latest is not None and len({r.period for r in mine}) > 1:
        click.echo(f"(the latest period, {latest}; choose another with --period)", err=True)
    click.echo("\n".join(texts), nl=False)
