"""Engine: run the compiled plan on in-process DuckDB and collect the results.

    run(model, facts, options)   → (Results | None, diagnostics)
    start(model, facts, options) → (Session | None, diagnostics)   for bulk output (bulk.py)

1. the roster: the ruleset's `employee` lines, then the roster file's rows (a roster
   row for someone the ruleset lists with another role overrides it, with warning
   E002; a name twice in the roster file is the loader's error D061); an unknown
   role is an error for that person only;
2. the fact rows are checked (period kind, magnitude, conflicting duplicates),
   rolled up into payout periods when the ruleset pays over several data periods
   (`rollup.py`), and loaded into `kpidsl_facts` as exact decimals — data goes into tables, never
   into SQL text;
3. facts the ruleset aggregates from raw records (`records_sql.py`) are computed on
   the same connection and added to `kpidsl_facts`, their periods with them
   (steps 1–3 are `inputs.py`);
4. the plan (`compile.py`) runs: `values`, then `kpis` and `rules` into temporary
   tables, all periods and employees at once;
5. either `assemble.py` turns the rows into `Results` and explains every unknown
   value (`run`), or the session stays open and `bulk.py` streams the rows straight
   into JSON, CSV or Parquet (`start`), explaining the same unknowns.

DuckDB runs with `preserve_insertion_order` off (every output is ordered
explicitly), an optional memory limit and thread count (EvalOptions) and a private
temporary folder to spill into, removed when the session closes.  DuckDB's own
errors become diagnostics; nothing here raises on bad input.

Diagnostic codes of evaluation (errors stop nothing but the affected part, except
E030/E040/E099, which leave no results; E001–E011 are raised in `inputs.py`):

    E001 error    an employee's role is not defined (the roster row / ruleset line)
    E002 warning  an employee listed twice with different roles (the later wins)
    E003 warning  fact rows (or records) for employees not on the roster (ignored
                  per employee; records still count in department totals)
    E004 error    a period that is not of the ruleset's kind (its rows skipped)
    E005 error    a fact value of magnitude 10^26 or more (the row skipped)
    E006 error    two different values for one (period, employee, fact) (the first kept)
    E007 warning  facts-file rows for a fact the ruleset aggregates from records (ignored)
    E010 error    the requested period is not in the data
    E011 error    the requested employee is not on the roster
    E012 warning  no fact rows at all
    E020 warning  a KPI has no data: the missing fact value (fact, period, employee or
                  department), the missing previous period, or the missing target
    E021 warning  a KPI has no data: a divisor is zero (which one, in which period)
    E022 warning  a KPI has no data: a divisor of 10^13 or more, or a quotient of 10^26 or more
    E023 warning  a quality condition could not be evaluated (counts as failed) and why
    E024 warning  a rule could not be evaluated in a period, and why
    E030 error    the ruleset cannot be compiled (what `kpidsl check` should have caught)
    E040 error    a sum or product reached 10^26 (beyond exact arithmetic)
    E050 error    a `per department` fact given for one employee (the row skipped; levels.py)
    E051 warning  a fact of no declared level that some employees have of their own while
                  others read the department's row (levels.py)
    E052 error    two assignments of one person on the same days (naming both; assignments.py)
    E053 error    a roster row whose `to` is before its `from` (assignments.py)
    E054 warning  an assignment that covers no period of the data (assignments.py)
    E056 warning  no version of a role (or of its scheme) is in force in a period: its
                  employees are not evaluated in that role then (versions.py)
    E055 warning  a payout period whose data periods are not all in the data (rollup.py)
    E098 error    the Spark engine cannot start (--engine spark: pyspark, Java, the master)
    E099 error    DuckDB (or Spark) failed (a bug)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error, first_line, warning
from kpidsl.data.facts import FactRow, FactTable
from kpidsl.data.periods import sort_periods
from kpidsl.engine.assignments import Days, Roster, build_assignments, roster_of
from kpidsl.engine.assignments import days as days_held
from kpidsl.engine.inputs import add_records, clean_rows, filters, load_days, load_inputs
from kpidsl.engine.levels import check_levels
from kpidsl.engine.plan import FACTS_TABLE, KPIS_TABLE, RULES_TABLE, TOTALS_TABLE
from kpidsl.engine.rollup import roll_up
from kpidsl.engine.versions import not_in_force
from kpidsl.language import ast
from kpidsl.language.load import Model

if TYPE_CHECKING:
    import duckdb

    from kpidsl.data.factindex import FactIndex
    from kpidsl.engine.options import EvalOptions
    from kpidsl.engine.plan import Plan

Fetched = dict[str, tuple[list[str], list[tuple[Any, ...]]]]


def minor_digits(currency: str) -> int:
    """Digits of the currency's minor unit (RUB, USD, EUR: 2; JPY: 0)."""
    from babel.numbers import get_currency_precision

    try:
        return int(get_currency_precision(currency))
    except Exception:  # an unknown code: Babel's default is 2 for most; be explicit
        return 2


# ------------------------------------------------------------------ the session


@dataclass
class Session:
    """An evaluated plan whose outputs wait in DuckDB: `kpidsl_out_kpis`, `kpidsl_out_rules`.

    `results()` fetches and assembles them (every value a Python object); bulk.py
    streams them instead.  Close it (or use `with`) to free the connection and
    the spill folder."""

    model: Model
    plan: Plan
    connection: duckdb.DuckDBPyConnection
    roster: Roster
    rows: list[FactRow]  # the facts files' rows that went in
    periods: list[str] = field(default_factory=list)
    period: str | None = None  # narrowing asked for (EvalOptions.period, canonical)
    employee: str | None = None
    locale: str = "ru"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    records: str | None = None  # the table of facts aggregated from records
    spill: str | None = None  # DuckDB's temporary folder
    progress: Any = None  # progress.Progress
    days: Days | None = None  # a dated roster: who holds which role in which period, how many days

    def __post_init__(self) -> None:
        if self.spill:  # a session its caller never closed still leaves no spill folder behind
            weakref.finalize(self, shutil.rmtree, self.spill, True)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            if self.spill:
                shutil.rmtree(self.spill, ignore_errors=True)
                self.spill = None

    def stage(self, name: str) -> Any:
        from contextlib import nullcontext

        return self.progress.stage(name) if self.progress is not None else nullcontext()

    # -- fetching
    def fetch(self, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """One output (kpis, rules, metrics) as rows, decimals as exact `Decimal`s."""
        from kpidsl.engine.plan import DECIMAL_OUTPUTS

        decimals = DECIMAL_OUTPUTS.get(name, ())
        if name == "metrics":
            result = self.connection.execute(self.plan.text_sql(name))
        else:
            result = self.connection.execute(select_as_text(self.connection, _out_table(name), decimals))
        names = [d[0] for d in result.description or []]
        return names, decimal_rows(result.fetchall(), names, decimals)

    def fact_index(self, employees: set[str]) -> FactIndex:
        """Every fact value of the department and of `employees` (for explaining unknowns)."""
        from kpidsl.data.factindex import FactValues
        from kpidsl.language.levels import fact_levels

        rows = [r for r in self.rows if r.employee is None or r.employee in employees]
        aggregated: list[tuple[str, str | None, str, Decimal | None]] = []
        if self.records is not None:
            from sqlglot import exp

            people = exp.select(exp.Unnest(expressions=[exp.cast(exp.Placeholder(), "VARCHAR[]")]))
            query = (exp.select("period", "employee", "fact", exp.cast(exp.column("value", quoted=True), "VARCHAR"))
                     .from_(exp.to_table(self.records, quoted=True))
                     .where(exp.or_(exp.column("employee", quoted=True).is_(exp.null()),
                                    exp.In(this=exp.column("employee", quoted=True), query=people.subquery()))))
            sql = query.sql(dialect="duckdb", identify=True)
            fetched = self.connection.execute(sql, [sorted(employees)]).fetchall()
            aggregated = [(p, e, f, None if v is None else Decimal(v)) for p, e, f, v in fetched]
        return FactValues(rows, self.periods, aggregated, fact_levels(self.model))


def start(model: Model, table: FactTable,
          options: EvalOptions | None = None) -> tuple[Session | None, list[Diagnostic]]:
    """Load the inputs, aggregate records and run the plan; the session holds the outputs.

    Returns None (and the diagnostics saying why) when nothing can be evaluated."""
    import duckdb

    from kpidsl.engine.compile import compile_model
    from kpidsl.engine.lower import CompileError
    from kpidsl.engine.options import EvalOptions
    from kpidsl.engine.plancache import compiled
    from kpidsl.engine.records import aggregated_facts

    options = options or EvalOptions()
    diagnostics: list[Diagnostic] = []
    assignments = build_assignments(model, table, diagnostics)
    roster = roster_of(assignments)
    dated = any(a.dated for a in assignments)
    aggregated = {name for facts in aggregated_facts(model).values() for name, _ in facts}
    rows = check_levels(model, clean_rows(model, table, {e for e, _ in roster}, diagnostics, aggregated), roster,
                        diagnostics)
    rows = roll_up(model, rows, diagnostics)
    computed = model if options.metrics else results_only(model)
    try:
        connection, spill = connect(options)
    except duckdb.Error as exc:  # a memory limit or thread count DuckDB refuses
        diagnostics.append(error("E099", f"DuckDB refused the settings: {first_line(exc)}", None,
                                 "check --memory-limit (e.g. 2GB) and --threads"))
        return None, diagnostics
    session = Session(model, None, connection, roster, rows, locale=options.locale or model.locale,  # type: ignore[arg-type]
                      diagnostics=diagnostics, spill=spill, progress=options.progress)
    try:
        with session.stage("aggregate"):
            load_inputs(connection, rows, roster)
            record_periods = add_records(session, options, computed)
        if record_periods is None:
            session.close()
            return None, diagnostics
        session.periods = periods = sort_periods([*{r.period for r in rows}, *record_periods])
        if dated:
            session.days = days_held(assignments, periods, diagnostics)
            load_days(connection, session.days)
        if not rows and not record_periods:
            diagnostics.append(warning("E012", "there are no fact values to evaluate",
                                       DataLocation(table.files[0]) if table.files else None,
                                       "check that the facts file has rows and that its fact names match the ruleset"))
        session.period, session.employee = filters(model, options, periods, roster, diagnostics)
        try:
            digits = minor_digits(model.currency)
            session.plan = (compile_model(computed, digits, dated) if options.engine == "spark"
                            else compiled(computed, digits, dated))
        except CompileError as exc:
            diagnostics.append(error("E030", f"the ruleset cannot be evaluated: {exc}", exc.span,
                                     "run `kpidsl check` on the ruleset and fix its errors"))
            session.close()
            return None, diagnostics
        diagnostics.extend(not_in_force(model, session.plan, periods, roster, session.days))
        with session.stage("score"):
            if options.engine == "spark":  # kpidsl.engine.spark scores the plan and leaves the outputs here
                from kpidsl.engine.spark import score as score_on_spark

                if not score_on_spark(session, options):
                    session.close()
                    return None, diagnostics
            else:
                _score(session)
    except duckdb.Error as exc:
        diagnostics.append(duckdb_failure(exc))
        session.close()
        return None, diagnostics
    except BaseException:
        session.close()
        raise
    return session, diagnostics


def results_only(model: Model) -> Model:
    """`model` with only the values the results read — through KPI lines and their cards,
    quality conditions, actions, schemes and rules — for outputs without the metrics
    table: an aggregated fact or a metric nothing scores is neither read nor computed."""
    import dataclasses

    from kpidsl.check.depgraph import names_of, reachable, role_expressions, value_graph

    def every(space: str, latest: dict[str, Any]) -> list[Any]:
        """Each declaration of a namespace with all its versions (language/versions.py)."""
        return [d for name, decl in latest.items() for d in model.versions.get((space, name), (decl,))]

    schemes = every("scheme", model.schemes)
    parts: list[Any] = [rule.when for rule in model.rules.values()]
    parts += [a.expr for scheme in schemes for a in scheme.assignments]
    payouts = [s.payout for s in schemes]
    parts += [a.expr for payout in payouts if payout is not None for a in payout.assignments]
    for role in every("role", model.roles):
        parts += role_expressions(model, role)
    parts += [d.expr for d in every("value", model.values) if isinstance(d, ast.Goal) and d.valid is not None]
    starts = [n for n in names_of(p for p in parts if p is not None) if n in model.values]
    keep = reachable(value_graph(model), starts)
    return dataclasses.replace(model, values={n: d for n, d in model.values.items() if n in keep})


def connect(options: EvalOptions) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A fresh in-memory DuckDB with the run's limits and a private folder to spill into."""
    import duckdb

    # A folder of our own, not yet created: DuckDB creates it only if it spills (and removes
    # it when the connection closes); Session.close removes whatever is left.
    spill = os.path.join(tempfile.gettempdir(), f"kpidsl-spill-{os.getpid()}-{uuid.uuid4().hex[:12]}")
    config: dict[str, Any] = {"preserve_insertion_order": False, "temp_directory": spill}
    if options.memory_limit:
        config["memory_limit"] = options.memory_limit
    if options.threads:
        config["threads"] = int(options.threads)
    try:
        return duckdb.connect(":memory:", config=config), spill
    except BaseException:
        shutil.rmtree(spill, ignore_errors=True)
        raise


def duckdb_failure(exc: Exception) -> Diagnostic:
    import duckdb

    if isinstance(exc, duckdb.OutOfRangeException):
        return error("E040", f"a value exceeds the exact range (magnitude below 10^26): {exc}", None,
                     "check the data's units; products and sums must stay below 10^26")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return error("E099", f"DuckDB ran out of memory: {first_line(exc)}", None,
                     "give --memory-limit a value DuckDB can spill within, or more memory")
    return error("E099", f"the evaluation failed inside DuckDB: {exc}", None,
                 "this is a bug in kpidsl; please report it with the ruleset")


# ------------------------------------------------------------------ execution


def _out_table(name: str) -> str:
    return {"kpis": KPIS_TABLE, "totals": TOTALS_TABLE, "rules": RULES_TABLE}[name]


SMALL_INPUT = 20_000
"""Fact rows (records already aggregated into them) up to which the plan runs without DuckDB's
CTE-inlining and join-order passes. On the seed those two passes take a third of the time
DuckDB spends planning the `kpis` statement while the data takes milliseconds; on large
inputs they pay for themselves (docs/performance.md). The results are the same either way:
optimizer passes do not change what a query means (tests/test_small_input.py)."""


def _score(session: Session) -> None:
    """Run `values`, then keep `kpis`, `totals` (which reads kpis) and `rules` as temporary
    tables for fetching or streaming."""
    from sqlglot import exp

    plan, con = session.plan, session.connection
    counted = con.execute(exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(FACTS_TABLE, quoted=True))
                          .sql(dialect="duckdb")).fetchone()
    if counted is not None and counted[0] <= SMALL_INPUT:
        con.execute("SET disabled_optimizers = 'cte_inlining,join_order'")  # constant text, no input in it
    con.execute(plan.sql("values"))
    for name in ("kpis", "totals", "rules"):
        if name not in plan.names:
            continue
        table = exp.to_table(_out_table(name), quoted=True).sql(dialect="duckdb")
        con.execute(f"CREATE TEMPORARY TABLE {table} AS {plan.sql(name)}")  # our SQL, our table name


def select_as_text(connection: duckdb.DuckDBPyConnection, table: str, decimals: tuple[str, ...]) -> str:
    """SELECT every column of `table`, its decimal columns cast to text: DuckDB converts DECIMAL
    to Python `Decimal` several times slower than text, and `Decimal(text)` is exact."""
    from sqlglot import exp

    described = connection.execute(exp.select(exp.Star()).from_(exp.to_table(table, quoted=True)).limit(0)
                                   .sql(dialect="duckdb", identify=True)).description or []
    items = [exp.cast(exp.column(d[0], quoted=True), "VARCHAR").as_(d[0], quoted=True) if d[0] in decimals
             else exp.column(d[0], quoted=True) for d in described]
    return exp.select(*items).from_(exp.to_table(table, quoted=True)).sql(dialect="duckdb", identify=True)


def decimal_rows(records: list[tuple[Any, ...]], names: list[str], decimals: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """Text back to exact `Decimal`s (a cache: weights, targets and zeros repeat a lot)."""
    positions = [i for i, n in enumerate(names) if n in decimals]
    if not positions:
        return records
    cache: dict[str, Decimal] = {}

    def dec(text: str | None) -> Decimal | None:
        if text is None:
            return None
        value = cache.get(text)
        if value is None:
            value = cache[text] = Decimal(text)
        return value

    out = []
    for record in records:
        row = list(record)
        for i in positions:
            row[i] = dec(row[i])
        out.append(tuple(row))
    return out


def batches(connection: duckdb.DuckDBPyConnection, query: str, size: int = 20_000,
            parameters: list[Any] | None = None) -> Iterator[list[tuple[Any, ...]]]:
    """A query's rows in batches (bulk output never holds every row at once)."""
    result = connection.execute(query, parameters) if parameters is not None else connection.execute(query)
    while True:
        chunk = result.fetchmany(size)
        if not chunk:
            return
        yield chunk
