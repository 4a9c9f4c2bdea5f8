"""Records → facts: aggregate raw record files (deals, leads, ad spend) into fact rows.

A ruleset may declare raw sources and facts computed from them:

    records deals "Сделки из CRM" { file "deals.csv" date created_at employee manager }
    fact revenue "Выручка" = sum amount from deals where status = "won"

This stage builds one SQL query — with SQLGlot expressions, every identifier
quoted, never by pasting strings — that reads each records file (CSV, Parquet,
JSON through DuckDB's own readers), buckets every record into the ruleset's period
kind by its date column, groups by period and employee, and computes each
aggregated fact.  Its output has the shape of the tidy facts table:

    period VARCHAR ('2026Q3' | '2026-09' | '2026'), employee VARCHAR (NULL: department
    level), fact VARCHAR, value DECIMAL(38,12) (NULL: no data)

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

Diagnostics: K051 (no date column, as the checker reports it), K053–K057 (no file,
file not found, unknown column with did-you-mean, a column of the wrong type or an
unsupported `where`, `--source` for unknown records) and D100–D103 (the data: bad
date, unreadable file, not a number, missing date).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from kpidsl.language import ast
from kpidsl.engine.plan import RECORD_FACTS_TABLE
from kpidsl.base.diagnostics import first_line, DataLocation, Diagnostic, Span, error, shorten, warning
from kpidsl.base.files import kind

if TYPE_CHECKING:  # heavy imports stay inside the functions that use them
    import duckdb
    from sqlglot import exp

    from kpidsl.language.load import Model

VALUE_TYPE = "DECIMAL(38,12)"
_NBSP = "\u00a0"

_READERS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
            ".json": "json", ".jsonl": "json", ".ndjson": "json"}
_NUMERIC_PREFIXES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                     "UINTEGER", "UBIGINT", "UHUGEINT", "DECIMAL")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
_COMPARE = {"=": "EQ", "!=": "NEQ", "<": "LT", "<=": "LTE", ">": "GT", ">=": "GTE"}


@dataclass(frozen=True)
class Source:
    """One records source as this stage reads it."""

    name: str
    path: str  # a file (DuckDB) or a table name (other engines)
    reader: str  # "csv" | "parquet" | "json" | "table"
    columns: dict[str, str] | None = None  # column → DuckDB type, once described


def reader_for(path: str) -> str | None:
    """csv / parquet / json from the file's suffix (`.csv.gz` counts as csv), or None."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".zst"):
        suffixes = suffixes[:-1]
    return _READERS.get(suffixes[-1]) if suffixes else None


def aggregated_facts(model: "Model") -> dict[str, list[tuple[str, ast.Aggregation]]]:
    """records name → [(fact name, aggregation)], for facts over declared records."""
    used: dict[str, list[tuple[str, ast.Aggregation]]] = {}
    for name, fact in model.facts.items():
        agg = fact.aggregation
        if agg is not None and agg.records.text in model.records:
            used.setdefault(agg.records.text, []).append((name, agg))
    return used


def resolve_files(model: "Model", overrides: Mapping[str, str] | None = None,
                  *, must_exist: bool = True) -> tuple[dict[str, str], list[Diagnostic]]:
    """records name → file for every records source that facts use.

    `overrides` (`--source deals=deals.parquet`, relative to the working folder) win;
    otherwise the ruleset's `file "…"`, relative to the file that declares it."""
    overrides = dict(overrides or {})
    diags: list[Diagnostic] = []
    for name in overrides:
        if name not in model.records:
            close = difflib.get_close_matches(name, list(model.records), n=1)
            diags.append(error("K057", f"--source names records `{name}`, but the ruleset declares no such records",
                               None, f"did you mean `{close[0]}`?" if close else
                               f"declared records: {', '.join(sorted(model.records)) or 'none'}"))
    files: dict[str, str] = {}
    for name in aggregated_facts(model):
        decl = model.records[name]
        if name in overrides:
            path, where = overrides[name], DataLocation(overrides[name])
        elif decl.file:
            path, where = str(Path(decl.span.file).parent / decl.file), decl.span
        else:
            diags.append(error("K053", f"records `{name}` has no file", decl.span,
                               f'add `file "{name}.csv"` to the records, or pass --source {name}=FILE'))
            continue
        if must_exist and kind(path) != "file":
            diags.append(error("K054", f"records `{name}`: file not found: {shorten(path)}", where,
                               "check the path; a ruleset's `file` is relative to the ruleset file, "
                               "--source paths to the current folder"))
            continue
        files[name] = path
    return files, diags


# ----------------------------------------------------------------- SQL building


def _sqlglot() -> Any:
    from sqlglot import exp

    return exp


def _ident(name: str) -> "exp.Identifier":
    return _sqlglot().to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> "exp.Column":
    exp = _sqlglot()
    return exp.Column(this=_ident(name), table=_ident(table) if table else None)


def _dtype(text: str) -> "exp.DataType":
    return _sqlglot().DataType.build(text, dialect="duckdb")


def _kind(type_: str | None) -> str:
    """A DuckDB column type → date / timestamp / number / float / text / bool / other / unknown."""
    if type_ is None:
        return "unknown"
    t = type_.upper()
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t.startswith(_NUMERIC_PREFIXES):
        return "number"
    if t in _FLOAT_TYPES:
        return "float"
    if t == "VARCHAR":
        return "text"
    if t == "BOOLEAN":
        return "bool"
    return "other"


class _Builder:
    """Builds the query for a set of sources, collecting diagnostics about columns and `where`s."""

    def __init__(self, model: "Model", sources: dict[str, Source], dialect: str) -> None:
        self.model = model
        self.sources = sources
        self.dialect = dialect
        self.diagnostics: list[Diagnostic] = []

    # -- columns
    def resolve(self, source: Source, ident_text: str, span: Span, role: str) -> str | None:
        """The file's column for a name the ruleset wrote (case-insensitively, as DuckDB does)."""
        if source.columns is None:
            return ident_text
        if ident_text in source.columns:
            return ident_text
        folded = {c.casefold(): c for c in source.columns}
        if ident_text.casefold() in folded:
            return folded[ident_text.casefold()]
        close = difflib.get_close_matches(ident_text, list(source.columns), n=1, cutoff=0.6)
        shown = ", ".join(f"`{c}`" for c in list(source.columns)[:12])
        self.diagnostics.append(error(
            "K055", f"records `{source.name}`: no column `{ident_text}` ({role}) in {source.path}", span,
            f"did you mean `{close[0]}`?" if close else f"the file's columns: {shown}"))
        return None

    def type_of(self, source: Source, column: str) -> str:
        if source.columns is None:  # not described: CSV is read as text, other readers unknown
            return "text" if source.reader == "csv" else "unknown"
        return _kind(source.columns.get(column))

    def date_expr(self, source: Source, column: str, span: Span) -> "exp.Expression | None":
        exp = _sqlglot()
        kind, raw = self.type_of(source, column), _col(column)
        if kind == "date":
            return raw
        if kind == "timestamp":
            return exp.cast(raw, "DATE")
        if kind == "text":
            text = exp.Trim(this=raw)
            dotted = exp.Anonymous(this="TRY_STRPTIME", expressions=[text.copy(), exp.Literal.string("%d.%m.%Y")])
            return exp.Coalesce(this=exp.TryCast(this=text, to=_dtype("DATE")),
                                expressions=[exp.cast(dotted, "DATE")])
        if kind == "unknown":
            return exp.TryCast(this=raw, to=_dtype("DATE"))
        self.diagnostics.append(error(
            "K056", f"records `{source.name}`: date column `{column}` holds {source.columns[column]} "  # type: ignore[index]
            "values, not dates", span, "name a column of dates (2026-09-30 or 30.09.2026)"))
        return None

    def number_expr(self, source: Source, column: str, span: Span) -> "exp.Expression | None":
        exp = _sqlglot()
        kind, raw = self.type_of(source, column), _col(column)
        if kind == "number":
            return raw
        if kind == "float":  # the shortest text form of a double is the decimal its writer meant
            return exp.TryCast(this=exp.cast(raw, "VARCHAR"), to=_dtype(VALUE_TYPE))
        if kind == "text":
            cleaned: exp.Expression = exp.Trim(this=raw)
            for old, new in ((_NBSP, ""), (" ", ""), (",", ".")):
                cleaned = exp.Anonymous(this="REPLACE", expressions=[
                    cleaned, exp.Literal.string(old), exp.Literal.string(new)])
            return exp.TryCast(this=cleaned, to=_dtype(VALUE_TYPE))
        if kind == "unknown":
            return exp.TryCast(this=raw, to=_dtype(VALUE_TYPE))
        self.diagnostics.append(error(
            "K056", f"records `{source.name}`: column `{column}` holds {source.columns[column]} "  # type: ignore[index]
            "values, not numbers", span, "aggregate a numeric column, or use `count`"))
        return None

    def text_expr(self, source: Source, column: str) -> "exp.Expression":
        kind = self.type_of(source, column)
        return _col(column) if kind in ("text", "unknown") else _sqlglot().cast(_col(column), "VARCHAR")

    # -- where
    def condition(self, source: Source, expr: ast.Expr) -> "exp.Expression | None":
        exp = _sqlglot()
        if isinstance(expr, ast.Binary) and expr.op in ("and", "or"):
            left, right = self.condition(source, expr.left), self.condition(source, expr.right)
            if left is None or right is None:
                return None
            cls = exp.And if expr.op == "and" else exp.Or
            return cls(this=exp.paren(left), expression=exp.paren(right))
        if isinstance(expr, ast.Unary) and expr.op == "not":
            inner = self.condition(source, expr.operand)
            return None if inner is None else exp.Not(this=exp.paren(inner))
        if isinstance(expr, ast.Binary) and expr.op in _COMPARE:
            kinds = {_operand_kind(expr.left), _operand_kind(expr.right)}
            if {"text", "number"} <= kinds:
                self._unsupported(source, expr, "compares text with a number")
                return None
            mode = "text" if "text" in kinds else "number" if "number" in kinds else "raw"
            left, right = self.operand(source, expr.left, mode), self.operand(source, expr.right, mode)
            if left is None or right is None:
                return None
            return getattr(exp, _COMPARE[expr.op])(this=left, expression=right)
        if isinstance(expr, ast.Name):
            column = self.resolve(source, expr.name, expr.span, "in `where`")
            if column is None:
                return None
            if self.type_of(source, column) in ("bool", "unknown"):
                return _col(column)
            self._unsupported(source, expr, f"uses column `{column}` as a condition, but it is not yes/no")
            return None
        self._unsupported(source, expr, "is not a condition this stage can read")
        return None

    def operand(self, source: Source, expr: ast.Expr, mode: str) -> "exp.Expression | None":
        exp = _sqlglot()
        if isinstance(expr, ast.String):
            return exp.Literal.string(expr.value)
        if isinstance(expr, ast.Number):
            return exp.Literal.number(str(expr.value))
        if isinstance(expr, ast.Unary) and expr.op == "-" and isinstance(expr.operand, ast.Number):
            return exp.Literal.number(str(-expr.operand.value))
        if isinstance(expr, ast.Name):
            column = self.resolve(source, expr.name, expr.span, "in `where`")
            if column is None:
                return None
            if mode == "number":
                return self.number_expr(source, column, expr.span)
            return self.text_expr(source, column) if mode == "text" else _col(column)
        self._unsupported(source, expr, "uses an expression this stage cannot compute per record")
        return None

    def _unsupported(self, source: Source, expr: ast.Expr, what: str) -> None:
        self.diagnostics.append(error(
            "K056", f"records `{source.name}`: this `where` {what}", expr.span,
            'a `where` compares the records\' columns with text or numbers, joined by and/or/not: '
            'where status = "won" and amount >= 100000'))

    # -- the query
    def build(self, employees: Iterable[str] | str = (), roster: str | None = None) -> "exp.Expression | None":
        """The whole query, or None if a diagnostic makes it impossible.

        `employees` (names, or a table with an `employee` column) get rows as if
        they appeared in the records; so do the members of `roster` (a table of
        employee, role) whose role someone appearing in the records has."""
        exp = _sqlglot()
        used = aggregated_facts(self.model)
        kind = self.model.period_kind
        ctes: list[tuple[str, exp.Expression]] = []
        facts: list[tuple[str, exp.Expression]] = []  # fact name → value expression over "wide"
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
        if self.diagnostics and any(d.is_error for d in self.diagnostics) or not facts:
            return None

        period, employee = "kpidsl_period", "kpidsl_employee"
        periods = _union([exp.select(_col(period)).distinct().from_(_table(a)) for a in joins], distinct=True)
        people_parts: list[exp.Expression] = [
            exp.select(_col(employee)).distinct().from_(_table(a)).where(exp.not_(exp.Is(this=_col(employee), expression=exp.Null())))
            for a in joins]
        if roster is not None:  # the roster's members of the roles whose people appear in the records
            appearing = _union([part.copy() for part in people_parts], distinct=True)
            scored = (exp.select(_col("role")).from_(_table(roster))
                      .where(exp.In(this=_col("employee"), query=exp.Subquery(this=appearing))))
            people_parts.append(exp.select(exp.alias_(_col("employee"), employee, quoted=True)).from_(_table(roster))
                                .where(exp.In(this=_col("role"), query=exp.Subquery(this=scored))))
        if isinstance(employees, str):  # a table (one column `employee`) the caller prepared
            people_parts.append(exp.select(exp.alias_(_col("employee"), employee, quoted=True)).from_(_table(employees)))
        else:
            names = sorted(set(employees))
            if names:
                values = exp.values([exp.Tuple(expressions=[exp.Literal.string(n)]) for n in names],
                                    alias="kpidsl_extra", columns=[employee])
                _quote_alias(values)
                people_parts.append(exp.select(_col(employee)).from_(values))
        people = _union(people_parts, distinct=True)
        grid = _union([
            exp.select(_col(period, "p"), _col(employee, "e")).from_(exp.alias_(exp.Subquery(this=periods), "p", quoted=True))
            .join(exp.alias_(exp.Subquery(this=people), "e", quoted=True), join_type="CROSS"),
            exp.select(_col(period), exp.alias_(exp.cast(exp.Null(), "VARCHAR"), employee, quoted=True))
            .from_(exp.alias_(exp.Subquery(this=periods.copy()), "p2", quoted=True)),
        ], distinct=False)
        ctes.append(("kpidsl_grid", grid))

        wide = exp.select(exp.alias_(_period_key(_col(period, "g"), kind), "period", quoted=True),
                          exp.alias_(_col(employee, "g"), "employee", quoted=True)).from_(
            exp.alias_(_table("kpidsl_grid"), "g", quoted=True))
        for agg in joins:
            on = exp.and_(exp.EQ(this=_col(period, agg), expression=_col(period, "g")),
                          exp.NullSafeEQ(this=_col(employee, agg), expression=_col(employee, "g")))
            wide = wide.join(_table(agg), on=on, join_type="LEFT")
        wide = wide.select(*[exp.alias_(value, f"kpidsl_f{i}", quoted=True) for i, (_, value) in enumerate(facts)])
        ctes.append(("kpidsl_wide", wide))

        names = exp.values([exp.Tuple(expressions=[exp.Literal.string(f), exp.Boolean(this=f in department_only)])
                            for f, _ in facts], alias="kpidsl_facts", columns=["fact", "department_only"])
        _quote_alias(names)
        case = exp.Case(this=_col("fact", "kpidsl_facts"))
        for i, (fact, _) in enumerate(facts):
            case = case.when(exp.Literal.string(fact), exp.cast(_col(f"kpidsl_f{i}", "w"), _dtype(VALUE_TYPE)))
        final = (exp.select(_col("period", "w"), _col("employee", "w"),
                            exp.alias_(_col("fact", "kpidsl_facts"), "fact", quoted=True),
                            exp.alias_(case, "value", quoted=True))
                 .from_(exp.alias_(_table("kpidsl_wide"), "w", quoted=True))
                 .join(names, join_type="CROSS"))
        if department_only:  # such facts have no per-employee values, not zeros
            final = final.where(exp.or_(exp.not_(_col("department_only", "kpidsl_facts")),
                                        exp.Is(this=_col("employee", "w"), expression=exp.Null())))
        for cte_name, body in ctes:
            final = final.with_(_ident(cte_name), as_=body)
        return final

    def _source_ctes(self, source: Source, aggs: list[tuple[str, ast.Aggregation]], src: str, agg: str,
                     index: int) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]] | None:
        exp = _sqlglot()
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
        projections: list[exp.Expression] = []

        def src_col(expr: exp.Expression, key: tuple[str, str]) -> exp.Column:
            if key not in aliases:
                aliases[key] = f"kpidsl_c{len(aliases)}"
                projections.append(exp.alias_(expr, aliases[key], quoted=True))
            return _col(aliases[key])

        def localize(node: exp.Expression) -> exp.Expression:
            """Replace the file's column references in `node` by their source-CTE aliases."""
            def swap(n: exp.Expression) -> exp.Expression:
                if isinstance(n, exp.Column) and not n.table:
                    return src_col(n.copy(), ("raw", n.name))
                return n
            if isinstance(node, exp.Column):
                return swap(node)
            return src_col(node, ("expr", node.sql(dialect="duckdb")))  # an expression of columns: one alias

        aggregates: list[exp.Expression] = []
        values: list[tuple[str, exp.Expression]] = []
        for fact_name, a in aggs:
            where = self.condition(source, a.where) if a.where is not None else None
            column = self.resolve(source, a.column.text, a.column.span, "aggregated") if a.column else None
            if (a.column and column is None) or (a.where is not None and where is None):
                continue
            where_local = _localize_tree(where, localize) if where is not None else None
            if a.function == "count":
                target = (exp.Distinct(expressions=[localize(_col(column))]) if a.distinct and column
                          else localize(_col(column)) if column else exp.Star())
                parts = [("n", exp.Count(this=target))]
            else:
                number = self.number_expr(source, column, a.column.span)  # type: ignore[arg-type, union-attr]
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
                names[suffix] = _col(alias, agg)
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
        employee: exp.Expression = (
            exp.Nullif(this=_trimmed(self.text_expr(source, emp_col)), expression=exp.Literal.string(""))
            if emp_col else exp.cast(exp.Null(), "VARCHAR"))
        src_query = (exp.select(exp.alias_(trunc, "kpidsl_period", quoted=True),
                                exp.alias_(employee, "kpidsl_employee", quoted=True), *projections)
                     .from_(_reader(source)).where(exp.not_(exp.Is(this=date.copy(), expression=exp.Null()))))
        period, person = _col("kpidsl_period"), _col("kpidsl_employee")
        agg_query = exp.select(period, person, *aggregates).from_(_table(src))
        if emp_col:
            agg_query = agg_query.group_by(exp.GroupingSets(expressions=[
                exp.Tuple(expressions=[period.copy(), person.copy()]), exp.Paren(this=period.copy())]))
            agg_query = agg_query.having(exp.or_(
                exp.EQ(this=exp.Grouping(expressions=[person.copy()]), expression=exp.Literal.number(1)),
                exp.not_(exp.Is(this=person.copy(), expression=exp.Null()))))
        else:
            agg_query = agg_query.group_by(period.copy(), person.copy())
        return [(src, src_query), (agg, agg_query)], values

    def exact_quotient(self, total: "exp.Expression", count: "exp.Expression") -> "exp.Expression":
        """total / count rounded half away from zero to 12 decimals (kpidsl's division); NULL for 0."""
        from kpidsl.engine import fixedpoint

        exp = _sqlglot()
        return fixedpoint.div(exp.cast(total, _dtype(VALUE_TYPE)), exp.cast(count, _dtype(VALUE_TYPE)))


def _trimmed(text: "exp.Expression") -> "exp.Expression":
    """TRIM(text), but only for the values that need it: trimming copies every string, which
    costs more than the whole aggregation for millions of names that have no spaces to trim."""
    exp = _sqlglot()
    padded = exp.or_(exp.Like(this=text.copy(), expression=exp.Literal.string(" %")),
                     exp.Like(this=text.copy(), expression=exp.Literal.string("% ")))
    return exp.Case(ifs=[exp.If(this=padded, true=exp.Trim(this=text.copy()))], default=text.copy())


def _localize_tree(node: "exp.Expression", localize: Any) -> "exp.Expression":
    """Map every maximal sub-expression that reads the file's columns to a source-CTE alias.

    Comparisons' operands are columns or conversions of one column; logical nodes
    and literals stay as they are."""
    exp = _sqlglot()
    if isinstance(node, (exp.And, exp.Or, exp.Not, exp.Paren)):
        return node.__class__(**{k: _localize_tree(v, localize) if isinstance(v, exp.Expression) else v
                                 for k, v in node.args.items()})
    if isinstance(node, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)):
        return node.__class__(this=_operand(node.this, localize), expression=_operand(node.expression, localize))
    return _operand(node, localize)


def _operand(node: "exp.Expression", localize: Any) -> "exp.Expression":
    exp = _sqlglot()
    if isinstance(node, (exp.Literal, exp.Neg)) or not list(node.find_all(exp.Column)):
        return node
    return localize(node)


def _op(cls: Any, left: "exp.Expression", right: "exp.Expression") -> "exp.Expression":
    """A binary operation on copies of its operands, each parenthesized if it is itself an operation."""
    exp = _sqlglot()

    def wrap(e: exp.Expression) -> exp.Expression:
        return exp.paren(e.copy()) if isinstance(e, exp.Binary) else e.copy()

    return cls(this=wrap(left), expression=wrap(right))


def _operand_kind(expr: ast.Expr) -> str:
    if isinstance(expr, ast.String):
        return "text"
    if isinstance(expr, ast.Number) or (isinstance(expr, ast.Unary) and expr.op == "-"):
        return "number"
    return "column"


def _union(parts: list["exp.Expression"], distinct: bool) -> "exp.Expression":
    exp = _sqlglot()
    result = parts[0]
    for part in parts[1:]:
        result = exp.union(result, part, distinct=distinct)
    return result


def _table(name: str) -> "exp.Table":
    """A possibly dotted table name (catalog.schema.table), every part quoted."""
    exp = _sqlglot()
    parts = name.split(".")
    table = exp.Table(this=_ident(parts[-1]))
    if len(parts) >= 2:
        table.set("db", _ident(parts[-2]))
    if len(parts) >= 3:
        table.set("catalog", _ident(".".join(parts[:-2])))
    return table


def _quote_alias(values: "exp.Values") -> None:
    alias = values.args.get("alias")
    if alias is not None:
        alias.this.set("quoted", True)
        for column in alias.columns:
            column.set("quoted", True)


def _reader(source: Source) -> "exp.Expression":
    exp = _sqlglot()
    path = exp.Literal.string(source.path)
    if source.reader == "csv":  # text in, parsed here: exact decimals, our date forms
        option = exp.EQ(this=exp.column("all_varchar"), expression=exp.true())
        return exp.Table(this=exp.Anonymous(this="read_csv", expressions=[path, option]))
    if source.reader == "parquet":
        return exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[path]))
    if source.reader == "json":
        return exp.Table(this=exp.Anonymous(this="read_json_auto", expressions=[path]))
    return _table(source.path)


def _period_key(truncated: "exp.Expression", kind: str) -> "exp.Expression":
    """'2026Q3' / '2026-09' / '2026' from the period's first day — kpidsl.data.periods' keys."""
    exp = _sqlglot()

    def part(unit: str) -> exp.Expression:
        return exp.cast(exp.Extract(this=exp.Var(this=unit), expression=truncated.copy()), "VARCHAR")

    if kind == "month":
        return exp.Concat(expressions=[part("YEAR"), exp.Literal.string("-"),
                                       exp.Pad(this=part("MONTH"), expression=exp.Literal.number(2),
                                               fill_pattern=exp.Literal.string("0"), is_left=True)])
    if kind == "year":
        return part("YEAR")
    return exp.Concat(expressions=[part("YEAR"), exp.Literal.string("Q"), part("QUARTER")])


# ----------------------------------------------------------------- entry points


def records_sql(model: "Model", files: Mapping[str, str] | None = None, dialect: str = "duckdb",
                employees: Iterable[str] = (), roster: str | None = None) -> tuple[str | None, list[Diagnostic]]:
    """The records → facts query as text, for `kpidsl sql`, without reading any file.

    For DuckDB each records source is read from its file (`files` overrides the
    ruleset's); for other dialects it is a table named by `files[name]` (may be
    `schema.table`) or, by default, the records' own name.  `roster` names the
    plan's roster table (see `_Builder.build`)."""
    query, diagnostics = records_query(model, files, dialect, employees, roster)
    if query is None:
        return None, diagnostics
    from kpidsl.engine import fixedpoint

    return fixedpoint.for_dialect(query, dialect).sql(dialect=dialect, pretty=True), diagnostics


def records_query(model: "Model", files: Mapping[str, str] | None = None, dialect: str = "duckdb",
                  employees: Iterable[str] = (), roster: str | None = None
                  ) -> tuple["exp.Expression | None", list[Diagnostic]]:
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
    builder = _Builder(model, sources, dialect)
    return builder.build(employees, roster), builder.diagnostics


def describe(connection: "duckdb.DuckDBPyConnection", source: Source) -> dict[str, str]:
    """The file's columns and their DuckDB types (raises duckdb.Error if unreadable)."""
    exp = _sqlglot()
    query = exp.Describe(this=exp.select("*").from_(_reader(source)))
    rows = connection.execute(query.sql(dialect="duckdb")).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def aggregate_records(model: "Model", records_files: Mapping[str, str] | None,
                      connection: "duckdb.DuckDBPyConnection", *, employees: Iterable[str] = (),
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
    builder = _Builder(model, sources, "duckdb")
    people_table = None
    names = sorted({e for e in employees if e})
    if names:
        people_table = f"{table}_employees"
        exp = _sqlglot()
        listed = exp.select(exp.alias_(exp.Unnest(expressions=[exp.cast(exp.Placeholder(), _dtype("VARCHAR[]"))]),
                                       "employee", quoted=True))
        connection.execute(_create_temp(people_table, listed).sql(dialect="duckdb"), [names])
    query = builder.build(people_table or (), roster)
    diags.extend(builder.diagnostics)
    if query is None:
        return None, diags
    for name, source in sources.items():
        diags.extend(_validate(connection, model, source, builder))
    if any(d.is_error for d in diags):
        return None, diags
    try:
        connection.execute(_create_temp(table, query).sql(dialect="duckdb"))
    except duckdb.Error as exc:
        diags.append(error("D101", f"cannot aggregate records: {first_line(exc)}"))
        return None, diags
    return table, diags


def _create_temp(name: str, query: "exp.Expression") -> "exp.Expression":
    exp = _sqlglot()
    return exp.Create(this=_table(name), kind="TABLE", expression=query, replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))




def _validate(connection: "duckdb.DuckDBPyConnection", model: "Model", source: Source,
              builder: _Builder) -> list[Diagnostic]:
    """Count records whose date or aggregated number does not parse; point at the first."""
    exp = _sqlglot()
    decl = model.records[source.name]
    checks: list[tuple[str, str, exp.Expression, str]] = []  # (code, column, bad-condition, what)
    date_col = builder.resolve(source, decl.date_column.text, decl.date_column.span, "date")  # type: ignore[union-attr]
    raw = _col(date_col)  # type: ignore[arg-type]
    typed = builder.type_of(source, date_col) in ("date", "timestamp")  # type: ignore[arg-type]
    blank: exp.Expression = exp.Is(this=raw, expression=exp.Null())
    if not typed:  # a typed date is never blank text, nor unreadable (and casting it to text costs)
        blank = exp.or_(blank, exp.EQ(this=exp.Trim(this=exp.cast(raw.copy(), "VARCHAR")),
                                      expression=exp.Literal.string("")))
    parsed = builder.date_expr(source, date_col, decl.date_column.span)  # type: ignore[arg-type, union-attr]
    checks.append(("D103", date_col, blank, "no date"))  # type: ignore[arg-type]
    if not typed:
        checks.append(("D100", date_col, exp.and_(exp.not_(exp.paren(blank.copy())),  # type: ignore[arg-type]
                                                  exp.Is(this=parsed, expression=exp.Null())), "not a date"))
    seen: set[str] = set()
    for _, agg in aggregated_facts(model)[source.name]:
        if agg.function == "count" or agg.column is None:
            continue
        column = builder.resolve(source, agg.column.text, agg.column.span, "aggregated")
        if column is None or column in seen or builder.type_of(source, column) not in ("text", "float"):
            continue
        seen.add(column)
        number = builder.number_expr(source, column, agg.column.span)
        empty = exp.or_(exp.Is(this=_col(column), expression=exp.Null()),
                        exp.EQ(this=exp.Trim(this=exp.cast(_col(column), "VARCHAR")), expression=exp.Literal.string("")))
        checks.append(("D102", column, exp.and_(exp.not_(exp.paren(empty)), exp.Is(this=number, expression=exp.Null())),
                       "not a number"))
    counts = exp.select(*[exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=c[2]))
                          for c in checks]).from_(_reader(source))
    found = connection.execute(counts.sql(dialect="duckdb")).fetchall()[0]
    diags: list[Diagnostic] = []
    for (code, column, condition, what), count in zip(checks, found):
        if not count:
            continue
        first = (exp.select(exp.column("ordinality"), exp.cast(_col(column), "VARCHAR"))
                 .from_(exp.Table(this=_reader(source).this, ordinality=True))
                 .where(condition.copy()).order_by(exp.column("ordinality")).limit(1))
        ordinal, value = connection.execute(first.sql(dialect="duckdb")).fetchall()[0]
        row = int(ordinal) + (1 if source.reader == "csv" else 0)  # a CSV's header is row 1
        rows = "1 record" if count == 1 else f"{count} records"
        where = DataLocation(source.path, row, column)
        if code == "D103":
            diags.append(warning(code, f"records `{source.name}`: `{column}` is empty in {rows}, which "
                                       f"count in no period (first at row {row})", where,
                                 "fill in the date, or drop those rows from the export"))
        elif code == "D100":
            diags.append(error(code, f"records `{source.name}`: `{column}` is {what} in {rows} "
                                     f"(first at row {row}: {value!r})", where,
                               "write dates as 2026-09-30 (or 30.09.2026, or an ISO timestamp)"))
        else:
            diags.append(error(code, f"records `{source.name}`: `{column}` is {what} in {rows} "
                                     f"(first at row {row}: {value!r})", where,
                               "write numbers as 1234.50 or 1 234,50; leave the cell empty if unknown"))
    return diags
