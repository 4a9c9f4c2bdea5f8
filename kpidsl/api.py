"""The facade: run the pipeline stages in order, collecting diagnostics.

    parse → load (imports) → check → [facts → coverage → compile → engine] → results

Commands, the spec step library and tests go through these functions rather than
through the stages one by one, so every entry point sees the same behaviour.
Heavy stages (DuckDB, SQLGlot, openpyxl) are imported inside the functions that
need them, to keep `kpidsl check` light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kpidsl.base.diagnostics import Diagnostic, SourceCache
from kpidsl.engine.options import EvalOptions
from kpidsl.language.load import Model, load

__all__ = ["Checked", "EvalOptions", "Evaluation", "Script", "Started", "Traced", "check_file", "evaluate",
           "evaluate_with_facts", "plan_of", "sql_script", "start"]

if TYPE_CHECKING:
    from kpidsl.data.facts import FactTable
    from kpidsl.engine.plan import Plan
    from kpidsl.engine.session import Session
    from kpidsl.results.model import Results


@dataclass
class Checked:
    """A ruleset after loading and checking: the model (None if it could not be built)."""

    model: Model | None
    diagnostics: list[Diagnostic]
    sources: SourceCache

    @property
    def ok(self) -> bool:
        return self.model is not None and not any(d.is_error for d in self.diagnostics)


def check_file(path: str | Path, text: str | None = None, sources: SourceCache | None = None,
               import_paths: Sequence[str | Path] = (), keep_text: bool = True) -> Checked:
    """Load `path` with its imports and run every static check on it.  `import_paths`:
    folders beyond the ruleset's own that its imports may reach (`load.import_roots`);
    `keep_text=False` keeps an editor's `text` out of the per-user AST cache."""
    from kpidsl.check.checker import check_model

    sources = sources if sources is not None else SourceCache()
    model, diagnostics = load(path, sources, text=text, import_paths=import_paths, keep_text=keep_text)
    if model is not None:
        diagnostics = diagnostics + check_model(model)
    return Checked(model, diagnostics, sources)


@dataclass
class Evaluation:
    results: Results | None
    diagnostics: list[Diagnostic]
    sources: SourceCache

    @property
    def ok(self) -> bool:
        return self.results is not None and not any(d.is_error for d in self.diagnostics)


@dataclass
class Traced:
    """An evaluation with what it was computed from: the model and the fact rows (with the
    file row of every value), for `explain`.  Either is None where loading stopped."""

    evaluation: Evaluation
    model: Model | None
    facts: FactTable | None
    started: Started | None = None  # with EvalOptions.stream: the open session (results None); close it


def evaluate(ruleset: str | Path, facts: Sequence[str | Path], options: EvalOptions | None = None,
             text: str | None = None) -> Evaluation:
    """Check the ruleset, load the facts, compile and run: the results, or why not."""
    return evaluate_with_facts(ruleset, facts, options, text).evaluation


def evaluate_with_facts(ruleset: str | Path, facts: Sequence[str | Path], options: EvalOptions | None = None,
                        text: str | None = None) -> Traced:
    """`evaluate`, also returning the model and the loaded fact table."""
    started = start(ruleset, facts, options, text)
    if started.session is None:
        return Traced(Evaluation(None, started.diagnostics, started.sources), started.model, started.facts)
    if options is not None and options.stream:
        return Traced(Evaluation(None, started.diagnostics, started.sources), started.model, started.facts, started)
    from kpidsl.results.collect import collect

    with started.session as session:
        results = collect(session)
    return Traced(Evaluation(results, started.diagnostics, started.sources), started.model, started.facts)


@dataclass
class Started:
    """An evaluation whose outputs wait in DuckDB (`engine.Session`), for bulk output
    (`kpidsl.output.bulk`): JSON, CSV or Parquet streamed without a Python object per value.
    `session` is None when nothing could be evaluated; `diagnostics` then say why.
    The session's diagnostics grow as its outputs are explained, so read
    `diagnostics` after the bulk stage."""

    session: Session | None
    before: list[Diagnostic]  # the checker's and the facts loader's
    sources: SourceCache
    model: Model | None
    facts: FactTable | None
    engine: list[Diagnostic] = field(default_factory=list)  # the engine's, when it started no session

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.before + (self.session.diagnostics if self.session is not None else self.engine)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def start(ruleset: str | Path, facts: Sequence[str | Path], options: EvalOptions | None = None,
          text: str | None = None) -> Started:
    """Check the ruleset, load the facts, aggregate the records and run the plan, leaving
    the outputs in DuckDB.  The caller fetches (`results.collect.collect`) or streams them
    (`kpidsl.output.bulk`), then closes the session."""
    from contextlib import nullcontext

    from kpidsl.data.coverage import coverage_errors
    from kpidsl.data.facts import FactTable, load_facts
    from kpidsl.engine.session import start as start_engine

    options = options or EvalOptions()
    stage = options.progress.stage if options.progress is not None else (lambda name: nullcontext())
    with stage("load"):
        checked = check_file(ruleset, text=text, import_paths=options.import_paths)
        if not checked.ok or checked.model is None:
            return Started(None, checked.diagnostics, checked.sources, checked.model, None)
        model = checked.model
        known = {name: name for name in model.facts}
        known.update({fact.title.casefold(): name for name, fact in model.facts.items() if fact.title})
        table, fact_diagnostics = load_facts(
            [str(f) for f in facts], encoding=options.encoding, delimiter=options.delimiter,
            period_kind=model.data_kind, roster=options.roster, known_facts=known)
        if not any(d.is_error for d in fact_diagnostics):
            fact_diagnostics += coverage_errors(model, table, options.employee)
    before = checked.diagnostics + fact_diagnostics
    if any(d.is_error for d in fact_diagnostics):
        return Started(None, before, checked.sources, model, table)
    session, engine_diagnostics = start_engine(model, table, options)
    if session is not None and model.rolled_up:  # explain reads the values per payout period
        table = FactTable(session.rows, table.roster, table.files, table.named)
    return Started(session, before, checked.sources, model, table, engine_diagnostics)


@dataclass
class Script:
    """The plan as SQL for one engine (`kpidsl sql`): the text, or None with the errors."""

    text: str | None
    diagnostics: list[Diagnostic]
    sources: SourceCache

    @property
    def ok(self) -> bool:
        return self.text is not None and not any(d.is_error for d in self.diagnostics)


def sql_script(ruleset: str | Path, dialect: str = "duckdb", sources: dict[str, str] | None = None,
               import_paths: Sequence[str | Path] = ()) -> Script:
    """Check the ruleset and compile it to the SQL script `kpidsl eval` runs, transpiled for
    `dialect`; `sources` name other files (DuckDB) or tables for the ruleset's records."""
    checked = check_file(ruleset, import_paths=import_paths)
    if not checked.ok or checked.model is None:
        return Script(None, checked.diagnostics, checked.sources)
    from kpidsl.engine.script import plan_script

    text, diagnostics = plan_script(checked.model, dialect, sources or {})
    return Script(text, checked.diagnostics + diagnostics, checked.sources)


def plan_of(model: Model) -> Plan:
    """The compiled plan of a checked model (from the per-user cache when compiled before):
    its KPI lines as the engine scores them, for documents that describe the ruleset
    (`kpidsl doc`).  Money is rounded to the model's currency's minor unit."""
    from kpidsl.engine.plancache import compiled
    from kpidsl.engine.session import minor_digits

    return compiled(model, minor_digits(model.currency))
