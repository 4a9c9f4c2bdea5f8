"""`kpidsl doc`: the bonus regulation ("Положение о премировании") generated from a ruleset.

Checks the ruleset (errors: the findings on stderr, exit 1, nothing written), builds the
document (`output.regulation`) from the ruleset and its compiled plan, adds the worked
example when facts are given (the same evaluation as `kpidsl eval`), and writes it as
Markdown, HTML or Word.  A Word file is binary: it needs `-o` and is never written to a
terminal.  Every file is written atomically, never over an input.  docs/doc.md.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import sys
from pathlib import Path
from typing import Any

import click

from kpidsl.cli.eval import evaluate, fail, report_diagnostics, write_output
from kpidsl.cli.options import Inputs, input_options

FORMATS = ("html", "docx", "md")
SUFFIXES = {".html": "html", ".htm": "html", ".docx": "docx", ".md": "md"}


def _format(fmt: str | None, output: str | None) -> str:
    if fmt is not None:
        return fmt
    return SUFFIXES.get(Path(output).suffix.lower(), "md") if output and output != "-" else "md"


def _is_terminal(output: str | None) -> bool:
    """Would the output go to a terminal (stdout, `-`, or a terminal device named with -o)?"""
    if output is None or output == "-":
        return sys.stdout.isatty()
    try:
        if not stat.S_ISCHR(os.stat(output).st_mode):
            return False
        fd = os.open(output, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


@click.command("doc")
@click.argument("ruleset", type=click.Path(dir_okay=False))
@input_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="html, docx or md (default: by -o's suffix, else md).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write to this file (atomically; never over an input); required for docx.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]), default=None,
              help="A plan with versions: document the plan as it stands on this day (2026-07-01); "
                   "default: the worked example's period's first day, else the latest edition.")
def command(ruleset: str, facts: tuple[str, ...], sources: dict[str, str], roster: str | None,
            period: str | None, employee: str | None, locale: str | None, encoding: str | None,
            delimiter: str | None, import_paths: tuple[str, ...], fmt: str | None, output: str | None,
            as_of: Any = None) -> None:
    """Write the bonus regulation of RULESET: every role's KPIs, the schemes, conditions,
    rules and KPI cards, and with --facts a worked example computed by the engine.

    Exit 0 written (warnings allowed), 1 errors in the ruleset or the data, 2 usage."""
    fmt = _format(fmt, output)
    if fmt == "docx":
        if output is None:
            raise click.UsageError("--format docx is a binary file: give an output path with -o")
        if _is_terminal(output):
            raise click.UsageError("--format docx is a binary file: refusing to write it to a terminal")
        _need_python_docx()
    if (period or employee or roster) and not (facts or sources):
        raise click.UsageError("--period, --employee and --roster choose the worked example: "
                               "give its data with --facts (or --source for a ruleset's records)")
    inputs = Inputs(ruleset, facts, roster, sources, period, employee, locale, encoding, delimiter, import_paths)
    model, results, chosen = _model_and_results(inputs)
    data = _render(model, results, chosen, fmt, locale, as_of.date() if as_of is not None else None)
    write_output(data, None if output == "-" else output, [*inputs.files, *model.files])


def _need_python_docx() -> None:
    from importlib.util import find_spec

    if find_spec("docx") is None:
        from kpidsl.output.wordfile import INSTALL

        click.echo(f"kpidsl: error: --format docx needs python-docx, which is not installed; "
                   f"install it with: {INSTALL}", err=True)
        click.get_current_context().exit(2)


def _model_and_results(inputs: Inputs) -> tuple[Any, Any, str | None]:
    """The checked model, and the results of the worked example (None without data)."""
    if inputs.facts or inputs.sources:
        run = evaluate(inputs, all_periods=True)  # prints the diagnostics; exits 1 on errors
        return run.traced.model, run.results, run.period
    from kpidsl.api import check_file

    checked = check_file(inputs.ruleset, import_paths=inputs.import_paths)
    report_diagnostics(checked.diagnostics, checked.sources)
    if not checked.ok or checked.model is None:
        click.get_current_context().exit(1)
    return checked.model, None, None


def _edition(model: Any, period: str | None,
             as_of: dt.date | None) -> tuple[Any, tuple[str | None, list[str | None]] | None]:
    """A plan with versions: the plan on the documented day, and that edition with all of them."""
    from kpidsl.data.periods import bounds
    from kpidsl.language.versions import edition, is_versioned, model_at, starts

    if not is_versioned(model):
        return model, None
    started = starts(model)
    day = as_of or (bounds(period)[0] if period else (started[-1] if started else dt.date.min))
    shown = edition(model, day)
    editions: list[str | None] = [None, *(d.isoformat() for d in started)]
    return model_at(model, day, strict=True), (shown.isoformat() if shown is not None else None, editions)


def _render(model: Any, results: Any, period: str | None, fmt: str, locale: str | None,
            as_of: dt.date | None = None) -> bytes | str:
    from kpidsl.api import plan_of
    from kpidsl.output.docwrite import to_html, to_markdown
    from kpidsl.output.i18n import Formatter
    from kpidsl.output.provenance import ruleset_version
    from kpidsl.output.regulation import build_regulation

    model, edition = _edition(model, period, as_of)
    plan = plan_of(model)
    formatter = Formatter(locale or model.locale, model.currency, plan.minor_digits)
    try:
        doc = build_regulation(model, plan, formatter, ruleset_version(model.files), results, period, edition)
    except ValueError as exc:  # a period with no results
        fail(str(exc))
    if fmt == "md":
        return to_markdown(doc)
    if fmt == "html":
        return to_html(doc)
    from kpidsl.output.wordfile import WordUnavailable, to_docx

    try:
        return to_docx(doc)
    except WordUnavailable as exc:
        click.echo(f"kpidsl: error: {exc}", err=True)
        click.get_current_context().exit(2)
        raise AssertionError("unreachable") from exc
