"""`kpidsl eval`: evaluate a ruleset over fact data and print or write the results.

The command is thin: it checks its options, runs `api.evaluate_with_facts`, prints
the diagnostics compiler-style on stderr and hands the results to an exporter
(text) or to the report renderer (HTML, Markdown, XLSX).  JSON, CSV and Parquet
go through `kpidsl.output.bulk`, which streams them from the engine's DuckDB session
without a Python object per value (the same bytes as the exporters, for any
size).  Long runs show their stages on stderr when it is a terminal (`--quiet`
silences them).  Exit codes: 0 results written (warnings allowed), 1 errors in
the input (ruleset, data, an unknown period or employee, an output path that
cannot be written), 2 usage.  The helpers here are shared with `kpidsl explain`.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, NoReturn, cast

import click

from kpidsl.base.diagnostics import Diagnostic, Diagnostics, Severity, SourceCache, render_human, summary_line
from kpidsl.cli.options import Inputs, input_options, memory_size
from kpidsl.output.export import BINARY_FORMATS, FORMATS, REPORT_FORMATS, SUFFIXES

REPORTS = ("analytical", "bonus", "statement", "dashboard", "all")
BULK_FORMATS = ("json", "csv", "parquet")  # streamed by kpidsl.output.bulk
EVAL_FORMATS = (*FORMATS, "parquet")


# ------------------------------------------------------------------ running


def report_diagnostics(diagnostics: Sequence[Diagnostic], sources: SourceCache,
                       seen: set[str] | None = None) -> None:
    """Errors and warnings on stderr, compiler style.  Hints are `kpidsl check`'s business.
    `seen` holds what an earlier run of the same command printed (compare evaluates two
    plans on one data file): a diagnostic word for word the same is not printed again."""
    shown = [d for d in Diagnostics(list(diagnostics)).sorted() if d.severity is not Severity.HINT]
    for d in shown:
        text = render_human(d, sources)
        if seen is not None:
            if text in seen:
                continue
            seen.add(text)
        click.echo(text, err=True)
    if any(d.is_error for d in shown):
        click.echo(summary_line(shown), err=True)


def fail(message: str, hint: str | None = None) -> NoReturn:
    """An input problem the pipeline cannot know about (a period, an employee, an output path)."""
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"  = hint: {hint}", err=True)
    click.get_current_context().exit(1)
    raise AssertionError("unreachable")  # Context.exit raises


def _normal(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().replace("ё", "е").split())


def resolve_employee(name: str, known: Sequence[str]) -> str | None:
    """`name` as the data spells it: exact, or the one name equal up to case, ё/е and spaces."""
    if name in known:
        return name
    matches = {k for k in known if _normal(k) == _normal(name)}
    return matches.pop() if len(matches) == 1 else None


@dataclasses.dataclass
class Preview:
    """The ruleset read without checking — cheap — so that a missing --facts, a period in
    the wrong kind or a mistyped name is caught before the evaluation runs.  Empty when
    the ruleset cannot be read: the evaluation will say why."""

    period_kind: str | None = None
    employees: list[str] = dataclasses.field(default_factory=list)
    has_records: bool = False


def preview(inputs: Inputs) -> Preview:
    from kpidsl.data.roster import load_roster
    from kpidsl.language.load import load

    model, diagnostics = load(inputs.ruleset, text=inputs.text, import_paths=inputs.import_paths)
    if model is None or any(d.is_error for d in diagnostics):
        return Preview()
    names = [e.name for e in model.employees]
    if inputs.roster is not None and inputs.employee is not None:
        rows, _ = load_roster(inputs.roster, encoding=inputs.encoding, delimiter=inputs.delimiter)
        names += [r.employee for r in rows]
    return Preview(model.period_kind, names, bool(model.records))


def canonical_period(text: str, kind: str | None) -> str:
    from kpidsl.data.periods import KINDS, example, parse_period

    kinds = [kind] if kind else list(KINDS)
    for k in kinds:
        key = parse_period(text, k)
        if key is not None:
            return key
    shown = f"a {kind} period" if kind else "a period"
    raise click.BadParameter(f"`{text}` is not {shown}; write it like {example(kind or 'quarter')}",
                             param_hint="'--period'")


def unknown_employee(name: str, known: Sequence[str]) -> NoReturn:
    names = sorted(set(known))
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = ("did you mean " + " or ".join(f"`{c}`" for c in close) + "?") if close else \
        ("employees: " + ", ".join(names)) if names else None
    fail(f"no employee `{name}` in the ruleset or the roster", hint)


@dataclasses.dataclass
class Run:
    """A finished evaluation narrowed to the requested period and employee."""

    traced: Any  # api.Traced
    results: Any  # results.Results
    employee: str | None
    period: str | None  # the canonical key of --period


@dataclasses.dataclass(frozen=True)
class Tuning:
    """How the evaluation runs, not what it computes."""

    memory_limit: str | None = None  # DuckDB's memory_limit; beyond it DuckDB spills to disk
    threads: int | None = None
    progress: Any = None  # progress.Progress
    engine: str = "duckdb"  # "spark": the plan runs on Spark (kpidsl.engine.spark)
    spark_master: str | None = None


def _options(inputs: Inputs, all_periods: bool, tuning: Tuning) -> tuple[Any, str | None, str | None, list[str]]:
    """EvalOptions for the inputs, after the checks a cheap look at the ruleset allows:
    (options, the canonical --period, the employee as the data spells it, known employees)."""
    from kpidsl.engine.options import EvalOptions

    seen = preview(inputs) if (inputs.period or inputs.employee or not inputs.facts) else Preview()
    if not inputs.facts and not seen.has_records:
        _stop_on_ruleset_errors(inputs)  # what the ruleset needs is known only once it reads
        raise click.UsageError("Missing option '--facts': give the facts file(s) to evaluate "
                               "(only a ruleset with `records` computes its facts without them).")
    key = canonical_period(inputs.period, seen.period_kind) if inputs.period else None
    wanted = None
    if inputs.employee is not None:
        wanted = resolve_employee(inputs.employee, seen.employees)
        if wanted is None and seen.employees:
            unknown_employee(inputs.employee, seen.employees)
        wanted = wanted or inputs.employee  # the ruleset could not be read: the evaluation says why
    options = EvalOptions(period=None if all_periods else key, employee=wanted, roster=inputs.roster,
                          encoding=inputs.encoding, delimiter=inputs.delimiter, locale=inputs.locale,
                          records=dict(inputs.sources), memory_limit=tuning.memory_limit, threads=tuning.threads,
                          progress=tuning.progress, engine=tuning.engine, spark_master=tuning.spark_master,
                          import_paths=inputs.import_paths)
    return options, key, wanted, seen.employees


def _stop_on_ruleset_errors(inputs: Inputs) -> None:
    """Show the ruleset's errors and exit 1 if it has any (before a usage error that
    depends on what the ruleset declares)."""
    from kpidsl.api import check_file

    checked = check_file(inputs.ruleset, text=inputs.text, import_paths=inputs.import_paths)
    if not checked.ok:
        report_diagnostics([d for d in checked.diagnostics if d.is_error], checked.sources)
        click.get_current_context().exit(1)


def evaluate(inputs: Inputs, all_periods: bool = False, tuning: Tuning = Tuning(),
             seen: set[str] | None = None) -> Run:
    """Run the pipeline; on errors print them and exit 1.  Narrows to the period and
    employee asked for; `all_periods` keeps every period (reports show dynamics) and
    only checks that the period asked for is in the data; `seen` as in report_diagnostics."""
    from kpidsl.api import evaluate_with_facts

    options, key, wanted, employees = _options(inputs, all_periods, tuning)
    traced = evaluate_with_facts(inputs.ruleset, list(inputs.facts), options, inputs.text)
    return _narrow(traced, key, wanted, employees, all_periods, seen)


def _narrow(traced: Any, key: str | None, wanted: str | None, employees: list[str], all_periods: bool,
            seen: set[str] | None = None) -> Run:
    """The diagnostics on stderr (exit 1 on errors), the checks on the results, the narrowing."""
    evaluation = traced.evaluation
    report_diagnostics(evaluation.diagnostics, evaluation.sources, seen)
    if not evaluation.ok:
        click.get_current_context().exit(1)
    results = evaluation.results
    if key is not None and key not in results.periods:
        fail(f"period {key} is not in the data",
             "periods in the data: " + (", ".join(results.periods) or "none"))
    rows = [r for r in results.results if key is None or all_periods or r.period == key]
    if wanted is not None:
        rows = [r for r in rows if r.employee == wanted]
        if not rows:
            unknown_employee(wanted, [*employees, *(r.employee for r in results.results)])
    findings = [f for f in results.findings if key is None or all_periods or f.period == key]
    narrowed = dataclasses.replace(results, results=rows, findings=findings)
    return Run(traced, narrowed, wanted, key)


def evaluate_bulk(inputs: Inputs, fmt: str, output: str | None, tuning: Tuning) -> None:
    """`evaluate` for JSON, CSV and Parquet, streamed by kpidsl.output.bulk: the same checks, the
    same diagnostics and the same bytes as the exporters, for any number of employees."""
    from kpidsl import api
    from kpidsl.output import bulk
    from kpidsl.output.atomic import OutputError

    options, key, wanted, employees = _options(inputs, False, tuning)
    options.metrics = False  # no bulk format shows them
    options.stream = True
    traced = api.evaluate_with_facts(inputs.ruleset, list(inputs.facts), options)
    started = traced.started
    if started is None:  # nothing to stream: a failure (reported here), or results as objects
        run = _narrow(traced, key, wanted, employees, False)
        if fmt == "parquet":
            fail("Parquet is written from the engine's session, and this evaluation returned no session")
        from kpidsl.output.export import render_csv, render_json

        data = render_json(run.results, traced.evaluation.diagnostics) if fmt == "json" else render_csv(run.results)
        write_output(data, output, [*inputs.files, *(traced.model.files if traced.model is not None else [])])
        return
    try:
        session = started.session
        skeleton = None
        if session is not None:
            with session.stage("explain"):
                skeleton = bulk.prepare(session)
        report_diagnostics(started.diagnostics, started.sources)
        if session is None or skeleton is None or any(d.is_error for d in started.diagnostics):
            click.get_current_context().exit(1)
            return
        if key is not None and key not in session.periods:
            fail(f"period {key} is not in the data",
                 "periods in the data: " + (", ".join(session.periods) or "none"))
        shown = [(e, r) for e, r in session.roster if wanted is None or e == wanted] \
            if any(key is None or p == key for p in session.periods) else []
        if wanted is not None and not shown:
            unknown_employee(wanted, [*employees, *(e for e, _ in session.roster)])
        protected = [*inputs.files, *(started.model.files if started.model is not None else [])]
        with session.stage("write"):
            try:
                bulk.write(session, skeleton, fmt, output, started.diagnostics, protected)
            except OutputError as exc:
                fail(str(exc))
    finally:
        started.close()


def write_output(data: bytes | str, output: str | None, protected: Sequence[str]) -> None:
    """To `output` atomically (never over an input), or to stdout."""
    from kpidsl.output.atomic import OutputError, write_atomic

    if output is None:
        if isinstance(data, bytes):
            sys.stdout.flush()
            stream = cast("IO[bytes]", getattr(sys.stdout, "buffer", sys.stdout))
            stream.write(data)
            stream.flush()
        else:
            click.echo(data, nl=False)
        return
    try:
        write_atomic(output, data, protected=tuple(protected))
    except OutputError as exc:
        fail(str(exc))


# ------------------------------------------------------------------ the command


def _default_format(output: str | None) -> str:
    """By the output's suffix; to a terminal a table; to a pipe or file JSON."""
    if output is not None:
        return {**SUFFIXES, ".parquet": "parquet", ".pq": "parquet"}.get(Path(output).suffix.lower(), "json")
    return "text" if sys.stdout.isatty() else "json"


@click.command("eval")
@click.argument("ruleset", type=click.Path(dir_okay=False))
@input_options
@click.option("--format", "fmt", type=click.Choice(EVAL_FORMATS), default=None,
              help="text, json, csv, parquet, html, md or xlsx (default: by -o's suffix, else text to a terminal, "
                   "json otherwise).")
@click.option("--report", type=click.Choice(REPORTS), default=None,
              help="Which report for html/md/xlsx (default: all).")
@click.option("--template", type=click.Path(dir_okay=False), default=None,
              help="Your own Jinja template for html/md.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (atomically; never over an input) instead of stdout.")
@click.option("--memory-limit", metavar="SIZE", callback=memory_size, default=None,
              help="Memory DuckDB may use (e.g. 2GB); beyond it, it spills to a temporary folder.")
@click.option("--threads", type=click.IntRange(min=1), default=None, metavar="N",
              help="Threads DuckDB may use (default: every core).")
@click.option("--quiet", is_flag=True, default=False,
              help="No progress on stderr (it is shown only on a terminal, for runs over half a second).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Where the plan runs: in-process DuckDB, or Spark through PySpark (same results).")
@click.option("--spark-master", metavar="URL", default=None,
              help="The Spark master for --engine spark: local[4], spark://host:7077, yarn … "
                   "(default: $KPIDSL_SPARK_MASTER, else local[2]).")
def command(ruleset: str, facts: tuple[str, ...], sources: dict[str, str], roster: str | None,
            period: str | None, employee: str | None, locale: str | None, encoding: str | None,
            delimiter: str | None, fmt: str | None, report: str | None, template: str | None,
            output: str | None, memory_limit: str | None, threads: int | None, quiet: bool,
            engine: str, spark_master: str | None, import_paths: tuple[str, ...]) -> None:
    """Evaluate RULESET over the facts: every KPI, index and bonus.

    Errors and warnings go to stderr.  Exit 0 ok (warnings allowed), 1 errors in the
    input, 2 usage error."""
    from kpidsl.base.progress import Progress

    fmt = fmt or _default_format(output)
    if fmt in (*BINARY_FORMATS, "parquet") and output is None:
        raise click.UsageError(f"--format {fmt} is a binary file: give an output path with -o")
    if fmt not in REPORT_FORMATS and (report or template):
        raise click.UsageError(f"--report and --template apply to html, md and xlsx, not to --format {fmt}")

    inputs = Inputs(ruleset, facts, roster, sources, period, employee, locale, encoding, delimiter, import_paths)
    progress = Progress(quiet=quiet)
    if spark_master is not None and engine != "spark":
        raise click.UsageError("--spark-master applies to --engine spark")
    tuning = Tuning(memory_limit, threads, progress, engine, spark_master)
    if fmt in BULK_FORMATS:
        evaluate_bulk(inputs, fmt, output, tuning)
        progress.finish()
        return
    run = evaluate(inputs, all_periods=fmt in REPORT_FORMATS, tuning=tuning)
    results = run.results
    data: bytes | str
    with progress.stage("render"):
        if fmt == "text":
            from kpidsl.output.export import render_text

            data = render_text(results, locale)
        else:
            data = _render_report(results, fmt, report or "all", locale, template, run.period)
    protected = [*inputs.files, *([template] if template else [])]
    if run.traced.model is not None:
        protected += run.traced.model.files  # the ruleset's imports
    with progress.stage("write"):
        write_output(data, output, protected)
    progress.finish()


def _render_report(results: Any, fmt: str, report: str, locale: str | None, template: str | None,
                   period: str | None) -> bytes:
    try:
        from kpidsl.output.render import RenderError, render_report
    except ImportError as exc:  # a broken installation, not the user's input: exit 2
        click.echo(f"kpidsl: internal error: the {fmt} reports are not available: {exc}", err=True)
        click.get_current_context().exit(2)
        raise AssertionError("unreachable") from exc
    try:
        return render_report(results, fmt, report=report, locale=locale, template=template, period=period)
    except RenderError as exc:  # a bad template or report choice: the user's input
        fail(str(exc))
