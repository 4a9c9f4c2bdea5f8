"""Engine: run the compiled plan on in-process DuckDB and collect the results.

    run(model, facts, options) → (Results | None, diagnostics)

1. the roster: the ruleset's `employee` lines, then the roster file's rows (a later
   row for the same person wins, with a warning); an unknown role is an error
   for that person only;
2. the fact rows are checked (period kind, magnitude, conflicting duplicates) and
   loaded into `kpidsl_facts` as exact decimals — data goes into tables, never
   into SQL text;
3. the plan (`compile.py`) runs as four statements, all periods and employees at
   once;
4. `assemble.py` turns the rows into `Results` and explains every unknown value.

DuckDB's own errors become diagnostics; nothing here raises on bad input.

Diagnostic codes of evaluation (errors stop nothing but the affected part, except
E030/E040/E099, which leave no results):

    E001 error    an employee's role is not defined (the roster row / ruleset line)
    E002 warning  an employee listed twice with different roles (the later wins)
    E003 warning  fact rows for an employee not on the roster (ignored)
    E004 error    a period that is not of the ruleset's kind (its rows skipped)
    E005 error    a fact value of magnitude 10^26 or more (the row skipped)
    E006 error    two different values for one (period, employee, fact) (the first kept)
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
    E099 error    DuckDB failed (a bug)
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import fixedpoint as fp
from .diagnostics import DataLocation, Diagnostic, Location, error, warning
from .facts import FactRow, FactTable
from .load import Model
from .periods import kind_of, parse_period, sort_periods

if TYPE_CHECKING:
    from .api import EvalOptions
    from .compile import Plan
    from .results import Results

Roster = list[tuple[str, str]]  # (employee, role) in display order


def minor_digits(currency: str) -> int:
    """Digits of the currency's minor unit (RUB, USD, EUR: 2; JPY: 0)."""
    from babel.numbers import get_currency_precision

    try:
        return int(get_currency_precision(currency))
    except Exception:  # an unknown code: Babel's default is 2 for most; be explicit
        return 2


def run(model: Model, table: FactTable, options: "EvalOptions | None" = None) -> tuple["Results | None", list[Diagnostic]]:
    """Evaluate `model` over `table`; every problem is a diagnostic, never an exception."""
    from .api import EvalOptions
    from .assemble import assemble
    from .compile import compile_model
    from .lower import CompileError

    options = options or EvalOptions()
    diagnostics: list[Diagnostic] = []
    roster = build_roster(model, table, diagnostics)
    rows = clean_rows(model, table, {e for e, _ in roster}, diagnostics)
    periods = sort_periods([r.period for r in rows])
    if not rows:
        diagnostics.append(warning("E012", "there are no fact values to evaluate",
                                   DataLocation(table.files[0]) if table.files else None,
                                   "check that the facts file has rows and that its fact names match the ruleset"))
    period, employee = _filters(model, options, periods, roster, diagnostics)
    digits = minor_digits(model.currency)
    try:
        plan = compile_model(model, digits)
    except CompileError as exc:
        diagnostics.append(error("E030", f"the ruleset cannot be evaluated: {exc}", exc.span,  # type: ignore[arg-type]
                                 "run `kpidsl check` on the ruleset and fix its errors"))
        return None, diagnostics
    fetched, failure = execute(plan, rows, roster)
    if failure is not None:
        diagnostics.append(failure)
        return None, diagnostics
    results = assemble(plan, fetched, rows, periods, roster, period, employee,
                       options.locale or model.locale, diagnostics)
    results.diagnostics = list(diagnostics)
    return results, diagnostics


# ------------------------------------------------------------------ inputs


def build_roster(model: Model, table: FactTable, diagnostics: list[Diagnostic]) -> Roster:
    chosen: dict[str, tuple[str, Location]] = {}
    entries: list[tuple[str, str, Location, str]] = [
        (e.name, e.role.text, e.role.span, f"ruleset line {e.span.line}") for e in model.employees]
    entries += [(r.employee, r.role, r.location, f"roster row {r.location.row}") for r in table.roster]
    for name, role, location, where in entries:
        if name in chosen and chosen[name][0] != role:
            diagnostics.append(warning(
                "E002", f"{name} is listed with role `{chosen[name][0]}` and again with role `{role}` ({where}); "
                        f"the later entry, `{role}`, is used", location,
                "list each employee once, or keep the roles consistent"))
        chosen[name] = (role, location)
    roster: Roster = []
    for name, (role, location) in chosen.items():
        if role not in model.roles:
            known = ", ".join(sorted(model.roles)) or "none"
            diagnostics.append(error("E001", f"{name} has role `{role}`, which the ruleset does not define; "
                                             "this employee is not evaluated", location,
                                     f"use one of the ruleset's roles: {known}"))
            continue
        roster.append((name, role))
    return roster


def clean_rows(model: Model, table: FactTable, employees: set[str], diagnostics: list[Diagnostic]) -> list[FactRow]:
    """The rows the plan can use: right period kind, exact range, no conflicting duplicates."""
    kind = model.period_kind
    good_periods: set[str] = set()
    bad_periods: set[str] = set()
    strangers: set[str] = set()
    limit = fp.MAX_VALUE
    seen: dict[tuple[str, str | None, str], FactRow] = {}
    for row in table.rows:
        if row.period not in good_periods:  # each distinct period is checked once
            if row.period in bad_periods:
                continue
            if kind_of(row.period) != kind or parse_period(row.period, kind) != row.period:
                bad_periods.add(row.period)
                diagnostics.append(error("E004", f"`{row.period}` is not a {kind} period; rows with it are skipped",
                                         row.location, f"the ruleset counts in {kind}s: write periods like "
                                                       f"{ {'quarter': '2026Q3', 'month': '2026-09', 'year': '2026'}[kind] }"))
                continue
            good_periods.add(row.period)
        if not row.value.is_finite() or abs(row.value) >= limit:
            diagnostics.append(error("E005", f"the value {row.value} of `{row.fact}` is beyond the exact range "
                                             "(magnitude below 10^26); the row is skipped", row.location,
                                     "check the value and its unit"))
            continue
        if row.employee is not None and row.employee not in employees and row.employee not in strangers:
            strangers.add(row.employee)
            diagnostics.append(warning("E003", f"facts for {row.employee}, who is not on the roster, are ignored",
                                       row.location, "add an `employee` line to the ruleset or a roster row"))
        key = (row.period, row.employee, row.fact)
        first = seen.get(key)
        if first is not None:
            if first.value != row.value:
                diagnostics.append(error(
                    "E006", f"`{row.fact}` in {row.period}{' for ' + row.employee if row.employee else ''} has two "
                            f"values: {first.value} (at {first.location}) and {row.value}; the first is used",
                    row.location, "keep one row per period, employee and fact"))
            continue
        seen[key] = row
    return list(seen.values())


def _filters(model: Model, options: "EvalOptions", periods: list[str], roster: Roster,
             diagnostics: list[Diagnostic]) -> tuple[str | None, str | None]:
    period = None
    if options.period is not None:
        period = parse_period(options.period, model.period_kind)
        if period is None or period not in periods:
            shown = ", ".join(periods) or "none"
            diagnostics.append(error("E010", f"period `{options.period}` is not in the data (periods: {shown})",
                                     None, "choose one of the periods in the facts file"))
    employee = options.employee
    if employee is not None and employee not in {e for e, _ in roster}:
        diagnostics.append(error("E011", f"employee `{employee}` is not on the roster", None,
                                 "use the name exactly as the ruleset's `employee` line or the roster writes it"))
    return period if period is not None else options.period, employee


# ------------------------------------------------------------------ execution


def execute(plan: "Plan", rows: list[FactRow], roster: Roster) -> tuple[dict[str, tuple[list[str], list[tuple[Any, ...]]]],
                                                                         Diagnostic | None]:
    """Load the inputs into a fresh in-memory DuckDB, run every statement, fetch the outputs."""
    import duckdb

    from .compile import DECIMAL_OUTPUTS, FACTS_TABLE, ROSTER_TABLE, input_insert, input_tables

    con = duckdb.connect(":memory:")
    try:
        for create in input_tables():
            con.execute(create.sql(dialect="duckdb", identify=True))
        if rows:  # values travel as exact decimal text in list parameters, never in the SQL
            con.execute(input_insert(FACTS_TABLE).sql(dialect="duckdb", identify=True),
                        [[r.period for r in rows], [r.employee for r in rows], [r.fact for r in rows],
                         [str(r.value) for r in rows]])  # DuckDB's text → DECIMAL cast rounds half away from zero
        if roster:
            con.execute(input_insert(ROSTER_TABLE).sql(dialect="duckdb", identify=True),
                        [[e for e, _ in roster], [r for _, r in roster]])
        out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for name in plan.statements:
            if name == "values":
                con.execute(plan.sql(name)).fetchall()  # fetch fully: DuckDB keeps an unfetched result open
                continue
            result = con.execute(_as_text(plan, name))
            names = [d[0] for d in result.description or []]
            out[name] = (names, _decimals(result.fetchall(), names, DECIMAL_OUTPUTS.get(name, ())))
        return out, None
    except duckdb.OutOfRangeException as exc:
        return {}, error("E040", f"a value exceeds the exact range (magnitude below 10^26): {exc}", None,
                         "check the data's units; products and sums must stay below 10^26")
    except duckdb.Error as exc:
        return {}, error("E099", f"the evaluation failed inside DuckDB: {exc}", None,
                         "this is a bug in kpidsl; please report it with the ruleset")
    finally:
        con.close()


def _as_text(plan: "Plan", name: str) -> str:
    """The statement with its decimal columns cast to text: DuckDB converts DECIMAL to Python
    `Decimal` several times slower than text, and `Decimal(text)` is exact."""
    from sqlglot import exp

    from .compile import DECIMAL_OUTPUTS

    statement = plan.statements[name]
    decimals = DECIMAL_OUTPUTS.get(name, ())
    if not decimals:
        return plan.sql(name)
    outputs = statement.named_selects
    items = [exp.cast(exp.column(n, quoted=True), "VARCHAR").as_(n, quoted=True) if n in decimals
             else exp.column(n, quoted=True) for n in outputs]
    order = statement.args.get("order")
    inner = statement.copy()
    inner.set("order", None)
    query = exp.select(*items).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("q", quoted=True))))
    if order is not None:
        query.set("order", order.copy())
    return query.sql(dialect="duckdb", identify=True)


def _decimals(records: list[tuple[Any, ...]], names: list[str], decimals: tuple[str, ...]) -> list[tuple[Any, ...]]:
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
