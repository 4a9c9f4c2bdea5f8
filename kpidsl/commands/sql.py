"""`kpidsl sql RULESET [--dialect …]`: print the compiled evaluation plan as SQL.

The statements are the ones `kpidsl eval` runs on DuckDB, transpiled by SQLGlot
for another engine.  A header comment documents the two input tables the plan
reads (`kpidsl_facts`, `kpidsl_roster`) and what each statement produces.
Exit status: 0 printed, 1 the ruleset has errors (rendered compiler style on
stderr, nothing on stdout), 2 usage error.
"""

from __future__ import annotations

import click

DIALECTS = ("duckdb", "spark", "postgres", "bigquery", "snowflake", "trino")


@click.command(name="sql")
@click.argument("ruleset", type=click.Path(path_type=str))
@click.option("--dialect", type=click.Choice(DIALECTS), default="duckdb", show_default=True,
              help="The SQL engine to print the plan for.")
def command(ruleset: str, dialect: str) -> None:
    """Print the SQL that evaluates RULESET, for DuckDB or another engine.

    The plan computes every KPI of every employee in every period at once, with
    exact decimal arithmetic (12 decimals, half away from zero) and guarded
    divisions written out in the SQL, so every engine computes the same numbers.
    Fill the input tables described in the header, then run the statements in
    order: values, kpis, rules, metrics.
    """
    from ..api import check_file
    from ..compile import compile_model
    from ..diagnostics import render_human
    from ..engine import minor_digits
    from ..lower import CompileError

    checked = check_file(ruleset)
    ctx = click.get_current_context()
    if not checked.ok or checked.model is None:
        for d in checked.diagnostics:
            if d.is_error:
                click.echo(render_human(d, checked.sources), err=True)
        ctx.exit(1)
        return
    model = checked.model
    try:
        plan = compile_model(model, minor_digits(model.currency))
    except CompileError as exc:
        from ..diagnostics import error

        click.echo(render_human(error("E030", f"the ruleset cannot be compiled: {exc}", exc.span),  # type: ignore[arg-type]
                                checked.sources), err=True)
        ctx.exit(1)
        return
    click.echo(plan.script(dialect), nl=False)
