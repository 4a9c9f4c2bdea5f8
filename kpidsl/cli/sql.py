"""`kpidsl sql RULESET [--dialect …]`: print the compiled evaluation plan as SQL.

The statements are the ones `kpidsl eval` runs on DuckDB, transpiled by SQLGlot
for another engine.  A header comment documents the two input tables the plan
reads (`kpidsl_facts`, `kpidsl_roster`) and what each statement produces.  When
the ruleset aggregates facts from raw records, the records → facts query comes
first, as an INSERT into `kpidsl_facts` (files for DuckDB, tables elsewhere;
`--source NAME=FILE|TABLE` names another).
Exit status: 0 printed, 1 the ruleset has errors (rendered compiler style on
stderr, nothing on stdout), 2 usage error.
"""

from __future__ import annotations

import click

from kpidsl.cli.options import import_path_option, parse_sources

DIALECTS = ("duckdb", "spark", "postgres", "bigquery", "snowflake", "trino")


@click.command(name="sql")
@click.argument("ruleset", type=click.Path(path_type=str))
@click.option("--dialect", type=click.Choice(DIALECTS), default="duckdb", show_default=True,
              help="The SQL engine to print the plan for.")
@click.option("--source", "sources", multiple=True, metavar="NAME=FILE|TABLE", callback=parse_sources,
              help="Read the ruleset's records NAME from this file (DuckDB) or table (other engines; "
                   "schema.table allowed) instead of its `file` / its name; repeatable.")
@import_path_option
def command(ruleset: str, dialect: str, sources: dict[str, str], import_paths: tuple[str, ...]) -> None:
    """Print the SQL that evaluates RULESET, for DuckDB or another engine.

    The plan computes every KPI of every employee in every period at once, with
    exact decimal arithmetic (12 decimals, half away from zero) and guarded
    divisions written out in the SQL, so every engine computes the same numbers.
    Fill the input tables described in the header, then run the statements in
    order: values, kpis, rules, metrics.
    """
    from kpidsl.api import sql_script
    from kpidsl.base.diagnostics import render_human

    script = sql_script(ruleset, dialect, sources, import_paths)
    if not script.ok or script.text is None:
        for d in script.diagnostics:
            if d.is_error:
                click.echo(render_human(d, script.sources), err=True)
        click.get_current_context().exit(1)
        return
    click.echo(script.text, nl=False)
