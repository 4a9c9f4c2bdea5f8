"""Records columns: how each record of a records file is read, as SQLGlot expressions.

The file's columns as typed values — dates (ISO or `30.09.2026`), exact decimals
(a decimal comma and spaces as thousands separators accepted in text), text — and a
fact's `where` as a condition over them, every identifier quoted; `describe` asks
DuckDB for a file's columns and `validate` counts the records whose date or number
does not parse.  `records_sql.py` assembles the query from these pieces.

Diagnostics: K055 (unknown column, with did-you-mean), K056 (a column of the wrong
type or an unsupported `where`), D100 (bad date), D102 (not a number), D103 (no
date).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from sqlglot import exp

from kpidsl.base.diagnostics import DataLocation, Diagnostic, Span, error, warning
from kpidsl.engine.records import Source, aggregated_facts
from kpidsl.language import ast

if TYPE_CHECKING:
    import duckdb

    from kpidsl.language.load import Model

VALUE_TYPE = "DECIMAL(38,12)"
_NBSP = "\u00a0"
_NUMERIC_PREFIXES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                     "UINTEGER", "UBIGINT", "UHUGEINT", "DECIMAL")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
_COMPARE: dict[str, type[exp.Binary]] = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT,
                                         ">=": exp.GTE}


def ident(name: str) -> exp.Identifier:
    """A quoted identifier."""
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    """A column, optionally of a table, both quoted."""
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def dtype(text: str) -> exp.DataType:
    """A DuckDB data type."""
    return exp.DataType.build(text, dialect="duckdb")


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


def table_ref(name: str) -> exp.Table:
    """A possibly dotted table name (catalog.schema.table), every part quoted."""
    parts = name.split(".")
    table = exp.Table(this=ident(parts[-1]))
    if len(parts) >= 2:
        table.set("db", ident(parts[-2]))
    if len(parts) >= 3:
        table.set("catalog", ident(".".join(parts[:-2])))
    return table


def source_table(source: Source) -> exp.Expr:
    """What a query reads a source from: its file through DuckDB's reader (CSV as text), or its table."""
    path = exp.Literal.string(source.path)
    if source.reader == "csv":  # text in, parsed here: exact decimals, our date forms
        option = exp.EQ(this=exp.column("all_varchar"), expression=exp.true())
        return exp.Table(this=exp.Anonymous(this="read_csv", expressions=[path, option]))
    if source.reader == "parquet":
        return exp.Table(this=exp.Anonymous(this="read_parquet", expressions=[path]))
    if source.reader == "json":
        return exp.Table(this=exp.Anonymous(this="read_json_auto", expressions=[path]))
    return table_ref(source.path)


def trimmed(text: exp.Expr) -> exp.Expr:
    """TRIM(text), but only for the values that need it: trimming copies every string, which
    costs more than the whole aggregation for millions of names that have no spaces to trim."""
    padded = exp.or_(exp.Like(this=text.copy(), expression=exp.Literal.string(" %")),
                     exp.Like(this=text.copy(), expression=exp.Literal.string("% ")))
    return exp.Case(ifs=[exp.If(this=padded, true=exp.Trim(this=text.copy()))], default=text.copy())


def period_key(truncated: exp.Expr, kind: str) -> exp.Expr:
    """'2026Q3' / '2026-09' / '2026' from the period's first day — kpidsl.data.periods' keys."""

    def part(unit: str) -> exp.Expr:
        return exp.cast(exp.Extract(this=exp.Var(this=unit), expression=truncated.copy()), "VARCHAR")

    if kind == "month":
        return exp.Concat(expressions=[part("YEAR"), exp.Literal.string("-"),
                                       exp.Pad(this=part("MONTH"), expression=exp.Literal.number(2),
                                               fill_pattern=exp.Literal.string("0"), is_left=True)])
    if kind == "year":
        return part("YEAR")
    return exp.Concat(expressions=[part("YEAR"), exp.Literal.string("Q"), part("QUARTER")])


class RecordColumns:
    """Reads the records' columns as typed expressions, collecting diagnostics about columns and `where`s."""

    def __init__(self) -> None:
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

    def date_expr(self, source: Source, column: str, span: Span) -> exp.Expr | None:
        kind, raw = self.type_of(source, column), col(column)
        if kind == "date":
            return raw
        if kind == "timestamp":
            return exp.cast(raw, "DATE")
        if kind == "text":
            text = exp.Trim(this=raw)
            dotted = exp.Anonymous(this="TRY_STRPTIME", expressions=[text.copy(), exp.Literal.string("%d.%m.%Y")])
            return exp.Coalesce(this=exp.TryCast(this=text, to=dtype("DATE")),
                                expressions=[exp.cast(dotted, "DATE")])
        if kind == "unknown":
            return exp.TryCast(this=raw, to=dtype("DATE"))
        assert source.columns is not None  # an undescribed source's columns are text or unknown
        self.diagnostics.append(error(
            "K056", f"records `{source.name}`: date column `{column}` holds {source.columns[column]} "
            "values, not dates", span, "name a column of dates (2026-09-30 or 30.09.2026)"))
        return None

    def number_expr(self, source: Source, column: str, span: Span) -> exp.Expr | None:
        kind, raw = self.type_of(source, column), col(column)
        if kind == "number":
            return raw
        if kind == "float":  # the shortest text form of a double is the decimal its writer meant
            return exp.TryCast(this=exp.cast(raw, "VARCHAR"), to=dtype(VALUE_TYPE))
        if kind == "text":
            cleaned: exp.Expr = exp.Trim(this=raw)
            for old, new in ((_NBSP, ""), (" ", ""), (",", ".")):
                cleaned = exp.Anonymous(this="REPLACE", expressions=[
                    cleaned, exp.Literal.string(old), exp.Literal.string(new)])
            return exp.TryCast(this=cleaned, to=dtype(VALUE_TYPE))
        if kind == "unknown":
            return exp.TryCast(this=raw, to=dtype(VALUE_TYPE))
        assert source.columns is not None  # an undescribed source's columns are text or unknown
        self.diagnostics.append(error(
            "K056", f"records `{source.name}`: column `{column}` holds {source.columns[column]} "
            "values, not numbers", span, "aggregate a numeric column, or use `count`"))
        return None

    def text_expr(self, source: Source, column: str) -> exp.Expr:
        kind = self.type_of(source, column)
        return col(column) if kind in ("text", "unknown") else exp.cast(col(column), "VARCHAR")

    # -- where
    def condition(self, source: Source, expr: ast.Expr) -> exp.Expr | None:
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
            return _COMPARE[expr.op](this=left, expression=right)
        if isinstance(expr, ast.Name):
            column = self.resolve(source, expr.name, expr.span, "in `where`")
            if column is None:
                return None
            if self.type_of(source, column) in ("bool", "unknown"):
                return col(column)
            self._unsupported(source, expr, f"uses column `{column}` as a condition, but it is not yes/no")
            return None
        self._unsupported(source, expr, "is not a condition this stage can read")
        return None

    def operand(self, source: Source, expr: ast.Expr, mode: str) -> exp.Expr | None:
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
            return self.text_expr(source, column) if mode == "text" else col(column)
        self._unsupported(source, expr, "uses an expression this stage cannot compute per record")
        return None

    def _unsupported(self, source: Source, expr: ast.Expr, what: str) -> None:
        self.diagnostics.append(error(
            "K056", f"records `{source.name}`: this `where` {what}", expr.span,
            'a `where` compares the records\' columns with text or numbers, joined by and/or/not: '
            'where status = "won" and amount >= 100000'))


def _operand_kind(expr: ast.Expr) -> str:
    if isinstance(expr, ast.String):
        return "text"
    if isinstance(expr, ast.Number) or (isinstance(expr, ast.Unary) and expr.op == "-"):
        return "number"
    return "column"


def describe(connection: duckdb.DuckDBPyConnection, source: Source) -> dict[str, str]:
    """The file's columns and their DuckDB types (raises duckdb.Error if unreadable)."""
    query = exp.Describe(this=exp.select("*").from_(source_table(source)))
    rows = connection.execute(query.sql(dialect="duckdb")).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def validate(connection: duckdb.DuckDBPyConnection, model: Model, source: Source,
             builder: RecordColumns) -> list[Diagnostic]:
    """Count records whose date or aggregated number does not parse; point at the first.

    Runs after the builder built the query without errors, so the source has a date
    column (else K051) and the file has it (else K055)."""
    decl = model.records[source.name]
    checks: list[tuple[str, str, exp.Expr, str]] = []  # (code, column, bad-condition, what)
    assert decl.date_column is not None
    date_col = builder.resolve(source, decl.date_column.text, decl.date_column.span, "date")
    assert date_col is not None
    raw = col(date_col)
    typed = builder.type_of(source, date_col) in ("date", "timestamp")
    blank: exp.Expr = exp.Is(this=raw, expression=exp.Null())
    if not typed:  # a typed date is never blank text, nor unreadable (and casting it to text costs)
        blank = exp.or_(blank, exp.EQ(this=exp.Trim(this=exp.cast(raw.copy(), "VARCHAR")),
                                      expression=exp.Literal.string("")))
    parsed = builder.date_expr(source, date_col, decl.date_column.span)
    checks.append(("D103", date_col, blank, "no date"))
    if not typed:
        checks.append(("D100", date_col, exp.and_(exp.not_(exp.paren(blank.copy())),
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
        empty = exp.or_(exp.Is(this=col(column), expression=exp.Null()),
                        exp.EQ(this=exp.Trim(this=exp.cast(col(column), "VARCHAR")), expression=exp.Literal.string("")))
        checks.append(("D102", column, exp.and_(exp.not_(exp.paren(empty)), exp.Is(this=number, expression=exp.Null())),
                       "not a number"))
    counts = exp.select(*[exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=c[2]))
                          for c in checks]).from_(source_table(source))
    found = connection.execute(counts.sql(dialect="duckdb")).fetchall()[0]
    diags: list[Diagnostic] = []
    for (code, column, condition, what), count in zip(checks, found, strict=True):
        if not count:
            continue
        first = (exp.select(exp.column("ordinality"), exp.cast(col(column), "VARCHAR"))
                 .from_(exp.Table(this=source_table(source).this, ordinality=True))
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
