"""Records → facts: the SQL that aggregates raw record files into fact rows.

This stage builds one SQL query — with SQLGlot expressions, every identifier
quoted, never by pasting strings — that reads each records file (CSV, Parquet,
JSON through DuckDB's own readers), buckets every record into the ruleset's period
kind by its date column, groups by period and employee, and computes each
aggregated fact.  Its output has the shape of the tidy facts table:

    period VARCHAR ('2026Q3' | '2026-09' | '2026'), employee VARCHAR (NULL: department
    level), fact VARCHAR, value DECIMAL(38,12) (NULL: no data)

Which records and files a ruleset reads is `records.py`; how each record's columns
are read and checked, `records_columns.py`.

Decisions (docs/scale.md explains them to users):

* Department level (employee NULL) is each fact computed over *all* records of the
  period, whoever they belong to: for sum and count that is the total over
  employees (plus records with no employee); avg, min, max and count distinct are
  computed over all records, not combined from per-employee values.
* Every employee seen in any records file (plus any the caller names, e.g. the
  roster) gets a row for every fact in every period seen in any records file:
  count and sum are 0 when the employee has no matching record, avg/min/max are
  NULL ("no data").  So a per-employee row always exists and the department
  total never stands in for one employee's own deals.
* Numbers are exact: CSV is read as text and parsed to DECIMAL(38,12) (a decimal
  comma and spaces as thousands separators are accepted); doubles go through
  their shortest text form; `avg` is divided exactly by kpidsl.engine.fixedpoint, rounded
  half away from zero to 12 decimals like every other division in kpidsl.
* Dates are ISO dates or timestamps, or `30.09.2026` — the forms kpidsl.data.periods
  accepts.  A record without a date is left out with a warning; a date that does
  not parse is an error naming the first bad row.

Diagnostics: K051 (no date column, as the checker reports it) and D101 (an
unreadable file); those of the files are raised in `records.py`, those of the
columns and their values in `records_columns.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from kpidsl.base.diagnostics import DataLocation, Diagnostic, error, first_line
from kpidsl.engine import fixedpoint
from kpidsl.engine.plan import RECORD_FACTS_TABLE
from kpidsl.engine.records import Source, aggregated_facts, reader_for, resolve_files
from kpidsl.engine.records_columns import (
    VALUE_TYPE,
    RecordColumns,
    col,
    describe,
    dtype,
    ident,
    period_key,
    source_table,
    table_ref,
    trimmed,
    validate,
)
from kpidsl.language import ast

if TYPE_CHECKING:
    import duckdb

    from kpidsl.language.load import Model


class _Builder(RecordColumns):
    """Builds the query for a set of sources, collecting diagnostics about columns and `where`s."""

    def __init__(self, model: Model, sources: dict[str, Source]) -> None:
        super().__init__()
        self.model = model
        self.sources = sources

    # -- the query
    def build(self, employees: Iterable[str] | str = (), roster: str | None = None) -> exp.Select | None:
        """The whole query, or None if a diagnostic makes it impossible.

        `employees` (names, or a table with an `employee` column) get rows as if
        they appeared in the records; so do the members of `roster` (a table of
        employee, role) whose role someone appearing in the records has."""
        used = aggregated_facts(self.model)
        kind = self.model.period_kind
        ctes: list[tuple[str, exp.Expr]] = []
        facts: list[tuple[str, exp.Expr]] = []  # fact name → value expression over "wide"
        joins: list[str] = []  # the per-source aggregate CTEs
        department_only: set[str] = set()  # facts of records without an employee column
        for index, (name, aggs) in enumerate(used.items()):
            source = self.sources.get(name)
            if source is None:
                continue
            src, agg = f"kpidsl_src_{index}", f"kpidsl_agg_{index}"
            built = self._source_ctes(source, aggs, src, agg, index)
            if built is None:
                continue
            ctes.extend(built[0])
            joins.append(agg)
            facts.extend(built[1])
            if self.model.records[name].employee_column is None:
                department_only.update(f for f, _ in built[1])
        if (self.diagnostics and any(d.is_error for d in self.diagnostics)) or not facts:
            return None

        period, employee = "kpidsl_period", "kpidsl_employee"
        periods = _union([exp.select(col(period)).distinct().from_(table_ref(a)) for a in joins], distinct=True)
        people_parts: list[exp.Expr] = [
            exp.select(col(employee)).distinct().from_(table_ref(a))
            .where(exp.not_(exp.Is(this=col(employee), expression=exp.Null())))
            for a in joins]
        if roster is not None:  # the roster's members of the roles whose people appear in the records
            appearing = _union([part.copy() for part in people_parts], distinct=True)
            scored = (exp.select(col("role")).from_(table_ref(roster))
                      .where(exp.In(this=col("employee"), query=exp.Subquery(this=appearing))))
            people_parts.append(exp.select(exp.alias_(col("employee"), employee, quoted=True)).from_(table_ref(roster))
                                .where(exp.In(this=col("role"), query=exp.Subquery(this=scored))))
        if isinstance(employees, str):  # a table (one column `employee`) the caller prepared
            people_parts.append(exp.select(exp.alias_(col("employee"), employee, quoted=True))
                                .from_(table_ref(employees)))
        else:
            names = sorted(set(employees))
            if names:
                values = exp.values([exp.Tuple(expressions=[exp.Literal.string(n)]) for n in names],
                                    alias="kpidsl_extra", columns=[employee])
                _quote_alias(values)
                people_parts.append(exp.select(col(employee)).from_(values))
        people = _union(people_parts, distinct=True)
        grid = _union([
            exp.select(col(period, "p"), col(employee, "e"))
            .from_(exp.alias_(exp.Subquery(this=periods), "p", quoted=True))
            .join(exp.alias_(exp.Subquery(this=people), "e", quoted=True), join_type="CROSS"),
            exp.select(col(period), exp.alias_(exp.cast(exp.Null(), "VARCHAR"), employee, quoted=True))
            .from_(exp.alias_(exp.Subquery(this=periods.copy()), "p2", quoted=True)),
        ], distinct=False)
        ctes.append(("kpidsl_grid", grid))

        wide = exp.select(exp.alias_(period_key(col(period, "g"), kind), "period", quoted=True),
                          exp.alias_(col(employee, "g"), "employee", quoted=True)).from_(
            exp.alias_(table_ref("kpidsl_grid"), "g", quoted=True))
        for agg in joins:
            on = exp.and_(exp.EQ(this=col(period, agg), expression=col(period, "g")),
                          exp.NullSafeEQ(this=col(employee, agg), expression=col(employee, "g")))
            wide = wide.join(table_ref(agg), on=on, join_type="LEFT")
        wide = wide.select(*[exp.alias_(value, f"kpidsl_f{i}", quoted=True) for i, (_, value) in enumerate(facts)])
        ctes.append(("kpidsl_wide", wide))

        fact_names = exp.values([exp.Tuple(expressions=[exp.Literal.string(f), exp.Boolean(this=f in department_only)])
                                 for f, _ in facts], alias="kpidsl_facts", columns=["fact", "department_only"])
        _quote_alias(fact_names)
        case = exp.Case(this=col("fact", "kpidsl_facts"))
        for i, (fact, _) in enumerate(facts):
            case = case.when(exp.Literal.string(fact), exp.cast(col(f"kpidsl_f{i}", "w"), dtype(VALUE_TYPE)))
        final = (exp.select(col("period", "w"), col("employee", "w"),
                            exp.alias_(col("fact", "kpidsl_facts"), "fact", quoted=True),
                            exp.alias_(case, "value", quoted=True))
                 .from_(exp.alias_(table_ref("kpidsl_wide"), "w", quoted=True))
                 .join(fact_names, join_type="CROSS"))
        if department_only:  # such facts have no per-employee values, not zeros
            final = final.where(exp.or_(exp.not_(col("department_only", "kpidsl_facts")),
                                        exp.Is(this=col("employee", "w"), expression=exp.Null())))
        for cte_name, body in ctes:
            final = final.with_(ident(cte_name), as_=body)
        return final

    def _source_ctes(self, source: Source, aggs: list[tuple[str, ast.Aggregation]], src: str, agg: str,
                     index: int) -> tuple[list[tuple[str, exp.Expr]], list[tuple[str, exp.Expr]]] | None:
        decl = self.model.records[source.name]
        if decl.date_column is None:
            self.diagnostics.append(error("K051", f"records `{source.name}` has no date column", decl.span,
                                          "add `date COLUMN`: records are bucketed into periods by their date"))
            return None
        date_col = self.resolve(source, decl.date_column.text, decl.date_column.span, "date")
        emp_col = (self.resolve(source, decl.employee_column.text, decl.employee_column.span, "employee")
                   if decl.employee_column else None)
        date = self.date_expr(source, date_col, decl.date_column.span) if date_col else None

        # every aggregate over the source CTE; columns are aliased to generated names there
        aliases: dict[tuple[str, str], str] = {}
        projections: list[exp.Expr] = []

        def src_col(expr: exp.Expr, key: tuple[str, str]) -> exp.Column:
            if key not in aliases:
                aliases[key] = f"kpidsl_c{len(aliases)}"
                projections.append(exp.alias_(expr, aliases[key], quoted=True))
            return col(aliases[key])

        def localize(node: exp.Expr) -> exp.Expr:
            """Replace the file's column references in `node` by their source-CTE aliases."""
            def swap(n: exp.Expr) -> exp.Expr:
                if isinstance(n, exp.Column) and not n.table:
                    return src_col(n.copy(), ("raw", n.name))
                return n
            if isinstance(node, exp.Column):
                return swap(node)
            return src_col(node, ("expr", node.sql(dialect="duckdb")))  # an expression of columns: one alias

        aggregates: list[exp.Expr] = []
        values: list[tuple[str, exp.Expr]] = []
        for fact_name, a in aggs:
            where = self.condition(source, a.where) if a.where is not None else None
            column = self.resolve(source, a.column.text, a.column.span, "aggregated") if a.column else None
            if (a.column and column is None) or (a.where is not None and where is None):
                continue
            where_local = _localize_tree(where, localize) if where is not None else None
            parts: list[tuple[str, exp.Expr]]  # (suffix, aggregate): avg needs a sum and a count
            if a.function == "count":
                target = (exp.Distinct(expressions=[localize(col(column))]) if a.distinct and column
                          else localize(col(column)) if column else exp.Star())
                parts = [("n", exp.Count(this=target))]
            else:
                assert a.column is not None and column is not None  # only `count` has no column (the parser)
                number = self.number_expr(source, column, a.column.span)
                if number is None:
                    continue
                value = localize(number)
                if a.distinct:
                    value = exp.Distinct(expressions=[value])
                if a.function == "avg":
                    parts = [("s", exp.Sum(this=value)), ("n", exp.Count(this=value.copy()))]
                else:
                    cls = {"sum": exp.Sum, "min": exp.Min, "max": exp.Max}[a.function]
                    parts = [(a.function[0], cls(this=value))]
            names = {}
            for suffix, aggregate in parts:
                alias = f"kpidsl_a{index}_{len(aggregates)}"
                if where_local is not None:
                    aggregate = exp.Filter(this=aggregate, expression=exp.Where(this=where_local.copy()))
                aggregates.append(exp.alias_(aggregate, alias, quoted=True))
                names[suffix] = col(alias, agg)
            if a.function in ("count", "sum"):
                key = "n" if a.function == "count" else "s"
                values.append((fact_name, exp.Coalesce(this=names[key], expressions=[exp.Literal.number(0)])))
            elif a.function == "avg":
                values.append((fact_name, self.exact_quotient(names["s"], names["n"])))
            else:
                values.append((fact_name, names[a.function[0]]))
        if date is None or not values or any(d.is_error for d in self.diagnostics):
            return None

        trunc = exp.TimestampTrunc(this=date, unit=exp.Var(this=self.model.period_kind.upper()))
        employee: exp.Expr = (
            exp.Nullif(this=trimmed(self.text_expr(source, emp_col)), expression=exp.Literal.string(""))
            if emp_col else exp.cast(exp.Null(), "VARCHAR"))
        src_query = (exp.select(exp.alias_(trunc, "kpidsl_period", quoted=True),
                                exp.alias_(employee, "kpidsl_employee", quoted=True), *projections)
                     .from_(source_table(source)).where(exp.not_(exp.Is(this=date.copy(), expression=exp.Null()))))
        period, person = col("kpidsl_period"), col("kpidsl_employee")
        agg_query = exp.select(period, person, *aggregates).from_(table_ref(src))
        if emp_col:
            agg_query = agg_query.group_by(exp.GroupingSets(expressions=[
                exp.Tuple(expressions=[period.copy(), person.copy()]), exp.Paren(this=period.copy())]))
            agg_query = agg_query.having(exp.or_(
                exp.EQ(this=exp.Grouping(expressions=[person.copy()]), expression=exp.Literal.number(1)),
                exp.not_(exp.Is(this=person.copy(), expression=exp.Null()))))
        else:
            agg_query = agg_query.group_by(period.copy(), person.copy())
        return [(src, src_query), (agg, agg_query)], values

    def exact_quotient(self, total: exp.Expr, count: exp.Expr) -> exp.Expr:
        """total / count rounded half away from zero to 12 decimals (kpidsl's division); NULL for 0."""
        return fixedpoint.div(exp.cast(total, dtype(VALUE_TYPE)), exp.cast(count, dtype(VALUE_TYPE)))


def _localize_tree(node: exp.Expr, localize: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """Map every maximal sub-expression that reads the file's columns to a source-CTE alias.

    Comparisons' operands are columns or conversions of one column; logical nodes
    and literals stay as they are."""
    if isinstance(node, (exp.And, exp.Or, exp.Not, exp.Paren)):
        return node.__class__(**{k: _localize_tree(v, localize) if isinstance(v, exp.Expression) else v
                                 for k, v in node.args.items()})
    if isinstance(node, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)):
        return node.__class__(this=_operand(node.this, localize), expression=_operand(node.expression, localize))
    return _operand(node, localize)


def _operand(node: exp.Expr, localize: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    if isinstance(node, (exp.Literal, exp.Neg)) or not list(node.find_all(exp.Column)):
        return node
    return localize(node)


def _union(parts: list[exp.Expr], distinct: bool) -> exp.Expr:
    result = parts[0]
    for part in parts[1:]:
        result = exp.union(result, part, distinct=distinct)
    return result


def _quote_alias(values: exp.Values) -> None:
    alias = values.args.get("alias")
    if alias is not None:
        alias.this.set("quoted", True)
        for column in alias.columns:
            column.set("quoted", True)


# ----------------------------------------------------------------- entry points


def records_sql(model: Model, files: Mapping[str, str] | None = None, dialect: str = "duckdb",
                employees: Iterable[str] = (), roster: str | None = None) -> tuple[str | None, list[Diagnostic]]:
    """The records → facts query as text, for `kpidsl sql`, without reading any file.

    For DuckDB each records source is read from its file (`files` overrides the
    ruleset's); for other dialects it is a table named by `files[name]` (may be
    `schema.table`) or, by default, the records' own name.  `roster` names the
    plan's roster table (see `_Builder.build`)."""
    query, diagnostics = records_query(model, files, dialect, employees, roster)
    if query is None:
        return None, diagnostics
    return fixedpoint.for_dialect(query, dialect).sql(dialect=dialect, pretty=True), diagnostics


def records_query(model: Model, files: Mapping[str, str] | None = None, dialect: str = "duckdb",
                  employees: Iterable[str] = (), roster: str | None = None
                  ) -> tuple[exp.Select | None, list[Diagnostic]]:
    """`records_sql`'s query as a SQLGlot expression (DuckDB's; `fixedpoint.for_dialect` adapts it)."""
    files = dict(files or {})
    sources: dict[str, Source] = {}
    for name in aggregated_facts(model):
        decl = model.records[name]
        if dialect == "duckdb":
            path = files.get(name) or (str(Path(decl.span.file).parent / decl.file) if decl.file else None)
            if path is None:
                return None, [error("K053", f"records `{name}` has no file", decl.span,
                                    f'add `file "{name}.csv"` to the records, or pass --source {name}=FILE')]
            sources[name] = Source(name, path, reader_for(path) or "csv")
        else:
            sources[name] = Source(name, files.get(name, name), "table")
    builder = _Builder(model, sources)
    return builder.build(employees, roster), builder.diagnostics


def aggregate_records(model: Model, records_files: Mapping[str, str] | None,
                      connection: duckdb.DuckDBPyConnection, *, employees: Iterable[str] = (),
                      roster: str | None = None,
                      table: str = RECORD_FACTS_TABLE) -> tuple[str | None, list[Diagnostic]]:
    """Aggregate every records-based fact into the temporary table `table`.

    `records_files` are the `--source` overrides (EvalOptions.records); `employees`
    get rows even where they have no records, and so do the members of the `roster`
    table (employee, role) whose role someone appearing in the records has.  Returns
    the table name (None if the ruleset aggregates nothing, or on errors) and
    diagnostics."""
    import duckdb

    if not aggregated_facts(model):
        return None, []
    files, diags = resolve_files(model, records_files)
    if any(d.is_error for d in diags):
        return None, diags
    sources: dict[str, Source] = {}
    for name, path in files.items():
        reader = reader_for(path)
        if reader is None:
            diags.append(error("D101", f"records `{name}`: cannot read {Path(path).name}: use CSV, Parquet or JSON",
                               DataLocation(path), "export the records as .csv, .parquet or .json"))
            continue
        try:
            sources[name] = Source(name, path, reader, describe(connection, Source(name, path, reader)))
        except duckdb.Error as exc:
            diags.append(error("D101", f"records `{name}`: cannot read {path}: {first_line(exc)}",
                               DataLocation(path)))
    if any(d.is_error for d in diags):
        return None, diags
    builder = _Builder(model, sources)
    people_table = None
    names = sorted({e for e in employees if e})
    if names:
        people_table = f"{table}_employees"
        listed = exp.select(exp.alias_(exp.Unnest(expressions=[exp.cast(exp.Placeholder(), dtype("VARCHAR[]"))]),
                                       "employee", quoted=True))
        connection.execute(_create_temp(people_table, listed).sql(dialect="duckdb"), [names])
    query = builder.build(people_table or (), roster)
    diags.extend(builder.diagnostics)
    if query is None:
        return None, diags
    for source in sources.values():
        diags.extend(validate(connection, model, source, builder))
    if any(d.is_error for d in diags):
        return None, diags
    try:
        connection.execute(_create_temp(table, query).sql(dialect="duckdb"))
    except duckdb.Error as exc:
        diags.append(error("D101", f"cannot aggregate records: {first_line(exc)}"))
        return None, diags
    return table, diags


def _create_temp(name: str, query: exp.Expr) -> exp.Create:
    return exp.Create(this=table_ref(name), kind="TABLE", expression=query, replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
