"""Bulk output: JSON, CSV and Parquet written straight from the engine's DuckDB session.

`kpidsl eval --format json|csv|parquet` can cover 100 000 employees × 4 quarters ×
several KPIs.  Building a `KpiResult` per KPI and a `MetricValue` per value and then
`json.dumps(indent=2)` (the pure-Python encoder) costs minutes there.  Instead:

1. `prepare` sorts the kpis rows of the wanted periods and people once, in output
   order (period, roster order, KPI line), into a temporary table; explains the
   unknowns exactly as `assemble` does (same warnings, same order) and collects
   the rule findings into a `Results` without employee rows;
2. `write` streams that table:
   * JSON is byte for byte `export.render_json(results, diagnostics)`: the header,
     findings and diagnostics rendered by `render_json` itself from that `Results`,
     the employee results spliced in as DuckDB lays them out (bulk_text.py);
   * CSV is byte for byte `export.render_csv(results)`, laid out by DuckDB too;
   * Parquet is written by DuckDB's COPY: one row per period × employee × KPI, exact
     DECIMAL columns (ratios with 12 decimals, money with the currency's minor
     digits), `gates` as a list of {condition, passed, scope} (the role's conditions
     first, scope "role"), `actions` as a list of texts.
   When the kpis columns are not the decimals bulk_text expects, JSON and CSV are
   formatted here in Python, row by row, with the same result.

Per-employee metric values are not computed (no bulk format shows them).  Every
output goes to a temporary file renamed into place when complete; an input file is
never replaced.
"""

from __future__ import annotations

import csv
import io
import sys
from itertools import groupby
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator, Sequence

from sqlglot import exp

from kpidsl.engine.plan import BULK_PEOPLE, BULK_PERIODS, BULK_ROWS, KPIS_TABLE, table
from kpidsl.engine.session import batches
from kpidsl.output.bulk_tables import grid
from kpidsl.output.cells import neutralise
from kpidsl.output.atomic import atomic

if TYPE_CHECKING:
    from kpidsl.engine.plan import LinePlan
    from kpidsl.base.diagnostics import Diagnostic
    from kpidsl.engine.session import Session
    from kpidsl.results.model import Results

FORMATS = ("json", "csv", "parquet")
_NUMBERS = ("weight", "baseline", "target", "fact", "attainment", "index", "deviation")
_MONEY = ("plan_bonus", "bonus")
_BATCH = 20_000


def _id(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=_id(name), table=_id(table) if table else None)


def _sql(e: exp.Expression) -> str:
    return e.sql(dialect="duckdb", copy=False)  # every query is built for one use


# ------------------------------------------------------------------ the query


def _sort_rows(session: "Session") -> None:
    """Sort once: every wanted (period, person) with their KPI rows (none: one row with line
    NULL), in output order, with the positions `ppos`, `epos` and the person's role.  Reading
    it back needs no sort: a Parquet COPY of a million rows sorted there held twice the memory."""
    con = session.connection
    con.execute("SET preserve_insertion_order = true")  # this table's order is the output's
    described = con.execute(_sql(exp.select(exp.Star()).from_(table(KPIS_TABLE)).limit(0))).description or []
    on = exp.and_(exp.EQ(this=_col("period", "k"), expression=_col("period", "p")),
                  exp.EQ(this=_col("employee", "k"), expression=_col("employee", "e")))
    columns = [exp.alias_(_col("pos", "p"), "ppos", quoted=True), exp.alias_(_col("pos", "e"), "epos", quoted=True),
               _col("period", "p"), _col("employee", "e"), _col("role", "e"),
               *(_col(d[0], "k") for d in described if d[0] not in ("period", "employee", "previous_fact"))]
    query = (exp.select(*columns).from_(table(BULK_PERIODS, "p")).join(table(BULK_PEOPLE, "e"), join_type="cross")
             .join(table(KPIS_TABLE, "k"), on=on, join_type="left")
             .order_by(_col("pos", "p"), _col("pos", "e"), _col("line", "k")))
    create = exp.Create(this=table(BULK_ROWS), kind="TABLE", replace=True, expression=query,
                        properties=exp.Properties(expressions=[exp.TemporaryProperty()]))
    con.execute(_sql(create))


def _rows_query(session: "Session", columns: list[exp.Expression], *, outer: bool,
                where: exp.Expression | None = None, order: bool = True) -> exp.Select:
    """The sorted rows (as "k"); `outer` keeps people without KPI rows.  The table is already in
    output order, which a plain scan keeps; `order` sorts anyway (a filtered subset, for Python)."""
    query = exp.select(*columns).from_(table(BULK_ROWS, "k"))
    conditions = [c for c in (where, None if outer else exp.not_(_col("line", "k").is_(exp.null()))) if c is not None]
    if conditions:
        query = query.where(exp.and_(*conditions))
    return query.order_by(_col("ppos", "k"), _col("epos", "k"), _col("line", "k")) if order else query


def _text(name: str) -> exp.Expression:
    return exp.cast(_col(name, "k"), "VARCHAR")


def _money(e: exp.Expression, digits: int) -> exp.Expression:
    return exp.cast(e, exp.DataType.build(f"DECIMAL(38, {digits})"))


def _kpi_columns(session: "Session") -> list[exp.Expression]:
    """kpis columns as the Python side reads them: period, employee, role, line, numbers as
    text, status, gates, actions, role gates, then the employee's plan bonus and bonus."""
    plan = session.plan
    digits = plan.minor_digits
    cols: list[exp.Expression] = [_col("period", "k"), _col("employee", "k"), _col("role", "k"), _col("line", "k")]
    cols += [_text(n) for n in _NUMBERS]
    cols += [exp.cast(_money(_col(n, "k"), digits), "VARCHAR") for n in _MONEY]
    cols.append(_col("status", "k"))
    cols += [_col(f"gate_{j}", "k") for j in range(1, plan.gate_width + 1)]
    cols += [_col(f"action_{j}", "k") for j in range(1, plan.action_width + 1)]
    cols += [_col(f"role_gate_{j}", "k") for j in range(1, plan.role_gate_width + 1)]
    window = dict(partition_by=[_col("ppos", "k"), _col("epos", "k")])
    for n in _MONEY:
        cols.append(exp.cast(_money(exp.Window(this=exp.Sum(this=_col(n, "k")), **window), digits), "VARCHAR"))
    return cols


def _unknown_condition(session: "Session") -> exp.Expression:
    """A kpis row that `assemble.unknown` would explain."""
    plan = session.plan
    parts: list[exp.Expression] = [exp.EQ(this=_col("status", "k"), expression=exp.Literal.string("no_data"))]
    for line in plan.lines:
        if line.gates:
            missing = exp.or_(*[_col(f"gate_{j}", "k").is_(exp.null()) for j in range(1, len(line.gates) + 1)])
            parts.append(exp.and_(exp.EQ(this=_col("line", "k"), expression=exp.Literal.number(line.id)),
                                  exp.paren(missing)))
    for role, texts in plan.role_gates.items():
        if texts:
            missing = exp.or_(*[_col(f"role_gate_{j}", "k").is_(exp.null()) for j in range(1, len(texts) + 1)])
            parts.append(exp.and_(exp.EQ(this=_col("role", "k"), expression=exp.Literal.string(role)),
                                  exp.paren(missing)))
    return exp.or_(*parts)


# ------------------------------------------------------------------ explanations and findings


def prepare(session: "Session") -> "Results":
    """Explain the unknowns and collect the rule findings, as `assemble` does, into a
    `Results` without employee rows (header, findings, diagnostics); the session's
    diagnostics grow by the explanations."""
    from kpidsl.results.assemble import explain_unknowns, findings
    from kpidsl.results.model import Results

    plan, model = session.plan, session.model
    grid(session)
    _sort_rows(session)
    names = ["period", "employee", "role", "line", *_NUMBERS, *_MONEY, "status",
             *(f"gate_{j}" for j in range(1, plan.gate_width + 1)),
             *(f"action_{j}" for j in range(1, plan.action_width + 1)),
             *(f"role_gate_{j}" for j in range(1, plan.role_gate_width + 1))]
    cells: list[tuple[str, str, list[dict[str, Any]]]] = []
    if plan.lines:
        query = _rows_query(session, _kpi_columns(session)[:len(names)], outer=False, where=_unknown_condition(session))
        rows = [dict(zip(names, r)) for r in session.connection.execute(_sql(query)).fetchall()]
        for (p, e), group in groupby(rows, key=lambda r: (r["period"], r["employee"])):
            cells.append((p, e, list(group)))
    explainer = explain_unknowns(plan, cells, session.fact_index, {e for _, e, _ in cells})
    skeleton = Results(ruleset=model.title, currency=model.currency, locale=session.locale,
                       period_kind=model.period_kind, periods=list(session.periods), minor_digits=plan.minor_digits)
    fetched = {"rules": session.fetch("rules")} if "rules" in plan.statements else {}
    findings(plan, fetched, skeleton, explainer, session.period)
    session.diagnostics.extend(explainer.diagnostics())
    skeleton.diagnostics = list(session.diagnostics)
    return skeleton


# ------------------------------------------------------------------ row streaming


class _Row:
    """Positions of the streamed columns."""

    def __init__(self, session: "Session") -> None:
        plan = session.plan
        self.numbers = range(4, 4 + len(_NUMBERS))
        self.plan_bonus, self.bonus = 4 + len(_NUMBERS), 5 + len(_NUMBERS)
        self.status = self.bonus + 1
        self.gates = self.status + 1
        self.actions = self.gates + plan.gate_width
        self.role_gates = self.actions + plan.action_width
        self.totals = self.role_gates + plan.role_gate_width


def _employees(session: "Session") -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Each wanted (period, employee): its first row (period, employee, role, totals) and its KPI rows."""
    query = _rows_query(session, _kpi_columns(session), outer=True)
    pending: list[tuple[Any, ...]] = []
    for chunk in batches(session.connection, _sql(query), _BATCH):
        for row in chunk:
            if pending and (row[0] != pending[0][0] or row[1] != pending[0][1]):
                yield pending[0], [r for r in pending if r[3] is not None]
                pending = []
            pending.append(row)
    if pending:
        yield pending[0], [r for r in pending if r[3] is not None]


def _json_number(text: str | None, cache: dict[str, str]) -> str:
    """`Results.to_json`'s number for a decimal given as DuckDB's text (no exponent, fixed scale)."""
    if text is None:
        return "null"
    out = cache.get(text)
    if out is None:
        whole, _, fraction = text.partition(".")
        out = str(int(whole)) if not fraction.strip("0") else f"{'-' if text.startswith('-') else ''}" \
            f"{int(whole.lstrip('-') or 0)}.{fraction.rstrip('0')}"
        if len(cache) > 200_000:  # weights and targets repeat; facts mostly do not
            cache.clear()
        cache[text] = out
    return out


def _json_list(items: Sequence[str], indent: int) -> str:
    """A JSON list of already encoded items, as json.dumps(indent=2) lays it out at `indent`."""
    if not items:
        return "[]"
    pad = " " * (indent + 2)
    return "[\n" + ",\n".join(pad + item for item in items) + "\n" + " " * indent + "]"


def _gate_json(condition: str, passed: bool | None, indent: int) -> str:
    pad = " " * (indent + 2)
    value = "null" if passed is None else "true" if passed else "false"
    return "{\n" + f"{pad}\"condition\": {condition},\n{pad}\"passed\": {value}\n" + " " * indent + "}"


def _json_employees(session: "Session") -> Iterator[str]:
    """Each employee result's JSON text, as `render_json` writes it (list item at depth 2),
    formatted in Python (bulk_text formats it in DuckDB, which is faster)."""
    plan = session.plan
    at = _Row(session)
    digits = plan.minor_digits
    zero = f"{0:.{digits}f}"
    cache: dict[str, str] = {}
    heads: dict[int, str] = {}
    for line in plan.lines:
        heads[line.id] = (f'        {{\n          "kpi": {encode_basestring(line.kpi)},\n'
                          f'          "title": {encode_basestring(line.title)},\n'
                          f'          "better": {encode_basestring(line.better)},\n')
    gate_texts = {line.id: [encode_basestring(t) for t in line.gates] for line in plan.lines}
    action_texts = {line.id: [encode_basestring(t) for t in line.actions] for line in plan.lines}
    role_texts = {role: [encode_basestring(t) for t in texts] for role, texts in plan.role_gates.items()}
    strings: dict[str, str] = {}

    def string(text: str) -> str:
        out = strings.get(text)
        if out is None:
            if len(strings) > 200_000:
                strings.clear()
            out = strings[text] = encode_basestring(text)
        return out

    for first, kpis in _employees(session):
        parts: list[str] = []
        for row in kpis:
            line_id = row[3]
            weight, baseline, target, fact, attainment, index, deviation = (
                _json_number(row[i], cache) for i in at.numbers)
            if weight == "null":
                weight = "0"
            gates = [_gate_json(text, row[at.gates + j], 12) for j, text in enumerate(gate_texts[line_id])]
            actions = [text for j, text in enumerate(action_texts[line_id]) if row[at.actions + j] is True]
            parts.append(
                heads[line_id]
                + f'          "weight": {weight},\n          "baseline": {baseline},\n'
                  f'          "target": {target},\n          "fact": {fact},\n'
                  f'          "attainment": {attainment},\n          "index": {index},\n'
                  f'          "index_plan": {weight},\n          "deviation": {deviation},\n'
                  f'          "plan_bonus": "{row[at.plan_bonus] or zero}",\n'
                  f'          "bonus": "{row[at.bonus] or zero}",\n'
                  f'          "status": {string(row[at.status])},\n'
                  f'          "gates": {_json_list(gates, 10)},\n'
                  f'          "actions": {_json_list(actions, 10)}\n        }}')
        role_gates: list[str] = []
        if kpis:
            role_gates = [_gate_json(text, kpis[0][at.role_gates + j], 8) for j, text in enumerate(role_texts[first[2]])]
        kpi_list = "[\n" + ",\n".join(parts) + "\n      ]" if parts else "[]"
        yield (f'    {{\n      "period": {string(first[0])},\n      "employee": {string(first[1])},\n'
               f'      "role": {string(first[2])},\n      "kpis": {kpi_list},\n'
               f'      "gates": {_json_list(role_gates, 6)},\n'
               f'      "plan_bonus": "{first[at.totals] or zero}",\n      "bonus": "{first[at.totals + 1] or zero}"\n    }}')


def write_json(session: "Session", skeleton: "Results", diagnostics: Sequence["Diagnostic"], out: BinaryIO,
               employees: Iterator[str] | None = None) -> None:
    """`render_json(results, diagnostics)`, streamed: the employee results from `employees`
    (JSON texts in order; default: formatted in Python)."""
    from kpidsl.output.export import render_json

    text = render_json(skeleton, diagnostics)
    marker = '\n  "results": [],\n'
    head, found, tail = text.partition(marker)
    assert found, "render_json lays out an empty results list as expected"
    out.write((head + '\n  "results": [').encode("utf-8"))
    first = True
    buffer: list[str] = []
    size = 0
    for item in (employees if employees is not None else _json_employees(session)):
        buffer.append(("\n" if first else ",\n") + item)
        first = False
        size += len(item)
        if size > 1 << 20:
            out.write("".join(buffer).encode("utf-8"))
            buffer, size = [], 0
    buffer.append("],\n" if first else "\n  ],\n")
    out.write(("".join(buffer) + tail).encode("utf-8"))


def _plain(text: str | None) -> str:
    """`export.plain` for a decimal given as DuckDB's text."""
    if text is None:
        return ""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def write_csv(session: "Session", out: BinaryIO) -> None:
    """`render_csv(results)`, streamed, formatted in Python (bulk_text: in DuckDB)."""
    from kpidsl.output.export import CSV_COLUMNS

    plan = session.plan
    at = _Row(session)
    zero = f"{0:.{plan.minor_digits}f}"
    state = {True: "passed", False: "failed", None: "no data"}
    roles = {name: neutralise(role.title or name) for name, role in session.model.roles.items()}
    fixed: dict[int, list[str]] = {
        line.id: [neutralise(c) for c in (line.kpi, line.title, line.better, line.unit or "", line.kind)]
        for line in plan.lines}
    lines: dict[int, LinePlan] = {line.id: line for line in plan.lines}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    out.write(b"\xef\xbb\xbf")
    writer.writerow(CSV_COLUMNS)
    for first, kpis in _employees(session):
        who = [neutralise(first[0]), neutralise(first[1]), neutralise(first[2]), roles[first[2]]]
        role_lines = [f"role: {text}: {state[kpis[0][at.role_gates + j]]}"
                      for j, text in enumerate(plan.role_gates[first[2]])] if kpis else []
        for row in kpis:
            line = lines[row[3]]
            weight = _plain(row[at.numbers[0]]) if row[at.numbers[0]] is not None else "0"
            numbers = [weight, *(_plain(row[i]) for i in at.numbers[1:6]), weight, _plain(row[at.numbers[6]]),
                       row[at.plan_bonus] or zero, row[at.bonus] or zero]
            gates = role_lines + [f"{text}: {state[row[at.gates + j]]}" for j, text in enumerate(line.gates)]
            actions = [text for j, text in enumerate(line.actions) if row[at.actions + j] is True]
            writer.writerow(who + fixed[line.id] + numbers
                            + [neutralise(row[at.status]), neutralise("\n".join(gates)), neutralise("\n".join(actions))])
        if buffer.tell() > 1 << 20:
            out.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    out.write(buffer.getvalue().encode("utf-8"))


# ------------------------------------------------------------------ Parquet


def parquet_query(session: "Session") -> exp.Select:
    """One row per period × employee × KPI with exact decimal columns, gates and actions as lists."""
    plan = session.plan
    digits = plan.minor_digits
    gate_type = exp.DataType.build("STRUCT(condition VARCHAR, passed BOOLEAN, scope VARCHAR)[]", dialect="duckdb")
    text_list = exp.DataType.build("VARCHAR[]", dialect="duckdb")

    def struct(condition: str, passed: exp.Expression, scope: str) -> exp.Expression:
        return exp.Struct(expressions=[
            exp.PropertyEQ(this=_id("condition"), expression=exp.Literal.string(condition)),
            exp.PropertyEQ(this=_id("passed"), expression=passed),
            exp.PropertyEQ(this=_id("scope"), expression=exp.Literal.string(scope))])

    def by_line(build: Callable[["LinePlan"], exp.Expression], empty: exp.DataType) -> exp.Expression:
        ifs = [exp.If(this=exp.EQ(this=_col("line", "k"), expression=exp.Literal.number(line.id)), true=build(line))
               for line in plan.lines]
        return exp.Case(ifs=ifs, default=exp.cast(exp.Array(expressions=[]), empty.copy())) if ifs else \
            exp.cast(exp.Array(expressions=[]), empty.copy())

    def typed(items: list[exp.Expression], kind: exp.DataType) -> exp.Expression:
        return exp.cast(exp.Array(expressions=items), kind.copy())

    kpi_gates = by_line(lambda line: typed([struct(t, _col(f"gate_{j}", "k"), "kpi")
                                            for j, t in enumerate(line.gates, start=1)], gate_type), gate_type)
    role_ifs = [exp.If(this=exp.EQ(this=_col("role", "k"), expression=exp.Literal.string(role)),
                       true=typed([struct(t, _col(f"role_gate_{j}", "k"), "role") for j, t in enumerate(texts, start=1)],
                                  gate_type))
                for role, texts in plan.role_gates.items() if texts]
    role_gates = exp.Case(ifs=role_ifs, default=typed([], gate_type)) if role_ifs else typed([], gate_type)

    def actions(line: "LinePlan") -> exp.Expression:
        out: exp.Expression = typed([], text_list)
        for j, text in enumerate(line.actions, start=1):
            fired = exp.Case(ifs=[exp.If(this=exp.EQ(this=_col(f"action_{j}", "k"), expression=exp.true()),
                                         true=typed([exp.Literal.string(text)], text_list))],
                             default=typed([], text_list))
            out = exp.ArrayConcat(this=out, expressions=[fired])
        return out

    def cases(ifs: list[exp.If]) -> exp.Expression:
        """CASE over `ifs`, typed NULL when there are none (a ruleset without KPI lines or roles)."""
        return exp.Case(ifs=ifs, default=exp.cast(exp.null(), "VARCHAR")) if ifs else exp.cast(exp.null(), "VARCHAR")

    def meta(field: Callable[["LinePlan"], str | None]) -> exp.Expression:
        return cases([exp.If(this=exp.EQ(this=_col("line", "k"), expression=exp.Literal.number(line.id)),
                             true=exp.Literal.string(field(line)) if field(line) is not None else
                             exp.cast(exp.null(), "VARCHAR")) for line in plan.lines])

    role_title = cases([exp.If(this=exp.EQ(this=_col("role", "k"), expression=exp.Literal.string(name)),
                               true=exp.Literal.string(role.title or name))
                        for name, role in session.model.roles.items()])
    value = exp.DataType.build("DECIMAL(38, 12)")
    weight = exp.Coalesce(this=exp.cast(_col("weight", "k"), value.copy()), expressions=[exp.cast(exp.Literal.number(0), value.copy())])

    def money(name: str) -> exp.Expression:
        return _money(exp.Coalesce(this=_col(name, "k"), expressions=[exp.Literal.number(0)]), digits)

    columns = [
        _col("period", "k"), _col("employee", "k"), _col("role", "k"), exp.alias_(role_title, "role_title", quoted=True),
        exp.alias_(meta(lambda l: l.kpi), "kpi", quoted=True), exp.alias_(meta(lambda l: l.title), "title", quoted=True),
        exp.alias_(meta(lambda l: l.better), "better", quoted=True), exp.alias_(meta(lambda l: l.unit), "unit", quoted=True),
        exp.alias_(meta(lambda l: l.kind), "kind", quoted=True),
        exp.alias_(weight, "weight", quoted=True),
        *[exp.alias_(exp.cast(_col(n, "k"), value.copy()), n, quoted=True)
          for n in ("baseline", "target", "fact", "attainment", "index")],
        exp.alias_(weight.copy(), "index_plan", quoted=True),
        exp.alias_(exp.cast(_col("deviation", "k"), value.copy()), "deviation", quoted=True),
        exp.alias_(money("plan_bonus"), "plan_bonus", quoted=True), exp.alias_(money("bonus"), "bonus", quoted=True),
        _col("status", "k"),
        exp.alias_(exp.ArrayConcat(this=role_gates, expressions=[kpi_gates]), "gates", quoted=True),
        exp.alias_(by_line(actions, text_list), "actions", quoted=True),
    ]
    return _rows_query(session, columns, outer=False, order=False)


def write_parquet(session: "Session", path: str) -> None:
    """COPY the results to `path` (a temporary file the caller renames into place)."""
    copy = exp.Copy(this=exp.Subquery(this=parquet_query(session)), kind=False, files=[exp.Literal.string(path)],
                    params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet")),
                            exp.CopyParameter(this=exp.var("COMPRESSION"), expression=exp.var("zstd"))])
    session.connection.execute(_sql(copy))


# ------------------------------------------------------------------ writing


def write(session: "Session", skeleton: "Results", fmt: str, output: str | None,
          diagnostics: Sequence["Diagnostic"] = (), protected: Sequence[str] = (), *,
          layout: str | None = None) -> None:
    """Write the results as `fmt` to `output` (atomically) or, for JSON and CSV, to stdout.

    `layout`: who lays out JSON and CSV text — "sql" (DuckDB, bulk_text; the default
    when the outputs have the expected types) or "python"."""
    from kpidsl.output import bulk_text

    if layout is None:
        layout = "sql" if bulk_text.usable(session) else "python"
    if fmt == "parquet":
        if output is None:
            raise ValueError("Parquet needs an output file")
        with atomic(output, protected) as tmp:
            write_parquet(session, tmp)
        return

    def body(out: BinaryIO) -> None:
        if fmt == "json":
            write_json(session, skeleton, diagnostics, out,
                       bulk_text.json_employees(session) if layout == "sql" else None)
        elif layout == "sql":
            bulk_text.write_csv(session, out)
        else:
            write_csv(session, out)

    if output is None:
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:  # a text-only stdout (some test runners): collect, then write text
            collected = io.BytesIO()
            body(collected)
            sys.stdout.write(collected.getvalue().decode("utf-8"))
        else:
            body(stream)
            stream.flush()
        return
    with atomic(output, protected) as tmp:
        with open(tmp, "wb", buffering=1 << 20) as handle:
            body(handle)
