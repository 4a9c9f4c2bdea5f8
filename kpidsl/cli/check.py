"""`kpidsl check FILE…`: every static diagnostic of each ruleset, compiler style or JSON.

Exit status: 0 when no file has an error (warnings and hints alone pass), 1 when
any has an error — or a warning under `--strict` — and 2 on a usage error (click).
A path that cannot be read is a K010 error in the output (exit 1), like any other
problem with the input.  Nothing here imports DuckDB, SQLGlot, openpyxl or Jinja.
"""

from __future__ import annotations

import json

import click

from kpidsl.api import Checked, check_file
from kpidsl.base.diagnostics import Diagnostic, Severity, Span, render_human, summary_line
from kpidsl.cli.paths import expand_rulesets
from kpidsl.language.versions import listing


@click.command(name="check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["human", "json"]), default="human", show_default=True,
              help="human: file:line:col, the source line and a caret; json: one object for tools.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only on errors.")
@click.option("--import-path", "import_paths", multiple=True, metavar="DIR",
              type=click.Path(exists=True, file_okay=False, path_type=str),
              help="A folder of shared rulesets the imports may reach, besides each ruleset's own folder; repeatable.")
def command(files: tuple[str, ...], fmt: str, strict: bool, import_paths: tuple[str, ...]) -> None:
    """Check rulesets (files, or folders of .kpi files) without reading any data.

    Reports syntax errors, unknown names (with "did you mean"), dependency
    cycles, function and type misuse, unit mix-ups, role weights that do not
    sum to 1, missing or zero targets, and the methodology's lints (3–5 KPIs per
    person, process metrics used as KPIs, lead counts without a quality
    condition, LTV without the 3 × CAC rule, zone of control).

    Exit status: 0 no errors, 1 errors (or warnings with --strict), 2 usage error.
    """
    results = [(path, check_file(path, import_paths=import_paths)) for path in expand_rulesets(files)]
    everything = [d for _, checked in results for d in checked.diagnostics]
    failed = any(d.is_error or (strict and d.severity is Severity.WARNING) for d in everything)
    if fmt == "json":
        click.echo(json.dumps(_as_json(results, everything, failed), ensure_ascii=False, indent=2))
    else:
        _print_human(results, everything)
    click.get_current_context().exit(1 if failed else 0)


def _print_human(results: list[tuple[str, Checked]], everything: list[Diagnostic]) -> None:
    for path, checked in results:
        for d in checked.diagnostics:
            click.echo(render_human(d, checked.sources))
        listed = listing(checked.model) if checked.ok and checked.model is not None else []
        if listed:  # the plan's versions by date, so a reviewer sees what changes when
            click.echo(f"{path}: plan versions (a period uses those in force on its first day):")
            for item in listed:
                click.echo(f"  {item.text()}")
        if len(results) > 1:
            click.echo(f"{path}: {summary_line(checked.diagnostics)}")
    files = "1 file" if len(results) == 1 else f"{len(results)} files"
    click.echo(f"checked {files}: {summary_line(everything)}")


def _as_json(results: list[tuple[str, Checked]], everything: list[Diagnostic], failed: bool) -> dict[str, object]:
    def counts(items: list[Diagnostic]) -> dict[str, int]:
        return {f"{s.value}s": sum(1 for d in items if d.severity is s) for s in Severity}

    return {
        "ok": not failed,
        "summary": counts(everything),
        "files": [{"file": path, "ok": checked.ok, "summary": counts(checked.diagnostics),
                   "diagnostics": [_diagnostic_json(d) for d in checked.diagnostics],
                   **({"versions": versions} if (versions := _versions_json(checked)) else {})}
                  for path, checked in results],
    }


def _versions_json(checked: Checked) -> list[dict[str, object]]:
    """The plan's versions (`versions` in a file's object, only when it has some and no errors)."""
    if not checked.ok or checked.model is None:
        return []
    return [{"kind": item.kind, "name": item.name, **({"role": item.role} if item.role else {}),
             "versions": [{"from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
                           "line": line} for start, end, line in item.versions]}
            for item in listing(checked.model)]


def _diagnostic_json(d: Diagnostic) -> dict[str, object]:
    """`Diagnostic.to_json()` plus the position as numbers, for editors."""
    out = d.to_json()
    loc = d.location
    if isinstance(loc, Span):
        out.update(file=loc.file, line=loc.line, column=loc.column,
                   end_line=loc.end_line, end_column=loc.end_column)
    return out
