"""The plan's shape: the tables it reads and writes, the statements and what each KPI line means.

Every `kpidsl_*` table name lives here, with the plan (`Plan`, one `LinePlan` per KPI
line), the input tables' columns and the header `kpidsl sql` prints.  The compiler
(`compile.py`, `scoring.py`) fills a Plan; the session, the Spark adapter, the
assembler and the bulk writers read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, overload

from sqlglot import exp

from kpidsl.engine import fixedpoint as fp
from kpidsl.language import ast
from kpidsl.language.load import Model

# Tables: the plan's inputs, its values frame, its outputs, and the records' aggregates.
FACTS_TABLE = "kpidsl_facts"
ROSTER_TABLE = "kpidsl_roster"
DAYS_TABLE = "kpidsl_days"  # a dated roster's days in each role per period (engine/assignments.py)
VALUES_TABLE = "kpidsl_values"

# The decimal columns of each output statement (the engine fetches them as exact text).
DECIMAL_OUTPUTS = {"kpis": ("fact", "target", "baseline", "weight", "plan_bonus", "attainment", "index",
                            "deviation", "bonus", "previous_fact"),
                   "totals": ("plan_bonus", "bonus", "index", "index_plan", "lines_bonus", "lines_plan_bonus"),
                   "metrics": ("value",)}
KPIS_TABLE = "kpidsl_out_kpis"
TOTALS_TABLE = "kpidsl_out_totals"  # per (period, employee): the totals and the payout (engine/totals.py)
RULES_TABLE = "kpidsl_out_rules"
RECORD_FACTS_TABLE = "kpidsl_record_facts"  # facts aggregated from records (engine/records_sql.py)
# The bulk writers' working tables (output/bulk.py, output/bulk_text.py).
BULK_PERIODS = "kpidsl_bulk_periods"
BULK_PEOPLE = "kpidsl_bulk_people"
BULK_ROWS = "kpidsl_bulk_rows"  # the kpis rows of the wanted periods and people, in output order
BULK_TOTALS = "kpidsl_bulk_totals"  # each (period, person)'s plan bonus and bonus
BULK_PERIOD_TEXT = "kpidsl_bulk_period_text"  # pos, the period as JSON (pj) and CSV (pc)
# pos, employee and role as JSON (ej, rj), and as CSV with the role's title (ec, rc, tc)
BULK_PEOPLE_TEXT = "kpidsl_bulk_people_text"


@dataclass(frozen=True)
class LinePlan:
    """One KPI line of one role, and what the report needs to describe it."""

    id: int
    role: str
    kpi: str  # the indicator as written on the line (a metric, fact or KPI card)
    series: str  # the fact or metric whose value is the KPI's fact
    title: str
    unit: str | None
    kind: Literal["result", "process"]
    better: Literal["higher", "lower"]
    line: ast.KpiLine
    scheme: ast.Scheme  # the scheme that scores it
    target_expr: ast.Expr | None  # the line's target, else the card's goal
    gates: tuple[str, ...]  # each `require` condition as written
    actions: tuple[str, ...]  # each `when … action` text
    version: str | None = None  # the first day of the role's version that has it (None: since the start)

    @property
    def plan_role(self) -> str:
        """The role variant that has the line: the role's name, `@day` for a later version
        (engine/versions.py; the key of `Plan.payouts`, `Plan.role_gates`)."""
        return self.role if self.version is None else f"{self.role}@{self.version}"


@dataclass(frozen=True)
class Variant:
    """A role as it stands over the periods [lo, hi) of the plan (engine/versions.py)."""

    key: str  # the role's name, `name@day` for a later version (LinePlan.plan_role)
    role: ast.Role
    lo: str | None  # the first period key (None: open)
    hi: str | None  # the first period key after it (None: open)
    label: str | None  # the first day it is in force (ISO), None since the start

    def covers(self, period: str) -> bool:
        return (self.lo is None or self.lo <= period) and (self.hi is None or period < self.hi)


@dataclass
class Plan:
    model: Model
    prefix: str  # internal column prefix
    minor_digits: int
    statements: dict[str, exp.Expr] = field(default_factory=dict)
    lines: list[LinePlan] = field(default_factory=list)
    role_gates: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role variant → conditions as written
    payouts: dict[str, ast.Payout] = field(default_factory=dict)  # role variant → the payout that pays it
    rules: list[ast.Rule] = field(default_factory=list)
    variants: dict[str, list[Variant]] = field(default_factory=dict)  # role → its variants, oldest first
    value_names: list[str] = field(default_factory=list)  # the metrics statement's `value_index` order
    gate_width: int = 0
    action_width: int = 0
    role_gate_width: int = 0
    dated: bool = False  # the roster has dates: the plan reads kpidsl_days (who holds which role when)
    prorated: bool = False  # … and pays planned bonuses by the days in the role (`prorate days`)

    # DuckDB's SQL of each statement, rendered once; a plan from the cache (`plancache.py`)
    # has only these, its `statements` empty.  Keys: the statement, or `name:text` (text_sql).
    texts: dict[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # the statements in order: values, kpis, totals, rules, metrics

    def variant_at(self, role: str, period: str) -> Variant | None:
        """The version of `role` that pays `period`, None when none is in force."""
        return next((v for v in self.variants.get(role, ()) if v.covers(period)), None)

    def variant_lines(self) -> dict[str, list[int]]:
        """Each role variant's KPI line ids, in order."""
        out: dict[str, list[int]] = {}
        for line in self.lines:
            out.setdefault(line.plan_role, []).append(line.id)
        return out

    def sql(self, name: str, dialect: str = "duckdb", pretty: bool = False) -> str:
        """A statement as `dialect` runs it."""
        if dialect == "duckdb" and not pretty and name in self.texts:
            return self.texts[name]
        tree = fp.for_dialect(self.statements[name], dialect)
        # for_dialect copied the tree where it rewrites it; DuckDB reads it as built, so no copy here either
        text = tree.sql(dialect=dialect, identify=True, pretty=pretty, copy=False)
        if dialect == "duckdb" and not pretty:
            self.texts[name] = text
        return text

    def text_sql(self, name: str) -> str:
        """A statement with its decimal columns cast to text: DuckDB converts DECIMAL to
        Python `Decimal` several times slower than text, and `Decimal(text)` is exact."""
        key = f"{name}:text"
        if key in self.texts:
            return self.texts[key]
        decimals = DECIMAL_OUTPUTS.get(name, ())
        if not decimals:
            return self.sql(name)
        statement = self.statements[name]
        assert isinstance(statement, exp.Query)  # every plan statement is a SELECT
        items = [exp.cast(exp.column(n, quoted=True), "VARCHAR").as_(n, quoted=True) if n in decimals
                 else exp.column(n, quoted=True) for n in statement.named_selects]
        order = statement.args.get("order")
        inner = fp.for_dialect(statement, "duckdb").copy()
        inner.set("order", None)
        alias = exp.TableAlias(this=exp.to_identifier("q", quoted=True))
        query = exp.select(*items).from_(exp.Subquery(this=inner, alias=alias))
        if order is not None:
            query.set("order", order.copy())
        self.texts[key] = text = query.sql(dialect="duckdb", identify=True)
        return text

    def script(self, dialect: str = "duckdb") -> str:
        """The whole plan for `dialect`, with a header describing its inputs and outputs."""
        def statement(name: str) -> str:
            text = self.sql(name, dialect, pretty=True)
            if name == "kpis" and "totals" in self.names:  # totals reads the kpis rows from their table
                into = table(KPIS_TABLE).sql(dialect=dialect, identify=True)
                return f"CREATE TABLE {into} AS\n{text}"
            return text

        body = ";\n\n".join(f"-- {name}\n{statement(name)}" for name in self.names)
        return header(self, dialect) + "\n" + body + ";\n"


INPUT_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    FACTS_TABLE: (("period", "VARCHAR"), ("employee", "VARCHAR"), ("fact", "VARCHAR"), ("value", fp.VALUE_TYPE)),
    ROSTER_TABLE: (("employee", "VARCHAR"), ("role", "VARCHAR")),
    DAYS_TABLE: (("period", "VARCHAR"), ("employee", "VARCHAR"), ("role", "VARCHAR"), ("days", "INTEGER"),
                 ("period_days", "INTEGER")),
}


def input_tables(dialect: str = "duckdb", dated: bool = False) -> list[exp.Expression]:
    """CREATE TABLE for the plan's inputs (kpidsl_days only for a dated plan)."""
    def kind(t: str) -> exp.DataType:
        built = exp.DataType.build(t)
        if dialect == "bigquery" and built.this == exp.DataType.Type.DECIMAL:  # NUMERIC allows 9 decimals only
            return exp.DataType(this=exp.DataType.Type.BIGDECIMAL, expressions=built.expressions)
        return built

    out: list[exp.Expression] = []
    for name, columns in INPUT_COLUMNS.items():
        if name == DAYS_TABLE and not dated:
            continue
        defs = [exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=kind(t)) for c, t in columns]
        out.append(exp.Create(this=exp.Schema(this=table(name), expressions=defs), kind="TABLE"))
    return out


def input_insert(name: str) -> exp.Expression:
    """INSERT INTO table SELECT UNNEST($1), … — one list parameter per column, cast to its type."""
    items = [exp.cast(exp.Unnest(expressions=[exp.Placeholder(this=str(i))]), t)
             for i, (_, t) in enumerate(INPUT_COLUMNS[name], start=1)]
    return exp.insert(exp.select(*items), table(name))


def _rollup_lines(model: Model) -> list[str]:
    """The header's note on monthly data paid quarterly: each fact's rollup (engine/rollup.py)."""
    if not model.rolled_up:
        return []
    rules = ", ".join(f"{name} {fact.rollup.text if fact.rollup else 'sum'}" for name, fact in model.facts.items()
                      if fact.aggregation is None)
    return [f"    values per {model.period_kind}, rolled up from {model.data_kind}ly data by kpidsl before the "
            f"plan runs: {' '.join(rules.split())}"]


def header(plan: Plan, dialect: str) -> str:
    def clean(text: str) -> str:  # a comment line must stay one line
        return " ".join(text.split())

    lines = [
        f"kpidsl plan for ruleset {clean(plan.model.title)!r} ({dialect})",
        "",
        "Inputs (fill them before running):",
        *(f"  {create.sql(dialect=dialect, identify=True)};" for create in input_tables(dialect, plan.dated)),
        f"  {FACTS_TABLE}: one row per fact value; period as a {plan.model.period_kind} key "
        f"({ {'quarter': '2026Q3', 'month': '2026-09', 'year': '2026'}.get(plan.model.period_kind, '2026Q3') }); "
        "employee NULL = department level",
        "    (applies to every employee unless the employee has a row of their own)",
        *_rollup_lines(plan.model),
        f"  {ROSTER_TABLE}: one row per employee and role; role = a role name of the ruleset",
        *([f"  {DAYS_TABLE}: per period, each employee and role held in it: the days in the role "
           "and the period's days"] if plan.dated else []),
        "Statements: values (creates " + VALUES_TABLE + "), kpis (into " + KPIS_TABLE + " when totals follow),",
        "totals (each employee's bonus, total index and payout, read from the kpis rows), rules, metrics.",
        "Arithmetic is exact decimal fixed-point: every + - * / rounds half away from zero to",
        "12 decimals; divisions are guarded (NULL for a zero divisor); bonuses are rounded to",
        f"{plan.minor_digits} decimals. kpis.line, rules.rule_N and metrics.value_index refer to the",
        "ruleset's KPI lines, rules and values in the order kpidsl lists them.",
    ]
    return "\n".join(f"-- {line}".rstrip() for line in lines)


@overload
def table(name: str) -> exp.Table: ...
@overload
def table(name: str, alias: str | None) -> exp.Expr: ...
def table(name: str, alias: str | None = None) -> exp.Expr:
    """The quoted table `name`, aliased when `alias` is given (a bare Table otherwise, as
    INSERT INTO and CREATE TABLE need)."""
    table = exp.Table(this=exp.to_identifier(name, quoted=True))
    return table.as_(exp.to_identifier(alias, quoted=True)) if alias else table


def qcol(table: str, name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(table, quoted=True))
