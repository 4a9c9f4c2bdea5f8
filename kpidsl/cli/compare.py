"""`kpidsl compare OLD NEW`: what a change of the plan costs, and who wins or loses.

OLD and NEW are ruleset files or a file at a git revision (`rulesets/acme.kpi@HEAD~1`,
`@main`, `@v2026.1`; `language.revision` reads it).  Both are evaluated by the same
engine on the same facts, exactly as `kpidsl eval` evaluates one (its checks, its
diagnostics on stderr, its narrowing by --period and --employee), then matched by
`results.compare` and written by `output.compare`.  Exit codes: 0 written, 1 errors in
the input (either ruleset, the data, a revision that cannot be read, plans in different
currencies or period kinds, an output that cannot be written), 2 usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kpidsl.cli.eval import evaluate, fail, write_output
from kpidsl.cli.options import Inputs, input_options
from kpidsl.output.compare import FORMATS, SUFFIXES


def _default_format(output: str | None) -> str:
    """By the output's suffix; to a terminal the text report; to a pipe or file JSON."""
    if output is not None:
        return SUFFIXES.get(Path(output).suffix.lower(), "json")
    return "text" if sys.stdout.isatty() else "json"


@click.command("compare")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@input_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="text, json, html, md or xlsx (default: by -o's suffix, else text to a terminal, json otherwise).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (atomically; never over an input) instead of stdout.")
def command(old: str, new: str, facts: tuple[str, ...], sources: dict[str, str], roster: str | None,
            period: str | None, employee: str | None, locale: str | None, encoding: str | None,
            delimiter: str | None, import_paths: tuple[str, ...], fmt: str | None, output: str | None) -> None:
    """Compare two plans on the same data: OLD and NEW are rulesets, or PATH@REV of one in git.

    Per period, employee and KPI line: the old and new bonus and coefficient, the change
    in money and per cent, the statuses that changed; KPI lines added, removed or
    redefined; totals per role and for the payroll; the biggest winners and losers.
    Exit 0 ok, 1 errors in the input, 2 usage error."""
    from kpidsl.language.revision import RevisionError, ruleset_source
    from kpidsl.output.render import RenderError
    from kpidsl.results.compare import CompareError, compare

    fmt = fmt or _default_format(output)
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx is a binary file: give an output path with -o")
    try:
        sides = [ruleset_source(old), ruleset_source(new)]
    except RevisionError as exc:
        fail(str(exc))
    inputs = [Inputs(s.name if s.text is not None else s.path, facts, roster, sources, period, employee, locale,
                     encoding, delimiter, import_paths, s.text) for s in sides]
    _same_kind(inputs)
    printed: set[str] = set()  # a data warning holds for both plans: said once
    runs = [evaluate(i, seen=printed) for i in inputs]
    try:
        comparison = compare(runs[0].results, runs[1].results, sides[0].name, sides[1].name)
    except CompareError as exc:
        fail(str(exc))
    from kpidsl.output.compare import render_comparison

    try:
        data = render_comparison(comparison, fmt, locale)
    except RenderError as exc:
        fail(str(exc))
    protected = [*inputs[0].files, *inputs[1].files, *(s.path for s in sides)]
    for run in runs:
        if run.traced.model is not None:
            protected += run.traced.model.files  # the rulesets' imports
    write_output(data, output, protected)


def _same_kind(inputs: list[Inputs]) -> None:
    """Stop before evaluating when the plans pay in different currencies or per different
    periods (the facts would be read per a different period kind, and the money cannot be
    compared).  A ruleset that cannot be read is left to the evaluation, which says why."""
    from kpidsl.language.load import load
    from kpidsl.results.compare import mismatch

    models = [load(i.ruleset, text=i.text, import_paths=i.import_paths)[0] for i in inputs]
    if models[0] is None or models[1] is None:
        return
    problem = mismatch(inputs[0].ruleset, (models[0].currency, models[0].period_kind),
                       inputs[1].ruleset, (models[1].currency, models[1].period_kind))
    if problem is not None:
        fail(problem)
