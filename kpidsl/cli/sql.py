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

from kpidsl.cli.eval import import_path_option, parse_sources

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
    from kpidsl.api import check_file
    from kpidsl.base.diagnostics import render_human
    from kpidsl.engine.compile import compile_model
    from kpidsl.engine.lower import CompileError
    from kpidsl.engine.session import minor_digits

    checked = check_file(ruleset, import_paths=import_paths)
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
        from kpidsl.base.diagnostics import error

        click.echo(render_human(error("E030", f"the ruleset cannot be compiled: {exc}", exc.span),  # type: ignore[arg-type]
                                checked.sources), err=True)
        ctx.exit(1)
        return
    records, diagnostics = _records(model, sources, dialect)
    if any(d.is_error for d in diagnostics):
        for d in diagnostics:
            if d.is_error:
                click.echo(render_human(d, checked.sources), err=True)
        ctx.exit(1)
        return
    script = plan.script(dialect)
    if records:  # after the header (which documents the inputs), before the statements
        header, _, body = script.partition("\n-- values\n")
        script = f"{header}\n{records}\n\n-- values\n{body}"
    click.echo(script, nl=False)


def _records(model: object, sources: dict[str, str], dialect: str) -> tuple[str | None, list]:
    """The records → facts query as `INSERT INTO kpidsl_facts …;`, or None if the ruleset has none."""
    from sqlglot import exp

    from kpidsl.engine.fixedpoint import for_dialect
    from kpidsl.engine.plan import FACTS_TABLE, ROSTER_TABLE
    from kpidsl.engine.records import aggregated_facts, resolve_files
    from kpidsl.engine.records_sql import records_query

    if not aggregated_facts(model):  # type: ignore[arg-type]
        return None, resolve_files(model, sources, must_exist=False)[1] if sources else []  # type: ignore[arg-type]
    unknown = [d for d in resolve_files(model, sources, must_exist=False)[1] if d.code == "K057"]  # type: ignore[arg-type]
    query, diagnostics = records_query(model, sources, dialect, roster=ROSTER_TABLE)  # type: ignore[arg-type]
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
